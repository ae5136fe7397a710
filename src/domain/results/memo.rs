//! What results keep between requests, agency by agency.
//!
//! A province's page combines the figures of a hundred agencies, month by month for a trend;
//! when one response arrives, one agency's month changes and every other figure stays what it
//! was. So besides whole views (`cache`), four things are kept per agency, each under the
//! fingerprint of the stored rows it was computed from (`Counts::agency_fingerprint`: every row's
//! random revision, renewed at each write), so that nothing kept is ever served for inputs that
//! have changed:
//!
//! - the **stored text** of each score bucket, with its revision: a request reads the revisions
//!   of its rows from an index and the text only of the rows this node has not read at that
//!   revision (`app::results::load::load_counts`);
//! - the **cells** of an agency over a range of months (its buckets merged per channel), which
//!   a pooled subtree estimate adds up;
//! - the **estimate** of an agency over a range of months under a design and options, which a
//!   subtree's mean, a ranking, the PAR scores and every step of a trend are made of.
//!
//! - the **breakdown cells** of an agency by mode or procedure field, which are scanned from its
//!   responses (a new response changes its bucket's revision too): per agency-month, packed
//!   (`scanned::MonthCells`, under `Counts::responses_fingerprint` of that month), and merged
//!   over a period.
//!
//! Beneath them all, the **listing** of an agency's rows over a range of months (which rows, at
//! which revisions, with their texts: `AgencyRows`) is kept while the agency's revision sums
//! (`aggregates::input_sums`, per agency) are unchanged, so that a request lists again only
//! the agencies that have changed, and takes each other agency's rows as one shared value.
//!
//! Bounded by an approximate number of bytes (`results.memo_mb`), shared out as 20 % listings
//! (their texts counted), 10 % texts (for the rows of an agency listed again), 10 % cells, 20 %
//! estimates, 15 % merged breakdown cells and 25 % month cells; the least recently used entries
//! go first. (The province demo — 131 agencies, 24 months — after the warm-up holds about 42 MB
//! of listings, 38 MB of texts, 26 MB of cells, 41–55 MB of estimates, 30–48 MB of merged
//! breakdown cells and 66 MB of month cells: the default 384 MB holds it, with room for the
//! periods officers choose next.)

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use uuid::Uuid;

use super::estimate::Estimate;
use super::report::BreakdownCellInput;
use super::scanned::MonthCells;
use super::{AgencyCells, AgencyRows};

/// One stored score bucket — agency, form key, form version, month, channel — hashed (a
/// text is found only at its revision too, so two rows would have to collide in both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RowKey(u64);

impl RowKey {
    pub fn new(agency: Uuid, (form_key, version): (&str, u32), month: &str, channel: &str) -> Self {
        let mut h = DefaultHasher::new();
        (agency, form_key, version, month, channel).hash(&mut h);
        RowKey(h.finish())
    }

    /// The key of all of `agency`'s rows of a form version, its listing's: no stored row has
    /// an empty month.
    fn all_rows(agency: Uuid, form: (&str, u32)) -> Self {
        Self::new(agency, form, "", "")
    }
}

/// An agency's rows of a form version over the months `from..=to` — which rows, at which
/// revisions, their texts and its registered-dossier counts — as read at some point. A request
/// over months within them takes them while their revision sums in its months are those the
/// database has now (`app::results::load::load_counts`), so that it lists again only the
/// agencies whose rows have changed.
#[derive(Debug, Clone)]
pub struct Listing {
    pub from: String,
    pub to: String,
    pub rows: Arc<AgencyRows>,
}

/// The per-agency memo (see the module's documentation).
#[derive(Debug)]
pub struct Memo {
    texts: Lru<RowKey, (i64, Arc<str>)>,
    cells: Lru<u64, AgencyCells>,
    estimates: Lru<u64, Estimate>,
    scanned: Lru<u64, Vec<BreakdownCellInput>>,
    months: Lru<u64, MonthCells>,
    listings: Lru<RowKey, Listing>,
}

impl Memo {
    /// A memo of about `bytes` bytes (0 keeps nothing).
    pub fn new(bytes: usize) -> Self {
        Self {
            texts: Lru::new(bytes / 10),
            cells: Lru::new(bytes / 10),
            estimates: Lru::new(bytes / 5),
            scanned: Lru::new(bytes * 3 / 20),
            months: Lru::new(bytes / 4),
            listings: Lru::new(bytes / 5),
        }
    }

