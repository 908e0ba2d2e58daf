//! The built-in test payment gateway: what a shop without Stripe keys takes payments with, so the
//! demo and the tests run the production payment code end to end. It speaks the part of Stripe's
//! API the shop uses (PaymentIntents create, retrieve, cancel and confirm; refunds), serves a
//! stand-in for the Stripe.js calls the shop makes, with a card form labelled as the Payment
//! Element labels its fields, honours Stripe's test cards, shows a 3-D Secure challenge page, and
//! delivers signed events to the shop's webhook with retries, as Stripe does. Its records live in
//! the shop's database (migration 0010), so a restart loses no event it owes.

use super::AppState;
use super::config::{Secret, StripeKeys};
use super::db::{Constraint, Db};
use super::jobs::{Job, Schedule};
use super::mail::escape;
use crate::{on_db, on_readers};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, Duration, Utc};
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::sync::Notify;

pub const PREFIX: &str = "/test-gateway";
/// Where the stand-in for Stripe.js is served, as `https://js.stripe.com/v3/` is.
pub const JS_PATH: &str = "/test-gateway/v3/";

/// Keys made afresh at every start, in the shapes of Stripe's: nothing outside this process
/// needs them.
pub fn new_keys() -> StripeKeys {
    let random = crate::server::tokens::random_token;
    StripeKeys {
        secret_key: Secret::new(format!("sk_test_{}", random())),
        publishable_key: format!("pk_test_{}", random()),
        webhook_secret: Secret::new(format!("whsec_{}", random())),
    }
}

/// Wakes the delivery of events when one is queued.
#[derive(Clone, Debug, Default)]
pub struct Outbox(Arc<Notify>);

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{PREFIX}/v1/payment_intents"), post(create_intent))
        .route(
            &format!("{PREFIX}/v1/payment_intents/{{id}}"),
            get(retrieve_intent),
        )
        .route(
            &format!("{PREFIX}/v1/payment_intents/{{id}}/cancel"),
            post(cancel_intent),
        )
        .route(
            &format!("{PREFIX}/v1/payment_intents/{{id}}/confirm"),
            post(confirm_intent),
        )
        .route(&format!("{PREFIX}/v1/refunds"), post(create_refund))
        .route(JS_PATH, get(stripe_js))
        .route(
            &format!("{PREFIX}/challenge/{{id}}"),
            get(challenge_page).post(challenge_answer),
        )
}

fn error(status: StatusCode, kind: &str, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": { "type": kind, "code": code, "message": message } })),
    )
        .into_response()
}

fn no_such_intent(id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        "resource_missing",
        &format!("No such payment_intent: '{id}'"),
    )
}

fn authorised(state: &AppState, headers: &HeaderMap, key: &str) -> bool {
    state.payments.provider == "test_gateway"
        && headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            == Some(key)
}

fn unauthorised() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "invalid_request_error",
        "api_key_invalid",
        "Invalid API Key provided.",
    )
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[derive(sqlx::FromRow)]
struct IntentRow {
    id: String,
    client_secret: String,
    amount: i64,
    currency: String,
    metadata: String,
    status: String,
    last_error: Option<String>,
    amount_refunded: i64,
    created: i64,
}

const INTENT_COLUMNS: &str =
    "id, client_secret, amount, currency, metadata, status, last_error, amount_refunded, created";

async fn intent(db: &Db, id: &str) -> Result<Option<IntentRow>, sqlx::Error> {
    let sql = format!("SELECT {INTENT_COLUMNS} FROM test_gateway_intents WHERE id = $1");
    on_readers!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

fn intent_json(row: &IntentRow, next_action: Option<Value>) -> Value {
    let metadata: Value = serde_json::from_str(&row.metadata).unwrap_or_else(|_| json!({}));
    let last_error: Value = row
        .last_error
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or(Value::Null);
    json!({
        "id": row.id,
        "object": "payment_intent",
        "amount": row.amount,
        "amount_capturable": 0,
        "amount_received": if row.status == "succeeded" { row.amount } else { 0 },
        "capture_method": "automatic",
        "confirmation_method": "automatic",
        "client_secret": row.client_secret,
        "created": row.created,
        "currency": row.currency,
        "livemode": false,
        "metadata": metadata,
        "payment_method_types": ["card"],
        "status": row.status,
        "last_payment_error": last_error,
        "next_action": next_action,
    })
}

fn internal(failure: sqlx::Error) -> Response {
    tracing::error!(error = %failure, "test gateway");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "api_error",
        "internal",
        "The test gateway failed.",
    )
}

