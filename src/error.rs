//! The one error type that crosses the wire. Every variant's message is safe to show a shopper;
//! anything internal is logged on the server and reaches the browser only as [`AppError::Internal`].

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("Please sign in to continue.")]
    Unauthorized,
    #[error("You do not have permission to do that.")]
    Forbidden,
    #[error("{0} was not found.")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request never reached the server function, or its answer could not be read.
    #[error("The shop could not be reached. Check your connection and try again.")]
    Transport,
}

impl AppError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        AppError::BadRequest(message.into())
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        AppError::NotFound(what.into())
    }

    pub fn too_many_requests() -> Self {
        AppError::TooManyRequests("Too many requests. Please wait a moment and try again.".into())
    }

    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest(_) => 400,
            AppError::Unauthorized => 401,
            AppError::Forbidden => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::TooManyRequests(_) => 429,
            AppError::Internal | AppError::Transport => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(message)
            | ServerFnErrorErr::MissingArg(message)
            | ServerFnErrorErr::Deserialization(message) => {
                AppError::BadRequest(format!("The request was not understood: {message}"))
            }
            ServerFnErrorErr::ServerError(_) => AppError::Internal,
            _ => AppError::Transport,
        }
    }
}

#[cfg(feature = "ssr")]
mod server {
    use super::AppError;

    impl From<sqlx::Error> for AppError {
        fn from(error: sqlx::Error) -> Self {
            match error {
                sqlx::Error::RowNotFound => AppError::not_found("That item"),
                other => {
                    tracing::error!(error = %other, "database error");
                    AppError::Internal
                }
            }
        }
    }
}
