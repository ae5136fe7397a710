//! Storing a questionnaire for a dossier — the one path every response takes, whether it comes
//! from the citizen's link as JSON (`POST /api/v1/surveys/{token}/response`, here), from the
//! citizen page (`POST /s/{token}`), from an agency keying in paper, kiosk or phone answers
//! (`http::entry`), or from a file of them (`sipas responses import`, through [`prepare`]).
//!
//! [`submit`] checks the answers against the exact form version of the dossier
//! (`ValidSubmission::parse`), then hands the response to the group-committing writer
//! (`persistence::responses`) and returns only after the commit. Exactly-once is the writer's
//! conditional update of the dossier's `answered` flag; retries are recognised by a keyed digest
//! of the canonical answers, so an identical retry gets the same receipt and a different second
//! answer a conflict.

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use validator::Validate;

use crate::domain::dossiers::Dossier;
use std::sync::Arc;

use crate::domain::forms::{PublishedForm, PublishedForms};
use crate::domain::submissions::{AnswerError, Mode, ValidSubmission, ValidityRules};
use crate::domain::tokens::TokenKey;
use crate::error::{ApiError, FieldError};
use crate::http::extract::ValidatedJson;
use crate::http::surveys::find_survey;
use crate::persistence::responses::{NewResponse, Outcome};
use crate::state::AppState;

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

impl SubmitError {
    /// The API problem, with messages in `lang`.
    pub fn into_problem(self, lang: &str) -> ApiError {
        match self {
            SubmitError::Invalid(errors) => ApiError::Rejected {
                code: "invalid_answers",
                detail: if lang == "en" {
                    "Some answers are not valid for this form; see `errors`.".into()
                } else {
                    "Một số câu trả lời không hợp lệ với phiếu này; xem `errors`.".into()
                },
                errors: errors
                    .into_iter()
                    .map(|e| FieldError {
                        field: e.question.clone(),
                        code: e.code.into(),
                        message: e.message(lang).to_owned(),
                    })
                    .collect(),
            },
            SubmitError::AlreadyAnswered => ApiError::Conflict {
                code: "already_answered",
                detail: "A different response was already stored for this survey.".into(),
            },
            SubmitError::Closed => closed(),
            SubmitError::Failed(e) => e,
        }
    }
}

impl From<ApiError> for SubmitError {
    fn from(e: ApiError) -> Self {
        SubmitError::Failed(e)
    }
}