    /// The text of each row if it was kept at its revision (one lock for all).
    pub fn texts(&self, rows: &[(RowKey, i64)]) -> Vec<Option<Arc<str>>> {
        let mut e = self.texts.lock();
        e.clock += 1;
        let now = e.clock;
        rows.iter()
            .map(|(row, revision)| {
                let (used, _, kept) = e.map.get_mut(row)?;
                *used = now;
                (kept.0 == *revision).then(|| kept.1.clone())
            })
            .collect()
    }

    /// Keeps the text of `row` read at `revision`.
    pub fn keep_text(&self, row: RowKey, revision: i64, text: Arc<str>) {
        let bytes = text.len() + 64;
        self.texts.put(row, Arc::new((revision, text)), bytes);
    }

    pub(crate) fn cells(&self, key: u64) -> Option<Arc<AgencyCells>> {
        self.cells.get(&key)
    }

    pub(crate) fn keep_cells(&self, key: u64, cells: Arc<AgencyCells>) {
        let bytes = cells.iter().map(|(_, c)| c.counts.bytes()).sum::<usize>() + 64;
        self.cells.put(key, cells, bytes);
    }

    /// An agency's breakdown cells by mode or procedure field, scanned from its responses,
    /// under `key` (`Counts::agency_fingerprint` of the agency's rows and the dimension).
    pub fn scanned(&self, key: u64) -> Option<Arc<Vec<BreakdownCellInput>>> {
        self.scanned.get(&key)
    }

    pub fn keep_scanned(&self, key: u64, cells: Arc<Vec<BreakdownCellInput>>) {
        let bytes = cells.iter().map(|c| c.counts.bytes() + 64).sum::<usize>() + 64;
        self.scanned.put(key, cells, bytes);
    }

    /// An agency-month's breakdown cells, under `key` (`Counts::responses_fingerprint` of the
    /// month).
    pub fn month_cells(&self, key: u64) -> Option<Arc<MonthCells>> {
        self.months.get(&key)
    }

    pub fn keep_month_cells(&self, key: u64, cells: Arc<MonthCells>) {
        let bytes = cells.bytes();
        self.months.put(key, cells, bytes);
    }

    /// The listing kept of `agency`'s rows of a form version (one per agency and version).
    pub fn listing(&self, agency: Uuid, form: (&str, u32)) -> Option<Arc<Listing>> {
        self.listings.get(&RowKey::all_rows(agency, form))
    }

    /// Keeps `listing` as `agency`'s of a form version, in place of any kept before.
    pub fn keep_listing(&self, agency: Uuid, form: (&str, u32), listing: Arc<Listing>) {
        let bytes = listing.rows.bytes();
        (self.listings).put(RowKey::all_rows(agency, form), listing, bytes);
    }

