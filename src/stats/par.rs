//! The link to the PAR Index (`docs/methodology.md` §3.4, §4): points are linear in the index,
//! and rounding (half-up, in decimal) happens once, at presentation.

use super::check::{positive, unit};
use super::proportion::Interval;

/// PAR points `max_points · index` for an index given as a fraction, unrounded. The SE and the
/// interval scale by the same factor (see [`Interval::scaled`]).
///
/// Returns `None` unless `index ∈ [0, 1]` and `max_points` is finite and positive.
pub fn par_points(index: f64, max_points: f64) -> Option<f64> {
    (unit(index) && positive(max_points)).then_some(index * max_points)
}

/// A PAR score with its interval, both in points.
///
/// Returns `None` as [`par_points`] does.
pub fn par_interval(ci: Interval, max_points: f64) -> Option<Interval> {
    (par_points(ci.lower, max_points).is_some() && par_points(ci.upper, max_points).is_some())
        .then(|| ci.scaled(max_points))
}

/// PAR points as the appraisal rounds them: `percent / 100 × max_points` computed **in decimal**
/// on the shortest round-trip forms of both numbers, then rounded half-up to 2 decimals. So
/// 87.75 % of 10 points is 8.78, where the binary product 8.774999… would round to 8.77.
///
/// Returns `None` unless `percent ∈ [0, 100]` and `max_points` is finite and positive.
pub fn rounded_points(percent: f64, max_points: f64) -> Option<f64> {
    par_points(percent / 100.0, max_points)?;
    // An index computed in binary from counts lands a few units of 1e-14 beside the decimal
    // it stands for (351 / 400 of every item gives 87.74999999999999 %). Rounding the percentage
    // to 9 decimals first removes that noise, far below any figure a report states, so the
    // half-way case is the one the reader sees; it is not the 2-decimal rounding the
    // methodology forbids before the product (91.1496 % stays 91.1496 %).
    let (value, value_scale) = decimal(round_half_up(percent, 9))?;
    let (max, max_scale) = decimal(max_points)?;
    // percent × max / 100, kept as an integer over 10^scale.
    let product = value.checked_mul(max)?;
    let scale = value_scale + max_scale + 2;
    let hundredths = if scale <= 2 {
        product.checked_mul(10u128.checked_pow(2 - scale)?)?
    } else if scale - 2 > 36 {
        // Below 10^-36 of a point: rounds to zero.
        0
    } else {
        let unit = 10u128.pow(scale - 2);
        (product + unit / 2) / unit
    };
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
        .parse()
        .ok()
}

/// A non-negative finite number as `(digits, scale)` with `number = digits / 10^scale`, read
/// from its shortest round-trip decimal form; `None` when it needs more than 38 digits.
fn decimal(number: f64) -> Option<(u128, u32)> {
    if !number.is_finite() || number < 0.0 {
        return None;
    }
    let text = format!("{number}");
    let (int_part, frac_part) = text.split_once('.').unwrap_or((text.as_str(), ""));
    let digits: u128 = format!("{int_part}{frac_part}").parse().ok()?;
    Some((digits, u32::try_from(frac_part.len()).ok()?))
}

