//! The results a request asks for, from [`super::Counts`]: one agency or a subtree (with an optional
//! breakdown), a ranking of child agencies, a PAR export row, a trend. Each reads the counts of
//! the months of its period only, estimates under the design `docs/statistics.md` §9 prescribes,
//! applies suppression (with complements) and builds the views.
//!
//! Here: who the figures are of ([`Subject`]) and what every view shares (the `method` member);
//! the headline figures of a subject in `headline`; one result in `agency`, a ranking in
//! `ranking`, PAR scores in `par`, a trend in `trend`.

mod agency;
mod cells;
mod headline;
mod par;
mod ranking;
mod trend;

use std::collections::{BTreeMap, HashSet};

use uuid::Uuid;

use super::estimate::NodeFigure;
use super::nest::Nest;
use super::view::{FormRef, MethodView, ThresholdsView, pct};
use super::{Aggregate, Design, Dimension, Options, VersionChoice};
use crate::domain::aggregates::{BucketCounts, BucketError, ScoreShape};
use crate::domain::forms::FormDefinition;
use crate::domain::periods::Period;
use crate::stats::{DomainOptions, Reliability};

pub use agency::agency_result;
pub use par::par_rows;
pub use ranking::{RankingInput, ranking};
pub use trend::{TrendRequest, steps, trend};

/// An agency as results name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyRef {
    pub id: Uuid,
    pub code: String,
    /// The Vietnamese name.
    pub name: String,
    pub name_en: Option<String>,
    pub kind: String,
}

impl AgencyRef {
    /// The name in `lang` (`en` when there is an English name), else the Vietnamese one.
    pub fn name_in(&self, lang: &str) -> String {
        match (&self.name_en, lang) {
            (Some(en), "en") => en.clone(),
            _ => self.name.clone(),
        }
    }
}

/// Whose figures.
#[derive(Debug, Clone)]
pub enum Subject {
    /// The agency's own dossiers.
    Agency(AgencyRef),
    /// The agency and every agency below it (`members` includes the root's id), with the
    /// members of each subtree inside it (`nested`: whose published figures it is checked
    /// against, `nest`).
    Subtree {
        root: AgencyRef,
        members: Vec<Uuid>,
        nested: Vec<Vec<Uuid>>,
    },
}

impl Subject {
    fn root(&self) -> &AgencyRef {
        match self {
            Subject::Agency(a) | Subject::Subtree { root: a, .. } => a,
        }
    }

    fn members(&self) -> HashSet<Uuid> {
        match self {
            Subject::Agency(a) => HashSet::from([a.id]),
            Subject::Subtree { members, .. } => members.iter().copied().collect(),
        }
    }

    /// The nest of the subtrees inside this subject over `agencies` (the order of the figures
    /// it is checked with).
    fn nest(&self, agencies: &[Uuid]) -> Nest {
        match self {
            Subject::Agency(_) => Nest::default(),
            Subject::Subtree { nested, .. } => Nest::of(agencies, nested),
        }
    }
}

/// A breakdown of a result.
#[derive(Debug, Clone)]
pub enum Breakdown {
    /// By channel, from the buckets.
    Channel,
    /// By mode or procedure field, from cells built by scanning responses
    /// (`scanned::MonthCells`).
    Scanned {
        by: Dimension,
        cells: Vec<BreakdownCellInput>,
        /// Each agency's own cells (a subtree's cells are checked against its members').
        members: Vec<(Uuid, Vec<BreakdownCellInput>)>,
    },
}

/// One scanned breakdown cell: its key and its counts.
#[derive(Debug, Clone)]
pub struct BreakdownCellInput {
    pub key: Option<String>,
    pub counts: BucketCounts,
}

impl BreakdownCellInput {
    /// The cells of several parts (e.g. agencies) added up by key.
    ///
    /// # Errors
    /// Cells of different shapes.
    pub fn merged<'a>(
        shape: &ScoreShape,
        parts: impl IntoIterator<Item = &'a [BreakdownCellInput]>,
    ) -> Result<Vec<BreakdownCellInput>, BucketError> {
        let mut cells: BTreeMap<Option<String>, BucketCounts> = BTreeMap::new();
        for cell in parts.into_iter().flatten() {
            cells
                .entry(cell.key.clone())
                .or_insert_with(|| shape.empty())
                .merge(&cell.counts)?;
        }
        Ok(cells
            .into_iter()
            .map(|(key, counts)| BreakdownCellInput { key, counts })
            .collect())
    }
}

