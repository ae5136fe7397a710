//! Results: the official SIPAS figures of an agency, a subtree, a breakdown cell, a ranking, a
//! PAR export or a trend, computed from the stored counts (score buckets and registered-dossier
//! counts, `domain::aggregates`) — never from the responses themselves, except for breakdowns by
//! mode or procedure field, which the buckets do not keep (their cells are built here from
//! scanned answers with the very same `ScoreShape::contribution`).
//!
//! What belongs here (pure, no actix, no sea-orm): which form version a result uses, how the
//! counts are merged into a design (`docs/statistics.md` §9), the mean of agencies and the pooled
//! second figure (methodology §3.5), suppression — including complementary suppression, so a
//! hidden number cannot be recovered from the published ones (`docs/statistics.md` §5.4) — PAR
//! points, the Decision 766 ratio, and the views the HTTP layer serialises. The statistics are
//! `crate::stats`'; labels come from the form definition.
//!
//! | request                                   | design ([`Design`])                          | vectors scenario                |
//! |-------------------------------------------|----------------------------------------------|---------------------------------|
//! | one agency (default)                      | unweighted, one stratum, fpc N = dossiers    | `agency_srs_fpc`                |
//! | `design=srs`                              | unweighted, one stratum, no fpc              | `agency_srs`                    |
//! | `design=stratified`                       | strata = channel, `w = N_h/n_h`, fpc         | `agency_stratified_weighted`    |
//! | `subtree=true` (`aggregate=mean`)         | mean of the agencies' indices (each by `design`) | `mean_of_agency_indices`    |
//! | `subtree=true&aggregate=pooled`           | strata = agency × channel, `w = N_h/n_h`, fpc | `province_stratified_weighted`  |
//! | a breakdown cell (`by=…`)                 | unweighted, one stratum, no fpc              | `cell_srs`                      |
//!
//! Every value a view carries is a percentage (0–100) at full precision, as api.md says;
//! the statistics core works in fractions.

pub mod cache;
mod estimate;
pub mod memo;
mod report;
mod scanned;
mod suppression;
mod view;

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};

use serde::Serialize;
use uuid::Uuid;

use super::aggregates::{BucketCounts, BucketError, DissatisfiedRule, RevisionSums, ScoreShape};
use crate::stats::{DomainOptions, ReliabilityThresholds};
use estimate::Estimate;
use memo::Memo;

pub use estimate::EstimateError;
pub use report::{
    AgencyRef, Breakdown, BreakdownCellInput, RankingInput, ResultRequest, Subject, TrendRequest,
    agency_result, form_ref, par_rows, ranking, steps, trend,
};
pub use scanned::{MonthCells, ScannedAnswers, merge_months};
pub use view::{
    BreakdownView, CellView, ChangeView, D766View, FigureView, FormRef, IntervalView, ItemView,
    MarginView, MethodView, NodeView, NotRankedView, NumberStatus, OpenMonthsView, ParScoreView,
    ParScoresView, ParView, RankedView, RankingView, ResultView, Suppression, ThresholdsView,
    TrendNodeView, TrendStepView, TrendView,
};

/// How figures are estimated (`docs/statistics.md` §9). Agency-level requests choose among the
/// first three with `design=`; the others follow from `aggregate=` and `by=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Design {
    /// Unweighted, one stratum, finite population correction with N = the dossiers registered
    /// in the period (the default).
    SrsFpc,
    /// Unweighted, one stratum, no fpc.
    Srs,
    /// Strata = the dossiers' channel, expansion weights `N_h / n_h`, fpc per stratum.
    Stratified,
    /// Strata = agency × channel, expansion weights, fpc (a subtree, `aggregate=pooled`).
    Pooled,
    /// Unweighted, one stratum, no fpc (a breakdown cell).
    CellSrs,
}

impl Design {
    /// The `design=` query values (the agency-level designs).
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "srs_fpc" => Some(Design::SrsFpc),
            "srs" => Some(Design::Srs),
            "stratified" => Some(Design::Stratified),
            _ => None,
        }
    }

    /// The reference scenario in `tests/vectors/composite_indices.json` it reproduces.
    pub fn scenario(self) -> &'static str {
        match self {
            Design::SrsFpc => "agency_srs_fpc",
            Design::Srs => "agency_srs",
            Design::Stratified => "agency_stratified_weighted",
            Design::Pooled => "province_stratified_weighted",
            Design::CellSrs => "cell_srs",
        }
    }

    fn uses_fpc(self) -> bool {
        matches!(self, Design::SrsFpc | Design::Stratified | Design::Pooled)
    }

    fn weighted(self) -> bool {
        matches!(self, Design::Stratified | Design::Pooled)
    }

    fn strata(self) -> &'static str {
        match self {
            Design::SrsFpc | Design::Srs | Design::CellSrs => "none",
            Design::Stratified => "channel",
            Design::Pooled => "agency_channel",
        }
    }
}

