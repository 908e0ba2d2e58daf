//! A fake Stripe API for the tests: the PaymentIntent calls the shop makes, answered in Stripe's
//! shapes, on a port of its own. The shop's Stripe client reaches it through `STRIPE_API_BASE`,
//! as it would reach stripe-mock or Stripe itself.

use super::STRIPE_KEYS;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct Recorded {
    pub intents: HashMap<String, Value>,
    /// Idempotency key → PaymentIntent id.
    pub keys: HashMap<String, String>,
    /// Every create call's idempotency key, in order.
    pub creates: Vec<Option<String>>,
}

#[derive(Clone, Default)]
pub struct FakeStripe {
    pub recorded: Arc<Mutex<Recorded>>,
}

pub async fn start() -> (String, FakeStripe) {
    let fake = FakeStripe::default();
    let app = Router::new()
        .route("/v1/payment_intents", post(create))
        .route("/v1/payment_intents/{id}", get(retrieve))
        .route("/v1/payment_intents/{id}/cancel", post(cancel))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    super::SERVERS.spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), fake)
}

fn authorised(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {}", STRIPE_KEYS[0].1))
}

fn refused() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({ "error": { "type": "invalid_request_error", "message": "Invalid API Key provided." } })),
    )
        .into_response()
}

async fn create(State(fake): State<FakeStripe>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorised(&headers) {
        return refused();
    }
    let fields: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut recorded = fake.recorded.lock().unwrap();
    recorded.creates.push(key.clone());
    if let Some(id) = key.as_ref().and_then(|key| recorded.keys.get(key)) {
        return axum::Json(recorded.intents[id].clone()).into_response();
    }
    let id = format!("pi_fake{}", recorded.intents.len() + 1);
    let metadata: serde_json::Map<String, Value> = fields
        .iter()
        .filter_map(|(name, value)| {
            let name = name.strip_prefix("metadata[")?.strip_suffix(']')?;
            Some((name.to_owned(), Value::String(value.clone())))
        })
        .collect();
    let intent = json!({
        "id": id, "object": "payment_intent",
        "amount": fields["amount"].parse::<i64>().unwrap(),
        "amount_capturable": 0, "amount_received": 0,
        "capture_method": "automatic", "confirmation_method": "automatic",
        "client_secret": format!("{id}_secret_fake"), "created": 1_700_000_000,
        "currency": fields["currency"], "livemode": false, "metadata": metadata,
        "payment_method_types": ["card"], "status": "requires_payment_method",
    });
    recorded.intents.insert(id.clone(), intent.clone());
    if let Some(key) = key {
        recorded.keys.insert(key, id);
    }
    axum::Json(intent).into_response()
}

async fn retrieve(
    State(fake): State<FakeStripe>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorised(&headers) {
        return refused();
    }
    match fake.recorded.lock().unwrap().intents.get(&id) {
        Some(intent) => axum::Json(intent.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(
                json!({ "error": { "type": "invalid_request_error", "code": "resource_missing" } }),
            ),
        )
            .into_response(),
    }
}

async fn cancel(
    State(fake): State<FakeStripe>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorised(&headers) {
        return refused();
    }
    let mut recorded = fake.recorded.lock().unwrap();
    match recorded.intents.get_mut(&id) {
        Some(intent) => {
            intent["status"] = json!("canceled");
            axum::Json(intent.clone()).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
