//! Confidence intervals for a single proportion `x / n` (`docs/statistics.md` §2), and Wilson with a
//! Kish effective sample size for weighted or stratified items (§4.8).
//!
//! Every interval is two-sided and lies inside [0, 1]. The bounds that are exact at the edges
//! (`lower = 0` at `x = 0`, `upper = 1` at `x = n`) are set explicitly rather than left to
//! floating point. Every function returns `None` for `n = 0`, `x > n` or a confidence level
//! outside (0, 1).

use serde::{Deserialize, Serialize};

use super::check::{non_negative, positive, unit};
use super::quantile::{alpha, beta_quantile, z_critical};

/// A closed interval `[lower, upper]` of fractions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

impl Interval {
    /// `upper − lower`.
    pub fn width(&self) -> f64 {
        self.upper - self.lower
    }

    /// Whether `value` lies inside the closed interval.
    pub fn contains(&self, value: f64) -> bool {
        self.lower <= value && value <= self.upper
    }

    /// Both bounds multiplied by `factor` (e.g. 100 for percentages, `max_points` for PAR).
    pub fn scaled(&self, factor: f64) -> Interval {
        Interval {
            lower: self.lower * factor,
            upper: self.upper * factor,
        }
    }

    /// The interval clipped to [0, 1].
    pub fn clipped_to_unit(&self) -> Interval {
        Interval {
            lower: self.lower.clamp(0.0, 1.0),
            upper: self.upper.clamp(0.0, 1.0),
        }
    }
}

/// A method for the interval of one proportion from unweighted counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProportionMethod {
    /// Wilson score (the default).
    #[default]
    Wilson,
    /// Wilson score with continuity correction (Newcombe 1998, method 4; scipy's `wilsoncc`).
    WilsonCc,
    /// Agresti–Coull with the general-z form.
    AgrestiCoull,
    /// Clopper–Pearson ("exact", Beta quantiles).
    ClopperPearson,
    /// Jeffreys equal-tailed, with the Brown–Cai–DasGupta boundary modification.
    JeffreysBcd,
    /// Wald (normal approximation), for compatibility only.
    Wald,
}

/// The interval of `method` for `x` successes out of `n`.
///
/// Returns `None` for `n = 0`, `x > n` or a confidence level outside (0, 1).
pub fn proportion_ci(
    method: ProportionMethod,
    x: u64,
    n: u64,
    confidence: f64,
) -> Option<Interval> {
    match method {
        ProportionMethod::Wilson => wilson(x, n, confidence),
        ProportionMethod::WilsonCc => wilson_cc(x, n, confidence),
        ProportionMethod::AgrestiCoull => agresti_coull(x, n, confidence),
        ProportionMethod::ClopperPearson => clopper_pearson(x, n, confidence),
        ProportionMethod::JeffreysBcd => jeffreys_bcd(x, n, confidence),
        ProportionMethod::Wald => wald(x, n, confidence),
    }
}

/// Checks `0 < n`, `x <= n` and returns `(p̂, n)` as floats.
fn counts(x: u64, n: u64) -> Option<(f64, f64)> {
    (n > 0 && x <= n).then(|| (x as f64 / n as f64, n as f64))
}

/// Wald: `p̂ ± z√(p̂(1−p̂)/n)`, clipped to [0, 1]; a point at `x = 0` and `x = n`.
///
/// Returns `None` for `n = 0`, `x > n` or a confidence level outside (0, 1).
pub fn wald(x: u64, n: u64, confidence: f64) -> Option<Interval> {
    let (p, nf) = counts(x, n)?;
    let z = z_critical(confidence)?;
    let half = z * (p * (1.0 - p) / nf).sqrt();
    Some(
        Interval {
            lower: p - half,
            upper: p + half,
        }
        .clipped_to_unit(),
    )
}

/// Wilson score interval on the counts `(x, n)`: exactly 0 below at `x = 0` and 1 above at
/// `x = n`.
///
/// Returns `None` for `n = 0`, `x > n` or a confidence level outside (0, 1).
pub fn wilson(x: u64, n: u64, confidence: f64) -> Option<Interval> {
    let (p, nf) = counts(x, n)?;
    wilson_score(p, nf, z_critical(confidence)?)
}

