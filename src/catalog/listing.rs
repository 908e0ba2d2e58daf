//! The product listing's query: what a shopper can ask for in the URL, checked once into a
//! [`ListingQuery`], and the keyset cursor that pages through the answer.

use super::{CategoryNode, ProductCard};
use crate::error::AppError;
use crate::money::{Currency, Money};
use leptos_router::params::ParamsMap;
use serde::{Deserialize, Serialize};

/// Products per page.
pub const PAGE_SIZE: usize = 24;
/// Longest search text accepted.
const MAX_QUERY_CHARS: usize = 100;
/// Most categories one listing can combine.
const MAX_CATEGORIES: usize = 20;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sort {
    /// Best match first; the default, and only possible, when searching.
    Relevance,
    #[default]
    Newest,
    PriceAsc,
    PriceDesc,
    Name,
}

impl Sort {
    pub const ALL: [Sort; 5] = [
        Sort::Relevance,
        Sort::Newest,
        Sort::PriceAsc,
        Sort::PriceDesc,
        Sort::Name,
    ];

    /// The order a listing takes when the URL names none.
    pub fn default_for(searching: bool) -> Sort {
        if searching {
            Sort::Relevance
        } else {
            Sort::Newest
        }
    }

    /// Whether this order means anything without search text.
    pub fn needs_search(&self) -> bool {
        *self == Sort::Relevance
    }

    pub fn param(&self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::Newest => "newest",
            Sort::PriceAsc => "price_asc",
            Sort::PriceDesc => "price_desc",
            Sort::Name => "name",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Sort::Relevance => "Best match",
            Sort::Newest => "Newest",
            Sort::PriceAsc => "Price: low to high",
            Sort::PriceDesc => "Price: high to low",
            Sort::Name => "Name",
        }
    }

    fn parse(text: &str) -> Result<Sort, AppError> {
        Sort::ALL
            .into_iter()
            .find(|sort| sort.param() == text)
            .ok_or_else(|| {
                AppError::bad_request(format!(
                    "'{text}' is not a way to sort; use relevance (when searching), newest, price_asc, price_desc or name"
                ))
            })
    }
}

/// The listing's parameters as they arrive in the URL, unchecked. The same struct travels to the
/// server function, which checks it again: the browser is never trusted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListingParams {
    pub q: Option<String>,
    pub category: Vec<String>,
    pub min_price: Option<String>,
    pub max_price: Option<String>,
    pub in_stock: Option<String>,
    /// Only the products the signed-in shopper likes.
    pub liked: Option<String>,
    pub sort: Option<String>,
    pub after: Option<String>,
    /// Search for the text as typed, without correcting its spelling.
    pub exact: Option<String>,
}

impl ListingParams {
    /// Every URL parameter a listing reads.
    pub const KEYS: [&'static str; 9] = [
        "q",
        "category",
        "min_price",
        "max_price",
        "in_stock",
        "liked",
        "sort",
        "after",
        "exact",
    ];

    pub fn from_query(query: &ParamsMap) -> Self {
        let text = |key: &str| query.get(key).filter(|value| !value.trim().is_empty());
        ListingParams {
            q: text("q"),
            category: query
                .get_all("category")
                .unwrap_or_default()
                .into_iter()
                .filter(|c| !c.is_empty())
                .collect(),
            min_price: text("min_price"),
            max_price: text("max_price"),
            in_stock: text("in_stock"),
            liked: text("liked"),
            sort: text("sort"),
            after: text("after"),
            exact: text("exact"),
        }
    }

