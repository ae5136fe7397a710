//! Sufficient statistics: everything [`super::estimate_domain`] needs about a stratum's
//! respondents, kept as integer counts so results can be computed without the respondents
//! (`docs/statistics.md` §4.2–4.3, rewritten over sums).
//!
//! For a target `θ = Σ_j a_j p_j` with `b_j = a_j / N̂_j`, the linearised score of respondent `i`
//! is `z_i = w_h u_i` with `u_i = Σ_j b_j R_ij (S_ij − p̂_j)`. Per stratum the variance needs only
//!
//! ```text
//! Σ_i u_i   = Σ_j b_j (x_jh − p̂_j n_jh)
//! Σ_i u_i²  = Σ_j Σ_k b_j b_k Q_jk,
//! Q_jk      = Σ_i R_ij R_ik (S_ij − p̂_j)(S_ik − p̂_k)
//!           = D_jk − p̂_k A_jk − p̂_j A_kj + p̂_j p̂_k C_jk
//! ```
//!
//! with the integer counts `C_jk` (both answered), `A_jk` (j satisfied, k answered), `D_jk`
//! (both satisfied) — for `j = k`: `C = n_j`, `A = D = x_j`. A [`Moments`] holds these counts for
//! every pair of items, plus how many respondents answered at least one item of each node of
//! the index tree (`n_with_data`). Counts add up, so the moments of a month and a channel can
//! be stored and summed into any period or set of agencies, and the result is the same, to
//! rounding, as from the respondents themselves (tested against every vector).

use std::ops::Deref;
use std::sync::Arc;

use super::check::positive;
use super::composite::IndexNode;
use super::design::{Design, ItemCounts, Sample, Weighting};
use super::error::StatsError;

/// Counts of one pair of items (`j < k`): both answered, `j` satisfied and `k` answered, `k`
/// satisfied and `j` answered, both satisfied.
type PairCounts = [u64; 4];

/// The item sets of an index tree's nodes ([`Moments::subsets_of`]), shared by all the
/// [`Moments`] of one tree: every merge compares them, and a copy per bucket would be
/// allocated and compared item by item thousands of times per result.
#[derive(Debug, Clone, Eq)]
pub struct Subsets(Arc<[Vec<usize>]>);

impl PartialEq for Subsets {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl From<Vec<Vec<usize>>> for Subsets {
    fn from(subsets: Vec<Vec<usize>>) -> Self {
        Subsets(subsets.into())
    }
}

impl Deref for Subsets {
    type Target = [Vec<usize>];

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// Sufficient statistics of a set of respondents (one stratum, or one storage bucket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moments {
    n_items: usize,
    /// The item sets whose respondents-with-data are counted (one per tree node).
    subsets: Subsets,
    /// Respondents with at least one answered item.
    respondents: u64,
    /// `n_j`.
    answered: Vec<u64>,
    /// `x_j`.
    satisfied: Vec<u64>,
    /// Pair counts, upper triangle `j < k`, row by row.
    pairs: Vec<PairCounts>,
    /// Respondents with at least one answer in each subset.
    with_data: Vec<u64>,
}

impl Moments {
    /// Empty moments for `n_items` items, counting respondents with data in each of `subsets`
    /// (use [`Moments::subsets_of`] for the nodes of an index tree).
    pub fn new(n_items: usize, subsets: impl Into<Subsets>) -> Self {
        let subsets = subsets.into();
        Moments {
            n_items,
            with_data: vec![0; subsets.len()],
            subsets,
            respondents: 0,
            answered: vec![0; n_items],
            satisfied: vec![0; n_items],
            pairs: vec![[0; 4]; n_items * n_items.saturating_sub(1) / 2],
        }
    }

    /// The item sets of every composite node of `tree`, depth first.
    pub fn subsets_of(tree: &IndexNode) -> Vec<Vec<usize>> {
        fn walk(node: &IndexNode, out: &mut Vec<Vec<usize>>) {
            if let IndexNode::Mean(children) = node {
                let mut items = node.items();
                items.sort_unstable();
                items.dedup();
                out.push(items);
                children.iter().for_each(|c| walk(c, out));
            }
        }
        let mut out = Vec::new();
        walk(tree, &mut out);
        out
    }

