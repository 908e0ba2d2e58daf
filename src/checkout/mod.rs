//! Checkout: from the cart to a placed order. The page asks for an email, a delivery address and
//! method, an optional promo code, and shows what it all costs, computed on the server from the
//! database. Placing the order reserves its stock; payment follows on the order's page.

pub mod api;
pub mod pages;
pub mod pricing;
#[cfg(feature = "ssr")]
pub mod repo;

use crate::accounts::AddressView;
use crate::cart::CartLine;
use crate::error::AppError;
use crate::money::Money;
use serde::{Deserialize, Serialize};

/// What an order costs, each part in the shop's currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub subtotal: Money,
    pub discount: Money,
    pub shipping: Money,
    /// Included in `total` when prices include tax; added into it otherwise.
    pub tax: Money,
    pub total: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountryOption {
    pub code: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingOption {
    pub code: String,
    pub name: String,
    /// What it costs this order: zero when it is free from a threshold the order reaches.
    pub price: Money,
}

/// The checkout page's choices as they arrive in its address (`?country=FR&shipping=…&promo=…`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutChoices {
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub shipping: Option<String>,
    #[serde(default)]
    pub promo: Option<String>,
}

/// Everything the checkout page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutView {
    pub lines: Vec<CartLine>,
    /// Prefilled when signed in.
    pub email: Option<String>,
    pub signed_in: bool,
    pub countries: Vec<CountryOption>,
    pub country: String,
    pub shipping_options: Vec<ShippingOption>,
    pub shipping: String,
    /// The promo code that applies, as the shop knows it.
    pub promo: Option<String>,
    /// Why the promo code typed does not apply.
    pub promo_problem: Option<String>,
    /// The signed-in shopper's saved addresses in the chosen country.
    pub saved_addresses: Vec<AddressView>,
    pub totals: Totals,
    pub prices_include_tax: bool,
    /// The tax rate, as shown: "20 %".
    pub tax_rate: String,
    /// The one-time key of this checkout form; sending it twice places one order.
    pub checkout_key: String,
}

/// A delivery or billing address as the order keeps it: a copy, whatever later happens to the
/// address book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostalAddress {
    pub full_name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
    pub phone: Option<String>,
}

impl From<AddressView> for PostalAddress {
    fn from(address: AddressView) -> Self {
        PostalAddress {
            full_name: address.full_name,
            line1: address.line1,
            line2: address.line2,
            city: address.city,
            region: address.region,
            postal_code: address.postal_code,
            country: address.country,
            phone: address.phone,
        }
    }
}

impl PostalAddress {
    /// The address as lines to print on a label.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![self.full_name.clone(), self.line1.clone()];
        lines.extend(self.line2.clone());
        let town = match &self.region {
            Some(region) => format!("{} {}, {region}", self.postal_code, self.city),
            None => format!("{} {}", self.postal_code, self.city),
        };
        lines.push(town);
        lines.push(self.country.clone());
        lines.extend(self.phone.clone());
        lines
    }
}

/// The address fields of the checkout form, unchecked; `checkout[shipping_address][line1]` and so on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressFields {
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub phone: String,
}

/// The checkout form as submitted, unchecked. Amounts are not among its fields, except the total
/// the shopper saw, which is only compared: an order is never placed at a total they did not see.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutForm {
    #[serde(default)]
    pub checkout_key: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub shipping: String,
    #[serde(default)]
    pub promo: String,
    /// The total shown, in minor units.
    #[serde(default)]
    pub seen_total: String,
    /// A saved address's id, or empty (or "new") for the fields below.
    #[serde(default)]
    pub saved_address: String,
    #[serde(default)]
    pub shipping_address: AddressFields,
    /// A checkbox: present when ticked.
    #[serde(default)]
    pub save_address: Option<String>,
    /// A checkbox: present when the billing address is the delivery address.
    #[serde(default)]
    pub billing_same: Option<String>,
    #[serde(default)]
    pub billing_address: AddressFields,
    #[serde(default)]
    pub billing_country: String,
}

/// A promo code as a shopper types it: trimmed and upper-cased, 3 to 32 letters, digits, `-` or `_`.
pub fn parse_promo_code(text: &str) -> Result<Option<String>, AppError> {
    let code = text.trim().to_uppercase();
    if code.is_empty() {
        return Ok(None);
    }
    let valid = (3..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if valid {
        Ok(Some(code))
    } else {
        Err(AppError::bad_request("That promo code does not exist."))
    }
}

/// "20 %", "5.5 %" from basis points.
pub fn percent_label(basis_points: u32) -> String {
    let whole = basis_points / 100;
    match basis_points % 100 {
        0 => format!("{whole} %"),
        rest if rest % 10 == 0 => format!("{whole}.{} %", rest / 10),
        rest => format!("{whole}.{rest:02} %"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promo_codes_are_normalised_or_refused() {
        assert_eq!(
            parse_promo_code("  welcome10 "),
            Ok(Some("WELCOME10".into()))
        );
        assert_eq!(parse_promo_code(""), Ok(None));
        for bad in ["AB", "NO SPACES", "ÉTÉ2026", &"X".repeat(33), "a;drop"] {
            assert!(parse_promo_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn percentages_read_as_people_write_them() {
        assert_eq!(percent_label(2000), "20 %");
        assert_eq!(percent_label(550), "5.5 %");
        assert_eq!(percent_label(1925), "19.25 %");
        assert_eq!(percent_label(0), "0 %");
    }
}
