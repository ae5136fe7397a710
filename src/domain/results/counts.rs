//! The counts a view is computed from: per agency, the roll-ups of one form version by span and
//! channel (`domain::spans`), as read from storage, and the registered dossiers of the same
//! spans. A month range is computed from its cover's spans — a year of an agency is one row
//! per channel — so nothing here grows with the number of questionnaires or of months.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use uuid::Uuid;

use super::estimate::{self, Estimate, EstimateError};
use super::{Cell, Design, Strata};
use crate::domain::aggregates::{BucketCounts, BucketError, ScoreShape, packed_responses};
use crate::domain::periods::Month;
use crate::domain::spans::{Span, cover};
use crate::stats::DomainOptions;

/// An agency's cells over a range of months, by channel.
pub(crate) type AgencyCells = Vec<(String, Arc<Cell>)>;

/// One agency's rows, by (span key, channel).
#[derive(Debug, Clone, Default)]
struct AgencyRows {
    /// Packed counts (`BucketCounts::pack`), decoded only when a stratum adds them up.
    scores: BTreeMap<(String, String), Vec<u8>>,
    dossiers: BTreeMap<(String, String), u64>,
}

/// The roll-ups of one form version, by agency, span and channel.
#[derive(Debug, Clone)]
pub struct Counts {
    shape: Arc<ScoreShape>,
    /// The spans read (`None`: every span a month was added to, [`Counts::add_closed_month`]).
    /// A range whose cover needs a span not read is an error, never a silent zero.
    read: Option<BTreeSet<String>>,
    agencies: HashMap<Uuid, AgencyRows>,
}

impl Counts {
    /// No counts yet, for a form version of this shape, from storage rows of `spans`.
    pub fn new(shape: Arc<ScoreShape>, spans: impl IntoIterator<Item = Span>) -> Self {
        Self {
            shape,
            read: Some(spans.into_iter().map(|s| s.key()).collect()),
            agencies: HashMap::new(),
        }
    }

    /// No counts yet, built month by month ([`Counts::add_closed_month`]): for tests and
    /// reports computed from counts at hand.
    pub fn by_month(shape: Arc<ScoreShape>) -> Self {
        Self {
            shape,
            read: None,
            agencies: HashMap::new(),
        }
    }

    /// The layout of the version's counts.
    pub fn shape(&self) -> &Arc<ScoreShape> {
        &self.shape
    }

    /// Adds a stored score roll-up (packed; one that is not of the version makes the results
    /// that add it up fail with [`BucketError`]).
    pub fn add_scores(&mut self, agency: Uuid, (span, channel): (&str, &str), packed: Vec<u8>) {
        let rows = self.agencies.entry(agency).or_default();
        rows.scores
            .insert((span.to_owned(), channel.to_owned()), packed);
    }

    /// Adds a stored dossier roll-up.
    pub fn add_dossiers(&mut self, agency: Uuid, (span, channel): (&str, &str), dossiers: u64) {
        let rows = self.agencies.entry(agency).or_default();
        *rows
            .dossiers
            .entry((span.to_owned(), channel.to_owned()))
            .or_default() += dossiers;
    }

    /// Adds a closed month's counts to the four spans that contain it, as closing stores them
    /// (`domain::spans`).
    pub fn add_closed_month(
        &mut self,
        agency: Uuid,
        (month, channel): (Month, &str),
        (counts, dossiers): (&BucketCounts, u64),
    ) -> Result<(), BucketError> {
        for span in Span::containing(month) {
            let key = (span.key(), channel.to_owned());
            let rows = self.agencies.entry(agency).or_default();
            let mut sum = match rows.scores.get(&key) {
                Some(packed) => self.shape.unpack(packed)?,
                None => self.shape.empty(),
            };
            sum.merge(counts)?;
            rows.scores.insert(key.clone(), sum.pack());
            *rows.dossiers.entry(key).or_default() += dossiers;
        }
        Ok(())
    }

    /// Adds to the rows of `id` in span `target` the rows of `agency` in `source` over `spans`
    /// (stored keys of months within `target`): the counts of a subtree member over the months
    /// of a span it is a member in (`agency_history::Member`), under the member's own id.
    pub fn add_part(
        &mut self,
        (id, target): (Uuid, &str),
        (source, agency): (&Counts, Uuid),
        spans: &[String],
    ) -> Result<(), BucketError> {
        let Some(rows) = source.agencies.get(&agency) else {
            return Ok(());
        };
        for span in spans {
            for (channel, packed) in of_span(&rows.scores, span) {
                let key = (target.to_owned(), channel.to_owned());
                let into = self.agencies.entry(id).or_default();
                let mut sum = match into.scores.get(&key) {
                    Some(have) => self.shape.unpack(have)?,
                    None => self.shape.empty(),
                };
                self.shape.add_packed(packed, &mut sum)?;
                into.scores.insert(key, sum.pack());
            }
            for (channel, n) in of_span(&rows.dossiers, span) {
                self.add_dossiers(id, (target, channel), *n);
            }
        }
        Ok(())
    }

