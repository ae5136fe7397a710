//! `/api/v1/dossiers`: registering completed dossiers (one, or a batch of up to
//! `dossiers.batch_max`) and the QR code of a dossier's survey link.
//!
//! Both registration endpoints share one pipeline, built for batches of 10,000: check every
//! item's fields, look their agencies up in one pass, decide permission, form and language per
//! item, look every (agency, code) up in chunks, then insert the new dossiers in multi-row
//! statements inside one transaction. One bad item never rejects the others; a failure of the
//! database rejects the whole request and writes nothing.

use std::collections::HashMap;

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

use crate::domain::auth::Role;
use crate::domain::dossiers::{
    self as domain, DEFAULT_LANGUAGE, Dossier, DossierProblem, RawDossier, ValidDossier,
};
use crate::domain::publication;
use crate::domain::tokens::SurveyToken;
use crate::error::{ApiError, FieldError, serde_error};
use crate::http::auth::Caller;
use crate::http::extract::ValidatedJson;
use crate::persistence::dossiers::{self as store, DossierAgency, NewDossierRow};
use crate::persistence::outbox::{self, NewInvitation};
use crate::state::AppState;

/// The contact for the invitation.
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Where the invitation is sent; erased once no longer needed, never logged.
    #[serde(default)]
    pub email: Option<String>,
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
            email: d.contact.and_then(|c| c.email),
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
    pub code: String,
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

/// What happened to one registration.
#[derive(Debug)]
enum Outcome {
    Created(Registered),
    Existing(Registered),
    Failed(ApiError),
}

#[derive(Debug)]
struct Registered {
    id: Uuid,
    token: SurveyToken,
    expires_at: DateTime<Utc>,
}

impl Registered {
    fn view(self, state: &AppState) -> DossierRegistered {
        DossierRegistered {
            dossier_id: self.id,
            survey_url: survey_url(state, &self.token),
            survey_token: self.token.expose().to_owned(),
            expires_at: self.expires_at,
        }
    }
}

/// The survey link of a token.
pub fn survey_url(state: &AppState, token: &SurveyToken) -> String {
    format!("{}/s/{}", state.public_base_url, token.expose())
}

/// The problem for a registration's field problems: `validation_failed` when a field has the
/// wrong shape, otherwise the broken rule's own code (`invalid_email`, `completed_in_future`, …).
fn problem_of(mut problems: Vec<DossierProblem>) -> ApiError {
    let errors: Vec<FieldError> = problems
        .iter()
        .map(|p| FieldError::new(p.field, p.code, p.message.clone()))
        .collect();
    if problems.iter().all(DossierProblem::is_rule) && !problems.is_empty() {
        let first = problems.swap_remove(0);
        ApiError::Rejected {
            code: first.code,
            detail: format!("`{}` {}.", first.field, first.message),
            errors,
        }
    } else {
        ApiError::Validation {
            detail: "Some fields are not valid; see `errors`.".into(),
            errors,
        }
    }
}

fn rejected(field: &'static str, code: &'static str, message: &str) -> ApiError {
    problem_of(vec![DossierProblem::new(field, code, message)])
}

fn conflict() -> ApiError {
    ApiError::Conflict {
        code: "dossier_conflict",
        detail: "This dossier code is already registered for the agency with different content."
            .into(),
    }
}

/// A registration whose agency, form and language are settled.
struct Resolved {
    index: usize,
    valid: ValidDossier,
    agency_id: Uuid,
    form_key: String,
    form_version: u32,
    language: String,
}