async fn create_intent(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorised(&state, &headers, state.payments.secret_key.expose()) {
        return unauthorised();
    }
    let fields = form(&body);
    let Some(amount) = field(&fields, "amount")
        .and_then(|a| a.parse::<i64>().ok())
        .filter(|a| *a > 0)
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "parameter_missing",
            "Missing required param: amount.",
        );
    };
    let Some(currency) = field(&fields, "currency").filter(|c| c.len() == 3) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "parameter_missing",
            "Missing required param: currency.",
        );
    };
    let metadata: serde_json::Map<String, Value> = fields
        .iter()
        .filter_map(|(name, value)| {
            let key = name.strip_prefix("metadata[")?.strip_suffix(']')?;
            Some((key.to_owned(), Value::String(value.clone())))
        })
        .collect();
    let idempotency_key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let token = crate::server::tokens::random_token();
    let id = format!("pi_{}", &token[..24]);
    let client_secret = format!("{id}_secret_{}", &token[24..]);
    let sql = format!(
        "INSERT INTO test_gateway_intents (id, idempotency_key, client_secret, amount, currency, metadata, status, created)
         VALUES ($1, $2, $3, $4, $5, $6, 'requires_payment_method', $7)
         RETURNING {INTENT_COLUMNS}"
    );
    let inserted: Result<IntentRow, _> = on_db!(&state.db, pool => sqlx::query_as(&sql)
    .bind(&id).bind(idempotency_key).bind(&client_secret).bind(amount).bind(currency.to_lowercase())
    .bind(Value::Object(metadata).to_string()).bind(Utc::now().timestamp())
    .fetch_one(pool).await);
    match inserted {
        Ok(row) => axum::Json(intent_json(&row, None)).into_response(),
        // A request repeated with its idempotency key gets what the first one made.
        Err(e) if Constraint::broken_by(&e) == Some(Constraint::Unique) => match idempotency_key {
            Some(key) => {
                let id: Result<String, _> = on_db!(&state.db, pool => sqlx::query_scalar(
                    "SELECT id FROM test_gateway_intents WHERE idempotency_key = $1"
                ).bind(key).fetch_one(pool).await);
                match id {
                    Ok(id) => retrieve(&state, &id).await,
                    Err(e) => internal(e),
                }
            }
            None => internal(e),
        },
        Err(e) => internal(e),
    }
}

async fn retrieve(state: &AppState, id: &str) -> Response {
    match intent(&state.db, id).await {
        Ok(Some(row)) => axum::Json(intent_json(&row, None)).into_response(),
        Ok(None) => no_such_intent(id),
        Err(e) => internal(e),
    }
}

async fn retrieve_intent(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorised(&state, &headers, state.payments.secret_key.expose()) {
        return unauthorised();
    }
    retrieve(&state, &id).await
}

enum Unsettled {
    /// Another request moved the intent first (a second confirm, a cancel): nothing was written.
    Moved,
    Database(sqlx::Error),
}

impl From<sqlx::Error> for Unsettled {
    fn from(error: sqlx::Error) -> Self {
        Unsettled::Database(error)
    }
}

fn unsettled(failure: Unsettled) -> Response {
    match failure {
        Unsettled::Moved => error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "payment_intent_unexpected_state",
            "This payment has already been completed or cancelled.",
        ),
        Unsettled::Database(e) => internal(e),
    }
}

/// Moves an intent from the status it was read in to `status` (with `last_error` when it failed)
/// and queues its event; refused if it moved meanwhile.
async fn settle(
    state: &AppState,
    row: &IntentRow,
    status: &str,
    last_error: Option<Value>,
    event: &str,
) -> Result<IntentRow, Unsettled> {
    let last_error_text = last_error.as_ref().map(Value::to_string);
    let mut tx = state.db.begin().await?;
    let moved = crate::in_tx!(&mut tx, conn => sqlx::query(
        "UPDATE test_gateway_intents SET status = $1, last_error = $2 WHERE id = $3 AND status = $4"
    ).bind(status).bind(&last_error_text).bind(&row.id).bind(&row.status)
        .execute(conn).await.map(|done| done.rows_affected()))?;
    if moved == 0 {
        return Err(Unsettled::Moved);
    }
    let updated = IntentRow {
        id: row.id.clone(),
        client_secret: row.client_secret.clone(),
        amount: row.amount,
        currency: row.currency.clone(),
        metadata: row.metadata.clone(),
        status: status.to_owned(),
        last_error: last_error_text,
        amount_refunded: row.amount_refunded,
        created: row.created,
    };
    queue_event(&mut tx, event, intent_json(&updated, None)).await?;
    tx.commit().await?;
    state.gateway_outbox.0.notify_one();
    Ok(updated)
}

