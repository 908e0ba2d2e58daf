//! Products SQL for the back office, one text for both engines.

use super::{CategoryChoice, CheckedFilters, ProductRow, ProductSort, ProductStatus, ProductStock};
use crate::money::{Currency, Money};
use crate::server::db::{Db, Tx};
use crate::{in_tx, on_db};
use chrono::Utc;

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

/// Every category, in tree order, with its depth.
pub async fn category_choices(db: &Db) -> Result<Vec<CategoryChoice>, sqlx::Error> {
    fn walk(nodes: &[crate::catalog::CategoryNode], depth: usize, out: &mut Vec<CategoryChoice>) {
        for node in nodes {
            out.push(CategoryChoice {
                slug: node.slug.clone(),
                name: node.name.clone(),
                depth,
            });
            walk(&node.children, depth + 1, out);
        }
    }
    let mut choices = Vec::new();
    walk(
        &crate::catalog::repo::category_tree(db).await?,
        0,
        &mut choices,
    );
    Ok(choices)
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
    in_tx!(tx, conn => sqlx::query("UPDATE products SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.name())
        .bind(Utc::now())
        .bind(product_id)
        .execute(conn)
        .await
        .map(drop))
}

/// Moves a product into the category with `slug`; false when there is no such category.
pub async fn set_category(tx: &mut Tx, product_id: i64, slug: &str) -> Result<bool, sqlx::Error> {
    let moved = in_tx!(tx, conn => sqlx::query(
        "UPDATE products SET category_id = (SELECT id FROM categories WHERE slug = $1), updated_at = $2
         WHERE id = $3 AND EXISTS (SELECT 1 FROM categories WHERE slug = $1)"
    )
    .bind(slug)
    .bind(Utc::now())
    .bind(product_id)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(moved == 1)
}