/// Wilson score interval for a share `p` and a real-valued sample size `n` (an effective n, or
/// the number of respondents for the degenerate-composite fallback), with critical value `z`.
///
/// `lower` is exactly 0 when `p = 0` and `upper` exactly 1 when `p = 1`. Returns `None` unless
/// `0 <= p <= 1`, `n > 0` is finite and `z >= 0` is finite.
pub fn wilson_score(p: f64, n: f64, z: f64) -> Option<Interval> {
    if !(unit(p) && positive(n) && non_negative(z)) {
        return None;
    }
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    let mut ci = Interval {
        lower: centre - half,
        upper: centre + half,
    }
    .clipped_to_unit();
    if p == 0.0 {
        ci.lower = 0.0;
    }
    if p == 1.0 {
        ci.upper = 1.0;
    }
    Some(ci)
}

/// Kish effective sample size `n_eff = p(1−p)/V` of a share with design variance `variance`,
/// falling back to `n_answered` when `V = 0` (which happens when `p ∈ {0, 1}`).
///
/// Not capped: with a large fpc it can exceed `n_answered` (`docs/statistics.md` §4.6). Returns
/// `None` if `p ∉ [0, 1]`, the variance is negative or not finite, or the fallback is needed and
/// `n_answered = 0`.
pub fn effective_n(p: f64, variance: f64, n_answered: u64) -> Option<f64> {
    if !(unit(p) && non_negative(variance)) {
        return None;
    }
    if variance > 0.0 {
        let n_eff = p * (1.0 - p) / variance;
        if n_eff > 0.0 && n_eff.is_finite() {
            return Some(n_eff);
        }
    }
    (n_answered > 0).then_some(n_answered as f64)
}

/// Wilson score with the weighted share `p` and `n` replaced by [`effective_n`]
/// (`docs/statistics.md` §4.8; Franco et al. 2019).
///
/// Returns `None` when [`effective_n`] does or the confidence level is outside (0, 1).
pub fn wilson_effective(
    p: f64,
    variance: f64,
    n_answered: u64,
    confidence: f64,
) -> Option<Interval> {
    let n_eff = effective_n(p, variance, n_answered)?;
    wilson_score(p, n_eff, z_critical(confidence)?)
}

/// Wilson score with continuity correction (Newcombe 1998, method 4), as scipy's
/// `binomtest(x, n).proportion_ci(method="wilsoncc")`; `lower := 0` at `x = 0`, `upper := 1` at
/// `x = n`.
///
/// Returns `None` for `n = 0`, `x > n` or a confidence level outside (0, 1).
pub fn wilson_cc(x: u64, n: u64, confidence: f64) -> Option<Interval> {
    let (p, nf) = counts(x, n)?;
    let z = z_critical(confidence)?;
    let q = 1.0 - p;
    let z2 = z * z;
    let denom = 2.0 * (nf + z2);
    // Both radicands are at least z² + 2 − 1/n > 0 whenever the bound is computed.
    let lower = if x == 0 {
        0.0
    } else {
        let root = (z2 - 2.0 - 1.0 / nf + 4.0 * p * (nf * q + 1.0)).sqrt();
        (2.0 * nf * p + z2 - 1.0 - z * root) / denom
    };
    let upper = if x == n {
        1.0
    } else {
        let root = (z2 + 2.0 - 1.0 / nf + 4.0 * p * (nf * q - 1.0)).sqrt();
        (2.0 * nf * p + z2 + 1.0 + z * root) / denom
    };
    Some(Interval { lower, upper }.clipped_to_unit())
}

/// Agresti–Coull, general-z form: `ñ = n + z²`, `p̃ = (x + z²/2)/ñ`, `p̃ ± z√(p̃(1−p̃)/ñ)`,
/// clipped to [0, 1].
///
/// Returns `None` for `n = 0`, `x > n` or a confidence level outside (0, 1).
pub fn agresti_coull(x: u64, n: u64, confidence: f64) -> Option<Interval> {
    counts(x, n)?;
    let z = z_critical(confidence)?;
    let z2 = z * z;
    let n_tilde = n as f64 + z2;
    let p_tilde = (x as f64 + z2 / 2.0) / n_tilde;
    let half = z * (p_tilde * (1.0 - p_tilde) / n_tilde).sqrt();
    Some(
        Interval {
            lower: p_tilde - half,
            upper: p_tilde + half,
        }
        .clipped_to_unit(),
    )
}