async fn queue_event(tx: &mut super::db::Tx, kind: &str, object: Value) -> Result<(), sqlx::Error> {
    let now = Utc::now();
    let id = format!("evt_{}", &crate::server::tokens::random_token()[..24]);
    let payload = json!({
        "id": id,
        "object": "event",
        "created": now.timestamp(),
        "livemode": false,
        "pending_webhooks": 1,
        "type": kind,
        "data": { "object": object },
    });
    crate::in_tx!(tx, conn => sqlx::query(
        "INSERT INTO test_gateway_events (id, payload, next_attempt_at) VALUES ($1, $2, $3)"
    ).bind(&id).bind(payload.to_string()).bind(now).execute(conn).await.map(drop))
}

async fn cancel_intent(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorised(&state, &headers, state.payments.secret_key.expose()) {
        return unauthorised();
    }
    let row = match intent(&state.db, &id).await {
        Ok(Some(row)) => row,
        Ok(None) => {
            return no_such_intent(&id);
        }
        Err(e) => return internal(e),
    };
    if matches!(row.status.as_str(), "succeeded" | "canceled") {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "payment_intent_unexpected_state",
            &format!(
                "You cannot cancel this PaymentIntent because it has a status of {}.",
                row.status
            ),
        );
    }
    match settle(&state, &row, "canceled", None, "payment_intent.canceled").await {
        Ok(row) => axum::Json(intent_json(&row, None)).into_response(),
        Err(failure) => unsettled(failure),
    }
}

/// Stripe's test cards and what each does.
enum Card {
    Succeeds,
    Declined(&'static str, &'static str),
    Challenge,
}

fn card(number: &str) -> Option<Card> {
    match number {
        "4242424242424242" => Some(Card::Succeeds),
        "4000000000000002" => Some(Card::Declined("generic_decline", "Your card was declined.")),
        "4000000000009995" => Some(Card::Declined(
            "insufficient_funds",
            "Your card has insufficient funds.",
        )),
        "4000002760003184" => Some(Card::Challenge),
        _ => None,
    }
}

fn declined(decline_code: &str, message: &str) -> Value {
    json!({ "type": "card_error", "code": "card_declined", "decline_code": decline_code, "message": message })
}

