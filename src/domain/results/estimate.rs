//! From merged counts to figures: a design's strata become a `stats::MomentSample`, the
//! statistics core estimates it, and the estimate is flattened into [`Figures`] (nodes in the
//! tree's depth-first order, items in the shape's order) that suppression and the views work
//! on. Also the mean of several agencies' figures (methodology §3.5, `docs/statistics.md` §4.8).

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use uuid::Uuid;

use super::{Design, Strata};
use crate::domain::aggregates::{BucketCounts, BucketError, DissatisfiedRule, OptionCounts};
use crate::stats::{
    self, CompositeMethod, DomainOptions, Interval, MomentSample, Moments, NodeChild, NodeEstimate,
    Reliability, ReliabilityThresholds, StatsError, Weighting, composite_interval, t_critical,
    wilson_effective,
};

/// Why an estimate could not be made: corrupt buckets or inconsistent counts (a bug, never bad
/// input).
#[derive(Debug, thiserror::Error)]
pub enum EstimateError {
    #[error(transparent)]
    Bucket(#[from] BucketError),
    #[error("statistics: {0}")]
    Stats(#[from] StatsError),
}

/// The figures of one node (fractions).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NodeFigure {
    pub value: Option<f64>,
    /// The linearised SE (0 when every respondent gave the same answer), as published.
    pub se: Option<f64>,
    /// The SE that agrees with the interval shown ([`agreeing_se`]): what means of agencies,
    /// rankings and changes between periods use.
    pub se_cmp: Option<f64>,
    pub moe: Option<f64>,
    pub ci: Option<Interval>,
    /// The basis: respondents with data below the node (all respondents for the root).
    pub n: u64,
    pub df: f64,
    pub complete: bool,
    pub status: Reliability,
    /// Suppressed only so that another suppressed number cannot be recovered.
    pub complementary: bool,
    /// Agencies in a mean.
    pub agencies: Option<usize>,
}

/// The figures of one item (fractions).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ItemFigure {
    pub share: Option<f64>,
    /// As [`NodeFigure::se`].
    pub se: Option<f64>,
    /// As [`NodeFigure::se_cmp`].
    pub se_cmp: Option<f64>,
    pub ci: Option<Interval>,
    /// Answerers `n_j`.
    pub n: u64,
    /// Answers per level, in the scale's order.
    pub levels: Vec<u64>,
    pub status: Reliability,
    pub complementary: bool,
    pub agencies: Option<usize>,
}

/// Everything estimated for one domain.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Figures {
    /// Depth first, parents before children (`ScoredNode::walk`).
    pub nodes: Vec<NodeFigure>,
    /// In the shape's item order.
    pub items: Vec<ItemFigure>,
    /// Degrees of freedom of the root.
    pub df: f64,
    /// Whether a weight differs between respondents / the fpc was applied.
    pub weighted: bool,
    pub fpc: bool,
    /// Strata of one respondent merged into a neighbour ([`collapse_lonely`]).
    pub collapsed_strata: usize,
}

impl Figures {
    /// The root's figures.
    pub fn root(&self) -> Option<&NodeFigure> {
        self.nodes.first()
    }
}

/// One estimate: the figures, and the totals behind them.
#[derive(Debug, Clone)]
pub(crate) struct Estimate {
    pub figures: Figures,
    /// All buckets added up.
    pub totals: Totals,
    /// Registered dossiers.
    pub invited: u64,
}

/// What results show of merged buckets: the counts, without the sufficient statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    /// Valid responses.
    pub valid: u64,
    /// Invalid returns.
    pub invalid: u64,
    /// Valid responses dissatisfied under each rule (`DissatisfiedRule::ALL`'s order).
    dissatisfied: [u64; 3],
    /// The answers to the indicator questions (methodology §3.3), pooled.
    pub options: OptionCounts,
}

impl Totals {
    /// Adds the counts of `b`.
    pub fn add(&mut self, b: &BucketCounts) {
        self.valid += b.valid;
        self.invalid += b.invalid;
        for rule in DissatisfiedRule::ALL {
            self.dissatisfied[rule.index()] += b.dissatisfied(rule);
        }
        // Buckets of one shape by construction.
        let _ = self.options.merge(&b.options);
    }

