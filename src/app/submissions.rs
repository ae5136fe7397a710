//! Storing a questionnaire for a dossier — the one path every answer takes, whether it comes
//! from the citizen's link (`POST /api/v1/surveys/{token}/response`, the citizen page
//! `POST /s/{token}`), from an agency keying in paper, kiosk or phone answers or a file of them
//! (`app::entry`), or from the demo loader (through [`Checker::prepare`]).
//!
//! [`submit`] checks the answers against the exact form version of the dossier
//! (`ValidSubmission::parse`), then hands the response to the group-committing writer
//! (`persistence::responses`) and returns only after the commit. Exactly-once is the writer's
//! conditional update of the dossier's `answered` flag. A retry is recognised by a keyed digest
//! of the answers **and the client's submission key**, never by the answers alone: holding the
//! link (as the agency does) does not let anyone test a guess at what was answered.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::app::integrity::Monitor;
use crate::domain::dossiers::Dossier;
use crate::domain::forms::{PublishedForm, PublishedForms};
use crate::domain::responses::NewResponse;
use crate::domain::submissions::{AnswerError, Mode, ValidSubmission, ValidityRules};
use crate::domain::tokens::TokenKey;
use crate::error::ApiError;
use crate::persistence::responses::{Outcome, ResponseWriter, WriteFailed};

/// A response was stored, now or by an earlier identical request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    /// Stored by this request; an invalid return (paper) names its reason.
    Stored {
        receipt: String,
        invalid_reason: Option<&'static str>,
    },
    /// The same answers were stored before (a retry).
    Repeated { receipt: String },
}

impl Submitted {
    pub fn receipt(&self) -> &str {
        match self {
            Submitted::Stored { receipt, .. } | Submitted::Repeated { receipt } => receipt,
        }
    }
}

/// Why a questionnaire was not stored.
#[derive(Debug)]
pub enum SubmitError {
    /// The answers break the form's rules; one entry per question.
    Invalid(Vec<AnswerError>),
    /// Another response is stored for the dossier.
    AlreadyAnswered,
    /// The survey link has expired.
    Closed,
    /// The database or the writer failed.
    Failed(ApiError),
}

impl From<ApiError> for SubmitError {
    fn from(e: ApiError) -> Self {
        SubmitError::Failed(e)
    }
}

/// Where a questionnaire came from: the citizen's own link (which expires), or an agency
/// keying it in (paper returned late is still accepted while the dossier is unanswered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Link(Mode),
    Agency(Mode),
}

impl Entry {
    pub fn mode(self) -> Mode {
        match self {
            Entry::Link(m) | Entry::Agency(m) => m,
        }
    }
}

/// The exact form version a dossier is surveyed with. Every stored version is loaded at start,
/// so a missing one is a fault of the server.
pub fn form_of<'a>(
    forms: &'a PublishedForms,
    dossier: &Dossier,
) -> Result<&'a Arc<PublishedForm>, ApiError> {
    forms
        .version(&dossier.form_key, dossier.form_version)
        .ok_or_else(|| {
            ApiError::Unexpected(anyhow::anyhow!(
                "dossier {} names form {} v{}, which is not loaded",
                dossier.id,
                dossier.form_key,
                dossier.form_version
            ))
        })
}

/// What checking answers needs: the published forms, the validity rules and the server's key.
#[derive(Clone, Copy)]
pub struct Checker<'a> {
    pub forms: &'a PublishedForms,
    pub rules: ValidityRules,
    pub key: &'a TokenKey,
}

impl Checker<'_> {
    /// Checks `answers` against the exact form version of `dossier` (`ValidSubmission::parse`)
    /// and builds the response to store (`NewResponse::for_dossier`): the part of [`submit`]
    /// that needs no writer, shared with `sipas responses import` and the demo loader.
    /// `submission_key` is the citizen's client's secret for this attempt (link answers only).
    pub fn prepare(
        &self,
        dossier: &Dossier,
        (answers, mode): (&Map<String, Value>, Mode),
        submission_key: Option<&str>,
    ) -> Result<NewResponse, SubmitError> {
        let form = form_of(self.forms, dossier)?;
        let valid = ValidSubmission::parse(&form.definition, answers, mode, self.rules)
            .map_err(SubmitError::Invalid)?;
        NewResponse::for_dossier(
            dossier,
            (&valid, mode),
            self.key,
            submission_key,
            &form.score,
        )
        .map_err(|e| ApiError::Unexpected(anyhow::Error::new(e)).into())
    }
}

