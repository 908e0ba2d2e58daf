use crate::on_db;
use crate::server::db::Db;

/// Total quantity across a cart's lines.
#[tracing::instrument(skip(db))]
pub async fn item_count(db: &Db, cart_id: i64) -> Result<u32, sqlx::Error> {
    let total: i64 = on_db!(db, pool => sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM cart_items WHERE cart_id = $1"
    )
    .bind(cart_id)
    .fetch_one(pool)
    .await)?;
    Ok(u32::try_from(total).unwrap_or(u32::MAX))
}