/// How a subtree's figures combine its agencies (methodology §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// The unweighted mean of the agencies' values ("trung bình", the headline), with the
    /// pooled estimate as the second figure.
    Mean,
    /// One estimate from all the agencies' respondents (strata agency × channel).
    Pooled,
}

impl Aggregate {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "mean" => Some(Aggregate::Mean),
            "pooled" => Some(Aggregate::Pooled),
            _ => None,
        }
    }
}

/// A breakdown dimension (`by=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// The dossier's channel: kept in the buckets, so no scan.
    Channel,
    /// How the answers were collected (web, kiosk, phone, paper): scanned.
    Mode,
    /// The dossier's procedure field: scanned.
    ProcedureField,
}

impl Dimension {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "channel" => Some(Dimension::Channel),
            "mode" => Some(Dimension::Mode),
            "procedure_field" => Some(Dimension::ProcedureField),
            _ => None,
        }
    }
}

/// The confidence levels a request may ask for.
pub const LEVELS: [f64; 3] = [0.90, 0.95, 0.99];

/// Parses `level=` (`0.90`, `0.9`, `0.95`, `0.99`).
pub fn parse_level(raw: &str) -> Option<f64> {
    let value: f64 = raw.parse().ok()?;
    LEVELS.into_iter().find(|l| (l - value).abs() < 1e-12)
}

/// Why a result uses its form version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VersionChoice {
    /// Asked for with `version=`.
    Requested,
    /// The newest version with stored responses in the period (the default).
    LatestWithData,
    /// No version has responses in the period: the form's current version.
    Current,
}

/// The form version of a result: the requested one, else the newest with data, else the
/// current one. Versions are never mixed: a version's items and tree are its own.
pub fn choose_version(
    with_data: impl IntoIterator<Item = u32>,
    requested: Option<u32>,
    current: u32,
) -> (u32, VersionChoice) {
    match requested {
        Some(v) => (v, VersionChoice::Requested),
        None => match with_data.into_iter().max() {
            Some(v) => (v, VersionChoice::LatestWithData),
            None => (current, VersionChoice::Current),
        },
    }
}

/// What a result is configured with (`[results]` and `[indicators.d766]` in the settings,
/// `level=` and `lang=` in the request).
#[derive(Debug, Clone)]
pub struct Options {
    /// Confidence level, e.g. 0.95.
    pub level: f64,
    pub thresholds: ReliabilityThresholds,
    /// Whether the Decision 766 value is reported (its counts always are).
    pub d766_enabled: bool,
    pub d766_rule: DissatisfiedRule,
    /// Language of labels (`vi`, `en`).
    pub lang: String,
}

/// One (agency, channel) stratum: its merged counts and its registered dossiers.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    pub counts: BucketCounts,
    pub invited: u64,
}

/// A stored row as counts hold it: its revision (`None`: not known, so nothing computed from
/// it is memoised) and its value.
#[derive(Debug, Clone)]
struct Row<T> {
    revision: Option<i64>,
    value: T,
}

/// An agency's cells over a range of months, by channel.
pub(crate) type AgencyCells = Vec<(String, Arc<Cell>)>;

/// An agency's rows by (month, channel).
type ByMonth<T> = BTreeMap<(String, String), Vec<Row<T>>>;

/// The rows of `map` with months in `first..=last`, in order.
fn in_months<'a, T>(
    map: Option<&'a ByMonth<T>>,
    first: &str,
    last: &'a str,
) -> impl Iterator<Item = (&'a (String, String), &'a Vec<Row<T>>)> + 'a {
    let start = (first.to_owned(), String::new());
    map.into_iter()
        .flat_map(move |m| m.range(start.clone()..))
        .take_while(move |((month, _), _)| month.as_str() <= last)
}

