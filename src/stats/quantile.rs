//! Quantiles of the Normal, Student t and Beta distributions, and the critical values built on
//! them.
//!
//! Everything goes through `statrs` 0.19.1 except the Student t quantile at `df >= 1000`, where
//! statrs is wrong (by 1.2e-4 at df = 1e6 and 0.13 at df = 1e7, see `docs/statistics.md` §3.3) and the
//! 4-term Cornish–Fisher expansion is used instead. The functions never panic and never hang:
//! statrs' `inverse_cdf` panics outside [0, 1], its Beta solver (also behind the t quantile)
//! panics for probabilities below ~1e-162, loops forever for shapes near 1e7, and returns
//! garbage for roots below ~1e-17 (statrs#435), so arguments are restricted to the range where
//! statrs was measured to be accurate, and `None` is returned outside it.

use statrs::distribution::{Beta, Continuous, ContinuousCDF, Normal, StudentsT};

use super::check::{open_unit, positive, unit};

/// Degrees of freedom from which [`students_t_quantile`] switches from statrs to Cornish–Fisher.
pub const CORNISH_FISHER_MIN_DF: f64 = 1000.0;

/// Smallest tail probability `min(p, 1 − p)` accepted by [`students_t_quantile`] (two-sided
/// confidence up to 0.999998). statrs' t quantile is accurate to 1e-10 relative at df = 1 and
/// p = 1e-6, but off by 10 % at 1e-8.
pub const MIN_T_TAIL: f64 = 1e-6;

/// Smallest tail probability `min(p, 1 − p)` accepted by [`beta_quantile`] for `0 < p < 1`.
pub const MIN_BETA_TAIL: f64 = 1e-10;

/// Largest Beta shape accepted by [`beta_quantile`]: `n + 1` for `n = 10⁶`, the range of
/// `docs/statistics.md` §3.2. statrs' solver does not terminate for Beta(0.5, 8e6) at 0.025.
pub const MAX_BETA_SHAPE: f64 = 1_000_001.0;

/// The quantile `Φ⁻¹(p)` of the standard normal distribution.
///
/// Returns `None` unless `0 < p < 1`.
pub fn normal_quantile(p: f64) -> Option<f64> {
    if !open_unit(p) {
        return None;
    }
    Normal::standard().try_inverse_cdf(p).ok()
}

/// The quantile of Student's t distribution with `df` degrees of freedom.
///
/// `df < 1000` uses statrs' `StudentsT`; `df >= 1000` uses [`cornish_fisher_t_quantile`];
/// `df = +∞` gives the normal quantile. Returns `None` unless `df >= 1` and
/// `MIN_T_TAIL <= p <= 1 − MIN_T_TAIL` ([`MIN_T_TAIL`]).
pub fn students_t_quantile(df: f64, p: f64) -> Option<f64> {
    if !open_unit(p) || p.min(1.0 - p) < MIN_T_TAIL || df.is_nan() || df < 1.0 {
        return None;
    }
    if df >= CORNISH_FISHER_MIN_DF {
        return cornish_fisher_t_quantile(df, p);
    }
    let t = StudentsT::new(0.0, 1.0, df).ok()?;
    // `StudentsT::try_inverse_cdf` is the trait default, which calls the panicking
    // `inverse_cdf`; `p` was checked above.
    let q = t.try_inverse_cdf(p).ok()?;
    q.is_finite().then_some(q)
}

