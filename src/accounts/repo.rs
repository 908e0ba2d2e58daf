//! Accounts SQL, one text for both engines: users, one-time tokens, signed-in sessions, failed
//! sign-ins, addresses and the audit log.

use super::{AddressKind, AddressView, AuditAction, AuditEntity, Permission, Role};
use crate::server::db::{Constraint, Db, Tx};
use crate::server::shopper_changes::Whose;
use crate::server::tokens::{hex, random_token};
use crate::{in_tx, on_db};
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

/// Tokens are stored as their SHA-256, so a copy of the database cannot be used to reset a password.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

// ---- users ----

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserRecord {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub email_verified_at: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

const USER_COLUMNS: &str = "u.id, u.email, u.display_name, u.password_hash, r.name AS role, \
    u.email_verified_at, u.disabled_at, u.created_at FROM users u JOIN roles r ON r.id = u.role_id";

pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<UserRecord>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS} WHERE u.email = $1");
    on_db!(db, pool => sqlx::query_as(&sql).bind(email).fetch_optional(pool).await)
}

pub async fn find_by_id(db: &Db, id: i64) -> Result<Option<UserRecord>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS} WHERE u.id = $1");
    on_db!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

pub async fn find_by_id_in(tx: &mut Tx, id: i64) -> Result<Option<UserRecord>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS} WHERE u.id = $1");
    in_tx!(tx, conn => sqlx::query_as(&sql).bind(id).fetch_optional(conn).await)
}

/// Creates a user; `None` when the email is taken.
pub async fn insert_user(
    tx: &mut Tx,
    email: &str,
    display_name: &str,
    password_hash: &str,
    role: Role,
    verified: bool,
) -> Result<Option<i64>, sqlx::Error> {
    let now = tx.now();
    let verified_at = verified.then_some(now);
    in_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO users (email, email_verified_at, password_hash, display_name, role_id, created_at, updated_at)
         SELECT $1, $2, $3, $4, id, $5, $5 FROM roles WHERE name = $6
         ON CONFLICT (email) DO NOTHING
         RETURNING id"
    )
    .bind(email.to_lowercase())
    .bind(verified_at)
    .bind(password_hash)
    .bind(display_name)
    .bind(now)
    .bind(role.name())
    .fetch_optional(conn)
    .await)
}

/// Creates a user with an already verified email, for staff accounts made by the shop itself; `None`
/// when the email is taken.
pub async fn insert_verified_user(
    tx: &mut Tx,
    email: &str,
    display_name: &str,
    password_hash: &str,
    role: Role,
) -> Result<Option<i64>, sqlx::Error> {
    insert_user(tx, email, display_name, password_hash, role, true).await
}

pub async fn set_password(tx: &mut Tx, user_id: i64, hash: &str) -> Result<(), sqlx::Error> {
    let now = tx.now();
    in_tx!(tx, conn => sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash).bind(now).bind(user_id).execute(conn).await.map(drop))
}

pub async fn set_display_name(tx: &mut Tx, user_id: i64, name: &str) -> Result<(), sqlx::Error> {
    let now = tx.now();
    in_tx!(tx, conn => sqlx::query("UPDATE users SET display_name = $1, updated_at = $2 WHERE id = $3")
        .bind(name).bind(now).bind(user_id).execute(conn).await.map(drop))
}

