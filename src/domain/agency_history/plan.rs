//! Applying a set of changes that take effect in one month to the hierarchy: each is checked
//! against the hierarchy before (the agency is in force then), then all are applied together and
//! the hierarchy they leave is checked (no parent chain loops, new parents and successors are in
//! force, nothing closed keeps agencies in force below it). All or nothing: every error is
//! reported with the index of its change.

use std::collections::BTreeSet;

use uuid::Uuid;

use super::{ChangeError, Hierarchy, Placement, Revision, Timeline};
use crate::domain::periods::Month;

/// What happens to an agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    /// New names (`name_en: None` removes the English one).
    Rename {
        name_vi: String,
        name_en: Option<String>,
    },
    /// A new parent (`None`: top level).
    Move { parent: Option<Uuid> },
    /// No longer in force; merged into `successor` if given.
    Close { successor: Option<Uuid> },
}

/// One change of one agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub agency: Uuid,
    /// The agency's code, for messages.
    pub code: String,
    pub kind: ChangeKind,
}

/// Records a new placement of `t` from `month` on (a change already recorded in that month
/// keeps what it replaced).
fn revise(t: &mut Timeline, month: Month, edit: impl FnOnce(&mut Placement)) {
    if t.revisions.last().map(|r| r.effective_from) != Some(month) {
        t.revisions.push(Revision {
            effective_from: month,
            before: t.latest.clone(),
        });
    }
    edit(&mut t.latest);
}

/// Applies `changes`, all taking effect in `month`, to `hierarchy` (which must already hold the
/// timeline of any agency opened in `month`, such as a new successor). Returns the agencies
/// whose timelines changed, or every error with the index of its change; on an error the
/// hierarchy is left half changed and must be dropped. `code_of` names agencies in messages.
pub fn apply(
    hierarchy: &mut Hierarchy,
    month: Month,
    changes: &[Change],
    code_of: impl Fn(Uuid) -> String,
) -> Result<BTreeSet<Uuid>, Vec<(usize, ChangeError)>> {
    let mut errors = Vec::new();
    for (i, c) in changes.iter().enumerate() {
        if !hierarchy.in_force(c.agency, month) {
            errors.push((i, not_in_force(&c.code, month)));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut changed = BTreeSet::new();
    for c in changes {
        let Some(t) = hierarchy.timelines.get_mut(&c.agency) else {
            continue;
        };
        changed.insert(c.agency);
        match &c.kind {
            ChangeKind::Rename { name_vi, name_en } => revise(t, month, |p| {
                p.name_vi = name_vi.clone();
                p.name_en = name_en.clone();
            }),
            ChangeKind::Move { parent } => revise(t, month, |p| p.parent = *parent),
            ChangeKind::Close { successor } => {
                t.lifetime.closed_from = Some(month);
                t.lifetime.successor = *successor;
            }
        }
    }
    for (i, c) in changes.iter().enumerate() {
        if let Err(e) = check_after(hierarchy, month, c, &code_of) {
            errors.push((i, e));
        }
    }
    if errors.is_empty() {
        Ok(changed)
    } else {
        Err(errors)
    }
}

fn not_in_force(code: &str, month: Month) -> ChangeError {
    ChangeError::NotInForce {
        code: code.to_owned(),
        month,
    }
}

/// Checks what `c` left in the hierarchy of `month`.
fn check_after(
    h: &Hierarchy,
    month: Month,
    c: &Change,
    code_of: &impl Fn(Uuid) -> String,
) -> Result<(), ChangeError> {
    match &c.kind {
        ChangeKind::Rename { .. } | ChangeKind::Move { parent: None } => Ok(()),
        ChangeKind::Move {
            parent: Some(parent),
        } => {
            if h.is_within_in(*parent, c.agency, month) || loops(h, c.agency, month) {
                return Err(ChangeError::ParentLoop {
                    code: code_of(*parent),
                });
            }
            if !h.in_force(*parent, month) {
                return Err(not_in_force(&code_of(*parent), month));
            }
            Ok(())
        }
        ChangeKind::Close { successor } => {
            let keeps_children = (h.timelines.values()).any(|t| {
                t.lifetime.in_force(month) && t.placement_in(month).parent == Some(c.agency)
            });
            if keeps_children {
                return Err(ChangeError::HasChildren {
                    code: c.code.clone(),
                });
            }
            match successor {
                Some(s) if *s == c.agency => Err(ChangeError::InvalidSuccessor {
                    code: c.code.clone(),
                    why: "an agency cannot be merged into itself",
                }),
                Some(s) if !h.in_force(*s, month) => Err(ChangeError::InvalidSuccessor {
                    code: code_of(*s),
                    why: "it is not in force in the month of the merge",
                }),
                _ => Ok(()),
            }
        }
    }
}

/// Whether the parent chain of `id` in `month` comes back to `id`.
fn loops(h: &Hierarchy, id: Uuid, month: Month) -> bool {
    let mut at = h.parent_in(id, month);
    let mut steps = 0;
    while let Some(a) = at {
        if a == id {
            return true;
        }
        steps += 1;
        if steps > h.timelines.len() {
            return true;
        }
        at = h.parent_in(a, month);
    }
    false
}
