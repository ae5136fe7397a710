//! The headline figures of a subject over a range of months, before suppression: an agency's
//! own estimate, a subtree's pooled estimate, or the mean of its agencies' estimates with the
//! pooled one beside it (methodology §3.5).

use uuid::Uuid;

use super::super::estimate::{Estimate, EstimateError, Figures, Totals, bases, estimate, mean_of};
use super::super::indicators::member_options;
use super::super::nest::Nest;
use super::super::suppression::{Layout, over_members, within};
use super::super::{Aggregate, Counts, Design, Options, Strata, on_all_cores};
use super::{Subject, domain_options};
use crate::domain::aggregates::OptionCounts;
use crate::stats::DomainOptions;

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
    /// The fewest valid responses of a member agency that has any: counts about answers (the
    /// Decision 766 `D_dis`) are published only when no member is below the suppression
    /// threshold, so that no one agency's small group can be read, nor recovered by
    /// subtracting its siblings from the total.
    pub(super) smallest_group: u64,
    /// Each member agency's answers to the indicator questions (none for one agency): a
    /// subtree's pooled indicators are checked against them (`indicators`)...
    pub(super) members: Vec<OptionCounts>,
    /// ... and against the subtrees inside it, over the same members.
    pub(super) nest: Nest,
    /// Each member agency's figures as its own result publishes them (in the order of
    /// `Strata::agencies`; none for one agency): a subtree's breakdown cells are checked
    /// against the members' own breakdowns, which suppress across these (`cells`).
    pub(super) published_members: Vec<Figures>,
}

impl Headline {
    /// The Decision 766 `D_dis`, unless an agency of the headline answered in a group below
    /// the suppression threshold (statistics §5.4): then neither it nor anything it would give
    /// back by subtraction.
    pub(super) fn dissatisfied(&self, options: &Options) -> Option<u64> {
        let small =
            self.smallest_group > 0 && self.smallest_group < options.thresholds.suppress_below;
        (!small).then(|| self.totals.dissatisfied(options.d766_rule))
    }

    /// The headline of one estimate.
    fn single(est: Estimate, design: Design, aggregate: Option<Aggregate>) -> Self {
        let smallest_group = est.totals.valid;
        Headline {
            figures: est.figures,
            second: None,
            totals: est.totals,
            invited: est.invited,
            design,
            aggregate,
            agencies_with_data: None,
            agencies_in_mean: None,
            smallest_group,
            members: Vec::new(),
            nest: Nest::default(),
            published_members: Vec::new(),
        }
    }
}

/// The headline figures of `subject` over months `first..=last`. A subtree's mean carries the
/// pooled estimate as its second figure only when `pooled_second` (the result's page shows it;
/// trends, rankings and PAR scores do not).
pub(super) fn headline(
    counts: &Counts,
    subject: &Subject,
    (first, last): (&str, &str),
    (design, aggregate): (Design, Aggregate),
    options: &Options,
    pooled_second: bool,
) -> Result<Headline, EstimateError> {
    let dopts = domain_options(options);
    let members = subject.members();
    match (subject, aggregate) {
        (Subject::Agency(a), _) => {
            let est = counts.agency_estimate(a.id, (first, last), design, &dopts)?;
            Ok(Headline::single(Estimate::clone(&est), design, None))
        }
        (Subject::Subtree { .. }, Aggregate::Pooled) => {
            let strata = counts.strata(&members, first, last)?;
            let mut h = Headline::single(
                estimate(&strata, Design::Pooled, &dopts)?,
                Design::Pooled,
                Some(Aggregate::Pooled),
            );
            let each = member_figures(&strata, &dopts)?;
            let nest = subject.nest(&strata.agencies());
            guard_total(&mut h.figures, (&each, &nest), &strata, options);
            h.agencies_with_data = Some(strata.agencies_with_data().len());
            h.smallest_group = strata.smallest_group();
            h.members = member_options(&strata);
            h.nest = nest;
            h.published_members = each;
            Ok(h)
        }
        (Subject::Subtree { .. }, Aggregate::Mean) => {
            // Channels apart only where a figure needs them: the pooled second figure, or the
            // agencies' own design.
            let by_channel = pooled_second || design.by_channel();
            let strata = counts.strata_of(&members, (first, last), by_channel)?;
            let nest = subject.nest(&strata.agencies());
            let h = mean_headline(&strata, (design, nest), (&dopts, options), pooled_second)?;
            match h {
                Some(h) => Ok(h),
                // No agency has data: the pooled figures of no data, by channel.
                None => {
                    let strata = counts.strata(&members, first, last)?;
                    let pooled = estimate(&strata, Design::Pooled, &dopts)?;
                    let mut h = Headline::single(pooled, design, Some(Aggregate::Mean));
                    h.agencies_with_data = Some(0);
                    h.agencies_in_mean = Some(0);
                    Ok(h)
                }
            }
        }
    }
}