/// What the stand-in Stripe.js posts when the shopper pays: the card, checked as the Payment
/// Element checks it, then the test card's outcome.
async fn confirm_intent(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if !authorised(&state, &headers, &state.payments.publishable_key) {
        return unauthorised();
    }
    let fields = form(&body);
    let row = match intent(&state.db, &id).await {
        Ok(Some(row)) if Some(row.client_secret.as_str()) == field(&fields, "client_secret") => row,
        Ok(_) => {
            return no_such_intent(&id);
        }
        Err(e) => return internal(e),
    };
    if !matches!(
        row.status.as_str(),
        "requires_payment_method" | "requires_confirmation"
    ) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "payment_intent_unexpected_state",
            "This payment has already been completed or cancelled.",
        );
    }
    let digits = |name: &str| -> String {
        field(&fields, name)
            .unwrap_or_default()
            .chars()
            .filter(char::is_ascii_digit)
            .collect()
    };
    let number = digits("card_number");
    if number.len() < 15 {
        return error(
            StatusCode::BAD_REQUEST,
            "validation_error",
            "incomplete_number",
            "Your card number is incomplete.",
        );
    }
    let expiry = digits("expiry");
    let (month, year) = match (
        expiry.get(..2).and_then(|m| m.parse::<u32>().ok()),
        expiry.get(2..4).and_then(|y| y.parse::<i32>().ok()),
    ) {
        (Some(month), Some(year)) if expiry.len() == 4 && (1..=12).contains(&month) => {
            (month, 2000 + year)
        }
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "validation_error",
                "incomplete_expiry",
                "Your card's expiration date is incomplete.",
            );
        }
    };
    let today = Utc::now();
    if (year, month) < (today.year(), today.month()) {
        return error(
            StatusCode::BAD_REQUEST,
            "validation_error",
            "invalid_expiry_year_past",
            "Your card's expiration year is in the past.",
        );
    }
    if !(3..=4).contains(&digits("cvc").len()) {
        return error(
            StatusCode::BAD_REQUEST,
            "validation_error",
            "incomplete_cvc",
            "Your card's security code is incomplete.",
        );
    }
    let return_url = field(&fields, "return_url").unwrap_or("/").to_owned();
    let outcome = match card(&number) {
        None => {
            return error(
                StatusCode::PAYMENT_REQUIRED,
                "card_error",
                "incorrect_number",
                "Your card number is incorrect. This test gateway takes Stripe's test cards, such as 4242 4242 4242 4242.",
            );
        }
        Some(Card::Succeeds) => {
            settle(&state, &row, "succeeded", None, "payment_intent.succeeded").await
        }
        Some(Card::Declined(code, message)) => {
            let failure = declined(code, message);
            return match settle(
                &state,
                &row,
                "requires_payment_method",
                Some(failure.clone()),
                "payment_intent.payment_failed",
            )
            .await
            {
                Ok(_) => (
                    StatusCode::PAYMENT_REQUIRED,
                    axum::Json(json!({ "error": failure })),
                )
                    .into_response(),
                Err(failure) => unsettled(failure),
            };
        }
        Some(Card::Challenge) => {
            let row = match settle(
                &state,
                &row,
                "requires_action",
                None,
                "payment_intent.requires_action",
            )
            .await
            {
                Ok(row) => row,
                Err(failure) => return unsettled(failure),
            };
            let url = format!(
                "{PREFIX}/challenge/{}?client_secret={}&return_url={}",
                row.id,
                row.client_secret,
                form_urlencoded::byte_serialize(return_url.as_bytes()).collect::<String>()
            );
            let next = json!({ "type": "redirect_to_url", "redirect_to_url": { "url": url, "return_url": return_url } });
            return axum::Json(intent_json(&row, Some(next))).into_response();
        }
    };
    match outcome {
        Ok(row) => axum::Json(intent_json(&row, None)).into_response(),
        Err(failure) => unsettled(failure),
    }
}

/// Where the challenge sends the shopper back: an order's page of this shop, nothing else (the
/// address came through the browser).
fn return_to(return_url: &str, id: &str, client_secret: &str, outcome: &str) -> String {
    let safe = return_url.starts_with("/orders/")
        && return_url
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/-_?=&.".contains(c))
        && !return_url.contains("//");
    let base = if safe { return_url } else { "/" };
    let separator = if base.contains('?') { '&' } else { '?' };
    format!(
        "{base}{separator}payment_intent={id}&payment_intent_client_secret={client_secret}&redirect_status={outcome}"
    )
}

fn page(title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head><body><main>{body}</main></body></html>",
        title = escape(title)
    );
    let mut response = axum::response::Html(html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; form-action 'self'; frame-ancestors 'none'"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(serde::Deserialize)]
struct ChallengeQuery {
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    return_url: String,
}

/// The intent a challenge is for, if it awaits one and the request holds its client secret (only
/// the shopper paying has it), and this gateway takes the shop's payments.
async fn challenged(
    state: &AppState,
    id: &str,
    client_secret: &str,
) -> Result<Option<IntentRow>, sqlx::Error> {
    if state.payments.provider != "test_gateway" {
        return Ok(None);
    }
    Ok(intent(&state.db, id)
        .await?
        .filter(|row| row.status == "requires_action" && row.client_secret == client_secret))
}

fn nothing_to_authenticate() -> Response {
    page(
        "Nothing to authenticate",
        "<h1>Nothing to authenticate</h1><p>This payment needs no authentication now.</p>",
    )
}

/// The 3-D Secure page a challenge card leads to, as a bank would show it.
async fn challenge_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<ChallengeQuery>,
) -> Response {
    match challenged(&state, &id, &query.client_secret).await {
        Ok(Some(row)) => {
            let amount = crate::money::Money::new(
                row.amount,
                crate::money::Currency::parse(&row.currency.to_uppercase())
                    .unwrap_or(crate::money::Currency::XXX),
            );
            let form = |outcome: &str, label: &str| {
                format!(
                    "<form method=\"post\" action=\"{PREFIX}/challenge/{}\"><input type=\"hidden\" name=\"return_url\" value=\"{}\">\
                 <input type=\"hidden\" name=\"client_secret\" value=\"{}\">\
                 <input type=\"hidden\" name=\"outcome\" value=\"{outcome}\"><button type=\"submit\">{label}</button></form>",
                    escape(&row.id),
                    escape(&query.return_url),
                    escape(&row.client_secret),
                )
            };
            page(
                "3D Secure test page",
                &format!(
                    "<h1>3D Secure test page</h1><p>This stands in for your bank's check of a payment of {}.</p>{}{}",
                    escape(&amount.to_string()),
                    form("complete", "Complete authentication"),
                    form("fail", "Fail authentication"),
                ),
            )
        }
        Ok(None) => nothing_to_authenticate(),
        Err(e) => internal(e),
    }
}

