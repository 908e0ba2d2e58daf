//! The catalog: categories, products and their variants, images and stock as shoppers see them.

pub mod api;
#[cfg(feature = "ssr")]
pub mod cache;
pub mod likes;
pub mod listing;
#[cfg(feature = "ssr")]
pub mod markdown;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod repo;
pub mod search;
#[cfg(feature = "ssr")]
pub mod seo;

use crate::money::Money;
use serde::{Deserialize, Serialize};

/// A product image served from the media directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    pub url: String,
    /// The same picture at several widths, for the browser to choose from (`srcset`).
    pub srcset: Option<String>,
    pub alt: String,
    pub width: u32,
    pub height: u32,
}

/// What a shopper is told about stock; never the exact count unless it is running out. Cached
/// pages depend on nothing else of stock, so a change that leaves this unchanged is not noted as a
/// stock change (migrations 0007 and 0012), and one that changes it drops only what shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Availability {
    InStock,
    Low(u32),
    SoldOut,
}

impl Availability {
    pub fn from_counts(available: i64, low_stock_threshold: i64) -> Self {
        match available {
            n if n <= 0 => Availability::SoldOut,
            n if n <= low_stock_threshold => {
                Availability::Low(u32::try_from(n).unwrap_or(u32::MAX))
            }
            _ => Availability::InStock,
        }
    }

    /// A product's, from its variants': in stock while any variant is, otherwise the few left of
    /// all of them together.
    pub fn of_product(variants_in_stock: i64, available: i64) -> Self {
        match available {
            _ if variants_in_stock > 0 => Availability::InStock,
            n if n <= 0 => Availability::SoldOut,
            n => Availability::Low(u32::try_from(n).unwrap_or(u32::MAX)),
        }
    }

    /// The most a shopper may choose at once: the cart refuses more than is in stock with its own
    /// message, so an in-stock variant offers the cart's maximum.
    pub fn most_to_choose(&self) -> u32 {
        match *self {
            Availability::InStock => crate::cart::MAX_QUANTITY,
            Availability::Low(n) => n.min(crate::cart::MAX_QUANTITY),
            Availability::SoldOut => 0,
        }
    }

    pub fn label(&self) -> Option<String> {
        match self {
            Availability::InStock => None,
            Availability::Low(n) => Some(format!("Only {n} left")),
            Availability::SoldOut => Some("Out of stock".to_owned()),
        }
    }
}

/// A product as it appears in a grid: enough to recognise it and decide to open it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductCard {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub price: Money,
    pub image: Option<Image>,
    pub availability: Availability,
    /// Filled in for each request, after the (shared, cached) card is loaded.
    pub likes: Likes,
}

impl ProductCard {
    pub fn href(&self) -> String {
        format!("/p/{}", self.slug)
    }
}

/// How many shoppers like a product, and whether the one asking is among them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Likes {
    pub count: i64,
    pub liked: bool,
}

/// A category and its subcategories, in display order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryNode {
    pub slug: String,
    pub name: String,
    pub children: Vec<CategoryNode>,
}

impl CategoryNode {
    pub fn href(&self) -> String {
        format!("/c/{}", self.slug)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeContent {
    pub featured: Vec<ProductCard>,
    pub new_arrivals: Vec<ProductCard>,
    pub categories: Vec<CategoryNode>,
}

/// A category page: where it sits, what is under it, and its first page of products.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryContent {
    pub slug: String,
    pub name: String,
    pub description: String,
    /// Its picture, at the top of its page.
    pub image: Option<Image>,
    /// The parent category, for the breadcrumb.
    pub parent: Option<CategoryNode>,
    pub children: Vec<CategoryNode>,
    pub page: listing::ProductPage,
}

/// One purchasable version of a product (a size, a colour).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantView {
    pub id: i64,
    pub sku: String,
    pub title: String,
    pub price: Money,
    pub availability: Availability,
}

/// Everything the product page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDetail {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// The description's Markdown as safe HTML (`markdown::to_html`).
    pub description_html: String,
    /// The page's title and description for search engines and links shared: the product's own,
    /// or its name and the start of its description.
    pub meta_title: String,
    pub meta_description: String,
    pub category: CategoryNode,
    pub parent_category: Option<CategoryNode>,
    pub images: Vec<Image>,
    /// The name of the option the variants differ by ("Size"), when there is more than one variant.
    pub option_name: Option<String>,
    pub variants: Vec<VariantView>,
    pub related: Vec<ProductCard>,
    /// Filled in for each request, like a card's.
    pub likes: Likes,
}

impl ProductDetail {
    /// The lowest price of the variants, shown before a variant is chosen.
    pub fn from_price(&self) -> Option<Money> {
        self.variants
            .iter()
            .map(|variant| variant.price)
            .min_by_key(|price| price.minor)
    }
}
