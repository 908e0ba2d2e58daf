//! The in-process catalog cache: what the catalog's pages read most (home content, listing pages,
//! category pages, product pages) kept in memory and served only while it is still true.
//!
//! Correctness rests on two numbers in `catalog_generation` that database triggers move in the same
//! transaction as the change, whoever makes it: this process, another instance, or someone with
//! `psql`.
//! - The **generation** (migration 0005) moves with any change to categories, products, variants or
//!   images, and empties the cache.
//! - The **stock version** (migration 0012) moves with each change to what a shopper sees of a
//!   variant's stock (in stock, "only N left", sold out), noting its product in `stock_changes`.
//!   It drops only the entries that show that product, and those whose choice of products depends
//!   on stock (listings of what is in stock).
//!
//! The cache keeps both numbers in memory and reads them again only when they may have moved
//! ([`CatalogCache::version`]): after this process changed the catalog, after PostgreSQL announced
//! a change by another process (`Db::catalog_changes`), and at least every `version_recheck_secs`
//! for changes neither can notice. So a page served from the cache touches no database. The
//! version is read *before* a miss is loaded, so a change that commits during the load makes the
//! entry already out of date, never wrongly current; an entry is served only while the cache is
//! at that version or later.
//!
//! Requests that find the numbers may have moved while a read is under way share the next read.
//! Memory is bounded: at most [`CAPACITY`]
//! entries. When one must go, the least asked-for of the oldest few goes, and the others' counts
//! halve, so a flood of pages asked for once or twice (random searches, made-up addresses) pushes
//! out only its own kind, never the pages asked for all the time.
//!
//! A change to the catalog empties the cache at once, so the next moment every hot page misses
//! together. Concurrent misses of one key are loaded once ([`CatalogCache::lead_or_follow`]): the
//! first request loads it while the others wait for its answer, rather than all of them running the
//! same queries side by side on the same few cores.

use crate::server::db::{Db, Engine};
use crate::{in_tx, on_db};
use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedRwLockWriteGuard, RwLock};

/// A few thousand pages, far more than the hot set: a kept listing page with its pieces for
/// shoppers with a session is about 120 KB, so a cache full of them would hold about half a gigabyte.
pub const CAPACITY: usize = 4096;
/// How many of the oldest entries are weighed against each other when one must go.
const EVICTION_SAMPLE: usize = 8;

/// What an entry holds; the key says which server function it answers for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    Home,
    /// The listing for these parameters, as JSON: every field of them is part of the key.
    Listing(String),
    /// A category page: its slug and its listing parameters.
    Category(String, String),
    /// A product page by slug, including the answer "no such product".
    Product(String),
    /// A whole page as shared with visitors without a session, by path and query
    /// (`server::page_cache`).
    Page(String),
}

type Value = Arc<dyn Any + Send + Sync>;

/// Where the catalog stands: ordered as time goes, since both numbers only grow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub generation: i64,
    pub stock: i64,
}

/// How much a cache may lag behind the stock version and still catch up by reading what changed;
/// the database keeps the last 10,000 notes (migration 0012).
const STOCK_CHANGES_READ_AT_MOST: i64 = 5_000;

/// What an entry shows of the catalog, so that a change to one product (noted in `stock_changes`)
/// drops only the entries it touches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shown {
    /// The products it shows (their cards, a product page and its related products), in order.
    products: Vec<i64>,
    /// Kinds of change to any product that can bring one into what it lists, take one out or
    /// reorder them (stock for a listing of what is in stock, prices for one sorted by price), as
    /// bits of [`Change`].
    chosen_by: u8,
    /// What it shows is not known: any change touches it.
    unknown: bool,
}

/// A change to one product that leaves the catalog's generation as it was (migration 0023).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// What a shopper sees of its stock.
    Stock,
    /// What only its own cards and page show.
    Shown,
    /// Words the search index holds.
    Words,
    /// Its name: words of the search index, and the order of listings sorted by name.
    Name,
    /// A price.
    Price,
}

