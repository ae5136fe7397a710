//! Sample-size planning and achieved margins of error: Cochran with fpc, design effect and
//! response rate (`docs/statistics.md` §5.3), Yamane (`docs/methodology.md` §5.1), and the achieved
//! margin with the finite population correction (`docs/methodology.md` §5.4).

use serde::{Deserialize, Serialize};

use super::check::{half_open_unit, positive, unit};
use super::error::StatsError;
use super::quantile::z_critical;

/// Subtracted before `ceil` so that a value that is an integer up to rounding error is not
/// rounded up to the next one.
const CEIL_GUARD: f64 = 1e-9;

/// Inputs of [`cochran`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SampleSizePlan {
    /// Target half-width `e` of the interval, as a fraction (0.05 = ±5 points).
    pub half_width: f64,
    /// Confidence level, e.g. 0.95.
    pub confidence: f64,
    /// Planning value of the proportion (0.5 is the worst case).
    pub p_planning: f64,
    /// Population size `N` for the fpc; `None` for an infinite population.
    pub population: Option<u64>,
    /// Anticipated design effect relative to SRS without replacement (1 for SRS).
    pub deff: f64,
    /// Expected response rate in (0, 1].
    pub response_rate: f64,
}

/// Result of [`cochran`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SampleSize {
    /// `z_{1−α/2}`.
    pub z: f64,
    /// `n0 = z² p(1−p) / e²` (unrounded).
    pub n0: f64,
    /// `n0 N / (N − 1 + n0)`, or `n0` without `N` (unrounded).
    pub n_after_fpc: f64,
    /// `ceil(deff · n_after_fpc / response_rate)`: respondents to invite.
    pub n_required: u64,
}

fn invalid(name: &'static str, value: f64, requirement: &'static str) -> StatsError {
    StatsError::InvalidParameter {
        name,
        value,
        requirement,
    }
}

/// Cochran's sample size for a proportion with the finite population correction, a design
/// effect applied after the fpc, and the response rate (as samplics `calculate_ss_wald_prop`).
///
/// # Errors
/// [`StatsError::InvalidConfidence`] for a confidence outside (0, 1) and
/// [`StatsError::InvalidParameter`] for `half_width ∉ (0, 1]`, `p_planning ∉ [0, 1]`, `N = 0`,
/// `deff` not finite and positive, or `response_rate ∉ (0, 1]`.
pub fn cochran(plan: &SampleSizePlan) -> Result<SampleSize, StatsError> {
    let z = z_critical(plan.confidence).ok_or(StatsError::InvalidConfidence(plan.confidence))?;
    let e = plan.half_width;
    if !half_open_unit(e) {
        return Err(invalid("half_width", e, "must be in (0, 1]"));
    }
    let p = plan.p_planning;
    if !unit(p) {
        return Err(invalid("p_planning", p, "must be in [0, 1]"));
    }
    if !positive(plan.deff) {
        return Err(invalid("deff", plan.deff, "must be finite and positive"));
    }
    let r = plan.response_rate;
    if !half_open_unit(r) {
        return Err(invalid("response_rate", r, "must be in (0, 1]"));
    }
    let n0 = z * z * p * (1.0 - p) / (e * e);
    let n_after_fpc = match plan.population {
        None => n0,
        Some(0) => return Err(invalid("population", 0.0, "must be positive")),
        Some(big_n) => {
            let big_n = big_n as f64;
            n0 * big_n / (big_n - 1.0 + n0)
        }
    };
    Ok(SampleSize {
        z,
        n0,
        n_after_fpc,
        n_required: ceil_guarded(plan.deff * n_after_fpc / r),
    })
}

/// Yamane's formula as the methodology states it: `n = ceil(N / (1 + N e²))`.
///
/// # Errors
/// [`StatsError::InvalidParameter`] for `e ∉ (0, 1]`.
pub fn yamane(population: u64, half_width: f64) -> Result<u64, StatsError> {
    let e = half_width;
    if !half_open_unit(e) {
        return Err(invalid("half_width", e, "must be in (0, 1]"));
    }
    let big_n = population as f64;
    Ok(ceil_guarded(big_n / (1.0 + big_n * e * e)).min(population))
}

