//! The results a request asks for, from [`Counts`]: one agency or a subtree (with an optional
//! breakdown), a ranking of child agencies, a PAR export row, a trend. Each reads the counts of
//! the months of its period only, estimates under the design `docs/statistics.md` §9 prescribes,
//! applies suppression (with complements) and builds the views.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use uuid::Uuid;

use super::estimate::{Estimate, EstimateError, Figures, NodeFigure, Totals, estimate, mean_of};
use super::suppression::{Layout, across, within};
use super::view::{
    BreakdownView, CellView, ChangeView, D766View, FormRef, IntervalView, Labels, MarginView,
    MethodView, NotRankedView, ParScoreView, ParView, RankedView, RankingView, ResultView,
    ThresholdsView, TrendNodeView, TrendStepView, TrendView, pct,
};
use super::{
    Aggregate, Cell, Counts, Design, Dimension, EstimateOptions, Options, Strata, VersionChoice,
    on_all_cores,
};
use crate::domain::aggregates::{BucketCounts, BucketError, ScoreShape};
use crate::domain::forms::FormDefinition;
use crate::domain::periods::{Month, Period};
use crate::stats::{
    DomainOptions, Reliability, UnitEstimate, achieved_margin, difference, par_interval,
    par_points, rank_intervals,
};

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
    /// The agency and every agency below it (`members` includes the root's id).
    Subtree { root: AgencyRef, members: Vec<Uuid> },
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

/// The headline figures of a subject, before suppression.
struct Headline {
    figures: Figures,
    /// The pooled estimate beside a mean of agencies.
    second: Option<Figures>,
    /// All the subject's counts.
    totals: Totals,
    invited: u64,
    design: Design,
    aggregate: Option<Aggregate>,
    agencies_with_data: Option<usize>,
    agencies_in_mean: Option<usize>,
}

fn domain_options(options: &Options) -> DomainOptions {
    DomainOptions {
        confidence: options.level,
        reliability: options.thresholds,
        ..DomainOptions::default()
    }
}

/// The headline figures of `subject` over months `first..=last`. A subtree's mean carries the
/// pooled estimate as its second figure only when `pooled_second` (the result's page shows it;
/// trends, rankings and PAR scores do not, and then need no more than each agency's estimate,
/// which the counts' memo keeps).
fn headline(
    counts: &Counts,
    subject: &Subject,
    (first, last): (&str, &str),
    (design, aggregate): (Design, Aggregate),
    options: &Options,
    pooled_second: bool,
) -> Result<Headline, EstimateError> {
    let eopts = EstimateOptions::new(domain_options(options));
    let dopts = &eopts.domain;
    let single = |est: Estimate, design: Design, aggregate: Option<Aggregate>| Headline {
        figures: est.figures,
        second: None,
        totals: est.totals,
        invited: est.invited,
        design,
        aggregate,
        agencies_with_data: None,
        agencies_in_mean: None,
    };
    let members = subject.members();
    match (subject, aggregate) {
        (Subject::Agency(a), _) => {
            let est = counts.agency_estimate(a.id, (first, last), design, &eopts)?;
            Ok(single(Estimate::clone(&est), design, None))
        }
        (Subject::Subtree { .. }, Aggregate::Pooled) => {
            let strata = counts.strata(&members, first, last)?;
            let mut h = single(
                estimate(&strata, Design::Pooled, dopts)?,
                Design::Pooled,
                Some(Aggregate::Pooled),
            );
            h.agencies_with_data = Some(strata.agencies_with_data().len());
            Ok(h)
        }
        (Subject::Subtree { .. }, Aggregate::Mean) => {
            // The pooled estimate first: its strata keep each agency's cells in the memo,
            // where the agencies' own estimates then find them.
            let pooled = if pooled_second {
                Some(estimate(
                    &counts.strata(&members, first, last)?,
                    Design::Pooled,
                    dopts,
                )?)
            } else {
                None
            };
            // In a fixed order (the mean's sums are then always the same to the last bit).
            let mut ids: Vec<Uuid> = members.iter().copied().collect();
            ids.sort_unstable();
            let each = on_all_cores(&ids, |a| {
                counts.agency_estimate(*a, (first, last), design, &eopts)
            })
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
            let with_data: Vec<&Figures> = each
                .iter()
                .filter(|e| e.totals.valid > 0)
                .map(|e| &e.figures)
                .collect();
            let mut totals = Totals::default();
            for e in &each {
                totals.add_totals(&e.totals);
            }
            let invited = each.iter().map(|e| e.invited).sum();
            let figures = match (&pooled, with_data.is_empty()) {
                (Some(p), true) => p.figures.clone(),
                // No agency has data: the pooled figures of no data.
                (None, true) => {
                    estimate(
                        &counts.strata(&members, first, last)?,
                        Design::Pooled,
                        dopts,
                    )?
                    .figures
                }
                (_, false) => mean_of(&with_data, options.level, &options.thresholds),
            };
            let in_mean = figures.root().and_then(|r| r.agencies).unwrap_or(0);
            Ok(Headline {
                figures,
                second: pooled.map(|p| p.figures),
                totals,
                invited,
                design,
                aggregate: Some(Aggregate::Mean),
                agencies_with_data: Some(with_data.len()),
                agencies_in_mean: Some(in_mean),
            })
        }
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
    }
}

