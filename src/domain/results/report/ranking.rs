//! A ranking (`GET /api/v1/rankings`): the children of a parent with status `ok` ranked by
//! index, with Bonferroni rank intervals (Klein, Wright & Wieczorek 2020); the others listed
//! apart.

use super::super::estimate::{EstimateError, NodeFigure};
use super::super::suppression::{Layout, within};
use super::super::view::{IntervalView, NotRankedView, RankedView, RankingView, pct};
use super::super::{Aggregate, Counts, Design, Options, VersionChoice, on_all_cores};
use super::headline::headline;
use super::{AgencyRef, Subject, design_of, form_ref, many_method};
use crate::domain::forms::FormDefinition;
use crate::domain::periods::Period;
use crate::stats::{Ranking, Reliability, UnitEstimate, rank_intervals};

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

/// The children sorted into those that can be ranked and the others.
#[derive(Default)]
struct Candidates {
    /// The estimates to rank, in the order of `ranked`.
    units: Vec<UnitEstimate>,
    /// The rankable children and their root figures.
    ranked: Vec<(AgencyRef, NodeFigure)>,
    not_ranked: Vec<NotRankedView>,
}

/// Ranks the children with status `ok` by index, with Bonferroni rank intervals (Klein, Wright
/// & Wieczorek 2020); the others are listed apart.
///
/// # Errors
/// As [`super::agency_result`].
pub fn ranking(counts: &Counts, input: &RankingInput<'_>) -> Result<RankingView, EstimateError> {
    let options = input.options;
    let candidates = candidates(counts, input)?;
    let ranking = rank_intervals(&candidates.units, options.level);
    let ranked = match &ranking {
        Some(r) => ranked_views(r, &candidates.ranked, options),
        None => Vec::new(),
    };
    let (design, aggregate) = match input.children.first() {
        Some(child) => design_of(child, input.design, input.aggregate),
        None => (input.design, None),
    };
    let version = (input.form.version(), input.version_choice);
    let m = many_method((design, aggregate), version, options);
    Ok(RankingView {
        parent: input.parent.code.clone(),
        form: form_ref(input.form, input.version_choice),
        period: input.period.label().to_owned(),
        ranked,
        not_ranked: candidates.not_ranked,
        z_joint: ranking
            .map(|r| r.z_joint)
            .filter(|_| candidates.units.len() >= 2),
        method: m,
        published_through: None,
    })
}

/// Each child's suppressed headline, sorted into rankable children (status `ok`, with a value
/// and a standard error) and the others, in the order of their codes.
fn candidates(counts: &Counts, input: &RankingInput<'_>) -> Result<Candidates, EstimateError> {
    let options = input.options;
    let (first, last) = input.period.month_range();
    let layout = Layout::of(&counts.shape().tree.root);
    let mut children: Vec<&Subject> = input.children.iter().collect();
    // Ties keep input order in `rank_intervals`, so order by code first: a stable tie rule.
    children.sort_by(|a, b| a.root().code.cmp(&b.root().code));
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
    let mut out = Candidates::default();
    for (child, h) in children.into_iter().zip(headlines) {
        let mut h = h?;
        within(&mut h.figures, &layout);
        let root = h.figures.root().cloned();
        let agency = child.root();
        match root {
            // Ranked on the SE that agrees with the interval shown: an all-satisfied agency is
            // not exact.
            Some(r) if r.status == Reliability::Ok && r.value.is_some() && r.se_cmp.is_some() => {
                out.units.push(UnitEstimate {
                    value: r.value.unwrap_or_default(),
                    se: r.se_cmp.unwrap_or_default(),
                });
                out.ranked.push((agency.clone(), r));
            }
            other => {
                let r = other.filter(|r| r.status != Reliability::Suppressed);
                out.not_ranked.push(NotRankedView {
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
    Ok(out)
}

/// The ranked children in rank order, with their rank intervals.
fn ranked_views(
    ranking: &Ranking,
    ranked: &[(AgencyRef, NodeFigure)],
    options: &Options,
) -> Vec<RankedView> {
    ranking
        .ranks
        .iter()
        .filter_map(|u| {
            let (agency, f) = ranked.get(u.unit)?;
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
        .collect()
}