/// One agency's rows of one form version, as read from storage: built once, then shared by
/// the counts of every request over the same months while they are unchanged (the memo's
/// listings), so that a request touches one value per agency, not one per row.
#[derive(Debug, Clone, Default)]
pub struct AgencyRows {
    /// (month, channel) → its buckets as stored (`ScoreShape::add_stored`'s input), decoded
    /// only when a stratum adds them up, straight into its sums.
    buckets: ByMonth<Arc<str>>,
    /// (month, channel) → registered dossiers.
    dossiers: ByMonth<u64>,
    /// Per month, the revision sums of its buckets and of its dossier counts (`None` when a
    /// row's revision is not known), computed once ([`AgencyRows::sums_in`]).
    month_sums: OnceLock<Option<MonthSums>>,
}

type MonthSums = Vec<(String, RevisionSums, RevisionSums)>;

impl AgencyRows {
    /// Adds one bucket as stored (`month` is `YYYY-MM`), at its stored `revision` if known. A
    /// bucket that is not of the version makes the results that add it up fail.
    pub fn add_bucket(
        &mut self,
        (month, channel): (&str, &str),
        revision: Option<i64>,
        value: Arc<str>,
    ) {
        self.month_sums = OnceLock::new();
        (self.buckets.entry((month.to_owned(), channel.to_owned())))
            .or_default()
            .push(Row { revision, value });
    }

    /// Adds registered dossiers of one month and channel (at the stored row's `revision`, if
    /// known).
    pub fn add_dossiers(
        &mut self,
        (month, channel): (&str, &str),
        revision: Option<i64>,
        dossiers: u64,
    ) {
        self.month_sums = OnceLock::new();
        (self.dossiers.entry((month.to_owned(), channel.to_owned())))
            .or_default()
            .push(Row {
                revision,
                value: dossiers,
            });
    }

    /// The revision sums of its buckets and of its dossier counts in months `first..=last`
    /// (`None` if a row's revision is not known): what the database has in those months is
    /// what these rows are when its sums are the same.
    pub fn sums_in(&self, first: &str, last: &str) -> Option<(RevisionSums, RevisionSums)> {
        let months = self.month_sums.get_or_init(|| self.month_sums()).as_ref()?;
        let mut out = (RevisionSums::default(), RevisionSums::default());
        for (_, buckets, dossiers) in months
            .iter()
            .filter(|(m, _, _)| first <= m.as_str() && m.as_str() <= last)
        {
            out.0.merge(buckets);
            out.1.merge(dossiers);
        }
        Some(out)
    }

    fn month_sums(&self) -> Option<MonthSums> {
        let mut months: BTreeMap<&str, (RevisionSums, RevisionSums)> = BTreeMap::new();
        for ((month, _), rows) in &self.buckets {
            for row in rows {
                let sums = RevisionSums::of_row(row.revision?);
                months.entry(month).or_default().0.merge(&sums);
            }
        }
        for ((month, _), rows) in &self.dossiers {
            for row in rows {
                let sums = RevisionSums::of_row(row.revision?);
                months.entry(month).or_default().1.merge(&sums);
            }
        }
        Some(
            months
                .into_iter()
                .map(|(m, (b, d))| (m.to_owned(), b, d))
                .collect(),
        )
    }

    /// About how many bytes it holds, its texts included (which the memo's texts may share:
    /// counted in both, so that what a listing keeps alive stays within the budget).
    pub fn bytes(&self) -> usize {
        let texts: usize = (self.buckets.values().flatten())
            .map(|row| row.value.len() + 40)
            .sum();
        64 + texts + 96 * (self.buckets.len() + self.dossiers.len())
    }
}

/// The counts of one form version, by agency, month and channel, as read from storage.
#[derive(Debug, Clone)]
pub struct Counts {
    shape: Arc<ScoreShape>,
    agencies: HashMap<Uuid, Arc<AgencyRows>>,
    /// Where per-agency cells and estimates are kept between requests, and the form version
    /// they are of.
    memo: Option<(Arc<Memo>, String, u32)>,
}

impl Counts {
    /// No counts yet, for a form version of this shape.
    pub fn new(shape: Arc<ScoreShape>) -> Self {
        Self {
            shape,
            agencies: HashMap::new(),
            memo: None,
        }
    }

    /// Adds all of `agency`'s rows at once (replacing any added before).
    pub fn add_agency(&mut self, agency: Uuid, rows: Arc<AgencyRows>) {
        self.agencies.insert(agency, rows);
    }

    fn rows_mut(&mut self, agency: Uuid) -> &mut AgencyRows {
        Arc::make_mut(self.agencies.entry(agency).or_default())
    }

