//! Composite indices: a tree whose nodes are means of item shares, their linearised standard
//! errors and intervals, and the evaluation of a whole domain (`docs/statistics.md` §1, §4.4–4.10,
//! §6 steps 4–9; `docs/methodology.md` §3.2).
//!
//! Every node of the tree is a linear combination `θ = Σ_j a_j p_j` of the item shares (the
//! weights multiply down the tree), so the linearisation of [`super::design`] gives every
//! node's SE. What belongs here: the tree, composite intervals, the mean of independent
//! indices, and the per-domain result types. Everything is a fraction in [0, 1].

use serde::{Deserialize, Serialize};

use super::check::{non_negative, open_unit};
use super::design::{Design, ItemCounts};
use super::error::StatsError;
use super::proportion::{
    Interval, ProportionMethod, effective_n, proportion_ci, wilson_effective, wilson_score,
};
use super::quantile::{t_critical, z_critical};
use super::reliability::{Reliability, ReliabilityThresholds};

/// A node of an index tree: an item share, or the unweighted mean of the children that have
/// data (`docs/methodology.md` §3.2). Deeper trees (root → parts → factors → contents →
/// items) nest [`IndexNode::Mean`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexNode {
    /// The share of the item with this index.
    Item(usize),
    /// The mean of the children whose value is not null; null if all are.
    Mean(Vec<IndexNode>),
}

impl IndexNode {
    /// Checks that every item index is below `n_items`.
    ///
    /// # Errors
    /// [`StatsError::UnknownItem`] for the first item index out of range.
    pub fn validate(&self, n_items: usize) -> Result<(), StatsError> {
        match self {
            IndexNode::Item(j) if *j >= n_items => {
                Err(StatsError::UnknownItem { item: *j, n_items })
            }
            IndexNode::Item(_) => Ok(()),
            IndexNode::Mean(children) => children.iter().try_for_each(|c| c.validate(n_items)),
        }
    }

    /// The item indices below this node, in tree order.
    pub fn items(&self) -> Vec<usize> {
        let mut out = Vec::new();
        self.collect_items(&mut out);
        out
    }

    fn collect_items(&self, out: &mut Vec<usize>) {
        match self {
            IndexNode::Item(j) => out.push(*j),
            IndexNode::Mean(children) => children.iter().for_each(|c| c.collect_items(out)),
        }
    }

    /// The node's value from the item shares (`None` = no data): the mean of the children's
    /// values over the children that have one.
    pub fn value(&self, shares: &[Option<f64>]) -> Option<f64> {
        match self {
            IndexNode::Item(j) => shares.get(*j).copied().flatten(),
            IndexNode::Mean(children) => {
                let values: Vec<f64> = children.iter().filter_map(|c| c.value(shares)).collect();
                (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
            }
        }
    }

    /// The item weights `a` (one per item, `shares.len()` long) with `value = Σ_j a_j p_j`:
    /// the product of `1 / (children with data)` down the tree (`docs/statistics.md` §4.10).
    /// `None` when no item below has data.
    pub fn item_weights(&self, shares: &[Option<f64>]) -> Option<Vec<f64>> {
        let mut a = vec![0.0; shares.len()];
        self.add_weights(shares, 1.0, &mut a).then_some(a)
    }

    /// Adds `factor × a(self)` into `a`; returns whether the node has data.
    fn add_weights(&self, shares: &[Option<f64>], factor: f64, a: &mut [f64]) -> bool {
        match self {
            IndexNode::Item(j) => match (shares.get(*j), a.get_mut(*j)) {
                (Some(Some(_)), Some(aj)) => {
                    *aj += factor;
                    true
                }
                _ => false,
            },
            IndexNode::Mean(children) => {
                let with_data: Vec<&IndexNode> = children
                    .iter()
                    .filter(|c| c.value(shares).is_some())
                    .collect();
                let k = with_data.len() as f64;
                for c in &with_data {
                    c.add_weights(shares, factor / k, a);
                }
                !with_data.is_empty()
            }
        }
    }
}

/// The interval for a composite index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompositeMethod {
    /// `θ ± t·SE`, clipped to [0, 1] (the default).
    #[default]
    T,
    /// `expit(logit θ ± t·SE / (θ(1−θ)))` (R `svyciprop(method = "xlogit")`).
    LogitT,
}

