//! Everything that only runs on the server: configuration, the database, sessions, the HTTP stack,
//! demo data. Feature folders reach it through [`state`] in their server functions.

pub mod config;
pub mod db;
pub mod demo;
pub mod http;
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