impl Change {
    fn parse(kind: &str) -> Option<Change> {
        match kind {
            "stock" => Some(Change::Stock),
            "shown" => Some(Change::Shown),
            "text" => Some(Change::Words),
            "name" => Some(Change::Name),
            "price" => Some(Change::Price),
            _ => None,
        }
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl Shown {
    pub fn of(products: impl IntoIterator<Item = i64>) -> Self {
        let mut products: Vec<i64> = products.into_iter().collect();
        products.sort_unstable();
        products.dedup();
        Shown {
            products,
            ..Shown::default()
        }
    }

    /// Touched by any change: what a page shows when nothing says.
    pub fn unknown() -> Self {
        Shown {
            unknown: true,
            ..Shown::default()
        }
    }

    /// What it lists is chosen or ordered by these kinds of change to any product too.
    pub fn chosen_by(self, changes: impl IntoIterator<Item = Change>) -> Self {
        Shown {
            chosen_by: changes
                .into_iter()
                .fold(self.chosen_by, |bits, change| bits | change.bit()),
            ..self
        }
    }

    /// Both: what a page shows when it is made of several entries.
    pub fn and(self, other: Shown) -> Shown {
        let mut products = self.products;
        products.extend(other.products);
        Shown {
            chosen_by: self.chosen_by | other.chosen_by,
            unknown: self.unknown || other.unknown,
            ..Shown::of(products)
        }
    }

    fn touched_by(&self, changes: &[(i64, Change)]) -> bool {
        changes.iter().any(|(product, change)| {
            self.unknown
                || self.chosen_by & change.bit() != 0
                || self.products.binary_search(product).is_ok()
        })
    }
}

struct Entry {
    value: Value,
    shows: Shown,
    /// Lookups that found it, halved each time it outlasts an eviction.
    hits: AtomicU64,
}

#[derive(Default)]
struct Entries {
    version: Version,
    values: HashMap<Key, Entry>,
    /// Keys in insertion order, for eviction.
    order: VecDeque<Key>,
}

impl Entries {
    fn at(version: Version) -> Self {
        Entries {
            version,
            ..Entries::default()
        }
    }

    /// Drops the least asked-for of the oldest few entries (the oldest of them on a tie); the
    /// others go to the back with their counts halved, so what was popular once fades.
    fn evict_one(&mut self) {
        let Entries { values, order, .. } = self;
        let weighed: Vec<Key> = order.drain(..EVICTION_SAMPLE.min(order.len())).collect();
        let victim = weighed
            .iter()
            .enumerate()
            .min_by_key(|(_, key)| {
                values
                    .get(*key)
                    .map_or(0, |entry| entry.hits.load(Ordering::Relaxed))
            })
            .map(|(at, _)| at);
        for (at, key) in weighed.into_iter().enumerate() {
            if Some(at) == victim {
                values.remove(&key);
            } else if let Some(entry) = values.get_mut(&key) {
                *entry.hits.get_mut() /= 2;
                order.push_back(key);
            }
        }
    }
}

/// The version as last read, and what it is vouched for by.
#[derive(Clone, Copy, Debug)]
struct Known {
    version: Version,
    /// `Db::catalog_changes` just before the read began: while it is still this, nothing this
    /// process noticed has moved the version.
    changes: u64,
    /// When the read began.
    at: Instant,
}

pub struct CatalogCache {
    /// Read by every lookup, written by a store or a catch-up.
    entries: std::sync::RwLock<Entries>,
    capacity: usize,
    known: std::sync::RwLock<Option<Known>>,
    /// How long a version read stays good when no change was noticed.
    recheck: Duration,
    /// Keys being loaded now, each with a lock its loader holds until it is done.
    loading: Mutex<HashMap<Key, Arc<RwLock<()>>>>,
    /// How many reads of the generation have started.
    reads_started: AtomicU64,
    /// The latest read: its number and what it found (or why it failed). Held while reading, so
    /// reads go one at a time.
    latest_read: tokio::sync::Mutex<Option<(u64, Result<Version, String>)>>,
}

/// Held by the one request loading a key; dropping it (stored, failed or cancelled) lets the
/// requests waiting for that key go on.
pub struct Loading<'a> {
    cache: &'a CatalogCache,
    key: Key,
    held: Option<OwnedRwLockWriteGuard<()>>,
}

impl Drop for Loading<'_> {
    fn drop(&mut self) {
        let mut loading = lock(&self.cache.loading);
        loading.remove(&self.key);
        self.held.take();
    }
}

