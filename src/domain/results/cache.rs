//! Computed cells kept for as long as their inputs stay the same: the breakdowns by mode and
//! by procedure field, which roll-ups do not hold and which are scanned from the responses
//! (`app::results::scan`). Whatever else a view shows is computed from roll-ups every time.
//!
//! A breakdown is a pure function of the request (agencies, form version, months, dimension)
//! and of the responses of those agencies in those months. Responses are only ever added (a
//! late entry; none is changed or deleted), so their number — read from the roll-ups, the
//! first two counts of each — tells whether the set is still the same: the [`CacheKey`] of
//! kept cells hashes both, and a late entry makes the next request scan again. What is kept is
//! each agency's cells by both dimensions, so the other dimension is a merge, not a scan.
//!
//! Bounded by a number of entries; the least recently used is dropped first.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

/// What a view was computed from: the request (agencies, form version, period, options) and
/// the state of its inputs. Two equal keys give equal views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CacheKey(u64);

impl CacheKey {
    /// The key of `request` computed from inputs in the state `inputs`.
    pub fn new(request: &impl Hash, inputs: &impl Hash) -> Self {
        let mut h = DefaultHasher::new();
        request.hash(&mut h);
        inputs.hash(&mut h);
        CacheKey(h.finish())
    }
}

/// At most `capacity` views of one type, by key.
#[derive(Debug)]
pub struct ViewCache<V> {
    capacity: usize,
    inner: Mutex<Entries<V>>,
}

#[derive(Debug)]
struct Entries<V> {
    /// Key → (last use, view).
    map: HashMap<CacheKey, (u64, Arc<V>)>,
    clock: u64,
    hits: u64,
    misses: u64,
}

impl<V> ViewCache<V> {
    /// A cache of at most `capacity` views (0: keeps nothing).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(Entries {
                map: HashMap::new(),
                clock: 0,
                hits: 0,
                misses: 0,
            }),
        }
    }

    /// The view computed for `key`, if kept.
    pub fn get(&self, key: &CacheKey) -> Option<Arc<V>> {
        let mut e = self.lock();
        e.clock += 1;
        let now = e.clock;
        let found = e.map.get_mut(key).map(|(used, view)| {
            *used = now;
            view.clone()
        });
        if found.is_some() {
            e.hits += 1;
        } else {
            e.misses += 1;
        }
        found
    }

    /// Keeps `view` for `key`, dropping the least recently used view when full.
    pub fn put(&self, key: CacheKey, view: Arc<V>) {
        if self.capacity == 0 {
            return;
        }
        let mut e = self.lock();
        e.clock += 1;
        let now = e.clock;
        if e.map.len() >= self.capacity && !e.map.contains_key(&key) {
            let oldest = e
                .map
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(k, _)| *k);
            if let Some(k) = oldest {
                e.map.remove(&k);
            }
        }
        e.map.insert(key, (now, view));
    }

    /// Views served from the cache and views computed, since the start.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        let e = self.lock();
        (e.hits, e.misses)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<V>> {
        // A panic while holding the lock leaves the map consistent (every operation is a
        // single insert or remove), so a poisoned lock is still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(request: &str) -> CacheKey {
        CacheKey::new(&request, &(1_i64, 2_i64))
    }

    #[test]
    fn the_key_changes_with_the_request_and_with_the_inputs() {
        let a = CacheKey::new(&"r", &(1_i64, 2_i64));
        assert_eq!(a, CacheKey::new(&"r", &(1_i64, 2_i64)));
        assert_ne!(a, CacheKey::new(&"s", &(1_i64, 2_i64)));
        assert_ne!(a, CacheKey::new(&"r", &(1_i64, 3_i64)));
    }

    #[test]
    fn the_least_recently_used_view_goes_first_and_capacity_zero_keeps_nothing() {
        let cache = ViewCache::new(2);
        let (a, b, c) = (key("a"), key("b"), key("c"));
        cache.put(a, Arc::new(1));
        cache.put(b, Arc::new(2));
        assert_eq!(cache.get(&a).as_deref(), Some(&1));
        cache.put(c, Arc::new(3));
        assert_eq!(cache.get(&b), None, "b was the least recently used");
        assert_eq!(cache.get(&a).as_deref(), Some(&1));
        assert_eq!(cache.get(&c).as_deref(), Some(&3));
        assert_eq!(cache.hits_and_misses(), (3, 1));

        let none = ViewCache::new(0);
        none.put(a, Arc::new(1));
        assert_eq!(none.get(&a), None);
    }
}
