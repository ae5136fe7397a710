//! The analysis sample of one domain and the design-based variance (`docs/statistics.md` §1, §4.2,
//! §4.3, §6 steps 1–3 and 6–7): respondents with strata and weights, item counts, per-respondent
//! linearised scores and the stratified variance with the finite population correction.
//!
//! A target `θ = Σ_j a_j p_j` (an item, a component, the overall index) linearises to
//! `z_i = w_i Σ_j a_j R_ij (S_ij − p̂_j) / N̂_j`; its variance is
//! `V̂ = Σ_h (1 − f_h) n_h/(n_h − 1) Σ_{i∈h} (z_i − z̄_h)²` with `df = n − H`. What does not
//! belong here: index trees and intervals ([`super::composite`]), reading responses from storage.

use serde::{Deserialize, Serialize};

use super::check::{positive, unit};
use super::error::StatsError;

/// One questionnaire of the analysis sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Respondent {
    /// Index of the stratum (into the populations given to [`Sample::new`]).
    pub stratum: usize,
    /// Sampling weight `w_i` (1 when unweighted, `N_h / n_h` for expansion weights).
    pub weight: f64,
    /// Per item: `Some(true)` satisfied (answer 4 or 5), `Some(false)` answered 1–3, `None` not
    /// answered.
    pub satisfied: Vec<Option<bool>>,
}

impl Respondent {
    /// Whether the respondent answered at least one item.
    pub fn has_data(&self) -> bool {
        self.satisfied.iter().any(Option::is_some)
    }
}

/// Maps a Likert answer to "satisfied": 4 and 5 → `Some(true)`, 1–3 → `Some(false)`, blank →
/// `None`.
///
/// # Errors
/// [`StatsError::InvalidAnswer`] for a code outside 1..=5.
pub fn satisfied_from_likert(answer: Option<u8>) -> Result<Option<bool>, StatsError> {
    match answer {
        None => Ok(None),
        Some(1..=3) => Ok(Some(false)),
        Some(4 | 5) => Ok(Some(true)),
        Some(code) => Err(StatsError::InvalidAnswer(code)),
    }
}

/// What the estimator ([`super::estimate_domain`]) needs to know about an analysis sample:
/// implemented by the respondents themselves ([`Sample`]) and by their sufficient statistics
/// ([`super::moments::MomentSample`]), which give the same estimates.
pub trait Design {
    /// Number of items `J`.
    fn n_items(&self) -> usize;
    /// Number of respondents `n` (each with at least one answer).
    fn n_respondents(&self) -> usize;
    /// Number of strata with at least one respondent, `H`.
    fn n_strata(&self) -> usize;
    /// Whether any stratum with respondents has a finite population correction.
    fn has_fpc(&self) -> bool;
    /// Whether every stratum was answered in full under the fpc (`n_h = N_h`): a census, whose
    /// figures are exact.
    fn is_census(&self) -> bool;
    /// Whether all weights are equal.
    fn is_unweighted(&self) -> bool;
    /// Kish's design effect of the weights, `n Σw² / (Σw)²`; `None` for an empty sample.
    fn kish_deff_weights(&self) -> Option<f64>;
    /// The counts of every item (`docs/statistics.md` §6 step 3).
    fn item_counts(&self) -> Vec<ItemCounts>;
    /// The design variance of `Σ_j a_j p̂_j` (`docs/statistics.md` §4.2–4.3), with the fpc when
    /// `fpc` is true. `None` when undefined: wrong lengths, an item in scope without answers, an
    /// empty sample, or a stratum with one respondent.
    fn variance(&self, counts: &[ItemCounts], a: &[f64], fpc: bool) -> Option<f64>;
    /// Respondents with at least one answer among `items`.
    fn n_with_data(&self, items: &[usize]) -> usize;

    /// Degrees of freedom `n − H` (as `survey::degf` without clusters); 0 for an empty sample.
    fn df(&self) -> usize {
        self.n_respondents().saturating_sub(self.n_strata())
    }