impl Default for CatalogCache {
    fn default() -> Self {
        Self::new(Duration::from_secs(1))
    }
}

impl std::fmt::Debug for CatalogCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let entries = read_lock(&self.entries);
        f.debug_struct("CatalogCache")
            .field("version", &entries.version)
            .field("entries", &entries.values.len())
            .finish()
    }
}

impl CatalogCache {
    /// A cache that reads the version again at least every `recheck`.
    pub fn new(recheck: Duration) -> Self {
        CatalogCache {
            recheck,
            ..Self::with_capacity(CAPACITY)
        }
    }

    pub fn with_capacity(capacity: usize) -> Self {
        CatalogCache {
            entries: std::sync::RwLock::default(),
            capacity: capacity.max(1),
            known: std::sync::RwLock::default(),
            recheck: Duration::from_secs(1),
            loading: Mutex::default(),
            reads_started: AtomicU64::new(0),
            latest_read: tokio::sync::Mutex::default(),
        }
    }

    /// The catalog's version now: what was last read, while nothing noticed may have moved it
    /// since and the read is younger than `recheck`. Otherwise it is read by a query that started
    /// after this call did, so it reflects every change committed before the call, and the cache has
    /// caught up with it by the time it is returned. Calls that arrive while a read is under way
    /// wait for it to end and share the one read after it. A failed read is shared too: when the
    /// database is unreachable, the calls waiting fail together rather than each waiting out its
    /// own timeout in turn.
    pub async fn version(&self, db: &Db) -> Result<Version, sqlx::Error> {
        if let Some(version) = self.known(db.catalog_changes(), Instant::now()) {
            return Ok(version);
        }
        let arrived = self.reads_started.load(Ordering::SeqCst);
        let mut latest = self.latest_read.lock().await;
        if let Some((read, found)) = latest.as_ref()
            && *read > arrived
        {
            return found.clone().map_err(|error| {
                sqlx::Error::Io(std::io::Error::other(format!(
                    "the catalog generation could not be read: {error}"
                )))
            });
        }
        let read = self.reads_started.fetch_add(1, Ordering::SeqCst) + 1;
        let changes = db.catalog_changes();
        let at = Instant::now();
        let noticed = read_lock(&self.known).is_none_or(|known| known.changes != changes);
        let found = read_version(db, noticed).await;
        if let Ok(now) = found {
            self.catch_up(db, now).await;
            *write_lock(&self.known) = Some(Known {
                version: now,
                changes,
                at,
            });
        }
        *latest = Some((read, found.as_ref().copied().map_err(ToString::to_string)));
        found
    }

    /// The version last read, if nothing has been noticed since (`changes` is as it was before
    /// that read) and it is younger than `recheck` at `now`.
    fn known(&self, changes: u64, now: Instant) -> Option<Version> {
        let known = (*read_lock(&self.known))?;
        (known.changes == changes && now.saturating_duration_since(known.at) < self.recheck)
            .then_some(known.version)
    }

