//! Order server functions.

use super::OrderView;
use crate::error::AppError;
use leptos::prelude::*;

/// An order, for whoever holds its link's key or the account that placed it; anyone else is told
/// there is no such order, as if it did not exist.
#[server]
pub async fn fetch_order(number: String, key: Option<String>) -> Result<OrderView, AppError> {
    let state = crate::server::state()?;
    let user = crate::accounts::auth::current_user().await?;
    let viewer = super::repo::Viewer {
        key: key.as_deref().filter(|key| !key.is_empty()),
        user_id: user.map(|user| user.id),
    };
    super::repo::order_for(&state.db, number.trim(), &viewer)
        .await?
        .ok_or_else(|| AppError::not_found("That order"))
}