/// Rounds half away from zero to `decimals` places, in decimal, on the value's shortest
/// round-trip representation, so 2.675 → 2.68 and 0.145 → 0.15 as a reader expects (binary
/// rounding would give 2.67 and 0.14). For presentation only: never feed the result back into a
/// computation.
///
/// Non-finite values are returned unchanged.
pub fn round_half_up(value: f64, decimals: u32) -> f64 {
    if !value.is_finite() {
        return value;
    }
    // Rust's `Display` for f64 prints the shortest representation that round-trips, without an
    // exponent.
    let text = format!("{}", value.abs());
    let (int_part, frac_part) = text.split_once('.').unwrap_or((text.as_str(), ""));
    let places = decimals as usize;
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if frac_part.len() <= places || !all_digits(int_part) || !all_digits(frac_part) {
        return value;
    }
    let mut digits: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes().take(places))
        .map(|b| b - b'0')
        .collect();
    let round_up = frac_part.as_bytes().get(places).is_some_and(|&b| b >= b'5');
    if round_up {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, 1);
                break;
            }
            i -= 1;
            if let Some(d) = digits.get_mut(i) {
                if *d == 9 {
                    *d = 0;
                } else {
                    *d += 1;
                    break;
                }
            }
        }
    }
    let split = digits.len() - places;
    let mut out = String::with_capacity(digits.len() + 2);
    out.extend(digits.iter().take(split).map(|d| char::from(b'0' + d)));
    out.push('.');
    out.extend(digits.iter().skip(split).map(|d| char::from(b'0' + d)));
    let magnitude: f64 = out.parse().unwrap_or(value.abs());
    magnitude.copysign(value)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn presentation_rounding_x6() {
        assert_eq!(round_half_up(2.675, 2), 2.68);
        assert_eq!(round_half_up(0.145, 2), 0.15);
        assert_eq!(round_half_up(82.888, 2), 82.89);
        assert_eq!(round_half_up(9.995, 2), 10.0);
        assert_eq!(round_half_up(99.999, 0), 100.0);
        assert_eq!(round_half_up(-1.275, 2), -1.28);
        assert_eq!(round_half_up(1.5, 2), 1.5);
        assert_eq!(round_half_up(0.004, 2), 0.0);
        assert_eq!(round_half_up(1e-7, 2), 0.0);
        assert!(round_half_up(f64::NAN, 2).is_nan());
    }

    #[test]
    fn par_points_round_once_x7_t11() {
        // SIPAS 91.1496 % → 9.11496 → 9.11 (not 9.12 via 91.15); 91.17 % → 9.117 → 9.12.
        let p = par_points(0.911_496, 10.0).unwrap();
        assert_eq!(round_half_up(p, 2), 9.11);
        let p = par_points(0.9117, 10.0).unwrap();
        assert_eq!(round_half_up(p, 2), 9.12);
        assert_eq!(par_points(1.2, 10.0), None);
        assert_eq!(par_points(0.5, 0.0), None);
        let ci = par_interval(
            Interval {
                lower: 0.8,
                upper: 0.9,
            },
            10.0,
        )
        .unwrap();
        assert!((ci.lower - 8.0).abs() < 1e-12 && (ci.upper - 9.0).abs() < 1e-12);
    }

    #[test]
    fn points_round_half_up_in_decimal_at_each_half_way_case() {
        // The binary products are 8.774999…, 7.524999…, 9.116999…: rounded in binary the first
        // two would lose their half.
        assert_eq!(round_half_up(par_points(0.8775, 10.0).unwrap(), 2), 8.77);
        assert_eq!(rounded_points(87.75, 10.0), Some(8.78));
        // The same value as a mean of shares computes it.
        assert_eq!(rounded_points(87.74999999999999, 10.0), Some(8.78));
        assert_eq!(rounded_points(75.25000000000001, 10.0), Some(7.53));
        assert_eq!(rounded_points(75.25, 10.0), Some(7.53));
        assert_eq!(rounded_points(91.17, 10.0), Some(9.12));
        assert_eq!(rounded_points(91.1496, 10.0), Some(9.11));
        assert_eq!(rounded_points(80.125, 4.0), Some(3.21));
        assert_eq!(rounded_points(62.5, 1.5), Some(0.94));
        assert_eq!(rounded_points(99.995, 10.0), Some(10.0));
        assert_eq!(rounded_points(100.0, 10.0), Some(10.0));
        assert_eq!(rounded_points(0.0, 10.0), Some(0.0));
        assert_eq!(rounded_points(1e-30, 10.0), Some(0.0));
        assert_eq!(rounded_points(100.5, 10.0), None);
        assert_eq!(rounded_points(f64::NAN, 10.0), None);
        assert_eq!(rounded_points(50.0, 0.0), None);
    }
}
