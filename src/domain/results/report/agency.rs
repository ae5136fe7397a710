//! One result (`GET /api/v1/results`): the headline figures of an agency or a subtree, an
//! optional breakdown by channel or by scanned cells, suppression across them, and the view.

use super::super::estimate::{EstimateError, Figures, NodeFigure};
use super::super::indicators::indicators;
use super::super::suppression::{Layout, across, within};
use super::super::view::{
    BreakdownView, CellView, D766View, Labels, MarginView, MethodView, ResultView, pct,
};
use super::super::{Counts, Design, Dimension, Options};
use super::cells::{CellEstimate, cells_of, guard_over_members};
use super::headline::{Headline, headline};
use super::par::par_view;
use super::{Breakdown, ResultRequest, Subject, domain_options, form_ref, method, shown};
use crate::stats::{Reliability, achieved_margin};

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
    let mut h = headline(
        counts,
        &req.subject,
        (&first, &last),
        (req.design, req.aggregate),
        options,
        true,
    )?;
    let cells = suppressed_cells(counts, req, &mut h, (&first, &last))?;
    let labels = Labels {
        form: req.form,
        shape,
        lang: &options.lang,
        level: options.level,
    };
    let breakdown = req
        .breakdown
        .as_ref()
        .map(|b| breakdown_view(b, &cells, &labels));
    Ok(result_view(req, &h, &labels, breakdown))
}

/// The breakdown cells of the request, estimated, and the suppression of the headline figures
/// and the cells together (complements across them), or of the headline alone.
fn suppressed_cells(
    counts: &Counts,
    req: &ResultRequest<'_>,
    h: &mut Headline,
    (first, last): (&str, &str),
) -> Result<Vec<CellEstimate>, EstimateError> {
    let shape = counts.shape();
    let layout = Layout::of(&shape.tree.root);
    let dopts = domain_options(req.options);
    let mut cells = Vec::new();
    if let Some(breakdown) = &req.breakdown {
        let strata = counts.strata(&req.subject.members(), first, last)?;
        cells = cells_of(breakdown, &strata, &dopts)?;
        if let Subject::Subtree { .. } = req.subject {
            let below = req.options.thresholds.suppress_below;
            let about = (breakdown, &req.subject);
            guard_over_members(&mut cells, about, &strata, &dopts, below)?;
        }
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
    Ok(cells)
}

/// The `breakdown` member: each cell's counts and figures.
fn breakdown_view(b: &Breakdown, cells: &[CellEstimate], labels: &Labels<'_>) -> BreakdownView {
    BreakdownView {
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
    }
}

/// The achieved margin at the index (methodology §5.4). At an index of 0 or 100 % the formula's
/// `p(1 − p)` is 0 although the interval shown is not a point: there the margin reaches the
/// interval's far bound. A census (n = N) keeps its margin of 0.
fn margin_at_index(root: &NodeFigure, margin: impl Fn(f64) -> Option<f64>) -> Option<f64> {
    let value = root.value?;
    let at = margin(value)?;
    let degenerate = value * (1.0 - value) == 0.0 && margin(0.5).is_some_and(|m| m > 0.0);
    let reach = root
        .ci
        .map(|ci| pct((value - ci.lower).max(ci.upper - value)));
    Some(if degenerate { reach.unwrap_or(at) } else { at })
}

/// The view of a result from its suppressed headline figures and breakdown.
fn result_view(
    req: &ResultRequest<'_>,
    h: &Headline,
    labels: &Labels<'_>,
    breakdown: Option<BreakdownView>,
) -> ResultView {
    let options = req.options;
    let root = h.figures.root();
    let valid = h.totals.valid;
    let margin = |p: f64| achieved_margin(p, valid, Some(h.invited), options.level).map(pct);
    let subject = req.subject.root();
    ResultView {
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
            at_index: shown(root).and_then(|r| margin_at_index(r, margin)),
            level: options.level,
        },
        index: labels.nodes(&h.figures, h.second.as_ref()),
        items: labels.items(&h.figures, h.second.as_ref()),
        indicators: indicators(
            req.form,
            labels.shape,
            (&h.totals.options, (&h.members, &h.nest)),
            (options, false),
        ),
        par: par_view(req.form, &subject.kind, root, options),
        suppressed: root.is_none_or(|r| r.status == Reliability::Suppressed),
        d766: d766(h, options),
        agencies_with_data: h.agencies_with_data,
        agencies_in_mean: h.agencies_in_mean,
        breakdown,
        method: MethodView {
            collapsed_strata: h.figures.collapsed_strata,
            ..method(
                (h.design, h.aggregate),
                (req.form.version(), req.version_choice),
                h.figures.fpc,
                Some(h.figures.df),
                options,
                req.breakdown.as_ref().map(|_| Design::CellSrs),
            )
        },
        published_through: None,
        pending: 0,
        open_months: None,
    }
}

/// The `d766` member: the Decision 766 ratio of satisfied dossiers.
fn d766(h: &Headline, options: &Options) -> D766View {
    let (totals, invited) = (&h.totals, h.invited);
    let d_dis = h.dissatisfied(options);
    D766View {
        d: invited,
        d_rated: totals.valid,
        d_dis,
        value: d_dis
            .filter(|_| options.d766_enabled && invited > 0)
            .map(|d_dis| 100.0 * invited.saturating_sub(d_dis) as f64 / invited as f64),
        rule: options.d766_rule,
        enabled: options.d766_enabled,
    }
}
