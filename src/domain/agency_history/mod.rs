//! Agencies in time (issue 21): an agency is renamed, moved under another parent, closed, or
//! merged with others into one successor, each from a month on. What lives here: an agency's
//! timeline (its name and parent in each month, the months it is in force), the hierarchy of a
//! month or of a range of months built from every timeline (which agencies are in force, who is
//! below whom, who an agency's predecessors are), the rules a change must keep, and the rule that
//! keeps a successor's combined history from giving back a small predecessor.
//!
//! The model: the `agencies` row holds an agency's latest name and parent; each recorded change
//! keeps what it replaced (its `before`), so the placement of a month is the `before` of the
//! first change after that month, or the latest one. An agency is in force from its opening month
//! (none: always) up to the month before its closing month (none: still in force). A merge closes
//! each predecessor and names the successor.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use crate::domain::lang::Lang;
use crate::domain::periods::Month;

/// An agency's name and parent over some months.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub name_vi: String,
    pub name_en: Option<String>,
    /// `None` for a top-level agency.
    pub parent: Option<Uuid>,
}

/// A recorded change of name or parent: from `effective_from` on, the agency's placement is no
/// longer `before` (what it is instead is the next change's `before`, or the latest placement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub effective_from: Month,
    pub before: Placement,
}

/// When an agency is in force, and what it was merged into.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lifetime {
    /// First month in force; `None`: since always.
    pub opened_from: Option<Month>,
    /// First month no longer in force; `None`: still in force.
    pub closed_from: Option<Month>,
    /// The agency it was merged into when it closed.
    pub successor: Option<Uuid>,
}

impl Lifetime {
    /// Whether the agency is in force in `month`.
    pub fn in_force(&self, month: Month) -> bool {
        self.opened_from.is_none_or(|o| o <= month) && self.closed_from.is_none_or(|c| month < c)
    }

    /// Whether the agency is in force in some month of `first..=last`.
    pub fn in_force_during(&self, (first, last): (Month, Month)) -> bool {
        self.opened_from.is_none_or(|o| o <= last) && self.closed_from.is_none_or(|c| first < c)
    }
}

/// One agency's history: its latest placement, the changes that led to it (oldest first) and
/// its lifetime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    pub id: Uuid,
    pub latest: Placement,
    pub revisions: Vec<Revision>,
    pub lifetime: Lifetime,
}

impl Timeline {
    /// The agency's name and parent in `month` (whether or not it is in force then).
    pub fn placement_in(&self, month: Month) -> &Placement {
        self.revisions
            .iter()
            .find(|r| r.effective_from > month)
            .map_or(&self.latest, |r| &r.before)
    }

    /// The months its placement changes in, oldest first.
    fn changes(&self) -> impl Iterator<Item = Month> + '_ {
        self.revisions.iter().map(|r| r.effective_from)
    }

    /// The latest month anything about the agency changes in, if any.
    pub fn latest_change(&self) -> Option<Month> {
        let l = &self.lifetime;
        (self.changes())
            .chain(l.opened_from)
            .chain(l.closed_from)
            .max()
    }
}

/// Every agency's timeline: the hierarchy of any month.
#[derive(Debug, Clone, Default)]
pub struct Hierarchy {
    timelines: HashMap<Uuid, Timeline>,
}

impl Hierarchy {
    pub fn new(timelines: impl IntoIterator<Item = Timeline>) -> Self {
        Self {
            timelines: timelines.into_iter().map(|t| (t.id, t)).collect(),
        }
    }

    /// Adds (or replaces) a timeline: a new agency's, before a change names it.
    pub fn insert(&mut self, timeline: Timeline) {
        self.timelines.insert(timeline.id, timeline);
    }

    /// Every timeline.
    pub fn timelines(&self) -> impl Iterator<Item = &Timeline> {
        self.timelines.values()
    }

    /// The timeline of `id`, if known.
    pub fn timeline(&self, id: Uuid) -> Option<&Timeline> {
        self.timelines.get(&id)
    }

