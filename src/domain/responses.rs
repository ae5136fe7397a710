//! A response ready to store: the one value every answer becomes — from the citizen's link, an
//! agency's paper entry, an import file or the demo loader — before the writer
//! (`persistence::responses`) stores it. Built in one place ([`NewResponse::for_dossier`]) so
//! that what a stored response holds (docs/privacy.md) is decided once. And a stored response as
//! the anonymous-answer export reads it back ([`ExportRow`]), and the random order responses are
//! stored and exported in ([`shuffle`]).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::aggregates::{Contribution, ScoreShape};
use crate::domain::dossiers::Dossier;
use crate::domain::integrity::Signals;
use crate::domain::submissions::{InvalidReason, Mode, ValidSubmission};
use crate::domain::tokens::TokenKey;

/// A validated response for a dossier.
#[derive(Debug, Clone)]
pub struct NewResponse {
    pub dossier_id: Uuid,
    /// What replaces the dossier code once answered (`TokenKey::seal_code`).
    pub sealed_code: String,
    /// Keyed digest of the answers and the client's submission key, kept on the dossier while
    /// its link is valid; `None` without a submission key (then no retry is recognised).
    pub digest: Option<String>,
    /// For an answer through the link: the instant its link must still be valid at when the
    /// dossier is claimed (`dossiers::Claim::link_valid_at`); `None` for an agency's entry.
    pub link_valid_at: Option<DateTime<Utc>>,
    pub agency_id: Uuid,
    pub form_key: String,
    pub form_version: i32,
    /// `YYYY-MM` of the dossier's completion.
    pub period_month: String,
    pub channel: String,
    pub mode: &'static str,
    pub procedure_field: Option<String>,
    /// `None` when valid; the reason of an invalid return otherwise.
    pub invalid_reason: Option<&'static str>,
    /// The normalised answers as JSON text.
    pub answers: String,
    /// The layout of the form version's counts (roll-ups).
    pub score: Arc<ScoreShape>,
    /// What the response adds to its roll-ups (`persistence::aggregates`).
    pub contribution: Contribution,
    /// What it adds to its agency's integrity counts (`domain::integrity`); never stored as
    /// such. The pattern is set here, what only a link shows by `app::submissions::submit`.
    pub signals: Signals,
}

impl NewResponse {
    /// The row to store for `dossier` answered with `valid` in `mode` — the one place a response
    /// is built, whichever way it came in. It carries the dossier's month, never its code or
    /// id; the sealed code and the keyed digest of the canonical answers and the client's
    /// `submission_key` go to the dossier row.
    pub fn for_dossier(
        dossier: &Dossier,
        (valid, mode): (&ValidSubmission, Mode),
        key: &TokenKey,
        submission_key: Option<&str>,
        score: &Arc<ScoreShape>,
    ) -> Result<Self, serde_json::Error> {
        // `answers` is a BTreeMap: the serialisation is canonical (keys sorted, no white space).
        let answers = serde_json::to_string(&valid.answers)?;
        Ok(Self {
            dossier_id: dossier.id,
            sealed_code: key.seal_code(dossier.agency_id, &dossier.dossier_code),
            digest: submission_key.map(|k| key.answers_digest(dossier.id, k, answers.as_bytes())),
            link_valid_at: None,
            agency_id: dossier.agency_id,
            form_key: dossier.form_key.clone(),
            form_version: i32::try_from(dossier.form_version).unwrap_or(i32::MAX),
            period_month: dossier.period_month(),
            channel: dossier.channel.as_str().to_owned(),
            mode: mode.as_str(),
            procedure_field: dossier.procedure_field.clone(),
            invalid_reason: valid.invalid.map(InvalidReason::as_str),
            answers,
            contribution: score.contribution(&valid.answers, valid.invalid.is_none()),
            signals: if valid.invalid.is_none() {
                Signals::of_answers(score, &valid.answers)
            } else {
                Signals::default()
            },
            score: score.clone(),
        })
    }
}

/// One stored response as the export reads it: every column of the row except those the
/// caller already knows (agency, form key and version). Nothing else exists to read: the row
/// has no dossier, token, contact or time finer than the month (docs/privacy.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    /// The response's random id (v4): carries no order and no link to its dossier.
    pub id: Uuid,
    /// `YYYY-MM` of the dossier's completion.
    pub period_month: String,
    pub channel: String,
    pub mode: String,
    pub procedure_field: Option<String>,
    pub valid: bool,
    pub invalid_reason: Option<String>,
    /// The normalised answers (a JSON object, unanswered questions absent).
    pub answers: String,
}

/// Random order: storage order must not reveal submission order (docs/privacy.md), nor the order
/// of an import file. Each item gets one random key, drawn once, so the sort sees a consistent
/// order.
pub fn shuffle<T>(items: &mut Vec<T>) {
    let mut keyed: Vec<(u128, T)> = items
        .drain(..)
        .map(|item| (Uuid::new_v4().as_u128(), item))
        .collect();
    keyed.sort_unstable_by_key(|(key, _)| *key);
    items.extend(keyed.into_iter().map(|(_, item)| item));
}