/// `value ± crit·se`, clipped to [0, 1].
///
/// Returns `None` if any argument is not finite or `se` or `crit` is negative.
pub fn t_interval(value: f64, se: f64, crit: f64) -> Option<Interval> {
    if !(value.is_finite() && non_negative(se) && non_negative(crit)) {
        return None;
    }
    let moe = crit * se;
    Some(
        Interval {
            lower: value - moe,
            upper: value + moe,
        }
        .clipped_to_unit(),
    )
}

/// The logit-t interval `expit(logit θ ± crit·se / (θ(1−θ)))`, inside (0, 1).
///
/// Returns `None` unless `0 < value < 1`, `se >= 0` and `crit >= 0` are finite.
pub fn logit_t_interval(value: f64, se: f64, crit: f64) -> Option<Interval> {
    if !(open_unit(value) && non_negative(se) && non_negative(crit)) {
        return None;
    }
    let centre = (value / (1.0 - value)).ln();
    let half = crit * se / (value * (1.0 - value));
    let expit = |x: f64| 1.0 / (1.0 + (-x).exp());
    let ci = Interval {
        lower: expit(centre - half),
        upper: expit(centre + half),
    };
    (ci.lower.is_finite() && ci.upper.is_finite()).then_some(ci)
}

/// The reported interval of a composite (`docs/statistics.md` §6 step 8): [`t_interval`] or
/// [`logit_t_interval`] with `t_{df, 1−α/2}`, and, when `se = 0`, Wilson on `(value,
/// n_with_data)` instead of a point.
///
/// Returns `None` if `df = 0`, the confidence level is outside (0, 1), or the interval of the
/// method is undefined.
pub fn composite_interval(
    method: CompositeMethod,
    value: f64,
    se: f64,
    df: f64,
    n_with_data: usize,
    confidence: f64,
) -> Option<Interval> {
    if se == 0.0 {
        return wilson_score(value, n_with_data as f64, z_critical(confidence)?);
    }
    let t = t_critical(df, confidence)?;
    match method {
        CompositeMethod::T => t_interval(value, se, t),
        CompositeMethod::LogitT => logit_t_interval(value, se, t),
    }
}

/// The SE that agrees with the interval shown (`docs/statistics.md` §4.5): the linearised `se`,
/// except where it is 0 because every respondent gave the same answer and the interval is a
/// Wilson interval instead of a point. There the SE is the distance from the estimate to the
/// interval's far bound over `z`, so that rankings, changes between periods and margins treat
/// the estimate as uncertain as its interval says, not as exact.
///
/// An SE of 0 with a point interval (a census: n = N under the fpc) stays 0.
pub fn interval_se(value: f64, se: f64, ci: Option<Interval>, confidence: f64) -> f64 {
    match ci {
        Some(ci) if se == 0.0 && ci.upper > ci.lower => {
            let reach = (value - ci.lower).max(ci.upper - value);
            z_critical(confidence).map_or(se, |z| reach / z)
        }
        _ => se,
    }
}

/// An estimate with its standard error and degrees of freedom, from an independent sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IndependentEstimate {
    /// The estimate.
    pub value: f64,
    /// Its standard error.
    pub se: f64,
    /// Its degrees of freedom.
    pub df: f64,
}

/// The equal-weight mean of estimates from independent samples (e.g. agency indices for a
/// province, `aggregate=mean`): `V = Σ V_a / A²`, `df = Σ df_a` (`docs/statistics.md` §4.8).
///
/// Returns `None` for an empty slice or a non-finite or negative input.
pub fn mean_of_independent(estimates: &[IndependentEstimate]) -> Option<IndependentEstimate> {
    if estimates.is_empty()
        || estimates
            .iter()
            .any(|e| !(e.value.is_finite() && non_negative(e.se) && non_negative(e.df)))
    {
        return None;
    }
    let k = estimates.len() as f64;
    let value = estimates.iter().map(|e| e.value).sum::<f64>() / k;
    let variance = estimates.iter().map(|e| e.se * e.se).sum::<f64>();
    Some(IndependentEstimate {
        value,
        se: variance.sqrt() / k,
        df: estimates.iter().map(|e| e.df).sum(),
    })
}

/// Options of [`estimate_domain`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DomainOptions {
    /// Confidence level, default 0.95.
    pub confidence: f64,
    /// Item interval for simple random samples (one stratum, equal weights, no fpc); other
    /// designs always use Wilson with the effective n.
    pub item_method: ProportionMethod,
    /// Interval for composite nodes.
    pub composite_method: CompositeMethod,
    /// Suppression and reliability thresholds.
    pub reliability: ReliabilityThresholds,
}

