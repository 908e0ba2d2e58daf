//! Products SQL for the back office, one text for both engines.

use super::editor::{ProductDraft, VariantLine};
use super::variants::VariantDraft;
use super::{CategoryChoice, CheckedFilters, ProductRow, ProductSort, ProductStatus, ProductStock};
use crate::manage::Direction;
use crate::money::{Currency, Money};
use crate::server::db::{Db, Tx};
use crate::server::shopper_changes::Whose;
use crate::{in_tx, on_db, on_readers};
use chrono::SubsecRound;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    slug: String,
    status: String,
    category: String,
    price_minor: i64,
    currency: String,
    variants: i64,
    available: i64,
    any_above: i64,
}

/// A page of the products table for the checked filters, after the product `filters.after` in the
/// chosen order. A category takes in its subcategories' products.
pub async fn list(
    db: &Db,
    filters: &CheckedFilters,
    limit: usize,
) -> Result<Vec<ProductRow>, sqlx::Error> {
    // The keyset follows the order: the sort column then the id, from the last row shown.
    let (order, after) = match filters.sort {
        ProductSort::Name => (
            "p.name, p.id",
            "(p.name, p.id) > ((SELECT name FROM products WHERE id = $6), $6)",
        ),
        ProductSort::Newest => (
            "p.created_at DESC, p.id DESC",
            "(p.created_at, p.id) < ((SELECT created_at FROM products WHERE id = $6), $6)",
        ),
        ProductSort::Price => (
            "p.price_minor, p.id",
            "(p.price_minor, p.id) > ((SELECT price_minor FROM products WHERE id = $6), $6)",
        ),
    };
    let sql = format!(
        "WITH stock AS (
            SELECT v.product_id,
                   COUNT(*) AS variants,
                   SUM(CASE WHEN i.on_hand > i.reserved THEN i.on_hand - i.reserved ELSE 0 END) AS available,
                   MAX(CASE WHEN i.on_hand - i.reserved > i.low_stock_threshold THEN 1 ELSE 0 END) AS any_above
            FROM product_variants v JOIN inventory i ON i.variant_id = v.id
            GROUP BY v.product_id
        ), shown AS (
            SELECT p.id, p.name, p.slug, p.status, c.name AS category, p.price_minor, p.currency,
                   p.created_at, p.category_id,
                   CAST(COALESCE(s.variants, 0) AS BIGINT) AS variants,
                   CAST(COALESCE(s.available, 0) AS BIGINT) AS available,
                   CAST(COALESCE(s.any_above, 0) AS BIGINT) AS any_above
            FROM products p
            JOIN categories c ON c.id = p.category_id
            LEFT JOIN stock s ON s.product_id = p.id
        )
        SELECT p.id, p.name, p.slug, p.status, p.category, p.price_minor, p.currency, p.variants,
               p.available, p.any_above
        FROM shown p
        WHERE ($1 IS NULL OR lower(p.name) LIKE $1 ESCAPE '\\'
               OR EXISTS (SELECT 1 FROM product_variants v WHERE v.product_id = p.id AND lower(v.sku) LIKE $1 ESCAPE '\\'))
          AND ($2 IS NULL OR p.category_id IN (
                SELECT id FROM categories WHERE slug = $2
                UNION SELECT id FROM categories WHERE parent_id = (SELECT id FROM categories WHERE slug = $2)))
          AND ($3 IS NULL OR p.status = $3)
          AND ($4 IS NULL
               OR ($4 = 'in_stock' AND p.any_above = 1)
               OR ($4 = 'low' AND p.any_above = 0 AND p.available > 0)
               OR ($4 = 'out' AND p.any_above = 0 AND p.available = 0))
          AND ($5 IS NULL OR $6 IS NULL OR {after})
        ORDER BY {order}
        LIMIT $7"
    );
    let pattern = filters
        .q
        .as_deref()
        .map(crate::server::db::contains_pattern);
    let rows: Vec<Row> = on_db!(db, pool => sqlx::query_as(&sql)
        .bind(&pattern)
        .bind(&filters.category)
        .bind(filters.status.map(|s| s.name()))
        .bind(filters.stock.map(|s| s.name()))
        .bind(filters.after.map(|_| 1_i64))
        .bind(filters.after)
        .bind(limit as i64)
        .fetch_all(pool)
        .await)?;
    Ok(rows
        .into_iter()
        .map(|row| ProductRow {
            id: row.id,
            status: ProductStatus::parse(&row.status).unwrap_or(ProductStatus::Draft),
            price: Money::new(
                row.price_minor,
                Currency::parse(&row.currency).unwrap_or(Currency::XXX),
            ),
            stock: ProductStock::of(row.available, row.any_above == 1),
            name: row.name,
            slug: row.slug,
            category: row.category,
            variants: row.variants,
            available: row.available,
        })
        .collect())
}

