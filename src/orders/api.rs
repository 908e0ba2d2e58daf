//! Order server functions.

use super::{OrderView, OrdersPage, PaymentStep};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

/// Whoever asks: the signed-in account, and the order link's key if they hold one.
#[cfg(feature = "ssr")]
async fn viewer(key: Option<&str>) -> Result<super::repo::Viewer<'_>, AppError> {
    let user = crate::accounts::auth::current_user().await?;
    Ok(super::repo::Viewer {
        key: key.filter(|key| !key.is_empty()),
        user_id: user.map(|user| user.id),
    })
}

#[cfg(feature = "ssr")]
async fn viewable(number: &str, key: Option<&str>) -> Result<OrderView, AppError> {
    let state = crate::server::state()?;
    let viewer = viewer(key).await?;
    super::repo::order_for(&state.db, number.trim(), &viewer)
        .await?
        .ok_or_else(|| AppError::not_found("That order"))
}

/// An order, for whoever holds its link's key or the account that placed it; anyone else is told
/// there is no such order, as if it did not exist.
#[server(input = GetUrl)]
pub async fn fetch_order(number: String, key: Option<String>) -> Result<OrderView, AppError> {
    viewable(&number, key.as_deref()).await
}

/// The card step of an order awaiting payment: its PaymentIntent (the open one, or a new one
/// when there is none or the last was cancelled) and what the Payment Element needs.
#[server]
pub async fn start_payment(number: String, key: Option<String>) -> Result<PaymentStep, AppError> {
    let state = crate::server::state()?;
    let viewer = viewer(key.as_deref()).await?;
    let payable = super::repo::payable(&state.db, number.trim(), &viewer)
        .await?
        .ok_or_else(|| AppError::not_found("That order"))?;
    if !payable.pending {
        return Err(AppError::Conflict(
            "This order is not awaiting payment.".into(),
        ));
    }
    let unavailable = |error: crate::server::payments::ProviderError| {
        tracing::error!(%error, number = %payable.number, "payment could not be started");
        AppError::Conflict(
            "Card payments are unavailable just now. Please try again in a minute; your items stay held."
                .into(),
        )
    };
    let intent = match &payable.latest {
        Some((id, status)) if status != "canceled" => state
            .payments
            .retrieve_intent(id)
            .await
            .map_err(unavailable)?,
        _ => {
            // Keyed by attempt, so a retry or a second tab gets the same PaymentIntent back.
            let idempotency_key = format!(
                "order-{}-{}-payment-{}",
                payable.number,
                payable.nonce,
                payable.attempts + 1
            );
            let intent = state
                .payments
                .create_intent(payable.total, payable.id, &payable.number, &idempotency_key)
                .await
                .map_err(unavailable)?;
            super::payments::insert_payment(
                &state.db,
                payable.id,
                state.payments.provider,
                &intent.id,
                payable.total,
                &intent.status,
            )
            .await?;
            intent
        }
    };
    let client_secret = intent.client_secret.ok_or_else(|| {
        tracing::error!(intent = %intent.id, "a PaymentIntent came without its client secret");
        AppError::Internal
    })?;
    let return_path = match key.filter(|key| !key.is_empty()) {
        Some(key) => format!("/orders/{}?key={key}", payable.number),
        None => format!("/orders/{}", payable.number),
    };
    Ok(PaymentStep {
        publishable_key: state.payments.publishable_key.clone(),
        client_secret,
        js_url: state.payments.js_url.clone(),
        return_path,
        amount: payable.total,
        last_error: intent.last_error,
    })
}

/// The signed-in shopper's orders, newest first, a page at a time (`after`: the previous page's
/// cursor).
#[server(input = GetUrl)]
pub async fn list_orders(after: Option<String>) -> Result<OrdersPage, AppError> {
    let state = crate::server::state()?;
    let user = crate::accounts::auth::require_user().await?;
    let cursor = match after.as_deref().filter(|after| !after.is_empty()) {
        None => None,
        Some(text) => Some(
            super::repo::parse_cursor(text)
                .ok_or_else(|| AppError::bad_request("That page of orders does not exist."))?,
        ),
    };
    Ok(super::repo::orders_of(&state.db, user.id, cursor).await?)
}