/// The 4-term Cornish–Fisher expansion of the Student t quantile around `z = Φ⁻¹(p)`
/// (Hill 1970; Abramowitz & Stegun 26.7.5).
///
/// Accurate to about 1e-14 for `df >= 1000` (3e-13 at df = 300, 3e-8 at df = 30).
/// Returns `None` unless `0 < p < 1` and `df > 0`; `df = +∞` gives `z`.
pub fn cornish_fisher_t_quantile(df: f64, p: f64) -> Option<f64> {
    if df.is_nan() || df <= 0.0 {
        return None;
    }
    let z = normal_quantile(p)?;
    let z2 = z * z;
    let z3 = z2 * z;
    let z5 = z3 * z2;
    let z7 = z5 * z2;
    let z9 = z7 * z2;
    let g1 = (z3 + z) / 4.0;
    let g2 = (5.0 * z5 + 16.0 * z3 + 3.0 * z) / 96.0;
    let g3 = (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / 384.0;
    let g4 = (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z) / 92160.0;
    let v = df;
    Some(z + g1 / v + g2 / (v * v) + g3 / (v * v * v) + g4 / (v * v * v * v))
}

/// The quantile of the Beta(a, b) distribution, through statrs' `try_inverse_cdf`.
///
/// statrs' result is refined by safeguarded Newton steps on statrs' own CDF. `p = 0` gives 0 and
/// `p = 1` gives 1 without calling the solver.
///
/// Returns `None` unless both shapes are positive and at most [`MAX_BETA_SHAPE`], and `p` is 0,
/// 1, or has `min(p, 1 − p) >= MIN_BETA_TAIL`; also `None` when statrs' answer is not a root
/// of its own CDF to within 1e-6 of the tail probability (statrs#435: roots below ~1e-17 come
/// back as garbage, e.g. for Beta(0.1, 0.1) at 1e-6). Accuracy degrades for shapes above about
/// 1e5, where statrs' CDF itself loses digits (statrs#434): 1.6e-9 relative at 1e6.
pub fn beta_quantile(a: f64, b: f64, p: f64) -> Option<f64> {
    if !(unit(p) && positive(a) && positive(b)) || a.max(b) > MAX_BETA_SHAPE {
        return None;
    }
    let dist = Beta::new(a, b).ok()?;
    if p == 0.0 {
        return Some(0.0);
    }
    if p == 1.0 {
        return Some(1.0);
    }
    let tail = p.min(1.0 - p);
    if tail < MIN_BETA_TAIL {
        return None;
    }
    let mut q = dist.try_inverse_cdf(p).ok()?;
    if !open_unit(q) {
        return None;
    }
    // AS 109's stopping rule (Remark R83) can leave a relative error of ~5e-9 (Beta(1, 1e4) at
    // 0.975). Newton steps on the same statrs CDF finish the convergence; a step is kept only
    // if it lowers the residual, so this never moves away from statrs' own root.
    let mut residual = dist.cdf(q) - p;
    for _ in 0..3 {
        let density = dist.pdf(q);
        if residual == 0.0 || !positive(density) {
            break;
        }
        let next = q - residual / density;
        if !open_unit(next) {
            break;
        }
        let next_residual = dist.cdf(next) - p;
        if next_residual.is_nan() || next_residual.abs() >= residual.abs() {
            break;
        }
        q = next;
        residual = next_residual;
    }
    (residual.abs() <= 1e-6 * tail).then_some(q)
}

/// `α = 1 − confidence`. Returns `None` unless `0 < confidence < 1`.
pub fn alpha(confidence: f64) -> Option<f64> {
    open_unit(confidence).then_some(1.0 - confidence)
}

/// The two-sided normal critical value `z = Φ⁻¹(1 − α/2)` for a confidence level
/// (1.959963984540054 for 0.95).
///
/// Returns `None` unless `0 < confidence < 1`.
pub fn z_critical(confidence: f64) -> Option<f64> {
    normal_quantile(1.0 - alpha(confidence)? / 2.0)
}

/// The two-sided Student t critical value `t_{df, 1 − α/2}` for a confidence level.
///
/// Returns `None` unless `0 < confidence <= 0.999998` and `df >= 1` (see
/// [`students_t_quantile`]).
pub fn t_critical(df: f64, confidence: f64) -> Option<f64> {
    // One estimate asks for the same quantile for each node of its tree, and statrs finds it
    // by iterating on the incomplete beta function (microseconds each): the last one computed
    // on this thread is kept, keyed by the exact bits of its arguments.
    type Kept = Option<((u64, u64), Option<f64>)>;
    thread_local! {
        static LAST: std::cell::Cell<Kept> = const { std::cell::Cell::new(None) };
    }
    let key = (df.to_bits(), confidence.to_bits());
    if let Some((k, q)) = LAST.get()
        && k == key
    {
        return q;
    }
    let q = students_t_quantile(df, 1.0 - alpha(confidence)? / 2.0);
    LAST.set(Some((key, q)));
    q
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_t_quantile_is_the_one_of_its_own_arguments() {
        for (df, confidence) in [
            (5.0, 0.95),
            (30.0, 0.95),
            (5.0, 0.95),
            (5.0, 0.9),
            (5.0, 0.95),
        ] {
            let expected = students_t_quantile(df, 1.0 - (1.0 - confidence) / 2.0);
            assert_eq!(t_critical(df, confidence), expected, "{df} {confidence}");
        }
        assert_eq!(t_critical(0.5, 0.95), None);
        assert_eq!(t_critical(0.5, 0.95), None);
    }

    #[test]
    fn rejects_probabilities_outside_the_open_unit_interval() {
        for p in [0.0, 1.0, -0.1, 1.1, f64::NAN] {
            assert_eq!(normal_quantile(p), None);
            assert_eq!(students_t_quantile(10.0, p), None);
            assert_eq!(students_t_quantile(1e6, p), None);
        }
        assert_eq!(beta_quantile(2.0, 3.0, -0.1), None);
        assert_eq!(beta_quantile(2.0, 3.0, f64::NAN), None);
        assert_eq!(beta_quantile(0.0, 3.0, 0.5), None);
        assert_eq!(beta_quantile(2.0, f64::INFINITY, 0.5), None);
        assert_eq!(beta_quantile(2.0, 3.0, 0.0), Some(0.0));
        assert_eq!(beta_quantile(2.0, 3.0, 1.0), Some(1.0));
    }

    #[test]
    fn stays_out_of_the_ranges_where_statrs_panics_hangs_or_returns_garbage() {
        // statrs panics here (p below ~1e-162).
        assert_eq!(students_t_quantile(10.0, 1e-170), None);
        assert_eq!(students_t_quantile(10.0, 1.0 - 1e-7), None);
        assert_eq!(beta_quantile(3.0, 2.0, 1e-170), None);
        // statrs does not terminate here.
        assert_eq!(beta_quantile(0.5, 1e7, 0.025), None);
        // statrs returns a root near 5.6e-17 whose CDF is far from 1e-6.
        assert_eq!(beta_quantile(0.1, 0.1, 1e-6), None);
        // Fractional df below 1 is out of the verified range.
        assert_eq!(students_t_quantile(0.5, 0.975), None);
        // The edge of the accepted range still works: t_1 at 1e-6 is −1/tan(π·1e-6).
        let q = students_t_quantile(1.0, 1e-6).unwrap();
        let exact = -1.0 / (std::f64::consts::PI * 1e-6).tan();
        assert!(((q - exact) / exact).abs() < 1e-9, "{q} vs {exact}");
    }

    #[test]
    fn rejects_invalid_degrees_of_freedom_and_confidence() {
        for df in [0.0, -1.0, f64::NAN] {
            assert_eq!(students_t_quantile(df, 0.975), None);
            assert_eq!(cornish_fisher_t_quantile(df, 0.975), None);
        }
        for c in [0.0, 1.0, 1.5, -0.5, f64::NAN] {
            assert_eq!(z_critical(c), None);
            assert_eq!(t_critical(10.0, c), None);
        }
    }

    #[test]
    fn infinite_df_is_the_normal_quantile() {
        let z = normal_quantile(0.975).unwrap();
        assert_eq!(students_t_quantile(f64::INFINITY, 0.975), Some(z));
    }

    #[test]
    fn t_quantile_is_antisymmetric_and_continuous_at_the_switch() {
        for df in [3.0, 999.0, 1000.0, 1e5] {
            let hi = students_t_quantile(df, 0.975).unwrap();
            let lo = students_t_quantile(df, 0.025).unwrap();
            assert!((hi + lo).abs() < 1e-12, "df {df}: {hi} vs {lo}");
        }
        let below = students_t_quantile(999.999_999, 0.975).unwrap();
        let above = students_t_quantile(1000.0, 0.975).unwrap();
        assert!((below - above).abs() < 1e-11);
        // Cornish–Fisher at df = 300 is still within 3e-13 of statrs.
        let statrs = students_t_quantile(300.0, 0.975).unwrap();
        let cf = cornish_fisher_t_quantile(300.0, 0.975).unwrap();
        assert!((statrs - cf).abs() < 1e-12);
    }

    #[test]
    fn critical_values_at_95_percent() {
        // Textbook values (4 decimals) that every table agrees on.
        assert!((z_critical(0.95).unwrap() - 1.96).abs() < 5e-5);
        assert!((t_critical(10.0, 0.95).unwrap() - 2.2281).abs() < 5e-5);
        assert!((t_critical(30.0, 0.95).unwrap() - 2.0423).abs() < 5e-5);
    }
}
