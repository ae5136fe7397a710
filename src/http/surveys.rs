//! `/api/v1/surveys/{token}`: what a citizen's browser or kiosk needs to show the survey of one
//! dossier. The token is the credential, so no key is needed; unknown tokens are rate limited
//! per client address (see `app::ratelimit`; a valid token is never refused), and the token
//! never reaches a log (request spans record the route template only).

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::app::submissions::form_of;
use crate::domain::tokens::TokenHash;
use crate::error::{ApiError, ProblemCode};
use crate::http::agencies::AgencyNames;
use crate::http::client_addr::client_key;
use crate::persistence::dossiers::SurveyDossier;
use crate::state::AppState;

/// The agency whose service is being rated.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SurveyAgency {
    pub code: String,
    pub name: AgencyNames,
}

/// A survey to answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SurveyView {
    /// The full form, as `GET /api/v1/forms/{key}/versions/{version}` returns it.
    #[schema(value_type = Object)]
    pub form: serde_json::Value,
    pub agency: SurveyAgency,
    /// The procedure's field (lĩnh vực), when registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub procedure_field: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// The language the survey is offered in first (`vi` or `en`).
    pub language: String,
}

fn not_found() -> ApiError {
    ApiError::not_found(
        ProblemCode::SurveyNotFound,
        "There is no survey with this link.",
    )
}

/// 410 `survey_closed`: the link has expired, or (for the survey page) the survey is answered.
pub fn closed() -> ApiError {
    ApiError::Gone {
        code: ProblemCode::SurveyClosed,
        detail: "This survey has expired or has already been answered.".into(),
    }
}

/// The dossier whose token is `token`, with its agency. The token is looked up first, so a
/// valid one is always found; an unknown one counts against the client's allowance of misses
/// (`app::ratelimit`) and is 404 `survey_not_found`, or 429 once the allowance is spent.
pub async fn find_survey(
    req: &HttpRequest,
    state: &AppState,
    token: &str,
) -> Result<SurveyDossier, ApiError> {
    let found = match TokenHash::of_presented(token) {
        Some(hash) => state.tokens.find(&hash).await?,
        None => None,
    };
    if let Some(found) = found {
        return Ok(found);
    }
    if let Some(client) = client_key(req, &state.settings.server) {
        state
            .survey_limiter
            .record_miss(client)
            .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })?;
    }
    Err(not_found())
}

/// The survey of a token.
#[utoipa::path(
    tag = "surveys",
    params(("token" = String, Path, description = "The survey token from the link")),
    responses(
        (status = 200, body = SurveyView),
        (status = 404, description = "unknown token (`survey_not_found`)"),
        (status = 410, description = "expired or already answered (`survey_closed`)"),
        (status = 429, description = "too many unknown tokens from this address (`rate_limited`, with `Retry-After`)"),
    )
)]
#[get("/surveys/{token}")]
pub async fn get_survey(
    req: HttpRequest,
    token: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let found = find_survey(&req, &state, &token).await?;
    let dossier = found.dossier;
    if !dossier.is_open(Utc::now()) {
        return Err(closed());
    }
    let form = form_of(&state.forms, &dossier)?;
    let form: serde_json::Value = serde_json::from_str(&form.json)
        .map_err(|e| ApiError::Unexpected(anyhow::Error::new(e)))?;
    let view = SurveyView {
        form,
        agency: SurveyAgency {
            code: found.agency_code,
            name: AgencyNames {
                vi: found.agency_name_vi,
                en: found.agency_name_en,
            },
        },
        procedure_field: dossier.procedure_field,
        expires_at: dossier.expires_at,
        language: dossier.language,
    };
    Ok(HttpResponse::Ok()
        // Fetched with a credential in the URL: no shared cache may keep it.
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(view))
}
