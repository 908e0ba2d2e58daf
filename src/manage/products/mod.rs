//! Products in the back office (`/manage/products`): a table to find them by name, SKU, category,
//! status and stock, sorted and paged, with actions on the rows selected (publish, withdraw,
//! archive, move to a category).

pub mod api;
pub mod csv;
pub mod editor;
pub mod editor_pages;
pub mod images;
pub mod import;
pub mod import_pages;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod repo;
pub mod variants;

use crate::error::AppError;
use crate::money::Money;
use serde::{Deserialize, Serialize};

/// Where a product stands: only active products are in the shop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProductStatus {
    Draft,
    Active,
    Archived,
}

impl ProductStatus {
    pub const ALL: [ProductStatus; 3] = [
        ProductStatus::Draft,
        ProductStatus::Active,
        ProductStatus::Archived,
    ];

    pub fn name(&self) -> &'static str {
        match self {
            ProductStatus::Draft => "draft",
            ProductStatus::Active => "active",
            ProductStatus::Archived => "archived",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            ProductStatus::Draft => "Draft",
            ProductStatus::Active => "Active",
            ProductStatus::Archived => "Archived",
        }
    }

    pub fn parse(name: &str) -> Option<ProductStatus> {
        ProductStatus::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// A product's stock as a shopper sees it: in stock while a variant has more than its low-stock
/// threshold, out when nothing is left, low in between.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProductStock {
    InStock,
    Low,
    Out,
}

impl ProductStock {
    pub const ALL: [ProductStock; 3] =
        [ProductStock::InStock, ProductStock::Low, ProductStock::Out];

    pub fn name(&self) -> &'static str {
        match self {
            ProductStock::InStock => "in_stock",
            ProductStock::Low => "low",
            ProductStock::Out => "out",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            ProductStock::InStock => "In stock",
            ProductStock::Low => "Low",
            ProductStock::Out => "Out of stock",
        }
    }

    pub fn parse(name: &str) -> Option<ProductStock> {
        ProductStock::ALL.into_iter().find(|s| s.name() == name)
    }

    pub fn of(available: i64, any_above_threshold: bool) -> ProductStock {
        if any_above_threshold {
            ProductStock::InStock
        } else if available > 0 {
            ProductStock::Low
        } else {
            ProductStock::Out
        }
    }
}

/// The table's order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProductSort {
    #[default]
    Name,
    Newest,
    Price,
}

impl ProductSort {
    pub const ALL: [ProductSort; 3] = [ProductSort::Name, ProductSort::Newest, ProductSort::Price];

    pub fn name(&self) -> &'static str {
        match self {
            ProductSort::Name => "name",
            ProductSort::Newest => "newest",
            ProductSort::Price => "price",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            ProductSort::Name => "Name",
            ProductSort::Newest => "Newest first",
            ProductSort::Price => "Price, lowest first",
        }
    }
}

/// The table's filters as they arrive in its address, unchecked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProductFilters {
    pub q: Option<String>,
    /// A category's slug: its products and its subcategories'.
    pub category: Option<String>,
    pub status: Option<String>,
    pub stock: Option<String>,
    pub sort: Option<String>,
    /// The last product of the previous page.
    pub after: Option<i64>,
}

impl ProductFilters {
    /// The filters checked: unknown values are refused rather than ignored, so a table never claims
    /// to be filtered when it is not.
    pub fn check(&self) -> Result<CheckedFilters, AppError> {
        let q = self
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_owned);
        if q.as_ref().is_some_and(|q| q.chars().count() > 100) {
            return Err(AppError::bad_request("Search for at most 100 characters."));
        }
        let non_empty = |value: &Option<String>| value.clone().filter(|v| !v.is_empty());
        let status = match non_empty(&self.status) {
            None => None,
            Some(name) => Some(
                ProductStatus::parse(&name)
                    .ok_or_else(|| AppError::bad_request("Choose a status from the list."))?,
            ),
        };
        let stock = match non_empty(&self.stock) {
            None => None,
            Some(name) => Some(
                ProductStock::parse(&name)
                    .ok_or_else(|| AppError::bad_request("Choose a stock state from the list."))?,
            ),
        };
        let sort = match non_empty(&self.sort) {
            None => ProductSort::default(),
            Some(name) => ProductSort::ALL
                .into_iter()
                .find(|sort| sort.name() == name)
                .ok_or_else(|| AppError::bad_request("Choose an order from the list."))?,
        };
        Ok(CheckedFilters {
            q,
            category: non_empty(&self.category),
            status,
            stock,
            sort,
            after: self.after,
        })
    }

    /// The address of the table with these filters, for links that keep them.
    pub fn href(&self) -> String {
        let pairs = [
            ("q", self.q.clone()),
            ("category", self.category.clone()),
            ("status", self.status.clone()),
            ("stock", self.stock.clone()),
            ("sort", self.sort.clone()),
            ("after", self.after.map(|a| a.to_string())),
        ];
        let params: leptos_router::params::ParamsMap = pairs
            .into_iter()
            .filter_map(|(key, value)| Some((key.to_owned(), value.filter(|v| !v.is_empty())?)))
            .collect();
        format!("/manage/products{}", params.to_query_string())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedFilters {
    pub q: Option<String>,
    pub category: Option<String>,
    pub status: Option<ProductStatus>,
    pub stock: Option<ProductStock>,
    pub sort: ProductSort,
    pub after: Option<i64>,
}

/// One row of the products table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductRow {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub status: ProductStatus,
    pub category: String,
    /// The cheapest variant's price.
    pub price: Money,
    pub variants: i64,
    /// What shoppers can still buy, all variants together.
    pub available: i64,
    pub stock: ProductStock,
}

