//! The shopping cart. A guest's cart id lives in the session; a signed-in shopper's cart is theirs.

pub mod api;
#[cfg(feature = "ssr")]
pub mod repo;

/// Session key holding the id of the session's cart.
#[cfg(feature = "ssr")]
pub const SESSION_CART_ID: &str = "cart_id";
