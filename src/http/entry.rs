//! `POST /api/v1/agencies/{code}/responses`: an agency keys in a questionnaire answered on paper,
//! at a kiosk or by phone, for one of its dossiers.
//!
//! The handler parses the body into an `app::entry::NewEntry` (every field at fault named at
//! once), finds the agency the key may act for, and calls the use case `app::entry::enter`, which
//! takes the path a citizen's answer takes (the same checks against the dossier's form version,
//! the same writer, the dossier answered at most once); what differs from a citizen's link is
//! said there. An answered dossier is always `409 already_answered` (never a retry's `200`).
//!
//! Nothing here is logged or audited with the dossier code: an entered response must not be
//! linkable to its dossier (docs/privacy.md). `collected_on` is checked, not stored.

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, post, web};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::app::entry::{self, Entered, EntryError, NewEntry, entry_mode};
use crate::domain::auth::{Principal, Role};
use crate::domain::dossiers::check_code;
use crate::domain::lang::Lang;
use crate::error::{ApiError, FieldError, ProblemCode};
use crate::http::agencies::agency_for;
use crate::http::auth::Caller;
use crate::http::extract::{FieldErrors, ParsedJson};
use crate::state::AppState;

/// A day `YYYY-MM-DD`.
fn parse_date(raw: &str) -> Option<NaiveDate> {
    // `%Y` alone would take "26-3-1"; insist on the documented shape.
    let shaped = raw.len() == 10 && raw.as_bytes()[4] == b'-' && raw.as_bytes()[7] == b'-';
    shaped
        .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
}

/// Body of `POST /api/v1/agencies/{code}/responses`, parsed into an `app::entry::NewEntry`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEnteredResponse {
    /// The code of a dossier registered for this agency (answered or expired ones are found
    /// too, and refused or accepted as below).
    #[schema(example = "000.00.19.H26-260301-0001")]
    pub dossier_code: String,
    /// The key of the form the dossier is surveyed with; a safeguard against keying a
    /// questionnaire of one form against a dossier of another.
    #[schema(example = "sipas-2017")]
    pub form_key: String,
    /// `paper`, `kiosk` or `phone`.
    #[schema(example = "paper")]
    pub mode: String,
    /// Answers by question id, as for `POST /api/v1/surveys/{token}/response`: an integer for a
    /// scale, an option id for single choice, an array of option ids for multiple choice, a
    /// string for text, `null` (or absent) for unanswered.
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
    /// The day the questionnaire was filled in (`YYYY-MM-DD`, Vietnam time): not after today,
    /// not before the day the dossier was completed. Checked, never stored.
    #[schema(example = "2026-03-05")]
    pub collected_on: String,
}

impl TryFrom<NewEnteredResponse> for NewEntry {
    type Error = FieldErrors;

    /// Every field parsed; every field at fault named.
    fn try_from(body: NewEnteredResponse) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let code = errors.take("dossier_code", check_code(&body.dossier_code));
        let mode = entry_mode(&body.mode)
            .ok_or(("invalid_mode", "must be `paper`, `kiosk` or `phone`".into()));
        let mode = errors.take("mode", mode);
        let day = parse_date(&body.collected_on)
            .ok_or(("invalid_date", "must be a date `YYYY-MM-DD`".into()));
        let day = errors.take("collected_on", day);
        match (code, mode, day) {
            (Some(dossier_code), Some(mode), Some(day)) => Ok(NewEntry {
                dossier_code,
                form_key: body.form_key,
                mode,
                answers: body.answers,
                collected_on: Some(day),
            }),
            _ => Err(errors),
        }
    }
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

impl From<Entered> for EnteredView {
    fn from(e: Entered) -> Self {
        Self {
            receipt: e.receipt,
            valid: e.invalid_reason.is_none(),
            invalid_reason: e.invalid_reason,
        }
    }
}

fn rejected(field: &str, code: ProblemCode, detail: &str, message: &str) -> ApiError {
    ApiError::Rejected {
        code,
        detail: detail.to_owned(),
        errors: vec![FieldError::new(field, code, message)],
    }
}

/// The problem of a refused entry (`form_key` is the one the body named).
fn problem(e: EntryError, form_key: &str) -> ApiError {
    match e {
        EntryError::UnknownDossier => rejected(
            "dossier_code",
            ProblemCode::UnknownDossier,
            "No dossier with this code is registered for the agency.",
            "names no dossier of this agency",
        ),
        EntryError::FormMismatch { dossier_form } => rejected(
            "form_key",
            ProblemCode::FormMismatch,
            &format!("The dossier is surveyed with the form `{dossier_form}`, not `{form_key}`."),
            "is not the form of the dossier",
        ),
        EntryError::CollectedOn(problem) => rejected(
            "collected_on",
            problem.code(),
            &format!("`collected_on` {}.", problem.message()),
            problem.message(),
        ),
        EntryError::Submit(e) => e.into_problem(Lang::En),
    }
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
    body: ParsedJson<NewEnteredResponse, NewEntry>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if caller.role == Role::Pipeline {
        // The pipeline reads scores; it enters nothing.
        return Err(ApiError::Forbidden);
    }
    let new = body.into_inner();
    let agency = agency_for(&state, &caller, &code, Principal::may_act_for_agency).await?;
    let cx = entry::Context {
        db: &state.db,
        checker: state.checker(),
        writer: &state.responses,
    };
    let entered = entry::enter(&cx, agency.id, &new, Utc::now())
        .await
        .map_err(|e| problem(e, &new.form_key))?;
    Ok(HttpResponse::Created()
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(EnteredView::from(entered)))
}
