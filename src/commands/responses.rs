//! `sipas responses import FILE.csv --agency CODE --form KEY [--mode …] [--skip-bad]`: an agency's
//! paper (or kiosk, phone) questionnaires from a spreadsheet, one row per questionnaire.
//!
//! The file has a column `dossier_code` and one column per question id of the form (see the
//! `--help` of the command for what a cell holds). Every row goes through what
//! `POST /api/v1/agencies/{code}/responses` does: the dossier must be registered for the
//! agency, with this form, and unanswered; the answers are checked and the row built by
//! `app::submissions::Checker::prepare`; rows are stored with `persistence::responses::commit`, whose
//! conditional update answers each dossier at most once and seals its code in the same
//! transaction. The whole file is checked before anything is written.
//!
//! An import that stores anything is recorded in the audit log (`responses.imported`: agency,
//! form, mode and counts — never a dossier code).
//!
//! Privacy: rows are shuffled before they are split into transactions, so neither the order of
//! the stored responses nor the make-up of a batch follows the file (docs/privacy.md).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{Context, anyhow};
use sea_orm::DatabaseConnection;
use serde_json::{Map, Value};
use unicode_normalization::UnicodeNormalization;

use super::import_file::{CsvFile, ImportError, read_csv};
use crate::app::submissions::{Checker, SubmitError};
use crate::config::Settings;
use crate::domain::agencies::RowError;
use crate::domain::audit::AuditEvent;
use crate::domain::dossiers::check_code;
use crate::domain::forms::{PublishedForms, QuestionKind};
use crate::domain::lang::Lang;
use crate::domain::responses::NewResponse;
use crate::domain::submissions::Mode;
use crate::persistence::responses::{self, Outcome};
use crate::persistence::{agencies, audit, dossiers};
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

    // Codes first: every row's, and which appear more than once.
    let mut errors = file.errors.clone();
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
    let keys: Vec<(uuid::Uuid, &str)> = lines_of
        .keys()
        .map(|code| (agency.id, code.as_str()))
        .collect();
    let found = dossiers::find_existing(db, &keys, |a, c| key.seal_code(a, c))
        .await
        .map_err(anyhow::Error::new)?;

    let checker = Checker {
        forms: &forms,
        rules: settings.responses.validity_rules(),
        key: &key,
    };
    let mut ready = Vec::with_capacity(coded.len());
    for (row, code) in coded {
        let bad = |message: String| RowError::new(row.line, DOSSIER_CODE, message);
        let lines = lines_of.get(&code).map(Vec::as_slice).unwrap_or_default();
        if lines.len() > 1 {
            let others: Vec<String> = lines
                .iter()
                .filter(|l| **l != row.line)
                .map(u64::to_string)
                .collect();
            errors.push(bad(format!(
                "the same dossier code is also on line {}",
                others.join(", ")
            )));
            continue;
        }
        let Some(dossier) = found.get(&(agency.id, code)) else {
            errors.push(bad(format!(
                "no dossier with this code is registered for the agency `{}`",
                agency.code
            )));
            continue;
        };
        if dossier.form_key != import.form {
            errors.push(bad(format!(
                "the dossier is surveyed with the form `{}`, not `{}`",
                dossier.form_key, import.form
            )));
            continue;
        }
        if dossier.answered {
            errors.push(bad("the dossier is already answered".into()));
            continue;
        }
        let form = forms.version(&dossier.form_key, dossier.form_version);
        let mut answers = Map::new();
        for (name, cell) in file.header.iter().zip(&row.cells) {
            if name == DOSSIER_CODE || cell.is_empty() {
                continue;
            }
            let kind = form
                .and_then(|f| f.definition.question(name))
                .map(|q| q.kind());
            answers.insert(name.clone(), cell_value(kind, cell));
        }
        match checker.prepare(dossier, (&answers, import.mode), None) {
            Ok(response) => ready.push(Ready {
                line: row.line,
                response,
            }),
            Err(SubmitError::Invalid(problems)) => {
                errors.extend(
                    problems
                        .iter()
                        .map(|p| RowError::new(row.line, p.question.clone(), p.message(Lang::En))),
                );
            }
            // A form version that is not loaded; `prepare` reports nothing else.
            Err(other) => return Err(anyhow!("checking the answers failed: {other:?}").into()),
        }
    }
    errors.sort_by_key(|e| e.line);
    if !errors.is_empty() && !import.skip_bad {
        return Err(ImportError::Invalid(errors));
    }

    let mut summary = ImportSummary {
        skipped: errors,
        ..ImportSummary::default()
    };
    crate::domain::responses::shuffle(&mut ready);
    let batch = settings.responses.writer_batch_max.max(1);
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
    if summary.stored > 0 {
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
    }
    Ok(summary)
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
