//! The index tree of a form as the statistics core sees it (methodology §3.1–§3.2): the form's
//! satisfaction items in a fixed order, and `stats::IndexNode` trees whose nodes are the form's
//! nodes, so `sipas-2017` gives SIPAS = mean of 5 factors and `sipas-2023`/`sipas-2024` give
//! SIPAS = mean(policy = mean of 4 contents, PAS = mean of 5 factors). A node's value is the
//! unweighted mean of its children (items and sub-nodes) that have data.

use crate::stats;

use super::forms::{FormDefinition, IndexNode};

/// One node of the form's tree, with its statistics-core twin.
#[derive(Debug, Clone)]
pub struct ScoredNode {
    pub id: String,
    /// The node as a mean over item positions in [`IndexTree::items`].
    pub tree: stats::IndexNode,
    pub children: Vec<ScoredNode>,
    /// Positions (in [`IndexTree::items`]) of the items listed directly under this node.
    pub items: Vec<usize>,
}

/// The whole tree of a form version.
#[derive(Debug, Clone)]
pub struct IndexTree {
    /// Satisfaction item ids; a share vector is indexed in this order.
    pub items: Vec<String>,
    pub root: ScoredNode,
}

impl IndexTree {
    /// Builds the tree of `form`'s index (validated forms list each item under one node).
    pub fn of(form: &FormDefinition) -> Self {
        let items: Vec<String> = form
            .satisfaction_items()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let root = scored(form.index(), &items);
        Self { items, root }
    }

    /// Position of an item id in [`IndexTree::items`].
    pub fn position(&self, item: &str) -> Option<usize> {
        self.items.iter().position(|i| i == item)
    }
}

fn scored(node: &IndexNode, items: &[String]) -> ScoredNode {
    let positions: Vec<usize> = node
        .items()
        .iter()
        .filter_map(|id| items.iter().position(|i| i == id))
        .collect();
    let children: Vec<ScoredNode> = node.children().iter().map(|c| scored(c, items)).collect();
    let tree = stats::IndexNode::Mean(
        positions
            .iter()
            .map(|&j| stats::IndexNode::Item(j))
            .chain(children.iter().map(|c| c.tree.clone()))
            .collect(),
    );
    ScoredNode {
        id: node.id().to_owned(),
        tree,
        children,
        items: positions,
    }
}

impl ScoredNode {
    /// This node and every node below it, depth first.
    pub fn walk(&self) -> Vec<&ScoredNode> {
        let mut out = vec![self];
        for c in &self.children {
            out.extend(c.walk());
        }
        out
    }

    /// The node's value (a fraction) from item shares, `None` when no child has data.
    pub fn value(&self, shares: &[Option<f64>]) -> Option<f64> {
        self.tree.value(shares)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    //! The published figures of methodology §6.1 and the synthetic cases of §6.2 that concern
    //! the tree and the PAR conversion.
    use super::*;
    use crate::stats::{par_points, round_half_up};

    fn tree(key: &str) -> IndexTree {
        IndexTree::of(&crate::domain::forms::shipped(key))
    }

    fn node<'a>(t: &'a IndexTree, id: &str) -> &'a ScoredNode {
        t.root.walk().into_iter().find(|n| n.id == id).unwrap()
    }

    /// Shares where every item under `node_id` has the value `v` (percent).
    fn set(t: &IndexTree, shares: &mut [Option<f64>], node_id: &str, v: f64) {
        for j in node(t, node_id).tree.items() {
            shares[j] = Some(v / 100.0);
        }
    }

    #[test]
    fn sipas_2017_root_is_the_mean_of_five_factors() {
        let t = tree("sipas-2017");
        assert_eq!(t.items.len(), 22);
        assert_eq!(t.root.children.len(), 5);
        let sizes: Vec<usize> = t.root.children.iter().map(|c| c.items.len()).collect();
        assert_eq!(sizes, [4, 5, 6, 3, 4]);
        let mut shares = vec![None; 22];
        for (c, v) in t.root.children.iter().zip([80.0, 90.0, 70.0, 60.0, 100.0]) {
            set(&t, &mut shares, &c.id, v);
        }
        assert!((t.root.value(&shares).unwrap() - 0.80).abs() < 1e-12);
    }

    #[test]
    fn t1_hanoi_2024_sipas_is_the_mean_of_policy_and_pas() {
        for key in ["sipas-2023", "sipas-2024"] {
            let t = tree(key);
            let ids: Vec<&str> = t.root.children.iter().map(|c| c.id.as_str()).collect();
            assert_eq!(ids, ["policy", "pas"], "{key}");
            let mut shares = vec![None; t.items.len()];
            set(&t, &mut shares, "policy", 86.51);
            set(&t, &mut shares, "pas", 86.49);
            let sipas = t.root.value(&shares).unwrap() * 100.0;
            assert_eq!(round_half_up(sipas, 2), 86.50, "{key}");
        }
    }

    #[test]
    fn t2_national_2023_pas_is_the_unweighted_mean_of_its_factors() {
        let t = tree("sipas-2023");
        let pas = node(&t, "pas");
        assert_eq!(pas.children.len(), 5);
        let mut shares = vec![None; t.items.len()];
        for (c, v) in pas.children.iter().zip([83.00, 83.02, 83.12, 83.03, 82.27]) {
            set(&t, &mut shares, &c.id, v);
        }
        let value = pas.value(&shares).unwrap() * 100.0;
        assert!((value - 82.888).abs() < 1e-9, "{value}");
        assert_eq!(round_half_up(value, 2), 82.89);
        // The policy side has 4 contents.
        assert_eq!(node(&t, "policy").children.len(), 4);
    }

    #[test]
    fn x3_a_node_averages_the_children_with_data() {
        let t = tree("sipas-quick");
        let mut shares = vec![None; t.items.len()];
        set(&t, &mut shares, &t.root.children[0].id, 80.0);
        set(&t, &mut shares, &t.root.children[2].id, 70.0);
        assert!((t.root.value(&shares).unwrap() - 0.75).abs() < 1e-12);
        assert_eq!(t.root.value(&vec![None; t.items.len()]), None);
    }

    #[test]
    fn x5_a_gated_off_part_leaves_sipas_equal_to_policy() {
        let t = tree("sipas-2023");
        let mut shares = vec![None; t.items.len()];
        set(&t, &mut shares, "policy", 77.0);
        assert_eq!(node(&t, "pas").value(&shares), None);
        assert!((t.root.value(&shares).unwrap() - 0.77).abs() < 1e-12);
    }

    #[test]
    fn t11_and_x7_par_points_round_once() {
        let points = |sipas: f64| round_half_up(par_points(sipas / 100.0, 10.0).unwrap(), 2);
        assert_eq!(points(91.17), 9.12);
        assert_eq!(points(91.1496), 9.11);
    }
}
