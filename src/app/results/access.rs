//! Who may read what, as plain functions over the caller's identity (a [`Principal`]: an API key
//! or a signed-in officer): an agency principal reads its own subtree — anything else is 403
//! `forbidden`, whether it exists or not — and pipeline and admin principals read every agency;
//! and what of a period is published (its closed months only, docs/privacy.md).

use std::collections::HashMap;

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::context::Context;
use super::parts::Parts;
use super::request::invalid;
use crate::domain::agencies::{Agency, AgencyCode};
use crate::domain::agency_history::{Hierarchy, Member};
use crate::domain::auth::Principal;
use crate::domain::periods::{Month, Period};
use crate::domain::results::{AgencyRef, Subject};
use crate::error::{ApiError, FieldError, ProblemCode};
use crate::persistence::{agencies, agency_history, months};

/// The part of the asked period that is published — its months up to the last closed month,
/// under the same label (`Period::through`) — and that month: nothing computed from answers
/// reaches a month still open (docs/privacy.md, "Publication by closed month").
pub async fn published(
    db: &DatabaseConnection,
    asked: &Period,
) -> Result<(Period, Option<Month>), ApiError> {
    let through = months::published_through(db).await?;
    Ok((asked.through(through), through))
}

/// The agency named by query field `field`, if the caller may read it: an agency key gets 403
/// for anything outside its subtree, existing or not; other keys get 422 `unknown_agency` for
/// a code no agency has.
pub async fn readable_agency(
    db: &DatabaseConnection,
    caller: &Principal,
    field: &str,
    raw: &str,
) -> Result<Agency, ApiError> {
    // A malformed code names no agency anywhere, so saying so leaks nothing.
    let code = AgencyCode::parse(raw).map_err(|p| invalid(field, p.code(), p.to_string()))?;
    match agencies::find_by_code(db, code.as_str()).await? {
        Some(agency) if caller.may_read_agency(&agency.path) => Ok(agency),
        Some(_) => Err(ApiError::Forbidden),
        None if !caller.reads_every_agency() => Err(ApiError::Forbidden),
        None => Err(ApiError::Rejected {
            code: ProblemCode::UnknownAgency,
            detail: format!("`{field}` names no registered agency."),
            errors: vec![FieldError::new(
                field,
                "unknown_agency",
                "names no registered agency",
            )],
        }),
    }
}

/// The subject of an agency: itself, or its subtree in `period` — every agency below it in
/// some month of the period, in the hierarchy of that month (issue 21), with only the months it
/// is below it in when not all (remembered in `parts`).
pub(super) async fn subject_of(
    cx: &Context<'_>,
    agency: &Agency,
    subtree: bool,
    period: &Period,
    parts: &mut Parts,
) -> Result<Subject, ApiError> {
    if !subtree {
        return Ok(Subject::Agency(agency_ref(agency)));
    }
    let hierarchy = agency_history::load(cx.db).await?;
    let trees = hierarchy.memberships_during((period.first(), period.last()));
    Ok(subtree_subject(agency_ref(agency), &trees, parts))
}

/// `root`'s subtree from the memberships of a period (`Hierarchy::memberships_during`): its
/// members, as the ids they count under (part-period ones remembered in `parts`), and the
/// subtrees inside it ([`nested_in`]).
pub(super) fn subtree_subject(
    root: AgencyRef,
    trees: &HashMap<Uuid, Vec<Member>>,
    parts: &mut Parts,
) -> Subject {
    match trees.get(&root.id) {
        Some(members) => Subject::Subtree {
            nested: nested_in(root.id, members, trees),
            members: parts.ids_of(members),
            root,
        },
        None => Subject::Subtree {
            members: vec![root.id],
            nested: Vec::new(),
            root,
        },
    }
}

/// The subtrees inside `root`'s (of its `members`), each as the ids its members count under:
/// those of its whole members with agencies below them. A subtree's numbers are checked
/// against them (`domain::results` nest). A member below `root` for part of the period only
/// brings none: its own subtree holds months outside `root`'s.
pub(super) fn nested_in(
    root: Uuid,
    members: &[Member],
    trees: &HashMap<Uuid, Vec<Member>>,
) -> Vec<Vec<Uuid>> {
    (members.iter())
        .filter(|m| m.agency != root && m.is_whole())
        .filter_map(|m| trees.get(&m.agency))
        .filter(|inside| inside.len() > 1)
        .map(|inside| inside.iter().map(Member::id).collect())
        .collect()
}

pub(super) fn members(subject: &Subject) -> Vec<Uuid> {
    match subject {
        Subject::Agency(a) => vec![a.id],
        Subject::Subtree { members, .. } => members.clone(),
    }
}

/// `a` as a list of the months `range` names it (issue 21): with the name in force at the end
/// of `range`, or in its last month in force in `range` if it closed before.
pub(super) fn agency_ref_in(a: &Agency, hierarchy: &Hierarchy, range: (Month, Month)) -> AgencyRef {
    let mut r = agency_ref(a);
    if let Some(p) = hierarchy.placement_for(a.id, range) {
        r.name.clone_from(&p.name_vi);
        r.name_en.clone_from(&p.name_en);
    }
    r
}

pub fn agency_ref(a: &Agency) -> AgencyRef {
    AgencyRef {
        id: a.id,
        code: a.code.clone(),
        name: a.name_vi.clone(),
        name_en: a.name_en.clone(),
        kind: a.kind.as_str().to_owned(),
    }
}