/// Settles agency (existence, permission), form and language of a valid registration.
fn resolve(
    state: &AppState,
    caller: &Caller,
    agencies: &HashMap<String, DossierAgency>,
    index: usize,
    valid: ValidDossier,
) -> Result<Resolved, ApiError> {
    let agency = match agencies.get(valid.agency_code.as_str()) {
        Some(a) if caller.may_act_for_agency(&a.path) => a,
        Some(_) => return Err(ApiError::Forbidden),
        // An agency key is not told whether an agency outside its subtree exists.
        None if !caller.reads_every_agency() => return Err(ApiError::Forbidden),
        None => {
            return Err(rejected(
                "agency_code",
                "unknown_agency",
                "names no registered agency",
            ));
        }
    };
    let form_key = valid
        .form_key
        .clone()
        .unwrap_or_else(|| agency.default_form.clone());
    let Some(form) = state.forms.for_new_surveys(&form_key) else {
        let field = if valid.form_key.is_some() {
            "form_key"
        } else {
            "agency_code"
        };
        return Err(rejected(
            field,
            "unknown_form",
            "names no form that is published for new surveys",
        ));
    };
    let language = valid
        .language
        .clone()
        .unwrap_or_else(|| DEFAULT_LANGUAGE.to_owned());
    if !form.definition.languages().contains(&language) {
        return Err(rejected(
            "language",
            "unsupported_language",
            "is not a language of the survey form",
        ));
    }
    Ok(Resolved {
        index,
        form_version: form.definition.version(),
        agency_id: agency.id,
        form_key,
        language,
        valid,
    })
}

/// Answers a registration of a dossier that is already stored.
fn existing(state: &AppState, stored: &Dossier, new: &ValidDossier) -> Outcome {
    if stored.same_registration(new) {
        Outcome::Existing(Registered {
            id: stored.id,
            token: state.token_key.derive(stored.id),
            expires_at: stored.expires_at,
        })
    } else {
        Outcome::Failed(conflict())
    }
}

