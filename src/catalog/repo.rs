//! Catalog SQL, one text for both engines.

use super::listing::{
    CategoryFacet, Cursor, CursorKey, Facets, ListingQuery, PAGE_SIZE, PriceFacet, ProductPage,
    Sort, price_bands,
};
use super::search::{self, Field, Vocabulary, VocabularyCache};
use super::{Availability, CategoryNode, Image, Likes, ProductCard, ProductDetail, VariantView};
use crate::money::{Currency, Money};
use crate::server::db::{Db, Engine, Pool, Tx};
use crate::server::shopper_changes::Whose;
use crate::{in_tx, on_readers};
use chrono::{DateTime, SubsecRound, Utc};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(sqlx::FromRow)]
struct CardRow {
    id: i64,
    slug: String,
    name: String,
    price_minor: i64,
    currency: String,
    available: i64,
    variants_in_stock: i64,
    #[sqlx(flatten)]
    image: ImageColumns,
    created_at: DateTime<Utc>,
    /// The relevance score, selected only by the best-match order.
    #[sqlx(default)]
    score: i64,
}

/// A product's first image as a LEFT JOIN yields it: every column NULL when there is none.
#[derive(sqlx::FromRow)]
pub struct ImageColumns {
    image_path: Option<String>,
    image_alt: Option<String>,
    image_width: Option<i32>,
    image_height: Option<i32>,
    image_renditions: Option<String>,
}

impl ImageColumns {
    pub fn into_image(self) -> Option<Image> {
        match (
            self.image_path,
            self.image_alt,
            self.image_width,
            self.image_height,
        ) {
            (Some(path), Some(alt), Some(width), Some(height)) => Some(image(
                &path,
                alt,
                width,
                height,
                self.image_renditions.as_deref(),
            )),
            _ => None,
        }
    }
}

impl CardRow {
    fn into_card(self) -> ProductCard {
        let image = self.image.into_image();
        ProductCard {
            id: self.id,
            slug: self.slug,
            name: self.name,
            // The column is CHECKed to three letters; a bad row shows as the "no currency" code.
            price: Money::new(
                self.price_minor,
                Currency::parse(&self.currency).unwrap_or(Currency::XXX),
            ),
            image,
            availability: Availability::of_product(self.variants_in_stock, self.available),
            likes: Likes::default(),
        }
    }
}

pub fn media_url(path: &str) -> String {
    format!("/media/{path}")
}

/// An image as pages show it: an uploaded one by its renditions (the one nearest 640 pixels wide as
/// `src`, all of them in `srcset`), any other by its file.
fn image(path: &str, alt: String, width: i32, height: i32, renditions: Option<&str>) -> Image {
    use crate::server::media::{parse_renditions, rendition_path};
    let renditions = parse_renditions(renditions.unwrap_or_default());
    let url = |w: u32| media_url(&rendition_path(path, w));
    let src = renditions
        .iter()
        .copied()
        .min_by_key(|w| w.abs_diff(640))
        .map_or_else(|| media_url(path), url);
    let srcset = (!renditions.is_empty()).then(|| {
        renditions
            .iter()
            .map(|w| format!("{} {w}w", url(*w)))
            .collect::<Vec<_>>()
            .join(", ")
    });
    Image {
        url: src,
        srcset,
        alt,
        width: u32::try_from(width).unwrap_or(0),
        height: u32::try_from(height).unwrap_or(0),
    }
}

/// Columns of a product card; stock is summed over the product's variants.
const CARD_COLUMNS: &str = "
    p.id, p.slug, p.name, p.price_minor, p.currency,
    (SELECT COALESCE(SUM(i.on_hand - i.reserved), 0) FROM product_variants v
       JOIN inventory i ON i.variant_id = v.id WHERE v.product_id = p.id) AS available,
    CAST((SELECT COUNT(*) FROM product_variants v JOIN inventory i ON i.variant_id = v.id
       WHERE v.product_id = p.id AND i.on_hand - i.reserved > i.low_stock_threshold) AS BIGINT) AS variants_in_stock,
    img.path AS image_path, img.alt AS image_alt, img.width AS image_width, img.height AS image_height,
    img.renditions AS image_renditions, p.created_at";