    /// Number of items `J`.
    pub fn n_items(&self) -> usize {
        self.n_items
    }

    /// Respondents with at least one answered item.
    pub fn respondents(&self) -> u64 {
        self.respondents
    }

    fn pair_index(&self, j: usize, k: usize) -> usize {
        // Row j of the upper triangle starts after rows 0..j, which hold (J−1) + … + (J−j).
        j * (2 * self.n_items - j - 1) / 2 + (k - j - 1)
    }

    /// Adds one respondent (`satisfied[j]`: `Some(true)` satisfied, `Some(false)` answered and not
    /// satisfied, `None` blank). A respondent with no answer is unit non-response and is ignored
    /// (`docs/statistics.md` §6 step 1).
    ///
    /// # Errors
    /// [`StatsError::ItemCountMismatch`] if `satisfied` does not have one entry per item.
    pub fn add(&mut self, satisfied: &[Option<bool>]) -> Result<(), StatsError> {
        if satisfied.len() != self.n_items {
            return Err(StatsError::ItemCountMismatch {
                respondent: usize::try_from(self.respondents).unwrap_or(usize::MAX),
                expected: self.n_items,
                found: satisfied.len(),
            });
        }
        if satisfied.iter().all(Option::is_none) {
            return Ok(());
        }
        self.respondents += 1;
        for (j, s) in satisfied.iter().enumerate() {
            let Some(sj) = *s else { continue };
            self.answered[j] += 1;
            self.satisfied[j] += u64::from(sj);
            for (k, t) in satisfied.iter().enumerate().skip(j + 1) {
                let Some(sk) = *t else { continue };
                let p = self.pair_index(j, k);
                let c = &mut self.pairs[p];
                c[0] += 1;
                c[1] += u64::from(sj);
                c[2] += u64::from(sk);
                c[3] += u64::from(sj && sk);
            }
        }
        for (subset, count) in self.subsets.iter().zip(self.with_data.iter_mut()) {
            if subset
                .iter()
                .any(|&j| satisfied.get(j).copied().flatten().is_some())
            {
                *count += 1;
            }
        }
        Ok(())
    }

    /// Adds `other`'s counts (the union of two disjoint sets of respondents).
    ///
    /// # Errors
    /// [`StatsError::IncompatibleMoments`] when the items or node subsets differ.
    pub fn merge(&mut self, other: &Moments) -> Result<(), StatsError> {
        if self.n_items != other.n_items || self.subsets != other.subsets {
            return Err(StatsError::IncompatibleMoments);
        }
        self.respondents += other.respondents;
        add_all(&mut self.answered, &other.answered);
        add_all(&mut self.satisfied, &other.satisfied);
        add_all(&mut self.with_data, &other.with_data);
        for (a, b) in self.pairs.iter_mut().zip(&other.pairs) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        Ok(())
    }

    /// The counts as one flat list (for storage): respondents, `n_j`, `x_j`, the pair counts,
    /// the subset counts. [`Moments::from_counts`] reads it back.
    pub fn to_counts(&self) -> Vec<u64> {
        let mut out = Vec::with_capacity(self.count_len());
        out.push(self.respondents);
        out.extend(&self.answered);
        out.extend(&self.satisfied);
        out.extend(self.pairs.iter().flatten());
        out.extend(&self.with_data);
        out
    }

    /// Adds a list in the form of [`Moments::to_counts`] (of the same items and subsets), read
    /// from `counts` to its end, without building a second `Moments`.
    ///
    /// # Errors
    /// [`StatsError::IncompatibleMoments`] when the list has the wrong length (then the counts
    /// are partly added: the caller discards them).
    pub fn add_counts(
        &mut self,
        counts: &mut impl Iterator<Item = Option<u64>>,
    ) -> Result<(), StatsError> {
        self.add_each(|| counts.next().flatten())?;
        match counts.next() {
            None => Ok(()),
            Some(_) => Err(StatsError::IncompatibleMoments),
        }
    }