/// Marks an enabled account's address confirmed; `true` only when it was unconfirmed until now.
pub async fn mark_verified(tx: &mut Tx, user_id: i64) -> Result<bool, sqlx::Error> {
    let now = tx.now();
    let changed = in_tx!(tx, conn => sqlx::query(
        "UPDATE users SET email_verified_at = $1, updated_at = $1
         WHERE id = $2 AND email_verified_at IS NULL AND disabled_at IS NULL"
    ).bind(now).bind(user_id).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(changed == 1)
}

/// Moves an account to a new, verified address; `false` when another account has it.
pub async fn set_email(tx: &mut Tx, user_id: i64, email: &str) -> Result<bool, sqlx::Error> {
    let now = tx.now();
    let result = in_tx!(tx, conn => sqlx::query(
        "UPDATE users SET email = $1, email_verified_at = $2, updated_at = $2 WHERE id = $3"
    ).bind(email).bind(now).bind(user_id).execute(conn).await.map(drop));
    match result {
        Ok(_) => Ok(true),
        Err(error) if Constraint::broken_by(&error) == Some(Constraint::Unique) => Ok(false),
        Err(error) => Err(error),
    }
}

pub async fn set_role(tx: &mut Tx, user_id: i64, role: Role) -> Result<(), sqlx::Error> {
    tx.changed(Whose::User(user_id));
    let now = tx.now();
    in_tx!(tx, conn => sqlx::query(
        "UPDATE users SET role_id = (SELECT id FROM roles WHERE name = $1), updated_at = $2 WHERE id = $3"
    ).bind(role.name()).bind(now).bind(user_id).execute(conn).await.map(drop))
}

pub async fn set_disabled(tx: &mut Tx, user_id: i64, disabled: bool) -> Result<(), sqlx::Error> {
    tx.changed(Whose::User(user_id));
    let now = tx.now();
    in_tx!(tx, conn => sqlx::query("UPDATE users SET disabled_at = $1, updated_at = $2 WHERE id = $3")
        .bind(disabled.then_some(now)).bind(now).bind(user_id).execute(conn).await.map(drop))
}

/// Deleting an account keeps its row, so orders that point at it stay whole, but removes everything
/// that identifies the person: email, name, password, addresses, likes, cart, sessions, the mail
/// sent to them and the snapshots of them in the audit log.
pub async fn anonymise(tx: &mut Tx, user_id: i64, email: &str) -> Result<(), sqlx::Error> {
    tx.changed(Whose::User(user_id));
    let now = tx.now();
    in_tx!(tx, conn => sqlx::query(
        "UPDATE users SET email = $1, display_name = 'Deleted account', password_hash = '!',
                email_verified_at = NULL, disabled_at = $2, updated_at = $2 WHERE id = $3"
    ).bind(format!("deleted-{user_id}@invalid")).bind(now).bind(user_id).execute(conn).await.map(drop))?;
    for table in [
        "addresses",
        "likes",
        "carts",
        "user_sessions",
        "user_tokens",
    ] {
        let sql = format!("DELETE FROM {table} WHERE user_id = $1");
        in_tx!(tx, conn => sqlx::query(&sql).bind(user_id).execute(conn).await.map(drop))?;
    }
    // The log keeps what was done to the account, not who it was.
    in_tx!(tx, conn => sqlx::query(
        "UPDATE audit_log SET before_data = NULL, after_data = NULL WHERE entity_type = 'user' AND entity_id = $1"
    ).bind(user_id.to_string()).execute(conn).await.map(drop))?;
    in_tx!(tx, conn => sqlx::query("DELETE FROM email_outbox WHERE to_address = $1")
        .bind(email).execute(conn).await.map(drop))
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserListRow {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Users by id, newest first, optionally those whose email or name contains `search`.
pub async fn list_users(
    db: &Db,
    search: Option<&str>,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<UserListRow>, sqlx::Error> {
    let pattern = search.map(|s| {
        format!(
            "%{}%",
            s.to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        )
    });
    on_db!(db, pool => sqlx::query_as(
        "SELECT u.id, u.email, u.display_name, r.name AS role, u.disabled_at, u.created_at
         FROM users u JOIN roles r ON r.id = u.role_id
         WHERE ($1 IS NULL OR lower(u.email) LIKE $1 ESCAPE '\\' OR lower(u.display_name) LIKE $1 ESCAPE '\\')
           AND ($2 IS NULL OR u.id < $2)
         ORDER BY u.id DESC LIMIT $3"
    )
    .bind(pattern)
    .bind(before_id)
    .bind(limit)
    .fetch_all(pool)
    .await)
}

// ---- one-time tokens ----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
    ChangeEmail,
}

impl TokenPurpose {
    fn name(&self) -> &'static str {
        match self {
            TokenPurpose::VerifyEmail => "verify_email",
            TokenPurpose::ResetPassword => "reset_password",
            TokenPurpose::ChangeEmail => "change_email",
        }
    }
}

/// Makes a token and answers it; only its hash is stored.
pub async fn create_token(
    tx: &mut Tx,
    user_id: i64,
    purpose: TokenPurpose,
    new_email: Option<&str>,
    lifetime: Duration,
) -> Result<String, sqlx::Error> {
    let token = random_token();
    let now = tx.now();
    in_tx!(tx, conn => sqlx::query(
        "INSERT INTO user_tokens (user_id, purpose, token_hash, new_email, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(user_id)
    .bind(purpose.name())
    .bind(token_hash(&token))
    .bind(new_email)
    .bind(now + lifetime)
    .bind(now)
    .execute(conn)
    .await
    .map(drop))?;
    Ok(token)
}

/// The user of a good token: one that exists for this purpose, is unused and has not expired.
pub async fn token_user(
    db: &Db,
    token: &str,
    purpose: TokenPurpose,
) -> Result<Option<i64>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar(
        "SELECT user_id FROM user_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3"
    ).bind(token_hash(token)).bind(purpose.name()).bind(db.now()).fetch_optional(pool).await)
}

/// Uses a good token up, atomically, answering its user and the new email it carries.
pub async fn take_token(
    tx: &mut Tx,
    token: &str,
    purpose: TokenPurpose,
) -> Result<Option<(i64, Option<String>)>, sqlx::Error> {
    let now = tx.now();
    in_tx!(tx, conn => sqlx::query_as(
        "UPDATE user_tokens SET used_at = $1
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1
         RETURNING user_id, new_email"
    )
    .bind(now)
    .bind(token_hash(token))
    .bind(purpose.name())
    .fetch_optional(conn)
    .await)
}

/// Uses up every open token of a user: after a password or address change no older link may act
/// on the account.
pub async fn revoke_tokens(tx: &mut Tx, user_id: i64) -> Result<(), sqlx::Error> {
    let now = tx.now();
    in_tx!(tx, conn => sqlx::query("UPDATE user_tokens SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
        .bind(now).bind(user_id).execute(conn).await.map(drop))
}

/// Tokens of a purpose made for a user since `since`, for throttling requests for them.
pub async fn tokens_since(
    db: &Db,
    user_id: i64,
    purpose: TokenPurpose,
    since: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM user_tokens WHERE user_id = $1 AND purpose = $2 AND created_at > $3"
    ).bind(user_id).bind(purpose.name()).bind(since).fetch_one(pool).await)
}

