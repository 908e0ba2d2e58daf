//! One data layer for two engines. Repository code is written once and runs on whichever engine
//! backs the shop: [`on_db!`] and [`in_tx!`] expand the same query code once per engine, so a
//! query string written with `$1` placeholders and a `#[derive(FromRow)]` row serve both.
//!
//! On SQLite one connection writes: every transaction and every statement outside one runs on it,
//! so writers queue in the shop instead of sleeping in SQLite's busy handler, and each statement
//! costs one hand-off to one thread. Reads that pages make beside writes (such as the catalog's,
//! a session's record, an order's page) go to a pool of read-only connections
//! through [`on_readers!`]; on PostgreSQL both are the one pool.
//!
//! The pool also notices changes to the catalog's version (the one row of `catalog_generation`,
//! which database triggers move with every catalog change), so that the catalog cache can keep that
//! version in memory and read it again only once it may have moved ([`Db::catalog_changes`]).

use super::clock::Clock;
use super::config::DatabaseUrl;
use super::shopper_changes::{ShopperChanges, Whose};
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The shop's database: a pool on either engine.
#[derive(Clone, Debug)]
pub struct Db {
    /// On SQLite the one writing connection.
    pool: Pool,
    /// On SQLite read-only connections; on PostgreSQL the same pool as `pool`.
    readers: Pool,
    /// Statements run outside a transaction and transactions begun, since the pool opened.
    queries: Arc<AtomicU64>,
    catalog_changes: Arc<AtomicU64>,
    /// Counts PostgreSQL's announcements of catalog changes (and losses of the connection that
    /// hears them), for whoever wants to wait for one.
    announcements: Arc<tokio::sync::watch::Sender<u64>>,
    shoppers: Arc<ShopperChanges>,
    clock: Clock,
}

#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An open transaction on either engine; dropped without [`Tx::commit`] it rolls back.
pub struct Tx {
    inner: EngineTx,
    catalog_changes: Arc<AtomicU64>,
    shoppers: Arc<ShopperChanges>,
    /// Whose state this transaction changed, noted once it commits.
    changed: Vec<Whose>,
    clock: Clock,
}

pub enum EngineTx {
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
        match $crate::server::db::Db::pool($db) {
            $crate::server::db::Pool::Sqlite($pool) => $body,
            $crate::server::db::Pool::Postgres($pool) => $body,
        }
    };
}

