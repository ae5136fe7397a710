//! Complementary suppression (`docs/statistics.md` §5.4: "suppression must also be checked on
//! differences").
//!
//! A node's value is the mean of its children's values, and a total's answer counts are the sums
//! of its cells' counts. So when a published number has exactly one suppressed part among
//! several, that part can be computed back: the feedback factor from the index and the other
//! four factors, or one channel's counts from the agency's and the other channel's. The rule
//! here: whenever a published parent has exactly one suppressed part with data, the published
//! part with the smallest basis is suppressed too ("complementary"); a suppressed node takes its
//! whole subtree with it, since its items would give it back. Parts without data hide nothing
//! and are ignored. Applied inside every domain (the tree) and across the cells of a breakdown
//! (each number against the total), repeated until nothing changes.

use super::estimate::Figures;
use super::nest::{Nest, Piece};
use crate::domain::scoring::ScoredNode;
use crate::stats::Reliability;

/// The tree as index lists: per node (depth first), its direct items and child nodes.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    nodes: Vec<NodeLayout>,
}

#[derive(Debug, Clone)]
struct NodeLayout {
    items: Vec<usize>,
    children: Vec<usize>,
}

impl Layout {
    pub fn of(root: &ScoredNode) -> Self {
        fn walk(node: &ScoredNode, out: &mut Vec<NodeLayout>) -> usize {
            let index = out.len();
            out.push(NodeLayout {
                items: node.items.clone(),
                children: Vec::new(),
            });
            let children: Vec<usize> = node.children.iter().map(|c| walk(c, out)).collect();
            if let Some(n) = out.get_mut(index) {
                n.children = children;
            }
            index
        }
        let mut nodes = Vec::new();
        walk(root, &mut nodes);
        Self { nodes }
    }
}

/// A part of a parent: an item or a child node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Item(usize),
    Node(usize),
}

fn basis(f: &Figures, part: Part) -> u64 {
    match part {
        Part::Item(j) => f.items.get(j).map_or(0, |i| i.n),
        Part::Node(i) => f.nodes.get(i).map_or(0, |n| n.n),
    }
}

fn is_suppressed(f: &Figures, part: Part) -> bool {
    match part {
        Part::Item(j) => f
            .items
            .get(j)
            .is_none_or(|i| i.status == Reliability::Suppressed),
        Part::Node(i) => f
            .nodes
            .get(i)
            .is_none_or(|n| n.status == Reliability::Suppressed),
    }
}

/// Suppresses `part` as a complement (a node with its subtree).
fn suppress(f: &mut Figures, layout: &Layout, part: Part) {
    match part {
        Part::Item(j) => {
            if let Some(i) = f.items.get_mut(j)
                && i.status != Reliability::Suppressed
            {
                i.status = Reliability::Suppressed;
                i.complementary = true;
            }
        }
        Part::Node(index) => {
            if let Some(n) = f.nodes.get_mut(index)
                && n.status != Reliability::Suppressed
            {
                n.status = Reliability::Suppressed;
                n.complementary = true;
            }
            if let Some(l) = layout.nodes.get(index) {
                for &j in &l.items {
                    suppress(f, layout, Part::Item(j));
                }
                for &c in &l.children {
                    suppress(f, layout, Part::Node(c));
                }
            }
        }
    }
}

/// Given the parts of one published parent as `(figures index, part)`, the one to suppress as
/// a complement, if exactly one part with data is suppressed.
fn complement<'a>(
    parts: impl Iterator<Item = (usize, Part, &'a Figures)>,
) -> Option<(usize, Part)> {
    let with_data: Vec<(usize, Part, u64, bool)> = parts
        .map(|(k, p, f)| (k, p, basis(f, p), is_suppressed(f, p)))
        .filter(|&(_, _, n, _)| n > 0)
        .collect();
    let hidden = with_data.iter().filter(|e| e.3).count();
    if hidden != 1 || with_data.len() < 2 {
        return None;
    }
    with_data
        .iter()
        .filter(|e| !e.3)
        .min_by_key(|e| e.2)
        .map(|e| (e.0, e.1))
}

/// Inside one domain: every published node against its items and child nodes. Returns whether
/// anything was suppressed.
pub(crate) fn within(f: &mut Figures, layout: &Layout) -> bool {
    let mut changed = false;
    // Depth first, so a parent's complement is settled before its children are looked at.
    for (index, node) in layout.nodes.iter().enumerate() {
        if is_suppressed(f, Part::Node(index)) {
            continue;
        }
        let parts: Vec<Part> = node
            .items
            .iter()
            .map(|&j| Part::Item(j))
            .chain(node.children.iter().map(|&c| Part::Node(c)))
            .collect();
        let snapshot = f.clone();
        if let Some((_, part)) = complement(parts.iter().map(|&p| (0, p, &snapshot))) {
            suppress(f, layout, part);
            changed = true;
        }
    }
    changed
}

/// A total and its breakdown cells: inside each, and every number of the total against the
/// same number in the cells, until nothing changes.
pub(crate) fn across(total: &mut Figures, cells: &mut [Figures], layout: &Layout) {
    within(total, layout);
    for c in cells.iter_mut() {
        within(c, layout);
    }
    let n_nodes = layout.nodes.len();
    let n_items = total.items.len();
    // Each pass suppresses at least one more number or stops, so this ends.
    loop {
        let mut changed = false;
        let positions = (0..n_nodes)
            .map(Part::Node)
            .chain((0..n_items).map(Part::Item));
        for part in positions {
            if is_suppressed(total, part) {
                continue;
            }
            let snapshot: Vec<Figures> = cells.to_vec();
            let found = complement(snapshot.iter().enumerate().map(|(k, f)| (k, part, f)));
            if let Some((k, part)) = found
                && let Some(cell) = cells.get_mut(k)
            {
                suppress(cell, layout, part);
                changed = true;
            }
        }
        for c in cells.iter_mut() {
            changed |= within(c, layout);
        }
        if !changed {
            break;
        }
    }
}

/// A subtree's pooled total against its members' own results (each published on its own, with
/// [`within`] applied; `None`: no figures) and the subtrees nested inside it: a number of the
/// total is suppressed when subtracting what is published would leave one member's hidden
/// group alone, or hidden groups of fewer than `suppress_below` answers together
/// ([`Nest::gives_back`]). The total's tree is then made consistent again.
pub(crate) fn over_members(
    total: &mut Figures,
    (members, nest): (&[Option<&Figures>], &Nest),
    layout: &Layout,
    suppress_below: u64,
) {
    let parts = (0..layout.nodes.len())
        .map(Part::Node)
        .chain((0..total.items.len()).map(Part::Item));
    for part in parts {
        if is_suppressed(total, part) {
            continue;
        }
        let pieces: Vec<Piece> = (members.iter())
            .map(|m| {
                m.map_or(Piece::default(), |f| Piece {
                    hidden: is_suppressed(f, part),
                    basis: basis(f, part),
                })
            })
            .collect();
        if nest.gives_back(&pieces, suppress_below) {
            suppress(total, layout, part);
        }
    }
    within(total, layout);
}
