//! The shopping cart. A guest's cart id lives in the session; a signed-in shopper's cart is theirs.
//! The cart never promises more than is in stock, but holds none: stock is taken at checkout.

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod repo;

use crate::catalog::Image;
use crate::error::AppError;
use crate::money::Money;
use serde::{Deserialize, Serialize};

/// Most of one item a cart line may hold.
pub const MAX_QUANTITY: u32 = 99;

/// A quantity a shopper typed, checked: a whole number from `min` to 99.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quantity(pub u32);

impl Quantity {
    /// At least one: for adding to the cart.
    pub fn to_add(text: &str) -> Result<Quantity, AppError> {
        Self::parse(text, 1)
    }

    /// Zero removes the line: for changing a quantity in the cart.
    pub fn to_set(text: &str) -> Result<Quantity, AppError> {
        Self::parse(text, 0)
    }

    fn parse(text: &str, min: u32) -> Result<Quantity, AppError> {
        match text.trim().parse::<u32>() {
            Ok(n) if (min..=MAX_QUANTITY).contains(&n) => Ok(Quantity(n)),
            _ => Err(AppError::bad_request(format!(
                "Quantity must be a whole number from {min} to {MAX_QUANTITY}."
            ))),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    pub variant_id: i64,
    pub product_slug: String,
    pub product_name: String,
    /// The variant's title, or `None` when the product has just one.
    pub variant_title: Option<String>,
    pub image: Option<Image>,
    pub unit_price: Money,
    pub quantity: u32,
    pub line_total: Money,
    /// How many are in stock now; less than `quantity` when stock ran out after adding.
    pub available: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartView {
    pub lines: Vec<CartLine>,
    pub subtotal: Money,
    pub item_count: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_whole_numbers_in_range() {
        assert_eq!(Quantity::to_add(" 3 "), Ok(Quantity(3)));
        assert_eq!(Quantity::to_set("0"), Ok(Quantity(0)));
        for bad in ["0", "-1", "100", "1.5", "two", "", "99999999999"] {
            let error = Quantity::to_add(bad).expect_err(bad);
            assert_eq!(
                error,
                AppError::bad_request("Quantity must be a whole number from 1 to 99.")
            );
        }
    }
}
