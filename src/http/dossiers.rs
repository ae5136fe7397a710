//! `/api/v1/dossiers`: registering completed dossiers (one, or a batch of up to
//! `dossiers.batch_max`) and the QR code of a dossier's survey link.
//!
//! Both registration endpoints parse their body and hand the items to one use case,
//! `app::dossiers::register` (built for batches of 10,000; one bad item never rejects the
//! others), then render each outcome.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

use crate::app::dossiers::{self as registration, Outcome, Registered};
use crate::domain::auth::Role;
use crate::domain::dossiers::RawDossier;
use crate::domain::tokens::SurveyToken;
use crate::error::{ApiError, FieldError, ProblemCode, serde_error};
use crate::http::auth::Caller;
use crate::http::extract::ValidatedJson;
use crate::persistence::dossiers as store;
use crate::state::AppState;

/// The contact for the invitation.
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Where the invitation is sent; erased once no longer needed, never logged.
    #[serde(default)]
    pub email: Option<String>,
    /// A Vietnamese mobile number (`0…` or `+84…`) the invitation is sent to by SMS instead of
    /// e-mail; normalised to `+84…`, erased once no longer needed, never logged.
    #[serde(default)]
    pub phone: Option<String>,
}

/// Body of `POST /api/v1/dossiers` (and each item of a batch).
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDossier {
    /// The dossier's code in the one-stop-shop system (1–128 characters, no control
    /// characters); unique per agency.
    #[schema(example = "000.00.19.H26-260301-0001")]
    pub dossier_code: String,
    /// The agency that handled the dossier.
    #[schema(example = "SNV.HG")]
    pub agency_code: String,
    /// When the dossier was completed (RFC 3339 with offset); not in the future.
    #[schema(example = "2026-03-01T09:30:00+07:00")]
    pub completed_at: String,
    /// `in_person`, `online` or `postal`.
    #[schema(example = "in_person")]
    pub channel: String,
    /// The form to survey with; default: the agency's default form.
    #[serde(default)]
    pub form_key: Option<String>,
    #[serde(default)]
    pub procedure_code: Option<String>,
    /// The procedure's field (lĩnh vực).
    #[serde(default)]
    pub procedure_field: Option<String>,
    #[serde(default)]
    #[validate(nested)]
    pub contact: Option<Contact>,
    /// `vi` (default) or `en`.
    #[serde(default)]
    pub language: Option<String>,
}

impl From<NewDossier> for RawDossier {
    fn from(d: NewDossier) -> Self {
        RawDossier {
            dossier_code: d.dossier_code,
            agency_code: d.agency_code,
            completed_at: d.completed_at,
            channel: d.channel,
            form_key: d.form_key,
            procedure_code: d.procedure_code,
            procedure_field: d.procedure_field,
            email: d.contact.as_ref().and_then(|c| c.email.clone()),
            phone: d.contact.and_then(|c| c.phone),
            language: d.language,
        }
    }
}

/// Body of `POST /api/v1/dossiers/batch`. Items are parsed one by one, so one malformed item
/// fails alone.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDossierBatch {
    #[schema(value_type = Vec<NewDossier>)]
    pub dossiers: Vec<serde_json::Value>,
}

/// A registered dossier and its survey link.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DossierRegistered {
    pub dossier_id: Uuid,
    /// The citizen's credential; also the last segment of `survey_url`.
    pub survey_token: String,
    /// `{public_base_url}/s/{survey_token}`.
    pub survey_url: String,
    pub expires_at: DateTime<Utc>,
}

/// Why one batch item failed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchItemError {
    /// The same stable code the single endpoint would answer with.
    pub code: ProblemCode,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// The outcome of one batch item.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchItemResult {
    /// Position of the item in `dossiers`, from 0.
    pub index: usize,
    /// The status the single endpoint would have answered: 201 registered, 200 registered
    /// before with the same content, 4xx failed (see `error`).
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dossier_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub survey_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub survey_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<BatchItemError>,
}

/// Response of `POST /api/v1/dossiers/batch`: one result per item, in order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchResults {
    pub results: Vec<BatchItemResult>,
}

/// The answer for a registered dossier.
fn view(r: Registered, state: &AppState) -> DossierRegistered {
    DossierRegistered {
        dossier_id: r.id,
        survey_url: survey_url(state, &r.token),
        survey_token: r.token.expose().to_owned(),
        expires_at: r.expires_at,
    }
}

/// The survey link of a token.
pub fn survey_url(state: &AppState, token: &SurveyToken) -> String {
    format!("{}/s/{}", state.public_base_url, token.expose())
}

