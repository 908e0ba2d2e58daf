//! Orders after checkout: their status machine and the order page a shopper follows.

pub mod api;
pub mod pages;
pub mod payment_form;
#[cfg(feature = "ssr")]
pub mod payments;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod webhook;

use crate::checkout::{PostalAddress, Totals};
use crate::money::Money;
use serde::{Deserialize, Serialize};

/// Where an order is in its life. The moves allowed are [`OrderStatus::can_become`]'s; any other
/// is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrderStatus {
    PendingPayment,
    Paid,
    Fulfilled,
    Shipped,
    Delivered,
    Cancelled,
    Refunded,
    PartiallyRefunded,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 8] = [
        OrderStatus::PendingPayment,
        OrderStatus::Paid,
        OrderStatus::Fulfilled,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
        OrderStatus::Refunded,
        OrderStatus::PartiallyRefunded,
    ];

    /// The name stored in `orders.status`.
    pub fn name(&self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "pending_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::Fulfilled => "fulfilled",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
            OrderStatus::PartiallyRefunded => "partially_refunded",
        }
    }

    pub fn parse(name: &str) -> Option<OrderStatus> {
        Self::ALL.into_iter().find(|status| status.name() == name)
    }

    /// As a shopper reads it.
    pub fn label(&self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "Awaiting payment",
            OrderStatus::Paid => "Paid",
            OrderStatus::Fulfilled => "Packed",
            OrderStatus::Shipped => "Shipped",
            OrderStatus::Delivered => "Delivered",
            OrderStatus::Cancelled => "Cancelled",
            OrderStatus::Refunded => "Refunded",
            OrderStatus::PartiallyRefunded => "Partly refunded",
        }
    }

    /// The status machine: payment, then packing, shipping and delivery (packing may be skipped);
    /// an unpaid order can be cancelled; money taken is only ever given back by refunds, in part
    /// (any number of times) or in full.
    pub fn can_become(&self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (PendingPayment, Paid | Cancelled)
                | (Paid, Fulfilled | Shipped)
                | (Fulfilled, Shipped)
                | (Shipped, Delivered)
                | (
                    Paid | Fulfilled | Shipped | Delivered | PartiallyRefunded,
                    Refunded | PartiallyRefunded
                )
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLineView {
    pub product_name: String,
    pub variant_title: Option<String>,
    pub sku: String,
    pub unit_price: Money,
    pub quantity: u32,
    pub line_total: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub status: OrderStatus,
    pub note: String,
    /// RFC 3339, UTC.
    pub at: String,
}

/// Everything the order page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    pub number: String,
    pub status: OrderStatus,
    pub email: String,
    pub placed_at: String,
    pub lines: Vec<OrderLineView>,
    pub totals: Totals,
    pub prices_include_tax: bool,
    pub tax_rate: String,
    pub promo_code: Option<String>,
    pub shipping_method: String,
    pub shipping_address: PostalAddress,
    pub billing_address: PostalAddress,
    /// While awaiting payment: until when its stock is held (RFC 3339, UTC).
    pub reserved_until: Option<String>,
    pub history: Vec<StatusChange>,
    /// The latest payment attempt, if one was started.
    pub payment: Option<PaymentState>,
}

/// One line of a shopper's list of orders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    pub number: String,
    pub status: OrderStatus,
    /// RFC 3339, UTC.
    pub placed_at: String,
    pub total: Money,
    pub item_count: u32,
}

/// A page of a shopper's orders, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrdersPage {
    pub orders: Vec<OrderSummary>,
    /// The cursor of the next (older) page, if there is one.
    pub next: Option<String>,
}

/// Orders on one page of `/account/orders`.
pub const ORDERS_PER_PAGE: usize = 20;

/// A payment attempt as the provider last reported it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentState {
    /// The provider's PaymentIntent status, such as `processing` or `succeeded`.
    pub status: String,
    /// Why the last attempt failed, in the provider's words.
    pub last_error: Option<String>,
}

impl PaymentState {
    /// Whether the money is on its way and only its confirmation is awaited.
    pub fn settling(&self) -> bool {
        matches!(self.status.as_str(), "processing" | "succeeded")
    }
}

/// What the payment step of an order's page needs to show Stripe's Payment Element.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentStep {
    pub publishable_key: String,
    pub client_secret: String,
    /// Stripe.js, or the test gateway's stand-in.
    pub js_url: String,
    /// Where the provider sends the shopper back: this order's page, as a path.
    pub return_path: String,
    pub amount: Money,
    /// Why the last attempt failed, as the provider says now (its webhook may still be on its way).
    pub last_error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::{self, *};

    #[test]
    fn names_round_trip() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.name()), Some(status));
        }
        assert_eq!(OrderStatus::parse("lost"), None);
    }

    #[test]
    fn the_machine_allows_only_its_moves() {
        assert!(PendingPayment.can_become(Paid));
        assert!(PendingPayment.can_become(Cancelled));
        assert!(Paid.can_become(Shipped) && Shipped.can_become(Delivered));
        assert!(Delivered.can_become(PartiallyRefunded) && PartiallyRefunded.can_become(Refunded));
        for (from, to) in [
            (Paid, PendingPayment),
            (Paid, Cancelled),
            (Cancelled, Paid),
            (Refunded, Paid),
            (PendingPayment, Shipped),
            (PendingPayment, Refunded),
            (Delivered, Shipped),
            (Refunded, Refunded),
        ] {
            assert!(!from.can_become(to), "{from:?} → {to:?}");
        }
    }
}
