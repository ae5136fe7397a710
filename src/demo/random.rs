//! Seeded randomness for the demo: independent streams per purpose (the plan, one agency's
//! month, a form's item effects), so that what one agency gets never depends on the order
//! things are generated in, and the few distributions the generator needs.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// SplitMix64's finaliser: spreads a counter over 64 bits.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The stream of `seed` for the purpose named by `path` (e.g. `[agency, month]`).
pub fn stream(seed: u64, path: &[u64]) -> StdRng {
    let key = path.iter().fold(mix(seed), |acc, &p| mix(acc ^ mix(p)));
    StdRng::seed_from_u64(key)
}

/// A stable number for a text (FNV-1a), to key streams by names.
pub fn text_key(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// True with probability `p` (clamped to 0..=1).
pub fn chance(rng: &mut StdRng, p: f64) -> bool {
    rng.random::<f64>() < p
}

/// A normal deviate (Box–Muller).
pub fn normal(rng: &mut StdRng, mean: f64, sd: f64) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    mean + sd * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A standard logistic deviate: a latent satisfaction above 0 is "satisfied" with probability
/// `logistic(mean)`.
pub fn logistic(rng: &mut StdRng) -> f64 {
    let u = rng.random::<f64>().clamp(1e-12, 1.0 - 1e-12);
    (u / (1.0 - u)).ln()
}

/// A Poisson count with mean `lambda` (Knuth's method below 30, normal approximation above).
pub fn poisson(rng: &mut StdRng, lambda: f64) -> u64 {
    if lambda <= 0.0 || !lambda.is_finite() {
        return 0;
    }
    if lambda < 30.0 {
        let limit = (-lambda).exp();
        let mut k = 0;
        let mut p = 1.0;
        loop {
            p *= rng.random::<f64>();
            if p <= limit {
                return k;
            }
            k += 1;
        }
    }
    normal(rng, lambda, lambda.sqrt()).round().max(0.0) as u64
}

/// An index drawn with the given weights (the last one when they are all zero).
pub fn weighted(rng: &mut StdRng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len().saturating_sub(1)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_seeded_and_independent() {
        let draw = |seed, path: &[u64]| stream(seed, path).random::<u64>();
        assert_eq!(draw(1, &[2, 3]), draw(1, &[2, 3]));
        assert_ne!(draw(1, &[2, 3]), draw(1, &[3, 2]));
        assert_ne!(draw(1, &[2, 3]), draw(2, &[2, 3]));
    }

    #[test]
    fn distributions_have_their_means() {
        let mut rng = stream(9, &[]);
        let n = 20_000;
        let mean = |xs: Vec<f64>| xs.iter().sum::<f64>() / xs.len() as f64;
        let p = mean((0..n).map(|_| poisson(&mut rng, 4.0) as f64).collect());
        assert!((p - 4.0).abs() < 0.1, "{p}");
        let big = mean((0..n).map(|_| poisson(&mut rng, 400.0) as f64).collect());
        assert!((big - 400.0).abs() < 1.0, "{big}");
        let z = mean((0..n).map(|_| normal(&mut rng, 1.0, 2.0)).collect());
        assert!((z - 1.0).abs() < 0.06, "{z}");
        let l = mean(
            (0..n)
                .map(|_| f64::from(u8::from(logistic(&mut rng) < 1.0)))
                .collect(),
        );
        // P(logistic < 1) = 1 / (1 + e^-1) ≈ 0.731.
        assert!((l - 0.731).abs() < 0.015, "{l}");
        let w = mean(
            (0..n)
                .map(|_| weighted(&mut rng, &[1.0, 3.0]) as f64)
                .collect(),
        );
        assert!((w - 0.75).abs() < 0.015, "{w}");
    }
}