    /// One stratum, equal weights and no fpc: the case where item intervals use the counts
    /// (`docs/statistics.md` §6 step 4).
    fn is_simple_random(&self) -> bool {
        self.n_strata() <= 1 && !self.has_fpc() && self.is_unweighted()
    }
}

impl Design for Sample {
    fn n_items(&self) -> usize {
        self.n_items
    }

    fn n_respondents(&self) -> usize {
        self.respondents.len()
    }

    fn n_strata(&self) -> usize {
        self.strata.iter().filter(|s| s.respondents > 0).count()
    }

    fn has_fpc(&self) -> bool {
        self.strata
            .iter()
            .any(|s| s.respondents > 0 && s.sampling_fraction > 0.0)
    }

    fn is_census(&self) -> bool {
        !self.strata.is_empty() && self.strata.iter().all(|s| s.sampling_fraction >= 1.0)
    }

    fn is_unweighted(&self) -> bool {
        self.respondents
            .first()
            .is_none_or(|first| self.respondents.iter().all(|r| r.weight == first.weight))
    }

    fn kish_deff_weights(&self) -> Option<f64> {
        if self.respondents.is_empty() {
            return None;
        }
        let (s1, s2) = self.respondents.iter().fold((0.0, 0.0), |(s1, s2), r| {
            (s1 + r.weight, s2 + r.weight * r.weight)
        });
        Some(self.respondents.len() as f64 * s2 / (s1 * s1))
    }

    fn item_counts(&self) -> Vec<ItemCounts> {
        item_counts(self)
    }

    fn variance(&self, counts: &[ItemCounts], a: &[f64], fpc: bool) -> Option<f64> {
        let z = linearised_scores(self, counts, a)?;
        stratified_variance(&self.stratum_ids(), &z, &self.fractions(fpc))
    }

    fn n_with_data(&self, items: &[usize]) -> usize {
        self.respondents
            .iter()
            .filter(|r| {
                items
                    .iter()
                    .any(|&j| r.satisfied.get(j).copied().flatten().is_some())
            })
            .count()
    }
}

/// How [`Sample::from_answers`] sets the weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weighting {
    /// `w_i = 1`.
    #[default]
    Unweighted,
    /// Stratified expansion weights `w_i = N_h / n_h` (needs every `N_h`).
    Expansion,
}

/// One stratum of a [`Sample`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StratumInfo {
    /// Respondents in the stratum, `n_h`.
    pub respondents: usize,
    /// Population `N_h` (completed dossiers) if known and used for the fpc.
    pub population: Option<u64>,
    /// Sampling fraction `f_h = n_h / N_h`, 0 when `N_h` is unknown.
    pub sampling_fraction: f64,
}

/// The analysis sample of one domain: respondents with strata and weights, and the strata's
/// populations for the finite population correction.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    n_items: usize,
    respondents: Vec<Respondent>,
    strata: Vec<StratumInfo>,
}