    fn buckets_of(&self, agency: &Uuid) -> Option<&ByMonth<Arc<str>>> {
        self.agencies.get(agency).map(|a| &a.buckets)
    }

    fn dossiers_of(&self, agency: &Uuid) -> Option<&ByMonth<u64>> {
        self.agencies.get(agency).map(|a| &a.dossiers)
    }

    /// Counts of form `key` version `version` whose per-agency cells and estimates are kept in
    /// `memo` (for rows added with their revisions).
    pub fn with_memo(shape: Arc<ScoreShape>, memo: Arc<Memo>, key: &str, version: u32) -> Self {
        Self {
            memo: Some((memo, key.to_owned(), version)),
            ..Self::new(shape)
        }
    }

    /// The layout of the version's buckets.
    pub fn shape(&self) -> &Arc<ScoreShape> {
        &self.shape
    }

    /// Adds one bucket as stored (`month` is `YYYY-MM`). A bucket that is not of the version
    /// makes the results that add it up fail with [`BucketError`].
    pub fn add_stored(&mut self, agency: Uuid, month: &str, channel: &str, text: String) {
        self.rows_mut(agency)
            .add_bucket((month, channel), None, Arc::from(text));
    }

    /// Adds registered dossiers of one agency, month and channel (at the stored row's
    /// `revision`, if known).
    pub fn add_dossiers(
        &mut self,
        agency: Uuid,
        (month, channel): (&str, &str),
        revision: Option<i64>,
        dossiers: u64,
    ) {
        self.rows_mut(agency)
            .add_dossiers((month, channel), revision, dossiers);
    }

    /// A hash of `agency`'s rows over months `first..=last` — which rows, at which revisions —
    /// and of what else they are read for (`what`): the key under which what is computed from
    /// them alone is memoised. `None` without a memo, or when a row's revision is not known.
    pub fn agency_fingerprint(
        &self,
        agency: Uuid,
        (first, last): (&str, &str),
        what: &impl Hash,
    ) -> Option<u64> {
        self.fingerprint(agency, (first, last), what, true)
    }

    /// As [`Counts::agency_fingerprint`], of the score buckets only: for what is computed from
    /// the responses alone (breakdown cells), which a newly registered dossier does not change.
    pub fn responses_fingerprint(
        &self,
        agency: Uuid,
        (first, last): (&str, &str),
        what: &impl Hash,
    ) -> Option<u64> {
        self.fingerprint(agency, (first, last), what, false)
    }

    fn fingerprint(
        &self,
        agency: Uuid,
        (first, last): (&str, &str),
        what: &impl Hash,
        with_dossiers: bool,
    ) -> Option<u64> {
        let (_, key, version) = self.memo.as_ref()?;
        let mut h = DefaultHasher::new();
        (key, version, agency, first, last, with_dossiers).hash(&mut h);
        what.hash(&mut h);
        fn rows<T: Hash>(
            map: Option<&ByMonth<T>>,
            first: &str,
            last: &str,
            h: &mut DefaultHasher,
        ) -> Option<()> {
            for ((month, channel), rows) in in_months(map, first, last) {
                (month, channel).hash(h);
                for row in rows {
                    row.revision?.hash(h);
                }
            }
            Some(())
        }
        rows(self.buckets_of(&agency), first, last, &mut h)?;
        if with_dossiers {
            0xd0_u8.hash(&mut h);
            rows(self.dossiers_of(&agency), first, last, &mut h)?;
        }
        Some(h.finish())
    }

    /// The months in `first..=last` in which `agency` has score buckets (stored responses).
    pub fn months_with_responses(&self, agency: Uuid, first: &str, last: &str) -> Vec<String> {
        let mut months: Vec<String> = in_months(self.buckets_of(&agency), first, last)
            .map(|((month, _), _)| month.clone())
            .collect();
        months.dedup();
        months
    }

    /// The cells of `agency` over months `first..=last` by channel, merged.
    fn merge_cells(
        &self,
        agency: Uuid,
        first: &str,
        last: &str,
    ) -> Result<AgencyCells, BucketError> {
        let mut cells: BTreeMap<&str, Cell> = BTreeMap::new();
        let empty = || Cell {
            counts: self.shape.empty(),
            invited: 0,
        };
        for ((_, channel), rows) in in_months(self.buckets_of(&agency), first, last) {
            let cell = cells.entry(channel).or_insert_with(empty);
            for row in rows {
                self.shape.add_stored(&row.value, &mut cell.counts)?;
            }
        }
        for ((_, channel), rows) in in_months(self.dossiers_of(&agency), first, last) {
            cells.entry(channel).or_insert_with(empty).invited +=
                rows.iter().map(|r| r.value).sum::<u64>();
        }
        Ok(cells
            .into_iter()
            .map(|(c, cell)| (c.to_owned(), Arc::new(cell)))
            .collect())
    }