async fn challenge_answer(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let fields = form(&body);
    let return_url = field(&fields, "return_url").unwrap_or("/").to_owned();
    let secret = field(&fields, "client_secret").unwrap_or_default();
    let row = match challenged(&state, &id, secret).await {
        Ok(Some(row)) => row,
        Ok(None) => return nothing_to_authenticate(),
        Err(e) => return internal(e),
    };
    let complete = field(&fields, "outcome") == Some("complete");
    let settled = if complete {
        settle(&state, &row, "succeeded", None, "payment_intent.succeeded").await
    } else {
        let failure = json!({ "type": "card_error", "code": "payment_intent_authentication_failure",
            "message": "We are unable to authenticate your payment method. Please choose a different payment method and try again." });
        settle(
            &state,
            &row,
            "requires_payment_method",
            Some(failure),
            "payment_intent.payment_failed",
        )
        .await
    };
    match settled {
        Ok(row) => Redirect::to(&return_to(
            &return_url,
            &row.id,
            &row.client_secret,
            if complete { "succeeded" } else { "failed" },
        ))
        .into_response(),
        Err(failure) => unsettled(failure),
    }
}

async fn create_refund(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorised(&state, &headers, state.payments.secret_key.expose()) {
        return unauthorised();
    }
    let fields = form(&body);
    let id = field(&fields, "payment_intent")
        .unwrap_or_default()
        .to_owned();
    // Each try refunds from what it read, and only if that is still so; one that finds another
    // refund got there first reads again, so two at once never take more than was paid.
    for _ in 0..3 {
        let row = match intent(&state.db, &id).await {
            Ok(Some(row)) if row.status == "succeeded" => row,
            Ok(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request_error",
                    "charge_not_refundable",
                    "This PaymentIntent has no successful charge to refund.",
                );
            }
            Err(e) => return internal(e),
        };
        let left = row.amount - row.amount_refunded;
        if left == 0 {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "charge_already_refunded",
                "This charge has already been refunded in full.",
            );
        }
        let amount = match field(&fields, "amount") {
            None => left,
            Some(text) => match text.parse::<i64>() {
                Ok(amount) if amount > 0 && amount <= left => amount,
                _ => return too_large(),
            },
        };
        match refund(&state, &row, amount).await {
            Ok(false) => continue,
            Ok(true) => {
                state.gateway_outbox.0.notify_one();
                return axum::Json(json!({
                    "id": format!("re_{}", &crate::server::tokens::random_token()[..24]),
                    "object": "refund", "amount": amount, "created": Utc::now().timestamp(),
                    "currency": row.currency, "status": "succeeded", "payment_intent": row.id,
                }))
                .into_response();
            }
            Err(e) => return internal(e),
        }
    }
    error(
        StatusCode::CONFLICT,
        "api_error",
        "lock_timeout",
        "This charge is being refunded by other requests; try again.",
    )
}

/// Refunds `amount` of the charge if nothing was refunded since `row` was read, queueing its
/// `charge.refunded` event; answers whether it did.
async fn refund(state: &AppState, row: &IntentRow, amount: i64) -> Result<bool, sqlx::Error> {
    let mut tx = state.db.begin().await?;
    let refunded: Option<i64> = crate::in_tx!(&mut tx, conn => sqlx::query_scalar(
        "UPDATE test_gateway_intents SET amount_refunded = amount_refunded + $1
         WHERE id = $2 AND amount_refunded = $3 RETURNING amount_refunded"
    )
    .bind(amount).bind(&row.id).bind(row.amount_refunded).fetch_optional(conn).await)?;
    let Some(refunded) = refunded else {
        return Ok(false);
    };
    let charge = json!({
        "id": format!("ch_{}", &row.id[3..]), "object": "charge", "amount": row.amount,
        "amount_captured": row.amount, "amount_refunded": refunded, "currency": row.currency,
        "payment_intent": row.id, "refunded": refunded >= row.amount, "paid": true,
        "captured": true, "status": "succeeded", "created": row.created, "livemode": false,
    });
    queue_event(&mut tx, "charge.refunded", charge).await?;
    tx.commit().await?;
    Ok(true)
}

