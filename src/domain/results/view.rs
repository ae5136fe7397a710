//! What results look like to clients (api.md "Results"): the serialisable views, and the
//! conversion of [`Figures`] into them — fractions become percentages (0–100, full precision),
//! labels come from the form in the requested language, and a suppressed number loses its
//! value, interval, standard error and answer counts (its basis `n` stays, so the reader sees
//! why).

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::estimate::{Figures, ItemFigure, NodeFigure};
use super::{Aggregate, Design, Dimension, VersionChoice};
use crate::domain::aggregates::{DissatisfiedRule, ScoreShape};
use crate::domain::forms::FormDefinition;
use crate::domain::par::{NoPointsReason, ScaleSource};
use crate::domain::scoring::ScoredNode;
use crate::stats::{Interval, Reliability};

/// Fraction → percentage.
pub(crate) fn pct(x: f64) -> f64 {
    x * 100.0
}

/// Whether a number may be published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NumberStatus {
    /// Published.
    Ok,
    /// Published with a flag: basis below `results.low_reliability_below` or an interval at
    /// least `results.max_ci_width` wide; left out of rankings.
    LowReliability,
    /// Not published: no value, interval or counts (see `suppression`).
    Suppressed,
}

impl From<Reliability> for NumberStatus {
    fn from(r: Reliability) -> Self {
        match r {
            Reliability::Ok => NumberStatus::Ok,
            Reliability::LowReliability => NumberStatus::LowReliability,
            Reliability::Suppressed => NumberStatus::Suppressed,
        }
    }
}

/// Why a number is suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Suppression {
    /// Its basis is below `results.suppress_below`.
    SmallN,
    /// Published, it would give back another suppressed number (the parent's value with its
    /// other parts, or the total with the other cells).
    Complementary,
}

fn suppression(status: Reliability, complementary: bool) -> Option<Suppression> {
    match (status, complementary) {
        (Reliability::Suppressed, true) => Some(Suppression::Complementary),
        (Reliability::Suppressed, false) => Some(Suppression::SmallN),
        _ => None,
    }
}

/// A confidence interval in percent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct IntervalView {
    pub low: f64,
    pub high: f64,
    /// The confidence level, e.g. 0.95.
    pub level: f64,
}

impl IntervalView {
    pub(crate) fn of(ci: Interval, level: f64, scale: f64) -> Self {
        Self {
            low: ci.lower * scale,
            high: ci.upper * scale,
            level,
        }
    }
}

/// A second figure (the pooled estimate beside a mean of agencies).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FigureView {
    pub value: Option<f64>,
    pub ci: Option<IntervalView>,
    pub se: Option<f64>,
    pub n: u64,
    pub status: NumberStatus,
}

/// A node of the index tree (the root is the SIPAS index).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NodeView {
    /// The node id of the form's index tree.
    pub id: String,
    pub label: String,
    /// Percent; null without data or when suppressed.
    pub value: Option<f64>,
    pub ci: Option<IntervalView>,
    /// Linearised standard error, in percentage points.
    pub se: Option<f64>,
    /// Margin of error `t·SE` before clipping, in percentage points.
    pub moe: Option<f64>,
    /// Basis: valid respondents with at least one answer below the node (all valid respondents
    /// for the root; summed over the agencies in a mean).
    pub n: u64,
    /// False when a node below has no data, so the mean is over fewer children.
    pub complete: bool,
    pub status: NumberStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppression: Option<Suppression>,
    /// The items listed directly under the node.
    pub items: Vec<String>,
    /// In a mean of agencies: how many agencies entered this node's mean.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agencies: Option<usize>,
    /// In a mean of agencies: the pooled estimate (second figure).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pooled: Option<FigureView>,
    #[schema(no_recursion)]
    pub children: Vec<NodeView>,
}

/// One satisfaction item.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ItemView {
    pub question_id: String,
    pub label: String,
    /// Percent of answerers in the scale's satisfied levels.
    pub share: Option<f64>,
    pub ci: Option<IntervalView>,
    pub se: Option<f64>,
    /// Answerers (summed over the agencies in a mean).
    pub n: u64,
    /// Answers per level (`"1"` … `"5"`); null when suppressed.
    pub counts: Option<BTreeMap<String, u64>>,
    /// Mean level of the answers; null when suppressed.
    pub mean: Option<f64>,
    pub status: NumberStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppression: Option<Suppression>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agencies: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pooled: Option<FigureView>,
}

