//! Computed views kept for as long as their inputs stay the same.
//!
//! A view (a result, a trend, a ranking, the PAR scores) is a pure function of the request, the
//! agencies it names, the form version and its inputs in storage: the score buckets and the
//! dossier counts of its agencies and months. `http::results_service` reads the buckets'
//! revisions and the dossier counts (cheap: no counts are decoded) and hashes them into a
//! [`Fingerprint`]; a view is served from here only when it was computed for the same request
//! and the same fingerprint. Every write of a bucket gives it a new random revision (in the
//! transaction that stores the responses), so a new response, a new dossier, a rebuild or
//! another node's write changes the fingerprint, and the view is computed again — never stale.
//!
//! Bounded by a number of entries per kind of view; the least recently used is dropped first.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

/// What a view was computed from: the request (agencies, form version, period, options) and
/// the state of its inputs. Two equal keys give equal views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CacheKey {
    request: u64,
    inputs: u64,
}

/// Builds a [`CacheKey`]: feed it the request, then the inputs' rows in any order.
#[derive(Debug, Default)]
pub struct Fingerprint {
    request: DefaultHasher,
    /// Order-independent: the wrapping sum and the xor of the rows' hashes, and their number.
    rows_sum: u64,
    rows_xor: u64,
    rows: u64,
}

impl Fingerprint {
    /// A fingerprint of the request `what` (e.g. `("result", &params)`).
    pub fn of_request(what: &impl Hash) -> Self {
        let mut f = Self::default();
        what.hash(&mut f.request);
        f
    }

    /// Adds one input row; the order rows are added in does not matter.
    pub fn row(&mut self, row: &impl Hash) {
        let mut h = DefaultHasher::new();
        row.hash(&mut h);
        let v = h.finish();
        self.rows_sum = self.rows_sum.wrapping_add(v);
        self.rows_xor ^= v.rotate_left(17);
        self.rows += 1;
    }

    /// The key.
    pub fn key(&self) -> CacheKey {
        let mut inputs = DefaultHasher::new();
        (self.rows_sum, self.rows_xor, self.rows).hash(&mut inputs);
        CacheKey {
            request: self.request.finish(),
            inputs: inputs.finish(),
        }
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

    fn key(request: &str, rows: &[(&str, i64)]) -> CacheKey {
        let mut f = Fingerprint::of_request(&request);
        for r in rows {
            f.row(r);
        }
        f.key()
    }

    #[test]
    fn the_key_ignores_the_order_of_rows_but_not_their_content_or_number() {
        let a = key("r", &[("2026-01", 1), ("2026-02", 2)]);
        assert_eq!(a, key("r", &[("2026-02", 2), ("2026-01", 1)]));
        assert_ne!(a, key("r", &[("2026-01", 1), ("2026-02", 3)]));
        assert_ne!(a, key("r", &[("2026-01", 1)]));
        assert_ne!(
            a,
            key("r", &[("2026-01", 1), ("2026-02", 2), ("2026-02", 2)])
        );
        assert_ne!(a, key("s", &[("2026-01", 1), ("2026-02", 2)]));
    }

    #[test]
    fn the_least_recently_used_view_goes_first_and_capacity_zero_keeps_nothing() {
        let cache = ViewCache::new(2);
        let (a, b, c) = (key("a", &[]), key("b", &[]), key("c", &[]));
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