/// `GET /api/v1/results`.
#[derive(Debug, Clone)]
pub struct ResultRequest<'a> {
    pub subject: Subject,
    pub form: &'a FormDefinition,
    pub version_choice: VersionChoice,
    pub period: &'a Period,
    /// The design of an agency's figures (`design=`; default [`Design::SrsFpc`]).
    pub design: Design,
    /// For a subtree (default [`Aggregate::Mean`]).
    pub aggregate: Aggregate,
    pub breakdown: Option<Breakdown>,
    pub options: &'a Options,
}

/// The estimation options of a request's statistics.
fn domain_options(options: &Options) -> DomainOptions {
    DomainOptions {
        confidence: options.level,
        reliability: options.thresholds,
        ..DomainOptions::default()
    }
}

/// The design and aggregate of a subject's headline figures.
fn design_of(
    subject: &Subject,
    design: Design,
    aggregate: Aggregate,
) -> (Design, Option<Aggregate>) {
    match (subject, aggregate) {
        (Subject::Agency(_), _) => (design, None),
        (Subject::Subtree { .. }, Aggregate::Pooled) => (Design::Pooled, Some(Aggregate::Pooled)),
        (Subject::Subtree { .. }, Aggregate::Mean) => (design, Some(Aggregate::Mean)),
    }
}

/// The `method` member. `fpc` says whether the correction was applied; `df` is `None` where
/// every agency or step has its own.
fn method(
    (design, aggregate): (Design, Option<Aggregate>),
    (version, version_choice): (u32, VersionChoice),
    fpc: bool,
    df: Option<f64>,
    options: &Options,
    cell_design: Option<Design>,
) -> MethodView {
    let simple =
        matches!(design, Design::Srs | Design::CellSrs) && aggregate != Some(Aggregate::Mean);
    MethodView {
        design,
        scenario: match aggregate {
            Some(Aggregate::Mean) => "mean_of_agency_indices",
            _ => design.scenario(),
        },
        aggregate,
        strata: design.strata(),
        weighting: if design.weighted() {
            "expansion"
        } else {
            "unweighted"
        },
        fpc,
        population: "completed dossiers registered for the agency in the period",
        level: options.level,
        // Sums and differences of counts: whole numbers.
        df: df.map(|d| d.round() as u64),
        item_interval: if simple {
            "wilson"
        } else {
            "wilson_effective_n"
        },
        composite_interval: "linearised_t",
        estimand: "item: share of answerers in the satisfied levels; node: unweighted mean of its children with data",
        thresholds: ThresholdsView {
            suppress_below: options.thresholds.suppress_below,
            low_reliability_below: options.thresholds.low_reliability_below,
            max_ci_width: pct(options.thresholds.max_ci_width),
        },
        complementary_suppression: true,
        version,
        version_choice,
        pooled_design: (aggregate == Some(Aggregate::Mean)).then_some(Design::Pooled),
        cell_design,
        collapsed_strata: 0,
    }
}

/// The `method` member of a view over several agencies or steps (a ranking, a trend): the
/// correction wherever the design applies it, and no single `df`.
fn many_method(
    (design, aggregate): (Design, Option<Aggregate>),
    version: (u32, VersionChoice),
    options: &Options,
) -> MethodView {
    let fpc = design.uses_fpc();
    method((design, aggregate), version, fpc, None, options, None)
}

/// The `form` member of a view.
pub fn form_ref(form: &FormDefinition, choice: VersionChoice) -> FormRef {
    FormRef {
        key: form.key().to_owned(),
        version: form.version(),
        edition: form.edition().to_owned(),
        version_choice: choice,
    }
}

/// The root figure, unless it is suppressed.
fn shown(root: Option<&NodeFigure>) -> Option<&NodeFigure> {
    root.filter(|r| r.status != Reliability::Suppressed)
}