/// Clopper–Pearson: `[B⁻¹(α/2; x, n−x+1), B⁻¹(1−α/2; x+1, n−x)]`, with the trivial bounds and
/// the closed forms `1 − (α/2)^{1/n}` (x = 0) and `(α/2)^{1/n}` (x = n) at the edges.
///
/// Returns `None` for `n = 0`, `x > n`, a confidence level outside (0, 1), or where
/// [`beta_quantile`] has no answer (`n > 10⁶` or `α/2 < 1e-10`, away from the closed forms).
pub fn clopper_pearson(x: u64, n: u64, confidence: f64) -> Option<Interval> {
    let (_, nf) = counts(x, n)?;
    let a2 = alpha(confidence)? / 2.0;
    let (xf, nx) = (x as f64, (n - x) as f64);
    // (α/2)^{1/n} computed as exp(ln(α/2)/n) so that 1 − it keeps its digits for large n.
    let root = (a2.ln() / nf).exp();
    let lower = if x == 0 {
        0.0
    } else if x == n {
        root
    } else {
        beta_quantile(xf, nx + 1.0, a2)?
    };
    let upper = if x == n {
        1.0
    } else if x == 0 {
        -(a2.ln() / nf).exp_m1()
    } else {
        beta_quantile(xf + 1.0, nx, 1.0 - a2)?
    };
    Some(Interval { lower, upper })
}

/// Jeffreys, unmodified: the equal-tailed quantiles `α/2`, `1−α/2` of `Beta(x+½, n−x+½)`, also
/// at `x = 0` and `x = n` (statsmodels' `jeffreys`). Kept for comparison; the service uses
/// [`jeffreys_bcd`].
///
/// Returns `None` for `n = 0`, `x > n`, a confidence level outside (0, 1), or where
/// [`beta_quantile`] has no answer (`n > 10⁶` or `α/2 < 1e-10`, away from the closed forms).
pub fn jeffreys_unmodified(x: u64, n: u64, confidence: f64) -> Option<Interval> {
    counts(x, n)?;
    let a2 = alpha(confidence)? / 2.0;
    let (a, b) = (x as f64 + 0.5, (n - x) as f64 + 0.5);
    Some(Interval {
        lower: beta_quantile(a, b, a2)?,
        upper: beta_quantile(a, b, 1.0 - a2)?,
    })
}