/// Every category, hidden ones included (and marked), in tree order, with its depth.
pub async fn category_choices(db: &Db) -> Result<Vec<CategoryChoice>, sqlx::Error> {
    use crate::manage::categories::repo;
    Ok(repo::lines(&repo::all(db).await?)
        .into_iter()
        .map(|line| CategoryChoice {
            name: match line.hidden {
                true => format!("{} (hidden)", line.name),
                false => line.name,
            },
            slug: line.slug,
            depth: line.depth,
        })
        .collect())
}

/// A product's status and category, as the audit log records them.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Placement {
    pub id: i64,
    pub status: String,
    pub category: String,
}

/// The products among `ids` that exist, with where they stand.
pub async fn placements(tx: &mut Tx, ids: &[i64]) -> Result<Vec<Placement>, sqlx::Error> {
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        let placement: Option<Placement> = in_tx!(tx, conn => sqlx::query_as(
            "SELECT p.id, p.status, c.slug AS category FROM products p
             JOIN categories c ON c.id = p.category_id WHERE p.id = $1"
        )
        .bind(id)
        .fetch_optional(conn)
        .await)?;
        found.extend(placement);
    }
    Ok(found)
}

/// How many of a product's variants there are; a product without one cannot be published.
pub async fn variant_count(tx: &mut Tx, product_id: i64) -> Result<i64, sqlx::Error> {
    in_tx!(tx, conn => sqlx::query_scalar(
        "SELECT COUNT(*) FROM product_variants WHERE product_id = $1"
    )
    .bind(product_id)
    .fetch_one(conn)
    .await)
}

pub async fn set_status(
    tx: &mut Tx,
    product_id: i64,
    status: ProductStatus,
) -> Result<(), sqlx::Error> {
    let now = tx.now();
    in_tx!(tx, conn => sqlx::query("UPDATE products SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.name())
        .bind(now)
        .bind(product_id)
        .execute(conn)
        .await
        .map(drop))
}

/// Moves a product into the category with `slug`; false when there is no such category.
pub async fn set_category(tx: &mut Tx, product_id: i64, slug: &str) -> Result<bool, sqlx::Error> {
    let now = tx.now();
    let moved = in_tx!(tx, conn => sqlx::query(
        "UPDATE products SET category_id = (SELECT id FROM categories WHERE slug = $1), updated_at = $2
         WHERE id = $3 AND EXISTS (SELECT 1 FROM categories WHERE slug = $1)"
    )
    .bind(slug)
    .bind(now)
    .bind(product_id)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(moved == 1)
}

/// A product's own fields, as the editor edits them.
const DRAFT: &str =
    "SELECT p.name, p.slug, p.description, c.slug AS category, p.status, p.seo_title,
        p.seo_description
    FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id = $1";

#[derive(sqlx::FromRow)]
struct EditorRow {
    name: String,
    slug: String,
    description: String,
    category: String,
    status: String,
    seo_title: Option<String>,
    seo_description: Option<String>,
}

impl EditorRow {
    fn into_draft(self) -> ProductDraft {
        ProductDraft {
            name: self.name,
            slug: self.slug,
            description: self.description,
            category: self.category,
            status: ProductStatus::parse(&self.status).unwrap_or(ProductStatus::Draft),
            seo_title: self.seo_title,
            seo_description: self.seo_description,
        }
    }
}

#[derive(sqlx::FromRow)]
struct VariantRow {
    id: i64,
    sku: String,
    title: String,
    price_minor: i64,
    currency: String,
    compare_at_minor: Option<i64>,
    low_stock_threshold: i32,
    on_hand: i32,
    reserved: i32,
}

/// A product as its editor shows it, with its variants and whether it was ever ordered.
pub async fn editor(
    db: &Db,
    id: i64,
) -> Result<Option<(ProductDraft, Vec<VariantLine>, bool)>, sqlx::Error> {
    let row: Option<EditorRow> = on_db!(db, pool => sqlx::query_as(
        DRAFT
    ).bind(id).fetch_optional(pool).await)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let variants: Vec<VariantRow> = on_db!(db, pool => sqlx::query_as(
        "SELECT v.id, v.sku, v.title, v.price_minor, v.currency, v.compare_at_minor,
                i.low_stock_threshold, i.on_hand, i.reserved
         FROM product_variants v JOIN inventory i ON i.variant_id = v.id
         WHERE v.product_id = $1 ORDER BY v.position, v.id"
    ).bind(id).fetch_all(pool).await)?;
    let ordered: bool = on_db!(db, pool => sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM order_lines l JOIN product_variants v ON v.id = l.variant_id
                        WHERE v.product_id = $1)"
    ).bind(id).fetch_one(pool).await)?;
    let draft = row.into_draft();
    let variants = variants
        .into_iter()
        .map(|v| {
            let currency = Currency::parse(&v.currency).unwrap_or(Currency::XXX);
            VariantLine {
                id: v.id,
                sku: v.sku,
                title: v.title,
                price: Money::new(v.price_minor, currency),
                compare_at: v.compare_at_minor.map(|was| Money::new(was, currency)),
                low_stock_threshold: v.low_stock_threshold,
                on_hand: v.on_hand,
                reserved: v.reserved,
            }
        })
        .collect();
    Ok(Some((draft, variants, ordered)))
}