pub fn form_ref(form: &FormDefinition, choice: VersionChoice) -> FormRef {
    FormRef {
        key: form.key().to_owned(),
        version: form.version(),
        edition: form.edition().to_owned(),
        version_choice: choice,
    }
}

fn shown(root: Option<&NodeFigure>) -> Option<&NodeFigure> {
    root.filter(|r| r.status != Reliability::Suppressed)
}

fn par_view(form: &FormDefinition, root: Option<&NodeFigure>, level: f64) -> ParView {
    let max_points = form.par().max_points();
    let root = shown(root);
    ParView {
        edition: form.par().edition().to_owned(),
        max_points,
        points: max_points
            .zip(root.and_then(|r| r.value))
            .and_then(|(m, v)| par_points(v, m)),
        ci: max_points
            .zip(root.and_then(|r| r.ci))
            .and_then(|(m, ci)| par_interval(ci, m))
            .map(|ci| IntervalView::of(ci, level, 1.0)),
        eligible: form.par_eligible(),
    }
}

fn d766(totals: &Totals, invited: u64, options: &Options) -> D766View {
    let d_dis = totals.dissatisfied(options.d766_rule);
    D766View {
        d: invited,
        d_rated: totals.valid,
        d_dis,
        value: (options.d766_enabled && invited > 0)
            .then(|| 100.0 * invited.saturating_sub(d_dis) as f64 / invited as f64),
        rule: options.d766_rule,
        enabled: options.d766_enabled,
    }
}

/// One estimated breakdown cell.
struct CellEstimate {
    key: Option<String>,
    /// Registered dossiers (channel cells only).
    invited: Option<u64>,
    estimate: Estimate,
}

/// The channel cells of `strata`, estimated (`cell_srs`), with their invited counts.
fn channel_cells(
    strata: &Strata,
    dopts: &DomainOptions,
) -> Result<Vec<CellEstimate>, EstimateError> {
    let mut by_channel: BTreeMap<&str, Strata> = BTreeMap::new();
    for ((agency, channel), cell) in &strata.cells {
        by_channel
            .entry(channel.as_str())
            .or_insert_with(|| Strata {
                shape: strata.shape.clone(),
                cells: BTreeMap::new(),
            })
            .cells
            .insert((*agency, channel.clone()), cell.clone());
    }
    by_channel
        .into_iter()
        .map(|(channel, s)| {
            let estimate = estimate(&s, Design::CellSrs, dopts)?;
            Ok(CellEstimate {
                key: Some(channel.to_owned()),
                invited: Some(estimate.invited),
                estimate,
            })
        })
        .collect()
}

