use crate::error::AppError;
use leptos::prelude::*;

/// How many items are in the current session's cart, for the header.
#[server]
pub async fn cart_count() -> Result<u32, AppError> {
    let state = crate::server::state()?;
    let session = crate::server::session().await?;
    let cart_id: Option<i64> = session.get(super::SESSION_CART_ID).await.map_err(|error| {
        tracing::error!(%error, "session could not be read");
        AppError::Internal
    })?;
    match cart_id {
        Some(cart_id) => Ok(super::repo::item_count(&state.db, cart_id).await?),
        None => Ok(0),
    }
}
