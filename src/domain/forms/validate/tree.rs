//! The walks over the whole index tree: no cycle, every node reachable from the root, bounded
//! depth. Both are iterative (no recursion, whatever the file holds).

use std::collections::{HashMap, VecDeque};

use super::super::definition::IndexDef;
use super::super::error::FormErrorKind as K;
use super::{MAX_INDEX_DEPTH, Validator, span};

/// The index tree as a graph: the nodes of the file, by position.
pub(super) struct Tree<'f> {
    pub(super) idx: &'f IndexDef,
    /// Node id → position of its first definition.
    pub(super) ids: HashMap<&'f str, usize>,
    /// The known children of each node (none for a repeated definition).
    pub(super) edges: Vec<Vec<usize>>,
}

impl Tree<'_> {
    /// The id of the node at `position`.
    fn id(&self, position: usize) -> Option<&str> {
        self.idx
            .nodes
            .get(position)
            .map(|nd| nd.get_ref().id.get_ref().as_str())
    }
}

/// A node's state in the depth-first search.
#[derive(Clone, Copy, PartialEq)]
enum Visit {
    New,
    OnStack,
    Done,
}

impl Validator<'_> {
    /// Reports each cycle (depth first); returns which nodes lie on one.
    pub(super) fn cycles(&mut self, tree: &Tree<'_>) -> Vec<bool> {
        let n = tree.idx.nodes.len();
        let mut state = vec![Visit::New; n];
        let mut on_cycle = vec![false; n];
        for start in 0..n {
            if state.get(start) != Some(&Visit::New) {
                continue;
            }
            // (node, index of its next child to visit)
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            if let Some(s) = state.get_mut(start) {
                *s = Visit::OnStack;
            }
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let child = tree.edges.get(node).and_then(|e| e.get(*next)).copied();
                *next += 1;
                match child {
                    None => {
                        if let Some(s) = state.get_mut(node) {
                            *s = Visit::Done;
                        }
                        stack.pop();
                    }
                    Some(c) if state.get(c) == Some(&Visit::OnStack) => {
                        self.report_cycle(tree, &stack, c, &mut on_cycle);
                    }
                    Some(c) if state.get(c) == Some(&Visit::New) => {
                        if let Some(s) = state.get_mut(c) {
                            *s = Visit::OnStack;
                        }
                        stack.push((c, 0));
                    }
                    Some(_) => {}
                }
            }
        }
        on_cycle
    }

    /// Reports the cycle that the edge from the top of `stack` back to `c` closes, at the
    /// `children` of the node on top, and marks its nodes in `on_cycle`.
    fn report_cycle(
        &mut self,
        tree: &Tree<'_>,
        stack: &[(usize, usize)],
        c: usize,
        on_cycle: &mut [bool],
    ) {
        let from = stack.iter().position(|(x, _)| *x == c).unwrap_or(0);
        let cycle = stack.get(from..).unwrap_or_default();
        let mut path: Vec<&str> = cycle.iter().filter_map(|(x, _)| tree.id(*x)).collect();
        for (x, _) in cycle {
            if let Some(flag) = on_cycle.get_mut(*x) {
                *flag = true;
            }
        }
        path.extend(tree.id(c));
        let top = stack.last().and_then(|(node, _)| tree.idx.nodes.get(*node));
        if let Some(nd) = top {
            let at = nd
                .get_ref()
                .children
                .as_ref()
                .map_or_else(|| span(nd), span);
            let kind = K::Cycle {
                path: path.join(" → "),
            };
            self.push(at, Some(nd.get_ref().id.get_ref().as_str()), kind);
        }
    }

    /// Reports a tree deeper than [`MAX_INDEX_DEPTH`] and each node (first definitions, not on
    /// a cycle) that the root does not reach. Nothing when the root is unknown.
    pub(super) fn reachability(&mut self, tree: &Tree<'_>, on_cycle: &[bool]) {
        let root = tree.idx.root.get_ref().as_str();
        let Some(&r) = tree.ids.get(root) else {
            return;
        };
        let seen = self.reached(tree, r);
        for (i, nd) in tree.idx.nodes.iter().enumerate() {
            let id = nd.get_ref().id.get_ref().as_str();
            let first_def = tree.ids.get(id) == Some(&i);
            if first_def && seen.get(i) == Some(&false) && on_cycle.get(i) == Some(&false) {
                self.push(span(&nd.get_ref().id), Some(id), K::UnreachableNode);
            }
        }
    }

    /// The nodes reached from the root at position `r` (breadth first); reports, once, a node
    /// deeper than [`MAX_INDEX_DEPTH`].
    fn reached(&mut self, tree: &Tree<'_>, r: usize) -> Vec<bool> {
        let n = tree.idx.nodes.len();
        let mut depth = vec![0usize; n];
        let mut seen = vec![false; n];
        let mut queue = VecDeque::from([r]);
        if let Some(s) = seen.get_mut(r) {
            *s = true;
        }
        if let Some(d) = depth.get_mut(r) {
            *d = 1;
        }
        let mut too_deep = false;
        while let Some(x) = queue.pop_front() {
            let dx = depth.get(x).copied().unwrap_or(0);
            if dx > MAX_INDEX_DEPTH && !too_deep {
                too_deep = true;
                let root = tree.idx.root.get_ref().as_str();
                let kind = K::IndexTooDeep {
                    max: MAX_INDEX_DEPTH,
                };
                self.push(span(&tree.idx.root), Some(root), kind);
            }
            for &c in tree.edges.get(x).map(Vec::as_slice).unwrap_or_default() {
                if seen.get(c) == Some(&false) {
                    if let Some(s) = seen.get_mut(c) {
                        *s = true;
                    }
                    if let Some(d) = depth.get_mut(c) {
                        *d = dx + 1;
                    }
                    queue.push_back(c);
                }
            }
        }
        seen
    }
}