/// Like [`on_db!`] for a statement that only reads and is worth running beside writers: on SQLite
/// it runs on a read-only connection, which sees every write committed before it began.
#[macro_export]
macro_rules! on_readers {
    ($db:expr, $pool:ident => $body:expr) => {
        match $crate::server::db::Db::readers($db) {
            $crate::server::db::Pool::Sqlite($pool) => $body,
            $crate::server::db::Pool::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` with `$conn` bound to the transaction's connection: `in_tx!(tx, conn => query.execute(conn).await)`.
#[macro_export]
macro_rules! in_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $crate::server::db::Tx::inner($tx) {
            $crate::server::db::EngineTx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::server::db::EngineTx::Postgres(tx) => {
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
        let catalog_changes = Arc::new(AtomicU64::new(0));
        let (pool, readers) = match url {
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
                let changes = catalog_changes.clone();
                let writer = SqlitePoolOptions::new()
                    .max_connections(1)
                    // A writer waits here, in the shop, for the one before it; five seconds, as
                    // long as SQLite's busy handler waits for another process.
                    .acquire_timeout(Duration::from_secs(5))
                    .after_connect(move |conn, _| {
                        let changes = changes.clone();
                        Box::pin(async move {
                            notice_catalog_changes(conn, changes).await;
                            Ok(())
                        })
                    })
                    .connect_with(options.clone())
                    .await
                    .map_err(ConnectError::Open)?;
                // Opened lazily, once the writer has migrated the schema; read-only, so that a
                // write sent to them by mistake fails instead of contending with the writer.
                let readers = SqlitePoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_lazy_with(options.read_only(true));
                (Pool::Sqlite(writer), Pool::Sqlite(readers))
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
                (Pool::Postgres(pool.clone()), Pool::Postgres(pool))
            }
        };
        let db = Db {
            pool,
            readers,
            queries: Arc::default(),
            catalog_changes,
            announcements: Arc::default(),
            shoppers: Arc::default(),
            clock: Clock::default(),
        };
        db.migrate().await?;
        Ok(db)
    }

    /// A database on an open SQLite pool, whose connections were opened without noticing catalog
    /// changes: for tests of code that takes a `Db`.
    pub fn from_sqlite_pool(pool: SqlitePool) -> Db {
        Db {
            pool: Pool::Sqlite(pool.clone()),
            readers: Pool::Sqlite(pool),
            queries: Arc::default(),
            catalog_changes: Arc::default(),
            announcements: Arc::default(),
            shoppers: Arc::default(),
            clock: Clock::default(),
        }
    }

    /// The shop's clock: what "now" is for everything written to and compared in this database.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    async fn migrate(&self) -> Result<(), ConnectError> {
        match &self.pool {
            Pool::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await,
            Pool::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await,
        }
        .map_err(ConnectError::Migrate)
    }

    /// The pool, for a statement outside a transaction ([`on_db!`]), which is counted.
    pub fn pool(&self) -> &Pool {
        self.queries.fetch_add(1, Ordering::Relaxed);
        &self.pool
    }

    /// The pool for reads that may run beside writes ([`on_readers!`]), which are counted.
    pub fn readers(&self) -> &Pool {
        self.queries.fetch_add(1, Ordering::Relaxed);
        &self.readers
    }

    /// How many statements outside a transaction, and transactions, the shop's code has run on this
    /// pool: what a page costs the database, for tests. The session store's own are not counted.
    pub fn queries_made(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    pub fn engine(&self) -> Engine {
        match self.pool {
            Pool::Sqlite(_) => Engine::Sqlite,
            Pool::Postgres(_) => Engine::Postgres,
        }
    }

    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        self.queries.fetch_add(1, Ordering::Relaxed);
        let inner = match &self.pool {
            // IMMEDIATE takes SQLite's write lock up front, so two writers queue on busy_timeout
            // instead of one failing when it upgrades a read lock mid-transaction.
            Pool::Sqlite(pool) => EngineTx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(pool) => EngineTx::Postgres(pool.begin().await?),
        };
        Ok(Tx {
            inner,
            catalog_changes: self.catalog_changes.clone(),
            shoppers: self.shoppers.clone(),
            changed: Vec::new(),
            clock: self.clock.clone(),
        })
    }

    /// A count that has moved whenever the catalog's version may have moved since it was last
    /// looked at. On SQLite, it moves as soon as this process's statement changes the version row,
    /// before that change commits, so a reader that sees it move must read the version in a
    /// transaction of its own ([`Db::begin`] takes the write lock) to be sure of seeing the
    /// change. On PostgreSQL, it moves after each transaction of this process commits, and when the database announces a change made by
    /// anyone ([`Db::listen_for_announcements`]). Changes made around the shop on SQLite (the
    /// `sqlite3` shell) do not move it.
    pub fn catalog_changes(&self) -> u64 {
        self.catalog_changes.load(Ordering::SeqCst)
    }

    /// Changes each time [`Db::listen_for_announcements`] hears an announcement, for a caller that
    /// waits for another process's change to arrive.
    pub fn announcements(&self) -> tokio::sync::watch::Receiver<u64> {
        self.announcements.subscribe()
    }

    /// Moves [`Db::catalog_changes`] when PostgreSQL announces that the catalog's version moved
    /// (migration 0015), and notes changes to shoppers' state other processes announce
    /// ([`Db::changed`]), until the pool closes; on SQLite it does nothing. While the listening
    /// connection is down, announcements may be lost, so each time it is lost and found again the
    /// count moves and every shopper's state counts as changed.
    pub async fn listen_for_announcements(&self) {
        let Pool::Postgres(pool) = &self.pool else {
            return;
        };
        let moved = || {
            self.catalog_changes.fetch_add(1, Ordering::SeqCst);
            self.announcements.send_modify(|count| *count += 1);
        };
        // While nobody was listening, anything may have changed.
        let lost = || {
            self.shoppers.note([Whose::Everyone]);
            moved();
        };
        let mut listener = None;
        while !pool.is_closed() {
            if listener.is_none() {
                match listen(pool).await {
                    Ok(new) => {
                        lost();
                        listener = Some(new);
                    }
                    Err(error) => {
                        tracing::warn!(%error, "announcements: cannot listen; retrying");
                        tokio::time::sleep(LISTEN_RETRY).await;
                        continue;
                    }
                }
            }
            let Some(current) = listener.as_mut() else {
                continue;
            };
            match current.try_recv().await {
                Ok(Some(heard)) if heard.channel() == SHOPPER_CHANNEL => {
                    self.shoppers
                        .note(heard.payload().split(' ').map(Whose::from_announcement));
                    self.announcements.send_modify(|count| *count += 1);
                }
                Ok(Some(_)) => moved(),
                // The connection was lost and found again, and what was announced meanwhile is
                // unknown.
                Ok(None) => lost(),
                Err(sqlx::Error::PoolClosed) => break,
                Err(error) => {
                    tracing::warn!(%error, "announcements: listening failed; retrying");
                    lost();
                    listener = None;
                    tokio::time::sleep(LISTEN_RETRY).await;
                }
            }
        }
    }

    /// What the shop has noted of changes to shoppers' state, for whoever remembers it.
    pub fn shopper_changes(&self) -> &ShopperChanges {
        &self.shoppers
    }

    /// Notes that a write made outside a transaction, which has committed, changed the state of
    /// `whose`; on PostgreSQL, announces it to the other shop processes too.
    pub async fn changed(&self, whose: impl IntoIterator<Item = Whose>) {
        let whose: Vec<Whose> = whose.into_iter().collect();
        self.shoppers.note(whose.iter().cloned());
        if let Pool::Postgres(pool) = &self.pool
            && let Err(error) = announce(pool, &whose).await
        {
            // The write stands; other processes learn of it when their listener reconnects.
            tracing::warn!(%error, "a change to a shopper's state could not be announced");
        }
    }

    /// Answers whether the database takes queries, for the readiness probe.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_db!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(drop))
    }

    pub async fn close(&self) {
        match (&self.pool, &self.readers) {
            (Pool::Sqlite(writer), Pool::Sqlite(readers)) => {
                readers.close().await;
                writer.close().await;
            }
            (pool, _) => match pool {
                Pool::Sqlite(pool) => pool.close().await,
                Pool::Postgres(pool) => pool.close().await,
            },
        }
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
    /// A product, before the back office checks and changes it or its variants.
    Product,
    /// A category, before the back office checks and changes where it sits.
    Category,
}

/// How long to wait before listening again after the announcements' connection failed.
const LISTEN_RETRY: Duration = Duration::from_secs(1);

/// The channel migration 0015 announces catalog version changes on.
const CATALOG_CHANNEL: &str = "catalog_version";

async fn listen(pool: &PgPool) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    listener
        .listen_all([CATALOG_CHANNEL, SHOPPER_CHANNEL])
        .await?;
    Ok(listener)
}

/// The channel changes to shoppers' state are announced on ([`Db::changed`], [`Tx::changed`]).
const SHOPPER_CHANNEL: &str = "shopper_changes";

/// Announces to every shop process on the database that the state of `whose` changed: one
/// notification for all of them, as long as it fits PostgreSQL's 8,000-byte payload.
async fn announce<'c>(
    executor: impl sqlx::PgExecutor<'c>,
    whose: &[Whose],
) -> Result<(), sqlx::Error> {
    let mut payload = whose
        .iter()
        .map(Whose::announced)
        .collect::<Vec<_>>()
        .join(" ");
    if payload.len() > 7_000 {
        payload = Whose::Everyone.announced();
    }
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(SHOPPER_CHANNEL)
        .bind(payload)
        .execute(executor)
        .await
        .map(drop)
}

/// Moves `changes` whenever a statement on this SQLite connection writes the catalog's version row
/// (the triggers of migrations 0005 and 0012 do, with every catalog change).
async fn notice_catalog_changes(conn: &mut sqlx::SqliteConnection, changes: Arc<AtomicU64>) {
    let Ok(mut handle) = conn.lock_handle().await else {
        // Without the hook this connection's writes would go unnoticed until the next periodic
        // read; the pool opens connections before serving, so this is not expected.
        tracing::error!("a SQLite connection could not watch catalog changes");
        return;
    };
    handle.set_update_hook(move |change| {
        if change.table == "catalog_generation" {
            changes.fetch_add(1, Ordering::SeqCst);
        }
    });
}

impl Tx {
    /// The database's clock, read now.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The transaction on its engine, for [`in_tx!`].
    pub fn inner(&mut self) -> &mut EngineTx {
        &mut self.inner
    }

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
            Locked::Product => "SELECT 1 FROM products WHERE id = $1",
            Locked::Category => "SELECT 1 FROM categories WHERE id = $1",
        };
        let found: Option<i32> = match &mut self.inner {
            EngineTx::Sqlite(tx) => {
                sqlx::query_scalar(select)
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await?
            }
            EngineTx::Postgres(tx) => {
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
        if let EngineTx::Postgres(tx) = &mut self.inner {
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

    /// [`Tx::lock_inventory`] for the variants that `variants` selects (`$1` bound to `id`), found
    /// and locked in one statement; on SQLite, not even looked up.
    pub async fn lock_inventory_of(&mut self, variants: &str, id: i64) -> Result<(), sqlx::Error> {
        if let EngineTx::Postgres(tx) = &mut self.inner {
            sqlx::query(&format!(
                "SELECT 1 FROM inventory WHERE variant_id IN ({variants}) ORDER BY variant_id FOR NO KEY UPDATE"
            ))
            .bind(id)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Notes, once this transaction commits, that it changed the state of `whose`.
    pub fn changed(&mut self, whose: Whose) {
        self.changed.push(whose);
    }

    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        if let (EngineTx::Postgres(tx), false) = (&mut self.inner, self.changed.is_empty()) {
            // Sent with the commit, and only if it commits.
            announce(&mut **tx, &self.changed).await?;
        }
        // Noted even when the commit reports a failure: it may have committed all the same.
        let changed = std::mem::take(&mut self.changed);
        let shoppers = self.shoppers.clone();
        let committed = self.commit_inner().await;
        if !changed.is_empty() {
            shoppers.note(changed);
        }
        committed
    }

    async fn commit_inner(self) -> Result<(), sqlx::Error> {
        match self.inner {
            EngineTx::Sqlite(tx) => tx.commit().await,
            EngineTx::Postgres(tx) => {
                let committed = tx.commit().await;
                // Whether it changed the catalog is known only once it has committed (stock's
                // trigger runs at the commit), and this process's next page must show it before
                // the database's announcement arrives; so any commit counts, even one reported
                // as failed, which may have committed all the same.
                self.catalog_changes.fetch_add(1, Ordering::SeqCst);
                committed
            }
        }
    }
}

/// `text` as a case-insensitive `LIKE` pattern that finds it anywhere, its wildcards taken literally.
pub fn contains_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

// On PostgreSQL, other shop processes' changes are heard as they are announced.
inventory::submit! {
    super::jobs::Job {
        name: "hear other processes' changes",
        schedule: super::jobs::Schedule::Worker,
        run: |state| Box::pin(async move { state.db.listen_for_announcements().await }),
    }
}

/// The constraint a failed write broke, named alike on both engines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Constraint {
    Unique,
    Check,
    ForeignKey,
}

impl Constraint {
    pub fn broken_by(error: &sqlx::Error) -> Option<Constraint> {
        let sqlx::Error::Database(error) = error else {
            return None;
        };
        match error.kind() {
            sqlx::error::ErrorKind::UniqueViolation => Some(Constraint::Unique),
            sqlx::error::ErrorKind::CheckViolation => Some(Constraint::Check),
            sqlx::error::ErrorKind::ForeignKeyViolation => Some(Constraint::ForeignKey),
            _ => None,
        }
    }
}

/// Turns the constraint a write was expected to meet into its user-safe refusal: a race between two
/// saves (the same SKU taken between one's check and its write) answers as the check would have.
pub trait OnConstraint<T> {
    fn on_constraint(
        self,
        constraint: Constraint,
        refusal: impl FnOnce() -> crate::error::AppError,
    ) -> Result<T, crate::error::AppError>;
}

impl<T> OnConstraint<T> for Result<T, sqlx::Error> {
    fn on_constraint(
        self,
        constraint: Constraint,
        refusal: impl FnOnce() -> crate::error::AppError,
    ) -> Result<T, crate::error::AppError> {
        self.map_err(
            |error| match Constraint::broken_by(&error) == Some(constraint) {
                true => refusal(),
                false => error.into(),
            },
        )
    }
}
