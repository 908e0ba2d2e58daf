//! The payment provider as the rest of the server sees it: Stripe's API through async-stripe,
//! pointed at Stripe, at any Stripe-compatible server (`STRIPE_API_BASE`), or at the test gateway
//! this server carries (`server::test_gateway`), and Stripe's webhook signatures.

use super::config::{Secret, StripeKeys};
use crate::money::Money;
use std::collections::HashMap;
use stripe::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_core::payment_intent::{
    CancelPaymentIntent, CreatePaymentIntent, RetrievePaymentIntent,
};

pub const STRIPE_API: &str = "https://api.stripe.com";
pub const STRIPE_JS: &str = "https://js.stripe.com/v3/";

/// Which provider takes payments, and how to reach it.
#[derive(Clone)]
pub struct Payments {
    /// `stripe`, or `test_gateway` for the one built in.
    pub provider: &'static str,
    pub publishable_key: String,
    pub webhook_secret: Secret,
    /// Where the browser loads Stripe.js (or the test gateway's stand-in) from.
    pub js_url: String,
    /// Whether pages that take payment must let the browser reach Stripe's hosts.
    pub uses_stripe_hosts: bool,
    /// The test gateway's own secret key, which it checks on every API call.
    pub secret_key: Secret,
    /// This server's own address, where the test gateway delivers its events.
    pub self_url: String,
    client: stripe::Client,
}

impl std::fmt::Debug for Payments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payments")
            .field("provider", &self.provider)
            .field("js_url", &self.js_url)
            .finish_non_exhaustive()
    }
}

/// A PaymentIntent as the shop needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intent {
    pub id: String,
    pub status: String,
    pub amount_minor: i64,
    pub client_secret: Option<String>,
    /// Why the last attempt failed, in the provider's words.
    pub last_error: Option<String>,
}

impl From<stripe_core::PaymentIntent> for Intent {
    fn from(intent: stripe_core::PaymentIntent) -> Self {
        Intent {
            id: intent.id.as_str().to_owned(),
            status: intent.status.as_str().to_owned(),
            amount_minor: intent.amount,
            client_secret: intent.client_secret,
            last_error: intent.last_payment_error.and_then(|error| error.message),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("payment provider: {0}")]
pub struct ProviderError(String);

impl From<stripe::StripeError> for ProviderError {
    fn from(error: stripe::StripeError) -> Self {
        // The client's own messages name no key; the body of a Stripe error names what went wrong.
        ProviderError(match error {
            stripe::StripeError::Stripe(api, status) => format!(
                "{status}: {}",
                api.message.as_deref().unwrap_or("no message")
            ),
            other => other.to_string(),
        })
    }
}

impl Payments {
    /// Stripe with the shop's keys, at `api_base` (without `/v1`): Stripe's own API, or any
    /// Stripe-compatible server.
    pub fn stripe(
        keys: &StripeKeys,
        api_base: &str,
        self_url: String,
    ) -> Result<Payments, ProviderError> {
        Self::build(
            "stripe",
            keys,
            api_base,
            STRIPE_JS.to_owned(),
            true,
            self_url,
        )
    }

    /// The test gateway this server carries, at `self_url` (this server's own address), with keys
    /// made for this process.
    pub fn test_gateway(self_url: String) -> Result<Payments, ProviderError> {
        let keys = super::test_gateway::new_keys();
        let api_base = format!("{self_url}{}", super::test_gateway::PREFIX);
        Self::build(
            "test_gateway",
            &keys,
            &api_base,
            super::test_gateway::JS_PATH.to_owned(),
            false,
            self_url,
        )
    }

    fn build(
        provider: &'static str,
        keys: &StripeKeys,
        api_base: &str,
        js_url: String,
        uses_stripe_hosts: bool,
        self_url: String,
    ) -> Result<Payments, ProviderError> {
        // The client appends `v1/…` to the base as written, so a base with a path needs its slash.
        let api_base = format!("{}/", api_base.trim_end_matches('/'));
        let client = stripe::ClientBuilder::new(keys.secret_key.expose())
            .url(api_base)
            .timeout(std::time::Duration::from_secs(20))
            .build()?;
        Ok(Payments {
            provider,
            publishable_key: keys.publishable_key.clone(),
            webhook_secret: keys.webhook_secret.clone(),
            js_url,
            uses_stripe_hosts,
            secret_key: keys.secret_key.clone(),
            self_url,
            client,
        })
    }

    /// A PaymentIntent for an order. The idempotency key makes a repeated call (a retry, a second
    /// tab) return the same PaymentIntent instead of a second one.
    pub async fn create_intent(
        &self,
        amount: Money,
        order_id: i64,
        order_number: &str,
        idempotency_key: &str,
    ) -> Result<Intent, ProviderError> {
        let currency: stripe_types::Currency = amount
            .currency
            .code()
            .to_lowercase()
            .parse()
            .unwrap_or_else(|never| match never {});
        let metadata = HashMap::from([
            ("order_id".to_owned(), order_id.to_string()),
            ("order_number".to_owned(), order_number.to_owned()),
        ]);
        let key = IdempotencyKey::new(idempotency_key)
            .map_err(|error| ProviderError(format!("idempotency key: {error}")))?;
        let intent = CreatePaymentIntent::new(amount.minor, currency)
            .metadata(metadata)
            // Cards only: they settle while the shopper waits, well within the order's reservation,
            // where bank debits may succeed days after the order has let its stock go.
            .allowed_payment_method_types(vec![
                stripe_core::PaymentIntentAllowedPaymentMethodTypes::Card,
            ])
            .customize()
            .request_strategy(RequestStrategy::Idempotent(key))
            .send(&self.client)
            .await?;
        Ok(intent.into())
    }

    pub async fn retrieve_intent(&self, id: &str) -> Result<Intent, ProviderError> {
        Ok(RetrievePaymentIntent::new(id)
            .send(&self.client)
            .await?
            .into())
    }

    pub async fn cancel_intent(&self, id: &str) -> Result<Intent, ProviderError> {
        Ok(CancelPaymentIntent::new(id)
            .send(&self.client)
            .await?
            .into())
    }
}

/// Checks a `Stripe-Signature` header against the raw body with Stripe's scheme: any `v1`
/// signature may match, and the timestamp must be within 300 s of now. A body whose signature is
/// good but which async-stripe cannot read into its own types is still the provider's word: the
/// shop reads the few fields it needs itself.
pub fn verify(payload: &str, signature: &str, payments: &Payments) -> Result<(), String> {
    match stripe_webhook::Webhook::construct_event(
        payload,
        signature,
        payments.webhook_secret.expose(),
    ) {
        Ok(_) | Err(stripe_webhook::WebhookError::BadParse(_)) => Ok(()),
        Err(error) => Err(error.to_string()),
    }
}

/// The `Stripe-Signature` header Stripe would send with `payload` at `timestamp`.
pub fn sign(payload: &str, secret: &str, timestamp: i64) -> String {
    stripe_webhook::Webhook::generate_test_header(payload, secret, Some(timestamp))
}
