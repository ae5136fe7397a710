//! Results: the official SIPAS figures of an agency, a subtree, a breakdown cell, a ranking, a
//! PAR export or a trend, computed from the stored counts (the roll-ups of answers and of
//! registered dossiers by month, quarter, half and year, `domain::aggregates`, `domain::spans`)
//! — never from the responses themselves, except for breakdowns by mode or procedure field,
//! which the roll-ups do not keep (their cells are built here from scanned answers with the very
//! same `ScoreShape::contribution`).
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
mod counts;
mod estimate;
mod indicators;
mod nest;
mod report;
mod scanned;
mod suppression;
mod view;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use uuid::Uuid;

use super::aggregates::{BucketCounts, DissatisfiedRule, ScoreShape};
use crate::stats::ReliabilityThresholds;
pub(crate) use counts::on_all_cores;

pub use counts::Counts;
pub use estimate::EstimateError;
pub use indicators::{IndicatorView, OptionView, PositiveView, ShareView};
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

    /// Whether the design keeps channels apart (else every cell of an agency merges into one
    /// stratum, and may be merged before it is estimated).
    fn by_channel(self) -> bool {
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
    /// The PAR points scales (`par.scales`), per edition and agency kind.
    pub par_scales: crate::domain::par::ParScales,
    /// Language of labels (`vi`, `en`).
    pub lang: String,
}

/// One (agency, channel) stratum: its merged counts and its registered dossiers.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    pub counts: BucketCounts,
    pub invited: u64,
}

/// Merged counts per (agency, channel): the input of one estimate.
#[derive(Debug, Clone)]
pub(crate) struct Strata {
    pub shape: Arc<ScoreShape>,
    pub cells: BTreeMap<(Uuid, String), Arc<Cell>>,
}

impl Strata {
    /// Every agency with a cell, in order.
    pub fn agencies(&self) -> Vec<Uuid> {
        let mut out: Vec<Uuid> = self.cells.keys().map(|(a, _)| *a).collect();
        out.dedup();
        out
    }

    /// The strata of one agency.
    pub fn of_agency(&self, agency: Uuid) -> Strata {
        let from = (agency, String::new());
        Strata {
            shape: self.shape.clone(),
            cells: (self.cells.range(from..))
                .take_while(|((a, _), _)| *a == agency)
                .map(|(k, c)| (k.clone(), c.clone()))
                .collect(),
        }
    }

    /// The fewest valid responses of an agency that has any (0 when none has): the group a
    /// count such as the Decision 766 `D_dis` would describe.
    pub fn smallest_group(&self) -> u64 {
        let mut per_agency: BTreeMap<Uuid, u64> = BTreeMap::new();
        for ((agency, _), cell) in &self.cells {
            *per_agency.entry(*agency).or_default() += cell.counts.valid;
        }
        per_agency
            .into_values()
            .filter(|&n| n > 0)
            .min()
            .unwrap_or(0)
    }

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