/// The achieved margin of error of a share `p` from `n` respondents out of a population `N`:
/// `z √(p(1−p)/n) √((N − n)/(N − 1))` (`docs/methodology.md` §5.4); without `N`, no
/// correction. 0 when `n = N`.
///
/// Returns `None` for `n = 0`, `n > N`, `p ∉ [0, 1]` or a confidence outside (0, 1).
pub fn achieved_margin(p: f64, n: u64, population: Option<u64>, confidence: f64) -> Option<f64> {
    if n == 0 || !unit(p) {
        return None;
    }
    let z = z_critical(confidence)?;
    let srs = z * (p * (1.0 - p) / n as f64).sqrt();
    match population {
        None => Some(srs),
        Some(big_n) if n > big_n => None,
        Some(big_n) if n == big_n => Some(0.0),
        Some(big_n) => Some(srs * ((big_n - n) as f64 / (big_n - 1) as f64).sqrt()),
    }
}

/// `ceil(x − 1e-9)` as an integer, 0 for non-positive input.
fn ceil_guarded(x: f64) -> u64 {
    let c = (x - CEIL_GUARD).ceil();
    // `as` saturates for huge values; negative values are clamped to 0 first.
    if c > 0.0 { c as u64 } else { 0 }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn plan() -> SampleSizePlan {
        SampleSizePlan {
            half_width: 0.05,
            confidence: 0.95,
            p_planning: 0.5,
            population: None,
            deff: 1.0,
            response_rate: 1.0,
        }
    }

    #[test]
    fn rejects_bad_plans() {
        let bad = [
            SampleSizePlan {
                half_width: 0.0,
                ..plan()
            },
            SampleSizePlan {
                p_planning: 1.5,
                ..plan()
            },
            SampleSizePlan {
                population: Some(0),
                ..plan()
            },
            SampleSizePlan {
                deff: f64::NAN,
                ..plan()
            },
            SampleSizePlan {
                response_rate: 0.0,
                ..plan()
            },
        ];
        for b in bad {
            assert!(
                matches!(cochran(&b), Err(StatsError::InvalidParameter { .. })),
                "{b:?}"
            );
        }
        let b = SampleSizePlan {
            confidence: 1.0,
            ..plan()
        };
        assert_eq!(cochran(&b), Err(StatsError::InvalidConfidence(1.0)));
    }

    #[test]
    fn yamane_examples() {
        // docs/methodology.md §5.1 and T13: N = 10 000 → 384.6 → 385.
        assert_eq!(yamane(10_000, 0.05), Ok(385));
        // N = 450 → 212 (§5.4 example); N = 400 → exactly 200, not 201.
        assert_eq!(yamane(450, 0.05), Ok(212));
        assert_eq!(yamane(400, 0.05), Ok(200));
        assert_eq!(yamane(0, 0.05), Ok(0));
        assert_eq!(yamane(1, 0.05), Ok(1));
        assert!(yamane(100, 0.0).is_err());
    }

    #[test]
    fn achieved_margin_example_x8() {
        // N = 450, n = 212, p = 0.5: 4.90 points with the fpc, 6.73 without.
        let with = achieved_margin(0.5, 212, Some(450), 0.95).unwrap();
        let without = achieved_margin(0.5, 212, None, 0.95).unwrap();
        assert!((with * 100.0 - 4.90).abs() < 0.005, "{with}");
        assert!((without * 100.0 - 6.73).abs() < 0.005, "{without}");
        assert_eq!(achieved_margin(0.5, 450, Some(450), 0.95), Some(0.0));
        assert_eq!(achieved_margin(0.5, 451, Some(450), 0.95), None);
        assert_eq!(achieved_margin(0.5, 0, None, 0.95), None);
    }

    #[test]
    fn fpc_never_asks_for_more_than_the_population() {
        for big_n in [1_u64, 2, 10, 300, 5000] {
            let s = cochran(&SampleSizePlan {
                population: Some(big_n),
                ..plan()
            })
            .unwrap();
            assert!(s.n_required <= big_n, "N = {big_n}: {}", s.n_required);
        }
    }
}
