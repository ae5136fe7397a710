//! `sipas agencies change CODE …` and `sipas agencies reorganise FILE.csv` (issue 21): parse,
//! call `app::agencies`, print what changed.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, anyhow};
use sea_orm::DatabaseConnection;

use super::import_file::{ImportError, read_csv};
use crate::app::agencies::reorganise::{ReorganiseError, Summary, reorganise};
use crate::app::agencies::{self as app, AgencyEdit};
use crate::cli::AgencyChangeArgs;
use crate::domain::agencies::{AgencyCode, AgencyName, RowError};
use crate::domain::agency_history::reorganisation::RawReorgRow;
use crate::domain::periods::Month;
use crate::error::ApiError;

/// The columns of a reorganisation file; `action` and `code` are required.
const COLUMNS: [&str; 7] = [
    "action",
    "code",
    "name_vi",
    "name_en",
    "parent_code",
    "into",
    "kind",
];

fn month(flag: &str, raw: Option<&str>) -> anyhow::Result<Option<Month>> {
    raw.map(|r| {
        Month::parse(r).ok_or_else(|| anyhow!("{flag}: `{r}` is not a month written YYYY-MM"))
    })
    .transpose()
}

fn code(flag: &str, raw: &str) -> anyhow::Result<AgencyCode> {
    AgencyCode::parse(raw).map_err(|p| anyhow!("{flag}: {p}"))
}

/// A use case's problem as a message: its detail and each field's.
fn explained(e: ApiError) -> anyhow::Error {
    match &e {
        ApiError::Rejected { code, detail, .. } => anyhow!("{detail} ({})", code.as_str()),
        ApiError::Validation { detail, .. } => anyhow!("{detail}"),
        ApiError::NotFound { detail, .. } => anyhow!("{detail}"),
        _ => anyhow!(e),
    }
}

/// `sipas agencies change`: the agency as it is now, as a line.
pub async fn change(db: &DatabaseConnection, args: &AgencyChangeArgs) -> anyhow::Result<String> {
    let names = match &args.name_vi {
        Some(vi) => {
            let vi = AgencyName::parse(vi).map_err(|p| anyhow!("--name-vi: {p}"))?;
            let en = (args.name_en.as_deref())
                .map(AgencyName::parse)
                .transpose()
                .map_err(|p| anyhow!("--name-en: {p}"))?;
            Some((vi, en))
        }
        None => None,
    };
    let parent = match (&args.parent, args.top_level) {
        (Some(p), _) => Some(Some(code("--parent", p)?)),
        (None, true) => Some(None),
        (None, false) => None,
    };
    let edit = AgencyEdit {
        names,
        parent,
        effective_from: month("--effective-from", args.effective_from.as_deref())?,
        closed_from: month("--closed-from", args.closed_from.as_deref())?,
        merged_into: (args.merged_into.as_deref())
            .map(|c| code("--merged-into", c))
            .transpose()?,
    };
    let agency = app::change(db, None, &code("CODE", &args.code)?, &edit)
        .await
        .map_err(explained)?;
    Ok(format!(
        "{}\t{}\tparent {}\n",
        agency.code,
        agency.name_vi,
        agency.parent_code.as_deref().unwrap_or("-")
    ))
}

/// Reads the rows of a reorganisation file.
fn read_rows(input: &[u8]) -> Result<(Vec<RawReorgRow>, Vec<RowError>), ImportError> {
    let file = read_csv(input)?;
    let mut at: HashMap<&str, usize> = HashMap::new();
    let mut errors = Vec::new();
    for (i, name) in file.header.iter().enumerate() {
        match COLUMNS.iter().find(|c| **c == name.as_str()) {
            Some(c) if !at.contains_key(c) => {
                at.insert(c, i);
            }
            _ => errors.push(RowError::new(
                1,
                "header",
                format!(
                    "unexpected column `{name}` (expected {})",
                    COLUMNS.join(",")
                ),
            )),
        }
    }
    for column in ["action", "code"] {
        if !at.contains_key(column) {
            errors.push(RowError::new(
                1,
                "header",
                format!("the column `{column}` is missing"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ImportError::Invalid(errors));
    }
    let rows = (file.rows.into_iter())
        .map(|row| {
            let cell = |column: &str| {
                (at.get(column).and_then(|&i| row.cells.get(i)))
                    .cloned()
                    .unwrap_or_default()
            };
            RawReorgRow {
                line: row.line,
                action: cell("action"),
                code: cell("code"),
                name_vi: cell("name_vi"),
                name_en: cell("name_en"),
                parent_code: cell("parent_code"),
                into: cell("into"),
                kind: cell("kind"),
            }
        })
        .collect();
    Ok((rows, file.errors))
}

/// `sipas agencies reorganise`: what changed (or would change, with `dry_run`).
pub async fn reorganise_file(
    db: &DatabaseConnection,
    file: &Path,
    effective_from: &str,
    dry_run: bool,
) -> Result<Summary, ImportError> {
    let month = month("--effective-from", Some(effective_from))?
        .ok_or_else(|| anyhow!("--effective-from is required"))?;
    let input = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let (rows, unreadable) = read_rows(&input)?;
    let result = reorganise(db, month, &rows, dry_run).await;
    match result {
        Ok(_) if !unreadable.is_empty() => Err(ImportError::Invalid(unreadable)),
        Ok(summary) => Ok(summary),
        Err(ReorganiseError::Invalid(mut errors)) => {
            errors.extend(unreadable);
            errors.sort_by_key(|e| e.line);
            Err(ImportError::Invalid(errors))
        }
        Err(ReorganiseError::Failed(e)) => Err(ImportError::Other(explained(e))),
    }
}
