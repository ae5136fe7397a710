//! `sipas responses import FILE.csv --agency CODE --form KEY [--mode …] [--skip-bad]`: an agency's
//! paper (or kiosk, phone) questionnaires from a spreadsheet, one row per questionnaire.
//!
//! The file has a column `dossier_code` and one column per question id of the form (see the
//! `--help` of the command for what a cell holds). Every row is checked by the use case
//! `POST /api/v1/agencies/{code}/responses` checks with, `app::entry::prepare`: the dossier must
//! be registered for the agency, with this form, and unanswered; the answers are checked and the
//! row built. The whole file is checked before anything is written; rows are then stored with
//! `persistence::responses::commit`, whose conditional update answers each dossier at most once
//! and seals its code in the same transaction.
//!
//! An import that stores anything is recorded in the audit log (`responses.imported`: agency,
//! form, mode and counts — never a dossier code).
//!
//! Privacy: rows are shuffled before they are split into transactions, so neither the order of
//! the stored responses nor the make-up of a batch follows the file (docs/privacy.md).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{Context, anyhow};
use chrono::Utc;
use sea_orm::DatabaseConnection;
use serde_json::{Map, Value};
use unicode_normalization::UnicodeNormalization;

use super::import_file::{CsvFile, CsvRow, ImportError, read_csv};
use crate::app::entry::{self, EntryError, NewEntry};
use crate::app::submissions::{Checker, SubmitError};
use crate::config::Settings;
use crate::domain::agencies::{Agency, RowError};
use crate::domain::audit::AuditEvent;
use crate::domain::dossiers::check_code;
use crate::domain::forms::{PublishedForm, PublishedForms, QuestionKind};
use crate::domain::lang::Lang;
use crate::domain::responses::NewResponse;
use crate::domain::submissions::Mode;
use crate::persistence::responses::{self, Outcome};
use crate::persistence::{agencies, audit};
use crate::startup;

/// The column naming the dossier.
const DOSSIER_CODE: &str = "dossier_code";
/// What separates the option ids of a multiple-choice cell.
const OPTION_SEPARATOR: char = ';';

/// What to import.
#[derive(Debug, Clone)]
pub struct ResponseImport<'a> {
    pub file: &'a Path,
    pub agency: &'a str,
    pub form: &'a str,
    pub mode: Mode,
    /// Store the good rows when some are bad.
    pub skip_bad: bool,
}

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportSummary {
    /// Questionnaires stored, invalid returns included.
    pub stored: usize,
    /// Of those, the invalid returns (valid = false).
    pub invalid_returns: usize,
    /// Rows not stored (with `--skip-bad`), with why, by line.
    pub skipped: Vec<RowError>,
}

/// A row that may be stored.
struct Ready {
    line: u64,
    response: NewResponse,
}

/// Imports the questionnaires of a file (see the module documentation).
pub async fn import_responses(
    db: &DatabaseConnection,
    settings: &Settings,
    import: &ResponseImport<'_>,
) -> Result<ImportSummary, ImportError> {
    let input = std::fs::read(import.file)
        .with_context(|| format!("cannot read {}", import.file.display()))?;
    let file = read_csv(&input)?;
    let forms = startup::load_forms(db).await?;
    if forms.versions(import.form).is_empty() {
        return Err(anyhow!("there is no form with the key `{}`", import.form).into());
    }
    let agency = agencies::find_by_code(db, import.agency)
        .await
        .map_err(anyhow::Error::new)?
        .ok_or_else(|| anyhow!("there is no agency with the code `{}`", import.agency))?;
    let key = startup::token_key(db, settings).await?;
    let code_at = check_header(&file, &forms, import.form)?;
    let checker = Checker {
        forms: &forms,
        rules: settings.responses.validity_rules(),
        key: &key,
    };
    let (ready, errors) = check_rows(db, &checker, (&agency, import), &file, code_at).await?;
    if !errors.is_empty() && !import.skip_bad {
        return Err(ImportError::Invalid(errors));
    }
    let batch = settings.responses.writer_batch_max.max(1);
    let summary = store_rows(db, ready, batch, errors).await?;
    if summary.stored > 0 {
        record_import(db, (&agency, import), &summary).await?;
    }
    Ok(summary)
}

