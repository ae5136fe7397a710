//! The rules of the index tree's nodes: a known root, unique node ids, non-empty nodes, known
//! children with one parent each, and items that are shown scale questions on a satisfaction
//! scale, each in one node only. The walks over the whole tree (cycles, reachability, depth) are
//! in `tree`.

use std::collections::HashMap;

use toml::Spanned;

use super::super::definition::{FormFile, IndexDef, NodeDef, QuestionKind};
use super::super::error::FormErrorKind as K;
use super::syntax::{lower_alpha, node_char};
use super::tree::Tree;
use super::{QInfo, Validator, by_scale, span};

/// What the item checks look items up in, and where each item was first listed.
struct Items<'f, 'i> {
    infos: &'i HashMap<String, QInfo>,
    /// Whether each scale (by id) is a satisfaction scale.
    satisfaction: HashMap<&'f str, bool>,
    /// The node that first listed each item.
    node_of: HashMap<&'f str, &'f str>,
}

impl Validator<'_> {
    /// Checks the index tree.
    pub(super) fn index(&mut self, f: &FormFile, infos: &HashMap<String, QInfo>) {
        let idx = f.index.get_ref();
        let ids = self.node_ids(idx);
        let root = idx.root.get_ref().as_str();
        if !ids.contains_key(root) {
            self.push(
                span(&idx.root),
                Some(root),
                K::UnknownRoot {
                    root: root.to_string(),
                },
            );
        }
        let mut items = Items {
            infos,
            satisfaction: satisfaction_scales(f),
            node_of: HashMap::new(),
        };
        let edges = self.nodes(idx, &ids, &mut items);
        let tree = Tree { idx, ids, edges };
        let on_cycle = self.cycles(&tree);
        self.reachability(&tree, &on_cycle);
    }

    /// Checks each node id (valid, unique); returns the position of each id's first definition.
    fn node_ids<'f>(&mut self, idx: &'f IndexDef) -> HashMap<&'f str, usize> {
        let mut ids: HashMap<&str, usize> = HashMap::new();
        for (i, n) in idx.nodes.iter().enumerate() {
            let nd = n.get_ref();
            let id = nd.id.get_ref().as_str();
            self.check_id("node", &nd.id, id, lower_alpha, node_char);
            if ids.contains_key(id) {
                self.push(span(&nd.id), Some(id), K::DuplicateNode);
            } else {
                ids.insert(id, i);
            }
        }
        ids
    }

    /// Checks each node's label, children and items; returns the children of each node by
    /// position (none for a repeated definition).
    fn nodes<'f>(
        &mut self,
        idx: &'f IndexDef,
        ids: &HashMap<&'f str, usize>,
        items: &mut Items<'f, '_>,
    ) -> Vec<Vec<usize>> {
        let mut parent: HashMap<&str, &str> = HashMap::new();
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); idx.nodes.len()];
        for (i, n) in idx.nodes.iter().enumerate() {
            let nd = n.get_ref();
            let id = nd.id.get_ref().as_str();
            self.text(&nd.label, Some(id), "label");
            let no_children = nd.children.as_ref().is_none_or(|c| c.get_ref().is_empty());
            let no_items = nd.items.as_ref().is_none_or(|c| c.get_ref().is_empty());
            if no_children && no_items {
                self.push(span(n), Some(id), K::EmptyNode);
            }
            // Duplicated node definitions are reported above; their edges would only add noise.
            if ids.get(id) != Some(&i) {
                continue;
            }
            if let Some(e) = edges.get_mut(i) {
                *e = self.children(nd, ids, &mut parent);
            }
            for item in nd.items.iter().flat_map(|c| c.get_ref()) {
                self.item(item, id, items);
            }
        }
        edges
    }

    /// Checks the children of node `nd` (known, one parent each, recorded in `parent`); returns
    /// the positions of those that are.
    fn children<'f>(
        &mut self,
        nd: &'f NodeDef,
        ids: &HashMap<&'f str, usize>,
        parent: &mut HashMap<&'f str, &'f str>,
    ) -> Vec<usize> {
        let id = nd.id.get_ref().as_str();
        let mut children = Vec::new();
        for child in nd.children.iter().flat_map(|c| c.get_ref()) {
            let cid = child.get_ref().as_str();
            let Some(&ci) = ids.get(cid) else {
                self.push(
                    span(child),
                    Some(id),
                    K::UnknownNode {
                        child: cid.to_string(),
                    },
                );
                continue;
            };
            if let Some(first) = parent.get(cid) {
                self.push(
                    span(child),
                    Some(cid),
                    K::NodeInTwoParents {
                        first_parent: first.to_string(),
                    },
                );
                continue;
            }
            parent.insert(cid, id);
            children.push(ci);
        }
        children
    }

    /// Checks one item of node `node`: a known, shown scale question on a satisfaction scale,
    /// listed in no other node.
    fn item<'f>(&mut self, item: &'f Spanned<String>, node: &'f str, items: &mut Items<'f, '_>) {
        let iid = item.get_ref().as_str();
        let at = span(item);
        let name = || iid.to_string();
        let Some(info) = items.infos.get(iid) else {
            self.push(at, Some(node), K::UnknownItem { item: name() });
            return;
        };
        if info.kind != QuestionKind::Scale {
            self.push(at.clone(), Some(node), K::ItemNotScale { item: name() });
        } else if let Some(sc) = &info.scale
            && items.satisfaction.get(sc.as_str()) == Some(&false)
        {
            let kind = K::ItemNotSatisfaction {
                item: name(),
                scale: sc.clone(),
            };
            self.push(at.clone(), Some(node), kind);
        }
        if info.hidden {
            self.push(at.clone(), Some(node), K::HiddenItem { item: name() });
        }
        if let Some(first) = items.node_of.get(iid) {
            let kind = K::ItemInTwoNodes {
                item: name(),
                first_node: first.to_string(),
            };
            self.push(at, Some(node), kind);
        } else {
            items.node_of.insert(iid, node);
        }
    }
}

/// Whether each scale (by id) is a satisfaction scale: one with `satisfied_levels`.
fn satisfaction_scales(f: &FormFile) -> HashMap<&str, bool> {
    by_scale(f, |sc| {
        sc.satisfied_levels
            .as_ref()
            .is_some_and(|l| !l.get_ref().is_empty())
    })
}