    /// Adds other totals.
    pub fn add_totals(&mut self, other: &Totals) {
        self.valid += other.valid;
        self.invalid += other.invalid;
        for (a, b) in self.dissatisfied.iter_mut().zip(other.dissatisfied) {
            *a += b;
        }
        let _ = self.options.merge(&other.options);
    }

    /// Valid responses dissatisfied under `rule` (D_dis of Decision 766).
    pub fn dissatisfied(&self, rule: DissatisfiedRule) -> u64 {
        self.dissatisfied[rule.index()]
    }
}

/// A stratum of a design: the (agency, channel) parts that separate strata.
type StratumKey<'a> = (Option<Uuid>, Option<&'a str>);

/// What the cells of a design add up to: the totals, each item's level counts, the registered
/// dossiers, and the moments and dossiers of each of the design's strata.
struct Merged<'a> {
    totals: Totals,
    levels: Vec<Vec<u64>>,
    invited: u64,
    groups: BTreeMap<StratumKey<'a>, (Moments, u64)>,
}

/// Merges the cells of `strata` into the strata of `design`.
fn merge_cells(strata: &Strata, design: Design) -> Result<Merged<'_>, EstimateError> {
    let mut m = Merged {
        totals: Totals::default(),
        levels: strata.shape.empty_levels(),
        invited: 0,
        groups: BTreeMap::new(),
    };
    for ((agency, channel), cell) in &strata.cells {
        if cell.counts.levels.len() != m.levels.len() {
            return Err(BucketError.into());
        }
        m.totals.add(&cell.counts);
        for (a, b) in m.levels.iter_mut().zip(&cell.counts.levels) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        m.invited += cell.invited;
        let key = match design {
            Design::SrsFpc | Design::Srs | Design::CellSrs => (None, None),
            Design::Stratified => (None, Some(channel.as_str())),
            Design::Pooled => (Some(*agency), Some(channel.as_str())),
        };
        // A group's first cell is copied, not added to zeros: the same counts, one pass less.
        match m.groups.entry(key) {
            Entry::Vacant(slot) => {
                slot.insert((cell.counts.moments.clone(), cell.invited));
            }
            Entry::Occupied(mut group) => {
                let group = group.get_mut();
                group.0.merge(&cell.counts.moments)?;
                group.1 += cell.invited;
            }
        }
    }
    Ok(m)
}

/// Merges every stratum of exactly one respondent into its neighbour (`docs/statistics.md` §4.3):
/// its variance term `n_h/(n_h − 1)` is undefined, and without the merge a single lonely
/// respondent would take the interval of the whole domain away. The neighbour is the next
/// stratum in key order (the same agency's next channel first), else the one before; counts and
/// registered dossiers are summed, so the fpc follows. Returns the strata and how many merged.
fn collapse_lonely(
    strata: Vec<(Moments, u64)>,
) -> Result<(Vec<(Moments, u64)>, usize), EstimateError> {
    if strata.len() < 2 {
        return Ok((strata, 0));
    }
    let (mut out, mut collapsed) = (Vec::with_capacity(strata.len()), 0);
    let mut lonely: Option<(Moments, u64)> = None;
    for (mut moments, mut invited) in strata {
        if let Some((m, n)) = lonely.take() {
            moments.merge(&m)?;
            invited += n;
            collapsed += 1;
        }
        if moments.respondents() == 1 {
            lonely = Some((moments, invited));
        } else {
            out.push((moments, invited));
        }
    }
    match (lonely, out.last_mut()) {
        (Some((m, n)), Some(last)) => {
            last.0.merge(&m)?;
            last.1 += n;
            collapsed += 1;
        }
        (Some(alone), None) => out.push(alone),
        (None, _) => {}
    }
    Ok((out, collapsed))
}