    /// Brings the entries to `now`: all gone if the generation moved, otherwise those showing a
    /// product whose stock changed since. Called by one reader at a time.
    async fn catch_up(&self, db: &Db, now: Version) {
        let since = {
            let entries = read_lock(&self.entries);
            if entries.version >= now {
                return;
            }
            let behind = now.stock - entries.version.stock;
            (entries.version.generation == now.generation && behind <= STOCK_CHANGES_READ_AT_MOST)
                .then_some(entries.version.stock)
        };
        let changed = match since {
            Some(since) => match read_product_changes(db, since, now.stock).await {
                Ok(products) => Some(products),
                Err(error) => {
                    tracing::warn!(%error, "stock changes unreadable: the catalog cache empties");
                    None
                }
            },
            None => None,
        };
        let mut entries = self.lock();
        if entries.version >= now {
            return;
        }
        match changed {
            Some(changes)
                if entries.version.generation == now.generation
                    && Some(entries.version.stock) == since =>
            {
                let Entries { values, order, .. } = &mut *entries;
                values.retain(|_, entry| !entry.shows.touched_by(&changes));
                order.retain(|key| values.contains_key(key));
                entries.version = now;
            }
            _ => *entries = Entries::at(now),
        }
    }

    /// The value for `key` if it is current, otherwise what `load` answers, kept for next time
    /// with whose stock it shows (`shows`). Either way, what it shows is added to the page being
    /// rendered, if that page is to be shared ([`PageContents`]).
    pub async fn get_or_load<T, E, F>(
        &self,
        db: &Db,
        key: Key,
        load: F,
        shows: impl FnOnce(&T) -> Shown,
    ) -> Result<T, E>
    where
        T: Clone + Send + Sync + 'static,
        E: From<sqlx::Error>,
        F: Future<Output = Result<T, E>>,
    {
        let version = self.version(db).await?;
        if let Some((value, shown)) = self.lookup_shown::<T>(version, &key) {
            PageContents::add(shown);
            return Ok(value);
        }
        let _loading = self.lead_or_follow(&key).await;
        // A follower usually finds what the leader stored; failing that, it loads for itself.
        if let Some((value, shown)) = self.lookup_shown::<T>(version, &key) {
            PageContents::add(shown);
            return Ok(value);
        }
        let value = load.await?;
        let shown = shows(&value);
        PageContents::add(shown.clone());
        self.store(version, key, value.clone(), shown);
        Ok(value)
    }

    /// For a key that missed: when nobody is loading it, the caller leads, and others wait for it
    /// until the returned guard drops. When someone is, this waits for them and returns `None`; the
    /// caller then looks again, and loads for itself only if the leader kept nothing it can use (a
    /// failure, an answer that cannot be kept, or one loaded under an older generation than the
    /// caller's), alongside the other followers rather than after them.
    pub async fn lead_or_follow(&self, key: &Key) -> Option<Loading<'_>> {
        let leader = {
            let mut loading = lock(&self.loading);
            match loading.get(key) {
                Some(leader) => leader.clone(),
                None => {
                    let held = Arc::new(RwLock::new(()));
                    loading.insert(key.clone(), held.clone());
                    return Some(Loading {
                        cache: self,
                        key: key.clone(),
                        held: held.try_write_owned().ok(),
                    });
                }
            }
        };
        drop(leader.read().await);
        None
    }

    fn lock(&self) -> std::sync::RwLockWriteGuard<'_, Entries> {
        write_lock(&self.entries)
    }

    /// The value for `key` if it is current at `version`: the cache is at that version or later,
    /// and has kept the entry.
    pub fn lookup<T: Clone + 'static>(&self, version: Version, key: &Key) -> Option<T> {
        self.lookup_shown(version, key).map(|(value, _)| value)
    }

    fn lookup_shown<T: Clone + 'static>(&self, version: Version, key: &Key) -> Option<(T, Shown)> {
        let entries = read_lock(&self.entries);
        if entries.version < version {
            return None;
        }
        let entry = entries.values.get(key)?;
        // Counted without the write lock, so lookups run side by side; a count is a hint.
        entry.hits.fetch_add(1, Ordering::Relaxed);
        Some((
            entry.value.downcast_ref::<T>()?.clone(),
            entry.shows.clone(),
        ))
    }

    /// Keeps `value` for `key`, as loaded at `version`, showing the stock `shows` says; answers
    /// whether it was kept (not when the catalog has moved on since `version`).
    pub fn store<T: Send + Sync + 'static>(
        &self,
        version: Version,
        key: Key,
        value: T,
        shows: Shown,
    ) -> bool {
        let entry = Entry {
            value: Arc::new(value),
            shows,
            hits: AtomicU64::new(0),
        };
        let mut entries = self.lock();
        if version > entries.version {
            // Only a version the cache has not caught up with (a store without a read): nothing
            // kept can be vouched for.
            *entries = Entries::at(version);
        } else if version < entries.version {
            // Loaded at a version that has already passed: not worth keeping.
            return false;
        }
        if entries.values.insert(key.clone(), entry).is_none() {
            entries.order.push_back(key);
            while entries.order.len() > self.capacity {
                entries.evict_one();
            }
        }
        true
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().values.len()
    }

    /// How many requests wait for the load of `key` now.
    #[cfg(test)]
    fn followers(&self, key: &Key) -> usize {
        // Held by the map and by the leader's guard, then once by each follower.
        lock(&self.loading)
            .get(key)
            .map_or(0, |leader| Arc::strong_count(leader).saturating_sub(2))
    }
}