/// Featured active products, newest first.
#[tracing::instrument(skip(db))]
pub async fn featured(db: &Db, limit: i64) -> Result<Vec<ProductCard>, sqlx::Error> {
    let sql = format!(
        "SELECT {CARD_COLUMNS} FROM products p
         LEFT JOIN product_images img ON img.product_id = p.id AND img.position = 0
         WHERE p.featured AND p.status = 'active'
         ORDER BY p.created_at DESC, p.id DESC LIMIT $1"
    );
    let rows: Vec<CardRow> =
        on_readers!(db, pool => sqlx::query_as(&sql).bind(limit).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(CardRow::into_card).collect())
}

/// The newest active products.
#[tracing::instrument(skip(db))]
pub async fn newest(db: &Db, limit: i64) -> Result<Vec<ProductCard>, sqlx::Error> {
    let sql = format!(
        "SELECT {CARD_COLUMNS} FROM products p
         LEFT JOIN product_images img ON img.product_id = p.id AND img.position = 0
         WHERE p.status = 'active'
         ORDER BY p.created_at DESC, p.id DESC LIMIT $1"
    );
    let rows: Vec<CardRow> =
        on_readers!(db, pool => sqlx::query_as(&sql).bind(limit).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(CardRow::into_card).collect())
}

/// A value bound to a query assembled at run time.
enum Arg {
    Int(i64),
    Text(String),
    Time(DateTime<Utc>),
}

/// A query text with `$n` placeholders and the values they stand for, in order.
#[derive(Default)]
struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    fn bind(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        self.text.push_str(&format!("${}", self.args.len()));
        self
    }
}

/// Which filter a facet's counts leave out, so that they show what widening it would bring.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Except {
    Nothing,
    Category,
    Price,
}

/// ` WHERE …` selecting the active products `query` asks for, less the filter `except` names.
fn push_filters(sql: &mut Sql, engine: Engine, query: &ListingQuery, except: Except) {
    sql.push(" WHERE p.status = 'active'");
    if let Some(text) = &query.search {
        let terms = search::terms(text);
        if terms.is_empty() {
            // Only punctuation: there is nothing to look for, so nothing matches.
            sql.push(" AND 1 = 0");
        } else {
            sql.push(" AND ");
            push_match(sql, engine, &terms, None);
        }
    }
    if !query.categories.is_empty() && except != Except::Category {
        let slugs = |sql: &mut Sql| {
            for (i, slug) in query.categories.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(Arg::Text(slug.clone()));
            }
        };
        // A category includes its subcategories.
        sql.push(" AND p.category_id IN (SELECT c.id FROM categories c WHERE c.slug IN (");
        slugs(sql);
        sql.push(") OR c.parent_id IN (SELECT c2.id FROM categories c2 WHERE c2.slug IN (");
        slugs(sql);
        sql.push(")))");
    }
    if except != Except::Price {
        if let Some(min) = query.min_price {
            sql.push(" AND p.price_minor >= ").bind(Arg::Int(min.minor));
        }
        if let Some(max) = query.max_price {
            sql.push(" AND p.price_minor <= ").bind(Arg::Int(max.minor));
        }
    }
    if query.in_stock {
        sql.push(
            " AND EXISTS (SELECT 1 FROM product_variants v JOIN inventory i ON i.variant_id = v.id
                          WHERE v.product_id = p.id AND i.on_hand > i.reserved)",
        );
    }
    if let Some(user_id) = query.liked_by {
        // Driven from the shopper's likes (primary key range), not a scan of every product.
        sql.push(" AND p.id IN (SELECT l.product_id FROM likes l WHERE l.user_id = ")
            .bind(Arg::Int(user_id))
            .push(")");
    }
}

/// A condition: product `p` contains every term as a word prefix, in `field` or anywhere. The
/// engines' full-text indexes hold the same words (see the 0003_search migrations), so both
/// conditions hold for the same products. Terms are letters and digits only, bound as values.
fn push_match(sql: &mut Sql, engine: Engine, terms: &[String], field: Option<Field>) {
    match engine {
        Engine::Sqlite => sql
            .push("p.id IN (SELECT rowid FROM product_search WHERE product_search MATCH ")
            .bind(Arg::Text(search::fts5_query(terms, field)))
            .push(")"),
        Engine::Postgres => sql
            .push("p.search_document @@ to_tsquery('simple', ")
            .bind(Arg::Text(search::tsquery(terms, field)))
            .push(")"),
    };
}

/// A product's relevance: for each term, 4 if a word of the name starts with it, plus 2 for a
/// SKU, plus 1 for the description. Whole numbers computed from the same matches on both engines,
/// so the order (ties broken by id) is identical on each, which bm25 and ts_rank would not be.
fn push_score(sql: &mut Sql, engine: Engine, terms: &[String]) {
    sql.push("CAST(0");
    for term in terms {
        for field in Field::ALL {
            sql.push(" + CASE WHEN ");
            push_match(sql, engine, std::slice::from_ref(term), Some(field));
            sql.push(&format!(" THEN {} ELSE 0 END", field.weight()));
        }
    }
    sql.push(" AS BIGINT)");
}

