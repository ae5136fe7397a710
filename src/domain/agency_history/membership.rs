//! Who is in a subtree over a period, month by month (issue 21): a parent's results for a
//! period use the hierarchy in force in each of its months, so an agency moved from one parent
//! to another in July counts in the first parent's figures of the year with its months up to
//! June, and in the second's with its months from July — never whole in both.
//!
//! A [`Member`] is an agency and, when it is in the subtree for only some of the months of the
//! period it is in force in, those months (as runs of consecutive months). Such a part-period
//! member stands in the figures under an id of its own ([`Member::id`]): everything that adds up
//! members (the pooled estimate, the mean of agencies, the guard against subtracting members)
//! treats it as one more agency whose counts are those of its months only. With no move in the
//! period every member is whole and its id is the agency's.

use std::collections::HashMap;

use uuid::Uuid;

use super::Hierarchy;
use crate::domain::periods::Month;

/// Runs of consecutive months `(first, last)`, oldest first.
type Runs = Vec<(Month, Month)>;

/// A member of a subtree, or a child of a parent, over a period.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Member {
    pub agency: Uuid,
    /// The runs of months `(first, last)` of the period it is a member in, oldest first;
    /// `None`: every month of the period it is in force in.
    pub months: Option<Vec<(Month, Month)>>,
}

impl Member {
    /// The whole of `agency`.
    pub fn whole(agency: Uuid) -> Self {
        Self {
            agency,
            months: None,
        }
    }

    /// Whether it counts with all its months.
    pub fn is_whole(&self) -> bool {
        self.months.is_none()
    }

    /// The id its figures are counted under: the agency's when whole; otherwise an id made from
    /// the agency's and the months (a version-8 UUID, which no agency has: agencies get v4 or
    /// v7 ids), the same for the same agency and months, so two subtrees holding the same part
    /// share its counts.
    pub fn id(&self) -> Uuid {
        let Some(runs) = &self.months else {
            return self.agency;
        };
        // FNV-1a over the runs, folded into the agency's bits.
        let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
        for (a, b) in runs {
            for m in [a, b] {
                for byte in m.to_string().bytes() {
                    h ^= u128::from(byte);
                    h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
                }
            }
        }
        let mut bytes = (self.agency.as_u128() ^ h).to_be_bytes();
        bytes[6] = (bytes[6] & 0x0f) | 0x80;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        Uuid::from_bytes(bytes)
    }

    /// The runs of months of `first..=last` it is a member in (all of it when whole).
    pub fn within(&self, first: Month, last: Month) -> Vec<(Month, Month)> {
        let Some(runs) = &self.months else {
            return if first <= last {
                vec![(first, last)]
            } else {
                Vec::new()
            };
        };
        (runs.iter())
            .map(|&(a, b)| (a.max(first), b.min(last)))
            .filter(|(a, b)| a <= b)
            .collect()
    }

    /// This member within the months `runs` only (`None`: every month, the member as it is):
    /// a subtree member of a child that is below its parent for part of the period counts,
    /// under that parent, for those months. `None` when it has none of them within `range`.
    pub fn during(&self, runs: Option<&[(Month, Month)]>, range: (Month, Month)) -> Option<Member> {
        let Some(runs) = runs else {
            return Some(self.clone());
        };
        let mine = self.within(range.0, range.1);
        let both: Vec<(Month, Month)> = (runs.iter())
            .flat_map(|&(a, b)| {
                (mine.iter())
                    .map(move |&(c, d)| (a.max(c), b.min(d)))
                    .filter(|(x, y)| x <= y)
            })
            .collect();
        (!both.is_empty()).then_some(Member {
            agency: self.agency,
            months: Some(both),
        })
    }
}

/// The months `first..=last` of `range` between two changes of the hierarchy: each starts at
/// an epoch and ends the month before the next (or at the end of the range).
fn intervals(epochs: &[Month], last: Month) -> Vec<(Month, Month)> {
    (epochs.iter().enumerate())
        .map(|(i, &e)| (e, epochs.get(i + 1).map_or(last, |n| n.previous())))
        .collect()
}