/// Jeffreys with the Brown–Cai–DasGupta (2001, §4.1.2) modification: as
/// [`jeffreys_unmodified`] but `lower := 0` at `x = 0` and `upper := 1` at `x = n`.
///
/// Returns `None` for `n = 0`, `x > n`, a confidence level outside (0, 1), or where
/// [`beta_quantile`] has no answer (`n > 10⁶` or `α/2 < 1e-10`, away from the closed forms).
pub fn jeffreys_bcd(x: u64, n: u64, confidence: f64) -> Option<Interval> {
    counts(x, n)?;
    let a2 = alpha(confidence)? / 2.0;
    let (a, b) = (x as f64 + 0.5, (n - x) as f64 + 0.5);
    let lower = if x == 0 {
        0.0
    } else {
        beta_quantile(a, b, a2)?
    };
    let upper = if x == n {
        1.0
    } else {
        beta_quantile(a, b, 1.0 - a2)?
    };
    Some(Interval { lower, upper })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const ALL: [ProportionMethod; 6] = [
        ProportionMethod::Wilson,
        ProportionMethod::WilsonCc,
        ProportionMethod::AgrestiCoull,
        ProportionMethod::ClopperPearson,
        ProportionMethod::JeffreysBcd,
        ProportionMethod::Wald,
    ];

    #[test]
    fn invalid_input_gives_none() {
        for m in ALL {
            assert_eq!(proportion_ci(m, 0, 0, 0.95), None, "{m:?} n = 0");
            assert_eq!(proportion_ci(m, 3, 2, 0.95), None, "{m:?} x > n");
            assert_eq!(proportion_ci(m, 1, 2, 1.0), None, "{m:?} confidence 1");
            assert_eq!(
                proportion_ci(m, 1, 2, f64::NAN),
                None,
                "{m:?} confidence NaN"
            );
        }
        assert_eq!(jeffreys_unmodified(0, 0, 0.95), None);
        assert_eq!(wilson_score(1.2, 10.0, 1.96), None);
        assert_eq!(wilson_score(0.5, 0.0, 1.96), None);
        assert_eq!(wilson_score(0.5, f64::INFINITY, 1.96), None);
        assert_eq!(effective_n(0.5, -1.0, 10), None);
        assert_eq!(effective_n(1.0, 0.0, 0), None);
    }

    #[test]
    fn exact_bounds_at_the_edges() {
        for m in ALL {
            for n in [1, 2, 10, 10_000] {
                let lo = proportion_ci(m, 0, n, 0.95).unwrap();
                let hi = proportion_ci(m, n, n, 0.95).unwrap();
                assert_eq!(lo.lower, 0.0, "{m:?} 0/{n}");
                assert_eq!(hi.upper, 1.0, "{m:?} {n}/{n}");
                assert!(lo.upper >= 0.0 && hi.lower <= 1.0);
            }
        }
        // Wilson's upper bound at x = n is exactly 1, not 0.9999999999999999.
        assert_eq!(wilson(10, 10, 0.95).unwrap().upper, 1.0);
    }

    #[test]
    fn intervals_contain_the_estimate_and_stay_in_the_unit_interval() {
        for m in ALL {
            for (x, n) in [(0, 1), (1, 1), (1, 3), (5, 10), (81, 100), (9999, 10_000)] {
                for c in [0.8, 0.95, 0.999] {
                    let ci = proportion_ci(m, x, n, c).unwrap();
                    let p = x as f64 / n as f64;
                    assert!(ci.contains(p), "{m:?} {x}/{n} at {c}: {ci:?}");
                    assert!(0.0 <= ci.lower && ci.upper <= 1.0);
                }
            }
        }
    }

    #[test]
    fn wilson_is_symmetric_under_swapping_successes_and_failures() {
        let a = wilson(3, 17, 0.9).unwrap();
        let b = wilson(14, 17, 0.9).unwrap();
        assert!((a.lower - (1.0 - b.upper)).abs() < 1e-15);
        assert!((a.upper - (1.0 - b.lower)).abs() < 1e-15);
    }

    #[test]
    fn beta_intervals_outside_the_verified_range_are_none_not_a_hang() {
        let n = 10_000_000;
        assert_eq!(clopper_pearson(n / 2, n, 0.95), None);
        assert_eq!(jeffreys_bcd(1, n, 0.95), None);
        // The edges of Clopper–Pearson are closed forms and need no solver.
        let ci = clopper_pearson(0, n, 0.95).unwrap();
        assert!(ci.upper > 0.0 && ci.upper < 1e-6);
        assert!(wilson(n / 2, n, 0.95).is_some());
    }

    #[test]
    fn clopper_pearson_closed_form_at_n_1() {
        // x = 0, n = 1: upper = 1 − α/2; x = 1: lower = α/2.
        let ci = clopper_pearson(0, 1, 0.95).unwrap();
        assert!((ci.upper - 0.975).abs() < 1e-15);
        let ci = clopper_pearson(1, 1, 0.95).unwrap();
        assert!((ci.lower - 0.025).abs() < 1e-15);
    }

    #[test]
    fn effective_n_wilson_equals_count_wilson_when_n_eff_is_n() {
        // An SRS-with-replacement variance p(1−p)/n gives n_eff = n and the plain Wilson interval.
        let (x, n) = (37_u64, 52_u64);
        let p = x as f64 / n as f64;
        let v = p * (1.0 - p) / n as f64;
        assert!((effective_n(p, v, n).unwrap() - n as f64).abs() < 1e-9);
        let a = wilson_effective(p, v, n, 0.95).unwrap();
        let b = wilson(x, n, 0.95).unwrap();
        assert!((a.lower - b.lower).abs() < 1e-12 && (a.upper - b.upper).abs() < 1e-12);
        // V = 0 falls back to n_answered.
        assert_eq!(effective_n(1.0, 0.0, 7), Some(7.0));
    }

    #[test]
    fn method_serialises_in_snake_case() {
        let s = serde_json::to_string(&ProportionMethod::JeffreysBcd).unwrap();
        assert_eq!(s, "\"jeffreys_bcd\"");
        assert_eq!(ProportionMethod::default(), ProportionMethod::Wilson);
    }
}