async fn fetch_all<T>(db: &Db, sql: &Sql) -> Result<Vec<T>, sqlx::Error>
where
    T: Send
        + Unpin
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    on_readers!(db, pool => {
        let mut statement = sqlx::query_as(&sql.text);
        for arg in &sql.args {
            statement = match arg {
                Arg::Int(value) => statement.bind(*value),
                Arg::Text(value) => statement.bind(value.as_str()),
                Arg::Time(value) => statement.bind(*value),
            };
        }
        statement.fetch_all(pool).await
    })
}

/// One page of active products matching `query`, in its order, starting after its cursor.
/// Keyset pagination: each page is an index range scan, however deep the shopper pages.
#[tracing::instrument(skip(db))]
pub async fn list_products(db: &Db, query: &ListingQuery) -> Result<ProductPage, sqlx::Error> {
    let limit = Arg::Int(i64::try_from(PAGE_SIZE + 1).unwrap_or(i64::MAX));
    let mut sql = Sql::default();
    match (query.sort, &query.search) {
        (Sort::Relevance, Some(text)) => {
            // Scores every match, but builds cards only for the page: the inner LIMIT keeps the
            // planner from computing stock and images for rows it then drops.
            sql.push("SELECT ranked.score, ");
            sql.push(CARD_COLUMNS);
            sql.push(" FROM (SELECT scored.id, scored.score FROM (SELECT p.id, ");
            push_score(&mut sql, db.engine(), &search::terms(text));
            sql.push(" AS score FROM products p");
            push_filters(&mut sql, db.engine(), query, Except::Nothing);
            sql.push(") scored");
            if let Some(Cursor { key, id }) = &query.after {
                let score = match key {
                    CursorKey::Score(score) => *score,
                    // ListingQuery::parse decodes a relevance cursor as a score.
                    _ => i64::MAX,
                };
                sql.push(" WHERE scored.score < ").bind(Arg::Int(score));
                sql.push(" OR (scored.score = ").bind(Arg::Int(score));
                sql.push(" AND scored.id < ").bind(Arg::Int(*id)).push(")");
            }
            sql.push(" ORDER BY scored.score DESC, scored.id DESC LIMIT ")
                .bind(limit);
            sql.push(
                ") ranked JOIN products p ON p.id = ranked.id
                 LEFT JOIN product_images img ON img.product_id = p.id AND img.position = 0
                 ORDER BY ranked.score DESC, p.id DESC",
            );
        }
        _ => {
            // SQLite compares text byte by byte; PostgreSQL is told to do the same, so both engines agree.
            let name = match db.engine() {
                Engine::Sqlite => "p.name",
                Engine::Postgres => "p.name COLLATE \"C\"",
            };
            sql.push(&format!(
                "SELECT {CARD_COLUMNS} FROM products p
                 LEFT JOIN product_images img ON img.product_id = p.id AND img.position = 0"
            ));
            push_filters(&mut sql, db.engine(), query, Except::Nothing);
            let (key, direction) = match query.sort {
                Sort::Newest | Sort::Relevance => ("p.created_at", "DESC"),
                Sort::PriceAsc => ("p.price_minor", "ASC"),
                Sort::PriceDesc => ("p.price_minor", "DESC"),
                Sort::Name => (name, "ASC"),
            };
            if let Some(Cursor { key: after, id }) = &query.after {
                let beyond = if direction == "ASC" { ">" } else { "<" };
                let value = || match after {
                    // A timestamp no product can have makes an out-of-range cursor an empty page.
                    CursorKey::Created(micros) => Arg::Time(
                        DateTime::from_timestamp_micros(*micros)
                            .unwrap_or(DateTime::<Utc>::MIN_UTC),
                    ),
                    CursorKey::Price(minor) | CursorKey::Score(minor) => Arg::Int(*minor),
                    CursorKey::Name(name) => Arg::Text(name.clone()),
                };
                sql.push(&format!(" AND ({key} {beyond} ")).bind(value());
                sql.push(&format!(" OR ({key} = ")).bind(value());
                sql.push(&format!(" AND p.id {beyond} "))
                    .bind(Arg::Int(*id))
                    .push("))");
            }
            sql.push(&format!(
                " ORDER BY {key} {direction}, p.id {direction} LIMIT "
            ));
            sql.bind(limit);
        }
    }

    let mut rows: Vec<CardRow> = fetch_all(db, &sql).await?;
    let next = if rows.len() > PAGE_SIZE {
        rows.truncate(PAGE_SIZE);
        rows.last().map(|last| {
            let key = match query.sort {
                Sort::Relevance => CursorKey::Score(last.score),
                Sort::Newest => CursorKey::Created(last.created_at.timestamp_micros()),
                Sort::PriceAsc | Sort::PriceDesc => CursorKey::Price(last.price_minor),
                Sort::Name => CursorKey::Name(last.name.clone()),
            };
            Cursor { key, id: last.id }.encode()
        })
    } else {
        None
    };
    Ok(ProductPage {
        products: rows.into_iter().map(CardRow::into_card).collect(),
        next,
    })
}