/// Where an answer through a link came from, for the integrity counts: the client's address
/// (what `server.trusted_proxies` yields) and the process's [`Monitor`].
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    pub monitor: &'a Monitor,
    pub client: Option<IpAddr>,
}

/// Validates `answers` against the dossier's form and stores them exactly once. Once a
/// response is stored, only the same `submission_key` with the same answers through the link is
/// a retry (the same receipt); anything else is `AlreadyAnswered`, whatever the answers, so
/// holding the link does not let anyone test a guess at what was answered.
pub async fn submit(
    (checker, writer): (&Checker<'_>, &ResponseWriter),
    dossier: &Dossier,
    (answers, submission_key): (&Map<String, Value>, Option<&str>),
    (entry, arrival): (Entry, Option<Arrival<'_>>),
    now: DateTime<Utc>,
) -> Result<Submitted, SubmitError> {
    let receipt = checker.key.receipt(dossier.id);
    let expired = matches!(entry, Entry::Link(_)) && now >= dossier.expires_at;
    if expired {
        return Err(SubmitError::Closed);
    }
    let prepared = match checker.prepare(
        dossier,
        (answers, entry.mode()),
        submission_key.filter(|_| matches!(entry, Entry::Link(_))),
    ) {
        Ok(response) => Ok(response),
        Err(SubmitError::Invalid(errors)) => Err(errors),
        Err(other) => return Err(other),
    };
    if dossier.answered {
        let digest = prepared.as_ref().ok().and_then(|r| r.digest.as_deref());
        return repeated(entry, dossier.answer_digest.as_deref(), digest, receipt);
    }
    let mut response = prepared.map_err(SubmitError::Invalid)?;
    if let Entry::Link(mode) = entry {
        response.link_valid_at = Some(now);
        if let Some(a) = arrival {
            a.monitor
                .arrived(&mut response.signals, (dossier, mode), a.client, now);
        }
    }
    let digest = response.digest.clone();
    let invalid_reason = response.invalid_reason;
    match write(writer, response).await? {
        Outcome::Stored => Ok(Submitted::Stored {
            receipt,
            invalid_reason,
        }),
        // Another request for the same dossier was committed first.
        Outcome::AlreadyAnswered { digest: stored } => {
            repeated(entry, stored.as_deref(), digest.as_deref(), receipt)
        }
        // The month was closed while the answer was on its way.
        Outcome::Closed => Err(SubmitError::Closed),
    }
}

/// Hands a checked response to the group-committing writer and returns its outcome after the
/// commit.
pub async fn write(writer: &ResponseWriter, response: NewResponse) -> Result<Outcome, SubmitError> {
    writer.submit(response).await.map_err(|e| {
        SubmitError::Failed(match e {
            WriteFailed::Failed(_) => ApiError::Unexpected(anyhow::Error::new(e)),
            // Not the citizen's fault and not a bug: the writer is gone (the process is about to
            // be restarted) or behind. The same answers with the same key are safe to send again.
            WriteFailed::Stopped | WriteFailed::TimedOut => ApiError::Unavailable(
                "The answer could not be stored right now; please send it again in a moment."
                    .into(),
            ),
        })
    })
}

/// The dossier is answered: the same answers with the same submission key again through the
/// link are a retry, anything else a conflict (no key, no digest: never a retry). An agency never
/// gets the retry answer: a 200 for answers identical to what is stored would let an officer
/// test guesses at what the citizen answered online.
fn repeated(
    entry: Entry,
    stored: Option<&str>,
    submitted: Option<&str>,
    receipt: String,
) -> Result<Submitted, SubmitError> {
    match (entry, stored, submitted) {
        (Entry::Link(_), Some(a), Some(b)) if a == b => Ok(Submitted::Repeated { receipt }),
        _ => Err(SubmitError::AlreadyAnswered),
    }
}