fn too_large() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        "amount_too_large",
        "The refund is more than is left to refund.",
    )
}

async fn stripe_js(State(state): State<AppState>) -> Response {
    if state.payments.provider != "test_gateway" {
        return StatusCode::NOT_FOUND.into_response();
    }
    (
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        include_str!("test_gateway.js"),
    )
        .into_response()
}

#[derive(sqlx::FromRow)]
struct DueEvent {
    id: String,
    payload: String,
    attempts: i64,
    next_attempt_at: chrono::DateTime<Utc>,
}

/// Delivers the events due now to the shop's webhook; answers how many it tried.
pub async fn deliver_due(state: &AppState) -> Result<usize, sqlx::Error> {
    use http_body_util::{BodyExt, Full};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let due: Vec<DueEvent> = on_readers!(&state.db, pool => sqlx::query_as(
        "SELECT id, payload, CAST(attempts AS BIGINT) AS attempts, next_attempt_at FROM test_gateway_events
         WHERE delivered_at IS NULL AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT 20"
    ).bind(Utc::now()).fetch_all(pool).await)?;
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let webhook = format!(
        "{}{}",
        state.payments.self_url,
        crate::orders::webhook::PATH
    );
    for event in &due {
        let lease = Utc::now() + Duration::seconds(30);
        let claimed = on_db!(&state.db, pool => sqlx::query(
            "UPDATE test_gateway_events SET next_attempt_at = $1, attempts = attempts + 1 WHERE id = $2 AND next_attempt_at = $3 AND delivered_at IS NULL"
        ).bind(lease).bind(&event.id).bind(event.next_attempt_at).execute(pool).await.map(|r| r.rows_affected()))?;
        if claimed != 1 {
            continue;
        }
        let signature = super::payments::sign(
            &event.payload,
            state.payments.webhook_secret.expose(),
            Utc::now().timestamp(),
        );
        let request = hyper::Request::post(&webhook)
            .header(CONTENT_TYPE, "application/json")
            .header("stripe-signature", signature)
            .body(Full::new(Bytes::from(event.payload.clone())));
        let delivered = match request {
            Ok(request) => match client.request(request).await {
                Ok(response) => {
                    let status = response.status();
                    let _ = response.into_body().collect().await;
                    status.is_success()
                }
                Err(error) => {
                    tracing::warn!(%error, id = %event.id, "test gateway: webhook unreachable");
                    false
                }
            },
            Err(_) => false,
        };
        if delivered {
            on_db!(&state.db, pool => sqlx::query("UPDATE test_gateway_events SET delivered_at = $1 WHERE id = $2")
                .bind(Utc::now()).bind(&event.id).execute(pool).await.map(drop))?;
        } else {
            // Stripe retries for days; a few seconds, doubling, is enough to show it here.
            let wait = Duration::seconds(2_i64 << event.attempts.clamp(0, 10));
            on_db!(&state.db, pool => sqlx::query("UPDATE test_gateway_events SET next_attempt_at = $1 WHERE id = $2")
                .bind(Utc::now() + wait).bind(&event.id).execute(pool).await.map(drop))?;
        }
    }
    Ok(due.len())
}

inventory::submit! {
    Job { name: "test gateway: deliver events", schedule: Schedule::Worker, run: |state| Box::pin(run_delivery(state)) }
}

/// Runs until aborted, delivering events as they are queued and retrying those that failed; only
/// while the test gateway is the shop's payment provider.
async fn run_delivery(state: AppState) {
    if state.payments.provider != "test_gateway" {
        return;
    }
    loop {
        match deliver_due(&state).await {
            Ok(n) if n >= 20 => continue,
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "test gateway: events could not be read"),
        }
        tokio::select! {
            () = state.gateway_outbox.0.notified() => {}
            () = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
        }
    }
}
