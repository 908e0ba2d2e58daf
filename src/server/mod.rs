//! Everything that only runs on the server: configuration, the database, sessions, the HTTP stack,
//! demo data. Feature folders reach it through [`state`] in their server functions.

pub mod assets;
pub mod client_ip;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod http;
pub mod jobs;
pub mod leases;
pub mod limits;
pub mod mail;
pub mod media;
pub mod page_cache;
pub mod payments;
pub mod sessions;
pub mod shopper_changes;
pub mod test_gateway;
pub mod tokens;

use crate::error::AppError;
use config::{Config, Settings};
use db::Db;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// What every request handler and server function can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub config: Arc<Config>,
    pub settings: Arc<Settings>,
    pub limiter: Arc<limits::RateLimiter>,
    pub outbox: mail::Outbox,
    /// The search index's words, for spelling correction; reloaded when the catalog changes.
    pub vocabulary: Arc<crate::catalog::search::VocabularyCache>,
    pub catalog_cache: Arc<crate::catalog::cache::CatalogCache>,
    /// What each session's own parts of a kept page show, remembered between its requests.
    pub known_sessions: Arc<crate::components::personal::KnownSessions>,
    pub payments: Arc<payments::Payments>,
    /// Wakes the worker that applies the payment provider's events.
    pub events: crate::orders::webhook::EventInbox,
    /// Wakes the test gateway's delivery of events, when it is the provider.
    pub gateway_outbox: test_gateway::Outbox,
    /// How far the scheduled background jobs have run.
    pub jobs: jobs::Progress,
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The shared state, from inside a server function or a component rendering on the server.
///
/// Missing only where a page's client went away mid-render: the page's reactive owner is gone,
/// but a server function it had started still runs, and its answer goes nowhere. Not an error
/// worth a log line; within a live request the 500 it causes is logged with the request.
pub fn state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        tracing::debug!("AppState missing from the Leptos context: the page was abandoned");
        AppError::Internal
    })
}

/// A failure of the session store, as a shopper sees it: logged here, an internal error there.
pub fn session_error(error: impl std::fmt::Display) -> AppError {
    tracing::error!(%error, "session store failed");
    AppError::Internal
}

/// The session of the request being handled.
pub async fn session() -> Result<tower_sessions::Session, AppError> {
    leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|error| {
            tracing::error!(%error, "session unavailable");
            AppError::Internal
        })
}

/// Sets the HTTP status of the response being rendered, when there is one.
pub fn set_status(status: u16) {
    if let (Some(options), Ok(code)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        axum::http::StatusCode::from_u16(status),
    ) {
        options.set_status(code);
    }
}

/// Answers this request with a permanent redirect to `path` (the page rendered meanwhile is not
/// shown by any browser).
pub fn moved_permanently(path: &str) {
    if let (Some(options), Ok(location)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        axum::http::HeaderValue::from_str(path),
    ) {
        options.set_status(axum::http::StatusCode::MOVED_PERMANENTLY);
        options.insert_header(axum::http::header::LOCATION, location);
    }
}

/// Whether the request asks for a page (a browser's own request, or navigation.js's on its behalf)
/// rather than data.
pub fn accepts_html(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// Whether the form being handled was posted as a form, so it expects a page.
pub fn is_form_post() -> bool {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .is_some_and(|parts| accepts_html(&parts.headers))
}

/// The path of the server function whose form post redirected to the page being rendered.
pub fn succeeded_form() -> Option<String> {
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>()?;
    let succeeded = parts.extensions.get::<http::SucceededForm>()?;
    Some(succeeded.0.clone())
}

/// The path and query of the page the request came from, when the browser said and it is ours.
pub fn referring_path() -> Option<String> {
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>()?;
    let referer = parts
        .headers
        .get(axum::http::header::REFERER)?
        .to_str()
        .ok()?;
    let (_, rest) = referer.split_once("://")?;
    let path = &rest[rest.find('/')?..];
    let path = path.split_once('#').map_or(path, |(path, _)| path);
    Some(crate::accounts::safe_next(Some(path))).filter(|safe| safe == path)
}
