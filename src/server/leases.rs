//! Rows that workers take one at a time: the mail outbox and the payment provider's events. A
//! worker claims a row by moving its `next_attempt_at` past a lease, on condition that it still
//! holds the value the worker read, so two workers never take the same row and a worker that dies
//! mid-task leaves the row to be taken again when the lease runs out. A failure puts the row back
//! with a growing wait, or gives it up after its last attempt. [`Wakeup`] starts a worker when
//! work arrives and counts what it finished.

use super::db::Db;
use crate::on_db;
use chrono::{DateTime, Duration, Utc};

/// A table of leased rows; each has `id`, `status` (`pending` while due), `attempts`,
/// `next_attempt_at` and `last_error`.
#[derive(Clone, Copy, Debug)]
pub enum Queue {
    Mail,
    PaymentEvents,
}

impl Queue {
    fn table(self) -> &'static str {
        match self {
            Queue::Mail => "email_outbox",
            Queue::PaymentEvents => "webhook_events",
        }
    }
}

/// Takes the row for `lease`, counting an attempt; false when another worker took it first.
pub async fn claim(
    db: &Db,
    queue: Queue,
    id: i64,
    seen_next_attempt_at: DateTime<Utc>,
    lease: Duration,
) -> Result<bool, sqlx::Error> {
    // The lease counts from the claim: work earlier in a batch takes time.
    let sql = format!(
        "UPDATE {} SET next_attempt_at = $1, attempts = attempts + 1
         WHERE id = $2 AND status = 'pending' AND next_attempt_at = $3",
        queue.table()
    );
    let claimed = on_db!(db, pool => sqlx::query(&sql)
        .bind(db.now() + lease).bind(id).bind(seen_next_attempt_at)
        .execute(pool).await.map(|done| done.rows_affected()))?;
    Ok(claimed == 1)
}

/// After failed attempt number `attempt`: due again after [`backoff`], or `failed` for good once
/// it was the last of `max_attempts`.
pub async fn retry_later(
    db: &Db,
    queue: Queue,
    id: i64,
    attempt: i64,
    max_attempts: i64,
    error: &str,
) -> Result<(), sqlx::Error> {
    let status = if attempt >= max_attempts {
        "failed"
    } else {
        "pending"
    };
    let sql = format!(
        "UPDATE {} SET status = $1, next_attempt_at = $2, last_error = $3 WHERE id = $4",
        queue.table()
    );
    on_db!(db, pool => sqlx::query(&sql)
        .bind(status).bind(db.now() + backoff(attempt)).bind(error).bind(id)
        .execute(pool).await.map(drop))
}

/// 1, 2, 4 … minutes after each failed attempt, at most 2 hours.
pub fn backoff(attempt: i64) -> Duration {
    Duration::minutes(1_i64 << attempt.clamp(1, 8).saturating_sub(1)).min(Duration::hours(2))
}

/// Wakes a worker when work arrives, so it starts at once rather than at its next poll, and counts
/// the work it has finished, for whoever waits on that (the tests).
#[derive(Clone, Debug)]
pub struct Wakeup {
    arrived: std::sync::Arc<tokio::sync::Notify>,
    finished: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
}

impl Default for Wakeup {
    fn default() -> Self {
        Wakeup {
            arrived: Default::default(),
            finished: std::sync::Arc::new(tokio::sync::watch::Sender::new(0)),
        }
    }
}

impl Wakeup {
    /// Work has arrived (after the commit that made it).
    pub fn wake(&self) {
        self.arrived.notify_one();
    }

    /// For the worker: until work arrives.
    pub async fn arrived(&self) {
        self.arrived.notified().await;
    }

    /// For the worker: `count` more pieces of work are done.
    pub fn finished(&self, count: u64) {
        self.finished.send_modify(|done| *done += count);
    }

    /// Changes each time the worker has finished work.
    pub fn done(&self) -> tokio::sync::watch::Receiver<u64> {
        self.finished.subscribe()
    }
}
