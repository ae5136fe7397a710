//! Applying a reorganisation file (`sipas agencies reorganise FILE.csv`,
//! `domain::agency_history::reorganisation`): every row checked, then every change applied in
//! one transaction, all or nothing; every bad line reported. A dry run does everything but the
//! commit, so what it prints is exactly what a real run would do.

use std::collections::{HashMap, HashSet};

use sea_orm::{DatabaseConnection, DatabaseTransaction};
use uuid::Uuid;

use super::{change_problem, codes};
use crate::domain::agencies::{AgencyCode, DEFAULT_FORM, NewAgency, RowError};
use crate::domain::agency_history::reorganisation::{
    RawReorgRow, ReorgAction, ReorgRow, parse_reorg_row,
};
use crate::domain::agency_history::{self as history, Change, ChangeKind, Lifetime};
use crate::domain::audit::AuditEvent;
use crate::domain::periods::Month;
use crate::error::ApiError;
use crate::persistence::{agencies, agency_history as store, audit, months};

/// Why a reorganisation did not happen; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ReorganiseError {
    /// Some rows are bad (each listed, by line).
    #[error("{} row(s) are not valid; nothing was changed", .0.len())]
    Invalid(Vec<RowError>),
    /// The month is refused, or the database failed.
    #[error(transparent)]
    Failed(#[from] ApiError),
}

impl From<sea_orm::DbErr> for ReorganiseError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Failed(e.into())
    }
}

/// What a reorganisation did (or, in a dry run, would do): one line per change.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub lines: Vec<String>,
    pub created: usize,
    pub renamed: usize,
    pub moved: usize,
    pub closed: usize,
    pub merged: usize,
}