// Each map is consistent after every statement, so a panic elsewhere leaves it usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read_lock<T>(lock: &std::sync::RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write_lock<T>(lock: &std::sync::RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// Reads the version; `noticed`: because this process noticed a change, rather than because the
/// last read is old.
async fn read_version(db: &Db, noticed: bool) -> Result<Version, sqlx::Error> {
    const SELECT: &str = "SELECT generation, stock_version FROM catalog_generation WHERE id = 1";
    let (generation, stock): (i64, i64) = if noticed && db.engine() == Engine::Sqlite {
        // SQLite notices a change before it commits: a transaction of our own takes the write
        // lock, so it waits for that change to commit (or roll back) before it reads. Dropped, it
        // rolls back. A read only because the last is old needs no lock, and so never waits for
        // a long write.
        let mut tx = db.begin().await?;
        in_tx!(&mut tx, conn => sqlx::query_as(SELECT).fetch_one(conn).await)?
    } else {
        on_db!(db, pool => sqlx::query_as(SELECT).fetch_one(pool).await)?
    };
    Ok(Version { generation, stock })
}

/// The products changed after version `since`, up to `until`, with how.
async fn read_product_changes(
    db: &Db,
    since: i64,
    until: i64,
) -> Result<Vec<(i64, Change)>, sqlx::Error> {
    let rows: Vec<(i64, String)> = on_db!(db, pool => sqlx::query_as(
        "SELECT product_id, kind FROM stock_changes WHERE version > $1 AND version <= $2"
    )
    .bind(since)
    .bind(until)
    .fetch_all(pool)
    .await)?;
    let mut changes: Vec<(i64, Change)> = rows
        .into_iter()
        .map(|(product, kind)| (product, Change::parse(&kind).unwrap_or(Change::Stock)))
        .collect();
    changes.sort_unstable_by_key(|(product, change)| (*product, *change as u8));
    changes.dedup();
    Ok(changes)
}

/// What a page being rendered for sharing shows, gathered from the catalog entries its server
/// functions answer from: `server::page_cache` puts one in the request, and keeps the page with
/// what it gathered, so that a stock change drops the shared pages showing that product too.
#[derive(Clone, Debug, Default)]
pub struct PageContents(Arc<Mutex<Option<Shown>>>);

impl PageContents {
    /// Everything gathered, or `None` if the page used no catalog entry.
    pub fn shown(&self) -> Option<Shown> {
        lock(&self.0).clone()
    }