/// Merges `strata` into the strata of `design` and estimates it.
pub(crate) fn estimate(
    strata: &Strata,
    design: Design,
    options: &DomainOptions,
) -> Result<Estimate, EstimateError> {
    let shape = &strata.shape;
    let Merged {
        totals,
        levels,
        invited,
        groups,
    } = merge_cells(strata, design)?;
    let (groups, collapsed_strata) = collapse_lonely(groups.into_values().collect())?;
    let mut sample_strata: Vec<(Moments, Option<u64>)> = groups
        .into_iter()
        .map(|(m, n)| (m, design.uses_fpc().then_some(n)))
        .collect();
    if sample_strata.is_empty() {
        sample_strata.push((shape.empty().moments, None));
    }
    let weighting = if design.weighted() {
        Weighting::Expansion
    } else {
        Weighting::Unweighted
    };
    let sample = MomentSample::new(sample_strata, weighting)?;
    let domain = stats::estimate_domain(&sample, &shape.tree.root.tree, options)?;
    let df = domain.df as f64;
    let mut nodes = Vec::new();
    flatten(&domain.root, (df, options.confidence), &mut nodes);
    if let Some(root) = nodes.first_mut() {
        root.n = domain.n_respondents as u64;
    }
    let items = domain
        .items
        .iter()
        .zip(levels)
        .map(|(i, levels)| ItemFigure {
            share: i.share,
            se: i.se,
            se_cmp: agreeing_se(i.share, i.se, i.ci, options.confidence),
            ci: i.ci,
            n: i.n_answered,
            levels,
            status: i.status,
            complementary: false,
            agencies: None,
        })
        .collect();
    Ok(Estimate {
        figures: Figures {
            nodes,
            items,
            df,
            weighted: domain.weighted,
            fpc: domain.fpc,
            collapsed_strata,
        },
        totals,
        invited,
    })
}

/// The figures of `strata` with their bases and suppression only: no values, no intervals (the
/// statuses of numbers not suppressed are `low_reliability`, never read). What the checks on
/// differences read of member agencies: suppression depends on the bases alone, which are the
/// same under every design.
///
/// # Errors
/// Cells of different shapes (a bug, never bad input).
pub(crate) fn bases(strata: &Strata, options: &DomainOptions) -> Result<Figures, EstimateError> {
    let shape = &strata.shape;
    let mut moments = shape.empty().moments;
    for cell in strata.cells.values() {
        moments.merge(&cell.counts.moments)?;
    }
    let sample = MomentSample::new(vec![(moments, None)], Weighting::Unweighted)?;
    let b = stats::domain_bases(&sample, &shape.tree.root.tree);
    let classify = |n: u64| options.reliability.classify(n, None);
    let mut nodes: Vec<NodeFigure> = (b.nodes.iter())
        .map(|&n| NodeFigure {
            value: None,
            se: None,
            se_cmp: None,
            moe: None,
            ci: None,
            n,
            df: 0.0,
            complete: false,
            status: classify(n),
            complementary: false,
            agencies: None,
        })
        .collect();
    if let Some(root) = nodes.first_mut() {
        (root.n, root.status) = (b.n_respondents, classify(b.n_respondents));
    }
    let items = (b.items.iter())
        .map(|&n| ItemFigure {
            share: None,
            se: None,
            se_cmp: None,
            ci: None,
            n,
            levels: Vec::new(),
            status: classify(n),
            complementary: false,
            agencies: None,
        })
        .collect();
    Ok(Figures {
        nodes,
        items,
        df: 0.0,
        weighted: false,
        fpc: false,
        collapsed_strata: 0,
    })
}

/// The SE every later step uses (means of agencies, rankings, changes, margins): one that agrees
/// with the interval shown ([`stats::interval_se`]), never 0 beside a Wilson interval.
fn agreeing_se(
    value: Option<f64>,
    se: Option<f64>,
    ci: Option<Interval>,
    level: f64,
) -> Option<f64> {
    match (value, se) {
        (Some(v), Some(s)) => Some(stats::interval_se(v, s, ci, level)),
        _ => se,
    }
}

/// The node estimates in depth-first order (only composite children are nodes; items are
/// reported separately).
fn flatten(node: &NodeEstimate, (df, confidence): (f64, f64), out: &mut Vec<NodeFigure>) {
    out.push(NodeFigure {
        value: node.value,
        se: node.se,
        se_cmp: agreeing_se(node.value, node.se, node.ci, confidence),
        moe: node.moe,
        ci: node.ci,
        n: node.n_with_data as u64,
        df,
        complete: node.complete,
        status: node.status,
        complementary: false,
        agencies: None,
    });
    for child in &node.children {
        if let NodeChild::Node(n) = child {
            flatten(n, (df, confidence), out);
        }
    }
}