impl Sample {
    /// A sample from respondents whose weights are already set. `populations[h]` is `N_h` for
    /// the fpc (`f_h = n_h / N_h`), or `None` for no fpc in stratum `h`.
    ///
    /// # Errors
    /// A respondent with `satisfied.len() != n_items` ([`StatsError::ItemCountMismatch`]), a
    /// stratum index without a population entry ([`StatsError::UnknownStratum`]), a weight that
    /// is not finite and positive ([`StatsError::InvalidWeight`]), a respondent with no answer
    /// ([`StatsError::BlankQuestionnaire`]: drop unit non-response first, or use
    /// [`Sample::from_answers`]), or `n_h > N_h` ([`StatsError::SampleExceedsPopulation`]).
    pub fn new(
        n_items: usize,
        respondents: Vec<Respondent>,
        populations: Vec<Option<u64>>,
    ) -> Result<Sample, StatsError> {
        let mut counts = vec![0_usize; populations.len()];
        for (i, r) in respondents.iter().enumerate() {
            if r.satisfied.len() != n_items {
                return Err(StatsError::ItemCountMismatch {
                    respondent: i,
                    expected: n_items,
                    found: r.satisfied.len(),
                });
            }
            let Some(count) = counts.get_mut(r.stratum) else {
                return Err(StatsError::UnknownStratum {
                    respondent: i,
                    stratum: r.stratum,
                    n_strata: populations.len(),
                });
            };
            *count += 1;
            if !positive(r.weight) {
                return Err(StatsError::InvalidWeight {
                    respondent: i,
                    weight: r.weight,
                });
            }
            if !r.has_data() {
                return Err(StatsError::BlankQuestionnaire { respondent: i });
            }
        }
        let mut strata = Vec::with_capacity(populations.len());
        for (h, (&n, &population)) in counts.iter().zip(&populations).enumerate() {
            let sampling_fraction = match population {
                Some(big_n) if (n as u64) > big_n => {
                    return Err(StatsError::SampleExceedsPopulation {
                        stratum: h,
                        n,
                        population: big_n,
                    });
                }
                Some(big_n) if big_n > 0 => n as f64 / big_n as f64,
                _ => 0.0,
            };
            strata.push(StratumInfo {
                respondents: n,
                population,
                sampling_fraction,
            });
        }
        Ok(Sample {
            n_items,
            respondents,
            strata,
        })
    }

    /// Steps 1–2 of `docs/statistics.md` §6: drops questionnaires with no answered item, then sets
    /// the weights (`1`, or `N_h / n_h` counted after the drop) and builds the sample. Each row
    /// is `(stratum, satisfied per item)`.
    ///
    /// # Errors
    /// As [`Sample::new`], plus [`StatsError::MissingPopulation`] for expansion weights in a
    /// stratum with respondents and no `N_h`.
    pub fn from_answers(
        n_items: usize,
        rows: impl IntoIterator<Item = (usize, Vec<Option<bool>>)>,
        populations: Vec<Option<u64>>,
        weighting: Weighting,
    ) -> Result<Sample, StatsError> {
        let kept: Vec<(usize, Vec<Option<bool>>)> = rows
            .into_iter()
            .filter(|(_, s)| s.iter().any(Option::is_some))
            .collect();
        let mut n_h = vec![0_usize; populations.len()];
        for (i, (h, _)) in kept.iter().enumerate() {
            let Some(count) = n_h.get_mut(*h) else {
                return Err(StatsError::UnknownStratum {
                    respondent: i,
                    stratum: *h,
                    n_strata: populations.len(),
                });
            };
            *count += 1;
        }
        let mut weights = vec![1.0; populations.len()];
        if weighting == Weighting::Expansion {
            for (h, (w, (&n, population))) in weights
                .iter_mut()
                .zip(n_h.iter().zip(&populations))
                .enumerate()
            {
                match (n, population) {
                    (0, _) => {}
                    (n, Some(big_n)) => *w = *big_n as f64 / n as f64,
                    (_, None) => return Err(StatsError::MissingPopulation { stratum: h }),
                }
            }
        }
        let respondents = kept
            .into_iter()
            .map(|(stratum, satisfied)| Respondent {
                stratum,
                weight: weights.get(stratum).copied().unwrap_or(1.0),
                satisfied,
            })
            .collect();
        Sample::new(n_items, respondents, populations)
    }

    /// The respondents.
    pub fn respondents(&self) -> &[Respondent] {
        &self.respondents
    }

    /// The strata, in the order of the populations given.
    pub fn strata(&self) -> &[StratumInfo] {
        &self.strata
    }

    /// Per-respondent stratum indices, for [`stratified_variance`].
    fn stratum_ids(&self) -> Vec<usize> {
        self.respondents.iter().map(|r| r.stratum).collect()
    }

    /// Sampling fractions `f_h`, or zeros when `fpc` is false.
    fn fractions(&self, fpc: bool) -> Vec<f64> {
        self.strata
            .iter()
            .map(|s| if fpc { s.sampling_fraction } else { 0.0 })
            .collect()
    }