/// The form a result was computed with.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FormRef {
    pub key: String,
    pub version: u32,
    pub edition: String,
    /// Why this version (`requested`, `latest_with_data`, `current`).
    pub version_choice: VersionChoice,
}

/// The achieved margin of error (methodology §5.4), in percentage points, with the finite
/// population correction of N = invited.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MarginView {
    /// At p = 0.5, the worst case.
    pub worst_case: Option<f64>,
    /// At p = the index value.
    pub at_index: Option<f64>,
    pub level: f64,
}

/// PAR points (methodology §4): `max_points × index`, rounded half-up to 2 decimals in decimal
/// as the PAR appraisal rounds them (`points`), and unrounded (`points_exact`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ParView {
    pub edition: String,
    /// The scale: `par.scales` for the edition and the agency's kind, else the form file's;
    /// null when neither gives one.
    pub max_points: Option<f64>,
    /// Where `max_points` comes from.
    pub scale_source: Option<ScaleSource>,
    /// Rounded to 2 decimals; null for a form that is not PAR-eligible, without a scale, or
    /// with a suppressed or missing index (`points_reason` says which).
    pub points: Option<f64>,
    /// `index × max_points` at full precision.
    pub points_exact: Option<f64>,
    pub points_reason: Option<NoPointsReason>,
    /// The interval of `points_exact`, in points.
    pub ci: Option<IntervalView>,
    /// Whether the form is PAR-eligible.
    pub eligible: bool,
}

/// The Decision 766/QĐ-TTg per-dossier ratio (methodology §3.9), a second figure beside SIPAS.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct D766View {
    /// Dossiers registered in the period.
    #[serde(rename = "D")]
    pub d: u64,
    /// Those with a valid response.
    #[serde(rename = "D_rated")]
    pub d_rated: u64,
    /// Those whose response counts as dissatisfied under `rule`; null when an agency of the
    /// result has fewer valid responses than `results.suppress_below` (a count of answers of a
    /// small group, or one recoverable by subtraction, is never published).
    #[serde(rename = "D_dis")]
    pub d_dis: Option<u64>,
    /// `100 × (D − D_dis) / D`; null when D = 0, `D_dis` is null or `indicators.d766.enabled`
    /// is off.
    pub value: Option<f64>,
    /// `mean_below_neutral`, `majority_low` or `any_low` (`indicators.d766.dissatisfied_rule`).
    #[schema(value_type = String)]
    pub rule: DissatisfiedRule,
    pub enabled: bool,
}

/// Suppression thresholds as applied.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ThresholdsView {
    pub suppress_below: u64,
    pub low_reliability_below: u64,
    /// In percentage points, like every value.
    pub max_ci_width: f64,
}

/// How a result was computed (`docs/statistics.md` §9).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MethodView {
    /// The design of the headline figures (for a mean of agencies: of each agency's figures).
    pub design: Design,
    /// The vectors scenario this design reproduces.
    pub scenario: &'static str,
    /// For a subtree: `mean` or `pooled`.
    pub aggregate: Option<Aggregate>,
    /// `none`, `channel` or `agency_channel`.
    pub strata: &'static str,
    /// `unweighted` or `expansion` (`w = N_h / n_h`).
    pub weighting: &'static str,
    /// Whether a finite population correction was applied (N = dossiers registered).
    pub fpc: bool,
    pub population: &'static str,
    pub level: f64,
    /// Degrees of freedom of the index (`n − H`; summed over the agencies of a mean); null
    /// where every agency or step has its own.
    pub df: Option<u64>,
    /// Item intervals: `wilson` on the counts, or `wilson_effective_n` where weights, the fpc
    /// or a mean of agencies apply.
    pub item_interval: &'static str,
    /// Node intervals.
    pub composite_interval: &'static str,
    /// Item value: share of answerers in the satisfied levels; node value: unweighted mean of
    /// its children with data.
    pub estimand: &'static str,
    pub thresholds: ThresholdsView,
    /// Numbers that would give back a suppressed one are suppressed too.
    pub complementary_suppression: bool,
    /// The form version every figure comes from (never a mix), and why it was chosen.
    pub version: u32,
    pub version_choice: VersionChoice,
    /// For a mean of agencies: the design of the pooled second figure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pooled_design: Option<Design>,
    /// For a breakdown: the design of its cells.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell_design: Option<Design>,
    /// Strata with a single respondent merged into a neighbouring stratum for the variance
    /// (`docs/statistics.md` §4.3); 0 for designs without strata.
    pub collapsed_strata: usize,
}

