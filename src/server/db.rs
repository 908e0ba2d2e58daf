//! One data layer for two engines. Repository code is written once and runs on whichever engine
//! backs the shop: [`on_db!`] and [`in_tx!`] expand the same query code once per engine, so a
//! query string written with `$1` placeholders and a `#[derive(FromRow)]` row serve both.

use super::config::DatabaseUrl;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An open transaction on either engine; dropped without [`Tx::commit`] it rolls back.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Runs `$body` with `$pool` bound to the engine's pool: `on_db!(db, pool => query.fetch_all(pool).await)`.
#[macro_export]
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::server::db::Db::Sqlite($pool) => $body,
            $crate::server::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` with `$conn` bound to the transaction's connection: `in_tx!(tx, conn => query.execute(conn).await)`.
#[macro_export]
macro_rules! in_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::server::db::Tx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::server::db::Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("DATABASE_URL: could not open the database: {0}")]
    Open(sqlx::Error),
    #[error("DATABASE_URL: the schema could not be migrated: {0}")]
    Migrate(sqlx::migrate::MigrateError),
}

impl Db {
    /// Opens a pool and brings the schema up to date.
    pub async fn connect(url: &DatabaseUrl) -> Result<Db, ConnectError> {
        let db = match url {
            DatabaseUrl::Sqlite(url) => {
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(ConnectError::Open)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5));
                if let Some(parent) = options.get_filename().parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| ConnectError::Open(sqlx::Error::Io(e)))?;
                }
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(options)
                    .await
                    .map_err(ConnectError::Open)?;
                Db::Sqlite(pool)
            }
            DatabaseUrl::Postgres(url) => {
                let options =
                    PgConnectOptions::from_str(url.expose()).map_err(ConnectError::Open)?;
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(options)
                    .await
                    .map_err(ConnectError::Open)?;
                Db::Postgres(pool)
            }
        };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<(), ConnectError> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await,
            Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await,
        }
        .map_err(ConnectError::Migrate)
    }

    pub fn engine(&self) -> Engine {
        match self {
            Db::Sqlite(_) => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }

    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            // IMMEDIATE takes SQLite's write lock up front, so two writers queue on busy_timeout
            // instead of one failing when it upgrades a read lock mid-transaction.
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Answers whether the database takes queries, for the readiness probe.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_db!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(drop))
    }

    pub async fn close(&self) {
        on_db!(self, pool => pool.close().await)
    }
}

/// Rows [`Tx::lock_row`] locks, by id.
#[derive(Clone, Copy, Debug)]
pub enum Locked {
    User,
    Cart,
    /// A cart without an owner; an account's cart is not locked under this name.
    GuestCart,
    /// An order, before its payments.
    Order,
}

impl Tx {
    /// Makes other transactions that lock the same row wait until this one ends, so that what this
    /// one reads and then writes cannot be overwritten in between (PostgreSQL's read committed
    /// allows that). Answers whether the row is there. On SQLite it only looks: `Db::begin` already
    /// made this transaction the only writer. `FOR NO KEY UPDATE` rather than `FOR UPDATE`, so that
    /// rows referring to the locked one (a like, a session of the account) can still be written.
    pub async fn lock_row(&mut self, row: Locked, id: i64) -> Result<bool, sqlx::Error> {
        let select = match row {
            Locked::User => "SELECT 1 FROM users WHERE id = $1",
            Locked::Cart => "SELECT 1 FROM carts WHERE id = $1",
            Locked::GuestCart => "SELECT 1 FROM carts WHERE id = $1 AND user_id IS NULL",
            Locked::Order => "SELECT 1 FROM orders WHERE id = $1",
        };
        let found: Option<i32> = match self {
            Tx::Sqlite(tx) => {
                sqlx::query_scalar(select)
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await?
            }
            Tx::Postgres(tx) => {
                sqlx::query_scalar(&format!("{select} FOR NO KEY UPDATE"))
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await?
            }
        };
        Ok(found.is_some())
    }

    /// Locks these variants' inventory rows in ascending order, before a transaction that releases
    /// some and reserves others: every checkout then takes them in the one order, so two never
    /// wait for each other. On SQLite, whose transaction is already the only writer, it does
    /// nothing.
    pub async fn lock_inventory(&mut self, variant_ids: &[i64]) -> Result<(), sqlx::Error> {
        if let Tx::Postgres(tx) = self {
            let mut ids = variant_ids.to_vec();
            ids.sort_unstable();
            ids.dedup();
            sqlx::query(
                "SELECT 1 FROM inventory WHERE variant_id = ANY($1) ORDER BY variant_id FOR NO KEY UPDATE",
            )
            .bind(ids)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }
}