    /// Whether `id` is in force in `month` (an unknown agency is not).
    pub fn in_force(&self, id: Uuid, month: Month) -> bool {
        self.timeline(id)
            .is_some_and(|t| t.lifetime.in_force(month))
    }

    /// Whether `id` is in force in some month of `range`.
    pub fn in_force_during(&self, id: Uuid, range: (Month, Month)) -> bool {
        (self.timeline(id)).is_some_and(|t| t.lifetime.in_force_during(range))
    }

    /// The parent of `id` in `month`.
    pub fn parent_in(&self, id: Uuid, month: Month) -> Option<Uuid> {
        self.timeline(id)?.placement_in(month).parent
    }

    /// Whether `ancestor` is `id` or above it in `month` (a chain that loops, which the rules
    /// prevent, ends the walk).
    pub fn is_within_in(&self, id: Uuid, ancestor: Uuid, month: Month) -> bool {
        let mut at = Some(id);
        let mut steps = 0;
        while let Some(a) = at {
            if a == ancestor {
                return true;
            }
            steps += 1;
            if steps > self.timelines.len() {
                return false;
            }
            at = self.parent_in(a, month);
        }
        false
    }

    /// The months of `range` the hierarchy may differ in from the month before: its first, and
    /// each month a change takes effect in. Between two of them nothing changes.
    fn epochs(&self, (first, last): (Month, Month)) -> Vec<Month> {
        let mut out: Vec<Month> = (self.timelines.values())
            .flat_map(|t| {
                let l = &t.lifetime;
                t.changes().chain(l.opened_from).chain(l.closed_from)
            })
            .filter(|m| first < *m && *m <= last)
            .collect();
        out.push(first);
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Every agency merged into `id`, directly or through earlier merges, with the month each
    /// closed in; ordered by id.
    pub fn predecessors(&self, id: Uuid) -> Vec<(Uuid, Month)> {
        let mut out = Vec::new();
        let mut todo = vec![id];
        let mut seen = HashSet::from([id]);
        while let Some(s) = todo.pop() {
            for t in self.timelines.values() {
                if t.lifetime.successor == Some(s)
                    && let Some(closed) = t.lifetime.closed_from
                    && seen.insert(t.id)
                {
                    out.push((t.id, closed));
                    todo.push(t.id);
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// The latest month any agency's placement or lifetime changes in.
    pub fn latest_change(&self) -> Option<Month> {
        self.timelines
            .values()
            .filter_map(Timeline::latest_change)
            .max()
    }
}

/// Whether a successor's combined figure for a step may be shown beside its parts' own
/// figures (`parts`: the answers each predecessor, and the successor itself, has in the step).
///
/// Anyone can subtract the published parts from the combined figure; what is left is the sum of
/// the parts too small to be published alone (fewer than `suppress_below` answers). That sum is
/// safe when it is nothing or itself at least `suppress_below`; otherwise the combined figure
/// would give a small group back, and is withheld. With no part published there is nothing to
/// subtract.
pub fn combined_is_safe(parts: &[u64], suppress_below: u64) -> bool {
    let small: u64 = (parts.iter())
        .filter(|&&n| n > 0 && n < suppress_below)
        .sum();
    let published = parts.iter().any(|&n| n >= suppress_below);
    !published || small == 0 || small >= suppress_below
}

/// How a successor's trend shows its history (the `merged_history` member of a trend): the steps
/// with a month before the merge show its predecessors combined with it — pooled, or as the
/// mean of the agencies, as for a subtree — and a combined step that would give a small
/// predecessor back ([`combined_is_safe`]) is withheld.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct MergedHistoryView {
    /// `YYYY-MM`: the month of the (latest) merge; the successor's own figures start there.
    pub merged_from: String,
    /// The codes of the agencies merged into it (through earlier merges too).
    pub predecessors: Vec<String>,
    /// The steps whose figures are the predecessors' combined.
    pub combined_steps: Vec<String>,
    /// The combined steps withheld (figures and changes left out) so that no predecessor too
    /// small to be published alone can be worked out from them.
    pub withheld_steps: Vec<String>,
}

impl MergedHistoryView {
    /// The note under such a trend, on the page and in the report, in `lang`: the steps marked
    /// `*` combine the predecessors (`from`: the merge month as the reader sees it).
    pub fn note(&self, lang: Lang, from: &str) -> String {
        let before = self.predecessors.join(", ");
        let mut note = match lang {
            Lang::Vi => format!(
                "* Trước {from}: số liệu gộp của các cơ quan đã sáp nhập vào cơ quan này ({before})."
            ),
            Lang::En => format!(
                "* Before {from}: the combined figures of the agencies merged into this one ({before})."
            ),
        };
        if !self.withheld_steps.is_empty() {
            note.push_str(match lang {
                Lang::Vi => " Kỳ gộp nào có thể làm lộ một nhóm nhỏ thì không công bố.",
                Lang::En => " A combined step that could reveal a small group is withheld.",
            });
        }
        note
    }
}

/// Why a change cannot be made. [`ChangeError::code`] is its stable problem code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    /// The change would take effect in a month already published (closed): history that was
    /// published is never rewritten.
    #[error("takes effect in {month}, a month already published (closed through {through})")]
    InPublishedMonth { month: Month, through: Month },
    /// The change would take effect before a change already recorded (of any agency).
    #[error("takes effect before {latest}, the month of a change already recorded")]
    OutOfOrder { latest: Month },
    /// The agency is not in force in the month the change takes effect (closed, or not opened).
    #[error("`{code}` is not in force in {month}")]
    NotInForce { code: String, month: Month },
    /// The new parent is the agency itself or one of the agencies below it.
    #[error("`{code}` is the agency itself or below it: the parent chain would loop")]
    ParentLoop { code: String },
    /// Closing an agency that still has agencies in force below it.
    #[error("`{code}` still has agencies in force below it: move, close or merge them first")]
    HasChildren { code: String },
    /// A merge into the agency itself, or into one that is not in force in the merge month.
    #[error("`{code}` cannot be the successor: {why}")]
    InvalidSuccessor { code: String, why: &'static str },
}

impl ChangeError {
    /// The problem code clients see (`docs/api.md`).
    pub fn code(&self) -> &'static str {
        match self {
            ChangeError::InPublishedMonth { .. } => "change_in_published_month",
            ChangeError::OutOfOrder { .. } => "change_out_of_order",
            ChangeError::NotInForce { .. } => "agency_closed",
            ChangeError::ParentLoop { .. } => "parent_loop",
            ChangeError::HasChildren { .. } => "agency_has_children",
            ChangeError::InvalidSuccessor { .. } => "invalid_successor",
        }
    }
}

/// Checks the month a change takes effect in: after the last published month, and not before
/// the latest change already recorded (`latest`, of any agency). Changes are recorded in order,
/// so every month from the change on has the hierarchy the change leaves.
pub fn check_month(
    month: Month,
    published_through: Option<Month>,
    latest: Option<Month>,
) -> Result<(), ChangeError> {
    if let Some(through) = published_through
        && month <= through
    {
        return Err(ChangeError::InPublishedMonth { month, through });
    }
    match latest {
        Some(latest) if month < latest => Err(ChangeError::OutOfOrder { latest }),
        _ => Ok(()),
    }
}

/// Why a dossier cannot be registered for an agency in a month: it is not in force then.
pub fn check_registrable(lifetime: &Lifetime, month: Month) -> Result<(), Month> {
    if lifetime.in_force(month) {
        Ok(())
    } else {
        Err(month)
    }
}

mod membership;
mod plan;
pub mod reorganisation;

pub use membership::Member;
pub use plan::{Change, ChangeKind, apply};

#[cfg(test)]
mod tests;
