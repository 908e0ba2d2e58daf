//! A product's variants as staff edit them: what is bought and stocked, each with its SKU, name,
//! price, "was" price and low-stock threshold, in the order the product page lists them.

use crate::money::Money;
use serde::{Deserialize, Serialize};
#[cfg(feature = "ssr")]
use {crate::error::AppError, crate::money::Currency};

pub const SKU_MAX: usize = 64;
pub const TITLE_MAX: usize = 100;
/// The highest price a variant can have, in whole units of the currency.
pub const PRICE_MAX_UNITS: i64 = 1_000_000;
pub const THRESHOLD_MAX: i32 = 100_000;

/// A variant's fields as the form sends them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VariantFields {
    pub sku: String,
    pub title: String,
    pub price: String,
    /// Blank: no "was" price.
    pub compare_at: String,
    pub low_stock_threshold: String,
}

/// A variant's fields, checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VariantDraft {
    pub sku: String,
    pub title: String,
    pub price: Money,
    pub compare_at: Option<Money>,
    pub low_stock_threshold: i32,
}

#[cfg(feature = "ssr")]
fn amount(text: &str, what: &str, currency: Currency) -> Result<Money, AppError> {
    let money = Money::parse_decimal(text, currency)
        .map_err(|error| AppError::bad_request(format!("The {what}: {error}.")))?;
    let max = PRICE_MAX_UNITS * 10_i64.pow(currency.exponent());
    if money.minor < 0 || money.minor > max {
        return Err(AppError::bad_request(format!(
            "The {what} must be between 0 and {PRICE_MAX_UNITS}."
        )));
    }
    Ok(money)
}

#[cfg(feature = "ssr")]
impl VariantFields {
    pub fn check(&self, currency: Currency) -> Result<VariantDraft, AppError> {
        let sku = self.sku.trim().to_uppercase();
        let sku_ok = !sku.is_empty()
            && sku.len() <= SKU_MAX
            && sku
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !sku_ok {
            return Err(AppError::bad_request(format!(
                "A SKU is up to {SKU_MAX} letters, digits, hyphens, underscores or dots, like LAMP-BRASS-01."
            )));
        }
        let title = self.title.trim().to_owned();
        if title.is_empty()
            || title.chars().count() > TITLE_MAX
            || title.chars().any(char::is_control)
        {
            return Err(AppError::bad_request(format!(
                "Name the variant (Large, Blue, Default) in up to {TITLE_MAX} characters."
            )));
        }
        let price = amount(&self.price, "price", currency)?;
        let compare_at = match self.compare_at.trim() {
            "" => None,
            text => Some(amount(text, "\"was\" price", currency)?),
        };
        if compare_at.is_some_and(|was| was.minor <= price.minor) {
            return Err(AppError::bad_request(
                "A \"was\" price is higher than the price; leave it blank otherwise.",
            ));
        }
        let low_stock_threshold = match self.low_stock_threshold.trim() {
            "" => 5,
            text => text
                .parse::<i32>()
                .ok()
                .filter(|n| (0..=THRESHOLD_MAX).contains(n))
                .ok_or_else(|| {
                    AppError::bad_request(format!(
                        "The low-stock threshold is a whole number from 0 to {THRESHOLD_MAX}."
                    ))
                })?,
        };
        Ok(VariantDraft {
            sku,
            title,
            price,
            compare_at,
            low_stock_threshold,
        })
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    fn fields() -> VariantFields {
        VariantFields {
            sku: " lamp-brass-01 ".into(),
            title: " Large ".into(),
            price: "45.50".into(),
            compare_at: "".into(),
            low_stock_threshold: "".into(),
        }
    }

    #[test]
    fn a_variant_is_checked_into_minor_units_with_a_default_threshold() {
        let draft = fields().check(Currency::EUR).unwrap();
        assert_eq!(draft.sku, "LAMP-BRASS-01");
        assert_eq!(draft.title, "Large");
        assert_eq!(draft.price, Money::new(4550, Currency::EUR));
        assert_eq!(draft.compare_at, None);
        assert_eq!(draft.low_stock_threshold, 5);
        let was = VariantFields {
            compare_at: "60".into(),
            low_stock_threshold: "0".into(),
            ..fields()
        };
        let draft = was.check(Currency::EUR).unwrap();
        assert_eq!(draft.compare_at, Some(Money::new(6000, Currency::EUR)));
        assert_eq!(draft.low_stock_threshold, 0);
    }

    #[test]
    fn fields_that_cannot_be_sold_as_typed_are_refused() {
        let cases: [fn(&mut VariantFields); 10] = [
            |f| f.sku = "".into(),
            |f| f.sku = "LAMP 01".into(),
            |f| f.sku = "L".repeat(SKU_MAX + 1),
            |f| f.title = " ".into(),
            |f| f.price = "12.345".into(),
            |f| f.price = "-1".into(),
            |f| f.price = "1000001".into(),
            |f| f.compare_at = "45.50".into(),
            |f| f.low_stock_threshold = "-1".into(),
            |f| f.low_stock_threshold = "many".into(),
        ];
        for change in cases {
            let mut fields = fields();
            change(&mut fields);
            assert!(fields.check(Currency::EUR).is_err(), "{fields:?}");
        }
    }
}
