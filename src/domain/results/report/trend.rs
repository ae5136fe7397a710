//! A trend (`GET /api/v1/results/trend`): the index and every top-level node per step (month,
//! quarter or year), with the change from the step before.

use super::super::estimate::{EstimateError, Figures, NodeFigure};
use super::super::indicators::indicators;
use super::super::suppression::{Layout, within};
use super::super::view::{ChangeView, IntervalView, TrendNodeView, TrendStepView, TrendView, pct};
use super::super::{Aggregate, Counts, Design, Options, VersionChoice};
use super::headline::headline;
use super::{Subject, design_of, form_ref, many_method};
use crate::domain::forms::FormDefinition;
use crate::domain::periods::{Month, Period};
use crate::stats::{Interval, Reliability, UnitEstimate, difference};

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

/// The index and every top-level node per step, with the change from the step before
/// (`docs/statistics.md` §4.9: independent samples, `V = V_t + V_{t−1}`, normal interval).
///
/// # Errors
/// As [`super::agency_result`]; an unknown step gives no steps (the HTTP layer checks it first).
pub fn trend(counts: &Counts, req: &TrendRequest<'_>) -> Result<TrendView, EstimateError> {
    let mut out = Vec::new();
    let mut previous: Option<Figures> = None;
    for step in steps(req.period, req.step).unwrap_or_default() {
        let (view, figures) = trend_step(counts, req, &step, previous.as_ref())?;
        out.push(view);
        previous = Some(figures);
    }
    let (design, aggregate) = design_of(&req.subject, req.design, req.aggregate);
    let version = (req.form.version(), req.version_choice);
    let m = many_method((design, aggregate), version, req.options);
    Ok(TrendView {
        agency: req.subject.root().code.clone(),
        subtree: matches!(req.subject, Subject::Subtree { .. }),
        form: form_ref(req.form, req.version_choice),
        period: req.period.label().to_owned(),
        step: req.step.to_owned(),
        steps: out,
        method: m,
        merged_history: None,
        published_through: None,
    })
}

/// One step of a trend, compared with the figures of the step before (`prev`); also returns
/// this step's suppressed figures, for the next one.
fn trend_step(
    counts: &Counts,
    req: &TrendRequest<'_>,
    step: &Period,
    prev: Option<&Figures>,
) -> Result<(TrendStepView, Figures), EstimateError> {
    let options = req.options;
    let shape = counts.shape();
    let (first, last) = step.month_range();
    let mut h = headline(
        counts,
        &req.subject,
        (&first, &last),
        (req.design, req.aggregate),
        options,
        false,
    )?;
    within(&mut h.figures, &Layout::of(&shape.tree.root));
    let label = |id: &str| {
        req.form
            .index()
            .find(id)
            .map(|n| n.label().localized(&options.lang).to_owned())
            .unwrap_or_default()
    };
    let root = &shape.tree.root;
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
    let view = TrendStepView {
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
        indicators: indicators(
            req.form,
            shape,
            (&h.totals.options, (&h.members, &h.nest)),
            (options, true),
        ),
    };
    Ok((view, h.figures))
}

/// One node of a step: its figure (unless suppressed) and the change from `previous`.
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
        // The SE that agrees with the interval shown: a step where everyone was satisfied is
        // not exact.
        Some(UnitEstimate {
            value: f.value?,
            se: f.se_cmp?,
        })
    };
    let change = unit(f)
        .zip(unit(previous))
        .and_then(|(now, before)| difference(now, before, level))
        .map(|d| ChangeView {
            value: pct(d.diff),
            se: pct(d.se),
            // A change of two shares lies within ±1 (±100 points).
            ci: IntervalView::of(
                Interval {
                    lower: d.ci.lower.max(-1.0),
                    upper: d.ci.upper.min(1.0),
                },
                level,
                100.0,
            ),
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