/// One cell of a breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CellView {
    /// The channel, mode or procedure field; null for responses without a procedure field.
    pub key: Option<String>,
    /// Registered dossiers (channel cells only: dossiers have no mode).
    pub invited: Option<u64>,
    pub responses: u64,
    pub invalid_returns: u64,
    pub suppressed: bool,
    pub index: NodeView,
    pub items: Vec<ItemView>,
}

/// `by=…`: cells with their own n and suppression, design `cell_srs`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BreakdownView {
    pub by: Dimension,
    pub cells: Vec<CellView>,
}

/// `GET /api/v1/results`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ResultView {
    /// The agency's code.
    pub agency: String,
    pub agency_name: String,
    /// Whether the agencies below it are included.
    pub subtree: bool,
    pub form: FormRef,
    /// The period's canonical label (`2026`, `2026-Q1`, `2026-H2`, `2026-03`, `2026-02/2026-05`).
    pub period: String,
    /// Completed dossiers registered (every one is invited).
    pub invited: u64,
    /// Valid responses.
    pub responses: u64,
    pub invalid_returns: u64,
    /// `responses / invited` in percent; null when nothing was invited.
    pub response_rate: Option<f64>,
    pub margin_of_error: MarginView,
    pub index: NodeView,
    pub items: Vec<ItemView>,
    /// The perception and needs indicators (methodology §3.3), pooled over the result's
    /// agencies.
    pub indicators: Vec<super::IndicatorView>,
    pub par: ParView,
    /// Whether the index is suppressed.
    pub suppressed: bool,
    pub d766: D766View,
    /// In a subtree: agencies with valid responses, and those that entered the index's mean.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agencies_with_data: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agencies_in_mean: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<BreakdownView>,
    pub method: MethodView,
    /// The last closed month: the values cover the period's months up to it, never a month
    /// still open (docs/privacy.md, "Publication by closed month"); null before the first.
    pub published_through: Option<String>,
    /// Questionnaires received for months of the period not yet closed: counted, in no value.
    pub pending: u64,
    /// The live counts of the period's months not yet closed; absent when every one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_months: Option<OpenMonthsView>,
}

/// What is known of the months of a period not yet closed: counts only, live (no value derived
/// from their answers is shown before they close).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OpenMonthsView {
    /// First and last open month of the period, `YYYY-MM`.
    pub from: String,
    pub to: String,
    /// Dossiers registered (every one is invited).
    pub invited: u64,
    /// Questionnaires received so far (valid or not).
    pub received: u64,
    /// `received / invited` in percent; null when nothing was invited.
    pub response_rate: Option<f64>,
}

/// A ranked agency.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RankedView {
    pub rank: usize,
    /// The rank interval (joint coverage ≥ the level; Klein, Wright & Wieczorek 2020).
    pub rank_low: usize,
    pub rank_high: usize,
    pub agency_code: String,
    pub agency_name: String,
    pub value: f64,
    pub ci: Option<IntervalView>,
    pub se: f64,
    pub n: u64,
    pub status: NumberStatus,
}

/// A child agency left out of the ranking (low reliability, suppressed, or no data).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NotRankedView {
    pub agency_code: String,
    pub agency_name: String,
    /// Null when suppressed or without data.
    pub value: Option<f64>,
    pub ci: Option<IntervalView>,
    pub n: u64,
    pub status: NumberStatus,
}

