//! Suppression on differences between a subtree and what is published inside it (statistics
//! §5.4). A subtree's number is published beside its member agencies' own numbers and beside
//! the numbers of the smaller subtrees inside it (a province beside its districts' subtrees,
//! each beside its communes). Whoever reads them all can subtract every published piece from
//! the total; what is left is the sum of the pieces that hide the number. The total is hidden
//! when that rest is one member's group alone, or fewer than `suppress_below` answers.
//!
//! The pieces an attacker subtracts are the largest published ones: a nested subtree that
//! publishes the number covers every member inside it; one that hides it is taken apart into
//! its own pieces. Whether a nested subtree publishes the number is decided by the same rule,
//! from the smallest subtree up. (A subtree's complements — `suppression::within` and
//! `across` — only hide more; leaving them out here can only hide more of the total.)

use uuid::Uuid;

/// The subtrees strictly inside a subtree, as sets of member positions (in the order of the
/// members' figures), smallest first, each with the subtrees inside it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Nest {
    groups: Vec<Group>,
}

#[derive(Debug, Clone)]
struct Group {
    /// Member positions, sorted.
    members: Vec<usize>,
    /// Indexes of the (smaller) groups inside this one.
    inside: Vec<usize>,
}

/// One member's part in a number: whether its own result hides it, and its basis (answers or
/// respondents behind it; 0 when it has no data for it).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Piece {
    pub hidden: bool,
    pub basis: u64,
}

impl Nest {
    /// The nest of `subtrees` (each a set of agencies, e.g. a district's subtree inside a
    /// province's) over `members` (the order of the figures it will be given); subtrees of
    /// fewer than two members with figures add nothing and are left out.
    pub fn of(members: &[Uuid], subtrees: &[Vec<Uuid>]) -> Nest {
        let mut sets: Vec<Vec<usize>> = (subtrees.iter())
            .map(|s| {
                let mut set: Vec<usize> = (s.iter())
                    .filter_map(|a| members.iter().position(|m| m == a))
                    .collect();
                set.sort_unstable();
                set.dedup();
                set
            })
            .filter(|set| set.len() >= 2 && set.len() < members.len())
            .collect();
        sets.sort_by_key(Vec::len);
        sets.dedup();
        let mut groups: Vec<Group> = Vec::with_capacity(sets.len());
        for set in sets {
            let inside = (0..groups.len())
                .filter(|&h| {
                    groups[h]
                        .members
                        .iter()
                        .all(|i| set.binary_search(i).is_ok())
                })
                .collect();
            groups.push(Group {
                members: set,
                inside,
            });
        }
        Nest { groups }
    }

    /// Whether publishing the whole's number would give back a hidden group: `pieces` are the
    /// members' parts in it, in member order.
    pub fn gives_back(&self, pieces: &[Piece], suppress_below: u64) -> bool {
        let mut visible = vec![false; self.groups.len()];
        for (g, group) in self.groups.iter().enumerate() {
            let basis: u64 = group
                .members
                .iter()
                .filter_map(|&i| pieces.get(i))
                .map(|p| p.basis)
                .sum();
            if basis >= suppress_below {
                let covering: Vec<usize> = (group.inside.iter())
                    .copied()
                    .filter(|&h| visible[h])
                    .collect();
                let left = self.left(group.members.iter().copied(), &covering, pieces);
                visible[g] = !too_small(&left, suppress_below);
            }
        }
        let covering: Vec<usize> = (0..self.groups.len()).filter(|&h| visible[h]).collect();
        let left = self.left(0..pieces.len(), &covering, pieces);
        too_small(&left, suppress_below)
    }

    /// The bases of the hidden pieces among `scope` that no group of `covering` holds.
    fn left(
        &self,
        scope: impl Iterator<Item = usize>,
        covering: &[usize],
        pieces: &[Piece],
    ) -> Vec<u64> {
        scope
            .filter(|&i| {
                !covering
                    .iter()
                    .any(|&h| self.groups[h].members.binary_search(&i).is_ok())
            })
            .filter_map(|i| pieces.get(i))
            .filter(|p| p.hidden && p.basis > 0)
            .map(|p| p.basis)
            .collect()
    }
}

/// One hidden group left alone, or hidden groups together below the threshold.
fn too_small(left: &[u64], suppress_below: u64) -> bool {
    let together: u64 = left.iter().sum();
    left.len() == 1 || (together > 0 && together < suppress_below)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn piece(hidden: bool, basis: u64) -> Piece {
        Piece { hidden, basis }
    }

    #[test]
    fn without_nested_subtrees_it_is_the_rule_over_members() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let flat = Nest::of(&ids, &[]);
        let one = [piece(true, 6), piece(false, 40), piece(false, 40)];
        assert!(flat.gives_back(&one, 10));
        let two = [piece(true, 6), piece(true, 6), piece(false, 40)];
        assert!(!flat.gives_back(&two, 10));
        let two_small = [piece(true, 3), piece(true, 4), piece(false, 40)];
        assert!(flat.gives_back(&two_small, 10));
        let none = [piece(false, 40), piece(false, 40), piece(false, 0)];
        assert!(!flat.gives_back(&none, 10));
    }

    #[test]
    fn a_published_nested_subtree_covers_its_hidden_members() {
        // Province T: its own (no data), department S (6, hidden), district D (40) with
        // communes C1 and C2 (6 each, hidden). D's subtree (52) publishes: C1 and C2 are two
        // hidden groups of 12 together. T minus D's subtree is S alone.
        let [t, s, d, c1, c2] = [0; 5].map(|_| Uuid::now_v7());
        let members = [t, s, d, c1, c2];
        let nest = Nest::of(&members, &[vec![d, c1, c2]]);
        let pieces = [
            piece(true, 0),
            piece(true, 6),
            piece(false, 40),
            piece(true, 6),
            piece(true, 6),
        ];
        assert!(nest.gives_back(&pieces, 10));
        assert!(
            !Nest::of(&members, &[]).gives_back(&pieces, 10),
            "the flat rule misses it"
        );
    }

    #[test]
    fn a_nested_subtree_that_hides_is_taken_apart() {
        // T = {t, W, V}; W = {w, x} hides (x is the only hidden piece in it); V = {v, y, z}
        // publishes (y and z, hidden, are 12 together). T minus t, w and V is x alone, although
        // x, y and z are three hidden groups of 18 together.
        let [t, w, x, v, y, z] = [0; 6].map(|_| Uuid::now_v7());
        let members = [t, w, x, v, y, z];
        let (open, hidden) = (piece(false, 40), piece(true, 6));
        let pieces = [open, open, hidden, open, hidden, hidden];
        let nest = Nest::of(&members, &[vec![w, x], vec![v, y, z]]);
        assert!(nest.gives_back(&pieces, 10));
        assert!(!Nest::of(&members, &[]).gives_back(&pieces, 10));
        // Four levels: V inside W = {w, x, V}. W hides (once V covers y and z, x is alone), so
        // T minus t, w and V is x alone again.
        let nest = Nest::of(&members, &[vec![v, y, z], vec![w, x, v, y, z]]);
        assert!(nest.gives_back(&pieces, 10));
        // With w hidden beside x, W publishes (two groups of 12 together) and covers both.
        let pieces = [open, hidden, hidden, open, hidden, hidden];
        let nest = Nest::of(&members, &[vec![w, x], vec![v, y, z]]);
        assert!(!nest.gives_back(&pieces, 10));
    }
}
