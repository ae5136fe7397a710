//! The bases of a domain's numbers alone — its respondents, the respondents with data below each
//! node, the answerers of each item — without the estimates. Suppression is decided by the basis
//! alone ([`crate::stats::ReliabilityThresholds::classify`]), so the checks on differences, which
//! need many member agencies' suppressed numbers and none of their values, read these instead of
//! whole estimates (no variances, no intervals).

use super::composite::IndexNode;
use super::design::Design;

/// The bases of a domain, in the order of its estimate ([`super::estimate_domain`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainBases {
    /// Every respondent: the root's basis.
    pub n_respondents: u64,
    /// Respondents with data below each composite node, depth first from the root (the order
    /// of [`super::NodeEstimate`] and its node children).
    pub nodes: Vec<u64>,
    /// Answerers of each item.
    pub items: Vec<u64>,
}

/// The bases of `sample` over `tree`: the same counts [`super::estimate_domain`] reports.
pub fn domain_bases<D: Design + ?Sized>(sample: &D, tree: &IndexNode) -> DomainBases {
    let mut nodes = Vec::new();
    walk(sample, tree, &mut nodes);
    DomainBases {
        n_respondents: sample.n_respondents() as u64,
        nodes,
        items: (sample.item_counts().iter())
            .map(|c| c.n_answered)
            .collect(),
    }
}

fn walk<D: Design + ?Sized>(sample: &D, node: &IndexNode, out: &mut Vec<u64>) {
    out.push(sample.n_with_data(&node.items()) as u64);
    if let IndexNode::Mean(children) = node {
        for child in children {
            if let IndexNode::Mean(_) = child {
                walk(sample, child, out);
            }
        }
    }
}
