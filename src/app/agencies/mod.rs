//! Agencies that change (issue 21): renaming or moving an agency from a month, closing it, or
//! merging it into a successor — the use case behind `PATCH /api/v1/agencies/{code}` and
//! `sipas agencies change` — and a reorganisation file of many such changes ([`reorganise`]).
//!
//! Every change is checked against the whole hierarchy in time (`domain::agency_history`):
//! it takes effect after the last published month (what was published is never rewritten, so
//! no published figure changes and none can be compared with a rewritten one) and not before
//! the latest recorded change; the agency is in force then; parent chains do not loop; nothing
//! closed keeps agencies in force below it. All in one transaction, audit-logged.

pub mod reorganise;

use std::collections::{HashMap, HashSet};

use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use crate::domain::agencies::{Agency, AgencyCode, AgencyName};
use crate::domain::agency_history::{self as history, Change, ChangeError, ChangeKind, Hierarchy};
use crate::domain::audit::AuditEvent;
use crate::domain::periods::{Month, Period};
use crate::error::{ApiError, FieldError, ProblemCode};
use crate::persistence::{agencies, agency_history as store, audit, months};

/// The agencies directly below `parent` in some month of `period`, in the hierarchy of that
/// month (issue 21: an abolished district has its communes for the months it had them), by
/// code: what the dashboard's pages of a period offer to compare and to add up.
pub async fn children_during(
    db: &DatabaseConnection,
    parent: &Agency,
    period: &Period,
) -> Result<Vec<Agency>, ApiError> {
    let hierarchy = store::load(db).await?;
    if hierarchy.latest_change().is_none() {
        // No agency has ever changed: today's children are every period's.
        return Ok(agencies::list_children(db, Some(parent)).await?);
    }
    let range = (period.first(), period.last());
    let ids: HashSet<Uuid> = (hierarchy.children_in_months(parent.id, range).into_iter())
        .map(|m| m.agency)
        .collect();
    Ok((agencies::list_all(db, None).await?.into_iter())
        .filter(|a| ids.contains(&a.id))
        .collect())
}

/// What `PATCH /api/v1/agencies/{code}` asks, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgencyEdit {
    /// New names: Vietnamese, and English (`None` removes it).
    pub names: Option<(AgencyName, Option<AgencyName>)>,
    /// A new parent (`Some(None)`: the top level).
    pub parent: Option<Option<AgencyCode>>,
    /// The month the new names or parent take effect in.
    pub effective_from: Option<Month>,
    /// The first month the agency is no longer in force.
    pub closed_from: Option<Month>,
    /// The agency it merges into when it closes.
    pub merged_into: Option<AgencyCode>,
}

/// A 422 for one field.
fn field_problem(code: ProblemCode, field: &str, message: String) -> ApiError {
    ApiError::Rejected {
        code,
        detail: format!("`{field}`: {message}."),
        errors: vec![FieldError::new(field, code.as_str(), message)],
    }
}

fn validation(field: &str, code: &str, message: &str) -> ApiError {
    ApiError::Validation {
        detail: format!("`{field}` {message}."),
        errors: vec![FieldError::new(field, code, message)],
    }
}

/// The problem for a broken rule of a change, naming `field`.
pub fn change_problem(field: &str, e: &ChangeError) -> ApiError {
    let code = match e {
        ChangeError::InPublishedMonth { .. } => ProblemCode::ChangeInPublishedMonth,
        ChangeError::OutOfOrder { .. } => ProblemCode::ChangeOutOfOrder,
        ChangeError::NotInForce { .. } => ProblemCode::AgencyClosed,
        ChangeError::ParentLoop { .. } => ProblemCode::ParentLoop,
        ChangeError::HasChildren { .. } => ProblemCode::AgencyHasChildren,
        ChangeError::InvalidSuccessor { .. } => ProblemCode::InvalidSuccessor,
    };
    field_problem(code, field, e.to_string())
}

