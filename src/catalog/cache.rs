//! The in-process catalog cache: what the catalog's pages read most (home content, listing pages,
//! category pages, product pages) kept in memory and served only while it is still true.
//!
//! Correctness rests on one number, the catalog generation (`catalog_generation`, migration 0005).
//! Database triggers bump it in the same transaction as any change to categories, products, variants,
//! stock or images, whoever makes it: this process, another instance, or someone with `psql`.
//! Every lookup first reads the generation; an entry is served only if it was loaded under that
//! same generation. The generation is read *before* a miss is loaded, so a change that commits
//! during the load makes the entry already out of date, never wrongly current.
//!
//! The cost is one primary-key read per lookup instead of the page's queries, and requests that
//! arrive while a read is under way share the next one ([`CatalogCache::generation`]). Memory is bounded:
//! at most [`CAPACITY`] entries, the oldest evicted first, and all of them dropped when the
//! generation moves on.
//!
//! A change to the catalog empties the cache at once, so the next moment every hot page misses
//! together. Concurrent misses of one key are loaded once ([`CatalogCache::lead_or_follow`]): the
//! first request loads it while the others wait for its answer, rather than all of them running the
//! same queries side by side on the same few cores.

use crate::on_db;
use crate::server::db::Db;
use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::{OwnedRwLockWriteGuard, RwLock};

/// A few thousand pages: tens of megabytes at most, and far more than the hot set.
pub const CAPACITY: usize = 4096;

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

#[derive(Default)]
struct Entries {
    generation: i64,
    values: HashMap<Key, Value>,
    /// Keys in insertion order, for eviction.
    order: VecDeque<Key>,
}

pub struct CatalogCache {
    entries: Mutex<Entries>,
    capacity: usize,
    /// Keys being loaded now, each with a lock its loader holds until it is done.
    loading: Mutex<HashMap<Key, Arc<RwLock<()>>>>,
    /// How many reads of the generation have started.
    reads_started: AtomicU64,
    /// The latest read: its number and what it found (or why it failed). Held while reading, so
    /// reads go one at a time.
    latest_read: tokio::sync::Mutex<Option<(u64, Result<i64, String>)>>,
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
        Self::with_capacity(CAPACITY)
    }
}

impl std::fmt::Debug for CatalogCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let entries = self.lock();
        f.debug_struct("CatalogCache")
            .field("generation", &entries.generation)
            .field("entries", &entries.values.len())
            .finish()
    }
}

impl CatalogCache {
    pub fn with_capacity(capacity: usize) -> Self {
        CatalogCache {
            entries: Mutex::default(),
            capacity: capacity.max(1),
            loading: Mutex::default(),
            reads_started: AtomicU64::new(0),
            latest_read: tokio::sync::Mutex::default(),
        }
    }

    /// The catalog generation the database holds now: as read by a query that started after this
    /// call did, so it reflects every change committed before the call. Calls that arrive while a
    /// read is under way wait for it to end and share the one read after it, so under load the
    /// database sees a read per batch of requests rather than one per request. A failed read is
    /// shared too: when the database is unreachable, the calls waiting fail together rather than
    /// each waiting out its own timeout in turn.
    pub async fn generation(&self, db: &Db) -> Result<i64, sqlx::Error> {
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
        let found = read_generation(db).await;
        *latest = Some((read, found.as_ref().copied().map_err(ToString::to_string)));
        found
    }

    /// The value for `key` if it is current, otherwise what `load` answers, kept for next time.
    pub async fn get_or_load<T, E, F>(&self, db: &Db, key: Key, load: F) -> Result<T, E>
    where
        T: Clone + Send + Sync + 'static,
        E: From<sqlx::Error>,
        F: Future<Output = Result<T, E>>,
    {
        let generation = self.generation(db).await?;
        if let Some(value) = self.lookup::<T>(generation, &key) {
            return Ok(value);
        }
        let _loading = self.lead_or_follow(&key).await;
        // A follower usually finds what the leader stored; failing that, it loads for itself.
        if let Some(value) = self.lookup::<T>(generation, &key) {
            return Ok(value);
        }
        let value = load.await?;
        self.store(generation, key, value.clone());
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

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        lock(&self.entries)
    }

