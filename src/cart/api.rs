//! Cart server functions. Each answers with the cart's new item count, for the header.

use super::CartView;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
pub(crate) mod session_cart {
    use crate::error::AppError;
    use tower_sessions::Session;

    /// The session's cart, if it has one (and its sign-in, if any, still stands).
    pub async fn existing() -> Result<Option<i64>, AppError> {
        Ok(crate::accounts::auth::shopper().await?.cart_id)
    }

    /// The session's cart, made on first use.
    pub async fn get_or_create(
        session: &Session,
        db: &crate::server::db::Db,
    ) -> Result<i64, AppError> {
        let shopper = crate::accounts::auth::shopper().await?;
        if let Some(id) = shopper.cart_id {
            return Ok(id);
        }
        let owner = shopper.user.map(|user| user.id);
        let id = super::super::repo::create(db, owner).await?;
        crate::server::sessions::SessionState::update(session, |kept| kept.cart_id = Some(id))
            .await?;
        crate::accounts::auth::forget_shopper().await;
        Ok(id)
    }

    pub fn refused(error: super::super::repo::CartError) -> AppError {
        use super::super::repo::CartError;
        match error {
            CartError::Unknown => AppError::not_found("That product"),
            CartError::NotEnoughStock { available: 0, .. } => {
                AppError::Conflict("Sorry, that is out of stock.".into())
            }
            CartError::NotEnoughStock {
                available,
                in_cart: 0,
            } => AppError::Conflict(format!(
                "Only {available} left in stock; choose {available} or fewer."
            )),
            CartError::NotEnoughStock { available, in_cart } => AppError::Conflict(format!(
                "Only {available} left in stock, and {in_cart} already in your cart."
            )),
        }
    }
}

/// How many items are in the current session's cart, for the header.
#[server(input = GetUrl)]
pub async fn cart_count() -> Result<u32, AppError> {
    let state = crate::server::state()?;
    match session_cart::existing().await? {
        Some(cart_id) => Ok(super::repo::item_count(&state.db, cart_id).await?),
        None => Ok(0),
    }
}

#[server(input = GetUrl)]
pub async fn fetch_cart() -> Result<CartView, AppError> {
    let state = crate::server::state()?;
    let cart_id = session_cart::existing().await?;
    Ok(super::repo::view(&state.db, cart_id, state.settings.shop.currency).await?)
}

#[server]
pub async fn add_to_cart(variant_id: i64, quantity: String) -> Result<u32, AppError> {
    let quantity = super::Quantity::to_add(&quantity)?;
    let state = crate::server::state()?;
    let session = crate::server::session().await?;
    let cart_id = session_cart::get_or_create(&session, &state.db).await?;
    super::repo::add(&state.db, cart_id, variant_id, quantity)
        .await?
        .map_err(session_cart::refused)?;
    Ok(super::repo::item_count(&state.db, cart_id).await?)
}

#[server]
pub async fn update_cart_line(variant_id: i64, quantity: String) -> Result<u32, AppError> {
    let quantity = super::Quantity::to_set(&quantity)?;
    let state = crate::server::state()?;
    let cart_id = session_cart::existing()
        .await?
        .ok_or_else(|| AppError::not_found("That cart line"))?;
    super::repo::set_quantity(&state.db, cart_id, variant_id, quantity)
        .await?
        .map_err(session_cart::refused)?;
    Ok(super::repo::item_count(&state.db, cart_id).await?)
}

#[server]
pub async fn remove_cart_line(variant_id: i64) -> Result<u32, AppError> {
    let state = crate::server::state()?;
    let cart_id = session_cart::existing()
        .await?
        .ok_or_else(|| AppError::not_found("That cart line"))?;
    super::repo::remove(&state.db, cart_id, variant_id)
        .await?
        .map_err(session_cart::refused)?;
    Ok(super::repo::item_count(&state.db, cart_id).await?)
}