/// A product's own fields, read in the caller's transaction.
/// A product's status, read outside any transaction.
pub async fn status(db: &Db, id: i64) -> Result<Option<ProductStatus>, sqlx::Error> {
    let status: Option<String> = on_db!(db, pool => sqlx::query_scalar(
        "SELECT status FROM products WHERE id = $1"
    ).bind(id).fetch_optional(pool).await)?;
    Ok(status.and_then(|status| ProductStatus::parse(&status)))
}

pub async fn draft_in(tx: &mut Tx, id: i64) -> Result<Option<ProductDraft>, sqlx::Error> {
    let row: Option<EditorRow> = in_tx!(tx, conn => sqlx::query_as(
        DRAFT
    ).bind(id).fetch_optional(conn).await)?;
    Ok(row.map(EditorRow::into_draft))
}

/// Who has `slug` now: a product under it, or one it used to name (a redirect).
pub enum SlugHolder {
    Product(i64),
    FormerlyOf(i64),
}

pub async fn slug_holder(tx: &mut Tx, slug: &str) -> Result<Option<SlugHolder>, sqlx::Error> {
    let product: Option<i64> = in_tx!(tx, conn => sqlx::query_scalar(
        "SELECT id FROM products WHERE slug = $1"
    ).bind(slug).fetch_optional(conn).await)?;
    if let Some(id) = product {
        return Ok(Some(SlugHolder::Product(id)));
    }
    let former: Option<i64> = in_tx!(tx, conn => sqlx::query_scalar(
        "SELECT product_id FROM product_slug_redirects WHERE old_slug = $1"
    ).bind(slug).fetch_optional(conn).await)?;
    Ok(former.map(SlugHolder::FormerlyOf))
}

/// The category's id by slug.
pub async fn category_id(tx: &mut Tx, slug: &str) -> Result<Option<i64>, sqlx::Error> {
    in_tx!(tx, conn => sqlx::query_scalar("SELECT id FROM categories WHERE slug = $1")
        .bind(slug).fetch_optional(conn).await)
}

/// Creates a product without variants (so not yet sellable) in `currency`.
pub async fn insert(
    tx: &mut Tx,
    draft: &ProductDraft,
    category_id: i64,
    currency: Currency,
) -> Result<i64, sqlx::Error> {
    let now = tx.now().trunc_subsecs(6);
    in_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO products (slug, name, description, category_id, status, price_minor, currency,
                               seo_title, seo_description, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8, $9, $9) RETURNING id"
    )
    .bind(&draft.slug)
    .bind(&draft.name)
    .bind(&draft.description)
    .bind(category_id)
    .bind(draft.status.name())
    .bind(currency.code())
    .bind(&draft.seo_title)
    .bind(&draft.seo_description)
    .bind(now)
    .fetch_one(conn)
    .await)
}