/// The problem of a dossier completed in `month`, when its agency is not in force.
pub fn not_in_force(month: Month) -> ApiError {
    field_problem(
        ProblemCode::AgencyClosed,
        "completed_at",
        format!(
            "is in {month}, when the agency is not in force (closed, merged or not yet opened)"
        ),
    )
}

/// The id of the agency with `code`, or `problem`.
async fn id_of(
    db: &impl ConnectionTrait,
    code: &AgencyCode,
    problem: impl FnOnce() -> ApiError,
) -> Result<Uuid, ApiError> {
    match agencies::find_by_code(db, code.as_str()).await? {
        Some(a) => Ok(a.id),
        None => Err(problem()),
    }
}

/// Checks that `effective_from` comes exactly with new names or a new parent, and
/// `merged_into` only with `closed_from`.
fn check_shape(edit: &AgencyEdit) -> Result<(), ApiError> {
    let placed = edit.names.is_some() || edit.parent.is_some();
    match (placed, edit.effective_from) {
        (true, None) => Err(validation(
            "effective_from",
            "required",
            "is required with `name` or `parent_code`",
        )),
        (false, Some(_)) => Err(validation(
            "effective_from",
            "unexpected",
            "needs `name` or `parent_code`",
        )),
        _ if edit.merged_into.is_some() && edit.closed_from.is_none() => Err(validation(
            "merged_into",
            "unexpected",
            "needs `closed_from`",
        )),
        _ if !placed && edit.closed_from.is_none() => Err(validation(
            "body",
            "required",
            "must change the name, the parent or the closing",
        )),
        _ => Ok(()),
    }
}

/// The id of the agency `code` names in `field`, if any; `problem` when it names none.
async fn optional_id(
    db: &impl ConnectionTrait,
    code: Option<&AgencyCode>,
    (field, problem): (&str, ProblemCode),
) -> Result<Option<Uuid>, ApiError> {
    match code {
        Some(code) => {
            let missing = || field_problem(problem, field, "names no agency".into());
            id_of(db, code, missing).await.map(Some)
        }
        None => Ok(None),
    }
}

/// The closing of `agency` from `month` into `successor`: refused when dossiers of `month` or
/// later are registered for it (they would fall outside every list).
async fn closing(
    db: &impl ConnectionTrait,
    agency: &Agency,
    month: Month,
    successor: Option<Uuid>,
) -> Result<ChangeKind, ApiError> {
    if store::has_dossiers_from(db, agency.id, month).await? {
        return Err(field_problem(
            ProblemCode::AgencyHasDossiers,
            "closed_from",
            format!(
                "dossiers completed in {month} or later are registered for `{}`",
                agency.code
            ),
        ));
    }
    Ok(ChangeKind::Close { successor })
}

/// The changes of `edit` for `agency`, each with its month and the field it comes from.
async fn changes_of(
    db: &impl ConnectionTrait,
    agency: &Agency,
    edit: &AgencyEdit,
) -> Result<Vec<(Month, &'static str, Change)>, ApiError> {
    check_shape(edit)?;
    let change = |kind| Change {
        agency: agency.id,
        code: agency.code.clone(),
        kind,
    };
    let mut out = Vec::new();
    if let (Some((vi, en)), Some(month)) = (&edit.names, edit.effective_from) {
        let kind = ChangeKind::Rename {
            name_vi: vi.as_str().to_owned(),
            name_en: en.as_ref().map(|n| n.as_str().to_owned()),
        };
        out.push((month, "effective_from", change(kind)));
    }
    if let (Some(parent), Some(month)) = (&edit.parent, edit.effective_from) {
        let field = ("parent_code", ProblemCode::UnknownParent);
        let parent = optional_id(db, parent.as_ref(), field).await?;
        out.push((month, "parent_code", change(ChangeKind::Move { parent })));
    }
    if let Some(month) = edit.closed_from {
        let field = ("merged_into", ProblemCode::InvalidSuccessor);
        let successor = optional_id(db, edit.merged_into.as_ref(), field).await?;
        let kind = closing(db, agency, month, successor).await?;
        out.push((month, "closed_from", change(kind)));
    }
    Ok(out)
}