/// Facet counts for `query`: per category (with its subcategories) and per price band of
/// `currency`. Each facet ignores its own filter, so its other choices show how far they widen.
#[tracing::instrument(skip(db))]
pub async fn facets(
    db: &Db,
    query: &ListingQuery,
    currency: Currency,
) -> Result<Facets, sqlx::Error> {
    let mut by_category = Sql::default();
    by_category.push("SELECT p.category_id, COUNT(*) FROM products p");
    push_filters(&mut by_category, db.engine(), query, Except::Category);
    by_category.push(" GROUP BY p.category_id");

    let bands = price_bands(currency);
    let mut by_price = Sql::default();
    by_price.push("SELECT CAST(CASE");
    for (band, (_, below)) in bands.iter().enumerate() {
        if let Some(below) = below {
            by_price
                .push(" WHEN p.price_minor < ")
                .bind(Arg::Int(*below))
                .push(&format!(" THEN {band}"));
        }
    }
    by_price.push(&format!(
        " ELSE {} END AS BIGINT) AS band, COUNT(*) FROM products p",
        bands.len() - 1
    ));
    push_filters(&mut by_price, db.engine(), query, Except::Price);
    by_price.push(" GROUP BY 1");

    // (category id or band, products) pairs.
    let (category_counts, band_counts, categories) = tokio::try_join!(
        fetch_all::<(i64, i64)>(db, &by_category),
        fetch_all::<(i64, i64)>(db, &by_price),
        category_rows(db)
    )?;

    let count_of = |id: i64| {
        category_counts
            .iter()
            .find(|(category, _)| *category == id)
            .map_or(0, |(_, count)| *count)
    };
    let categories = categories
        .iter()
        .filter(|top| top.parent_id.is_none())
        .map(|top| {
            let children: Vec<CategoryFacet> = categories
                .iter()
                .filter(|child| child.parent_id == Some(top.id))
                .map(|child| CategoryFacet {
                    slug: child.slug.clone(),
                    name: child.name.clone(),
                    count: count_of(child.id),
                    children: Vec::new(),
                })
                .filter(|child| child.count > 0)
                .collect();
            CategoryFacet {
                slug: top.slug.clone(),
                name: top.name.clone(),
                count: count_of(top.id) + children.iter().map(|c| c.count).sum::<i64>(),
                children,
            }
        })
        .filter(|top| top.count > 0)
        .collect();
    let prices = bands
        .iter()
        .enumerate()
        .map(|(band, (min, below))| PriceFacet {
            min: Money::new(*min, currency),
            below: below.map(|below| Money::new(below, currency)),
            count: band_counts
                .iter()
                .find(|(b, _)| usize::try_from(*b) == Ok(band))
                .map_or(0, |(_, count)| *count),
        })
        .collect();
    Ok(Facets { categories, prices })
}

/// The top-level categories with the most active products (their subcategories' included).
#[tracing::instrument(skip(db))]
pub async fn popular_categories(db: &Db, limit: i64) -> Result<Vec<CategoryNode>, sqlx::Error> {
    let rows: Vec<(String, String)> = on_readers!(db, pool => sqlx::query_as(
        "SELECT top.slug, top.name FROM products p
         JOIN categories c ON c.id = p.category_id
         JOIN categories top ON top.id = COALESCE(c.parent_id, c.id)
         WHERE p.status = 'active' AND NOT top.hidden AND NOT c.hidden
         GROUP BY top.id, top.slug, top.name
         ORDER BY COUNT(*) DESC, top.id LIMIT $1"
    ).bind(limit).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|(slug, name)| CategoryNode {
            slug,
            name,
            children: Vec::new(),
        })
        .collect())
}