/// The unweighted mean of independent agencies' figures, number by number, over the agencies
/// whose number has a value and is not suppressed (methodology §3.5: "over the agencies whose
/// value is not null"; a suppressed value is null to the public, so it stays out too).
/// `V = Σ V_a / A²`, `df = Σ df_a` (`docs/statistics.md` §4.8); nodes get the t interval, items
/// Wilson with the effective n of that variance. Counts are the sums over the agencies in the
/// mean.
pub(crate) fn mean_of(
    agencies: &[&Figures],
    confidence: f64,
    t: &ReliabilityThresholds,
) -> Figures {
    let n_nodes = agencies.first().map_or(0, |f| f.nodes.len());
    let n_items = agencies.first().map_or(0, |f| f.items.len());
    let nodes = (0..n_nodes)
        .map(|i| {
            let entries: Vec<&NodeFigure> = agencies
                .iter()
                .filter_map(|f| f.nodes.get(i))
                .filter(|n| n.value.is_some() && n.status != Reliability::Suppressed)
                .collect();
            mean_node(&entries, confidence, t)
        })
        .collect();
    let items = (0..n_items)
        .map(|j| {
            let entries: Vec<&ItemFigure> = agencies
                .iter()
                .filter_map(|f| f.items.get(j))
                .filter(|i| i.share.is_some() && i.status != Reliability::Suppressed)
                .collect();
            let levels_len = agencies
                .first()
                .and_then(|f| f.items.get(j))
                .map_or(0, |i| i.levels.len());
            mean_item(&entries, levels_len, confidence, t)
        })
        .collect();
    let root_df = agencies
        .iter()
        .filter(|f| {
            f.root()
                .is_some_and(|r| r.value.is_some() && r.status != Reliability::Suppressed)
        })
        .map(|f| f.df)
        .sum();
    Figures {
        nodes,
        items,
        df: root_df,
        weighted: agencies.iter().any(|f| f.weighted),
        fpc: agencies.iter().any(|f| f.fpc),
        collapsed_strata: agencies.iter().map(|f| f.collapsed_strata).sum(),
    }
}

/// `(mean, se)`: the se only when every entry has one.
fn mean_and_se(values: &[(f64, Option<f64>)]) -> Option<(f64, Option<f64>)> {
    if values.is_empty() {
        return None;
    }
    let k = values.len() as f64;
    let mean = values.iter().map(|(v, _)| v).sum::<f64>() / k;
    let se = values
        .iter()
        .map(|(_, s)| s.map(|s| s * s))
        .sum::<Option<f64>>()
        .map(|v| v.sqrt() / k);
    Some((mean, se))
}

fn mean_node(entries: &[&NodeFigure], confidence: f64, t: &ReliabilityThresholds) -> NodeFigure {
    let values: Vec<(f64, Option<f64>)> = entries
        .iter()
        .filter_map(|n| n.value.map(|v| (v, n.se_cmp)))
        .collect();
    let n: u64 = entries.iter().map(|e| e.n).sum();
    let df: f64 = entries.iter().map(|e| e.df).sum();
    let (value, se) = match mean_and_se(&values) {
        Some((v, s)) => (Some(v), s),
        None => (None, None),
    };
    let ci = value.zip(se).and_then(|(v, s)| {
        composite_interval(CompositeMethod::T, v, s, df, n as usize, confidence)
    });
    let moe = se.zip(t_critical(df, confidence)).map(|(s, c)| s * c);
    NodeFigure {
        value,
        se,
        se_cmp: se,
        moe,
        ci,
        n,
        df,
        complete: !entries.is_empty() && entries.iter().all(|e| e.complete),
        status: t.classify(n, ci),
        complementary: false,
        agencies: Some(entries.len()),
    }
}

fn mean_item(
    entries: &[&ItemFigure],
    levels_len: usize,
    confidence: f64,
    t: &ReliabilityThresholds,
) -> ItemFigure {
    let values: Vec<(f64, Option<f64>)> = entries
        .iter()
        .filter_map(|i| i.share.map(|s| (s, i.se_cmp)))
        .collect();
    let n: u64 = entries.iter().map(|e| e.n).sum();
    let mut levels = vec![0; levels_len];
    for e in entries {
        for (a, b) in levels.iter_mut().zip(&e.levels) {
            *a += b;
        }
    }
    let (share, se) = match mean_and_se(&values) {
        Some((v, s)) => (Some(v), s),
        None => (None, None),
    };
    let ci = share
        .zip(se)
        .and_then(|(p, s)| wilson_effective(p, s * s, n, confidence));
    ItemFigure {
        share,
        se,
        se_cmp: se,
        ci,
        n,
        levels,
        status: t.classify(n, ci),
        complementary: false,
        agencies: Some(entries.len()),
    }
}