    /// The value for `key` if it was stored under `generation`.
    pub fn lookup<T: Clone + 'static>(&self, generation: i64, key: &Key) -> Option<T> {
        let entries = self.lock();
        if entries.generation != generation {
            return None;
        }
        entries.values.get(key)?.downcast_ref::<T>().cloned()
    }

    /// Keeps `value` for `key`, as loaded under `generation`.
    pub fn store<T: Send + Sync + 'static>(&self, generation: i64, key: Key, value: T) {
        let value: Value = Arc::new(value);
        let mut entries = self.lock();
        if generation > entries.generation {
            *entries = Entries {
                generation,
                ..Entries::default()
            };
        } else if generation < entries.generation {
            // Loaded under a generation that has already passed: not worth keeping.
            return;
        }
        if entries.values.insert(key.clone(), value).is_none() {
            entries.order.push_back(key);
            while entries.order.len() > self.capacity {
                if let Some(oldest) = entries.order.pop_front() {
                    entries.values.remove(&oldest);
                }
            }
        }
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

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Each map is consistent after every statement, so a panic elsewhere leaves it usable.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn read_generation(db: &Db) -> Result<i64, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar("SELECT generation FROM catalog_generation WHERE id = 1")
        .fetch_one(pool)
        .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(capacity: usize) -> CatalogCache {
        CatalogCache::with_capacity(capacity)
    }

    #[test]
    fn an_entry_is_served_only_under_its_generation() {
        let cache = cache(8);
        cache.store(3, Key::Home, 7_u32);
        assert_eq!(cache.lookup::<u32>(3, &Key::Home), Some(7));
        assert_eq!(cache.lookup::<u32>(4, &Key::Home), None);
        assert_eq!(cache.lookup::<u32>(2, &Key::Home), None);
    }

    #[test]
    fn a_newer_generation_drops_everything_and_an_older_one_is_not_kept() {
        let cache = cache(8);
        cache.store(1, Key::Home, 1_u32);
        cache.store(1, Key::Product("a".into()), 2_u32);
        cache.store(2, Key::Product("b".into()), 3_u32);
        assert_eq!(cache.len(), 1);
        cache.store(1, Key::Home, 4_u32);
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.lookup::<u32>(2, &Key::Home), None);
    }

    #[test]
    fn the_oldest_entries_go_first_when_full() {
        let cache = cache(2);
        for slug in ["a", "b", "c"] {
            cache.store(1, Key::Product(slug.into()), slug.to_owned());
        }
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.lookup::<String>(1, &Key::Product("a".into())), None);
        assert_eq!(
            cache.lookup::<String>(1, &Key::Product("c".into())),
            Some("c".to_owned())
        );
    }

    #[test]
    fn a_value_of_another_type_is_a_miss() {
        let cache = cache(2);
        cache.store(1, Key::Home, 1_u32);
        assert_eq!(cache.lookup::<String>(1, &Key::Home), None);
    }

    /// A database holding nothing but the catalog generation.
    async fn generation_only() -> Db {
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .expect("an in-memory database");
        sqlx::raw_sql(
            "CREATE TABLE catalog_generation (id INTEGER PRIMARY KEY, generation INTEGER NOT NULL);
             INSERT INTO catalog_generation VALUES (1, 1);",
        )
        .execute(&pool)
        .await
        .expect("the generation table");
        Db::Sqlite(pool)
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
                    cache.get_or_load(&db, Key::Home, load).await.ok()
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
    async fn a_generation_read_sees_every_change_made_before_it_was_asked_for() {
        let db = generation_only().await;
        let cache = cache(8);
        assert_eq!(cache.generation(&db).await.unwrap(), 1);
        let Db::Sqlite(pool) = &db else {
            unreachable!()
        };
        sqlx::query("UPDATE catalog_generation SET generation = 2")
            .execute(pool)
            .await
            .unwrap();
        assert_eq!(cache.generation(&db).await.unwrap(), 2);
    }

    /// How many requests reach the cache while one read is under way depends on when the runtime
    /// polls the read's wake-up, so a few reads may be needed; one per request would be `requests`.
    fn assert_shared(cache: &CatalogCache, requests: u64) {
        let queries = cache.reads_started.load(Ordering::SeqCst);
        assert!(queries <= 5, "{queries} queries for {requests} reads");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn generation_reads_asked_for_together_share_a_query() {
        let db = generation_only().await;
        let cache = Arc::new(cache(8));
        let reads: Vec<_> = (0..50)
            .map(|_| {
                let (cache, db) = (cache.clone(), db.clone());
                tokio::spawn(async move { cache.generation(&db).await.unwrap() })
            })
            .collect();
        for read in reads {
            assert_eq!(read.await.unwrap(), 1);
        }
        assert_shared(&cache, 50);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_failed_generation_read_is_shared_by_those_who_waited_for_it() {
        let db = generation_only().await;
        let Db::Sqlite(pool) = &db else {
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
                tokio::spawn(async move { cache.generation(&db).await })
            })
            .collect();
        for read in reads {
            assert!(read.await.unwrap().is_err());
        }
        assert_shared(&cache, 50);
    }
}