    /// `?…` for these parameters, for links such as the next page.
    pub fn to_query_string(&self) -> String {
        let mut pairs: Vec<(&'static str, String)> = Vec::new();
        pairs.extend(self.q.clone().map(|v| ("q", v)));
        pairs.extend(self.category.iter().map(|c| ("category", c.clone())));
        pairs.extend(self.min_price.clone().map(|v| ("min_price", v)));
        pairs.extend(self.max_price.clone().map(|v| ("max_price", v)));
        pairs.extend(self.in_stock.clone().map(|v| ("in_stock", v)));
        pairs.extend(self.liked.clone().map(|v| ("liked", v)));
        pairs.extend(self.sort.clone().map(|v| ("sort", v)));
        pairs.extend(self.after.clone().map(|v| ("after", v)));
        pairs.extend(self.exact.clone().map(|v| ("exact", v)));
        pairs.into_iter().collect::<ParamsMap>().to_query_string()
    }

    pub fn with_after(&self, after: Option<String>) -> Self {
        ListingParams {
            after,
            ..self.clone()
        }
    }

    /// Whether the text of `q` is to be searched as typed.
    pub fn is_exact(&self) -> bool {
        matches!(self.exact.as_deref(), Some("true" | "on" | "1"))
    }

    /// Whether only products in stock are asked for.
    pub fn in_stock_only(&self) -> Result<bool, AppError> {
        flag("in stock", self.in_stock.as_deref())
    }

    /// Whether the listing searches for words.
    pub fn searches(&self) -> bool {
        self.q.as_deref().is_some_and(|q| !q.trim().is_empty())
    }

    /// Whether the listing is sorted by name.
    pub fn sorted_by_name(&self) -> bool {
        matches!(self.sort.as_deref().map(Sort::parse), Some(Ok(Sort::Name)))
    }

    /// Whether prices decide what the listing shows, in what order, or what its facets count: a
    /// sort or filter by price, or a search.
    pub fn depends_on_prices(&self) -> bool {
        let given = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.trim().is_empty());
        let sorted_by_price = matches!(
            self.sort.as_deref().map(Sort::parse),
            Some(Ok(Sort::PriceAsc | Sort::PriceDesc))
        );
        sorted_by_price || self.searches() || given(&self.min_price) || given(&self.max_price)
    }

    /// Whether only the shopper's liked products are asked for.
    pub fn liked_only(&self) -> Result<bool, AppError> {
        flag("liked only", self.liked.as_deref())
    }

    /// These parameters with `category` toggled, from the first page.
    pub fn toggle_category(&self, slug: &str) -> Self {
        let mut category = self.category.clone();
        match category.iter().position(|c| c == slug) {
            Some(at) => {
                category.remove(at);
            }
            None => category.push(slug.to_owned()),
        }
        ListingParams {
            category,
            after: None,
            ..self.clone()
        }
    }

    /// These parameters with another price range, from the first page.
    pub fn with_prices(&self, min_price: Option<String>, max_price: Option<String>) -> Self {
        ListingParams {
            min_price,
            max_price,
            after: None,
            ..self.clone()
        }
    }

    /// The same search text with no filters, in the default order.
    pub fn without_filters(&self) -> Self {
        ListingParams {
            q: self.q.clone(),
            exact: self.exact.clone(),
            ..ListingParams::default()
        }
    }

    /// The order this listing is in: the one asked for, else the default.
    pub fn sort_param(&self) -> String {
        self.sort
            .clone()
            .unwrap_or_else(|| Sort::default_for(self.q.is_some()).param().to_owned())
    }
}

/// A checked listing query: every field is valid and within bounds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingQuery {
    pub search: Option<String>,
    pub categories: Vec<String>,
    pub min_price: Option<Money>,
    pub max_price: Option<Money>,
    /// Only products with at least one variant that can be bought now.
    pub in_stock: bool,
    /// Only the products this user likes. Set by the server from the session, never from the URL.
    pub liked_by: Option<i64>,
    pub sort: Sort,
    pub after: Option<Cursor>,
}