    /// The design variance of a total of per-respondent linearised scores (one per respondent,
    /// in order), with the fpc when `fpc` is true.
    ///
    /// Returns `None` as [`stratified_variance`] does.
    pub fn score_variance(&self, scores: &[f64], fpc: bool) -> Option<f64> {
        stratified_variance(&self.stratum_ids(), scores, &self.fractions(fpc))
    }
}

/// The stratified variance of a total of per-respondent scores (`docs/statistics.md` §4.3):
/// `V̂ = Σ_h (1 − f_h) n_h/(n_h − 1) Σ_{i∈h} (z_i − z̄_h)²`.
///
/// `strata[i]` is the stratum of respondent `i`, `scores[i]` its score `z_i`, and
/// `sampling_fractions[h]` is `f_h`. Per stratum this needs only `n_h`, `Σz` and `Σz²`
/// (`Σ(z − z̄)² = Σz² − (Σz)²/n_h`), so it can be fed from stored sums; here it is computed in two
/// passes for accuracy. Returns `None` if the slices' lengths differ, a stratum index is out of
/// range, a fraction is outside [0, 1], the input is empty, or a stratum has exactly one
/// respondent (the variance is undefined: merge it with a neighbour).
pub fn stratified_variance(
    strata: &[usize],
    scores: &[f64],
    sampling_fractions: &[f64],
) -> Option<f64> {
    if strata.len() != scores.len()
        || scores.is_empty()
        || sampling_fractions.iter().any(|&f| !unit(f))
    {
        return None;
    }
    let h_count = sampling_fractions.len();
    let mut n = vec![0_usize; h_count];
    let mut sum = vec![0.0; h_count];
    for (&h, &z) in strata.iter().zip(scores) {
        *n.get_mut(h)? += 1;
        *sum.get_mut(h)? += z;
    }
    let mean: Vec<f64> = sum
        .iter()
        .zip(&n)
        .map(|(&s, &k)| if k > 0 { s / k as f64 } else { 0.0 })
        .collect();
    let mut ss = vec![0.0; h_count];
    for (&h, &z) in strata.iter().zip(scores) {
        let d = z - mean.get(h)?;
        *ss.get_mut(h)? += d * d;
    }
    let mut v = 0.0;
    for ((&k, &s), &f) in n.iter().zip(&ss).zip(sampling_fractions) {
        match k {
            0 => {}
            1 => return None,
            k => {
                let k = k as f64;
                v += (1.0 - f) * k / (k - 1.0) * s;
            }
        }
    }
    Some(v)
}

/// Unweighted and weighted counts of one item.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ItemCounts {
    /// Respondents who answered, `n_j`.
    pub n_answered: u64,
    /// Respondents who answered 4 or 5, `x_j`.
    pub x_satisfied: u64,
    /// Weighted answerers `N̂_j = Σ w_i R_ij`.
    pub weighted_answered: f64,
    /// Weighted satisfied `T̂_j = Σ w_i R_ij S_ij`.
    pub weighted_satisfied: f64,
}

impl ItemCounts {
    /// The item share `p̂_j = T̂_j / N̂_j`; `None` when nobody answered.
    pub fn share(&self) -> Option<f64> {
        (self.n_answered > 0 && self.weighted_answered > 0.0)
            .then(|| self.weighted_satisfied / self.weighted_answered)
    }
}

/// The counts of every item of the sample (`docs/statistics.md` §6 step 3).
pub fn item_counts(sample: &Sample) -> Vec<ItemCounts> {
    let mut counts = vec![ItemCounts::default(); sample.n_items];
    for r in &sample.respondents {
        for (c, s) in counts.iter_mut().zip(&r.satisfied) {
            if let Some(sat) = *s {
                c.n_answered += 1;
                c.weighted_answered += r.weight;
                if sat {
                    c.x_satisfied += 1;
                    c.weighted_satisfied += r.weight;
                }
            }
        }
    }
    counts
}

