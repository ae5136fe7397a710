//! Comparing independent units (agencies, cells, periods): pairwise differences and rank
//! intervals with joint coverage (`docs/statistics.md` §5.1–5.2; Klein, Wright & Wieczorek 2020).

use serde::{Deserialize, Serialize};
use statrs::function::erf::erfc;

use super::check::non_negative;
use super::proportion::Interval;
use super::quantile::{alpha, normal_quantile, z_critical};

/// An estimate and its standard error for one unit, from a sample independent of the others'.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UnitEstimate {
    /// The estimate (e.g. an overall index).
    pub value: f64,
    /// Its standard error.
    pub se: f64,
}

/// The difference `D = a − b` of two independent estimates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// `value_a − value_b`.
    pub diff: f64,
    /// `√(se_a² + se_b²)`.
    pub se: f64,
    /// `D / SE_D` (infinite when `SE_D = 0` and `D ≠ 0`, NaN when both are 0).
    pub z: f64,
    /// Two-sided normal p-value `2Φ(−|z|)`.
    pub p_value: f64,
    /// `D ± z_{1−α/2}·SE_D`.
    pub ci: Interval,
}

/// The difference of two independent estimates with a two-sided normal interval at
/// `confidence` (e.g. two agencies, or one agency in two periods: `V = V_t + V_{t−1}`).
///
/// Returns `None` for a confidence level outside (0, 1), a non-finite value or a negative SE.
pub fn difference(a: UnitEstimate, b: UnitEstimate, confidence: f64) -> Option<Difference> {
    difference_with_critical(a, b, z_critical(confidence)?)
}

fn difference_with_critical(a: UnitEstimate, b: UnitEstimate, crit: f64) -> Option<Difference> {
    let valid = |u: UnitEstimate| u.value.is_finite() && non_negative(u.se);
    if !(valid(a) && valid(b)) {
        return None;
    }
    let diff = a.value - b.value;
    let se = a.se.hypot(b.se);
    let z = diff / se;
    // 2Φ(−|z|) = erfc(|z|/√2), which keeps its relative accuracy far into the tail.
    let p_value = if z.is_nan() {
        1.0
    } else {
        erfc(z.abs() / std::f64::consts::SQRT_2)
    };
    Some(Difference {
        diff,
        se,
        z,
        p_value,
        ci: Interval {
            lower: diff - crit * se,
            upper: diff + crit * se,
        },
    })
}

/// One pair of [`pair_comparisons`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairComparison {
    /// Index of the first unit in the input.
    pub a: usize,
    /// Index of the second unit in the input.
    pub b: usize,
    /// `a − b` with its per-pair interval at the nominal confidence.
    pub difference: Difference,
    /// `D ± z_{1−α/(K(K−1))}·SE_D`: Bonferroni-adjusted for all pairs jointly.
    pub ci_joint: Interval,
}

/// The rank of one unit with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRank {
    /// Index of the unit in the input.
    pub unit: usize,
    /// Position after sorting by value, descending (1 = best); ties keep input order.
    pub rank: usize,
    /// `1 + #{units significantly better}`.
    pub lower: usize,
    /// `K − #{units significantly worse}`.
    pub upper: usize,
}

/// The rank intervals of `K` units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    /// `z_{1−α/2}`.
    pub z: f64,
    /// `z_{1−α/(K(K−1))}` (equal to `z` for `K = 2`; set to `z` for `K < 2`).
    pub z_joint: f64,
    /// The units in rank order.
    pub ranks: Vec<UnitRank>,
}

/// Ranks `units` by value (descending; ties broken by input order, so sort by name first for a
/// stable tie rule) and gives each a rank interval with joint coverage `>= confidence`: the
/// deterministic Bonferroni construction of Klein, Wright & Wieczorek (2020).
///
/// Returns `None` for a confidence level outside (0, 1), or a non-finite value or negative SE.
/// With one unit the rank is `[1, 1]`; with none the ranking is empty.
pub fn rank_intervals(units: &[UnitEstimate], confidence: f64) -> Option<Ranking> {
    let a = alpha(confidence)?;
    let z = z_critical(confidence)?;
    if units
        .iter()
        .any(|u| !(u.value.is_finite() && non_negative(u.se)))
    {
        return None;
    }
    let k = units.len();
    let z_joint = if k >= 2 {
        normal_quantile(1.0 - a / (k * (k - 1)) as f64)?
    } else {
        z
    };
    // better[i] / worse[i]: units significantly above / below unit i. Only the joint interval's
    // sign counts here (no p-value, no list of the K(K−1)/2 pairs: a thousand agencies are half
    // a million pairs); [`pair_comparisons`] lists them.
    let mut better = vec![0_usize; k];
    let mut worse = vec![0_usize; k];
    for i in 0..k {
        for j in (i + 1)..k {
            let (ui, uj) = (*units.get(i)?, *units.get(j)?);
            let diff = ui.value - uj.value;
            let se = ui.se.hypot(uj.se);
            if diff - z_joint * se > 0.0 {
                *better.get_mut(j)? += 1;
                *worse.get_mut(i)? += 1;
            } else if diff + z_joint * se < 0.0 {
                *better.get_mut(i)? += 1;
                *worse.get_mut(j)? += 1;
            }
        }
    }
    let mut order: Vec<usize> = (0..k).collect();
    // Stable sort: equal values keep input order.
    order.sort_by(|&i, &j| {
        let (vi, vj) = (units.get(i).map(|u| u.value), units.get(j).map(|u| u.value));
        vj.partial_cmp(&vi).unwrap_or(std::cmp::Ordering::Equal)
    });
    let ranks = order
        .iter()
        .enumerate()
        .map(|(pos, &unit)| UnitRank {
            unit,
            rank: pos + 1,
            lower: 1 + better.get(unit).copied().unwrap_or(0),
            upper: k - worse.get(unit).copied().unwrap_or(0),
        })
        .collect();
    Some(Ranking { z, z_joint, ranks })
}

