//! Stock in the back office (`/manage/inventory`): every variant's figures, its ledger, and
//! adjustments staff make by hand, each a signed change with a reason, never a number typed over
//! what checkouts are doing at the same moment.

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod repo;

use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// Why staff changed a variant's stock by hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AdjustmentReason {
    Received,
    Damaged,
    Correction,
    Return,
    Count,
}

impl AdjustmentReason {
    pub const ALL: [AdjustmentReason; 5] = [
        AdjustmentReason::Received,
        AdjustmentReason::Damaged,
        AdjustmentReason::Correction,
        AdjustmentReason::Return,
        AdjustmentReason::Count,
    ];

    /// The ledger's name for it (`stock_movements.reason`).
    pub fn name(&self) -> &'static str {
        match self {
            AdjustmentReason::Received => "received",
            AdjustmentReason::Damaged => "damaged",
            AdjustmentReason::Correction => "correction",
            AdjustmentReason::Return => "return",
            AdjustmentReason::Count => "count",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            AdjustmentReason::Received => "Goods received",
            AdjustmentReason::Damaged => "Damaged or lost",
            AdjustmentReason::Correction => "Correction",
            AdjustmentReason::Return => "Customer return",
            AdjustmentReason::Count => "Stock count",
        }
    }

    pub fn parse(name: &str) -> Result<AdjustmentReason, AppError> {
        AdjustmentReason::ALL
            .into_iter()
            .find(|reason| reason.name() == name)
            .ok_or_else(|| AppError::bad_request("Choose a reason for the change."))
    }
}

/// The label of any ledger reason: the shop's own (an order's sale, opening stock) and staff's.
pub fn ledger_label(reason: &str) -> &'static str {
    match reason {
        "initial" => "Opening stock",
        "restock" => "Restocked",
        "adjustment" => "Adjustment",
        "sale" => "Sold",
        "cancellation" => "Order cancelled",
        other => AdjustmentReason::parse(other).map_or("Other", |reason| reason.label()),
    }
}

/// The largest change one adjustment makes, either way.
pub const MAX_CHANGE: i32 = 1_000_000;
/// The most a variant can have on hand.
pub const MAX_ON_HAND: i32 = 1_000_000_000;
/// The longest note an adjustment keeps.
pub const MAX_NOTE: usize = 500;

/// A staff member's change as typed, checked before anything is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adjustment {
    pub delta: i32,
    pub reason: AdjustmentReason,
    pub note: String,
}

impl Adjustment {
    pub fn parse(delta: &str, reason: &str, note: &str) -> Result<Adjustment, AppError> {
        let delta: i32 = delta.trim().trim_start_matches('+').parse().map_err(|_| {
            AppError::bad_request("Enter the change as a whole number, such as 12 or -3.")
        })?;
        if delta == 0 {
            return Err(AppError::bad_request(
                "A change of 0 changes nothing; enter how many came in (12) or went (-3).",
            ));
        }
        if !(-MAX_CHANGE..=MAX_CHANGE).contains(&delta) {
            return Err(AppError::bad_request(format!(
                "One change moves at most {MAX_CHANGE} units either way."
            )));
        }
        let reason = AdjustmentReason::parse(reason)?;
        let note = note.trim();
        if note.chars().count() > MAX_NOTE {
            return Err(AppError::bad_request(format!(
                "Keep the note under {MAX_NOTE} characters."
            )));
        }
        if note.chars().any(char::is_control) {
            return Err(AppError::bad_request(
                "The note must be one line of plain text.",
            ));
        }
        Ok(Adjustment {
            delta,
            reason,
            note: note.to_owned(),
        })
    }
}

/// How much of a variant shoppers can still buy, against its low-stock threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StockState {
    InStock,
    Low,
    Out,
}

impl StockState {
    pub fn of(available: i32, threshold: i32) -> StockState {
        if available <= 0 {
            StockState::Out
        } else if available <= threshold {
            StockState::Low
        } else {
            StockState::InStock
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            StockState::InStock => "In stock",
            StockState::Low => "Low",
            StockState::Out => "Out of stock",
        }
    }
}

/// Which variants the stock list shows (`?show=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum StockFilter {
    #[default]
    All,
    /// At or under their threshold, out of stock included: what to reorder.
    Low,
    Out,
}