/// Writes the product's fields. A new slug keeps the old one as a redirect to the product, and
/// taking back a slug it had before drops that redirect.
pub async fn update(
    tx: &mut Tx,
    id: i64,
    before: &ProductDraft,
    draft: &ProductDraft,
    category_id: i64,
) -> Result<(), sqlx::Error> {
    let now = tx.now();
    in_tx!(tx, conn => sqlx::query(
        "UPDATE products SET slug = $1, name = $2, description = $3, category_id = $4, status = $5,
                             seo_title = $6, seo_description = $7, updated_at = $8
         WHERE id = $9"
    )
    .bind(&draft.slug)
    .bind(&draft.name)
    .bind(&draft.description)
    .bind(category_id)
    .bind(draft.status.name())
    .bind(&draft.seo_title)
    .bind(&draft.seo_description)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await
    .map(drop))?;
    if before.slug != draft.slug {
        in_tx!(tx, conn => sqlx::query(
            "DELETE FROM product_slug_redirects WHERE old_slug = $1 AND product_id = $2"
        ).bind(&draft.slug).bind(id).execute(conn).await.map(drop))?;
        in_tx!(tx, conn => sqlx::query(
            "INSERT INTO product_slug_redirects (old_slug, product_id, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (old_slug) DO UPDATE SET product_id = excluded.product_id"
        ).bind(&before.slug).bind(id).bind(now).execute(conn).await.map(drop))?;
    }
    Ok(())
}

/// Deletes a product that was never ordered, with its variants, stock and ledger; false when it
/// has been ordered (checked in the same statement) or is gone.
pub async fn delete(tx: &mut Tx, id: i64) -> Result<bool, sqlx::Error> {
    // Its variants leave every cart that held them.
    tx.changed(Whose::Everyone);
    let deleted = in_tx!(tx, conn => sqlx::query(
        "DELETE FROM products WHERE id = $1 AND NOT EXISTS (
            SELECT 1 FROM order_lines l JOIN product_variants v ON v.id = l.variant_id WHERE v.product_id = $1)"
    ).bind(id).execute(conn).await.map(|done| done.rows_affected()))?;
    Ok(deleted == 1)
}

/// A variant as the audit log records it, with what decides whether it may go.
#[derive(sqlx::FromRow, Clone, Debug, serde::Serialize)]
pub struct VariantState {
    pub product_id: i64,
    pub sku: String,
    pub title: String,
    pub price_minor: i64,
    pub compare_at_minor: Option<i64>,
    pub low_stock_threshold: i32,
    pub reserved: i32,
    pub ordered: bool,
}

pub async fn variant_state(
    tx: &mut Tx,
    variant_id: i64,
) -> Result<Option<VariantState>, sqlx::Error> {
    in_tx!(tx, conn => sqlx::query_as(
        "SELECT v.product_id, v.sku, v.title, v.price_minor, v.compare_at_minor, i.low_stock_threshold,
                i.reserved, EXISTS (SELECT 1 FROM order_lines l WHERE l.variant_id = v.id) AS ordered
         FROM product_variants v JOIN inventory i ON i.variant_id = v.id WHERE v.id = $1"
    ).bind(variant_id).fetch_optional(conn).await)
}

/// The variant with `sku`, if any.
pub async fn sku_holder(tx: &mut Tx, sku: &str) -> Result<Option<i64>, sqlx::Error> {
    in_tx!(tx, conn => sqlx::query_scalar("SELECT id FROM product_variants WHERE sku = $1")
        .bind(sku).fetch_optional(conn).await)
}

/// Adds a variant at the end of the product's list, with nothing on hand yet.
pub async fn insert_variant(
    tx: &mut Tx,
    product_id: i64,
    draft: &VariantDraft,
) -> Result<i64, sqlx::Error> {
    let now = tx.now();
    let id: i64 = in_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO product_variants (product_id, sku, title, option1, price_minor, currency,
                                       compare_at_minor, position, created_at, updated_at)
         VALUES ($1, $2, $3, $3, $4, $5, $6,
                 (SELECT COALESCE(MAX(position), -1) + 1 FROM product_variants WHERE product_id = $1), $7, $7)
         RETURNING id"
    )
    .bind(product_id)
    .bind(&draft.sku)
    .bind(&draft.title)
    .bind(draft.price.minor)
    .bind(draft.price.currency.code())
    .bind(draft.compare_at.map(|was| was.minor))
    .bind(now)
    .fetch_one(conn)
    .await)?;
    in_tx!(tx, conn => sqlx::query(
        "INSERT INTO inventory (variant_id, on_hand, reserved, low_stock_threshold, updated_at)
         VALUES ($1, 0, 0, $2, $3)"
    ).bind(id).bind(draft.low_stock_threshold).bind(now).execute(conn).await.map(drop))?;
    Ok(id)
}