// ---- signed-in sessions ----
//
// A sign-in's secret id lives in its cookie session; `user_sessions` keeps only its hash, the
// sign-in's key, so a copy of the table signs nobody in. Functions taking a `sign_in_id` hash it.

/// The key `user_sessions` keeps a sign-in under.
pub fn session_key(sign_in_id: &str) -> String {
    token_hash(sign_in_id)
}

/// The user behind a sign-in id, with when that sign-in began; disabled users have none.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SignedIn {
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub signed_in_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// The user behind a sign-in id with their role's permissions, in one query: what every request
/// of a signed-in shopper asks first.
pub async fn signed_in_with_permissions(
    db: &Db,
    sign_in_id: &str,
) -> Result<Option<(SignedIn, Vec<Permission>)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        signed_in: SignedIn,
        resource: Option<String>,
        action: Option<String>,
    }
    let rows: Vec<Row> = on_db!(db, pool => sqlx::query_as(
        "SELECT u.id AS user_id, u.email, u.display_name, r.name AS role,
                s.created_at AS signed_in_at, s.last_seen_at, p.resource, p.action
         FROM user_sessions s JOIN users u ON u.id = s.user_id JOIN roles r ON r.id = u.role_id
         LEFT JOIN role_permissions rp ON rp.role_id = r.id
         LEFT JOIN permissions p ON p.id = rp.permission_id
         WHERE s.session_id = $1 AND u.disabled_at IS NULL
         ORDER BY p.resource, p.action"
    ).bind(session_key(sign_in_id)).fetch_all(pool).await)?;
    let permissions = rows
        .iter()
        .filter_map(|row| Permission::parse(row.resource.as_deref()?, row.action.as_deref()?))
        .collect();
    Ok(rows
        .into_iter()
        .next()
        .map(|row| (row.signed_in, permissions)))
}

