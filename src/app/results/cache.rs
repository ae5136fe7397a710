//! The breakdowns by mode and procedure field kept between requests (`scan`,
//! `domain::results::cache`): everything else is computed from roll-ups at every request. With
//! its counters for `GET /metrics`.

use std::sync::Arc;

use crate::domain::results::MonthCells;
use crate::domain::results::cache::ViewCache;

/// Each agency's scanned breakdown cells (by mode and by procedure field), kept while the
/// responses they were scanned from are the same.
pub type KeptBreakdowns = ViewCache<Vec<Arc<MonthCells>>>;

/// A store of at most `capacity` breakdowns (0: none).
pub fn kept_breakdowns(capacity: usize) -> KeptBreakdowns {
    ViewCache::new(capacity)
}

/// The counters in Prometheus' text format.
pub fn render(kept: &KeptBreakdowns) -> String {
    let (hits, misses) = kept.hits_and_misses();
    format!(
        "# HELP sipas_breakdowns_total Breakdowns by mode or procedure field served kept (hit) or \
         computed (miss).\n\
         # TYPE sipas_breakdowns_total counter\n\
         sipas_breakdowns_total{{cache=\"hit\"}} {hits}\n\
         sipas_breakdowns_total{{cache=\"miss\"}} {misses}\n"
    )
}
