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
//! The cost is one primary-key read per lookup instead of the page's queries. Memory is bounded:
//! at most [`CAPACITY`] entries, the oldest evicted first, and all of them dropped when the
//! generation moves on.

use crate::on_db;
use crate::server::db::Db;
use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

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
        }
    }

    /// The value for `key` if it is current, otherwise what `load` answers, kept for next time.
    pub async fn get_or_load<T, E, F>(&self, db: &Db, key: Key, load: F) -> Result<T, E>
    where
        T: Clone + Send + Sync + 'static,
        E: From<sqlx::Error>,
        F: Future<Output = Result<T, E>>,
    {
        let generation = generation(db).await?;
        if let Some(value) = self.lookup::<T>(generation, &key) {
            return Ok(value);
        }
        let value = load.await?;
        self.store(generation, key, value.clone());
        Ok(value)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // The map is consistent after every statement, so a panic elsewhere leaves it usable.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
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
}

/// The catalog generation the database holds now.
pub async fn generation(db: &Db) -> Result<i64, sqlx::Error> {
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
}