pub async fn start_session(
    tx: &mut Tx,
    sign_in_id: &str,
    user_id: i64,
    user_agent: &str,
    ip: &str,
) -> Result<(), sqlx::Error> {
    let now = tx.now();
    in_tx!(tx, conn => sqlx::query(
        "INSERT INTO user_sessions (session_id, user_id, user_agent, ip, created_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $5)"
    ).bind(session_key(sign_in_id)).bind(user_id).bind(user_agent).bind(ip).bind(now).execute(conn).await.map(drop))
}

/// Ends the oldest sign-ins beyond `max` (0 means no limit).
pub async fn keep_newest_sessions(tx: &mut Tx, user_id: i64, max: u32) -> Result<(), sqlx::Error> {
    if max == 0 {
        return Ok(());
    }
    tx.changed(Whose::User(user_id));
    in_tx!(tx, conn => sqlx::query(
        "DELETE FROM user_sessions WHERE user_id = $1 AND session_id NOT IN
           (SELECT session_id FROM user_sessions WHERE user_id = $1 ORDER BY created_at DESC, session_id LIMIT $2)"
    ).bind(user_id).bind(i64::from(max)).execute(conn).await.map(drop))
}

pub async fn touch_session(db: &Db, sign_in_id: &str, ip: &str) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query("UPDATE user_sessions SET last_seen_at = $1, ip = $2 WHERE session_id = $3")
        .bind(db.now()).bind(ip).bind(session_key(sign_in_id)).execute(pool).await.map(drop))
}

pub async fn end_session(db: &Db, sign_in_id: &str) -> Result<(), sqlx::Error> {
    let key = session_key(sign_in_id);
    on_db!(db, pool => sqlx::query("DELETE FROM user_sessions WHERE session_id = $1")
        .bind(&key).execute(pool).await.map(drop))?;
    db.changed([Whose::SignIn(key)]).await;
    Ok(())
}

/// Ends the sign-in the table keeps under `key` (as [`session_by_handle`] finds it).
pub async fn end_session_with_key(tx: &mut Tx, key: &str) -> Result<(), sqlx::Error> {
    tx.changed(Whose::SignIn(key.to_owned()));
    in_tx!(tx, conn => sqlx::query("DELETE FROM user_sessions WHERE session_id = $1")
        .bind(key).execute(conn).await.map(drop))
}

/// Ends every sign-in of a user except `keep`.
pub async fn end_sessions(
    tx: &mut Tx,
    user_id: i64,
    keep: Option<&str>,
) -> Result<u64, sqlx::Error> {
    tx.changed(Whose::User(user_id));
    in_tx!(tx, conn => sqlx::query(
        "DELETE FROM user_sessions WHERE user_id = $1 AND ($2 IS NULL OR session_id <> $2)"
    ).bind(user_id).bind(keep.map(session_key)).execute(conn).await.map(|r| r.rows_affected()))
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SessionRow {
    /// The sign-in's key (the hash of its secret id).
    pub key: String,
    pub user_agent: String,
    pub ip: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

pub async fn sessions_of(db: &Db, user_id: i64) -> Result<Vec<SessionRow>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as(
        "SELECT session_id AS key, user_agent, ip, created_at, last_seen_at FROM user_sessions
         WHERE user_id = $1 ORDER BY last_seen_at DESC, session_id"
    ).bind(user_id).fetch_all(pool).await)
}

/// The key of the user's sign-in whose public handle is `handle`.
pub async fn session_by_handle(
    db: &Db,
    user_id: i64,
    handle: &str,
) -> Result<Option<String>, sqlx::Error> {
    Ok(sessions_of(db, user_id)
        .await?
        .into_iter()
        .find(|row| row.handle() == handle)
        .map(|row| row.key))
}

impl SessionRow {
    /// The sign-in's public name, so pages can point at a session: the start of its key.
    pub fn handle(&self) -> String {
        handle_of_key(&self.key)
    }
}

fn handle_of_key(key: &str) -> String {
    key.chars().take(16).collect()
}

/// The public name of the sign-in with this secret id ([`SessionRow::handle`]).
pub fn session_handle(sign_in_id: &str) -> String {
    handle_of_key(&session_key(sign_in_id))
}

// ---- failed sign-ins ----

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Failures {
    pub failures: i64,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_failed_at: DateTime<Utc>,
}