pub async fn update_variant(
    tx: &mut Tx,
    variant_id: i64,
    draft: &VariantDraft,
) -> Result<(), sqlx::Error> {
    let now = tx.now();
    in_tx!(tx, conn => sqlx::query(
        "UPDATE product_variants SET sku = $1, title = $2, option1 = $2, price_minor = $3, currency = $4,
                                     compare_at_minor = $5, updated_at = $6
         WHERE id = $7"
    )
    .bind(&draft.sku)
    .bind(&draft.title)
    .bind(draft.price.minor)
    .bind(draft.price.currency.code())
    .bind(draft.compare_at.map(|was| was.minor))
    .bind(now)
    .bind(variant_id)
    .execute(conn)
    .await
    .map(drop))?;
    in_tx!(tx, conn => sqlx::query(
        "UPDATE inventory SET low_stock_threshold = $1, updated_at = $2
         WHERE variant_id = $3 AND low_stock_threshold <> $1"
    ).bind(draft.low_stock_threshold).bind(now).bind(variant_id).execute(conn).await.map(drop))
}

/// Keeps the product's listing price its cheapest variant's (0 with none), in the same transaction
/// as the change to its variants.
pub async fn refresh_price(tx: &mut Tx, product_id: i64) -> Result<(), sqlx::Error> {
    let now = tx.now();
    in_tx!(tx, conn => sqlx::query(
        "UPDATE products SET price_minor = COALESCE(
             (SELECT MIN(price_minor) FROM product_variants WHERE product_id = $1), 0), updated_at = $2
         WHERE id = $1 AND price_minor <> COALESCE(
             (SELECT MIN(price_minor) FROM product_variants WHERE product_id = $1), 0)"
    ).bind(product_id).bind(now).execute(conn).await.map(drop))
}

/// Moves a variant one place up or down among its product's; false when it is already first or
/// last. Positions are numbered afresh first, so ties from imported data order by id.
pub async fn move_variant(
    tx: &mut Tx,
    product_id: i64,
    variant_id: i64,
    direction: Direction,
) -> Result<bool, sqlx::Error> {
    let order: Vec<i64> = in_tx!(tx, conn => sqlx::query_scalar(
        "SELECT id FROM product_variants WHERE product_id = $1 ORDER BY position, id"
    ).bind(product_id).fetch_all(conn).await)?;
    let Some(order) = direction.apply(order, variant_id) else {
        return Ok(false);
    };
    for (position, id) in order.iter().enumerate() {
        in_tx!(tx, conn => sqlx::query(
            "UPDATE product_variants SET position = $1 WHERE id = $2 AND position <> $1"
        ).bind(position as i32).bind(id).execute(conn).await.map(drop))?;
    }
    Ok(true)
}

/// Removes a variant that was never ordered and holds no reservation (checked in the same
/// statement), with its stock and ledger; false otherwise.
pub async fn delete_variant(tx: &mut Tx, variant_id: i64) -> Result<bool, sqlx::Error> {
    // It leaves every cart that held it.
    tx.changed(Whose::Everyone);
    let deleted = in_tx!(tx, conn => sqlx::query(
        "DELETE FROM product_variants WHERE id = $1
           AND NOT EXISTS (SELECT 1 FROM order_lines WHERE variant_id = $1)
           AND NOT EXISTS (SELECT 1 FROM inventory WHERE variant_id = $1 AND reserved > 0)"
    ).bind(variant_id).execute(conn).await.map(|done| done.rows_affected()))?;
    Ok(deleted == 1)
}

/// A product's variants, for locking their stock.
pub async fn variant_ids(tx: &mut Tx, product_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    in_tx!(tx, conn => sqlx::query_scalar("SELECT id FROM product_variants WHERE product_id = $1")
        .bind(product_id).fetch_all(conn).await)
}

pub async fn is_active(tx: &mut Tx, product_id: i64) -> Result<bool, sqlx::Error> {
    in_tx!(tx, conn => sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM products WHERE id = $1 AND status = 'active')"
    ).bind(product_id).fetch_one(conn).await)
}

// ---- images ----

#[derive(Clone, Debug, sqlx::FromRow, serde::Serialize)]
pub struct ImageRow {
    pub id: i64,
    pub path: String,
    pub alt: String,
    pub width: i32,
    pub height: i32,
    pub renditions: String,
}

/// A product's images, in the shop's order (the first is its picture in listings).
pub async fn images(db: &Db, product_id: i64) -> Result<Vec<ImageRow>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as(
        "SELECT id, path, alt, width, height, renditions FROM product_images
         WHERE product_id = $1 ORDER BY position"
    ).bind(product_id).fetch_all(pool).await)
}

pub async fn image_of(
    tx: &mut Tx,
    product_id: i64,
    image_id: i64,
) -> Result<Option<ImageRow>, sqlx::Error> {
    in_tx!(tx, conn => sqlx::query_as(
        "SELECT id, path, alt, width, height, renditions FROM product_images
         WHERE id = $1 AND product_id = $2"
    ).bind(image_id).bind(product_id).fetch_optional(conn).await)
}