/// Registers one completed dossier for a survey.
#[utoipa::path(
    tag = "dossiers",
    request_body = NewDossier,
    security(("api_key" = [])),
    responses(
        (status = 201, body = DossierRegistered, description = "Registered"),
        (status = 200, body = DossierRegistered, description = "Registered before with the same content: the same id, token and link"),
        (status = 401, description = "no valid key (`unauthorized`)"),
        (status = 403, description = "the agency is outside the key's subtree, or a pipeline key (`forbidden`)"),
        (status = 409, description = "registered before with different content (`dossier_conflict`)"),
        (status = 422, description = "invalid fields (`validation_failed`, `unknown_field`, `invalid_email`, `invalid_phone`, `completed_in_future`, `completed_before_retention`, `unknown_agency`, `unknown_form`, `unsupported_language`)"),
    )
)]
#[post("/dossiers")]
pub async fn create_dossier(
    caller: Caller,
    body: ValidatedJson<NewDossier>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let items = vec![Ok(RawDossier::from(body.into_inner()))];
    let outcome = registration::register(&state.dossiers(), &caller, items)
        .await?
        .pop()
        .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("no outcome")))?;
    match outcome {
        Outcome::Created(r) => Ok(HttpResponse::Created().json(view(r, &state))),
        Outcome::Existing(r) => Ok(HttpResponse::Ok().json(view(r, &state))),
        Outcome::Failed(e) => Err(e),
    }
}

/// Registers many dossiers at once; each item gets its own result.
#[utoipa::path(
    tag = "dossiers",
    request_body = NewDossierBatch,
    security(("api_key" = [])),
    responses(
        (status = 200, body = BatchResults, description = "One result per item, in order; an item failing does not fail the others"),
        (status = 401, description = "no valid key (`unauthorized`)"),
        (status = 403, description = "a pipeline key (`forbidden`)"),
        (status = 413, description = "more items than `dossiers.batch_max` (`batch_too_large`) or a body over the size limit (`payload_too_large`)"),
    )
)]
#[post("/dossiers/batch")]
pub async fn create_dossier_batch(
    caller: Caller,
    body: ValidatedJson<NewDossierBatch>,
    state: web::Data<AppState>,
) -> Result<web::Json<BatchResults>, ApiError> {
    let items = body.into_inner().dossiers;
    let max = state.settings.dossiers.batch_max;
    if items.len() > max {
        return Err(ApiError::BatchTooLarge { max });
    }
    let parsed = items
        .into_iter()
        .map(|v| {
            let d: NewDossier = serde_json::from_value(v).map_err(|e| serde_error(&e))?;
            Ok(RawDossier::from(d))
        })
        .collect();
    let outcomes = registration::register(&state.dossiers(), &caller, parsed).await?;
    let results = outcomes
        .into_iter()
        .enumerate()
        .map(|(index, outcome)| {
            let (status, registered, error) = match outcome {
                Outcome::Created(r) => (201, Some(view(r, &state)), None),
                Outcome::Existing(r) => (200, Some(view(r, &state)), None),
                Outcome::Failed(e) => {
                    let p = e.problem();
                    let error = BatchItemError {
                        code: p.code,
                        detail: p.detail,
                        errors: p.errors.filter(|e| !e.is_empty()),
                    };
                    (p.status, None, Some(error))
                }
            };
            BatchItemResult {
                index,
                status,
                dossier_id: registered.as_ref().map(|r| r.dossier_id),
                survey_token: registered.as_ref().map(|r| r.survey_token.clone()),
                survey_url: registered.as_ref().map(|r| r.survey_url.clone()),
                expires_at: registered.as_ref().map(|r| r.expires_at),
                error,
            }
        })
        .collect();
    Ok(web::Json(BatchResults { results }))
}

/// The survey link of a dossier as an SVG QR code (for the receipt handed to the citizen).
#[utoipa::path(
    tag = "dossiers",
    params(("dossier_id" = Uuid, Path, description = "The dossier's id")),
    security(("api_key" = [])),
    responses(
        (status = 200, content_type = "image/svg+xml", description = "The QR code of `survey_url`"),
        (status = 401, description = "no valid key (`unauthorized`)"),
        (status = 403, description = "outside the key's subtree, whether or not it exists (`forbidden`)"),
        (status = 404, description = "no such dossier (`dossier_not_found`; admin keys)"),
    )
)]
#[get("/dossiers/{dossier_id}/qr.svg")]
pub async fn dossier_qr(
    caller: Caller,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if caller.role == Role::Pipeline {
        return Err(ApiError::Forbidden);
    }
    let id = id.into_inner();
    let found = store::find_by_id(&state.db, id).await?;
    let dossier = match found {
        Some(d) if caller.may_act_for_agency(&d.agency_path) => d.dossier,
        Some(_) => return Err(ApiError::Forbidden),
        None if caller.reads_every_agency() => {
            return Err(ApiError::not_found(
                ProblemCode::DossierNotFound,
                "There is no dossier with this id.",
            ));
        }
        None => return Err(ApiError::Forbidden),
    };
    let url = survey_url(&state, &state.token_key.derive(dossier.id));
    let svg = qr_svg(&url)?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "image/svg+xml"))
        // The image carries a credential: keep it out of shared caches.
        .insert_header((CACHE_CONTROL, "no-store"))
        .body(svg))
}

/// An SVG QR code of `text`, error correction M (15 %: survives a smudged receipt), with the
/// quiet zone the standard requires.
fn qr_svg(text: &str) -> Result<String, ApiError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("QR encoding failed: {e}")))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build())
}