pub async fn failures(db: &Db, subject: &str) -> Result<Option<Failures>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as(
        "SELECT CAST(failures AS BIGINT) AS failures, locked_until, last_failed_at FROM sign_in_failures WHERE subject = $1"
    ).bind(subject).fetch_optional(pool).await)
}

/// How a subject's count turns into locks: the first `free` attempts cost nothing, the next ones
/// lock for `waits` in turn, and from `lock_at` on every attempt locks for `lock`.
pub struct LockRule {
    pub free: i64,
    pub waits: [Option<Duration>; 5],
    pub lock_at: i64,
    pub lock: Duration,
}

/// Counts an attempt, in one statement, unless the subject is locked: answers the new count, or
/// `None` when locked. The lock that this count earns is set in the same statement, so parallel
/// attempts cannot slip past it. Counts older than `forget` start again from one.
pub async fn count_attempt(
    db: &Db,
    subject: &str,
    rule: &LockRule,
    forget: Duration,
) -> Result<Option<i64>, sqlx::Error> {
    let now = db.now();
    on_db!(db, pool => sqlx::query(
        "INSERT INTO sign_in_failures (subject, failures, locked_until, last_failed_at) VALUES ($1, 0, NULL, $2)
         ON CONFLICT (subject) DO NOTHING"
    ).bind(subject).bind(now).execute(pool).await.map(drop))?;
    let waits = rule.waits.map(|wait| wait.map(|wait| now + wait));
    on_db!(db, pool => sqlx::query_scalar(
        "UPDATE sign_in_failures SET
             failures = CASE WHEN last_failed_at < $3 THEN 1 ELSE failures + 1 END,
             last_failed_at = $2,
             locked_until = CASE
                 WHEN (CASE WHEN last_failed_at < $3 THEN 1 ELSE failures + 1 END) >= $5 THEN $6
                 WHEN (CASE WHEN last_failed_at < $3 THEN 1 ELSE failures + 1 END) = $4 + 1 THEN $7
                 WHEN (CASE WHEN last_failed_at < $3 THEN 1 ELSE failures + 1 END) = $4 + 2 THEN $8
                 WHEN (CASE WHEN last_failed_at < $3 THEN 1 ELSE failures + 1 END) = $4 + 3 THEN $9
                 WHEN (CASE WHEN last_failed_at < $3 THEN 1 ELSE failures + 1 END) = $4 + 4 THEN $10
                 WHEN (CASE WHEN last_failed_at < $3 THEN 1 ELSE failures + 1 END) = $4 + 5 THEN $11
                 ELSE NULL END
         WHERE subject = $1 AND (locked_until IS NULL OR locked_until <= $2)
         RETURNING CAST(failures AS BIGINT)"
    )
    .bind(subject)
    .bind(now)
    .bind(now - forget)
    .bind(rule.free)
    .bind(rule.lock_at)
    .bind(now + rule.lock)
    .bind(waits[0])
    .bind(waits[1])
    .bind(waits[2])
    .bind(waits[3])
    .bind(waits[4])
    .fetch_optional(pool)
    .await)
}

/// A successful sign-in: the account's count goes, and the attempt the IP was charged is returned.
pub async fn forgive_attempt(db: &Db, account: &str, ip: &str) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query("DELETE FROM sign_in_failures WHERE subject = $1")
        .bind(account).execute(pool).await.map(drop))?;
    give_back_attempt(db, ip).await
}

/// Takes back one attempt counted against `subject`: one that another count refused.
pub async fn give_back_attempt(db: &Db, subject: &str) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query("UPDATE sign_in_failures SET failures = failures - 1 WHERE subject = $1 AND failures > 0")
        .bind(subject).execute(pool).await.map(drop))
}

/// Forgets the failures counted against `subject` and against every subject that starts with
/// `prefix`.
pub async fn clear_failures(db: &Db, subject: &str, prefix: &str) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query(
        "DELETE FROM sign_in_failures WHERE subject = $1 OR substr(subject, 1, length($2)) = $2"
    )
    .bind(subject)
    .bind(prefix)
    .execute(pool)
    .await
    .map(drop))
}