/// The words of the catalog's search index, from `cache` unless the index changed since (see
/// [`VocabularyCache`] for how often it reloads).
/// Reading them is a scan of the index's term list (SQLite's fts5vocab) or of every document
/// (PostgreSQL's ts_stat), so it happens once per catalog change, not once per search.
#[tracing::instrument(skip_all)]
pub async fn search_vocabulary(
    db: &Db,
    cache: &VocabularyCache,
) -> Result<Arc<Vocabulary>, sqlx::Error> {
    let version: i64 = on_readers!(db, pool => sqlx::query_scalar(
        "SELECT version FROM search_index_version WHERE id = 1"
    ).fetch_one(pool).await)?;
    cache
        .get(version, async || {
            let words: Vec<(String, i64)> = match db.readers() {
                Pool::Sqlite(pool) => {
                    sqlx::query_as("SELECT term, doc FROM product_search_terms")
                        .fetch_all(pool)
                        .await?
                }
                Pool::Postgres(pool) => {
                    sqlx::query_as(
                        "SELECT word, CAST(ndoc AS BIGINT) FROM ts_stat('SELECT search_document FROM products')",
                    )
                    .fetch_all(pool)
                    .await?
                }
            };
            Ok(Vocabulary::new(words))
        })
        .await
}

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: i64,
    slug: String,
    name: String,
    description: String,
    seo_title: Option<String>,
    seo_description: Option<String>,
    option1_name: Option<String>,
    category_id: i64,
    category_slug: String,
    category_name: String,
    parent_slug: Option<String>,
    parent_name: Option<String>,
}

#[derive(sqlx::FromRow)]
struct VariantRow {
    id: i64,
    sku: String,
    title: String,
    price_minor: i64,
    currency: String,
    available: i64,
    low_stock_threshold: i64,
}

/// An active product with its variants, images and a few related products; `None` if there is no
/// such active product.
#[tracing::instrument(skip(db))]
pub async fn product_detail(db: &Db, slug: &str) -> Result<Option<ProductDetail>, sqlx::Error> {
    let product: Option<ProductRow> = on_readers!(db, pool => sqlx::query_as(
        "SELECT p.id, p.slug, p.name, p.description, p.seo_title, p.seo_description, p.option1_name, p.category_id,
                c.slug AS category_slug, c.name AS category_name, pc.slug AS parent_slug, pc.name AS parent_name
         FROM products p
         JOIN categories c ON c.id = p.category_id
         LEFT JOIN categories pc ON pc.id = c.parent_id
         WHERE p.slug = $1 AND p.status = 'active'"
    ).bind(slug).fetch_optional(pool).await)?;
    let Some(product) = product else {
        return Ok(None);
    };

    let variants: Vec<VariantRow> = on_readers!(db, pool => sqlx::query_as(
        "SELECT v.id, v.sku, v.title, v.price_minor, v.currency,
                CAST(i.on_hand - i.reserved AS BIGINT) AS available, CAST(i.low_stock_threshold AS BIGINT) AS low_stock_threshold
         FROM product_variants v JOIN inventory i ON i.variant_id = v.id
         WHERE v.product_id = $1 ORDER BY v.position, v.id"
    ).bind(product.id).fetch_all(pool).await)?;
    let images: Vec<ImageColumns> = on_readers!(db, pool => sqlx::query_as(
        "SELECT path AS image_path, alt AS image_alt, width AS image_width, height AS image_height,
                renditions AS image_renditions
         FROM product_images WHERE product_id = $1 ORDER BY position"
    ).bind(product.id).fetch_all(pool).await)?;
    let related_sql = format!(
        "SELECT {CARD_COLUMNS} FROM products p
         LEFT JOIN product_images img ON img.product_id = p.id AND img.position = 0
         WHERE p.status = 'active' AND p.category_id = $1 AND p.id <> $2
         ORDER BY p.created_at DESC, p.id DESC LIMIT 4"
    );
    let related: Vec<CardRow> = on_readers!(db, pool => sqlx::query_as(&related_sql).bind(product.category_id).bind(product.id).fetch_all(pool).await)?;

    let variants: Vec<VariantView> = variants
        .into_iter()
        .map(|v| VariantView {
            id: v.id,
            sku: v.sku,
            title: v.title,
            price: Money::new(
                v.price_minor,
                Currency::parse(&v.currency).unwrap_or(Currency::XXX),
            ),
            availability: Availability::from_counts(v.available, v.low_stock_threshold),
        })
        .collect();
    Ok(Some(ProductDetail {
        id: product.id,
        slug: product.slug,
        description_html: super::markdown::to_html(&product.description),
        meta_title: product.seo_title.unwrap_or_else(|| product.name.clone()),
        meta_description: product
            .seo_description
            .unwrap_or_else(|| super::markdown::to_plain(&product.description, 155)),
        name: product.name,
        category: CategoryNode {
            slug: product.category_slug,
            name: product.category_name,
            children: Vec::new(),
        },
        parent_category: match (product.parent_slug, product.parent_name) {
            (Some(slug), Some(name)) => Some(CategoryNode {
                slug,
                name,
                children: Vec::new(),
            }),
            _ => None,
        },
        images: images
            .into_iter()
            .filter_map(ImageColumns::into_image)
            .collect(),
        option_name: product.option1_name.filter(|_| variants.len() > 1),
        variants,
        related: related.into_iter().map(CardRow::into_card).collect(),
        likes: Likes::default(),
    }))
}

