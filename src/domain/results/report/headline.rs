//! The headline figures of a subject over a range of months, before suppression: an agency's
//! own estimate, a subtree's pooled estimate, or the mean of its agencies' estimates with the
//! pooled one beside it (methodology §3.5).

use std::collections::HashSet;

use uuid::Uuid;

use super::super::estimate::{Estimate, EstimateError, Figures, Totals, estimate, mean_of};
use super::super::{Aggregate, Counts, Design, EstimateOptions, Options, on_all_cores};
use super::{Subject, domain_options};

/// The headline figures of a subject, before suppression.
pub(super) struct Headline {
    pub(super) figures: Figures,
    /// The pooled estimate beside a mean of agencies.
    pub(super) second: Option<Figures>,
    /// All the subject's counts.
    pub(super) totals: Totals,
    pub(super) invited: u64,
    pub(super) design: Design,
    pub(super) aggregate: Option<Aggregate>,
    pub(super) agencies_with_data: Option<usize>,
    pub(super) agencies_in_mean: Option<usize>,
}

impl Headline {
    /// The headline of one estimate.
    fn single(est: Estimate, design: Design, aggregate: Option<Aggregate>) -> Self {
        Headline {
            figures: est.figures,
            second: None,
            totals: est.totals,
            invited: est.invited,
            design,
            aggregate,
            agencies_with_data: None,
            agencies_in_mean: None,
        }
    }
}

/// The headline figures of `subject` over months `first..=last`. A subtree's mean carries the
/// pooled estimate as its second figure only when `pooled_second` (the result's page shows it;
/// trends, rankings and PAR scores do not, and then need no more than each agency's estimate,
/// which the counts' memo keeps).
pub(super) fn headline(
    counts: &Counts,
    subject: &Subject,
    (first, last): (&str, &str),
    (design, aggregate): (Design, Aggregate),
    options: &Options,
    pooled_second: bool,
) -> Result<Headline, EstimateError> {
    let eopts = EstimateOptions::new(domain_options(options));
    let members = subject.members();
    match (subject, aggregate) {
        (Subject::Agency(a), _) => {
            let est = counts.agency_estimate(a.id, (first, last), design, &eopts)?;
            Ok(Headline::single(Estimate::clone(&est), design, None))
        }
        (Subject::Subtree { .. }, Aggregate::Pooled) => {
            let strata = counts.strata(&members, first, last)?;
            let mut h = Headline::single(
                estimate(&strata, Design::Pooled, &eopts.domain)?,
                Design::Pooled,
                Some(Aggregate::Pooled),
            );
            h.agencies_with_data = Some(strata.agencies_with_data().len());
            Ok(h)
        }
        (Subject::Subtree { .. }, Aggregate::Mean) => {
            let months = (first, last);
            mean_headline(
                counts,
                &members,
                months,
                design,
                &eopts,
                options,
                pooled_second,
            )
        }
    }
}

/// The mean of the `members`' own estimates (each under `design`), with the pooled estimate as
/// the second figure when `pooled_second`.
fn mean_headline(
    counts: &Counts,
    members: &HashSet<Uuid>,
    (first, last): (&str, &str),
    design: Design,
    eopts: &EstimateOptions,
    options: &Options,
    pooled_second: bool,
) -> Result<Headline, EstimateError> {
    let dopts = &eopts.domain;
    // The pooled estimate first: its strata keep each agency's cells in the memo,
    // where the agencies' own estimates then find them.
    let pooled = if pooled_second {
        Some(estimate(
            &counts.strata(members, first, last)?,
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
        counts.agency_estimate(*a, (first, last), design, eopts)
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
            estimate(&counts.strata(members, first, last)?, Design::Pooled, dopts)?.figures
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