impl Default for DomainOptions {
    fn default() -> Self {
        DomainOptions {
            confidence: 0.95,
            item_method: ProportionMethod::default(),
            composite_method: CompositeMethod::default(),
            reliability: ReliabilityThresholds::default(),
        }
    }
}

/// Which interval an item got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemIntervalMethod {
    /// A single-proportion method on the unweighted counts `(x_j, n_j)`.
    Counts(ProportionMethod),
    /// Wilson with the weighted share and the Kish effective n.
    WilsonEffectiveN,
}

/// The estimate for one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemEstimate {
    /// Respondents who answered, `n_j`.
    pub n_answered: u64,
    /// Respondents satisfied, `x_j`.
    pub x_satisfied: u64,
    /// The (weighted) share; `None` when nobody answered.
    pub share: Option<f64>,
    /// Linearised SE; `None` without a share or when the variance is undefined (a stratum with
    /// one respondent).
    pub se: Option<f64>,
    /// Design effect `V / (p(1−p)/n_j)`; `None` when `p ∈ {0, 1}` or there is no SE.
    pub deff: Option<f64>,
    /// Kish effective n `p(1−p)/V` (`n_j` when `V = 0`); `None` without an SE.
    pub n_eff: Option<f64>,
    /// The reported interval; `None` without a share or SE.
    pub ci: Option<Interval>,
    /// How `ci` was computed.
    pub ci_method: ItemIntervalMethod,
    /// Suppression / reliability status, with `n_basis = n_answered`.
    pub status: Reliability,
}

/// A child of a node in [`NodeEstimate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeChild {
    /// An item leaf: index into [`DomainEstimate::items`].
    Item(usize),
    /// A composite child.
    Node(NodeEstimate),
}

/// The estimate for one composite node; mirrors [`IndexNode::Mean`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeEstimate {
    /// The index; `None` when no item below has data (the node is unavailable).
    pub value: Option<f64>,
    /// Items below the node.
    pub n_items: usize,
    /// Items below the node with at least one answer.
    pub n_items_with_data: usize,
    /// Respondents with at least one answer below the node.
    pub n_with_data: usize,
    /// False when a composite below the node is unavailable (the mean is over fewer children).
    pub complete: bool,
    /// Linearised SE with the design's fpc; `None` if unavailable or undefined.
    pub se: Option<f64>,
    /// Linearised SE ignoring the fpc.
    pub se_without_fpc: Option<f64>,
    /// Margin of error `t·SE` before clipping.
    pub moe: Option<f64>,
    /// The reported interval ([`composite_interval`]).
    pub ci: Option<Interval>,
    /// Suppression / reliability status, with `n_basis = n_with_data` (`n_respondents` for the
    /// root).
    pub status: Reliability,
    /// The children, in tree order.
    pub children: Vec<NodeChild>,
}

/// Everything computed for one domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainEstimate {
    /// Respondents `n`.
    pub n_respondents: usize,
    /// Strata with respondents `H`.
    pub n_strata: usize,
    /// `df = n − H`.
    pub df: usize,
    /// `t_{df, 1−α/2}`; `None` when `df = 0`.
    pub t_crit: Option<f64>,
    /// Kish's design effect of the weights; `None` for an empty sample.
    pub kish_deff_weights: Option<f64>,
    /// Whether weights differ between respondents.
    pub weighted: bool,
    /// Whether a finite population correction was applied.
    pub fpc: bool,
    /// One entry per item of the sample.
    pub items: Vec<ItemEstimate>,
    /// The root of the index tree.
    pub root: NodeEstimate,
}