/// The slug a product has now, for a slug it had before.
pub async fn slug_redirect(db: &Db, old_slug: &str) -> Result<Option<String>, sqlx::Error> {
    on_readers!(db, pool => sqlx::query_scalar(
        "SELECT p.slug FROM product_slug_redirects r JOIN products p ON p.id = r.product_id
         WHERE r.old_slug = $1"
    ).bind(old_slug).fetch_optional(pool).await)
}

/// The slug a category has now, for a slug it had before.
pub async fn category_slug_redirect(
    db: &Db,
    old_slug: &str,
) -> Result<Option<String>, sqlx::Error> {
    on_readers!(db, pool => sqlx::query_scalar(
        "SELECT c.slug FROM category_slug_redirects r JOIN categories c ON c.id = r.category_id
         WHERE r.old_slug = $1"
    ).bind(old_slug).fetch_optional(pool).await)
}

/// A category as its page shows it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CategoryRecord {
    pub slug: String,
    pub name: String,
    pub description: String,
    image_path: Option<String>,
    image_alt: String,
    image_width: Option<i32>,
    image_height: Option<i32>,
    image_renditions: String,
}

impl CategoryRecord {
    /// The category's picture, if it has one.
    pub fn image(&self) -> Option<Image> {
        let path = self.image_path.as_deref()?;
        Some(image(
            path,
            self.image_alt.clone(),
            self.image_width.unwrap_or_default(),
            self.image_height.unwrap_or_default(),
            Some(&self.image_renditions),
        ))
    }
}

pub async fn category_by_slug(db: &Db, slug: &str) -> Result<Option<CategoryRecord>, sqlx::Error> {
    on_readers!(db, pool => sqlx::query_as(
        "SELECT c.slug, c.name, c.description, c.image_path, c.image_alt, c.image_width,
                c.image_height, c.image_renditions
         FROM categories c
         LEFT JOIN categories parent ON parent.id = c.parent_id
         WHERE c.slug = $1 AND NOT c.hidden AND NOT COALESCE(parent.hidden, FALSE)"
    ).bind(slug).fetch_optional(pool).await)
}

#[derive(sqlx::FromRow)]
struct CategoryRow {
    id: i64,
    parent_id: Option<i64>,
    slug: String,
    name: String,
}

/// The whole category tree, each level in display order.
#[tracing::instrument(skip(db))]
pub async fn category_tree(db: &Db) -> Result<Vec<CategoryNode>, sqlx::Error> {
    Ok(build_tree(&category_rows(db).await?, None))
}

async fn category_rows(db: &Db) -> Result<Vec<CategoryRow>, sqlx::Error> {
    on_readers!(db, pool => sqlx::query_as(
        // A hidden category's subcategories hang from nothing shown, so the tree leaves them out.
        "SELECT id, parent_id, slug, name FROM categories WHERE NOT hidden ORDER BY position, name"
    ).fetch_all(pool).await)
}

fn build_tree(rows: &[CategoryRow], parent: Option<i64>) -> Vec<CategoryNode> {
    rows.iter()
        .filter(|row| row.parent_id == parent)
        .map(|row| CategoryNode {
            slug: row.slug.clone(),
            name: row.name.clone(),
            children: build_tree(rows, Some(row.id)),
        })
        .collect()
}

pub struct NewCategory<'a> {
    pub parent_id: Option<i64>,
    pub slug: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub position: i32,
}