/// Adds stored images after the product's others, each described by `alt`; their ids in order.
pub async fn add_images(
    tx: &mut Tx,
    product_id: i64,
    images: &[crate::server::media::StoredImage],
    alt: &str,
) -> Result<Vec<i64>, sqlx::Error> {
    let now = tx.now();
    let next: i32 = in_tx!(tx, conn => sqlx::query_scalar(
        "SELECT CAST(COALESCE(MAX(position) + 1, 0) AS INTEGER) FROM product_images WHERE product_id = $1"
    ).bind(product_id).fetch_one(conn).await)?;
    let mut ids = Vec::with_capacity(images.len());
    for (offset, image) in images.iter().enumerate() {
        let position = next + i32::try_from(offset).unwrap_or(i32::MAX - next);
        let id: i64 = in_tx!(tx, conn => sqlx::query_scalar(
            "INSERT INTO product_images (product_id, position, path, alt, width, height, renditions, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
        )
        .bind(product_id)
        .bind(position)
        .bind(&image.path)
        .bind(alt)
        .bind(i32::try_from(image.width).unwrap_or(i32::MAX))
        .bind(i32::try_from(image.height).unwrap_or(i32::MAX))
        .bind(crate::server::media::format_renditions(&image.renditions))
        .bind(now)
        .fetch_one(conn)
        .await)?;
        ids.push(id);
    }
    Ok(ids)
}

pub async fn set_image_alt(tx: &mut Tx, image_id: i64, alt: &str) -> Result<(), sqlx::Error> {
    in_tx!(tx, conn => sqlx::query("UPDATE product_images SET alt = $1 WHERE id = $2")
        .bind(alt).bind(image_id).execute(conn).await.map(drop))
}

/// Puts a product's images in `order` (every one of its image ids).
pub async fn order_images(tx: &mut Tx, product_id: i64, order: &[i64]) -> Result<(), sqlx::Error> {
    // Positions are unique per product: out of the way first, then each to its place.
    in_tx!(tx, conn => sqlx::query(
        "UPDATE product_images SET position = -1 - position WHERE product_id = $1"
    ).bind(product_id).execute(conn).await.map(drop))?;
    for (position, id) in order.iter().enumerate() {
        in_tx!(tx, conn => sqlx::query("UPDATE product_images SET position = $1 WHERE id = $2")
            .bind(i32::try_from(position).unwrap_or(i32::MAX)).bind(id).execute(conn).await.map(drop))?;
    }
    Ok(())
}

pub async fn image_ids(tx: &mut Tx, product_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    in_tx!(tx, conn => sqlx::query_scalar(
        "SELECT id FROM product_images WHERE product_id = $1 ORDER BY position"
    ).bind(product_id).fetch_all(conn).await)
}

/// Deletes an image's row; its files stay until nothing uses them (`images::sweep`).
pub async fn delete_image(tx: &mut Tx, image_id: i64) -> Result<(), sqlx::Error> {
    in_tx!(tx, conn => sqlx::query("DELETE FROM product_images WHERE id = $1")
        .bind(image_id).execute(conn).await.map(drop))
}

/// How many of a product's images have no description; a product with one cannot be published.
pub async fn undescribed_images(tx: &mut Tx, product_id: i64) -> Result<i64, sqlx::Error> {
    in_tx!(tx, conn => sqlx::query_scalar(
        "SELECT COUNT(*) FROM product_images WHERE product_id = $1 AND alt = ''"
    ).bind(product_id).fetch_one(conn).await)
}

/// Every file path the shop's images use under `MEDIA_DIR`: products' and categories'.
pub async fn image_paths(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar(
        "SELECT path FROM product_images
         UNION SELECT image_path FROM categories WHERE image_path IS NOT NULL"
    ).fetch_all(pool).await)
}

// ---- CSV ----

#[derive(sqlx::FromRow)]
struct ExportRow {
    id: i64,
    slug: String,
    name: String,
    description: String,
    category: String,
    status: String,
    seo_title: Option<String>,
    seo_description: Option<String>,
    sku: Option<String>,
    title: Option<String>,
    price_minor: Option<i64>,
    currency: Option<String>,
    compare_at_minor: Option<i64>,
    low_stock_threshold: Option<i32>,
    on_hand: Option<i32>,
}

/// A page of the export: the lines of up to `limit` products after the product `after`, by id.
pub struct ExportPage {
    pub lines: Vec<super::csv::CsvLine>,
    pub products: i64,
    pub last_id: i64,
}