impl StockFilter {
    pub const ALL: [StockFilter; 3] = [StockFilter::All, StockFilter::Low, StockFilter::Out];

    pub fn name(&self) -> &'static str {
        match self {
            StockFilter::All => "all",
            StockFilter::Low => "low",
            StockFilter::Out => "out",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            StockFilter::All => "Every variant",
            StockFilter::Low => "Low or out of stock",
            StockFilter::Out => "Out of stock",
        }
    }

    /// An unknown value shows everything rather than failing the page.
    pub fn parse(name: Option<&str>) -> StockFilter {
        StockFilter::ALL
            .into_iter()
            .find(|filter| Some(filter.name()) == name)
            .unwrap_or_default()
    }
}

/// One variant's stock figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockRow {
    pub variant_id: i64,
    pub product_name: String,
    pub product_slug: String,
    pub sku: String,
    pub variant_title: String,
    pub on_hand: i32,
    pub reserved: i32,
    pub low_stock_threshold: i32,
}

impl StockRow {
    pub fn available(&self) -> i32 {
        self.on_hand - self.reserved
    }

    pub fn state(&self) -> StockState {
        StockState::of(self.available(), self.low_stock_threshold)
    }
}

/// A page of the stock list, ordered by product name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockList {
    pub rows: Vec<StockRow>,
    /// The `after` parameter of the next page, when there is one.
    pub next: Option<i64>,
}

/// One row of a variant's ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub at: String,
    pub delta: i32,
    pub reason: String,
    pub note: String,
    /// Who made it: staff by name, or none for the shop's own movements.
    pub actor: Option<String>,
    pub order_number: Option<String>,
}

/// A variant's stock with its newest ledger rows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantStock {
    pub row: StockRow,
    pub ledger: Vec<LedgerEntry>,
    /// More rows than shown.
    pub ledger_truncated: bool,
    /// Whether the viewer may adjust it.
    pub can_adjust: bool,
}

/// Ledger rows shown on a variant's page.
pub const LEDGER_ROWS: usize = 100;
/// Variants per page of the stock list.
pub const STOCK_PAGE: usize = 50;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_adjustment_is_a_signed_non_zero_bounded_change_with_a_known_reason() {
        let parsed = Adjustment::parse(" +12 ", "received", " pallet 4 ").unwrap();
        assert_eq!(
            parsed,
            Adjustment {
                delta: 12,
                reason: AdjustmentReason::Received,
                note: "pallet 4".into()
            }
        );
        assert_eq!(Adjustment::parse("-3", "damaged", "").unwrap().delta, -3);
        for (delta, reason, note) in [
            ("0", "count", ""),
            ("1.5", "count", ""),
            ("ten", "count", ""),
            ("1000001", "count", ""),
            ("-1000001", "count", ""),
            ("99999999999", "count", ""),
            ("-2147483648", "count", ""),
            ("3", "adjustment", ""),
            ("3", "sale", ""),
            ("3", "count", "line\nbreak"),
        ] {
            assert!(
                Adjustment::parse(delta, reason, note).is_err(),
                "{delta} {reason} {note:?}"
            );
        }
        assert!(Adjustment::parse("1", "count", &"n".repeat(MAX_NOTE)).is_ok());
        assert!(Adjustment::parse("1", "count", &"n".repeat(MAX_NOTE + 1)).is_err());
    }

    #[test]
    fn a_variant_is_low_at_its_threshold_and_out_at_nothing_available() {
        assert_eq!(StockState::of(6, 5), StockState::InStock);
        assert_eq!(StockState::of(5, 5), StockState::Low);
        assert_eq!(StockState::of(1, 0), StockState::InStock);
        assert_eq!(StockState::of(0, 0), StockState::Out);
        assert_eq!(StockState::of(-1, 5), StockState::Out);
        assert_eq!(StockFilter::parse(Some("low")), StockFilter::Low);
        assert_eq!(StockFilter::parse(Some("nonsense")), StockFilter::All);
        assert_eq!(ledger_label("sale"), "Sold");
        assert_eq!(ledger_label("damaged"), "Damaged or lost");
    }
}