/// `GET /api/v1/rankings`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RankingView {
    pub parent: String,
    pub form: FormRef,
    pub period: String,
    /// Agencies with status `ok`, best first.
    pub ranked: Vec<RankedView>,
    /// The others, by code.
    pub not_ranked: Vec<NotRankedView>,
    /// `z_{1−α/(K(K−1))}` of the Bonferroni pairwise intervals.
    pub z_joint: Option<f64>,
    pub method: MethodView,
    /// The last closed month: only months up to it are in the figures (docs/privacy.md).
    pub published_through: Option<String>,
}

/// One agency in `GET /api/v1/par/scores`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ParScoreView {
    pub agency_code: String,
    pub agency_kind: String,
    pub form_key: String,
    pub form_version: u32,
    /// SIPAS in percent, full precision; null when suppressed or without data.
    pub sipas: Option<f64>,
    pub ci: Option<IntervalView>,
    /// Rounded half-up to 2 decimals in decimal; null with `points_reason`.
    pub points: Option<f64>,
    /// `sipas / 100 × max_points` at full precision.
    pub points_exact: Option<f64>,
    pub points_reason: Option<NoPointsReason>,
    /// This row's scale (`par.scales` for the edition and the agency's kind, else the form's).
    pub max_points: Option<f64>,
    pub scale_source: Option<ScaleSource>,
    /// Valid responses.
    pub n: u64,
    pub invited: u64,
    #[serde(rename = "D")]
    pub d: u64,
    #[serde(rename = "D_rated")]
    pub d_rated: u64,
    /// Null as in a result's `d766.D_dis`.
    #[serde(rename = "D_dis")]
    pub d_dis: Option<u64>,
    pub status: NumberStatus,
}

/// `GET /api/v1/par/scores`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ParScoresView {
    /// The PAR edition of the form (e.g. `par-province`).
    pub edition: String,
    pub period: String,
    pub form: FormRef,
    /// Each agency's own dossiers, or its subtree's mean with `subtree=true`.
    pub subtree: bool,
    /// The confidence level of every `ci`.
    pub level: f64,
    pub scores: Vec<ParScoreView>,
    /// The last closed month: only months up to it are in the figures (docs/privacy.md).
    pub published_through: Option<String>,
}

/// One top-level node in a trend step.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TrendNodeView {
    pub id: String,
    pub label: String,
    pub value: Option<f64>,
    pub ci: Option<IntervalView>,
    pub se: Option<f64>,
    pub n: u64,
    pub status: NumberStatus,
    /// The change from the previous step, in percentage points; null when either is missing.
    pub change: Option<ChangeView>,
}

/// A change between two independent periods: `V = V_t + V_{t−1}`, normal interval.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ChangeView {
    pub value: f64,
    pub se: f64,
    pub ci: IntervalView,
    /// Two-sided p-value of "no change".
    pub p_value: f64,
}

/// One step of a trend.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TrendStepView {
    pub period: String,
    pub invited: u64,
    pub responses: u64,
    /// The SIPAS index (the root).
    pub index: TrendNodeView,
    /// The root's children.
    pub nodes: Vec<TrendNodeView>,
    /// The perception and needs indicators of the step (methodology §3.3), without labels.
    pub indicators: Vec<super::IndicatorView>,
}

/// `GET /api/v1/results/trend`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TrendView {
    pub agency: String,
    pub subtree: bool,
    pub form: FormRef,
    /// The whole range.
    pub period: String,
    /// `month`, `quarter` or `year`.
    pub step: String,
    pub steps: Vec<TrendStepView>,
    pub method: MethodView,
    /// For an agency formed by a merge (issue 21): which steps combine its predecessors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_history: Option<crate::domain::agency_history::MergedHistoryView>,
    /// The last closed month: only months up to it are in the figures (docs/privacy.md).
    pub published_through: Option<String>,
}

/// Labels and levels for building views.
pub(crate) struct Labels<'a> {
    pub form: &'a FormDefinition,
    pub shape: &'a ScoreShape,
    pub lang: &'a str,
    pub level: f64,
}