/// The per-respondent linearised scores `z_i = w_i Σ_j a_j R_ij (S_ij − p̂_j) / N̂_j` of the
/// target `θ = Σ_j a_j p_j` (`docs/statistics.md` §4.2). A respondent with no answer in the scope
/// gets 0 and still counts in `n_h`.
///
/// Returns `None` if `counts` or `a` do not have one entry per item, or an item with `a_j ≠ 0`
/// has no answers.
pub fn linearised_scores(sample: &Sample, counts: &[ItemCounts], a: &[f64]) -> Option<Vec<f64>> {
    if counts.len() != sample.n_items || a.len() != sample.n_items {
        return None;
    }
    // (item, a_j / N̂_j, p̂_j) for the items in scope.
    let mut terms = Vec::new();
    for (j, (c, &aj)) in counts.iter().zip(a).enumerate() {
        if aj != 0.0 {
            terms.push((j, aj / c.weighted_answered, c.share()?));
        }
    }
    let scores = sample
        .respondents
        .iter()
        .map(|r| {
            let u: f64 = terms
                .iter()
                .filter_map(|&(j, k, p)| {
                    let s = (*r.satisfied.get(j)?)?;
                    Some(k * (f64::from(u8::from(s)) - p))
                })
                .sum();
            r.weight * u
        })
        .collect();
    Some(scores)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn resp(stratum: usize, weight: f64, answers: &[Option<bool>]) -> Respondent {
        Respondent {
            stratum,
            weight,
            satisfied: answers.to_vec(),
        }
    }

    const T: Option<bool> = Some(true);
    const F: Option<bool> = Some(false);
    const NA: Option<bool> = None;

    #[test]
    fn likert_mapping() {
        assert_eq!(satisfied_from_likert(None), Ok(None));
        assert_eq!(satisfied_from_likert(Some(3)), Ok(Some(false)));
        assert_eq!(satisfied_from_likert(Some(4)), Ok(Some(true)));
        assert_eq!(
            satisfied_from_likert(Some(0)),
            Err(StatsError::InvalidAnswer(0))
        );
        assert_eq!(
            satisfied_from_likert(Some(6)),
            Err(StatsError::InvalidAnswer(6))
        );
    }

    #[test]
    fn sample_validation() {
        let ok = resp(0, 1.0, &[T, NA]);
        assert!(matches!(
            Sample::new(3, vec![ok.clone()], vec![None]),
            Err(StatsError::ItemCountMismatch { .. })
        ));
        assert!(matches!(
            Sample::new(2, vec![resp(1, 1.0, &[T, NA])], vec![None]),
            Err(StatsError::UnknownStratum { .. })
        ));
        assert!(matches!(
            Sample::new(2, vec![resp(0, 0.0, &[T, NA])], vec![None]),
            Err(StatsError::InvalidWeight { .. })
        ));
        assert!(matches!(
            Sample::new(2, vec![resp(0, f64::NAN, &[T, NA])], vec![None]),
            Err(StatsError::InvalidWeight { .. })
        ));
        assert!(matches!(
            Sample::new(2, vec![resp(0, 1.0, &[NA, NA])], vec![None]),
            Err(StatsError::BlankQuestionnaire { respondent: 0 })
        ));
        assert!(matches!(
            Sample::new(2, vec![ok.clone(), ok.clone()], vec![Some(1)]),
            Err(StatsError::SampleExceedsPopulation { .. })
        ));
        assert!(matches!(
            Sample::from_answers(2, vec![(0, vec![T, F])], vec![None], Weighting::Expansion),
            Err(StatsError::MissingPopulation { stratum: 0 })
        ));
    }

    #[test]
    fn from_answers_drops_blanks_before_weighting() {
        let rows = vec![
            (0, vec![T, F]),
            (0, vec![NA, NA]),
            (0, vec![F, NA]),
            (1, vec![T, T]),
            (1, vec![NA, F]),
        ];
        let s =
            Sample::from_answers(2, rows, vec![Some(20), Some(10)], Weighting::Expansion).unwrap();
        assert_eq!(s.n_respondents(), 4);
        let w: Vec<f64> = s.respondents().iter().map(|r| r.weight).collect();
        assert_eq!(w, vec![10.0, 10.0, 5.0, 5.0]);
        assert_eq!(s.strata()[0].sampling_fraction, 0.1);
        assert_eq!(s.df(), 2);
        assert!(!s.is_simple_random());
    }

    #[test]
    fn srs_item_variance_is_the_closed_form() {
        // §4.3: unweighted, one stratum: V(p_j) = (1 − f) · n/(n−1) · p(1−p)/n_j, with the
        // non-answerers of item 0 still counted in n.
        let answers = [[T, T], [T, F], [F, T], [NA, T], [T, NA], [NA, F], [F, F]];
        let respondents = answers.iter().map(|a| resp(0, 1.0, a)).collect();
        let s = Sample::new(2, respondents, vec![Some(20)]).unwrap();
        let counts = item_counts(&s);
        assert_eq!((counts[0].x_satisfied, counts[0].n_answered), (3, 5));
        let z = linearised_scores(&s, &counts, &[1.0, 0.0]).unwrap();
        assert_eq!(z[3], 0.0);
        let (n, n_j, p, f) = (7.0, 5.0, 0.6, 7.0 / 20.0);
        let expected = (1.0 - f) * n / (n - 1.0) * p * (1.0 - p) / n_j;
        assert!((s.score_variance(&z, true).unwrap() - expected).abs() < 1e-15);
        let without = n / (n - 1.0) * p * (1.0 - p) / n_j;
        assert!((s.score_variance(&z, false).unwrap() - without).abs() < 1e-15);
        assert!(!s.is_simple_random() && s.has_fpc());
    }

    #[test]
    fn stratified_variance_equals_the_sums_form() {
        // Σ_h c_h (Σz² − (Σz)²/n_h): what stored per-stratum sums would give.
        let strata = [0, 1, 0, 1, 1, 0, 2, 2];
        let z = [0.3, -0.1, 0.05, 0.2, -0.4, -0.12, 0.07, 0.01];
        let f = [0.1, 0.0, 0.5];
        let mut sums = [(0.0, 0.0, 0.0); 3];
        for (&h, &zi) in strata.iter().zip(&z) {
            sums[h].0 += 1.0;
            sums[h].1 += zi;
            sums[h].2 += zi * zi;
        }
        let from_sums: f64 = sums
            .iter()
            .zip(f)
            .map(|(&(n, s1, s2), f)| (1.0 - f) * n / (n - 1.0) * (s2 - s1 * s1 / n))
            .sum();
        let v = stratified_variance(&strata, &z, &f).unwrap();
        assert!((v - from_sums).abs() < 1e-15, "{v} vs {from_sums}");
    }

    #[test]
    fn linearised_scores_reject_mismatched_or_empty_scopes() {
        let s = Sample::new(
            2,
            vec![resp(0, 1.0, &[T, NA]), resp(0, 1.0, &[F, NA])],
            vec![None],
        )
        .unwrap();
        let counts = item_counts(&s);
        assert_eq!(linearised_scores(&s, &counts, &[1.0]), None);
        assert_eq!(linearised_scores(&s, &counts[..1], &[1.0, 0.0]), None);
        // Item 1 has no answers, so it cannot carry weight.
        assert_eq!(linearised_scores(&s, &counts, &[0.5, 0.5]), None);
        assert_eq!(counts[1].share(), None);
        assert!(linearised_scores(&s, &counts, &[1.0, 0.0]).is_some());
    }

    #[test]
    fn kish_deff_of_the_weights() {
        let s = Sample::new(
            1,
            vec![resp(0, 1.0, &[T]), resp(0, 1.0, &[F]), resp(1, 4.0, &[T])],
            vec![None, None],
        )
        .unwrap();
        // n Σw² / (Σw)² = 3 · 18 / 36.
        assert_eq!(s.kish_deff_weights(), Some(1.5));
        assert!(!s.is_unweighted());
        assert_eq!((s.n_strata(), s.df()), (2, 1));
    }
}