/// Every pair `(a, b)`, `a < b` in input order, of `units` compared: the difference with its
/// interval at `confidence`, and the Bonferroni-adjusted interval of [`rank_intervals`].
///
/// Returns `None` as [`rank_intervals`] does.
pub fn pair_comparisons(units: &[UnitEstimate], confidence: f64) -> Option<Vec<PairComparison>> {
    let a = alpha(confidence)?;
    let z = z_critical(confidence)?;
    let k = units.len();
    let z_joint = if k >= 2 {
        normal_quantile(1.0 - a / (k * (k - 1)) as f64)?
    } else {
        z
    };
    let mut pairs = Vec::with_capacity(k * k.saturating_sub(1) / 2);
    for i in 0..k {
        for j in (i + 1)..k {
            let (ui, uj) = (*units.get(i)?, *units.get(j)?);
            pairs.push(PairComparison {
                a: i,
                b: j,
                difference: difference_with_critical(ui, uj, z)?,
                ci_joint: difference_with_critical(ui, uj, z_joint)?.ci,
            });
        }
    }
    Some(pairs)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn u(value: f64, se: f64) -> UnitEstimate {
        UnitEstimate { value, se }
    }

    #[test]
    fn difference_of_independent_estimates() {
        let d = difference(u(0.8, 0.03), u(0.7, 0.04), 0.95).unwrap();
        assert!((d.diff - 0.1).abs() < 1e-15);
        assert!((d.se - 0.05).abs() < 1e-15);
        assert!((d.z - 2.0).abs() < 1e-12);
        // 2Φ(−2) = 0.0455002638963584; statrs' erfc is within ~5e-11 relative of it here.
        assert!((d.p_value - 0.045_500_263_896_358_4).abs() < 1e-11);
        assert!(d.ci.lower > 0.0);
        assert_eq!(difference(u(0.8, -0.1), u(0.7, 0.04), 0.95), None);
        assert_eq!(difference(u(0.8, 0.1), u(0.7, 0.04), 1.0), None);
    }

    #[test]
    fn clearly_separated_units_get_point_ranks() {
        let units = [u(0.5, 0.01), u(0.9, 0.01), u(0.7, 0.01)];
        let r = rank_intervals(&units, 0.95).unwrap();
        let got: Vec<(usize, usize, usize, usize)> = r
            .ranks
            .iter()
            .map(|x| (x.unit, x.rank, x.lower, x.upper))
            .collect();
        assert_eq!(got, vec![(1, 1, 1, 1), (2, 2, 2, 2), (0, 3, 3, 3)]);
        assert_eq!(pair_comparisons(&units, 0.95).unwrap().len(), 3);
    }

    #[test]
    fn indistinguishable_units_span_all_ranks() {
        let r = rank_intervals(&[u(0.70, 0.05), u(0.71, 0.05), u(0.72, 0.05)], 0.95).unwrap();
        assert!(r.ranks.iter().all(|x| x.lower == 1 && x.upper == 3));
        // Ties keep input order.
        let r = rank_intervals(&[u(0.7, 0.05), u(0.7, 0.05)], 0.95).unwrap();
        assert_eq!(r.ranks[0].unit, 0);
        assert_eq!(r.ranks[1].rank, 2);
    }

    #[test]
    fn degenerate_inputs() {
        let r = rank_intervals(&[], 0.95).unwrap();
        assert!(r.ranks.is_empty());
        assert_eq!(pair_comparisons(&[], 0.95), Some(Vec::new()));
        let r = rank_intervals(&[u(0.5, 0.1)], 0.95).unwrap();
        assert_eq!((r.ranks[0].lower, r.ranks[0].upper), (1, 1));
        assert_eq!(rank_intervals(&[u(f64::NAN, 0.1)], 0.95), None);
        assert_eq!(rank_intervals(&[u(0.5, 0.1)], 0.0), None);
    }
}
