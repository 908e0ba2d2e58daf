//! The arithmetic of an order's totals, in integer minor units. Pure, so it is tested on its own;
//! the server feeds it prices read from the database, never amounts a browser sent.

use super::Totals;
use crate::money::{Currency, Money};

/// A promo code's effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Discount {
    /// Whole percent off the subtotal, 1 to 100.
    Percent(u8),
    /// A fixed amount off, in minor units; never more than the subtotal.
    Fixed(i64),
}

impl Discount {
    pub fn of(&self, subtotal_minor: i64) -> i64 {
        let subtotal_minor = subtotal_minor.max(0);
        match *self {
            Discount::Percent(percent) => {
                let off = i128::from(subtotal_minor) * i128::from(percent.min(100)) / 100;
                i64::try_from(off).unwrap_or(subtotal_minor)
            }
            Discount::Fixed(amount) => amount.clamp(0, subtotal_minor),
        }
    }
}

/// What an order costs: its lines' subtotal, less the discount, plus delivery (free from
/// `free_over_minor` of the discounted subtotal), with tax at `tax_rate_bp` basis points on goods
/// and delivery alike, either inside those prices or added to them.
#[derive(Clone, Copy, Debug)]
pub struct Pricing {
    pub currency: Currency,
    pub shipping_minor: i64,
    pub free_over_minor: Option<i64>,
    pub tax_rate_bp: u32,
    pub prices_include_tax: bool,
}

impl Pricing {
    pub fn totals(&self, subtotal_minor: i64, discount: Option<Discount>) -> Totals {
        let subtotal = subtotal_minor.max(0);
        let discount = discount.map_or(0, |d| d.of(subtotal));
        let goods = subtotal - discount;
        let free = self.free_over_minor.is_some_and(|over| goods >= over);
        let shipping = if free { 0 } else { self.shipping_minor.max(0) };
        let taxable = goods.saturating_add(shipping);
        let rate = i128::from(self.tax_rate_bp);
        let (tax, total) = if self.prices_include_tax {
            let tax = rounded_div(i128::from(taxable) * rate, 10_000 + rate);
            (tax, taxable)
        } else {
            let tax = rounded_div(i128::from(taxable) * rate, 10_000);
            (tax, taxable.saturating_add(tax))
        };
        let money = |minor| Money::new(minor, self.currency);
        Totals {
            subtotal: money(subtotal),
            discount: money(discount),
            shipping: money(shipping),
            tax: money(tax),
            total: money(total),
        }
    }
}

/// `numerator / denominator`, halves rounded up; both non-negative.
fn rounded_div(numerator: i128, denominator: i128) -> i64 {
    let quotient = (numerator * 2 + denominator) / (denominator * 2);
    i64::try_from(quotient).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pricing(include: bool) -> Pricing {
        Pricing {
            currency: Currency::EUR,
            shipping_minor: 495,
            free_over_minor: Some(5000),
            tax_rate_bp: 2000,
            prices_include_tax: include,
        }
    }

    #[test]
    fn tax_inside_the_prices_is_a_part_of_the_total() {
        let totals = pricing(true).totals(2400, None);
        assert_eq!(totals.shipping.minor, 495);
        assert_eq!(totals.total.minor, 2895);
        // 2895 / 1.2 = 2412.5, so the tax is 482.5, rounded up.
        assert_eq!(totals.tax.minor, 483);
    }

    #[test]
    fn tax_on_top_is_added_and_delivery_is_free_from_the_threshold() {
        let totals = pricing(false).totals(6000, Some(Discount::Fixed(1000)));
        assert_eq!(
            (totals.discount.minor, totals.shipping.minor),
            (1000, 0),
            "5000 after the discount reaches the free-delivery threshold"
        );
        assert_eq!((totals.tax.minor, totals.total.minor), (1000, 6000));
        let under = pricing(false).totals(6000, Some(Discount::Fixed(1001)));
        assert_eq!(under.shipping.minor, 495);
    }

    #[test]
    fn discounts_never_pass_the_subtotal() {
        assert_eq!(Discount::Fixed(5000).of(1200), 1200);
        assert_eq!(Discount::Percent(100).of(1234), 1234);
        assert_eq!(Discount::Percent(15).of(999), 149);
    }

    proptest! {
        #[test]
        fn totals_add_up(
            subtotal in 0_i64..10_000_000_000,
            shipping in 0_i64..100_000,
            over in proptest::option::of(0_i64..1_000_000),
            rate in 0_u32..=10_000,
            include in any::<bool>(),
            discount in proptest::option::of(prop_oneof![
                (1_u8..=100).prop_map(Discount::Percent),
                (1_i64..10_000_000_000).prop_map(Discount::Fixed),
            ]),
        ) {
            let pricing = Pricing {
                currency: Currency::EUR,
                shipping_minor: shipping,
                free_over_minor: over,
                tax_rate_bp: rate,
                prices_include_tax: include,
            };
            let t = pricing.totals(subtotal, discount);
            prop_assert!(t.discount.minor >= 0 && t.discount.minor <= t.subtotal.minor);
            prop_assert!(t.tax.minor >= 0 && t.shipping.minor >= 0);
            let taxable = t.subtotal.minor - t.discount.minor + t.shipping.minor;
            if include {
                prop_assert_eq!(t.total.minor, taxable);
                prop_assert!(t.tax.minor <= taxable);
            } else {
                prop_assert_eq!(t.total.minor, taxable + t.tax.minor);
            }
            prop_assert!(t.total.minor >= 0);
        }
    }
}