    /// Adds the next [`Moments::count_len`] numbers `next` gives, in the order of
    /// [`Moments::to_counts`] (the caller checks that the list ends there): the fast path of
    /// [`Moments::add_counts`] for a decoder that yields numbers one by one.
    ///
    /// # Errors
    /// [`StatsError::IncompatibleMoments`] when `next` ends first (the counts are then partly
    /// added: the caller discards them).
    pub fn add_each(&mut self, mut next: impl FnMut() -> Option<u64>) -> Result<(), StatsError> {
        let mut add = |x: &mut u64| -> Result<(), StatsError> {
            *x += next().ok_or(StatsError::IncompatibleMoments)?;
            Ok(())
        };
        add(&mut self.respondents)?;
        for x in self.answered.iter_mut().chain(self.satisfied.iter_mut()) {
            add(x)?;
        }
        for pair in &mut self.pairs {
            for x in pair {
                add(x)?;
            }
        }
        for x in &mut self.with_data {
            add(x)?;
        }
        Ok(())
    }

    /// How many numbers [`Moments::to_counts`] gives.
    pub fn count_len(&self) -> usize {
        1 + 2 * self.n_items + 4 * self.pairs.len() + self.with_data.len()
    }

    /// Reads [`Moments::to_counts`] back for the same items and subsets.
    ///
    /// # Errors
    /// [`StatsError::IncompatibleMoments`] when the list has the wrong length.
    pub fn from_counts(
        n_items: usize,
        subsets: impl Into<Subsets>,
        counts: &[u64],
    ) -> Result<Self, StatsError> {
        let mut m = Moments::new(n_items, subsets);
        if counts.len() != m.count_len() {
            return Err(StatsError::IncompatibleMoments);
        }
        let mut it = counts.iter().copied();
        let mut next = || it.next().unwrap_or_default();
        m.respondents = next();
        m.answered.iter_mut().for_each(|x| *x = next());
        m.satisfied.iter_mut().for_each(|x| *x = next());
        m.pairs.iter_mut().flatten().for_each(|x| *x = next());
        m.with_data.iter_mut().for_each(|x| *x = next());
        Ok(m)
    }

