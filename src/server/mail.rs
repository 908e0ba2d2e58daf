//! The mail outbox. Mail is a row written in the same transaction as the event that causes it, so
//! a rolled-back sign-up sends nothing and a committed one always sends. A background worker
//! delivers due rows over SMTP (lettre) when `SMTP_URL` is set, retrying with backoff and keeping
//! the last error; without it, mail stays in a development mailbox at `/dev/mailbox`.

use super::AppState;
use super::client_ip::ClientIp;
use super::config::Secret;
use super::db::{Db, Tx};
use super::jobs::{Job, Schedule};
use super::leases::{self, Queue};
use crate::{in_tx, on_db, on_readers};
use axum::Router;
use axum::extract::{Extension, Path, State};
use axum::http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Duration, Utc};

/// Attempts before a message is given up as failed.
const MAX_ATTEMPTS: i64 = 8;
/// How long a claimed message is left alone by other workers while it is being sent.
const LEASE_SECS: i64 = 120;

/// A message ready for the outbox.
#[derive(Clone, Debug)]
pub struct Mail {
    pub to: String,
    pub template: &'static str,
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub async fn enqueue(tx: &mut Tx, mail: &Mail) -> Result<(), sqlx::Error> {
    let now = tx.now();
    in_tx!(tx, conn => sqlx::query(
        "INSERT INTO email_outbox (to_address, template, subject, body_text, body_html, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)"
    )
    .bind(&mail.to)
    .bind(mail.template)
    .bind(&mail.subject)
    .bind(&mail.text)
    .bind(&mail.html)
    .bind(now)
    .execute(conn)
    .await
    .map(drop))
}

/// Wakes the worker after a commit that queued mail, so it goes out at once instead of at the next
/// poll, and counts the messages it has sent.
pub type Outbox = leases::Wakeup;

enum Transport {
    Smtp(lettre::AsyncSmtpTransport<lettre::Tokio1Executor>),
    /// Kept for `/dev/mailbox`: delivery only marks the row sent.
    Mailbox,
}

#[derive(Debug, sqlx::FromRow)]
struct Due {
    id: i64,
    to_address: String,
    subject: String,
    body_text: String,
    body_html: String,
    attempts: i64,
    next_attempt_at: DateTime<Utc>,
}

inventory::submit! {
    Job {
        name: "deliver mail",
        schedule: Schedule::Worker,
        run: |state| Box::pin(run_worker(
            state.db.clone(),
            state.config.smtp_url.clone(),
            state.settings.mail.from.clone(),
            state.outbox.clone(),
        )),
    }
}

/// Runs until the task is aborted, delivering due mail.
async fn run_worker(db: Db, smtp_url: Option<Secret>, from: String, outbox: Outbox) {
    let transport = match smtp_url {
        Some(url) => {
            match lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url.expose()) {
                Ok(builder) => Transport::Smtp(builder.build()),
                Err(error) => {
                    tracing::error!(%error, "SMTP_URL could not be used; mail stays in the outbox");
                    return;
                }
            }
        }
        None => Transport::Mailbox,
    };
    loop {
        match deliver_due(&db, &transport, &from, &outbox).await {
            // A full batch means more may be waiting.
            Ok(sent) if sent >= 20 => continue,
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "mail outbox could not be read"),
        }
        tokio::select! {
            () = outbox.arrived() => {}
            () = tokio::time::sleep(std::time::Duration::from_secs(10)) => {}
        }
    }
}

async fn deliver_due(
    db: &Db,
    transport: &Transport,
    from: &str,
    outbox: &Outbox,
) -> Result<usize, sqlx::Error> {
    let now = db.now();
    let due: Vec<Due> = on_readers!(db, pool => sqlx::query_as(
        "SELECT id, to_address, subject, body_text, body_html, CAST(attempts AS BIGINT) AS attempts, next_attempt_at
         FROM email_outbox WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT 20"
    ).bind(now).fetch_all(pool).await)?;
    let count = due.len();
    for mail in due {
        let lease = Duration::seconds(LEASE_SECS);
        if !leases::claim(db, Queue::Mail, mail.id, mail.next_attempt_at, lease).await? {
            continue;
        }
        let attempt = mail.attempts + 1;
        match send(transport, from, &mail).await {
            // Sent for real, its body (a reset or invitation link, an order's address) has no
            // reason to stay; the mailbox keeps it, since that is where it is read.
            Ok(()) => {
                let keep_body = matches!(transport, Transport::Mailbox);
                on_db!(db, pool => sqlx::query(
                    "UPDATE email_outbox SET status = 'sent', sent_at = $1, last_error = NULL,
                         body_text = CASE WHEN $3 THEN body_text ELSE '' END,
                         body_html = CASE WHEN $3 THEN body_html ELSE '' END
                     WHERE id = $2"
                )
                .bind(db.now()).bind(mail.id).bind(keep_body).execute(pool).await.map(drop))?;
                outbox.finished(1);
            }
            Err(error) => {
                tracing::warn!(id = mail.id, attempt, %error, "mail delivery failed");
                leases::retry_later(db, Queue::Mail, mail.id, attempt, MAX_ATTEMPTS, &error)
                    .await?;
            }
        }
    }
    Ok(count)
}