/// The mean of the agencies' own estimates (each under `design`) from their `strata`, with the
/// pooled estimate as the second figure when `pooled_second`; `None` when no agency has data
/// and there is no pooled estimate to show instead.
fn mean_headline(
    strata: &Strata,
    (design, nest): (Design, Nest),
    (dopts, options): (&DomainOptions, &Options),
    pooled_second: bool,
) -> Result<Option<Headline>, EstimateError> {
    // In a fixed order (the mean's sums are then always the same to the last bit).
    let ids: Vec<Uuid> = strata.agencies();
    let each = on_all_cores(&ids, |a| estimate(&strata.of_agency(*a), design, dopts))
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    // Each member as its own result publishes it: a number hidden there (also as a
    // complement) stays out of the mean and its counts.
    let layout = Layout::of(&strata.shape.tree.root);
    let own: Vec<Figures> = each
        .iter()
        .map(|e| {
            let mut f = e.figures.clone();
            within(&mut f, &layout);
            f
        })
        .collect();
    let pooled = if pooled_second {
        let mut p = estimate(strata, Design::Pooled, dopts)?;
        guard_total(&mut p.figures, (&own, &nest), strata, options);
        Some(p)
    } else {
        None
    };
    let with_data: Vec<&Figures> = each
        .iter()
        .zip(&own)
        .filter(|(e, _)| e.totals.valid > 0)
        .map(|(_, f)| f)
        .collect();
    let mut totals = Totals::default();
    for e in &each {
        totals.add_totals(&e.totals);
    }
    let invited = each.iter().map(|e| e.invited).sum();
    let figures = match (&pooled, with_data.is_empty()) {
        (Some(p), true) => p.figures.clone(),
        (None, true) => return Ok(None),
        (_, false) => mean_of(&with_data, options.level, &options.thresholds),
    };
    let in_mean = figures.root().and_then(|r| r.agencies).unwrap_or(0);
    let smallest_group = strata.smallest_group();
    Ok(Some(Headline {
        figures,
        second: pooled.map(|p| p.figures),
        totals,
        invited,
        design,
        aggregate: Some(Aggregate::Mean),
        agencies_with_data: Some(with_data.len()),
        agencies_in_mean: Some(in_mean),
        smallest_group,
        members: each.iter().map(|e| e.totals.options.clone()).collect(),
        nest,
        published_members: own,
    }))
}

/// Each member agency's own figures from `strata`, as its own result suppresses them: the bases
/// and suppression alone (`estimate::bases`), all a subtree's guard reads of them.
fn member_figures(strata: &Strata, dopts: &DomainOptions) -> Result<Vec<Figures>, EstimateError> {
    let layout = Layout::of(&strata.shape.tree.root);
    let ids: Vec<Uuid> = strata.agencies();
    on_all_cores(&ids, |a| {
        let mut f = bases(&strata.of_agency(*a), dopts)?;
        within(&mut f, &layout);
        Ok(f)
    })
    .into_iter()
    .collect()
}

/// Suppresses what a subtree's pooled total would give back of a member whose own result hides
/// it: the total minus what the other members and the subtrees inside it publish
/// (`suppression::over_members`). `members` are as their own results publish them ([`within`]
/// applied), in the order of `strata.agencies()`, which `nest` is over.
fn guard_total(
    total: &mut Figures,
    (members, nest): (&[Figures], &Nest),
    strata: &Strata,
    options: &Options,
) {
    let layout = Layout::of(&strata.shape.tree.root);
    let members: Vec<Option<&Figures>> = members.iter().map(Some).collect();
    let below = options.thresholds.suppress_below;
    over_members(total, (&members, nest), &layout, below);
}