    /// `Σ_i u_i` and `Σ_i u_i²` for `b_j = a_j / N̂_j` and the shares `p`.
    fn score_sums(&self, b: &[(usize, f64, f64)]) -> (f64, f64) {
        let mut s1 = 0.0;
        let mut s2 = 0.0;
        for (bi, &(j, bj, pj)) in b.iter().enumerate() {
            let nj = self.answered[j] as f64;
            let xj = self.satisfied[j] as f64;
            s1 += bj * (xj - pj * nj);
            s2 += bj * bj * (xj - 2.0 * pj * xj + pj * pj * nj);
            for &(k, bk, pk) in &b[bi + 1..] {
                // `b` is ordered by item, so j < k.
                let [c, a_jk, a_kj, d] = self.pairs[self.pair_index(j, k)].map(|v| v as f64);
                s2 += 2.0 * bj * bk * (d - pk * a_jk - pj * a_kj + pj * pk * c);
            }
        }
        (s1, s2)
    }
}

fn add_all(a: &mut [u64], b: &[u64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// One stratum of a [`MomentSample`].
#[derive(Debug, Clone, PartialEq)]
struct MomentStratum {
    moments: Moments,
    weight: f64,
    sampling_fraction: f64,
}

/// An analysis sample known only through its strata's [`Moments`]; estimates from it equal
/// those from the respondents ([`Sample`]).
#[derive(Debug, Clone, PartialEq)]
pub struct MomentSample {
    n_items: usize,
    subsets: Subsets,
    strata: Vec<MomentStratum>,
}

impl MomentSample {
    /// A sample from per-stratum moments and populations `N_h` (`None`: no fpc in that
    /// stratum), weighted as [`Sample::from_answers`] does.
    ///
    /// # Errors
    /// [`StatsError::IncompatibleMoments`] when strata differ in items or subsets,
    /// [`StatsError::SampleExceedsPopulation`] when `n_h > N_h`, and
    /// [`StatsError::MissingPopulation`] for expansion weights without `N_h`.
    pub fn new(
        strata: Vec<(Moments, Option<u64>)>,
        weighting: Weighting,
    ) -> Result<Self, StatsError> {
        let (n_items, subsets) = match strata.first() {
            Some((m, _)) => (m.n_items, m.subsets.clone()),
            None => (0, Subsets::from(Vec::new())),
        };
        let mut out = Vec::with_capacity(strata.len());
        for (h, (moments, population)) in strata.into_iter().enumerate() {
            if moments.n_items != n_items || moments.subsets != subsets {
                return Err(StatsError::IncompatibleMoments);
            }
            let n = moments.respondents;
            let sampling_fraction = match population {
                Some(big_n) if n > big_n => {
                    return Err(StatsError::SampleExceedsPopulation {
                        stratum: h,
                        n: usize::try_from(n).unwrap_or(usize::MAX),
                        population: big_n,
                    });
                }
                Some(big_n) if big_n > 0 => n as f64 / big_n as f64,
                _ => 0.0,
            };
            let weight = match (weighting, n, population) {
                (Weighting::Unweighted, _, _) | (_, 0, _) => 1.0,
                (Weighting::Expansion, n, Some(big_n)) => big_n as f64 / n as f64,
                (Weighting::Expansion, _, None) => {
                    return Err(StatsError::MissingPopulation { stratum: h });
                }
            };
            if !positive(weight) {
                return Err(StatsError::InvalidWeight {
                    respondent: 0,
                    weight,
                });
            }
            out.push(MomentStratum {
                moments,
                weight,
                sampling_fraction,
            });
        }
        Ok(MomentSample {
            n_items,
            subsets,
            strata: out,
        })
    }

    /// The moments of a respondent-level sample, one stratum per stratum of `sample`, with the
    /// node subsets of `tree` (for tests and for breakdowns computed by scanning).
    ///
    /// # Errors
    /// As [`Moments::add`] and [`MomentSample::new`].
    pub fn from_sample(
        sample: &Sample,
        tree: &IndexNode,
        weighting: Weighting,
    ) -> Result<Self, StatsError> {
        let subsets = Subsets::from(Moments::subsets_of(tree));
        let mut strata: Vec<(Moments, Option<u64>)> = sample
            .strata()
            .iter()
            .map(|s| {
                (
                    Moments::new(sample.n_items(), subsets.clone()),
                    s.population,
                )
            })
            .collect();
        for r in sample.respondents() {
            if let Some((m, _)) = strata.get_mut(r.stratum) {
                m.add(&r.satisfied)?;
            }
        }
        MomentSample::new(strata, weighting)
    }

    fn active(&self) -> impl Iterator<Item = &MomentStratum> {
        self.strata.iter().filter(|s| s.moments.respondents > 0)
    }
}

impl Design for MomentSample {
    fn n_items(&self) -> usize {
        self.n_items
    }

    fn n_respondents(&self) -> usize {
        let n: u64 = self.strata.iter().map(|s| s.moments.respondents).sum();
        usize::try_from(n).unwrap_or(usize::MAX)
    }

    fn n_strata(&self) -> usize {
        self.active().count()
    }

    fn has_fpc(&self) -> bool {
        self.active().any(|s| s.sampling_fraction > 0.0)
    }

    fn is_census(&self) -> bool {
        !self.strata.is_empty() && self.strata.iter().all(|s| s.sampling_fraction >= 1.0)
    }

    fn is_unweighted(&self) -> bool {
        let mut weights = self.active().map(|s| s.weight);
        match weights.next() {
            None => true,
            Some(first) => weights.all(|w| w == first),
        }
    }

    fn kish_deff_weights(&self) -> Option<f64> {
        let (n, s1, s2) = self.active().fold((0.0, 0.0, 0.0), |(n, s1, s2), s| {
            let k = s.moments.respondents as f64;
            (n + k, s1 + k * s.weight, s2 + k * s.weight * s.weight)
        });
        (n > 0.0).then(|| n * s2 / (s1 * s1))
    }

    fn item_counts(&self) -> Vec<ItemCounts> {
        let mut counts = vec![ItemCounts::default(); self.n_items];
        for s in self.active() {
            for (j, c) in counts.iter_mut().enumerate() {
                let n = s.moments.answered[j];
                let x = s.moments.satisfied[j];
                c.n_answered += n;
                c.x_satisfied += x;
                c.weighted_answered += s.weight * n as f64;
                c.weighted_satisfied += s.weight * x as f64;
            }
        }
        counts
    }

    fn variance(&self, counts: &[ItemCounts], a: &[f64], fpc: bool) -> Option<f64> {
        if counts.len() != self.n_items || a.len() != self.n_items {
            return None;
        }
        let mut b = Vec::new();
        for (j, (c, &aj)) in counts.iter().zip(a).enumerate() {
            if aj != 0.0 {
                b.push((j, aj / c.weighted_answered, c.share()?));
            }
        }
        let mut v = 0.0;
        let mut any = false;
        for s in self.active() {
            let n = s.moments.respondents as f64;
            if s.moments.respondents == 1 {
                return None;
            }
            any = true;
            let (s1, s2) = s.moments.score_sums(&b);
            // Σ(u − ū)² = Σu² − (Σu)²/n, never negative (rounding can make it a hair below 0).
            let ss = (s.weight * s.weight * (s2 - s1 * s1 / n)).max(0.0);
            let f = if fpc { s.sampling_fraction } else { 0.0 };
            v += (1.0 - f) * n / (n - 1.0) * ss;
        }
        any.then_some(v)
    }

    fn n_with_data(&self, items: &[usize]) -> usize {
        let mut key = items.to_vec();
        key.sort_unstable();
        key.dedup();
        let total: u64 = match self.subsets.iter().position(|s| *s == key) {
            Some(i) => self.active().map(|s| s.moments.with_data[i]).sum(),
            // A single item: its answerers.
            None if key.len() == 1 => self.active().map(|s| s.moments.answered[key[0]]).sum(),
            None => 0,
        };
        usize::try_from(total).unwrap_or(usize::MAX)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const T: Option<bool> = Some(true);
    const F: Option<bool> = Some(false);
    const NA: Option<bool> = None;

    #[test]
    fn counts_round_trip_and_merge_adds() {
        let tree = IndexNode::Mean(vec![
            IndexNode::Mean(vec![IndexNode::Item(0), IndexNode::Item(1)]),
            IndexNode::Item(2),
        ]);
        let subsets = Moments::subsets_of(&tree);
        assert_eq!(subsets, vec![vec![0, 1, 2], vec![0, 1]]);
        let mut a = Moments::new(3, subsets.clone());
        a.add(&[T, F, NA]).unwrap();
        a.add(&[NA, NA, NA]).unwrap();
        a.add(&[NA, NA, T]).unwrap();
        assert_eq!(a.respondents(), 2);
        let back = Moments::from_counts(3, subsets.clone(), &a.to_counts()).unwrap();
        assert_eq!(back, a);
        let mut b = Moments::new(3, subsets.clone());
        b.add(&[T, T, T]).unwrap();
        let mut sum = a.clone();
        sum.merge(&b).unwrap();
        let mut direct = Moments::new(3, subsets.clone());
        for r in [[T, F, NA], [NA, NA, T], [T, T, T]] {
            direct.add(&r).unwrap();
        }
        assert_eq!(sum, direct);
        assert_eq!(sum.with_data, vec![3, 2]);
        assert_eq!(sum.pairs[sum.pair_index(0, 1)], [2, 2, 1, 1]);
        assert!(matches!(
            sum.merge(&Moments::new(2, vec![])),
            Err(StatsError::IncompatibleMoments)
        ));
        assert!(Moments::from_counts(3, subsets, &[1, 2]).is_err());
        assert!(a.add(&[T]).is_err());
    }
}
