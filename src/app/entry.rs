//! Entering a questionnaire an agency collected on paper, at a kiosk or by phone, for one of
//! its dossiers: one at a time through `POST /api/v1/agencies/{code}/responses` ([`enter`]), or
//! a file of them through `sipas responses import` ([`prepare`] for each row; the command
//! stores the checked rows together).
//!
//! The answers take the path every answer takes (`app::submissions`): the same checks against
//! the dossier's form version, the dossier answered at most once. What differs from a citizen's
//! link: the dossier is named by its code (sealed codes of answered or expired dossiers are
//! found too), an expired link does not matter (paper comes back late), a paper questionnaire
//! with too many blanks is stored as an invalid return instead of refused, and an answered
//! dossier is always refused (never a retry's receipt: that would let an officer test guesses
//! at what the citizen answered online).
//!
//! Nothing here logs the dossier code: an entered response must not be linkable to its dossier
//! (docs/privacy.md). The day of collection is checked, never stored.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{DatabaseConnection, DbErr};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::submissions::{Checker, SubmitError, write};
use crate::domain::dossiers::Dossier;
use crate::domain::responses::NewResponse;
use crate::domain::submissions::{CollectedOnProblem, Mode, check_collected_on};
use crate::domain::tokens::TokenKey;
use crate::persistence::dossiers;
use crate::persistence::responses::{Outcome, ResponseWriter};

/// How an agency collects questionnaires.
pub const ENTRY_MODES: [Mode; 3] = [Mode::Paper, Mode::Kiosk, Mode::Phone];

/// Parses an entry mode (`paper`, `kiosk` or `phone`).
pub fn entry_mode(raw: &str) -> Option<Mode> {
    ENTRY_MODES.into_iter().find(|m| m.as_str() == raw)
}

/// What entering needs: the database, the answer checks and the writer.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub db: &'a DatabaseConnection,
    pub checker: Checker<'a>,
    pub writer: &'a ResponseWriter,
}

/// A questionnaire an agency keyed in, parsed.
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// The code of a dossier of the agency (`domain::dossiers::check_code`).
    pub dossier_code: String,
    /// The key of the form the dossier is surveyed with: a safeguard against keying a
    /// questionnaire of one form against a dossier of another.
    pub form_key: String,
    /// One of [`ENTRY_MODES`].
    pub mode: Mode,
    /// Answers by question id, as a citizen's.
    pub answers: Map<String, Value>,
    /// The day it was filled in (Vietnam time), when known: the API asks for it; a file of
    /// paper questionnaires does not say.
    pub collected_on: Option<NaiveDate>,
}

/// Why an entered questionnaire was not stored.
#[derive(Debug)]
pub enum EntryError {
    /// No dossier with the code is registered for the agency.
    UnknownDossier,
    /// The dossier is surveyed with another form, `dossier_form`.
    FormMismatch { dossier_form: String },
    /// The day of collection is after today or before the dossier was completed.
    CollectedOn(CollectedOnProblem),
    /// Refused as any answer would be: the dossier answered already, answers breaking the
    /// form's rules, the month closed on the way, or a failure.
    Submit(SubmitError),
}

impl From<SubmitError> for EntryError {
    fn from(e: SubmitError) -> Self {
        EntryError::Submit(e)
    }
}

impl From<DbErr> for EntryError {
    fn from(e: DbErr) -> Self {
        EntryError::Submit(SubmitError::Failed(e.into()))
    }
}

/// A stored questionnaire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entered {
    /// The dossier's receipt code (the same a citizen answering online gets).
    pub receipt: String,
    /// Why it is an invalid return (`too_many_blanks`, `not_eligible`); `None` when valid.
    pub invalid_reason: Option<&'static str>,
}

/// The dossiers of the agency `agency_id` with the given codes, by code (those found; sealed
/// codes of answered or expired dossiers are found too).
pub async fn find_dossiers(
    db: &DatabaseConnection,
    key: &TokenKey,
    agency_id: Uuid,
    codes: impl IntoIterator<Item = &str>,
) -> Result<HashMap<String, Dossier>, DbErr> {
    let keys: Vec<(Uuid, &str)> = codes.into_iter().map(|c| (agency_id, c)).collect();
    let found = dossiers::find_existing(db, &keys, |a, c| key.seal_code(a, c)).await?;
    Ok(found.into_iter().map(|((_, code), d)| (code, d)).collect())
}

/// Checks `entry` against its dossier — `found`, the dossier registered for the agency under
/// its code, if any — in the order the API answers: a dossier of the agency, of the form named,
/// a plausible day of collection, not answered yet, answers that keep the form's rules; and
/// builds the response to store.
pub fn prepare(
    checker: &Checker<'_>,
    found: Option<&Dossier>,
    entry: &NewEntry,
    now: DateTime<Utc>,
) -> Result<NewResponse, EntryError> {
    let dossier = found.ok_or(EntryError::UnknownDossier)?;
    if dossier.form_key != entry.form_key {
        return Err(EntryError::FormMismatch {
            dossier_form: dossier.form_key.clone(),
        });
    }
    if let Some(day) = entry.collected_on {
        check_collected_on(day, dossier.completed_at, now).map_err(EntryError::CollectedOn)?;
    }
    if dossier.answered {
        return Err(SubmitError::AlreadyAnswered.into());
    }
    Ok(checker.prepare(dossier, (&entry.answers, entry.mode), None)?)
}

/// Enters one questionnaire for a dossier of the agency `agency_id`: checked as [`prepare`]
/// checks it, then stored by the writer; returns after the commit.
pub async fn enter(
    cx: &Context<'_>,
    agency_id: Uuid,
    entry: &NewEntry,
    now: DateTime<Utc>,
) -> Result<Entered, EntryError> {
    let key = cx.checker.key;
    let mut found = find_dossiers(cx.db, key, agency_id, [entry.dossier_code.as_str()]).await?;
    let dossier = found.remove(&entry.dossier_code);
    let response = prepare(&cx.checker, dossier.as_ref(), entry, now)?;
    let receipt = key.receipt(response.dossier_id);
    let invalid_reason = response.invalid_reason;
    match write(cx.writer, response).await? {
        Outcome::Stored => Ok(Entered {
            receipt,
            invalid_reason,
        }),
        // Answered online (or entered by someone else) since it was read.
        Outcome::AlreadyAnswered { .. } => Err(SubmitError::AlreadyAnswered.into()),
        // The month was closed while the answer was on its way.
        Outcome::Closed => Err(SubmitError::Closed.into()),
    }
}
