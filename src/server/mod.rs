//! Everything that only runs on the server: configuration, the database, sessions, the HTTP stack,
//! demo data. Feature folders reach it through [`state`] in their server functions.

pub mod config;
pub mod db;
pub mod demo;
pub mod http;
pub mod limits;
pub mod mail;
pub mod sessions;

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
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The shared state, from inside a server function or a component rendering on the server.
pub fn state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        AppError::Internal
    })
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

/// A server function's result, with an error's HTTP status on the response: 400 for bad input,
/// 404, 409 and so on, not a blanket 500. A plain form post (no JavaScript) keeps the redirect back
/// to its page that carries the error instead.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result {
        let form_post =
            leptos::prelude::use_context::<axum::http::request::Parts>().is_some_and(|parts| {
                parts
                    .headers
                    .get(axum::http::header::ACCEPT)
                    .and_then(|accept| accept.to_str().ok())
                    .is_some_and(|accept| accept.contains("text/html"))
            });
        if !form_post {
            set_status(error.status());
        }
    }
    result
}