/// Checks every row of the file as `POST /api/v1/agencies/{code}/responses` would check it
/// (`app::entry::prepare`), after its dossier code, which must be on one line only: the rows
/// that may be stored, and the errors of the others (and of the rows that could not be read),
/// by line.
async fn check_rows(
    db: &DatabaseConnection,
    checker: &Checker<'_>,
    (agency, import): (&Agency, &ResponseImport<'_>),
    file: &CsvFile,
    code_at: usize,
) -> Result<(Vec<Ready>, Vec<RowError>), ImportError> {
    let mut errors = file.errors.clone();
    let Coded {
        rows: coded,
        lines_of,
    } = dossier_codes(file, code_at, &mut errors);
    let found = entry::find_dossiers(
        db,
        checker.key,
        agency.id,
        lines_of.keys().map(String::as_str),
    )
    .await
    .map_err(anyhow::Error::new)?;
    let now = Utc::now();
    let mut ready = Vec::with_capacity(coded.len());
    for (row, code) in coded {
        let lines = lines_of.get(&code).map(Vec::as_slice).unwrap_or_default();
        if lines.len() > 1 {
            errors.push(also_on(row.line, lines));
            continue;
        }
        let dossier = found.get(&code);
        let form = dossier.and_then(|d| checker.forms.version(&d.form_key, d.form_version));
        let entry = NewEntry {
            dossier_code: code,
            form_key: import.form.to_owned(),
            mode: import.mode,
            answers: row_answers(&file.header, row, form.map(|f| &**f)),
            collected_on: None,
        };
        match entry::prepare(checker, dossier, &entry, now) {
            Ok(response) => ready.push(Ready {
                line: row.line,
                response,
            }),
            Err(e) => errors.extend(row_errors(row.line, e, (agency, import))?),
        }
    }
    errors.sort_by_key(|e| e.line);
    Ok((ready, errors))
}

/// The rows whose dossier code is well formed, with it, and the lines each code is on.
struct Coded<'f> {
    rows: Vec<(&'f CsvRow, String)>,
    lines_of: HashMap<String, Vec<u64>>,
}

/// Every row's dossier code (a malformed one is an error of its row), and the lines each code
/// is on.
fn dossier_codes<'f>(file: &'f CsvFile, code_at: usize, errors: &mut Vec<RowError>) -> Coded<'f> {
    let mut lines_of: HashMap<String, Vec<u64>> = HashMap::new();
    let mut coded = Vec::with_capacity(file.rows.len());
    for row in &file.rows {
        match check_code(&row.cells[code_at]) {
            Ok(code) => {
                lines_of.entry(code.clone()).or_default().push(row.line);
                coded.push((row, code));
            }
            Err((_, message)) => errors.push(RowError::new(row.line, DOSSIER_CODE, message)),
        }
    }
    Coded {
        rows: coded,
        lines_of,
    }
}

/// The error of a row whose dossier code is also on other `lines`.
fn also_on(line: u64, lines: &[u64]) -> RowError {
    let others: Vec<String> = lines
        .iter()
        .filter(|l| **l != line)
        .map(u64::to_string)
        .collect();
    let message = format!(
        "the same dossier code is also on line {}",
        others.join(", ")
    );
    RowError::new(line, DOSSIER_CODE, message)
}

/// The answers of a row: each non-empty cell of a question, read as the question of the
/// dossier's form version (`form`; `None` when there is no dossier) takes it.
fn row_answers(
    header: &[String],
    row: &CsvRow,
    form: Option<&PublishedForm>,
) -> Map<String, Value> {
    let mut answers = Map::new();
    for (name, cell) in header.iter().zip(&row.cells) {
        if name == DOSSIER_CODE || cell.is_empty() {
            continue;
        }
        let kind = form
            .and_then(|f| f.definition.question(name))
            .map(|q| q.kind());
        answers.insert(name.clone(), cell_value(kind, cell));
    }
    answers
}