/// A category to choose, with its depth in the tree for indenting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryChoice {
    pub slug: String,
    pub name: String,
    pub depth: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductTable {
    pub rows: Vec<ProductRow>,
    /// The `after` of the next page, when there is one.
    pub next: Option<i64>,
    pub categories: Vec<CategoryChoice>,
    /// Whether the viewer may change products (and so gets the row actions).
    pub can_edit: bool,
}

/// Products per page of the table.
pub const PRODUCT_PAGE: usize = 50;
/// The most rows one action changes.
pub const MAX_SELECTED: usize = 200;

/// What the table's action does to the selected rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BulkAction {
    /// Into the shop (active).
    Publish,
    /// Out of the shop, back to draft.
    Withdraw,
    Archive,
    /// Into the category with this slug.
    MoveTo(String),
}

impl BulkAction {
    pub fn parse(action: &str, category: Option<&str>) -> Result<BulkAction, AppError> {
        match action {
            "publish" => Ok(BulkAction::Publish),
            "withdraw" => Ok(BulkAction::Withdraw),
            "archive" => Ok(BulkAction::Archive),
            "move" => match category.map(str::trim).filter(|c| !c.is_empty()) {
                Some(slug) => Ok(BulkAction::MoveTo(slug.to_owned())),
                None => Err(AppError::bad_request(
                    "Choose the category to move them to.",
                )),
            },
            _ => Err(AppError::bad_request(
                "Choose what to do with the selected products.",
            )),
        }
    }

    /// The status it sets, if it sets one.
    pub fn status(&self) -> Option<ProductStatus> {
        match self {
            BulkAction::Publish => Some(ProductStatus::Active),
            BulkAction::Withdraw => Some(ProductStatus::Draft),
            BulkAction::Archive => Some(ProductStatus::Archived),
            BulkAction::MoveTo(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_refuse_values_they_do_not_know() {
        let checked = ProductFilters {
            q: Some("  lamp ".into()),
            status: Some("draft".into()),
            stock: Some("".into()),
            sort: Some("price".into()),
            ..ProductFilters::default()
        }
        .check()
        .unwrap();
        assert_eq!(checked.q.as_deref(), Some("lamp"));
        assert_eq!(checked.status, Some(ProductStatus::Draft));
        assert_eq!(checked.stock, None);
        assert_eq!(checked.sort, ProductSort::Price);
        for filters in [
            ProductFilters {
                status: Some("gone".into()),
                ..Default::default()
            },
            ProductFilters {
                stock: Some("some".into()),
                ..Default::default()
            },
            ProductFilters {
                sort: Some("random".into()),
                ..Default::default()
            },
            ProductFilters {
                q: Some("x".repeat(101)),
                ..Default::default()
            },
        ] {
            assert!(filters.check().is_err(), "{filters:?}");
        }
    }

    #[test]
    fn a_product_is_in_stock_while_a_variant_is_above_its_threshold() {
        assert_eq!(ProductStock::of(3, true), ProductStock::InStock);
        assert_eq!(ProductStock::of(3, false), ProductStock::Low);
        assert_eq!(ProductStock::of(0, false), ProductStock::Out);
    }

    #[test]
    fn an_action_names_what_it_does() {
        assert_eq!(
            BulkAction::parse("publish", None).unwrap().status(),
            Some(ProductStatus::Active)
        );
        assert_eq!(
            BulkAction::parse("move", Some(" lamps ")).unwrap(),
            BulkAction::MoveTo("lamps".into())
        );
        assert!(BulkAction::parse("move", Some("")).is_err());
        assert!(BulkAction::parse("delete", None).is_err());
    }

    #[test]
    fn a_table_address_keeps_only_the_filters_set() {
        let filters = ProductFilters {
            q: Some("brass lamp".into()),
            status: Some(String::new()),
            after: Some(42),
            ..ProductFilters::default()
        };
        assert_eq!(filters.href(), "/manage/products?q=brass%20lamp&after=42");
    }
}