/// Applies `rows`, all taking effect in `month` (see the module documentation).
pub async fn reorganise(
    db: &DatabaseConnection,
    month: Month,
    rows: &[RawReorgRow],
    dry_run: bool,
) -> Result<Summary, ReorganiseError> {
    let mut errors = Vec::new();
    let parsed: Vec<ReorgRow> = (rows.iter())
        .filter_map(|r| parse_reorg_row(r, &mut errors))
        .collect();
    let txn = crate::persistence::begin_write(db).await?;
    let published = months::published_through(&txn).await?;
    let before = store::load(&txn).await?;
    history::check_month(month, published, before.latest_change())
        .map_err(|e| change_problem("effective_from", &e))?;
    let mut summary = Summary::default();
    create_all(&txn, month, &parsed, &mut errors, &mut summary).await?;
    let codes = codes(&txn).await?;
    let ids: HashMap<&str, Uuid> = codes.iter().map(|(id, c)| (c.as_str(), *id)).collect();
    let changes = changes_of(&parsed, &ids, &mut errors, &mut summary);
    for (line, c) in &changes {
        if matches!(c.kind, ChangeKind::Close { .. })
            && store::has_dossiers_from(&txn, c.agency, month).await?
        {
            let message = format!(
                "dossiers completed in {month} or later are registered for `{}` (agency_has_dossiers)",
                c.code
            );
            errors.push(RowError::new(*line, "code", message));
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(ReorganiseError::Invalid(errors));
    }
    let mut hierarchy = store::load(&txn).await?;
    let (lines, changes): (Vec<u64>, Vec<Change>) = changes.into_iter().unzip();
    let code_of = |id: Uuid| codes.get(&id).cloned().unwrap_or_default();
    let changed = history::apply(&mut hierarchy, month, &changes, code_of).map_err(|errors| {
        let rows = (errors.iter())
            .map(|(i, e)| RowError::new(lines[*i], "row", format!("{e} ({})", e.code())))
            .collect();
        ReorganiseError::Invalid(rows)
    })?;
    store::store(&txn, &hierarchy, &changed, month).await?;
    let event = AuditEvent::AgenciesReorganised {
        effective_from: month.to_string(),
        created: summary.created,
        renamed: summary.renamed,
        moved: summary.moved,
        closed: summary.closed,
        merged: summary.merged,
    };
    audit::record(&txn, None, &event).await?;
    if dry_run {
        txn.rollback().await?;
    } else {
        txn.commit().await?;
    }
    Ok(summary)
}

/// Creates the agencies of the file's `create` rows, in force from `month`, in file order (a
/// parent stored, or created on an earlier line).
async fn create_all(
    txn: &DatabaseTransaction,
    month: Month,
    rows: &[ReorgRow],
    errors: &mut Vec<RowError>,
    summary: &mut Summary,
) -> Result<(), ReorganiseError> {
    for row in rows {
        let ReorgAction::Create {
            name_vi,
            name_en,
            kind,
            parent,
        } = &row.action
        else {
            continue;
        };
        if agencies::find_by_code(txn, row.code.as_str())
            .await?
            .is_some()
        {
            errors.push(RowError::new(
                row.line,
                "code",
                format!("an agency `{}` already exists", row.code),
            ));
            continue;
        }
        let parent_agency = match parent {
            Some(p) => match agencies::find_by_code(txn, p.as_str()).await? {
                Some(a) => Some(a),
                None => {
                    let message =
                        format!("no agency `{p}` exists or is created on an earlier line");
                    errors.push(RowError::new(row.line, "parent_code", message));
                    continue;
                }
            },
            None => None,
        };
        let new = NewAgency {
            code: row.code.clone(),
            name_vi: name_vi.clone(),
            name_en: name_en.clone(),
            kind: *kind,
            parent_code: parent.clone(),
            default_form: DEFAULT_FORM.to_owned(),
        };
        let created = agencies::insert(txn, &new, parent_agency.as_ref()).await?;
        let lifetime = Lifetime {
            opened_from: Some(month),
            ..Lifetime::default()
        };
        store::put_lifetime(txn, created.id, &lifetime).await?;
        summary.created += 1;
        summary.lines.push(format!(
            "line {}: create {} ({}, {}) below {}, in force from {month}",
            row.line,
            row.code,
            name_vi.as_str(),
            kind.as_str(),
            parent
                .as_ref()
                .map_or("nothing (top level)", AgencyCode::as_str),
        ));
    }
    Ok(())
}

/// The changes of the file's other rows, each with its line; unknown codes and an agency
/// closed twice are reported.
fn changes_of(
    rows: &[ReorgRow],
    ids: &HashMap<&str, Uuid>,
    errors: &mut Vec<RowError>,
    summary: &mut Summary,
) -> Vec<(u64, Change)> {
    let mut out = Vec::new();
    let mut closed: HashSet<&str> = HashSet::new();
    for row in rows {
        let mut id_of = |code: &AgencyCode, field: &str| {
            let id = ids.get(code.as_str()).copied();
            if id.is_none() {
                let message = format!("no agency `{code}` exists");
                errors.push(RowError::new(row.line, field, message));
            }
            id
        };
        if matches!(row.action, ReorgAction::Create { .. }) {
            continue;
        }
        let Some(agency) = id_of(&row.code, "code") else {
            continue;
        };
        let closes = matches!(row.action, ReorgAction::Close | ReorgAction::Merge { .. });
        if closes && !closed.insert(row.code.as_str()) {
            let message = format!("`{}` is closed on an earlier line", row.code);
            errors.push(RowError::new(row.line, "code", message));
            continue;
        }
        let Some((kind, line)) = kind_of(row, &mut id_of, summary) else {
            continue;
        };
        summary.lines.push(format!("line {}: {line}", row.line));
        let code = row.code.as_str().to_owned();
        out.push((row.line, Change { agency, code, kind }));
    }
    out
}

/// What a row (other than `create`) changes, and how to say it; `None` when a code it names
/// is unknown (`id_of` reports it).
fn kind_of(
    row: &ReorgRow,
    id_of: &mut impl FnMut(&AgencyCode, &str) -> Option<Uuid>,
    summary: &mut Summary,
) -> Option<(ChangeKind, String)> {
    let code = &row.code;
    Some(match &row.action {
        ReorgAction::Rename { name_vi, name_en } => {
            summary.renamed += 1;
            let kind = ChangeKind::Rename {
                name_vi: name_vi.as_str().to_owned(),
                name_en: name_en.as_ref().map(|n| n.as_str().to_owned()),
            };
            (kind, format!("rename {code} to {}", name_vi.as_str()))
        }
        ReorgAction::Move { parent } => {
            let id = match parent {
                Some(p) => Some(id_of(p, "parent_code")?),
                None => None,
            };
            summary.moved += 1;
            let to = parent.as_ref().map_or("the top level", AgencyCode::as_str);
            let kind = ChangeKind::Move { parent: id };
            (kind, format!("move {code} below {to}"))
        }
        ReorgAction::Close => {
            summary.closed += 1;
            let kind = ChangeKind::Close { successor: None };
            (kind, format!("close {code}"))
        }
        ReorgAction::Merge { into } => {
            let successor = Some(id_of(into, "into")?);
            summary.merged += 1;
            let kind = ChangeKind::Close { successor };
            (kind, format!("merge {code} into {into}"))
        }
        ReorgAction::Create { .. } => return None,
    })
}