/// Items, composite nodes and their intervals for one domain (`docs/statistics.md` §6 steps 3–9).
///
/// The root's value is the overall index. A root that is an [`IndexNode::Item`] is evaluated as
/// a one-child mean.
///
/// # Errors
/// [`StatsError::InvalidConfidence`] for a confidence level outside (0, 1) and
/// [`StatsError::UnknownItem`] if the tree refers to an item the sample does not have.
pub fn estimate_domain<D: Design + ?Sized>(
    sample: &D,
    tree: &IndexNode,
    options: &DomainOptions,
) -> Result<DomainEstimate, StatsError> {
    let confidence = options.confidence;
    if !open_unit(confidence) {
        return Err(StatsError::InvalidConfidence(confidence));
    }
    tree.validate(sample.n_items())?;
    let counts = sample.item_counts();
    let shares: Vec<Option<f64>> = counts.iter().map(ItemCounts::share).collect();
    let df = sample.df();
    let ctx = Context {
        sample,
        counts: &counts,
        shares: &shares,
        options,
        df,
        t_crit: t_critical(df as f64, confidence),
    };
    let items = (0..sample.n_items()).map(|j| ctx.item(j)).collect();
    let root = ctx.node(tree);
    // The root's basis is every respondent of the domain (§5.4), not those with data below it.
    let root = NodeEstimate {
        status: options
            .reliability
            .classify(sample.n_respondents() as u64, root.ci),
        ..root
    };
    Ok(DomainEstimate {
        n_respondents: sample.n_respondents(),
        n_strata: sample.n_strata(),
        df,
        t_crit: ctx.t_crit,
        kish_deff_weights: sample.kish_deff_weights(),
        weighted: !sample.is_unweighted(),
        fpc: sample.has_fpc(),
        items,
        root,
    })
}

/// Shared inputs of the per-item and per-node computations.
struct Context<'a, D: Design + ?Sized> {
    sample: &'a D,
    counts: &'a [ItemCounts],
    shares: &'a [Option<f64>],
    options: &'a DomainOptions,
    df: usize,
    t_crit: Option<f64>,
}