    /// About how many bytes each part holds: texts, cells, estimates, breakdown cells over a
    /// period, month cells, listings.
    pub fn bytes(&self) -> [(&'static str, usize); 6] {
        [
            ("listings", self.listings.lock().bytes),
            ("texts", self.texts.lock().bytes),
            ("cells", self.cells.lock().bytes),
            ("estimates", self.estimates.lock().bytes),
            ("breakdowns", self.scanned.lock().bytes),
            ("months", self.months.lock().bytes),
        ]
    }

    pub(crate) fn estimate(&self, key: u64) -> Option<Arc<Estimate>> {
        self.estimates.get(&key)
    }

    pub(crate) fn keep_estimate(&self, key: u64, estimate: Arc<Estimate>) {
        let bytes = estimate.bytes();
        self.estimates.put(key, estimate, bytes);
    }
}

/// At most about `budget` bytes of values by key; when over, the least recently used quarter
/// of the budget is dropped at once (so that a put is amortised O(1)).
#[derive(Debug)]
struct Lru<K, V> {
    budget: usize,
    inner: Mutex<Entries<K, V>>,
}

#[derive(Debug)]
struct Entries<K, V> {
    /// Key → (last use, bytes, value).
    map: HashMap<K, (u64, usize, Arc<V>)>,
    clock: u64,
    bytes: usize,
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> {
    fn new(budget: usize) -> Self {
        Self {
            budget,
            inner: Mutex::new(Entries {
                map: HashMap::new(),
                clock: 0,
                bytes: 0,
            }),
        }
    }

    fn get(&self, key: &K) -> Option<Arc<V>> {
        let mut e = self.lock();
        e.clock += 1;
        let now = e.clock;
        e.map.get_mut(key).map(|(used, _, value)| {
            *used = now;
            value.clone()
        })
    }

    fn put(&self, key: K, value: Arc<V>, bytes: usize) {
        if self.budget == 0 || bytes > self.budget / 4 {
            return;
        }
        let mut e = self.lock();
        e.clock += 1;
        let now = e.clock;
        if let Some((_, old, _)) = e.map.insert(key, (now, bytes, value)) {
            e.bytes -= old;
        }
        e.bytes += bytes;
        if e.bytes > self.budget {
            let mut by_age: Vec<(u64, usize, K)> = e
                .map
                .iter()
                .map(|(k, (used, b, _))| (*used, *b, k.clone()))
                .collect();
            by_age.sort_unstable_by_key(|(used, _, _)| *used);
            let target = self.budget - self.budget / 4;
            for (_, b, k) in by_age {
                if e.bytes <= target {
                    break;
                }
                e.map.remove(&k);
                e.bytes -= b;
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<K, V>> {
        // Every operation leaves the map and its byte count consistent, so a poisoned lock
        // is still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_counts_the_texts_it_keeps_alive() {
        let mut rows = AgencyRows::default();
        rows.add_bucket(
            ("2026-01", "online"),
            Some(1),
            Arc::from("x".repeat(10_000)),
        );
        assert!(rows.bytes() > 10_000);
        let rows = Arc::new(rows);
        let listing = |rows: &Arc<AgencyRows>| {
            Arc::new(Listing {
                from: "2026-01".into(),
                to: "2026-01".into(),
                rows: rows.clone(),
            })
        };
        // Listings get a fifth of the budget, and no entry may take over a quarter of it.
        let small = Memo::new(150_000);
        let (agency, form) = (Uuid::nil(), ("sipas-2017", 1));
        small.keep_listing(agency, form, listing(&rows));
        assert!(
            small.listing(agency, form).is_none(),
            "10 kB of text is over 7.5 kB"
        );
        let large = Memo::new(1_000_000);
        large.keep_listing(agency, form, listing(&rows));
        assert!(large.listing(agency, form).is_some());
        assert!(large.listing(agency, ("sipas-2017", 2)).is_none());
    }

    #[test]
    fn the_least_recently_used_entries_go_when_the_budget_is_exceeded() {
        let lru: Lru<u32, u32> = Lru::new(400);
        for k in 0..4 {
            lru.put(k, Arc::new(k), 100);
        }
        assert!(lru.get(&0).is_some(), "0 is now the most recently used");
        lru.put(4, Arc::new(4), 100);
        // Over 400: dropped down to 300, oldest first (1 and 2).
        assert_eq!(lru.get(&1), None);
        assert_eq!(lru.get(&2), None);
        for k in [0, 3, 4] {
            assert_eq!(lru.get(&k).as_deref(), Some(&k));
        }
        lru.put(5, Arc::new(5), 101);
        assert_eq!(
            lru.get(&5),
            None,
            "larger than a quarter of the budget: not kept"
        );

        let none: Lru<u32, u32> = Lru::new(0);
        none.put(1, Arc::new(1), 0);
        assert_eq!(none.get(&1), None);
    }

    #[test]
    fn a_text_is_found_only_at_the_revision_it_was_read_at() {
        let memo = Memo::new(1 << 20);
        let row = RowKey::new(Uuid::nil(), ("f", 1), "2026-01", "online");
        memo.keep_text(row, 7, Arc::from("x1:00"));
        let other = RowKey::new(Uuid::nil(), ("f", 1), "2026-01", "in_person");
        let found = memo.texts(&[(row, 7), (row, 8), (other, 7)]);
        assert_eq!(found[0].as_deref(), Some("x1:00"));
        assert_eq!(found[1], None, "another revision");
        assert_eq!(found[2], None, "another row");
    }
}