pub async fn export_page(db: &Db, after: i64, limit: i64) -> Result<ExportPage, sqlx::Error> {
    let rows: Vec<ExportRow> = on_readers!(db, pool => sqlx::query_as(
        "SELECT p.id, p.slug, p.name, p.description, c.slug AS category, p.status, p.seo_title,
                p.seo_description, v.sku, v.title, v.price_minor, v.currency, v.compare_at_minor,
                i.low_stock_threshold, i.on_hand
         FROM (SELECT * FROM products WHERE id > $1 ORDER BY id LIMIT $2) p
         JOIN categories c ON c.id = p.category_id
         LEFT JOIN product_variants v ON v.product_id = p.id
         LEFT JOIN inventory i ON i.variant_id = v.id
         ORDER BY p.id, v.position, v.id"
    ).bind(after).bind(limit).fetch_all(pool).await)?;
    let mut products = 0;
    let mut last_id = after;
    let money = |minor: Option<i64>, currency: &Option<String>| match (minor, currency) {
        (Some(minor), Some(code)) => {
            Money::new(minor, Currency::parse(code).unwrap_or(Currency::XXX)).to_decimal_string()
        }
        _ => String::new(),
    };
    let lines = rows
        .into_iter()
        .map(|row| {
            if row.id != last_id {
                products += 1;
                last_id = row.id;
            }
            super::csv::CsvLine {
                handle: row.slug,
                name: row.name,
                description: row.description,
                category: row.category,
                status: row.status,
                seo_title: row.seo_title.unwrap_or_default(),
                seo_description: row.seo_description.unwrap_or_default(),
                price: money(row.price_minor, &row.currency),
                compare_at: money(row.compare_at_minor, &row.currency),
                sku: row.sku.unwrap_or_default(),
                variant: row.title.unwrap_or_default(),
                low_stock_threshold: row
                    .low_stock_threshold
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
                on_hand: row.on_hand.map(|n| n.to_string()).unwrap_or_default(),
            }
        })
        .collect();
    Ok(ExportPage {
        lines,
        products,
        last_id,
    })
}

// ---- imports ----

pub async fn category_slugs(db: &Db) -> Result<std::collections::HashSet<String>, sqlx::Error> {
    let slugs: Vec<String> = on_db!(db, pool => sqlx::query_scalar("SELECT slug FROM categories")
        .fetch_all(pool).await)?;
    Ok(slugs.into_iter().collect())
}

pub async fn on_hand(tx: &mut Tx, variant_id: i64) -> Result<i32, sqlx::Error> {
    in_tx!(tx, conn => sqlx::query_scalar("SELECT on_hand FROM inventory WHERE variant_id = $1")
        .bind(variant_id).fetch_one(conn).await)
}

pub async fn insert_import(
    db: &Db,
    user_id: i64,
    file_name: &str,
    content: &str,
    parsed: &super::import::Parsed,
) -> Result<i64, sqlx::Error> {
    let now = db.now();
    on_db!(db, pool => sqlx::query_scalar(
        "INSERT INTO product_imports (user_id, file_name, content, status, lines, products, summary, errors,
                                      created_at, updated_at)
         VALUES ($1, $2, $3, 'checking', $4, $5, $6, $7, $8, $8) RETURNING id"
    )
    .bind(user_id)
    .bind(file_name)
    .bind(content)
    .bind(i32::try_from(parsed.lines).unwrap_or(i32::MAX))
    .bind(i32::try_from(parsed.products).unwrap_or(i32::MAX))
    .bind(serde_json::json!(super::import::ImportSummary::default()).to_string())
    .bind(serde_json::json!(parsed.errors).to_string())
    .bind(now)
    .fetch_one(pool)
    .await)
}

#[derive(sqlx::FromRow)]
pub struct ImportRow {
    id: i64,
    file_name: String,
    status: String,
    lines: i32,
    products: i32,
    products_checked: i32,
    products_done: i32,
    summary: String,
    errors: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

impl ImportRow {
    pub fn view(self, can_edit: bool) -> super::import::ImportView {
        let errors: Vec<super::import::LineError> =
            serde_json::from_str(&self.errors).unwrap_or_default();
        super::import::ImportView {
            can_apply: can_edit && self.status == "checked" && errors.is_empty(),
            id: self.id,
            file_name: self.file_name,
            status: self.status,
            lines: i64::from(self.lines),
            products: i64::from(self.products),
            products_checked: i64::from(self.products_checked),
            products_done: i64::from(self.products_done),
            summary: serde_json::from_str(&self.summary).unwrap_or_default(),
            errors,
            created_at: self.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }
}

/// The import `id`, or the newest 20.
pub async fn imports(db: &Db, id: Option<i64>) -> Result<Vec<ImportRow>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as(
        "SELECT id, file_name, status, lines, products, products_checked, products_done, summary, errors,
                created_at
         FROM product_imports WHERE $1 IS NULL OR id = $1 ORDER BY id DESC LIMIT 20"
    ).bind(id).fetch_all(pool).await)
}

