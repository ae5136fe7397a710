//! `POST /api/v1/agencies/{code}/responses`: an agency keys in a questionnaire answered on paper,
//! at a kiosk or by phone, for one of its dossiers.
//!
//! The answers take the same path as a citizen's (`app::submissions::submit` with `Entry::Agency`):
//! the same checks against the dossier's form version, the same writer, the dossier answered
//! at most once. What differs: the dossier is named by its code (sealed codes of answered or
//! expired dossiers are found too), an expired link does not matter (paper comes back late), a
//! paper questionnaire with too many blanks is stored as an invalid return instead of refused,
//! and an answered dossier is always `409 already_answered` (never a retry's `200`).
//!
//! Nothing here is logged or audited with the dossier code: an entered response must not be
//! linkable to its dossier (docs/privacy.md). `collected_on` is checked, not stored.

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, post, web};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use validator::{Validate, ValidationError};

use crate::app::submissions::{Entry, Submitted, submit};
use crate::domain::auth::{Principal, Role};
use crate::domain::dossiers::{Dossier, check_code};
use crate::domain::submissions::{Mode, check_collected_on};
use crate::error::{ApiError, FieldError, ProblemCode};
use crate::http::agencies::agency_for;
use crate::http::auth::Caller;
use crate::http::extract::ValidatedJson;
use crate::persistence::dossiers;
use crate::state::AppState;

/// How an agency collected a questionnaire.
pub const ENTRY_MODES: [Mode; 3] = [Mode::Paper, Mode::Kiosk, Mode::Phone];

/// Parses an entry mode (`paper`, `kiosk` or `phone`).
pub fn entry_mode(raw: &str) -> Option<Mode> {
    ENTRY_MODES.into_iter().find(|m| m.as_str() == raw)
}

fn valid_dossier_code(raw: &str) -> Result<(), ValidationError> {
    check_code(raw)
        .map(drop)
        .map_err(|(code, message)| ValidationError::new(code).with_message(message.into()))
}

fn valid_mode(raw: &str) -> Result<(), ValidationError> {
    match entry_mode(raw) {
        Some(_) => Ok(()),
        None => Err(ValidationError::new("invalid_mode")
            .with_message("must be `paper`, `kiosk` or `phone`".into())),
    }
}

fn valid_date(raw: &str) -> Result<(), ValidationError> {
    parse_date(raw).map(drop).ok_or_else(|| {
        ValidationError::new("invalid_date").with_message("must be a date `YYYY-MM-DD`".into())
    })
}

fn parse_date(raw: &str) -> Option<NaiveDate> {
    // `%Y` alone would take "26-3-1"; insist on the documented shape.
    let shaped = raw.len() == 10 && raw.as_bytes()[4] == b'-' && raw.as_bytes()[7] == b'-';
    shaped
        .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
}

/// Body of `POST /api/v1/agencies/{code}/responses`.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEnteredResponse {
    /// The code of a dossier registered for this agency (answered or expired ones are found
    /// too, and refused or accepted as below).
    #[validate(custom(function = "valid_dossier_code"))]
    #[schema(example = "000.00.19.H26-260301-0001")]
    pub dossier_code: String,
    /// The key of the form the dossier is surveyed with; a safeguard against keying a
    /// questionnaire of one form against a dossier of another.
    #[schema(example = "sipas-2017")]
    pub form_key: String,
    /// `paper`, `kiosk` or `phone`.
    #[validate(custom(function = "valid_mode"))]
    #[schema(example = "paper")]
    pub mode: String,
    /// Answers by question id, as for `POST /api/v1/surveys/{token}/response`: an integer for a
    /// scale, an option id for single choice, an array of option ids for multiple choice, a
    /// string for text, `null` (or absent) for unanswered.
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
    /// The day the questionnaire was filled in (`YYYY-MM-DD`, Vietnam time): not after today,
    /// not before the day the dossier was completed. Checked, never stored.
    #[validate(custom(function = "valid_date"))]
    #[schema(example = "2026-03-05")]
    pub collected_on: String,
}

/// The acknowledgement of an entered questionnaire.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EnteredView {
    /// The dossier's receipt code (the same a citizen answering online gets).
    pub receipt: String,
    /// `false` for an invalid return: stored and counted in `invalid_returns`, not in indices.
    pub valid: bool,
    /// Why it is an invalid return: `too_many_blanks` or `not_eligible`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalid_reason: Option<&'static str>,
}