    /// Adds `shown` to the page the current request renders, if it is gathering.
    fn add(shown: Shown) {
        let Some(parts) = leptos::prelude::use_context::<axum::http::request::Parts>() else {
            return;
        };
        if let Some(contents) = parts.extensions.get::<PageContents>() {
            let mut gathered = lock(&contents.0);
            *gathered = Some(match gathered.take() {
                Some(before) => before.and(shown),
                None => shown,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::db::Pool;

    /// A cache that reads the version on every lookup: the databases of these tests do not
    /// notice changes ([`Db::from_sqlite_pool`]).
    fn cache(capacity: usize) -> CatalogCache {
        CatalogCache {
            recheck: Duration::ZERO,
            ..CatalogCache::with_capacity(capacity)
        }
    }

    fn at(generation: i64) -> Version {
        Version {
            generation,
            stock: 0,
        }
    }

    fn shows_nothing() -> Shown {
        Shown::of([])
    }

    #[test]
    fn an_entry_is_served_only_at_its_version_or_later() {
        let cache = cache(8);
        cache.store(at(3), Key::Home, 7_u32, shows_nothing());
        assert_eq!(cache.lookup::<u32>(at(3), &Key::Home), Some(7));
        assert_eq!(cache.lookup::<u32>(at(2), &Key::Home), Some(7));
        assert_eq!(cache.lookup::<u32>(at(4), &Key::Home), None);
    }

    #[test]
    fn a_newer_version_drops_everything_and_an_older_one_is_not_kept() {
        let cache = cache(8);
        cache.store(at(1), Key::Home, 1_u32, shows_nothing());
        cache.store(at(1), Key::Product("a".into()), 2_u32, shows_nothing());
        cache.store(at(2), Key::Product("b".into()), 3_u32, shows_nothing());
        assert_eq!(cache.len(), 1);
        assert!(
            !cache.store(at(1), Key::Home, 4_u32, shows_nothing()),
            "the caller learns it was not kept"
        );
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.lookup::<u32>(at(2), &Key::Home), None);
    }

    #[test]
    fn pages_asked_for_all_the_time_outlast_a_flood_of_new_ones() {
        let cache = cache(16);
        let hot: Vec<Key> = (0..4).map(|n| Key::Product(format!("hot-{n}"))).collect();
        for key in &hot {
            cache.store(at(1), key.clone(), 1_u32, shows_nothing());
        }
        for round in 0..2_000 {
            for key in &hot {
                assert_eq!(cache.lookup::<u32>(at(1), key), Some(1), "round {round}");
            }
            // A search nobody else makes, even asked for twice.
            let random = Key::Listing(format!("{{\"q\":\"{round}\"}}"));
            cache.store(at(1), random.clone(), 2_u32, shows_nothing());
            assert_eq!(cache.lookup::<u32>(at(1), &random), Some(2));
        }
        assert_eq!(cache.len(), 16);
    }

    #[test]
    fn the_oldest_entries_go_first_when_full() {
        let cache = cache(2);
        for slug in ["a", "b", "c"] {
            cache.store(
                at(1),
                Key::Product(slug.into()),
                slug.to_owned(),
                shows_nothing(),
            );
        }
        assert_eq!(cache.len(), 2);
        assert_eq!(
            cache.lookup::<String>(at(1), &Key::Product("a".into())),
            None
        );
        assert_eq!(
            cache.lookup::<String>(at(1), &Key::Product("c".into())),
            Some("c".to_owned())
        );
    }

    #[test]
    fn a_value_of_another_type_is_a_miss() {
        let cache = cache(2);
        cache.store(at(1), Key::Home, 1_u32, shows_nothing());
        assert_eq!(cache.lookup::<String>(at(1), &Key::Home), None);
    }

    #[test]
    fn what_two_entries_show_together() {
        assert_eq!(
            Shown::of([3, 1]).and(Shown::of([2, 3])),
            Shown::of([1, 2, 3])
        );
        let in_stock = Shown::of([1]).and(Shown::of([2]).chosen_by([Change::Stock]));
        assert_eq!(in_stock, Shown::of([1, 2]).chosen_by([Change::Stock]));
        let stock = |product| (product, Change::Stock);
        assert!(Shown::of([1, 5]).touched_by(&[stock(2), stock(5)]));
        assert!(!Shown::of([1, 5]).touched_by(&[stock(2), stock(4)]));
        assert!(in_stock.touched_by(&[stock(9)]));
        assert!(!in_stock.touched_by(&[(9, Change::Shown), (9, Change::Words)]));
        let search = Shown::of([1]).chosen_by([Change::Words, Change::Name]);
        assert!(search.touched_by(&[(9, Change::Words)]));
        assert!(!search.touched_by(&[(9, Change::Shown), (9, Change::Stock)]));
        assert!(search.touched_by(&[(1, Change::Shown)]));
        let by_price = Shown::of([1]).chosen_by([Change::Price]);
        assert!(by_price.touched_by(&[(9, Change::Price)]));
        assert!(!Shown::of([1]).touched_by(&[(9, Change::Price)]));
        assert!(search.touched_by(&[(9, Change::Name)]));
        let by_name = Shown::of([1]).chosen_by([Change::Name]);
        assert!(by_name.touched_by(&[(9, Change::Name)]));
        assert!(!by_name.touched_by(&[(9, Change::Words)]));
        assert!(Shown::unknown().touched_by(&[(9, Change::Shown)]));
        assert!(!Shown::unknown().touched_by(&[]));
    }

    /// Runs `sql` on a database made by [`generation_only`].
    async fn run(db: &Db, sql: &str) {
        let Pool::Sqlite(pool) = db.pool() else {
            unreachable!()
        };
        sqlx::raw_sql(sql).execute(pool).await.unwrap();
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_stock_change_drops_only_the_entries_showing_its_product() {
        let db = generation_only().await;
        let cache = cache(8);
        let version = cache.version(&db).await.unwrap();
        let product = |slug: &str| Key::Product(slug.into());
        cache.store(version, product("one"), 1_u32, Shown::of([1]));
        cache.store(version, product("two"), 2_u32, Shown::of([2, 3]));
        cache.store(
            version,
            Key::Listing("in stock".into()),
            3_u32,
            Shown::of([9]).chosen_by([Change::Stock]),
        );
        cache.store(version, Key::Home, 4_u32, Shown::of([4]));
        run(
            &db,
            "UPDATE catalog_generation SET stock_version = 2;
             INSERT INTO stock_changes (version, product_id) VALUES (1, 3), (2, 4);",
        )
        .await;
        let now = cache.version(&db).await.unwrap();
        assert_eq!(now.stock, 2);
        assert_eq!(cache.lookup::<u32>(now, &product("one")), Some(1));
        assert_eq!(cache.lookup::<u32>(now, &product("two")), None);
        assert_eq!(
            cache.lookup::<u32>(now, &Key::Listing("in stock".into())),
            None
        );
        assert_eq!(cache.lookup::<u32>(now, &Key::Home), None);
        assert_eq!(cache.len(), 1);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_cache_too_far_behind_the_stock_changes_empties() {
        let db = generation_only().await;
        let cache = cache(8);
        let version = cache.version(&db).await.unwrap();
        cache.store(version, Key::Home, 1_u32, Shown::of([1]));
        run(
            &db,
            &format!(
                "UPDATE catalog_generation SET stock_version = {};",
                STOCK_CHANGES_READ_AT_MOST + 1
            ),
        )
        .await;
        let now = cache.version(&db).await.unwrap();
        assert_eq!(cache.lookup::<u32>(now, &Key::Home), None);
    }

    /// A database holding nothing but the catalog's version and stock changes.
    async fn generation_only() -> Db {
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .expect("an in-memory database");
        sqlx::raw_sql(
            "CREATE TABLE catalog_generation (id INTEGER PRIMARY KEY, generation INTEGER NOT NULL,
                 stock_version INTEGER NOT NULL);
             INSERT INTO catalog_generation VALUES (1, 1, 0);
             CREATE TABLE stock_changes (version INTEGER PRIMARY KEY, product_id INTEGER NOT NULL,
                 kind TEXT NOT NULL DEFAULT 'stock');",
        )
        .execute(&pool)
        .await
        .expect("the generation table");
        Db::from_sqlite_pool(pool)
    }

    /// Starts `requests` concurrent misses of one key, lets them all reach their first wait, then
    /// answers every load that runs with `answer` (`None`: the load fails). Returns how many loads
    /// ran and what each request got.
    async fn concurrent_misses(requests: usize, answer: Option<u32>) -> (usize, Vec<Option<u32>>) {
        let db = generation_only().await;
        let cache = Arc::new(cache(8));
        let loads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (tell, go) = tokio::sync::watch::channel(false);
        let tasks: Vec<_> = (0..requests)
            .map(|_| {
                let (db, cache, loads, mut go) =
                    (db.clone(), cache.clone(), loads.clone(), go.clone());
                tokio::spawn(async move {
                    let load = async {
                        loads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        go.wait_for(|go| *go).await.expect("told to go");
                        answer.ok_or(sqlx::Error::RowNotFound)
                    };
                    cache
                        .get_or_load(&db, Key::Home, load, |_| Shown::unknown())
                        .await
                        .ok()
                })
            })
            .collect();
        // Bounded, so that a cache that never makes anyone wait fails the test rather than hangs it.
        for _ in 0..100_000 {
            if cache.followers(&Key::Home) == requests - 1 {
                break;
            }
            tokio::task::yield_now().await;
        }
        tell.send_replace(true);
        let mut got = Vec::new();
        for task in tasks {
            got.push(task.await.expect("the request finished"));
        }
        (loads.load(std::sync::atomic::Ordering::SeqCst), got)
    }

    #[tokio::test(flavor = "current_thread")]
    async fn concurrent_misses_of_one_key_load_it_once() {
        let (loads, got) = concurrent_misses(10, Some(7)).await;
        assert_eq!(loads, 1);
        assert!(got.iter().all(|value| *value == Some(7)), "{got:?}");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn when_the_leader_keeps_nothing_the_others_load_for_themselves() {
        let (loads, got) = concurrent_misses(3, None).await;
        assert_eq!(loads, 3);
        assert_eq!(got, vec![None, None, None]);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_version_read_sees_every_change_made_before_it_was_asked_for() {
        let db = generation_only().await;
        let cache = cache(8);
        assert_eq!(cache.version(&db).await.unwrap(), at(1));
        run(&db, "UPDATE catalog_generation SET generation = 2").await;
        assert_eq!(cache.version(&db).await.unwrap(), at(2));
    }

    /// How many requests reach the cache while one read is under way depends on when the runtime
    /// polls the read's wake-up, so a few reads may be needed; one per request would be `requests`.
    fn assert_shared(cache: &CatalogCache, requests: u64) {
        let queries = cache.reads_started.load(Ordering::SeqCst);
        assert!(queries <= 5, "{queries} queries for {requests} reads");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn version_reads_asked_for_together_share_a_query() {
        let db = generation_only().await;
        let cache = Arc::new(cache(8));
        let reads: Vec<_> = (0..50)
            .map(|_| {
                let (cache, db) = (cache.clone(), db.clone());
                tokio::spawn(async move { cache.version(&db).await.unwrap() })
            })
            .collect();
        for read in reads {
            assert_eq!(read.await.unwrap(), at(1));
        }
        assert_shared(&cache, 50);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_failed_version_read_is_shared_by_those_who_waited_for_it() {
        let db = generation_only().await;
        let Pool::Sqlite(pool) = db.pool() else {
            unreachable!()
        };
        sqlx::query("DROP TABLE catalog_generation")
            .execute(pool)
            .await
            .unwrap();
        let cache = Arc::new(cache(8));
        let reads: Vec<_> = (0..50)
            .map(|_| {
                let (cache, db) = (cache.clone(), db.clone());
                tokio::spawn(async move { cache.version(&db).await })
            })
            .collect();
        for read in reads {
            assert!(read.await.unwrap().is_err());
        }
        assert_shared(&cache, 50);
    }
}
