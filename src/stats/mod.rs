//! The statistics core: SIPAS satisfaction indices with their uncertainty, as pure functions.
//!
//! What belongs here (the methods the reference vectors of `tests/vectors/` check):
//! - quantiles through `statrs`, with Cornish–Fisher for Student t at `df >= 1000`
//!   ([`quantile`]);
//! - single-proportion intervals: Wilson (default), Wilson-cc, Agresti–Coull, Clopper–Pearson,
//!   Jeffreys (BCD), Wald, and Wilson with a Kish effective n ([`proportion`]);
//! - the analysis sample (strata, weights, fpc), item counts, per-respondent linearised scores
//!   and the stratified variance ([`design`]); the same sample known only by its sufficient
//!   statistics, which can be stored and summed ([`moments`]);
//! - index trees (a node is the mean of its children with data), item and node estimates with
//!   design effects, effective n and intervals, and the mean of independent agency indices
//!   ([`composite`]);
//! - pairwise differences and Bonferroni rank intervals ([`ranking`]);
//! - sample-size planning and achieved margins ([`sample_size`]);
//! - suppression and reliability flags ([`reliability`]);
//! - PAR points and presentation rounding ([`par`]).
//!
//! What does not: HTTP, storage, configuration loading, labels. This module imports neither
//! actix nor sea-orm and never panics on any input: samples, trees and plans report invalid
//! input as a [`StatsError`]; numeric primitives (quantiles, single intervals) return `None`
//! where they are undefined; missing data (an item nobody answered) is a `None` in the results.
//! Shares and indices are fractions in [0, 1]: multiply by 100 only for display.

pub mod bases;
pub mod composite;
pub mod design;
pub mod error;
pub mod moments;
pub mod par;
pub mod proportion;
pub mod quantile;
pub mod ranking;
pub mod reliability;
pub mod sample_size;

#[cfg(test)]
mod vectors;

/// Float predicates shared by the submodules; each is false for NaN.
mod check {
    /// `x ∈ [0, 1]`.
    pub(super) fn unit(x: f64) -> bool {
        (0.0..=1.0).contains(&x)
    }

    /// `x ∈ (0, 1)`.
    pub(super) fn open_unit(x: f64) -> bool {
        x > 0.0 && x < 1.0
    }

    /// `x ∈ (0, 1]`.
    pub(super) fn half_open_unit(x: f64) -> bool {
        x > 0.0 && x <= 1.0
    }

    /// `x` finite and `> 0`.
    pub(super) fn positive(x: f64) -> bool {
        x > 0.0 && x.is_finite()
    }

    /// `x` finite and `>= 0`.
    pub(super) fn non_negative(x: f64) -> bool {
        x >= 0.0 && x.is_finite()
    }
}

pub use bases::{DomainBases, domain_bases};
pub use composite::{
    CompositeMethod, DomainEstimate, DomainOptions, IndependentEstimate, IndexNode, ItemEstimate,
    ItemIntervalMethod, NodeChild, NodeEstimate, composite_interval, estimate_domain, interval_se,
    logit_t_interval, mean_of_independent, t_interval,
};
pub use design::{
    Design, ItemCounts, Respondent, Sample, StratumInfo, Weighting, item_counts, linearised_scores,
    satisfied_from_likert, stratified_variance,
};
pub use error::StatsError;
pub use moments::{MomentSample, Moments, Subsets};
pub use par::{par_interval, par_points, round_half_up, rounded_points};
pub use proportion::{
    Interval, ProportionMethod, agresti_coull, clopper_pearson, effective_n, jeffreys_bcd,
    jeffreys_unmodified, proportion_ci, wald, wilson, wilson_cc, wilson_effective, wilson_score,
};
pub use quantile::{
    beta_quantile, cornish_fisher_t_quantile, normal_quantile, students_t_quantile, t_critical,
    z_critical,
};
pub use ranking::{
    Difference, PairComparison, Ranking, UnitEstimate, UnitRank, difference, pair_comparisons,
    rank_intervals,
};
pub use reliability::{Reliability, ReliabilityThresholds};
pub use sample_size::{SampleSize, SampleSizePlan, achieved_margin, cochran, yamane};