fn rejected(field: &str, code: ProblemCode, detail: &str, message: &str) -> ApiError {
    ApiError::Rejected {
        code,
        detail: detail.to_owned(),
        errors: vec![FieldError::new(field, code, message)],
    }
}

/// The dossier `code` of the agency `agency_code`, if the caller may enter responses for it.
async fn dossier_for(
    state: &AppState,
    caller: &Caller,
    agency_code: &str,
    body: &NewEnteredResponse,
) -> Result<Dossier, ApiError> {
    let agency = agency_for(state, caller, agency_code, Principal::may_act_for_agency).await?;
    let unknown = || {
        rejected(
            "dossier_code",
            ProblemCode::UnknownDossier,
            "No dossier with this code is registered for the agency.",
            "names no dossier of this agency",
        )
    };
    let dossier_code = check_code(&body.dossier_code).map_err(|_| unknown())?;
    let found = dossiers::find_existing(&state.db, &[(agency.id, &dossier_code)], |a, c| {
        state.token_key.seal_code(a, c)
    })
    .await?;
    found.into_values().next().ok_or_else(unknown)
}

/// Enters a questionnaire collected on paper, at a kiosk or by phone.
#[utoipa::path(
    tag = "responses",
    params(("code" = String, Path, description = "The code of the dossier's agency")),
    request_body = NewEnteredResponse,
    security(("api_key" = [])),
    responses(
        (status = 201, body = EnteredView, description = "Stored; `valid: false` for an invalid return (a paper questionnaire with more than the allowed share of satisfaction items blank, or an ineligible respondent)"),
        (status = 401, description = "no valid key (`unauthorized`)"),
        (status = 403, description = "the agency is outside the key's subtree, whether or not it exists, or a pipeline key (`forbidden`)"),
        (status = 404, description = "no such agency (`agency_not_found`; admin keys)"),
        (status = 409, description = "a response is already stored for the dossier, entered or online (`already_answered`)"),
        (status = 422, description = "invalid fields (`validation_failed`, `unknown_field`); `unknown_dossier`; `form_mismatch`; `collected_in_future`; `collected_before_completion`; invalid answers (`invalid_answers`, one `errors` entry per question; kiosk and phone also refuse a questionnaire without any satisfaction answer)"),
    )
)]
#[post("/agencies/{code}/responses")]
pub async fn enter_response(
    caller: Caller,
    code: web::Path<String>,
    body: ValidatedJson<NewEnteredResponse>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if caller.role == Role::Pipeline {
        // The pipeline reads scores; it enters nothing.
        return Err(ApiError::Forbidden);
    }
    let body = body.into_inner();
    let now = Utc::now();
    let (Some(mode), Some(collected_on)) = (entry_mode(&body.mode), parse_date(&body.collected_on))
    else {
        return Err(ApiError::Unexpected(anyhow::anyhow!(
            "a validated body does not parse"
        )));
    };
    let dossier = dossier_for(&state, &caller, &code, &body).await?;
    if dossier.form_key != body.form_key {
        return Err(rejected(
            "form_key",
            ProblemCode::FormMismatch,
            &format!(
                "The dossier is surveyed with the form `{}`, not `{}`.",
                dossier.form_key, body.form_key
            ),
            "is not the form of the dossier",
        ));
    }
    if let Err(problem) = check_collected_on(collected_on, dossier.completed_at, now) {
        return Err(rejected(
            "collected_on",
            problem.code(),
            &format!("`collected_on` {}.", problem.message()),
            problem.message(),
        ));
    }
    let submitted = submit(
        (&state.checker(), &state.responses),
        &dossier,
        (&body.answers, None),
        Entry::Agency(mode),
        now,
    )
    .await
    .map_err(|e| e.into_problem("en"))?;
    let invalid_reason = match &submitted {
        Submitted::Stored { invalid_reason, .. } => *invalid_reason,
        // `submit` answers an agency's repeat with a conflict, never as a retry.
        Submitted::Repeated { .. } => {
            return Err(ApiError::Unexpected(anyhow::anyhow!(
                "an agency entry was answered as a retry"
            )));
        }
    };
    Ok(HttpResponse::Created()
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(EnteredView {
            receipt: submitted.receipt().to_owned(),
            valid: invalid_reason.is_none(),
            invalid_reason,
        }))
}
