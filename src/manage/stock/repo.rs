//! Stock SQL for the back office, one text for both engines. An adjustment is one conditional
//! update of `inventory`: it adds to what is on hand at that moment, so it never overwrites a
//! concurrent sale or reservation, and it is refused, with nothing written, when it would leave
//! less on hand than checkouts have reserved.

use super::{Adjustment, LedgerEntry, StockFilter, StockRow};
use crate::server::db::{Db, Tx};
use crate::{in_tx, on_db};
use chrono::{DateTime, SubsecRound, Utc};

const ROW: &str =
    "SELECT v.id AS variant_id, p.name AS product_name, p.slug AS product_slug, v.sku,
        v.title AS variant_title, i.on_hand, i.reserved, i.low_stock_threshold
    FROM inventory i
    JOIN product_variants v ON v.id = i.variant_id
    JOIN products p ON p.id = v.product_id";

#[derive(sqlx::FromRow)]
struct Row {
    variant_id: i64,
    product_name: String,
    product_slug: String,
    sku: String,
    variant_title: String,
    on_hand: i32,
    reserved: i32,
    low_stock_threshold: i32,
}

impl From<Row> for StockRow {
    fn from(row: Row) -> StockRow {
        StockRow {
            variant_id: row.variant_id,
            product_name: row.product_name,
            product_slug: row.product_slug,
            sku: row.sku,
            variant_title: row.variant_title,
            on_hand: row.on_hand,
            reserved: row.reserved,
            low_stock_threshold: row.low_stock_threshold,
        }
    }
}

/// A page of variants by product name then id: those whose product name or SKU contains `search`,
/// in the state `filter` asks for, after the variant `after`.
pub async fn list(
    db: &Db,
    search: Option<&str>,
    filter: StockFilter,
    after: Option<i64>,
    limit: usize,
) -> Result<Vec<StockRow>, sqlx::Error> {
    let sql = format!(
        "{ROW}
        WHERE ($1 IS NULL OR lower(p.name) LIKE $1 ESCAPE '\\' OR lower(v.sku) LIKE $1 ESCAPE '\\')
          AND ($2 = 'all'
               OR ($2 = 'low' AND i.on_hand - i.reserved <= i.low_stock_threshold)
               OR ($2 = 'out' AND i.on_hand - i.reserved <= 0))
          AND ($3 IS NULL OR (p.name, v.id) > (
                (SELECT p2.name FROM product_variants v2 JOIN products p2 ON p2.id = v2.product_id
                 WHERE v2.id = $3), $3))
        ORDER BY p.name, v.id
        LIMIT $4"
    );
    let pattern = search.map(crate::server::db::contains_pattern);
    let rows: Vec<Row> = on_db!(db, pool => sqlx::query_as(&sql)
        .bind(pattern)
        .bind(filter.name())
        .bind(after)
        .bind(limit as i64)
        .fetch_all(pool)
        .await)?;
    Ok(rows.into_iter().map(StockRow::from).collect())
}

pub async fn find(db: &Db, variant_id: i64) -> Result<Option<StockRow>, sqlx::Error> {
    let sql = format!("{ROW} WHERE v.id = $1");
    let row: Option<Row> = on_db!(db, pool => sqlx::query_as(&sql)
        .bind(variant_id)
        .fetch_optional(pool)
        .await)?;
    Ok(row.map(StockRow::from))
}

#[derive(sqlx::FromRow)]
struct LedgerRow {
    created_at: DateTime<Utc>,
    delta: i32,
    reason: String,
    note: String,
    actor: Option<String>,
    order_number: Option<String>,
}

/// A variant's newest ledger rows, newest first, with who made each and for which order.
pub async fn ledger(
    db: &Db,
    variant_id: i64,
    limit: usize,
) -> Result<Vec<LedgerEntry>, sqlx::Error> {
    let rows: Vec<LedgerRow> = on_db!(db, pool => sqlx::query_as(
        "SELECT m.created_at, m.delta, m.reason, m.note, u.display_name AS actor, o.number AS order_number
         FROM stock_movements m
         LEFT JOIN users u ON u.id = m.actor_user_id
         LEFT JOIN orders o ON o.id = m.order_id
         WHERE m.variant_id = $1
         ORDER BY m.created_at DESC, m.id DESC
         LIMIT $2"
    )
    .bind(variant_id)
    .bind(limit as i64)
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|row| LedgerEntry {
            at: row.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            delta: row.delta,
            reason: super::ledger_label(&row.reason).to_owned(),
            note: row.note,
            actor: row.actor,
            order_number: row.order_number,
        })
        .collect())
}

/// Applies `change` to a variant's stock with its ledger row; the new on-hand count, or `None`
/// when nothing was written: the variant does not exist, or less would be on hand than is
/// reserved (or less than nothing), or more than [`super::MAX_ON_HAND`].
pub async fn adjust(
    tx: &mut Tx,
    variant_id: i64,
    change: &Adjustment,
    actor_user_id: Option<i64>,
) -> Result<Option<i32>, sqlx::Error> {
    let now = tx.now().trunc_subsecs(6);
    let on_hand: Option<i32> = in_tx!(tx, conn => sqlx::query_scalar(
        "UPDATE inventory SET on_hand = on_hand + $1, updated_at = $2
         WHERE variant_id = $3 AND on_hand + $1 >= reserved AND on_hand + $1 <= $4
         RETURNING on_hand"
    )
    .bind(change.delta)
    .bind(now)
    .bind(variant_id)
    .bind(super::MAX_ON_HAND)
    .fetch_optional(conn)
    .await)?;
    if on_hand.is_none() {
        return Ok(None);
    }
    in_tx!(tx, conn => sqlx::query(
        "INSERT INTO stock_movements (variant_id, delta, reason, note, actor_user_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(variant_id)
    .bind(change.delta)
    .bind(change.reason.name())
    .bind(&change.note)
    .bind(actor_user_id)
    .bind(now)
    .execute(conn)
    .await
    .map(drop))?;
    Ok(on_hand)
}
