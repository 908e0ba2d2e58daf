use super::Role;
use crate::in_tx;
use crate::server::db::Tx;

/// Creates a user with an already verified email; used for staff accounts made by the shop itself.
pub async fn insert_verified_user(
    tx: &mut Tx,
    email: &str,
    display_name: &str,
    password_hash: &str,
    role: Role,
) -> Result<i64, sqlx::Error> {
    let now = chrono::Utc::now();
    in_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO users (email, email_verified_at, password_hash, display_name, role_id, created_at, updated_at)
         SELECT $1, $2, $3, $4, id, $2, $2 FROM roles WHERE name = $5
         RETURNING id"
    )
    .bind(email.to_lowercase())
    .bind(now)
    .bind(password_hash)
    .bind(display_name)
    .bind(role.name())
    .fetch_one(conn)
    .await)
}