/// The registration pipeline shared by both endpoints (see the module documentation).
async fn register(
    state: &AppState,
    caller: &Caller,
    items: Vec<Result<NewDossier, ApiError>>,
) -> Result<Vec<Outcome>, ApiError> {
    if caller.role == Role::Pipeline {
        return Err(ApiError::Forbidden);
    }
    let now = Utc::now();
    let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(items.len());
    let mut valid = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let checked = item.and_then(|d| domain::validate(d.into(), now).map_err(problem_of));
        match checked {
            Ok(v) => {
                valid.push((index, v));
                outcomes.push(None);
            }
            Err(e) => outcomes.push(Some(Outcome::Failed(e))),
        }
    }

    let mut codes: Vec<&str> = valid.iter().map(|(_, v)| v.agency_code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    let agencies = store::agencies_by_code(&state.db, &codes).await?;

    let mut resolved = Vec::with_capacity(valid.len());
    let mut first_of: HashMap<(Uuid, String), usize> = HashMap::with_capacity(valid.len());
    for (index, v) in valid {
        match resolve(state, caller, &agencies, index, v) {
            Ok(r) => {
                let key = (r.agency_id, r.valid.dossier_code.clone());
                if let Some(first) = first_of.get(&key) {
                    outcomes[index] = Some(Outcome::Failed(ApiError::Conflict {
                        code: "duplicate_in_batch",
                        detail: format!(
                            "The same agency and dossier code are already in this batch at \
                             index {first}."
                        ),
                    }));
                } else {
                    first_of.insert(key, index);
                    resolved.push(r);
                }
            }
            Err(e) => outcomes[index] = Some(Outcome::Failed(e)),
        }
    }

    let keys: Vec<(Uuid, &str)> = resolved
        .iter()
        .map(|r| (r.agency_id, r.valid.dossier_code.as_str()))
        .collect();
    let stored = store::find_existing(&state.db, &keys, |agency, code| {
        state.token_key.seal_code(agency, code)
    })
    .await?;
    drop(keys);

    let ttl = state.settings.surveys.token_ttl_days;
    // A dossier of a closed month gets a link that has already ended: its month's answers are
    // published, and a new one would change them (an agency may still enter paper for it).
    let published = crate::persistence::months::published_through(&state.db).await?;
    // A dossier of a month retention has emptied could be one already deleted: counted twice.
    let registrable = crate::app::retention::registrable_from(
        &state.db,
        state.settings.retention.dossier_months,
        now,
    )
    .await?;
    let mut rows = Vec::new();
    let mut pending: HashMap<Uuid, Resolved> = HashMap::new();
    for r in resolved {
        let key = (r.agency_id, r.valid.dossier_code.clone());
        if let Some(d) = stored.get(&key) {
            outcomes[r.index] = Some(existing(state, d, &r.valid));
            continue;
        }
        if registrable.is_some_and(|m| publication::month_of(r.valid.completed_at) < m) {
            outcomes[r.index] = Some(Outcome::Failed(rejected(
                "completed_at",
                "completed_before_retention",
                "is in a month whose dossiers are no longer kept (retention.dossier_months)",
            )));
            continue;
        }
        let id = Uuid::now_v7();
        let token = state.token_key.derive(id);
        rows.push(NewDossierRow {
            token_hash: token.hash(),
            dossier: Dossier {
                id,
                agency_id: r.agency_id,
                dossier_code: r.valid.dossier_code.clone(),
                form_key: r.form_key.clone(),
                form_version: r.form_version,
                completed_at: r.valid.completed_at,
                channel: r.valid.channel,
                procedure_code: r.valid.procedure_code.clone(),
                procedure_field: r.valid.procedure_field.clone(),
                language: r.language.clone(),
                expires_at: match published {
                    Some(p) if publication::month_of(r.valid.completed_at) <= p => {
                        domain::expires_at(r.valid.completed_at, ttl).min(now)
                    }
                    _ => domain::expires_at(r.valid.completed_at, ttl),
                },
                answered: false,
                answer_digest: None,
            },
        });
        pending.insert(id, r);
    }

    if !rows.is_empty() {
        let txn = crate::persistence::begin_write(&state.db).await?;
        let skipped = store::insert_many(&txn, &rows, now).await?;
        // Invitations are queued in the same transaction: a dossier is never stored without
        // its invitation, nor an invitation without its dossier.
        let invitations: Vec<NewInvitation> = rows
            .iter()
            .filter(|row| !skipped.contains(&row.dossier.id))
            .filter_map(|row| {
                let email = pending.get(&row.dossier.id)?.valid.email.clone()?;
                Some(NewInvitation {
                    dossier_id: row.dossier.id,
                    email,
                    expires_at: row.dossier.expires_at,
                })
            })
            .collect();
        outbox::insert_many(&txn, &invitations, now).await?;
        txn.commit().await?;
        let mut raced = Vec::new();
        for row in rows {
            let d = row.dossier;
            let Some(r) = pending.remove(&d.id) else {
                continue;
            };
            if skipped.contains(&d.id) {
                raced.push(r);
            } else {
                outcomes[r.index] = Some(Outcome::Created(Registered {
                    id: d.id,
                    token: state.token_key.derive(d.id),
                    expires_at: d.expires_at,
                }));
            }
        }
        if !raced.is_empty() {
            // Registered concurrently by another request: answer as a re-registration.
            let keys: Vec<(Uuid, &str)> = raced
                .iter()
                .map(|r| (r.agency_id, r.valid.dossier_code.as_str()))
                .collect();
            let stored = store::find_existing(&state.db, &keys, |agency, code| {
                state.token_key.seal_code(agency, code)
            })
            .await?;
            for r in raced {
                let key = (r.agency_id, r.valid.dossier_code.clone());
                outcomes[r.index] = Some(match stored.get(&key) {
                    Some(d) => existing(state, d, &r.valid),
                    None => Outcome::Failed(conflict()),
                });
            }
        }
    }

    outcomes
        .into_iter()
        .map(|o| {
            o.ok_or_else(|| {
                ApiError::Unexpected(anyhow::anyhow!("a registration was left without outcome"))
            })
        })
        .collect()
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
        (status = 422, description = "invalid fields (`validation_failed`, `unknown_field`, `invalid_email`, `completed_in_future`, `completed_before_retention`, `unknown_agency`, `unknown_form`, `unsupported_language`)"),
    )
)]
#[post("/dossiers")]
pub async fn create_dossier(
    caller: Caller,
    body: ValidatedJson<NewDossier>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let outcome = register(&state, &caller, vec![Ok(body.into_inner())])
        .await?
        .pop()
        .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("no outcome")))?;
    match outcome {
        Outcome::Created(r) => Ok(HttpResponse::Created().json(r.view(&state))),
        Outcome::Existing(r) => Ok(HttpResponse::Ok().json(r.view(&state))),
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
            Ok(d)
        })
        .collect();
    let outcomes = register(&state, &caller, parsed).await?;
    let results = outcomes
        .into_iter()
        .enumerate()
        .map(|(index, outcome)| {
            let (status, registered, error) = match outcome {
                Outcome::Created(r) => (201, Some(r.view(&state)), None),
                Outcome::Existing(r) => (200, Some(r.view(&state)), None),
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
                "dossier_not_found",
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
