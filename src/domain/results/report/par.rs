//! PAR terms: the `par` member of a result, and the rows of `GET /api/v1/par/scores` (each
//! subject's SIPAS in PAR points, with the Decision 766 counts).

use super::super::estimate::{EstimateError, NodeFigure};
use super::super::suppression::{Layout, within};
use super::super::view::{IntervalView, ParScoreView, ParView, pct};
use super::super::{Aggregate, Counts, Design, Options, on_all_cores};
use super::headline::headline;
use super::{Subject, shown};
use crate::domain::forms::FormDefinition;
use crate::domain::par::Points;
use crate::domain::periods::Period;
use crate::stats::{Reliability, par_interval};

/// The `par` member: the root value in PAR points on the scale of the agency's kind.
pub(super) fn par_view(
    form: &FormDefinition,
    kind: &str,
    root: Option<&NodeFigure>,
    options: &Options,
) -> ParView {
    let root = shown(root);
    let points = points_of(form, kind, root, options);
    ParView {
        edition: form.par().edition().to_owned(),
        max_points: points.max_points,
        scale_source: points.source,
        points: points.points,
        points_exact: points.exact,
        points_reason: points.reason,
        ci: points
            .exact
            .and(points.max_points)
            .zip(root.and_then(|r| r.ci))
            .and_then(|(m, ci)| par_interval(ci, m))
            .map(|ci| IntervalView::of(ci, options.level, 1.0)),
        eligible: form.par_eligible(),
    }
}

/// The points of a published root under `par.scales` (one function for the API, the pages
/// and the exports: they all show `points` as it comes).
fn points_of(
    form: &FormDefinition,
    kind: &str,
    root: Option<&NodeFigure>,
    options: &Options,
) -> Points {
    let par = form.par();
    let form_terms = (par.edition(), form.par_eligible(), par.max_points());
    let percent = root.and_then(|r| r.value).map(pct);
    options.par_scales.points(form_terms, kind, percent)
}

/// The rows of `GET /api/v1/par/scores`, one per subject in order.
///
/// # Errors
/// As [`super::agency_result`].
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
/// As [`super::agency_result`].
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
    let agency = subject.root();
    let par = par_view(form, &agency.kind, root, options);
    let published = shown(root);
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
        points_exact: par.points_exact,
        points_reason: par.points_reason,
        max_points: par.max_points,
        scale_source: par.scale_source,
        n: h.totals.valid,
        invited: h.invited,
        d: h.invited,
        d_rated: h.totals.valid,
        d_dis: h.dissatisfied(options),
        status: root.map_or(Reliability::Suppressed, |r| r.status).into(),
    })
}