/// Queues a checked import without errors; false for any other.
pub async fn queue_import(db: &Db, id: i64) -> Result<bool, sqlx::Error> {
    let queued = on_db!(db, pool => sqlx::query(
        "UPDATE product_imports SET status = 'queued', updated_at = $1
         WHERE id = $2 AND status = 'checked' AND errors = '[]'"
    ).bind(db.now()).bind(id).execute(pool).await.map(|done| done.rows_affected()))?;
    Ok(queued == 1)
}

/// An import taken for a pass: its check (`checking`) or its apply (`applying`).
pub struct ClaimedImport {
    pub id: i64,
    pub status: String,
    pub user_id: Option<i64>,
    pub content: String,
    /// Products the pass has done already.
    pub done: i32,
    pub summary: super::import::ImportSummary,
    pub errors: Vec<super::import::LineError>,
}

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    id: i64,
    status: String,
    user_id: Option<i64>,
    content: String,
    products_checked: i32,
    products_done: i32,
    summary: String,
    errors: String,
}

/// Takes the next import to check or apply (a queued one becomes `applying`), or one whose pass's
/// lease ran out, for ten minutes.
pub async fn claim_import(db: &Db) -> Result<Option<ClaimedImport>, sqlx::Error> {
    let now = db.now();
    // The condition is checked again on the row itself: two shop processes never take one import.
    let claimed: Option<ClaimedRow> = on_db!(db, pool => sqlx::query_as(
        "UPDATE product_imports
         SET status = CASE status WHEN 'queued' THEN 'applying' ELSE status END,
             lease_until = $1, updated_at = $2
         WHERE id = (SELECT id FROM product_imports
                     WHERE status = 'queued'
                        OR (status IN ('checking', 'applying') AND (lease_until IS NULL OR lease_until < $2))
                     ORDER BY id LIMIT 1)
           AND (status = 'queued'
                OR (status IN ('checking', 'applying') AND (lease_until IS NULL OR lease_until < $2)))
         RETURNING id, status, user_id, content, products_checked, products_done, summary, errors"
    ).bind(now + chrono::Duration::minutes(10)).bind(now).fetch_optional(pool).await)?;
    Ok(claimed.map(|row| ClaimedImport {
        done: match row.status.as_str() {
            "applying" => row.products_done,
            _ => row.products_checked,
        },
        id: row.id,
        status: row.status,
        user_id: row.user_id,
        content: row.content,
        summary: serde_json::from_str(&row.summary).unwrap_or_default(),
        errors: serde_json::from_str(&row.errors).unwrap_or_default(),
    }))
}

/// Records how far a pass has got (in an applied batch's own transaction) and renews its lease.
pub async fn record_progress(
    tx: &mut Tx,
    id: i64,
    applying: bool,
    done: usize,
    summary: &super::import::ImportSummary,
    errors: &[super::import::LineError],
) -> Result<(), sqlx::Error> {
    let now = tx.now();
    let sql = match applying {
        true => "UPDATE product_imports SET products_done = $1, summary = $2, errors = $3, lease_until = $4,
                 updated_at = $5 WHERE id = $6",
        false => "UPDATE product_imports SET products_checked = $1, summary = $2, errors = $3, lease_until = $4,
                  updated_at = $5 WHERE id = $6",
    };
    in_tx!(tx, conn => sqlx::query(sql)
        .bind(i32::try_from(done).unwrap_or(i32::MAX))
        .bind(serde_json::json!(summary).to_string())
        .bind(serde_json::json!(errors).to_string())
        .bind(now + chrono::Duration::minutes(10))
        .bind(now)
        .bind(id)
        .execute(conn)
        .await
        .map(drop))
}

/// Ends a pass: `checked` or `refused` after the check, `applied` after the apply.
pub async fn finish_import(db: &Db, id: i64, status: &str) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query(
        "UPDATE product_imports SET status = $1, lease_until = NULL, updated_at = $2 WHERE id = $3"
    ).bind(status).bind(db.now()).bind(id).execute(pool).await.map(drop))
}