/// Whether the account with this address has signed in from this client before.
pub async fn is_known_client(db: &Db, email: &str, ip: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i32> = on_db!(db, pool => sqlx::query_scalar(
        "SELECT 1 FROM known_clients k JOIN users u ON u.id = k.user_id WHERE u.email = $1 AND k.ip = $2"
    )
    .bind(email)
    .bind(ip)
    .fetch_optional(pool)
    .await)?;
    Ok(found.is_some())
}

/// Notes that the account signed in from this client.
pub async fn remember_client(tx: &mut Tx, user_id: i64, ip: &str) -> Result<(), sqlx::Error> {
    let now = tx.now();
    in_tx!(tx, conn => sqlx::query(
        "INSERT INTO known_clients (user_id, ip, last_seen_at) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, ip) DO UPDATE SET last_seen_at = excluded.last_seen_at"
    )
    .bind(user_id)
    .bind(ip)
    .bind(now)
    .execute(conn)
    .await
    .map(drop))
}

/// Forgets the clients an account has signed in from, except `keep`: after its password changed,
/// only the client that changed it is vouched for.
pub async fn forget_clients(
    tx: &mut Tx,
    user_id: i64,
    keep: Option<&str>,
) -> Result<(), sqlx::Error> {
    in_tx!(tx, conn => sqlx::query(
        "DELETE FROM known_clients WHERE user_id = $1 AND ($2 IS NULL OR ip <> $2)"
    )
    .bind(user_id)
    .bind(keep)
    .execute(conn)
    .await
    .map(drop))
}

/// Forgets clients an account has not signed in from for 90 days; run by the cleanup task.
pub async fn forget_old_clients(db: &Db) -> Result<(), sqlx::Error> {
    let cutoff = db.now() - Duration::days(90);
    on_db!(db, pool => sqlx::query("DELETE FROM known_clients WHERE last_seen_at < $1")
        .bind(cutoff).execute(pool).await.map(drop))
}

/// Forgets failures nobody has repeated for a day; run by the cleanup task.
pub async fn forget_old_failures(db: &Db) -> Result<(), sqlx::Error> {
    let cutoff = db.now() - Duration::days(1);
    on_db!(db, pool => sqlx::query("DELETE FROM sign_in_failures WHERE last_failed_at < $1 AND (locked_until IS NULL OR locked_until < $1)")
        .bind(cutoff).execute(pool).await.map(drop))
}

/// Deletes sign-ins past their lifetime: idle longer than a cookie session lives, or older than the
/// absolute limit. Their sessions could no longer use them; this keeps the sessions list true.
pub async fn forget_expired_sign_ins(
    db: &Db,
    idle: Duration,
    absolute: Duration,
) -> Result<(), sqlx::Error> {
    let now = db.now();
    on_db!(db, pool => sqlx::query("DELETE FROM user_sessions WHERE last_seen_at < $1 OR created_at < $2")
        .bind(now - idle).bind(now - absolute).execute(pool).await.map(drop))
}

// ---- addresses ----

#[derive(sqlx::FromRow)]
struct AddressRow {
    id: i64,
    kind: String,
    full_name: String,
    line1: String,
    line2: Option<String>,
    city: String,
    region: Option<String>,
    postal_code: String,
    country: String,
    phone: Option<String>,
    is_default: bool,
}

pub async fn addresses_of(db: &Db, user_id: i64) -> Result<Vec<AddressView>, sqlx::Error> {
    let rows: Vec<AddressRow> = on_db!(db, pool => sqlx::query_as(
        "SELECT id, kind, full_name, line1, line2, city, region, postal_code, country, phone, is_default
         FROM addresses WHERE user_id = $1 ORDER BY kind DESC, is_default DESC, id"
    ).bind(user_id).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|row| AddressView {
            id: row.id,
            kind: AddressKind::parse(&row.kind).unwrap_or(AddressKind::Shipping),
            full_name: row.full_name,
            line1: row.line1,
            line2: row.line2,
            city: row.city,
            region: row.region,
            postal_code: row.postal_code,
            country: row.country,
            phone: row.phone,
            is_default: row.is_default,
        })
        .collect())
}

