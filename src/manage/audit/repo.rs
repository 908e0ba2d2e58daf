//! Reading the audit log, one text for both engines.

use super::{AuditLine, CheckedAuditFilters};
use crate::on_db;
use crate::server::db::Db;
use chrono::{DateTime, Utc};

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    created_at: DateTime<Utc>,
    actor: Option<String>,
    action: String,
    entity_type: String,
    entity_id: String,
    before_data: Option<String>,
    after_data: Option<String>,
}

/// A page of entries, newest first, matching the filters.
pub async fn list(
    db: &Db,
    filters: &CheckedAuditFilters,
    limit: usize,
) -> Result<Vec<AuditLine>, sqlx::Error> {
    let actor = filters
        .actor
        .as_deref()
        .map(crate::server::db::contains_pattern);
    let rows: Vec<Row> = on_db!(db, pool => sqlx::query_as(
        "SELECT a.id, a.created_at, u.email AS actor, a.action, a.entity_type, a.entity_id,
                a.before_data, a.after_data
         FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id
         WHERE ($1 IS NULL OR lower(u.email) LIKE $1 ESCAPE '\\' OR lower(u.display_name) LIKE $1 ESCAPE '\\')
           AND ($2 IS NULL OR a.entity_type = $2)
           AND ($3 IS NULL OR a.entity_id = $3)
           AND ($4 IS NULL OR a.created_at >= $4)
           AND ($5 IS NULL OR a.created_at < $5)
           AND ($6 IS NULL OR a.id < $6)
           AND NOT ($8 AND a.entity_type = 'user')
         ORDER BY a.id DESC
         LIMIT $7"
    )
    .bind(actor)
    .bind(filters.entity.map(|entity| entity.name()))
    .bind(&filters.entity_id)
    .bind(filters.from)
    .bind(filters.until)
    .bind(filters.before)
    .bind(limit as i64)
    .bind(filters.without_users)
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|row| AuditLine {
            href: match row.entity_type.as_str() {
                "user" => Some(format!("/manage/users/{}", row.entity_id)),
                "category" => Some(format!("/manage/categories/{}", row.entity_id)),
                "product" => Some(format!("/manage/products/{}", row.entity_id)),
                "variant" => Some(format!("/manage/inventory/{}", row.entity_id)),
                _ => None,
            },
            id: row.id,
            at: row.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            actor: row.actor,
            action: row.action,
            entity: row.entity_type,
            entity_id: row.entity_id,
            before: row.before_data,
            after: row.after_data,
        })
        .collect())
}