impl Labels<'_> {
    fn node_label(&self, id: &str) -> String {
        self.form
            .index()
            .find(id)
            .map(|n| n.label().localized(self.lang).to_owned())
            .unwrap_or_default()
    }

    fn item_label(&self, id: &str) -> String {
        self.form
            .question(id)
            .map(|q| q.text().localized(self.lang).to_owned())
            .unwrap_or_default()
    }

    fn interval(&self, ci: Option<Interval>) -> Option<IntervalView> {
        ci.map(|c| IntervalView::of(c, self.level, 100.0))
    }

    /// A second figure from a node's figures.
    fn node_figure(&self, f: &NodeFigure) -> FigureView {
        let shown = f.status != Reliability::Suppressed;
        FigureView {
            value: f.value.filter(|_| shown).map(pct),
            ci: self.interval(f.ci.filter(|_| shown)),
            se: f.se.filter(|_| shown).map(pct),
            n: f.n,
            status: f.status.into(),
        }
    }

    fn item_figure(&self, f: &ItemFigure) -> FigureView {
        let shown = f.status != Reliability::Suppressed;
        FigureView {
            value: f.share.filter(|_| shown).map(pct),
            ci: self.interval(f.ci.filter(|_| shown)),
            se: f.se.filter(|_| shown).map(pct),
            n: f.n,
            status: f.status.into(),
        }
    }

    /// The node tree of `fig` (and of `pooled`, as second figures).
    pub fn nodes(&self, fig: &Figures, pooled: Option<&Figures>) -> NodeView {
        let mut index = 0;
        self.node(&self.shape.tree.root, fig, pooled, &mut index)
    }

    fn node(
        &self,
        node: &ScoredNode,
        fig: &Figures,
        pooled: Option<&Figures>,
        index: &mut usize,
    ) -> NodeView {
        let i = *index;
        *index += 1;
        let f = fig.nodes.get(i).cloned().unwrap_or(NodeFigure {
            value: None,
            se: None,
            se_cmp: None,
            moe: None,
            ci: None,
            n: 0,
            df: 0.0,
            complete: false,
            status: Reliability::Suppressed,
            complementary: false,
            agencies: None,
        });
        let shown = f.status != Reliability::Suppressed;
        let children = node
            .children
            .iter()
            .map(|c| self.node(c, fig, pooled, index))
            .collect();
        NodeView {
            id: node.id.clone(),
            label: self.node_label(&node.id),
            value: f.value.filter(|_| shown).map(pct),
            ci: self.interval(f.ci.filter(|_| shown)),
            se: f.se.filter(|_| shown).map(pct),
            moe: f.moe.filter(|_| shown).map(pct),
            n: f.n,
            complete: f.complete,
            status: f.status.into(),
            suppression: suppression(f.status, f.complementary),
            items: node
                .items
                .iter()
                .filter_map(|&j| self.shape.tree.items.get(j).cloned())
                .collect(),
            agencies: f.agencies,
            pooled: pooled
                .and_then(|p| p.nodes.get(i))
                .map(|p| self.node_figure(p)),
            children,
        }
    }

    /// The items of `fig` (and of `pooled`, as second figures).
    pub fn items(&self, fig: &Figures, pooled: Option<&Figures>) -> Vec<ItemView> {
        fig.items
            .iter()
            .enumerate()
            .map(|(j, f)| {
                let id = self.shape.tree.items.get(j).cloned().unwrap_or_default();
                let shown = f.status != Reliability::Suppressed;
                let levels = self.shape.levels_of(j);
                let answered: u64 = f.levels.iter().sum();
                let mean = (answered > 0).then(|| {
                    levels
                        .iter()
                        .zip(&f.levels)
                        .map(|(&l, &c)| l as f64 * c as f64)
                        .sum::<f64>()
                        / answered as f64
                });
                let counts = levels
                    .iter()
                    .zip(&f.levels)
                    .map(|(l, c)| (l.to_string(), *c))
                    .collect();
                ItemView {
                    label: self.item_label(&id),
                    question_id: id,
                    share: f.share.filter(|_| shown).map(pct),
                    ci: self.interval(f.ci.filter(|_| shown)),
                    se: f.se.filter(|_| shown).map(pct),
                    n: f.n,
                    counts: shown.then_some(counts),
                    mean: mean.filter(|_| shown),
                    status: f.status.into(),
                    suppression: suppression(f.status, f.complementary),
                    agencies: f.agencies,
                    pooled: pooled
                        .and_then(|p| p.items.get(j))
                        .map(|p| self.item_figure(p)),
                }
            })
            .collect()
    }
}