impl ListingQuery {
    pub fn parse(params: &ListingParams, currency: Currency) -> Result<Self, AppError> {
        let search = params
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_owned);
        if search
            .as_ref()
            .is_some_and(|q| q.chars().count() > MAX_QUERY_CHARS)
        {
            return Err(AppError::bad_request(format!(
                "Search for at most {MAX_QUERY_CHARS} characters."
            )));
        }
        if search
            .as_deref()
            .is_some_and(|q| super::search::terms(q).len() > super::search::MAX_TERMS)
        {
            return Err(AppError::bad_request(format!(
                "Search for at most {} words.",
                super::search::MAX_TERMS
            )));
        }
        if params.category.len() > MAX_CATEGORIES {
            return Err(AppError::bad_request(format!(
                "Choose at most {MAX_CATEGORIES} categories."
            )));
        }
        if let Some(bad) = params.category.iter().find(|slug| !is_slug(slug)) {
            return Err(AppError::bad_request(format!("'{bad}' is not a category.")));
        }
        let price = |label: &str, text: &Option<String>| -> Result<Option<Money>, AppError> {
            match text {
                None => Ok(None),
                Some(text) => match Money::parse_decimal(text, currency) {
                    Ok(money) if money.minor >= 0 => Ok(Some(money)),
                    Ok(_) => Err(AppError::bad_request(format!(
                        "The {label} price cannot be negative."
                    ))),
                    Err(problem) => Err(AppError::bad_request(format!(
                        "The {label} price: {problem}."
                    ))),
                },
            }
        };
        let min_price = price("lowest", &params.min_price)?;
        let max_price = price("highest", &params.max_price)?;
        if let (Some(min), Some(max)) = (min_price, max_price)
            && min.minor > max.minor
        {
            return Err(AppError::bad_request(
                "The lowest price is above the highest price.",
            ));
        }
        let in_stock = params.in_stock_only()?;
        params.liked_only()?;
        let sort = params
            .sort
            .as_deref()
            .map(Sort::parse)
            .transpose()?
            .unwrap_or(Sort::default_for(search.is_some()));
        if sort.needs_search() && search.is_none() {
            return Err(AppError::bad_request(
                "Sorting by best match needs something to search for.",
            ));
        }
        let after = params
            .after
            .as_deref()
            .map(|text| Cursor::decode(text, sort))
            .transpose()?;
        Ok(ListingQuery {
            search,
            categories: params.category.clone(),
            min_price,
            max_price,
            in_stock,
            liked_by: None,
            sort,
            after,
        })
    }
}

/// A yes-or-no parameter, as a checkbox or a link writes it.
fn flag(label: &str, value: Option<&str>) -> Result<bool, AppError> {
    match value.map(str::trim) {
        None | Some("false" | "0") => Ok(false),
        Some("true" | "on" | "1") => Ok(true),
        Some(other) => Err(AppError::bad_request(format!(
            "'{other}' is not a choice for {label}; use true or false."
        ))),
    }
}

fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 100
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Where the previous page ended: the sort key and id of its last product. The next page starts
/// strictly after it, so inserts and deletes never shift or repeat what a shopper sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub key: CursorKey,
    pub id: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CursorKey {
    /// The relevance score, for the best-match order.
    Score(i64),
    /// Microseconds since the Unix epoch, for the newest-first order.
    Created(i64),
    Price(i64),
    Name(String),
}

impl Cursor {
    pub fn encode(&self) -> String {
        match &self.key {
            CursorKey::Score(score) => format!("{score}~{}", self.id),
            CursorKey::Created(micros) => format!("{micros}~{}", self.id),
            CursorKey::Price(minor) => format!("{minor}~{}", self.id),
            CursorKey::Name(name) => format!("{name}~{}", self.id),
        }
    }

    pub fn decode(text: &str, sort: Sort) -> Result<Cursor, AppError> {
        let invalid = || {
            AppError::bad_request(
                "That page link is not valid any more. Start again from the first page.",
            )
        };
        let (key, id) = text.rsplit_once('~').ok_or_else(invalid)?;
        let id: i64 = id.parse().map_err(|_| invalid())?;
        let key = match sort {
            Sort::Relevance => CursorKey::Score(key.parse().map_err(|_| invalid())?),
            Sort::Newest => CursorKey::Created(key.parse().map_err(|_| invalid())?),
            Sort::PriceAsc | Sort::PriceDesc => {
                CursorKey::Price(key.parse().map_err(|_| invalid())?)
            }
            Sort::Name if key.len() <= 300 => CursorKey::Name(key.to_owned()),
            Sort::Name => return Err(invalid()),
        };
        Ok(Cursor { key, id })
    }
}

/// One page of a listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductPage {
    pub products: Vec<ProductCard>,
    /// The `after` parameter of the next page, when there is one.
    pub next: Option<String>,
}

/// Upper bounds of the price bands, in whole units of the shop's currency; the last band has none.
pub const PRICE_BANDS: [i64; 4] = [25, 50, 100, 200];

/// The `/products` listing: a page, and what helps a shopper search further.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    pub page: ProductPage,
    /// The search text that was run instead of the one typed, whose words matched nothing.
    pub corrected: Option<String>,
    /// A spelling to try, when the text was searched as typed and matched nothing.
    pub suggestion: Option<String>,
    pub facets: Facets,
    /// Categories with the most products, offered when nothing matched.
    pub popular: Vec<CategoryNode>,
}