pub async fn insert_category(tx: &mut Tx, category: &NewCategory<'_>) -> Result<i64, sqlx::Error> {
    in_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO categories (parent_id, slug, name, description, position) VALUES ($1, $2, $3, $4, $5) RETURNING id"
    )
    .bind(category.parent_id)
    .bind(category.slug)
    .bind(category.name)
    .bind(category.description)
    .bind(category.position)
    .fetch_one(conn)
    .await)
}

pub struct NewVariant {
    pub sku: String,
    pub title: String,
    pub option1: Option<String>,
    pub price: Money,
    pub on_hand: i32,
    pub low_stock_threshold: i32,
}

pub struct NewImage {
    pub path: String,
    pub alt: String,
    pub width: i32,
    pub height: i32,
}

pub struct NewProduct {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub category_id: i64,
    pub featured: bool,
    pub option1_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub variants: Vec<NewVariant>,
    pub images: Vec<NewImage>,
}

/// Inserts an active product with its variants, their opening stock (recorded in the ledger) and its
/// images, inside the caller's transaction. The product's listing price is its cheapest variant's, so
/// a product without variants cannot be inserted: `None`, and nothing is written.
pub async fn insert_product(tx: &mut Tx, product: &NewProduct) -> Result<Option<i64>, sqlx::Error> {
    // Both engines keep microseconds, so a listing cursor made from this time finds it again exactly.
    let created_at = product.created_at.trunc_subsecs(6);
    let cheapest = product
        .variants
        .iter()
        .map(|v| v.price)
        .min_by_key(|price| price.minor);
    let Some(price) = cheapest else {
        return Ok(None);
    };
    let product_id: i64 = in_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO products (slug, name, description, category_id, status, featured, price_minor, currency,
                               option1_name, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'active', $5, $6, $7, $8, $9, $9) RETURNING id"
    )
    .bind(&product.slug)
    .bind(&product.name)
    .bind(&product.description)
    .bind(product.category_id)
    .bind(product.featured)
    .bind(price.minor)
    .bind(price.currency.code())
    .bind(&product.option1_name)
    .bind(created_at)
    .fetch_one(conn)
    .await)?;

    for (position, variant) in product.variants.iter().enumerate() {
        let position = i32::try_from(position).unwrap_or(i32::MAX);
        let variant_id: i64 = in_tx!(tx, conn => sqlx::query_scalar(
            "INSERT INTO product_variants (product_id, sku, title, option1, price_minor, currency, position, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id"
        )
        .bind(product_id)
        .bind(&variant.sku)
        .bind(&variant.title)
        .bind(&variant.option1)
        .bind(variant.price.minor)
        .bind(variant.price.currency.code())
        .bind(position)
        .bind(created_at)
        .fetch_one(conn)
        .await)?;
        in_tx!(tx, conn => sqlx::query(
            "INSERT INTO inventory (variant_id, on_hand, reserved, low_stock_threshold, updated_at) VALUES ($1, $2, 0, $3, $4)"
        )
        .bind(variant_id)
        .bind(variant.on_hand)
        .bind(variant.low_stock_threshold)
        .bind(created_at)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
        if variant.on_hand > 0 {
            in_tx!(tx, conn => sqlx::query(
                "INSERT INTO stock_movements (variant_id, delta, reason, note, created_at) VALUES ($1, $2, 'initial', 'opening stock', $3)"
            )
            .bind(variant_id)
            .bind(variant.on_hand)
            .bind(created_at)
            .execute(conn)
            .await
            .map(|done| done.rows_affected()))?;
        }
    }

    for (position, image) in product.images.iter().enumerate() {
        let position = i32::try_from(position).unwrap_or(i32::MAX);
        in_tx!(tx, conn => sqlx::query(
            "INSERT INTO product_images (product_id, position, path, alt, width, height, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)"
        )
        .bind(product_id)
        .bind(position)
        .bind(&image.path)
        .bind(&image.alt)
        .bind(image.width)
        .bind(image.height)
        .bind(created_at)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    }
    Ok(Some(product_id))
}

/// Sets a variant's price, inside the caller's transaction, and keeps its product's listing price at
/// the cheapest variant's. Returns false if there is no such variant.
pub async fn set_variant_price(
    tx: &mut Tx,
    variant_id: i64,
    price: Money,
) -> Result<bool, sqlx::Error> {
    let now = tx.now().trunc_subsecs(6);
    let product_id: Option<i64> = in_tx!(tx, conn => sqlx::query_scalar(
        "UPDATE product_variants SET price_minor = $1, currency = $2, updated_at = $3 WHERE id = $4
         RETURNING product_id"
    )
    .bind(price.minor)
    .bind(price.currency.code())
    .bind(now)
    .bind(variant_id)
    .fetch_optional(conn)
    .await)?;
    let Some(product_id) = product_id else {
        return Ok(false);
    };
    in_tx!(tx, conn => sqlx::query(
        "UPDATE products SET updated_at = $1,
             price_minor = (SELECT MIN(v.price_minor) FROM product_variants v WHERE v.product_id = $2)
         WHERE id = $2"
    )
    .bind(now)
    .bind(product_id)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(true)
}

pub async fn count_products(db: &Db) -> Result<i64, sqlx::Error> {
    on_readers!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM products").fetch_one(pool).await)
}

/// Every product `user_id` likes, or `None` when there are more than `at_most`.
pub async fn liked_by(
    db: &Db,
    user_id: i64,
    at_most: usize,
) -> Result<Option<std::collections::HashSet<i64>>, sqlx::Error> {
    let liked: Vec<i64> = on_readers!(db, pool => sqlx::query_scalar(
        "SELECT product_id FROM likes WHERE user_id = $1 LIMIT $2"
    ).bind(user_id).bind(i64::try_from(at_most).unwrap_or(i64::MAX).saturating_add(1))
    .fetch_all(pool).await)?;
    Ok((liked.len() <= at_most).then(|| liked.into_iter().collect()))
}

/// Those of `product_ids` that `user_id` likes.
pub async fn liked_among(
    db: &Db,
    user_id: i64,
    product_ids: &[i64],
) -> Result<std::collections::HashSet<i64>, sqlx::Error> {
    Ok(likes_of(db, Some(user_id), product_ids)
        .await?
        .into_iter()
        .filter_map(|(id, likes)| likes.liked.then_some(id))
        .collect())
}

/// Like counts for `product_ids`, and which of them `user_id` likes; products nobody likes are absent.
#[tracing::instrument(skip(db))]
pub async fn likes_of(
    db: &Db,
    user_id: Option<i64>,
    product_ids: &[i64],
) -> Result<HashMap<i64, Likes>, sqlx::Error> {
    if product_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::default();
    sql.push("SELECT c.product_id, c.likes, ");
    match user_id {
        Some(user_id) => sql
            .push("EXISTS (SELECT 1 FROM likes l WHERE l.user_id = ")
            .bind(Arg::Int(user_id))
            .push(" AND l.product_id = c.product_id)"),
        None => sql.push("FALSE"),
    };
    sql.push(" AS liked FROM product_like_counts c WHERE c.likes > 0 AND c.product_id IN (");
    for (i, id) in product_ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(Arg::Int(*id));
    }
    sql.push(")");
    let rows: Vec<(i64, i64, bool)> = fetch_all(db, &sql).await?;
    Ok(rows
        .into_iter()
        .map(|(id, count, liked)| (id, Likes { count, liked }))
        .collect())
}

/// Records that `user_id` likes an active product (or no longer likes any product), and answers with
/// the product's likes after the change. `None` when there is no such product to like. Liking
/// twice, or unliking what was never liked, changes nothing.
#[tracing::instrument(skip(tx))]
pub async fn set_like(
    tx: &mut Tx,
    user_id: i64,
    product_id: i64,
    like: bool,
) -> Result<Option<Likes>, sqlx::Error> {
    tx.changed(Whose::User(user_id));
    // A withdrawn product can no longer be liked, but a shopper can still take their like back.
    let found: Option<i64> = in_tx!(tx, conn => sqlx::query_scalar(
        "SELECT id FROM products WHERE id = $1 AND (status = 'active' OR NOT $2)"
    )
    .bind(product_id)
    .bind(like)
    .fetch_optional(conn)
    .await)?;
    if found.is_none() {
        return Ok(None);
    }
    let change = if like {
        "INSERT INTO likes (user_id, product_id) VALUES ($1, $2)
         ON CONFLICT (user_id, product_id) DO NOTHING"
    } else {
        "DELETE FROM likes WHERE user_id = $1 AND product_id = $2"
    };
    in_tx!(tx, conn => sqlx::query(change)
        .bind(user_id)
        .bind(product_id)
        .execute(conn)
        .await
        .map(drop))?;
    let count: Option<i64> = in_tx!(tx, conn => sqlx::query_scalar(
        "SELECT likes FROM product_like_counts WHERE product_id = $1"
    )
    .bind(product_id)
    .fetch_optional(conn)
    .await)?;
    Ok(Some(Likes {
        count: count.unwrap_or(0),
        liked: like,
    }))
}
