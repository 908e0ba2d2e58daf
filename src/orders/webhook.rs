//! `POST /stripe/webhook`: the payment provider's events. The body is verified against the
//! `Stripe-Signature` header, stored once by event id and answered at once; a worker applies the
//! stored events (`orders::payments`), claiming each with a lease as the mail outbox does, so a
//! crash mid-apply is retried and two workers never apply one event.

use super::payments::{self, Applied, IntentUpdate};
use crate::accounts::emails::Letterhead;
use crate::server::AppState;
use crate::server::db::Db;
use crate::server::jobs::{Job, Schedule};
use crate::server::leases::{self, Queue};
use crate::{on_db, on_readers};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::{Duration, Utc};

pub const PATH: &str = "/stripe/webhook";
/// Events are a few kilobytes; this is far above any.
const BODY_LIMIT: usize = 256 * 1024;
/// How old a signature may be, as Stripe's own libraries allow.
pub const TOLERANCE_SECS: i64 = 300;
const LEASE_SECS: i64 = 60;
const MAX_ATTEMPTS: i64 = 12;

/// Wakes the worker when an event arrives, and counts the events it has applied.
pub type EventInbox = crate::server::leases::Wakeup;

/// The webhook's route. It sits outside the session layer and the write guard (no browser sends
/// it, so no Origin check or per-IP limit applies): the signature is its authentication.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, post(receive))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers
        .get("stripe-signature")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let Ok(text) = std::str::from_utf8(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    if let Err(problem) = crate::server::payments::verify(text, signature, &state.payments) {
        tracing::warn!(%problem, "webhook refused");
        return StatusCode::BAD_REQUEST;
    }
    let Ok(event) = serde_json::from_str::<serde_json::Value>(text) else {
        return StatusCode::BAD_REQUEST;
    };
    let (Some(id), Some(kind)) = (event["id"].as_str(), event["type"].as_str()) else {
        return StatusCode::BAD_REQUEST;
    };
    match store(&state.db, id, kind, text).await {
        Ok(()) => {
            state.events.wake();
            StatusCode::OK
        }
        Err(error) => {
            tracing::error!(%error, "webhook event could not be stored");
            // The provider sends it again later.
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

/// Stores an event once: the same id again changes nothing.
async fn store(db: &Db, id: &str, kind: &str, payload: &str) -> Result<(), sqlx::Error> {
    let now = db.now();
    on_db!(db, pool => sqlx::query(
        "INSERT INTO webhook_events (provider_event_id, event_type, payload, next_attempt_at, received_at)
         VALUES ($1, $2, $3, $4, $4) ON CONFLICT (provider_event_id) DO NOTHING"
    ).bind(id).bind(kind).bind(payload).bind(now).execute(pool).await.map(drop))
}

/// What one stored event means to the shop.
async fn apply_event(
    db: &Db,
    letterhead: &Letterhead<'_>,
    event: &serde_json::Value,
) -> Result<Applied, sqlx::Error> {
    {
        let object = &event["data"]["object"];
        let created = event["created"].as_i64().unwrap_or(0);
        let intent_of = |object: &serde_json::Value| {
            object["payment_intent"]
                .as_str()
                .map(str::to_owned)
                .or_else(|| object["payment_intent"]["id"].as_str().map(str::to_owned))
        };
        match event["type"].as_str().unwrap_or_default() {
            "payment_intent.succeeded"
            | "payment_intent.payment_failed"
            | "payment_intent.processing"
            | "payment_intent.canceled"
            | "payment_intent.requires_action" => {
                let (Some(id), Some(status)) = (object["id"].as_str(), object["status"].as_str())
                else {
                    return Ok(Applied::Nothing);
                };
                let update = IntentUpdate {
                    intent_id: id.to_owned(),
                    status: status.to_owned(),
                    last_error: object["last_payment_error"]["message"]
                        .as_str()
                        .map(str::to_owned),
                    event_created: created,
                };
                payments::apply_intent(db, letterhead, &update).await
            }
            "charge.refunded" => match (intent_of(object), object["amount_refunded"].as_i64()) {
                (Some(intent), Some(refunded)) => {
                    payments::apply_refunds(db, &intent, refunded, created).await
                }
                _ => Ok(Applied::Nothing),
            },
            "refund.updated" if object["status"].as_str() == Some("failed") => {
                match intent_of(object) {
                    Some(intent) => {
                        payments::flag_payment(
                            db,
                            &intent,
                            "A refund failed at the payment provider.",
                        )
                        .await
                    }
                    None => Ok(Applied::Nothing),
                }
            }
            "charge.dispute.created" => match intent_of(object) {
                Some(intent) => {
                    payments::flag_payment(db, &intent, "The shopper's bank disputes the payment.")
                        .await
                }
                None => Ok(Applied::Nothing),
            },
            _ => Ok(Applied::Nothing),
        }
    }
}

#[derive(sqlx::FromRow)]
struct Due {
    id: i64,
    payload: String,
    attempts: i64,
    next_attempt_at: chrono::DateTime<Utc>,
}

/// Applies the events due now; answers how many it claimed.
pub async fn apply_due(db: &Db, letterhead: &Letterhead<'_>) -> Result<usize, sqlx::Error> {
    let due: Vec<Due> = on_readers!(db, pool => sqlx::query_as(
        "SELECT id, payload, CAST(attempts AS BIGINT) AS attempts, next_attempt_at FROM webhook_events
         WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY id LIMIT 50"
    ).bind(db.now()).fetch_all(pool).await)?;
    let count = due.len();
    for event in due {
        let lease = Duration::seconds(LEASE_SECS);
        if !leases::claim(
            db,
            Queue::PaymentEvents,
            event.id,
            event.next_attempt_at,
            lease,
        )
        .await?
        {
            continue;
        }
        let parsed: serde_json::Value = serde_json::from_str(&event.payload).unwrap_or_default();
        let outcome = apply_event(db, letterhead, &parsed).await;
        let attempt = event.attempts + 1;
        match outcome {
            Ok(applied) => {
                tracing::info!(
                    id = event.id,
                    kind = parsed["type"].as_str(),
                    ?applied,
                    "webhook event applied"
                );
                on_db!(db, pool => sqlx::query(
                    "UPDATE webhook_events SET status = 'processed', processed_at = $1, last_error = NULL WHERE id = $2"
                ).bind(db.now()).bind(event.id).execute(pool).await.map(drop))?;
            }
            Err(error) => {
                tracing::warn!(id = event.id, attempt, %error, "webhook event failed; retrying later");
                let error = error.to_string();
                leases::retry_later(
                    db,
                    Queue::PaymentEvents,
                    event.id,
                    attempt,
                    MAX_ATTEMPTS,
                    &error,
                )
                .await?;
            }
        }
    }
    Ok(count)
}

inventory::submit! {
    Job { name: "apply payment events", schedule: Schedule::Worker, run: |state| Box::pin(run_worker(state)) }
}

/// Runs until aborted, applying events as they arrive and every few seconds.
async fn run_worker(state: AppState) {
    let letterhead = Letterhead::of(&state);
    loop {
        match apply_due(&state.db, &letterhead).await {
            Ok(claimed) => {
                if claimed > 0 {
                    state.outbox.wake();
                    state.events.finished(claimed as u64);
                }
                if claimed >= 50 {
                    continue;
                }
            }
            Err(error) => tracing::error!(%error, "webhook events could not be read"),
        }
        tokio::select! {
            () = state.events.arrived() => {}
            () = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
        }
    }
}