/// Why the row on `line` is refused, as the import reports it; an error that is no fault of
/// the row (a form version that is not loaded, the database) fails the import.
fn row_errors(
    line: u64,
    e: EntryError,
    (agency, import): (&Agency, &ResponseImport<'_>),
) -> Result<Vec<RowError>, ImportError> {
    let bad = |message: String| Ok(vec![RowError::new(line, DOSSIER_CODE, message)]);
    match e {
        EntryError::UnknownDossier => bad(format!(
            "no dossier with this code is registered for the agency `{}`",
            agency.code
        )),
        EntryError::FormMismatch { dossier_form } => bad(format!(
            "the dossier is surveyed with the form `{dossier_form}`, not `{}`",
            import.form
        )),
        EntryError::Submit(SubmitError::AlreadyAnswered) => {
            bad("the dossier is already answered".into())
        }
        EntryError::Submit(SubmitError::Invalid(problems)) => Ok(problems
            .iter()
            .map(|p| RowError::new(line, p.question.clone(), p.message(Lang::En)))
            .collect()),
        other => Err(anyhow!("checking the answers failed: {other:?}").into()),
    }
}

/// Stores the checked rows, shuffled, `batch` to a transaction; a row whose dossier was
/// answered meanwhile is skipped. `skipped` are the rows refused before.
async fn store_rows(
    db: &DatabaseConnection,
    mut ready: Vec<Ready>,
    batch: usize,
    skipped: Vec<RowError>,
) -> Result<ImportSummary, ImportError> {
    let mut summary = ImportSummary {
        skipped,
        ..ImportSummary::default()
    };
    crate::domain::responses::shuffle(&mut ready);
    for chunk in ready.chunks(batch) {
        let rows: Vec<&NewResponse> = chunk.iter().map(|r| &r.response).collect();
        let outcomes = responses::commit(db, &rows).await.with_context(|| {
            format!(
                "storing the responses ({} were stored before this failure)",
                summary.stored
            )
        })?;
        for (row, outcome) in chunk.iter().zip(outcomes) {
            match outcome {
                Outcome::Stored => {
                    summary.stored += 1;
                    summary.invalid_returns += usize::from(row.response.invalid_reason.is_some());
                }
                // Answered online (or by another import) since the check above. (An agency's
                // entry is never refused for an ended link: `Closed` does not happen here.)
                Outcome::AlreadyAnswered { .. } | Outcome::Closed => {
                    summary.skipped.push(RowError::new(
                        row.line,
                        DOSSIER_CODE,
                        "the dossier was answered meanwhile; not stored",
                    ))
                }
            }
        }
    }
    summary.skipped.sort_by_key(|e| e.line);
    Ok(summary)
}

/// Records the import in the audit log: agency, form, mode and counts, never a dossier code.
async fn record_import(
    db: &DatabaseConnection,
    (agency, import): (&Agency, &ResponseImport<'_>),
    summary: &ImportSummary,
) -> Result<(), ImportError> {
    let event = AuditEvent::ResponsesImported {
        agency_code: agency.code.clone(),
        form_key: import.form.to_owned(),
        mode: import.mode.as_str(),
        stored: summary.stored as u64,
        invalid_returns: summary.invalid_returns as u64,
        skipped: summary.skipped.len(),
    };
    audit::record(db, None, &event)
        .await
        .context("recording the import in the audit log")?;
    Ok(())
}

/// Checks the header against the form (any stored version of it) and returns where the dossier
/// code is. Unknown, repeated or missing columns are reported once each, on line 1.
fn check_header(file: &CsvFile, forms: &PublishedForms, form: &str) -> Result<usize, ImportError> {
    let questions: HashSet<&str> = forms
        .versions(form)
        .iter()
        .flat_map(|f| f.definition.questions())
        .filter(|q| !q.hidden())
        .map(|q| q.id())
        .collect();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for name in &file.header {
        if !seen.insert(name.as_str()) {
            errors.push(RowError::new(
                1,
                "header",
                format!("the column `{name}` appears twice"),
            ));
        } else if name != DOSSIER_CODE && !questions.contains(name.as_str()) {
            errors.push(RowError::new(
                1,
                "header",
                format!("unknown column `{name}`: not a question of the form `{form}`"),
            ));
        }
    }
    let code_at = file.header.iter().position(|n| n == DOSSIER_CODE);
    if code_at.is_none() {
        errors.push(RowError::new(
            1,
            "header",
            format!("the column `{DOSSIER_CODE}` is missing"),
        ));
    }
    match code_at {
        Some(at) if errors.is_empty() => Ok(at),
        _ => Err(ImportError::Invalid(errors)),
    }
}

/// The answer a non-empty cell holds for a question of `kind` (`None`: not a question of the
/// dossier's form version). A cell that does not fit its question is passed on as text, so the
/// check of the answers reports it in the same words as the API would.
fn cell_value(kind: Option<QuestionKind>, cell: &str) -> Value {
    let text = || Value::from(cell);
    match kind {
        Some(QuestionKind::Scale) => cell.parse::<i64>().map_or_else(|_| text(), Value::from),
        Some(QuestionKind::MultipleChoice) => Value::from(
            cell.split(OPTION_SEPARATOR)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>(),
        ),
        Some(QuestionKind::YesNo) => {
            let word: String = cell.nfc().flat_map(char::to_lowercase).collect();
            match word.as_str() {
                "yes" | "có" | "true" => Value::from(true),
                "no" | "không" | "false" => Value::from(false),
                _ => text(),
            }
        }
        Some(QuestionKind::Number) => match cell.parse::<i64>() {
            Ok(n) => Value::from(n),
            Err(_) => cell
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or_else(text, Value::Number),
        },
        Some(QuestionKind::SingleChoice | QuestionKind::Text) | None => text(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_become_the_answers_the_api_takes() {
        assert_eq!(cell_value(Some(QuestionKind::Scale), "4"), json!(4));
        assert_eq!(cell_value(Some(QuestionKind::Scale), "4.5"), json!("4.5"));
        assert_eq!(
            cell_value(Some(QuestionKind::MultipleChoice), "a; b;"),
            json!(["a", "b"])
        );
        assert_eq!(cell_value(Some(QuestionKind::YesNo), "Có"), json!(true));
        assert_eq!(cell_value(Some(QuestionKind::YesNo), "KHÔNG"), json!(false));
        assert_eq!(
            cell_value(Some(QuestionKind::YesNo), "maybe"),
            json!("maybe")
        );
        assert_eq!(cell_value(Some(QuestionKind::Number), "42"), json!(42));
        assert_eq!(cell_value(Some(QuestionKind::Number), "1.5"), json!(1.5));
        assert_eq!(cell_value(Some(QuestionKind::Number), "1,5"), json!("1,5"));
        assert_eq!(
            cell_value(Some(QuestionKind::SingleChoice), "once"),
            json!("once")
        );
        assert_eq!(cell_value(None, "7"), json!("7"));
    }
}