/// How many products of the current search each choice would show. A facet's count ignores its
/// own filter (and only it), so a shopper can see what widening that filter would bring.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facets {
    /// Top-level categories with products, each with its subcategories that have some.
    pub categories: Vec<CategoryFacet>,
    /// The price bands, in order, with their counts (zero included).
    pub prices: Vec<PriceFacet>,
}

impl Facets {
    /// Whether no choice would show any product, so there is nothing to offer.
    pub fn is_empty(&self) -> bool {
        self.categories.is_empty() && self.prices.iter().all(|band| band.count == 0)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryFacet {
    pub slug: String,
    pub name: String,
    pub count: i64,
    pub children: Vec<CategoryFacet>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceFacet {
    /// The lowest price in the band.
    pub min: Money,
    /// The band's end, not included; `None` for the last band.
    pub below: Option<Money>,
    pub count: i64,
}

impl PriceFacet {
    pub fn label(&self) -> String {
        match (self.min.minor, self.below) {
            (0, Some(below)) => format!("Under {below}"),
            (_, Some(below)) => format!("{} to {below}", self.min),
            (_, None) => format!("{} and over", self.min),
        }
    }

    /// Whether the URL's `min_price` and `max_price` are this band, however they are written.
    pub fn is_chosen(&self, min_price: Option<&str>, max_price: Option<&str>) -> bool {
        let minor = |text: Option<&str>| {
            text.map(|text| Money::parse_decimal(text, self.min.currency).map(|m| m.minor))
        };
        let low = minor(min_price).unwrap_or(Ok(0));
        let high = minor(max_price);
        let band_high = self.below.map(|below| Ok(below.minor - 1));
        low == Ok(self.min.minor) && high == band_high
    }

    /// The `min_price` and `max_price` that select this band (the highest price is inclusive).
    pub fn params(&self) -> (Option<String>, Option<String>) {
        let min = (self.min.minor > 0).then(|| self.min.to_decimal_string());
        let max = self
            .below
            .map(|below| Money::new(below.minor - 1, below.currency).to_decimal_string());
        (min, max)
    }
}

/// The price bands' bounds in minor units of `currency`: (lowest, end not included).
pub fn price_bands(currency: Currency) -> Vec<(i64, Option<i64>)> {
    let unit = 10_i64.pow(currency.exponent());
    let mut bands = Vec::new();
    let mut low = 0;
    for high in PRICE_BANDS {
        bands.push((low, Some(high * unit)));
        low = high * unit;
    }
    bands.push((low, None));
    bands
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(params: ListingParams) -> Result<ListingQuery, AppError> {
        ListingQuery::parse(&params, Currency::EUR)
    }

    #[test]
    fn bad_parameters_get_a_clear_message() {
        let cases = [
            (
                ListingParams {
                    sort: Some("cheapest".into()),
                    ..Default::default()
                },
                "not a way to sort",
            ),
            (
                ListingParams {
                    min_price: Some("ten".into()),
                    ..Default::default()
                },
                "lowest price",
            ),
            (
                ListingParams {
                    max_price: Some("-5".into()),
                    ..Default::default()
                },
                "cannot be negative",
            ),
            (
                ListingParams {
                    min_price: Some("20".into()),
                    max_price: Some("10".into()),
                    ..Default::default()
                },
                "above the highest",
            ),
            (
                ListingParams {
                    category: vec!["<script>".into()],
                    ..Default::default()
                },
                "is not a category",
            ),
            (
                ListingParams {
                    in_stock: Some("maybe".into()),
                    ..Default::default()
                },
                "not a choice for in stock",
            ),
            (
                ListingParams {
                    after: Some("garbage".into()),
                    ..Default::default()
                },
                "not valid any more",
            ),
            (
                ListingParams {
                    q: Some("x".repeat(101)),
                    ..Default::default()
                },
                "at most 100",
            ),
        ];
        for (params, expected) in cases {
            match parse(params.clone()) {
                Err(AppError::BadRequest(message)) => {
                    assert!(message.contains(expected), "{params:?}: {message}")
                }
                other => panic!("{params:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn good_parameters_become_a_query() {
        let query = parse(ListingParams {
            q: Some("  mug ".into()),
            category: vec!["kitchen".into()],
            min_price: Some("5".into()),
            max_price: Some("12.50".into()),
            in_stock: Some("on".into()),
            liked: Some("true".into()),
            sort: Some("price_desc".into()),
            after: Some("1250~7".into()),
            exact: None,
        })
        .expect("valid");
        assert!(query.in_stock);
        assert_eq!(query.search.as_deref(), Some("mug"));
        assert_eq!(query.min_price, Some(Money::new(500, Currency::EUR)));
        assert_eq!(query.max_price, Some(Money::new(1250, Currency::EUR)));
        assert_eq!(query.sort, Sort::PriceDesc);
        assert_eq!(
            query.after,
            Some(Cursor {
                key: CursorKey::Price(1250),
                id: 7
            })
        );
    }

    #[test]
    fn searching_sorts_by_best_match_unless_asked_otherwise() {
        let searching = |sort: Option<&str>| {
            parse(ListingParams {
                q: Some("wool".into()),
                sort: sort.map(str::to_owned),
                after: Some("9~42".into()),
                ..Default::default()
            })
        };
        let query = searching(None).expect("valid");
        assert_eq!(query.sort, Sort::Relevance);
        assert_eq!(
            query.after,
            Some(Cursor {
                key: CursorKey::Score(9),
                id: 42
            })
        );
        assert_eq!(searching(Some("name")).map(|q| q.sort), Ok(Sort::Name));
        assert_eq!(
            parse(ListingParams::default()).map(|q| q.sort),
            Ok(Sort::Newest)
        );
        match parse(ListingParams {
            sort: Some("relevance".into()),
            ..Default::default()
        }) {
            Err(AppError::BadRequest(message)) => {
                assert!(message.contains("needs something to search for"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn price_bands_select_themselves() {
        let bands = price_bands(Currency::EUR);
        assert_eq!(
            bands,
            [
                (0, Some(2500)),
                (2500, Some(5000)),
                (5000, Some(10000)),
                (10000, Some(20000)),
                (20000, None)
            ]
        );
        let facet = |(min, below): (i64, Option<i64>)| PriceFacet {
            min: Money::new(min, Currency::EUR),
            below: below.map(|b| Money::new(b, Currency::EUR)),
            count: 0,
        };
        assert_eq!(facet(bands[0]).params(), (None, Some("24.99".into())));
        assert_eq!(
            facet(bands[1]).params(),
            (Some("25.00".into()), Some("49.99".into()))
        );
        assert_eq!(facet(bands[4]).params(), (Some("200.00".into()), None));
        assert_eq!(facet(bands[1]).label(), "€25.00 to €50.00");
        assert!(facet(bands[1]).is_chosen(Some("25"), Some("49.99")));
        assert!(facet(bands[0]).is_chosen(None, Some("24.99")));
        assert!(facet(bands[0]).is_chosen(Some("0"), Some("24.99")));
        assert!(facet(bands[4]).is_chosen(Some("200"), None));
        assert!(!facet(bands[1]).is_chosen(Some("25"), None));
        assert!(!facet(bands[1]).is_chosen(Some("25"), Some("50")));
        assert!(!facet(bands[1]).is_chosen(Some("lots"), Some("49.99")));
        assert_eq!(
            price_bands(Currency::parse("JPY").unwrap())[1],
            (25, Some(50))
        );
    }

    proptest! {
        #[test]
        fn cursors_round_trip(name in "\\PC{0,40}", id in any::<i64>(), key in any::<i64>()) {
            for (cursor, sort) in [
                (Cursor { key: CursorKey::Name(name.clone()), id }, Sort::Name),
                (Cursor { key: CursorKey::Price(key), id }, Sort::PriceAsc),
                (Cursor { key: CursorKey::Created(key), id }, Sort::Newest),
                (Cursor { key: CursorKey::Score(key), id }, Sort::Relevance),
            ] {
                prop_assert_eq!(Cursor::decode(&cursor.encode(), sort), Ok(cursor));
            }
        }

        #[test]
        fn any_url_parameters_parse_or_fail_cleanly(q in proptest::option::of("\\PC{0,120}"), min in proptest::option::of("\\PC{0,12}"),
                                                    sort in proptest::option::of("\\PC{0,12}"), after in proptest::option::of("\\PC{0,30}")) {
            let _ = parse(ListingParams { q, min_price: min, sort, after, ..Default::default() });
        }
    }
}