    /// [`Counts::merge_cells`], kept in the memo when `keep`, found there if kept.
    fn cells(
        &self,
        agency: Uuid,
        first: &str,
        last: &str,
        keep: bool,
    ) -> Result<Arc<AgencyCells>, BucketError> {
        let memo = self.memo.as_ref().map(|(m, _, _)| m);
        let kept = memo.zip(self.agency_fingerprint(agency, (first, last), &"cells"));
        if let Some(found) = kept.and_then(|(m, k)| m.cells(k)) {
            return Ok(found);
        }
        let cells = Arc::new(self.merge_cells(agency, first, last)?);
        if let Some((memo, key)) = kept.filter(|_| keep) {
            memo.keep_cells(key, cells.clone());
        }
        Ok(cells)
    }

    /// The (agency, channel) strata of `agencies` over months `first..=last` (`YYYY-MM`).
    pub(crate) fn strata(
        &self,
        agencies: &HashSet<Uuid>,
        first: &str,
        last: &str,
    ) -> Result<Strata, BucketError> {
        let mut cells: BTreeMap<(Uuid, String), Arc<Cell>> = BTreeMap::new();
        let ids: Vec<Uuid> = agencies.iter().copied().collect();
        let each = on_all_cores(&ids, |a| self.cells(*a, first, last, true));
        for (a, agency_cells) in ids.iter().zip(each) {
            for (channel, cell) in agency_cells?.iter() {
                cells.insert((*a, channel.clone()), cell.clone());
            }
        }
        Ok(Strata {
            shape: self.shape.clone(),
            cells,
        })
    }

    /// The estimate of `agency` alone over months `first..=last` under `design`: kept in the
    /// memo, and found there while the agency's rows are unchanged.
    pub(crate) fn agency_estimate(
        &self,
        agency: Uuid,
        (first, last): (&str, &str),
        design: Design,
        options: &EstimateOptions,
    ) -> Result<Arc<Estimate>, EstimateError> {
        let what = ("estimate", std::mem::discriminant(&design), &options.key);
        let key = self.agency_fingerprint(agency, (first, last), &what);
        let memo = self.memo.as_ref().map(|(m, _, _)| m);
        if let Some(found) = memo.zip(key).and_then(|(m, k)| m.estimate(k)) {
            return Ok(found);
        }
        let cells = self.cells(agency, first, last, false)?;
        let strata = Strata {
            shape: self.shape.clone(),
            cells: cells
                .iter()
                .map(|(channel, cell)| ((agency, channel.clone()), cell.clone()))
                .collect(),
        };
        let estimate = Arc::new(estimate::estimate(&strata, design, &options.domain)?);
        if let Some((memo, key)) = memo.zip(key) {
            memo.keep_estimate(key, estimate.clone());
        }
        Ok(estimate)
    }
}

/// `f` of each item, in order, computed on as many threads as the machine has cores (a cold
/// page of a province estimates a hundred agencies); on this thread for a few items.
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

/// The options of an estimate, and their text, which memo keys include.
#[derive(Debug, Clone)]
pub(crate) struct EstimateOptions {
    pub domain: DomainOptions,
    key: String,
}

impl EstimateOptions {
    pub fn new(domain: DomainOptions) -> Self {
        Self {
            key: format!("{domain:?}"),
            domain,
        }
    }
}

/// Merged counts per (agency, channel): the input of one estimate.
#[derive(Debug, Clone)]
pub(crate) struct Strata {
    pub shape: Arc<ScoreShape>,
    pub cells: BTreeMap<(Uuid, String), Arc<Cell>>,
}

impl Strata {
    /// The agencies with at least one valid response.
    pub fn agencies_with_data(&self) -> Vec<Uuid> {
        let mut out: Vec<Uuid> = self
            .cells
            .iter()
            .filter(|(_, c)| c.counts.valid > 0)
            .map(|((a, _), _)| *a)
            .collect();
        out.dedup();
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
