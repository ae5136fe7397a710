//! A response ready to store: the one value every answer becomes — from the citizen's link, an
//! agency's paper entry, an import file or the demo loader — before the writer
//! (`persistence::responses`) stores it. Built in one place ([`NewResponse::for_dossier`]) so
//! that what a stored response holds (docs/privacy.md) is decided once.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::aggregates::{Contribution, ScoreShape};
use crate::domain::dossiers::Dossier;
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
    /// The layout of the form version's score buckets.
    pub score: Arc<ScoreShape>,
    /// What the response adds to its score bucket (`persistence::aggregates`).
    pub contribution: Contribution,
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
            score: score.clone(),
        })
    }
}