/// Adds an address; the first of its kind, or one marked default, becomes the default.
pub async fn insert_address(
    tx: &mut Tx,
    user_id: i64,
    address: &AddressView,
) -> Result<i64, sqlx::Error> {
    let now = tx.now();
    let existing: i64 = in_tx!(tx, conn => sqlx::query_scalar(
        "SELECT COUNT(*) FROM addresses WHERE user_id = $1 AND kind = $2"
    ).bind(user_id).bind(address.kind.name()).fetch_one(conn).await)?;
    let is_default = address.is_default || existing == 0;
    if is_default {
        clear_default(tx, user_id, address.kind).await?;
    }
    in_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO addresses (user_id, kind, full_name, line1, line2, city, region, postal_code, country, phone, is_default, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id"
    )
    .bind(user_id)
    .bind(address.kind.name())
    .bind(&address.full_name)
    .bind(&address.line1)
    .bind(&address.line2)
    .bind(&address.city)
    .bind(&address.region)
    .bind(&address.postal_code)
    .bind(&address.country)
    .bind(&address.phone)
    .bind(is_default)
    .bind(now)
    .fetch_one(conn)
    .await)
}

async fn clear_default(tx: &mut Tx, user_id: i64, kind: AddressKind) -> Result<(), sqlx::Error> {
    in_tx!(tx, conn => sqlx::query(
        "UPDATE addresses SET is_default = FALSE WHERE user_id = $1 AND kind = $2 AND is_default"
    ).bind(user_id).bind(kind.name()).execute(conn).await.map(drop))
}

/// Makes one of the user's addresses the default of its kind; `false` when it is not theirs.
pub async fn set_default_address(
    tx: &mut Tx,
    user_id: i64,
    address_id: i64,
) -> Result<bool, sqlx::Error> {
    let now = tx.now();
    let kind: Option<String> = in_tx!(tx, conn => sqlx::query_scalar(
        "SELECT kind FROM addresses WHERE id = $1 AND user_id = $2"
    ).bind(address_id).bind(user_id).fetch_optional(conn).await)?;
    let Some(kind) = kind.and_then(|k| AddressKind::parse(&k).ok()) else {
        return Ok(false);
    };
    clear_default(tx, user_id, kind).await?;
    in_tx!(tx, conn => sqlx::query("UPDATE addresses SET is_default = TRUE, updated_at = $1 WHERE id = $2")
        .bind(now).bind(address_id).execute(conn).await.map(drop))?;
    Ok(true)
}

/// Deletes one of the user's addresses; `false` when it is not theirs.
pub async fn delete_address(
    tx: &mut Tx,
    user_id: i64,
    address_id: i64,
) -> Result<bool, sqlx::Error> {
    let deleted = in_tx!(tx, conn => sqlx::query("DELETE FROM addresses WHERE id = $1 AND user_id = $2")
        .bind(address_id).bind(user_id).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(deleted == 1)
}

// ---- audit log ----

/// One entry in the audit log: who did what to which record, with the record before and after.
pub struct AuditEntry<'a> {
    pub actor_user_id: Option<i64>,
    pub action: AuditAction,
    pub entity_type: AuditEntity,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub ip: Option<&'a str>,
}

pub async fn audit(tx: &mut Tx, entry: AuditEntry<'_>) -> Result<(), sqlx::Error> {
    let now = tx.now();
    in_tx!(tx, conn => sqlx::query(
        "INSERT INTO audit_log (actor_user_id, action, entity_type, entity_id, before_data, after_data, ip, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(entry.actor_user_id)
    .bind(entry.action.name())
    .bind(entry.entity_type.name())
    .bind(entry.entity_id)
    .bind(entry.before.map(|v| v.to_string()))
    .bind(entry.after.map(|v| v.to_string()))
    .bind(entry.ip)
    .bind(now)
    .execute(conn)
    .await
    .map(drop))
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuditRow {
    pub actor: Option<String>,
    pub action: String,
    pub before_data: Option<String>,
    pub after_data: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub async fn audit_of(
    db: &Db,
    entity_type: AuditEntity,
    entity_id: &str,
    limit: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as(
        "SELECT u.email AS actor, a.action, a.before_data, a.after_data, a.created_at
         FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id
         WHERE a.entity_type = $1 AND a.entity_id = $2 ORDER BY a.created_at DESC, a.id DESC LIMIT $3"
    ).bind(entity_type.name()).bind(entity_id).bind(limit).fetch_all(pool).await)
}