/// Scanned breakdown cells, estimated (`cell_srs`), on every core (a province has some sixty
/// procedure fields).
fn scanned_cells(
    shape: &Arc<ScoreShape>,
    cells: &[BreakdownCellInput],
    dopts: &DomainOptions,
) -> Result<Vec<CellEstimate>, EstimateError> {
    on_all_cores(cells, |c| {
        let s = Strata {
            shape: shape.clone(),
            cells: BTreeMap::from([(
                (Uuid::nil(), String::new()),
                Arc::new(Cell {
                    counts: c.counts.clone(),
                    invited: 0,
                }),
            )]),
        };
        Ok(CellEstimate {
            key: c.key.clone(),
            invited: None,
            estimate: estimate(&s, Design::CellSrs, dopts)?,
        })
    })
    .into_iter()
    .collect()
}

/// `GET /api/v1/results` from the counts of the request's form version.
///
/// # Errors
/// Counts that do not fit the form version, or that contradict each other (more responses
/// than dossiers): never bad input.
pub fn agency_result(
    counts: &Counts,
    req: &ResultRequest<'_>,
) -> Result<ResultView, EstimateError> {
    let options = req.options;
    let (first, last) = req.period.month_range();
    let shape = counts.shape();
    let layout = Layout::of(&shape.tree.root);
    let mut h = headline(
        counts,
        &req.subject,
        (&first, &last),
        (req.design, req.aggregate),
        options,
        true,
    )?;
    let dopts = domain_options(options);

    let mut cells = match &req.breakdown {
        Some(Breakdown::Channel) => {
            let strata = counts.strata(&req.subject.members(), &first, &last)?;
            channel_cells(&strata, &dopts)?
        }
        Some(Breakdown::Scanned { cells, .. }) => scanned_cells(shape, cells, &dopts)?,
        None => Vec::new(),
    };
    if req.breakdown.is_some() {
        let mut figures: Vec<Figures> = cells.iter().map(|c| c.estimate.figures.clone()).collect();
        across(&mut h.figures, &mut figures, &layout);
        for (cell, f) in cells.iter_mut().zip(figures) {
            cell.estimate.figures = f;
        }
    } else {
        within(&mut h.figures, &layout);
    }
    if let Some(second) = h.second.as_mut() {
        within(second, &layout);
    }

    let labels = Labels {
        form: req.form,
        shape,
        lang: &options.lang,
        level: options.level,
    };
    let root = h.figures.root();
    let valid = h.totals.valid;
    let margin = |p: f64| achieved_margin(p, valid, Some(h.invited), options.level).map(pct);
    let breakdown = req.breakdown.as_ref().map(|b| BreakdownView {
        by: match b {
            Breakdown::Channel => Dimension::Channel,
            Breakdown::Scanned { by, .. } => *by,
        },
        cells: cells
            .iter()
            .map(
                |CellEstimate {
                     key,
                     invited,
                     estimate: est,
                 }| CellView {
                    key: key.clone(),
                    invited: *invited,
                    responses: est.totals.valid,
                    invalid_returns: est.totals.invalid,
                    suppressed: est
                        .figures
                        .root()
                        .is_none_or(|r| r.status == Reliability::Suppressed),
                    index: labels.nodes(&est.figures, None),
                    items: labels.items(&est.figures, None),
                },
            )
            .collect(),
    });
    let subject = req.subject.root();
    Ok(ResultView {
        agency: subject.code.clone(),
        agency_name: subject.name_in(&options.lang),
        subtree: matches!(req.subject, Subject::Subtree { .. }),
        form: form_ref(req.form, req.version_choice),
        period: req.period.label().to_owned(),
        invited: h.invited,
        responses: valid,
        invalid_returns: h.totals.invalid,
        response_rate: (h.invited > 0).then(|| pct(valid as f64 / h.invited as f64)),
        margin_of_error: MarginView {
            worst_case: margin(0.5),
            at_index: shown(root).and_then(|r| r.value).and_then(margin),
            level: options.level,
        },
        index: labels.nodes(&h.figures, h.second.as_ref()),
        items: labels.items(&h.figures, h.second.as_ref()),
        par: par_view(req.form, root, options.level),
        suppressed: root.is_none_or(|r| r.status == Reliability::Suppressed),
        d766: d766(&h.totals, h.invited, options),
        agencies_with_data: h.agencies_with_data,
        agencies_in_mean: h.agencies_in_mean,
        breakdown,
        method: method(
            (h.design, h.aggregate),
            (req.form.version(), req.version_choice),
            h.figures.fpc,
            Some(h.figures.df),
            options,
            req.breakdown.as_ref().map(|_| Design::CellSrs),
        ),
        published_through: None,
        pending: 0,
        open_months: None,
    })
}

