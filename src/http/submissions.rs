//! `POST /api/v1/surveys/{token}/response`: a citizen's answers as JSON, stored by the use
//! case `app::submissions::submit`; its refusals rendered as problems here.

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use validator::Validate;

use crate::app::submissions::{Arrival, Entry, SubmitError, Submitted, submit};
use crate::domain::lang::Lang;
use crate::domain::submissions::Mode;
use crate::error::{ApiError, FieldError, ProblemCode};
use crate::http::client_addr::client_address;
use crate::http::extract::ValidatedJson;
use crate::http::surveys::{closed, find_survey};
use crate::state::AppState;

impl SubmitError {
    /// The API problem, with messages in `lang`.
    pub fn into_problem(self, lang: Lang) -> ApiError {
        match self {
            SubmitError::Invalid(errors) => ApiError::Rejected {
                code: ProblemCode::InvalidAnswers,
                detail: if lang == Lang::En {
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
                code: ProblemCode::AlreadyAnswered,
                detail: "A different response was already stored for this survey.".into(),
            },
            SubmitError::Closed => closed(),
            SubmitError::Failed(e) => e,
        }
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

/// A citizen's answers.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubmission {
    /// Answers by question id: an integer for a scale, an option id for single choice, an array
    /// of option ids for multiple choice, a string for text, `null` (or absent) for unanswered.
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
    /// Language of error messages; default: the dossier's language.
    pub language: Option<Lang>,
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
    let lang = body
        .language
        .unwrap_or_else(|| Lang::from_code(&found.dossier.language).unwrap_or_default());
    let mode = match body.mode {
        DeviceMode::Web => Mode::Web,
        DeviceMode::Kiosk => Mode::Kiosk,
    };
    let arrival = Arrival {
        monitor: &state.integrity,
        client: client_address(&req, &state.settings.server),
    };
    let submitted = submit(
        (&state.checker(), &state.responses),
        &found.dossier,
        (&body.answers, body.submission_key.as_deref()),
        (Entry::Link(mode), Some(arrival)),
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
