//! The result views kept between requests ([`ResultViews`]): one cache per kind of view, the
//! per-agency memo, and the views recently asked for, which the background refresh keeps
//! computed ([`Asked`]); with their counters for `GET /metrics`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::request::{ParQuery, RankingQuery, ResultsQuery, TrendQuery};
use crate::domain::auth::Principal;
use crate::domain::results::cache::ViewCache;
use crate::domain::results::memo::Memo;
use crate::domain::results::{ParScoresView, RankingView, ResultView, TrendView};

/// One view as an officer or a key asked for it: computed again in the background
/// ([`refresh`]) when its inputs change, so that the next request finds it kept.
#[derive(Debug, Clone)]
pub enum Asked {
    Result(ResultsQuery),
    Trend(TrendQuery),
    Ranking(RankingQuery),
    Par(ParQuery),
}

/// Computed result views, kept while their inputs are unchanged (`domain::results::cache`), and
/// the views recently asked for, which [`refresh`](super::refresh) keeps computed.
#[derive(Debug)]
pub struct ResultViews {
    pub results: ViewCache<ResultView>,
    pub trends: ViewCache<TrendView>,
    pub rankings: ViewCache<RankingView>,
    pub par_scores: ViewCache<ParScoresView>,
    /// Per-agency texts, cells and estimates kept between requests.
    pub memo: Arc<Memo>,
    /// (who, what) → (who, what, when last asked); at most `4 × capacity` entries.
    asked: Mutex<HashMap<String, (Principal, Asked, Instant)>>,
    capacity: usize,
    /// Views computed again in the background.
    refreshed: AtomicU64,
    /// Whether the start-up warm-up has finished.
    warmed_up: AtomicBool,
}

impl ResultViews {
    /// At most `capacity` views of each kind, and a memo of about `memo_bytes`.
    pub fn new(capacity: usize, memo_bytes: usize) -> Self {
        Self {
            memo: Arc::new(Memo::new(memo_bytes)),
            results: ViewCache::new(capacity),
            trends: ViewCache::new(capacity),
            rankings: ViewCache::new(capacity),
            par_scores: ViewCache::new(capacity),
            asked: Mutex::new(HashMap::new()),
            capacity,
            refreshed: AtomicU64::new(0),
            warmed_up: AtomicBool::new(false),
        }
    }

    /// Counts a view computed again in the background.
    pub(crate) fn refreshed(&self) {
        self.refreshed.fetch_add(1, Ordering::Relaxed);
    }

    /// Marks the start-up warm-up finished.
    pub(crate) fn warmed_up(&self) {
        self.warmed_up.store(true, Ordering::Relaxed);
    }

    /// Remembers that `caller` asked for `view` now (nothing when no view is kept).
    pub(crate) fn asked(&self, caller: &Principal, view: Asked) {
        if self.capacity == 0 {
            return;
        }
        let key = format!("{caller:?} {view:?}");
        let mut asked = self.lock_asked();
        if asked.len() >= 4 * self.capacity && !asked.contains_key(&key) {
            let oldest = asked
                .iter()
                .min_by_key(|(_, (_, _, at))| *at)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                asked.remove(&k);
            }
        }
        asked.insert(key, (caller.clone(), view, Instant::now()));
    }

    /// The views asked for within `window`, forgetting the older ones.
    pub(crate) fn recently_asked(&self, window: Duration) -> Vec<(Principal, Asked)> {
        let mut asked = self.lock_asked();
        asked.retain(|_, (_, _, at)| at.elapsed() <= window);
        asked
            .values()
            .map(|(who, what, _)| (who.clone(), what.clone()))
            .collect()
    }

    fn lock_asked(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, (Principal, Asked, Instant)>> {
        // Each operation leaves the map whole, so a poisoned lock is still usable.
        self.asked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Views served from the caches and views computed, since the start.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        [
            self.results.hits_and_misses(),
            self.trends.hits_and_misses(),
            self.rankings.hits_and_misses(),
            self.par_scores.hits_and_misses(),
        ]
        .into_iter()
        .fold((0, 0), |(h, m), (a, b)| (h + a, m + b))
    }

    /// The counters in Prometheus' text format.
    pub fn render(&self) -> String {
        let (hits, misses) = self.hits_and_misses();
        format!(
            "# HELP sipas_result_views_total Result views (results, trends, rankings, PAR scores) \
             served from the cache (hit) or computed (miss).\n\
             # TYPE sipas_result_views_total counter\n\
             sipas_result_views_total{{cache=\"hit\"}} {hits}\n\
             sipas_result_views_total{{cache=\"miss\"}} {misses}\n\
             # HELP sipas_result_views_refreshed_total Of those computed, the ones computed in \
             the background because their inputs changed.\n\
             # TYPE sipas_result_views_refreshed_total counter\n\
             sipas_result_views_refreshed_total {}\n\
             # HELP sipas_result_memo_warmed_up Whether the start-up warm-up of the per-agency \
             result memo has finished (1) or not (0; also when there is none).\n\
             # TYPE sipas_result_memo_warmed_up gauge\n\
             sipas_result_memo_warmed_up {}\n\
             # HELP sipas_result_memo_bytes About how many bytes each part of the per-agency \
             result memo holds.\n\
             # TYPE sipas_result_memo_bytes gauge\n{}",
            self.refreshed.load(Ordering::Relaxed),
            u8::from(self.warmed_up.load(Ordering::Relaxed)),
            self.memo
                .bytes()
                .iter()
                .map(|(part, bytes)| format!(
                    "sipas_result_memo_bytes{{part=\"{part}\"}} {bytes}\n"
                ))
                .collect::<String>(),
        )
    }
}