/// `GET /api/v1/rankings`: the children of a parent.
#[derive(Debug, Clone)]
pub struct RankingInput<'a> {
    pub parent: AgencyRef,
    /// Each child's subject (its own dossiers, or its subtree).
    pub children: Vec<Subject>,
    pub form: &'a FormDefinition,
    pub version_choice: VersionChoice,
    pub period: &'a Period,
    pub design: Design,
    pub aggregate: Aggregate,
    pub options: &'a Options,
}

/// Ranks the children with status `ok` by index, with Bonferroni rank intervals (Klein, Wright
/// & Wieczorek 2020); the others are listed apart.
///
/// # Errors
/// As [`agency_result`].
pub fn ranking(counts: &Counts, input: &RankingInput<'_>) -> Result<RankingView, EstimateError> {
    let options = input.options;
    let (first, last) = input.period.month_range();
    let layout = Layout::of(&counts.shape().tree.root);
    let mut children: Vec<&Subject> = input.children.iter().collect();
    // Ties keep input order in `rank_intervals`, so order by code first: a stable tie rule.
    children.sort_by(|a, b| a.root().code.cmp(&b.root().code));
    let mut units = Vec::new();
    let mut ranked_figures = Vec::new();
    let mut not_ranked = Vec::new();
    let headlines = on_all_cores(&children, |child| {
        headline(
            counts,
            child,
            (&first, &last),
            (input.design, input.aggregate),
            options,
            false,
        )
    });
    for (child, h) in children.into_iter().zip(headlines) {
        let mut h = h?;
        within(&mut h.figures, &layout);
        let root = h.figures.root().cloned();
        let agency = child.root();
        match root {
            Some(r) if r.status == Reliability::Ok && r.value.is_some() && r.se.is_some() => {
                units.push(UnitEstimate {
                    value: r.value.unwrap_or_default(),
                    se: r.se.unwrap_or_default(),
                });
                ranked_figures.push((agency.clone(), r));
            }
            other => {
                let r = other.filter(|r| r.status != Reliability::Suppressed);
                not_ranked.push(NotRankedView {
                    agency_code: agency.code.clone(),
                    agency_name: agency.name_in(&options.lang),
                    value: r.as_ref().and_then(|r| r.value).map(pct),
                    ci: r
                        .as_ref()
                        .and_then(|r| r.ci)
                        .map(|ci| IntervalView::of(ci, options.level, 100.0)),
                    n: h.figures.root().map_or(0, |r| r.n),
                    status: h
                        .figures
                        .root()
                        .map_or(Reliability::Suppressed, |r| r.status)
                        .into(),
                });
            }
        }
    }
    let ranking = rank_intervals(&units, options.level);
    let ranked = match &ranking {
        Some(r) => r
            .ranks
            .iter()
            .filter_map(|u| {
                let (agency, f) = ranked_figures.get(u.unit)?;
                Some(RankedView {
                    rank: u.rank,
                    rank_low: u.lower,
                    rank_high: u.upper,
                    agency_code: agency.code.clone(),
                    agency_name: agency.name_in(&options.lang),
                    value: pct(f.value?),
                    ci: f.ci.map(|ci| IntervalView::of(ci, options.level, 100.0)),
                    se: pct(f.se?),
                    n: f.n,
                    status: f.status.into(),
                })
            })
            .collect(),
        None => Vec::new(),
    };
    let (design, aggregate) = match input.children.first() {
        Some(child) => design_of(child, input.design, input.aggregate),
        None => (input.design, None),
    };
    let version = (input.form.version(), input.version_choice);
    let m = method(
        (design, aggregate),
        version,
        design.uses_fpc(),
        None,
        options,
        None,
    );
    Ok(RankingView {
        parent: input.parent.code.clone(),
        form: form_ref(input.form, input.version_choice),
        period: input.period.label().to_owned(),
        ranked,
        not_ranked,
        z_joint: ranking.map(|r| r.z_joint).filter(|_| units.len() >= 2),
        method: m,
        published_through: None,
    })
}