impl<D: Design + ?Sized> Context<'_, D> {
    /// `(se, se_without_fpc)` of `Σ a_j p_j`.
    fn standard_errors(&self, a: &[f64]) -> (Option<f64>, Option<f64>) {
        let se = self.sample.variance(self.counts, a, true).map(f64::sqrt);
        let se_without_fpc = if self.sample.has_fpc() {
            self.sample.variance(self.counts, a, false).map(f64::sqrt)
        } else {
            se
        };
        (se, se_without_fpc)
    }

    fn item(&self, j: usize) -> ItemEstimate {
        let c = self.counts.get(j).copied().unwrap_or_default();
        let share = c.share();
        let confidence = self.options.confidence;
        let simple = self.sample.is_simple_random();
        let ci_method = if simple {
            ItemIntervalMethod::Counts(self.options.item_method)
        } else {
            ItemIntervalMethod::WilsonEffectiveN
        };
        let mut a = vec![0.0; self.sample.n_items()];
        if let Some(aj) = a.get_mut(j) {
            *aj = 1.0;
        }
        let se = share.and_then(|_| self.standard_errors(&a).0);
        let variance = se.map(|s| s * s);
        let (deff, n_eff) = match (share, variance) {
            (Some(p), Some(v)) => {
                let binomial = p * (1.0 - p) / c.n_answered as f64;
                (
                    (binomial > 0.0).then(|| v / binomial),
                    effective_n(p, v, c.n_answered),
                )
            }
            _ => (None, None),
        };
        let census = self.sample.is_census() && se == Some(0.0);
        let ci = if census {
            share.map(|p| Interval { lower: p, upper: p })
        } else if simple {
            proportion_ci(
                self.options.item_method,
                c.x_satisfied,
                c.n_answered,
                confidence,
            )
        } else {
            match (share, variance) {
                (Some(p), Some(v)) => wilson_effective(p, v, c.n_answered, confidence),
                _ => None,
            }
        };
        ItemEstimate {
            n_answered: c.n_answered,
            x_satisfied: c.x_satisfied,
            share,
            se,
            deff,
            n_eff,
            ci,
            ci_method,
            status: self.options.reliability.classify(c.n_answered, ci),
        }
    }

    /// The estimate of a node; an item as a node is a mean with one child.
    fn node(&self, node: &IndexNode) -> NodeEstimate {
        let children = match node {
            IndexNode::Mean(children) => children.as_slice(),
            IndexNode::Item(_) => std::slice::from_ref(node),
        };
        let items = node.items();
        let n_items_with_data = items
            .iter()
            .filter(|&&j| self.shares.get(j).copied().flatten().is_some())
            .count();
        let n_with_data = self.sample.n_with_data(&items);
        let child_estimates: Vec<NodeChild> = children
            .iter()
            .map(|c| match c {
                IndexNode::Item(j) => NodeChild::Item(*j),
                IndexNode::Mean(_) => NodeChild::Node(self.node(c)),
            })
            .collect();
        let complete = child_estimates.iter().all(|c| match c {
            NodeChild::Item(_) => true,
            NodeChild::Node(n) => n.value.is_some() && n.complete,
        });
        let value = node.value(self.shares);
        let (se, se_without_fpc) = match node.item_weights(self.shares) {
            Some(a) => self.standard_errors(&a),
            None => (None, None),
        };
        let moe = se.zip(self.t_crit).map(|(s, t)| s * t);
        let census = self.sample.is_census() && se == Some(0.0);
        let ci = value.zip(se).and_then(|(v, s)| {
            if census {
                // Every dossier answered: the value is the population's, exactly.
                return Some(Interval { lower: v, upper: v });
            }
            composite_interval(
                self.options.composite_method,
                v,
                s,
                self.df as f64,
                n_with_data,
                self.options.confidence,
            )
        });
        let status = self.options.reliability.classify(n_with_data as u64, ci);
        NodeEstimate {
            value,
            n_items: items.len(),
            n_items_with_data,
            n_with_data,
            complete,
            se,
            se_without_fpc,
            moe,
            ci,
            status,
            children: child_estimates,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::stats::design::{Respondent, Sample, stratified_variance};

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
    fn empty_sample_has_no_estimates() {
        let s = Sample::new(2, vec![], vec![None]).unwrap();
        let tree = IndexNode::Mean(vec![IndexNode::Item(0), IndexNode::Item(1)]);
        let d = estimate_domain(&s, &tree, &DomainOptions::default()).unwrap();
        assert_eq!(d.df, 0);
        assert_eq!(d.t_crit, None);
        assert_eq!(d.root.value, None);
        assert_eq!(d.items[0].share, None);
        assert_eq!(d.items[0].ci, None);
        assert_eq!(d.root.status, Reliability::Suppressed);
        assert_eq!(d.kish_deff_weights, None);
    }

    #[test]
    fn invalid_tree_or_confidence_is_an_error() {
        let s = Sample::new(1, vec![resp(0, 1.0, &[T])], vec![None]).unwrap();
        let bad = IndexNode::Mean(vec![IndexNode::Item(1)]);
        assert!(matches!(
            estimate_domain(&s, &bad, &DomainOptions::default()),
            Err(StatsError::UnknownItem {
                item: 1,
                n_items: 1
            })
        ));
        let opts = DomainOptions {
            confidence: 1.0,
            ..DomainOptions::default()
        };
        assert!(matches!(
            estimate_domain(&s, &IndexNode::Item(0), &opts),
            Err(StatsError::InvalidConfidence(_))
        ));
    }

    #[test]
    fn singleton_stratum_leaves_the_variance_undefined() {
        let s = Sample::new(
            1,
            vec![resp(0, 1.0, &[T]), resp(0, 1.0, &[F]), resp(1, 1.0, &[T])],
            vec![None, None],
        )
        .unwrap();
        let d = estimate_domain(&s, &IndexNode::Item(0), &DomainOptions::default()).unwrap();
        assert_eq!(d.root.value, Some(2.0 / 3.0));
        assert_eq!(d.root.se, None);
        assert_eq!(d.root.ci, None);
        assert_eq!(stratified_variance(&[0, 1], &[0.1, 0.2], &[0.0, 0.0]), None);
        assert_eq!(stratified_variance(&[0], &[0.1, 0.2], &[0.0]), None);
        assert_eq!(stratified_variance(&[0, 2], &[0.1, 0.2], &[0.0]), None);
        assert_eq!(stratified_variance(&[0, 0], &[0.1, 0.2], &[1.5]), None);
    }

    #[test]
    fn deep_tree_weights_multiply_down() {
        // root = mean(policy, pas); policy = mean(item 0, item 1); pas = mean(f1, f2);
        // f1 = mean(items 2, 3, 4); f2 = item 5.
        let tree = IndexNode::Mean(vec![
            IndexNode::Mean(vec![IndexNode::Item(0), IndexNode::Item(1)]),
            IndexNode::Mean(vec![
                IndexNode::Mean(vec![
                    IndexNode::Item(2),
                    IndexNode::Item(3),
                    IndexNode::Item(4),
                ]),
                IndexNode::Item(5),
            ]),
        ]);
        let shares = vec![Some(0.5); 6];
        let a = tree.item_weights(&shares).unwrap();
        let expected = [0.25, 0.25, 1.0 / 12.0, 1.0 / 12.0, 1.0 / 12.0, 0.25];
        for (x, y) in a.iter().zip(expected) {
            assert!((x - y).abs() < 1e-15);
        }
        // Item 5 without data: pas = f1, renormalised.
        let mut shares = vec![Some(0.2), Some(0.4), Some(0.6), Some(0.9), Some(0.3), None];
        let a = tree.item_weights(&shares).unwrap();
        assert!((a[5]).abs() < 1e-15 && (a[2] - 0.5 / 3.0).abs() < 1e-15);
        let v = tree.value(&shares).unwrap();
        let lin: f64 = a
            .iter()
            .zip(&shares)
            .map(|(a, p)| a * p.unwrap_or(0.0))
            .sum();
        assert!((v - lin).abs() < 1e-15);
        assert!((v - (0.3 + 0.6) / 2.0).abs() < 1e-15);
        shares.iter_mut().for_each(|s| *s = None);
        assert_eq!(tree.item_weights(&shares), None);
        assert_eq!(tree.value(&shares), None);
        assert_eq!(tree.items(), vec![0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn unavailable_child_marks_the_parent_incomplete() {
        let s = Sample::new(
            3,
            vec![resp(0, 1.0, &[T, F, NA]), resp(0, 1.0, &[F, F, NA])],
            vec![None],
        )
        .unwrap();
        let tree = IndexNode::Mean(vec![
            IndexNode::Mean(vec![IndexNode::Item(0), IndexNode::Item(1)]),
            IndexNode::Mean(vec![IndexNode::Item(2)]),
        ]);
        let d = estimate_domain(&s, &tree, &DomainOptions::default()).unwrap();
        assert!(!d.root.complete);
        assert_eq!(d.root.value, Some(0.25));
        let NodeChild::Node(b) = &d.root.children[1] else {
            panic!("expected a node");
        };
        assert_eq!(b.value, None);
        assert_eq!(b.se, None);
        assert_eq!(b.n_with_data, 0);
    }

    #[test]
    fn logit_interval_needs_an_interior_value() {
        assert_eq!(logit_t_interval(0.0, 0.1, 2.0), None);
        assert_eq!(logit_t_interval(1.0, 0.1, 2.0), None);
        let ci = logit_t_interval(0.9, 0.05, 2.0).unwrap();
        assert!(ci.lower > 0.0 && ci.upper < 1.0 && ci.contains(0.9));
        // Asymmetric near 1: more room below than above.
        assert!(0.9 - ci.lower > ci.upper - 0.9);
    }

    #[test]
    fn a_zero_se_takes_the_width_of_its_wilson_interval() {
        // 40 of 40 satisfied: Wilson [0.912, 1]; the SE reaches the lower bound at z.
        let ci = crate::stats::proportion::wilson(40, 40, 0.95).unwrap();
        let se = interval_se(1.0, 0.0, Some(ci), 0.95);
        let z = z_critical(0.95).unwrap();
        assert!((se * z - (1.0 - ci.lower)).abs() < 1e-15, "{se}");
        assert!(se > 0.04, "{se}");
        // A positive SE and a point interval are kept.
        assert_eq!(interval_se(0.8, 0.02, Some(ci), 0.95), 0.02);
        let point = Interval {
            lower: 0.8,
            upper: 0.8,
        };
        assert_eq!(interval_se(0.8, 0.0, Some(point), 0.95), 0.0);
        assert_eq!(interval_se(0.8, 0.0, None, 0.95), 0.0);
    }

    #[test]
    fn zero_se_falls_back_to_wilson() {
        let ci = composite_interval(CompositeMethod::T, 1.0, 0.0, 4.0, 5, 0.95).unwrap();
        let w = crate::stats::proportion::wilson(5, 5, 0.95).unwrap();
        assert_eq!(ci, w);
        let ci = composite_interval(CompositeMethod::LogitT, 0.0, 0.0, 3.0, 4, 0.95).unwrap();
        assert_eq!(ci.lower, 0.0);
    }

    #[test]
    fn mean_of_independent_rejects_bad_input() {
        assert_eq!(mean_of_independent(&[]), None);
        let e = IndependentEstimate {
            value: 0.5,
            se: -1.0,
            df: 3.0,
        };
        assert_eq!(mean_of_independent(&[e]), None);
        let a = IndependentEstimate {
            value: 0.6,
            se: 0.03,
            df: 99.0,
        };
        let b = IndependentEstimate {
            value: 0.8,
            se: 0.04,
            df: 49.0,
        };
        let m = mean_of_independent(&[a, b]).unwrap();
        assert!((m.value - 0.7).abs() < 1e-15);
        assert!((m.se - 0.025).abs() < 1e-15);
        assert_eq!(m.df, 148.0);
    }
}