/// The member that `agency` is, given the intervals it is in force in and the ones it belongs
/// in (a subset of them, in the same order).
fn member(agency: Uuid, in_force: &[(Month, Month)], belongs: &[(Month, Month)]) -> Member {
    if belongs.len() == in_force.len() {
        return Member::whole(agency);
    }
    let mut runs: Vec<(Month, Month)> = Vec::new();
    for &(a, b) in belongs {
        match runs.last_mut() {
            Some(run) if run.1.next() == a => run.1 = b,
            _ => runs.push((a, b)),
        }
    }
    Member {
        agency,
        months: Some(runs),
    }
}

impl Hierarchy {
    /// Every agency's subtree over `range`, month by month: the agency itself (whole) first,
    /// then every agency in force below it in some month of `range`, by id — whole if it is
    /// below it in every month of `range` it is in force in, else with the months it is.
    pub fn memberships_during(&self, range: (Month, Month)) -> HashMap<Uuid, Vec<Member>> {
        let spans = intervals(&self.epochs(range), range.1);
        let mut in_force: HashMap<Uuid, Runs> = HashMap::new();
        let mut below: HashMap<(Uuid, Uuid), Runs> = HashMap::new();
        for &(start, end) in &spans {
            for t in self.timelines.values() {
                if !t.lifetime.in_force(start) {
                    continue;
                }
                in_force.entry(t.id).or_default().push((start, end));
                let mut at = t.placement_in(start).parent;
                let mut steps = 0;
                while let Some(a) = at {
                    below.entry((a, t.id)).or_default().push((start, end));
                    steps += 1;
                    if steps > self.timelines.len() {
                        break;
                    }
                    at = self.parent_in(a, start);
                }
            }
        }
        let mut out: HashMap<Uuid, Vec<Member>> = (self.timelines.keys())
            .map(|&id| (id, vec![Member::whole(id)]))
            .collect();
        let mut pairs: Vec<((Uuid, Uuid), Runs)> = below.into_iter().collect();
        pairs.sort_unstable_by_key(|((root, id), _)| (*root, *id));
        for ((root, id), belongs) in pairs {
            let all = in_force.get(&id).map_or(&[][..], Vec::as_slice);
            if root != id {
                out.entry(root)
                    .or_insert_with(|| vec![Member::whole(root)])
                    .push(member(id, all, &belongs));
            }
        }
        out
    }

    /// `root`'s subtree over `range`, month by month (see [`Hierarchy::memberships_during`]).
    pub fn members_during(&self, root: Uuid, range: (Month, Month)) -> Vec<Member> {
        (self.memberships_during(range).remove(&root)).unwrap_or_else(|| vec![Member::whole(root)])
    }

    /// The agencies directly below `parent` in some month of `range` in which they are in
    /// force, by id: whole if below it in every month of `range` they are in force in, else
    /// with the months they are.
    pub fn children_in_months(&self, parent: Uuid, range: (Month, Month)) -> Vec<Member> {
        let spans = intervals(&self.epochs(range), range.1);
        let mut out: Vec<Member> = Vec::new();
        for t in self.timelines.values() {
            let live: Vec<(Month, Month)> = (spans.iter().copied())
                .filter(|(start, _)| t.lifetime.in_force(*start))
                .collect();
            let belongs: Vec<(Month, Month)> = (live.iter().copied())
                .filter(|(start, _)| t.placement_in(*start).parent == Some(parent))
                .collect();
            if !belongs.is_empty() {
                out.push(member(t.id, &live, &belongs));
            }
        }
        out.sort_unstable_by_key(|m| m.agency);
        out
    }

    /// The top-level agency above (or at) `id` in `month`.
    pub fn top_in(&self, id: Uuid, month: Month) -> Uuid {
        let mut at = id;
        for _ in 0..=self.timelines.len() {
            match self.parent_in(at, month) {
                Some(p) => at = p,
                None => break,
            }
        }
        at
    }

    /// The name and parent of `id` to show for `range`: those of the last month of `range` it
    /// is in force in (of the last month of `range` when it is in force in none).
    pub fn placement_for(&self, id: Uuid, range: (Month, Month)) -> Option<&super::Placement> {
        let t = self.timeline(id)?;
        let last = match t.lifetime.closed_from {
            Some(c) if c <= range.1 && c > range.0 => c.previous(),
            _ => range.1,
        };
        Some(t.placement_in(last))
    }
}