/// The rows of `GET /api/v1/par/scores`, one per subject in order.
///
/// # Errors
/// As [`agency_result`].
pub fn par_rows(
    counts: &Counts,
    subjects: &[Subject],
    form: &FormDefinition,
    period: &Period,
    options: &Options,
) -> Result<Vec<ParScoreView>, EstimateError> {
    on_all_cores(subjects, |s| par_row(counts, s, form, period, options))
        .into_iter()
        .collect()
}

/// A row of `GET /api/v1/par/scores`: the agency's SIPAS (default design, or the mean of its
/// subtree) in PAR terms, with the Decision 766 counts.
///
/// # Errors
/// As [`agency_result`].
fn par_row(
    counts: &Counts,
    subject: &Subject,
    form: &FormDefinition,
    period: &Period,
    options: &Options,
) -> Result<ParScoreView, EstimateError> {
    let (first, last) = period.month_range();
    let mut h = headline(
        counts,
        subject,
        (&first, &last),
        (Design::SrsFpc, Aggregate::Mean),
        options,
        false,
    )?;
    within(&mut h.figures, &Layout::of(&counts.shape().tree.root));
    let root = h.figures.root();
    let par = par_view(form, root, options.level);
    let published = shown(root);
    let agency = subject.root();
    Ok(ParScoreView {
        agency_code: agency.code.clone(),
        agency_kind: agency.kind.clone(),
        form_key: form.key().to_owned(),
        form_version: form.version(),
        sipas: published.and_then(|r| r.value).map(pct),
        ci: published
            .and_then(|r| r.ci)
            .map(|ci| IntervalView::of(ci, options.level, 100.0)),
        points: par.points,
        max_points: par.max_points,
        n: h.totals.valid,
        invited: h.invited,
        d: h.invited,
        d_rated: h.totals.valid,
        d_dis: h.totals.dissatisfied(options.d766_rule),
        status: root.map_or(Reliability::Suppressed, |r| r.status).into(),
    })
}

/// `GET /api/v1/results/trend`.
#[derive(Debug, Clone)]
pub struct TrendRequest<'a> {
    pub subject: Subject,
    pub form: &'a FormDefinition,
    pub version_choice: VersionChoice,
    pub period: &'a Period,
    /// `month`, `quarter` or `year`.
    pub step: &'a str,
    pub design: Design,
    pub aggregate: Aggregate,
    pub options: &'a Options,
}

/// The steps of `period`: calendar months, quarters or years, clipped to the period (a range
/// that starts mid-quarter gets a partial first step, labelled as a range). `None` for an
/// unknown step.
pub fn steps(period: &Period, step: &str) -> Option<Vec<Period>> {
    let key = |m: Month| -> Option<(u16, u8)> {
        match step {
            "month" => Some((m.year(), m.month())),
            "quarter" => Some((m.year(), (m.month() - 1) / 3)),
            "year" => Some((m.year(), 0)),
            _ => None,
        }
    };
    let mut groups: Vec<((u16, u8), Month, Month)> = Vec::new();
    for m in period.months() {
        let k = key(m)?;
        match groups.last_mut() {
            Some((last_key, _, end)) if *last_key == k => *end = m,
            _ => groups.push((k, m, m)),
        }
    }
    groups
        .into_iter()
        .map(|(_, a, b)| Period::range(&a.to_string(), &b.to_string()).ok())
        .collect()
}