/// Applies `changes` of one month to `hierarchy` and stores them; the first broken rule is
/// answered naming `field`.
async fn apply_month(
    db: &impl ConnectionTrait,
    hierarchy: &mut Hierarchy,
    (month, published): (Month, Option<Month>),
    changes: &[Change],
    field: &str,
    codes: &HashMap<Uuid, String>,
) -> Result<(), ApiError> {
    history::check_month(month, published, hierarchy.latest_change())
        .map_err(|e| change_problem(field, &e))?;
    let code_of = |id: Uuid| codes.get(&id).cloned().unwrap_or_default();
    let changed =
        history::apply(hierarchy, month, changes, code_of).map_err(|errors| {
            match errors.first() {
                Some((_, e)) => change_problem(field, e),
                None => ApiError::Unexpected(anyhow::anyhow!("a change failed without an error")),
            }
        })?;
    store::store(db, hierarchy, &changed, month).await?;
    Ok(())
}

/// Records that the new agency `id` is in force from `month` on (a successor created before a
/// merge), under the rules of every change: after the last published month, not before the
/// latest recorded change.
pub async fn open_from(db: &impl ConnectionTrait, id: Uuid, month: Month) -> Result<(), ApiError> {
    let published = months::published_through(db).await?;
    let hierarchy = store::load(db).await?;
    history::check_month(month, published, hierarchy.latest_change())
        .map_err(|e| change_problem("opened_from", &e))?;
    let lifetime = history::Lifetime {
        opened_from: Some(month),
        ..history::Lifetime::default()
    };
    store::put_lifetime(db, id, &lifetime).await?;
    Ok(())
}

/// Every agency's code by id.
pub(crate) async fn codes(db: &impl ConnectionTrait) -> Result<HashMap<Uuid, String>, ApiError> {
    Ok(agencies::list_all(db, None)
        .await?
        .into_iter()
        .map(|a| (a.id, a.code))
        .collect())
}

/// Renames, moves, closes or merges the agency `code` as `edit` says (see the module
/// documentation), by the key `actor` (`None`: the command line); returns the agency as it is
/// now.
pub async fn change(
    db: &DatabaseConnection,
    actor: Option<Uuid>,
    code: &AgencyCode,
    edit: &AgencyEdit,
) -> Result<Agency, ApiError> {
    let txn = crate::persistence::begin_write(db).await?;
    let Some(agency) = agencies::find_by_code(&txn, code.as_str()).await? else {
        return Err(ApiError::not_found(
            ProblemCode::AgencyNotFound,
            "There is no agency with this code.",
        ));
    };
    let mut changes = changes_of(&txn, &agency, edit).await?;
    changes.sort_by_key(|(month, _, _)| *month);
    let published = months::published_through(&txn).await?;
    let mut hierarchy = store::load(&txn).await?;
    let codes = codes(&txn).await?;
    let mut i = 0;
    while i < changes.len() {
        let month = changes[i].0;
        let field = changes[i].1;
        let same: Vec<Change> = (changes[i..].iter())
            .take_while(|(m, _, _)| *m == month)
            .map(|(_, _, c)| c.clone())
            .collect();
        i += same.len();
        apply_month(
            &txn,
            &mut hierarchy,
            (month, published),
            &same,
            field,
            &codes,
        )
        .await?;
    }
    let event = AuditEvent::AgencyChanged {
        code: agency.code.clone(),
        effective_from: edit.effective_from.map(|m| m.to_string()),
        renamed: edit.names.is_some(),
        parent_code: edit
            .parent
            .as_ref()
            .map(|p| p.as_ref().map(|c| c.as_str().to_owned())),
        closed_from: edit.closed_from.map(|m| m.to_string()),
        merged_into: edit.merged_into.as_ref().map(|c| c.as_str().to_owned()),
    };
    audit::record(&txn, actor, &event).await?;
    let agency = agencies::find_by_id(&txn, agency.id)
        .await?
        .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("a changed agency went missing")))?;
    txn.commit().await?;
    Ok(agency)
}