pub fn closed() -> ApiError {
    ApiError::Gone {
        code: "survey_closed",
        detail: "This survey has expired or has already been answered.".into(),
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

/// Checks `answers` against the exact form version of `dossier` (`ValidSubmission::parse`) and
/// builds the response to store (`NewResponse::for_dossier`): the part of [`submit`] that needs
/// neither a server nor the writer, shared with `sipas responses import`. `submission_key` is
/// the citizen's client's secret for this attempt (answers through the link only).
pub fn prepare(
    forms: &PublishedForms,
    rules: ValidityRules,
    key: &TokenKey,
    dossier: &Dossier,
    (answers, mode): (&Map<String, Value>, Mode),
    submission_key: Option<&str>,
) -> Result<NewResponse, SubmitError> {
    let form = form_of(forms, dossier)?;
    let valid = ValidSubmission::parse(&form.definition, answers, mode, rules)
        .map_err(SubmitError::Invalid)?;
    NewResponse::for_dossier(dossier, (&valid, mode), key, submission_key, &form.score)
        .map_err(|e| ApiError::Unexpected(anyhow::Error::new(e)).into())
}

/// Validates `answers` against the dossier's form and stores them exactly once. Once a
/// response is stored, only the same `submission_key` with the same answers through the link is
/// a retry (the same receipt); anything else is `AlreadyAnswered`, whatever the answers, so
/// holding the link does not let anyone test a guess at what was answered.
pub async fn submit(
    state: &AppState,
    dossier: &Dossier,
    (answers, submission_key): (&Map<String, Value>, Option<&str>),
    entry: Entry,
    now: DateTime<Utc>,
) -> Result<Submitted, SubmitError> {
    let receipt = state.token_key.receipt(dossier.id);
    let expired = matches!(entry, Entry::Link(_)) && now >= dossier.expires_at;
    if expired {
        return Err(SubmitError::Closed);
    }
    let prepared = match prepare(
        &state.forms,
        state.settings.responses.validity_rules(),
        &state.token_key,
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
    if matches!(entry, Entry::Link(_)) {
        response.link_valid_at = Some(now);
    }
    let digest = response.digest.clone();
    let invalid_reason = response.invalid_reason;
    let outcome = state
        .responses
        .submit(response)
        .await
        .map_err(|e| ApiError::Unexpected(anyhow::Error::new(e)))?;
    match outcome {
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

/// The dossier is answered: the same answers with the same submission key again through the
/// link are a retry, anything else a conflict (no key, no digest: never a retry). An agency never gets the retry answer: a 200 for answers identical to what
/// is stored would let an officer test guesses at what the citizen answered online.
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

/// How a citizen's device answers.
#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeviceMode {
    /// The citizen's own phone or computer (the default).
    #[default]
    Web,
    /// A kiosk at the one-stop desk.
    Kiosk,
}

/// The language of error messages.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageLanguage {
    Vi,
    En,
}

/// A citizen's answers.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubmission {
    /// Answers by question id: an integer for a scale, an option id for single choice, an array
    /// of option ids for multiple choice, a string for text, `null` (or absent) for unanswered.
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
    /// Language of error messages; default: the dossier's language.
    pub language: Option<MessageLanguage>,
    /// `web` (default) or `kiosk`.
    #[serde(default)]
    pub mode: DeviceMode,
    /// A random string (16–64 base64url characters) the client makes once per attempt and
    /// sends again when it retries that attempt: only the same key with the same answers gets
    /// the receipt again (200). Without it, a stored response cannot be retried.
    #[validate(custom(function = "valid_submission_key"))]
    #[schema(min_length = 16, max_length = 64, pattern = "^[A-Za-z0-9_-]{16,64}$")]
    pub submission_key: Option<String>,
}

fn valid_submission_key(raw: &str) -> Result<(), validator::ValidationError> {
    if crate::domain::submissions::is_submission_key(raw) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("invalid_submission_key")
            .with_message("must be 16 to 64 characters of A–Z, a–z, 0–9, `-` and `_`".into()))
    }
}

/// The acknowledgement of a stored response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReceiptView {
    /// A code the citizen can keep as proof of answering. It identifies nothing stored.
    pub receipt: String,
}

/// Answers the survey of a token.
#[utoipa::path(
    tag = "surveys",
    params(("token" = String, Path, description = "The survey token from the link")),
    request_body = NewSubmission,
    responses(
        (status = 201, body = ReceiptView, description = "stored"),
        (status = 200, body = ReceiptView, description = "the identical answers were stored before"),
        (status = 404, description = "unknown token (`survey_not_found`)"),
        (status = 409, description = "a response was stored before, and this is not a retry of it with the same `submission_key` and answers (`already_answered`)"),
        (status = 410, description = "the link has expired (`survey_closed`)"),
        (status = 422, description = "invalid answers (`invalid_answers`, one `errors` entry per question)"),
        (status = 429, description = "too many unknown tokens from this address (`rate_limited`)"),
    )
)]
#[post("/surveys/{token}/response")]
pub async fn post_response(
    req: HttpRequest,
    token: web::Path<String>,
    state: web::Data<AppState>,
    body: ValidatedJson<NewSubmission>,
) -> Result<HttpResponse, ApiError> {
    let found = find_survey(&req, &state, &token).await?;
    let body = body.into_inner();
    let lang = match body.language {
        Some(MessageLanguage::En) => "en",
        Some(MessageLanguage::Vi) => "vi",
        None => found.dossier.language.as_str(),
    };
    let mode = match body.mode {
        DeviceMode::Web => Mode::Web,
        DeviceMode::Kiosk => Mode::Kiosk,
    };
    let submitted = submit(
        &state,
        &found.dossier,
        (&body.answers, body.submission_key.as_deref()),
        Entry::Link(mode),
        Utc::now(),
    )
    .await
    .map_err(|e| e.into_problem(lang))?;
    let mut response = match submitted {
        Submitted::Stored { .. } => HttpResponse::Created(),
        Submitted::Repeated { .. } => HttpResponse::Ok(),
    };
    Ok(response
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(ReceiptView {
            receipt: submitted.receipt().to_owned(),
        }))
}