fn trend_node(
    id: &str,
    label: String,
    f: Option<&NodeFigure>,
    previous: Option<&NodeFigure>,
    level: f64,
) -> TrendNodeView {
    let published = f.filter(|f| f.status != Reliability::Suppressed);
    let unit = |f: Option<&NodeFigure>| {
        let f = f.filter(|f| f.status != Reliability::Suppressed)?;
        Some(UnitEstimate {
            value: f.value?,
            se: f.se?,
        })
    };
    let change = unit(f)
        .zip(unit(previous))
        .and_then(|(now, before)| difference(now, before, level))
        .map(|d| ChangeView {
            value: pct(d.diff),
            se: pct(d.se),
            ci: IntervalView::of(d.ci, level, 100.0),
            p_value: d.p_value,
        });
    TrendNodeView {
        id: id.to_owned(),
        label,
        value: published.and_then(|f| f.value).map(pct),
        ci: published
            .and_then(|f| f.ci)
            .map(|ci| IntervalView::of(ci, level, 100.0)),
        se: published.and_then(|f| f.se).map(pct),
        n: f.map_or(0, |f| f.n),
        status: f.map_or(Reliability::Suppressed, |f| f.status).into(),
        change,
    }
}

/// The index and every top-level node per step, with the change from the step before
/// (`docs/statistics.md` §4.9: independent samples, `V = V_t + V_{t−1}`, normal interval).
///
/// # Errors
/// As [`agency_result`]; an unknown step gives no steps (the HTTP layer checks it first).
pub fn trend(counts: &Counts, req: &TrendRequest<'_>) -> Result<TrendView, EstimateError> {
    let options = req.options;
    let shape = counts.shape();
    let layout = Layout::of(&shape.tree.root);
    let mut out = Vec::new();
    let mut previous: Option<Figures> = None;
    for step in steps(req.period, req.step).unwrap_or_default() {
        let (first, last) = step.month_range();
        let mut h = headline(
            counts,
            &req.subject,
            (&first, &last),
            (req.design, req.aggregate),
            options,
            false,
        )?;
        within(&mut h.figures, &layout);
        let label = |id: &str| {
            req.form
                .index()
                .find(id)
                .map(|n| n.label().localized(&options.lang).to_owned())
                .unwrap_or_default()
        };
        let root = &shape.tree.root;
        let prev = previous.as_ref();
        // Top-level nodes sit at their depth-first positions.
        let mut position = 1;
        let mut nodes = Vec::new();
        for child in &root.children {
            nodes.push(trend_node(
                &child.id,
                label(&child.id),
                h.figures.nodes.get(position),
                prev.and_then(|p| p.nodes.get(position)),
                options.level,
            ));
            position += child.walk().len();
        }
        out.push(TrendStepView {
            period: step.label().to_owned(),
            invited: h.invited,
            responses: h.totals.valid,
            index: trend_node(
                &root.id,
                label(&root.id),
                h.figures.nodes.first(),
                prev.and_then(|p| p.nodes.first()),
                options.level,
            ),
            nodes,
        });
        previous = Some(h.figures);
    }
    let (design, aggregate) = design_of(&req.subject, req.design, req.aggregate);
    let version = (req.form.version(), req.version_choice);
    let m = method(
        (design, aggregate),
        version,
        design.uses_fpc(),
        None,
        options,
        None,
    );
    Ok(TrendView {
        agency: req.subject.root().code.clone(),
        subtree: matches!(req.subject, Subject::Subtree { .. }),
        form: form_ref(req.form, req.version_choice),
        period: req.period.label().to_owned(),
        step: req.step.to_owned(),
        steps: out,
        method: m,
        published_through: None,
    })
}