async fn send(transport: &Transport, from: &str, mail: &Due) -> Result<(), String> {
    use lettre::AsyncTransport;
    use lettre::message::{Message, MultiPart};
    match transport {
        Transport::Mailbox => Ok(()),
        Transport::Smtp(smtp) => {
            let message = Message::builder()
                .from(from.parse().map_err(|e| format!("from address: {e}"))?)
                .to(mail
                    .to_address
                    .parse()
                    .map_err(|e| format!("to address: {e}"))?)
                .subject(&mail.subject)
                .multipart(MultiPart::alternative_plain_html(
                    mail.body_text.clone(),
                    mail.body_html.clone(),
                ))
                .map_err(|e| e.to_string())?;
            smtp.send(message)
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }
    }
}

/// `/dev/mailbox` is open only outside production and only while mail is not sent for real, and
/// then only to this machine (unless `PUBLIC_DEMO`), because it shows every reset link.
fn mailbox_open(state: &AppState, client: ClientIp) -> bool {
    !state.config.production
        && state.config.smtp_url.is_none()
        && ((client.ip.is_loopback() && !client.unvouched_forwarding) || state.config.public_demo)
}

/// `/dev/mailbox`: every message the shop has written, newest first.
pub fn mailbox_routes() -> Router<AppState> {
    Router::new()
        .route("/dev/mailbox", get(mailbox))
        .route("/dev/mailbox/{id}", get(mailbox_message))
}

#[derive(sqlx::FromRow)]
struct Listed {
    id: i64,
    to_address: String,
    subject: String,
    status: String,
    created_at: DateTime<Utc>,
}

fn html_page(status: StatusCode, body: String, csp: &'static str) -> Response {
    (
        status,
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp)),
        ],
        body,
    )
        .into_response()
}

const MAILBOX_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'";

async fn mailbox(
    State(state): State<AppState>,
    Extension(client): Extension<ClientIp>,
) -> Response {
    if !mailbox_open(&state, client) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let rows: Result<Vec<Listed>, sqlx::Error> = on_db!(&state.db, pool => sqlx::query_as(
        "SELECT id, to_address, subject, status, created_at FROM email_outbox ORDER BY id DESC LIMIT 200"
    ).fetch_all(pool).await);
    let Ok(rows) = rows else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let items: String = rows
        .iter()
        .map(|row| {
            format!(
                "<li><a href=\"/dev/mailbox/{}\">{}</a> <span>to {}</span> <small>{} · {}</small></li>",
                row.id,
                escape(&row.subject),
                escape(&row.to_address),
                row.created_at.format("%Y-%m-%d %H:%M:%S"),
                escape(&row.status)
            )
        })
        .collect();
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Development mailbox</title></head>\
         <body style=\"font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem\">\
         <h1>Development mailbox</h1><p>Mail the shop would have sent. This page does not exist in production.</p>\
         <ol reversed>{items}</ol></body></html>"
    );
    html_page(StatusCode::OK, body, MAILBOX_CSP)
}

async fn mailbox_message(
    State(state): State<AppState>,
    Extension(client): Extension<ClientIp>,
    Path(id): Path<i64>,
) -> Response {
    if !mailbox_open(&state, client) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let html: Result<Option<String>, sqlx::Error> = on_db!(&state.db, pool => sqlx::query_scalar(
        "SELECT body_html FROM email_outbox WHERE id = $1"
    ).bind(id).fetch_optional(pool).await);
    match html {
        Ok(Some(html)) => html_page(StatusCode::OK, html, MAILBOX_CSP),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// Escapes text for HTML element content and quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(super::super::leases::backoff(1).num_minutes(), 1);
        assert_eq!(super::super::leases::backoff(2).num_minutes(), 2);
        assert_eq!(super::super::leases::backoff(4).num_minutes(), 8);
        assert_eq!(super::super::leases::backoff(30).num_minutes(), 120);
    }

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            super::escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