    /// The spans of months `first..=last` (`YYYY-MM`), checked to have been read.
    fn spans_of(&self, first: &str, last: &str) -> Result<Vec<String>, BucketError> {
        let (Some(first), Some(last)) = (Month::parse(first), Month::parse(last)) else {
            return Ok(Vec::new());
        };
        let spans: Vec<String> = cover(first, last).iter().map(Span::key).collect();
        match &self.read {
            Some(read) if spans.iter().any(|s| !read.contains(s)) => Err(BucketError),
            _ => Ok(spans),
        }
    }

    /// The responses (valid and invalid) of `agency` in months `first..=last`.
    pub fn responses_in(&self, agency: Uuid, first: &str, last: &str) -> Result<u64, BucketError> {
        let spans = self.spans_of(first, last)?;
        let Some(rows) = self.agencies.get(&agency) else {
            return Ok(0);
        };
        (spans.iter())
            .flat_map(|span| of_span(&rows.scores, span))
            .map(|(_, packed)| packed_responses(packed).ok_or(BucketError))
            .sum()
    }

    /// The cells of `agency` over the spans `spans` by channel, merged; all in one cell (named
    /// `*`) unless `by_channel`.
    fn cells(
        &self,
        agency: Uuid,
        spans: &[String],
        by_channel: bool,
    ) -> Result<AgencyCells, BucketError> {
        let Some(rows) = self.agencies.get(&agency) else {
            return Ok(Vec::new());
        };
        let mut cells: BTreeMap<&str, Cell> = BTreeMap::new();
        let empty = || Cell {
            counts: self.shape.empty(),
            invited: 0,
        };
        let name = |channel| if by_channel { channel } else { "*" };
        for span in spans {
            for (channel, packed) in of_span(&rows.scores, span) {
                let cell = cells.entry(name(channel)).or_insert_with(empty);
                self.shape.add_packed(packed, &mut cell.counts)?;
            }
            for (channel, n) in of_span(&rows.dossiers, span) {
                cells.entry(name(channel)).or_insert_with(empty).invited += n;
            }
        }
        Ok(cells
            .into_iter()
            .map(|(c, cell)| (c.to_owned(), Arc::new(cell)))
            .collect())
    }

    /// The (agency, channel) strata of `agencies` over months `first..=last` (`YYYY-MM`).
    pub(crate) fn strata(
        &self,
        agencies: &HashSet<Uuid>,
        first: &str,
        last: &str,
    ) -> Result<Strata, BucketError> {
        self.strata_of(agencies, (first, last), true)
    }

    /// As [`Counts::strata`]; with each agency's channels merged into one cell unless
    /// `by_channel` (for designs that do not keep them apart).
    pub(crate) fn strata_of(
        &self,
        agencies: &HashSet<Uuid>,
        (first, last): (&str, &str),
        by_channel: bool,
    ) -> Result<Strata, BucketError> {
        let spans = self.spans_of(first, last)?;
        let mut cells: BTreeMap<(Uuid, String), Arc<Cell>> = BTreeMap::new();
        let ids: Vec<Uuid> = agencies.iter().copied().collect();
        let each = on_all_cores(&ids, |a| self.cells(*a, &spans, by_channel));
        for (a, agency_cells) in ids.iter().zip(each) {
            for (channel, cell) in agency_cells? {
                cells.insert((*a, channel), cell);
            }
        }
        Ok(Strata {
            shape: self.shape.clone(),
            cells,
        })
    }

    /// The estimate of `agency` alone over months `first..=last` under `design`.
    pub(crate) fn agency_estimate(
        &self,
        agency: Uuid,
        (first, last): (&str, &str),
        design: Design,
        options: &DomainOptions,
    ) -> Result<Arc<Estimate>, EstimateError> {
        // A design without channel strata merges an agency's channels anyway: merged while
        // decoding, the same sums in one cell instead of one per channel.
        let spans = self.spans_of(first, last)?;
        let strata = Strata {
            shape: self.shape.clone(),
            cells: (self.cells(agency, &spans, design.by_channel())?.into_iter())
                .map(|(channel, cell)| ((agency, channel), cell))
                .collect(),
        };
        Ok(Arc::new(estimate::estimate(&strata, design, options)?))
    }
}

/// The rows of `span` in `rows` (keyed by span, then channel): `(channel, value)`.
fn of_span<'a, T>(
    rows: &'a BTreeMap<(String, String), T>,
    span: &'a str,
) -> impl Iterator<Item = (&'a str, &'a T)> + 'a {
    (rows.range((span.to_owned(), String::new())..))
        .take_while(move |((s, _), _)| s == span)
        .map(|((_, channel), value)| (channel.as_str(), value))
}

/// `f` of each item, in order, computed on as many threads as the machine has cores (a
/// province's page estimates a hundred agencies); on this thread for a few items.
pub(crate) fn on_all_cores<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    const AT_LEAST_PER_THREAD: usize = 16;
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let threads = cores.min(items.len() / AT_LEAST_PER_THREAD).max(1);
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let f = &f;
    std::thread::scope(|scope| {
        let parts: Vec<_> = items
            .chunks(items.len().div_ceil(threads))
            .map(|chunk| scope.spawn(move || chunk.iter().map(f).collect::<Vec<R>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|part| part.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}
