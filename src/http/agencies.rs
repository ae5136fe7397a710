//! `/api/v1/agencies`: creating an agency (admin) and reading agencies (any key; an agency key
//! sees its own subtree only, and is told 403 for everything else whether it exists or not).

use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::app::agencies::{self as app, AgencyEdit};
use crate::domain::agencies::{
    self as domain, AgencyCode, AgencyKind, AgencyName, AgencyPath, FieldProblem,
};
use crate::domain::audit::AuditEvent;
use crate::domain::auth::Principal;
use crate::domain::periods::Month;
use crate::error::{ApiError, FieldError, ProblemCode};
use crate::http::auth::{Admin, Caller};
use crate::http::extract::{FieldErrors, ParsedJson};
use crate::persistence::{agencies, agency_history, audit};
use crate::state::AppState;

/// An agency's names.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgencyNames {
    /// Vietnamese name (NFC-normalised, 1–255 characters).
    #[schema(example = "Sở Nội vụ tỉnh Hà Giang")]
    pub vi: String,
    /// English name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

/// Body of `POST /api/v1/agencies`, parsed into a `domain::agencies::NewAgency`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgency {
    /// Unique code: 1–64 characters of `[A-Za-z0-9._-]`.
    #[schema(example = "SNV.HG")]
    pub code: String,
    pub name: AgencyNames,
    /// `ministry`, `province`, `department`, `district`, `commune` or `other`.
    #[schema(example = "department")]
    pub kind: String,
    /// Code of the agency this one belongs to; absent for a top-level agency.
    #[serde(default)]
    pub parent_code: Option<String>,
    /// Key of the form its dossiers are surveyed with (default `sipas-2017`).
    #[serde(default)]
    pub default_form: Option<String>,
    /// `YYYY-MM`: the first month it is in force (a new successor of a merge); absent: always.
    #[serde(default)]
    pub opened_from: Option<String>,
}

/// A parsed `POST /api/v1/agencies` body: the agency, and the month it opens if given.
pub struct AgencyToCreate {
    pub agency: domain::NewAgency,
    pub opened_from: Option<Month>,
}

/// An agency.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgencyView {
    pub code: String,
    pub name: AgencyNames,
    /// `ministry`, `province`, `department`, `district`, `commune` or `other`.
    pub kind: &'static str,
    /// `null` for a top-level agency.
    pub parent_code: Option<String>,
    pub default_form: String,
    pub created_at: DateTime<Utc>,
    /// `YYYY-MM`: the first month it is in force, when it did not exist always (a successor).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opened_from: Option<String>,
    /// `YYYY-MM`: the first month it is no longer in force, once closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_from: Option<String>,
    /// The agency it was merged into.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
}

impl From<domain::Agency> for AgencyView {
    fn from(a: domain::Agency) -> Self {
        Self {
            code: a.code,
            name: AgencyNames {
                vi: a.name_vi,
                en: a.name_en,
            },
            kind: a.kind.as_str(),
            parent_code: a.parent_code,
            default_form: a.default_form,
            created_at: a.created_at,
            opened_from: None,
            closed_from: None,
            merged_into: None,
        }
    }
}

/// Query of `GET /api/v1/agencies`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AgencyQuery {
    /// List the children of this agency. Without it: the top-level agencies, or for an agency
    /// key its own agency.
    pub parent: Option<String>,
}

/// A 422 `validation_failed` for one field.
fn field_invalid(field: &str, problem: FieldProblem) -> ApiError {
    ApiError::Validation {
        detail: format!("`{field}` is not valid."),
        errors: vec![FieldError::new(field, problem.code(), problem.to_string())],
    }
}

/// A field problem as [`FieldErrors::take`] notes it.
fn noted<T>(parsed: Result<T, FieldProblem>) -> Result<T, (&'static str, String)> {
    parsed.map_err(|p| (p.code(), p.to_string()))
}

/// An optional field, parsed when present.
fn optional<T>(
    raw: Option<String>,
    parse: fn(&str) -> Result<T, FieldProblem>,
) -> Result<Option<T>, (&'static str, String)> {
    noted(raw.map(|r| parse(&r)).transpose())
}

impl TryFrom<NewAgency> for AgencyToCreate {
    type Error = FieldErrors;

    /// Every field parsed; every field at fault named.
    fn try_from(body: NewAgency) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let code = errors.take("code", noted(AgencyCode::parse(&body.code)));
        let name_vi = errors.take("name.vi", noted(AgencyName::parse(&body.name.vi)));
        let name_en = errors.take("name.en", optional(body.name.en, AgencyName::parse));
        let kind = errors.take("kind", noted(AgencyKind::parse(&body.kind)));
        let parent = errors.take("parent_code", optional(body.parent_code, AgencyCode::parse));
        let form = errors.take(
            "default_form",
            optional(body.default_form, domain::parse_form_key),
        );
        let opened = errors.take("opened_from", month_field(body.opened_from));
        match (code, name_vi, name_en, kind, parent, (form, opened)) {
            (
                Some(code),
                Some(name_vi),
                Some(name_en),
                Some(kind),
                Some(parent_code),
                (Some(form), Some(opened_from)),
            ) => Ok(AgencyToCreate {
                agency: domain::NewAgency {
                    code,
                    name_vi,
                    name_en,
                    kind,
                    parent_code,
                    default_form: form.unwrap_or_else(|| domain::DEFAULT_FORM.to_owned()),
                },
                opened_from,
            }),
            _ => Err(errors),
        }
    }
}

fn agency_exists(code: &AgencyCode) -> ApiError {
    ApiError::Conflict {
        code: ProblemCode::AgencyExists,
        detail: format!("An agency with the code `{code}` already exists."),
    }
}

/// What a caller is told about an agency it may not see or that does not exist: an agency key
/// always gets 403, so it cannot probe for codes outside its subtree; keys that see every
/// agency get an honest 404.
fn hidden_or_missing(caller: &Caller) -> ApiError {
    if caller.reads_every_agency() {
        ApiError::not_found(
            ProblemCode::AgencyNotFound,
            "There is no agency with this code.",
        )
    } else {
        ApiError::Forbidden
    }
}

/// The agency with `code` if the caller may see it.
async fn visible_agency(
    state: &AppState,
    caller: &Caller,
    code: &str,
) -> Result<domain::Agency, ApiError> {
    agency_for(state, caller, code, Principal::may_read_agency).await
}

/// The agency with `code` if `allowed` lets the caller at it (e.g.
/// `Principal::may_act_for_agency`); otherwise 403, or 404 `agency_not_found` when it does
/// not exist and the caller reads every agency anyway.
pub async fn agency_for(
    state: &AppState,
    caller: &Caller,
    code: &str,
    allowed: fn(&Principal, &AgencyPath) -> bool,
) -> Result<domain::Agency, ApiError> {
    // A malformed code names no agency anywhere, so saying so leaks nothing.
    let code = AgencyCode::parse(code).map_err(|p| field_invalid("code", p))?;
    match agencies::find_by_code(&state.db, code.as_str()).await? {
        Some(agency) if allowed(caller, &agency.path) => Ok(agency),
        Some(_) => Err(ApiError::Forbidden),
        None => Err(hidden_or_missing(caller)),
    }
}

/// Creates an agency.
#[utoipa::path(
    tag = "agencies",
    request_body = NewAgency,
    security(("api_key" = [])),
    responses(
        (status = 201, body = AgencyView, description = "Created; `Location` names it"),
        (status = 401, description = "no valid key (`unauthorized`)"),
        (status = 403, description = "not an admin key (`forbidden`)"),
        (status = 409, description = "the code is taken (`agency_exists`)"),
        (status = 422, description = "invalid fields (`validation_failed`, `unknown_field`), no such parent (`unknown_parent`), or `opened_from` in a published month (`change_in_published_month`) or before the latest change (`change_out_of_order`)"),
    )
)]
#[post("/agencies")]
pub async fn create_agency(
    admin: Admin,
    body: ParsedJson<NewAgency, AgencyToCreate>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let AgencyToCreate {
        agency: new,
        opened_from,
    } = body.into_inner();
    let txn = crate::persistence::begin_write(&state.db).await?;
    if agencies::find_by_code(&txn, new.code.as_str())
        .await?
        .is_some()
    {
        return Err(agency_exists(&new.code));
    }
    let parent = match &new.parent_code {
        Some(code) => Some(
            agencies::find_by_code(&txn, code.as_str())
                .await?
                .ok_or_else(|| ApiError::Rejected {
                    code: ProblemCode::UnknownParent,
                    detail: format!("There is no agency with the code `{code}`."),
                    errors: vec![FieldError::new(
                        "parent_code",
                        "unknown_parent",
                        "no agency has this code",
                    )],
                })?,
        ),
        None => None,
    };
    let agency = agencies::insert(&txn, &new, parent.as_ref())
        .await
        .map_err(|e| match e.sql_err() {
            // Created concurrently between the check above and the insert.
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => agency_exists(&new.code),
            _ => e.into(),
        })?;
    if let Some(month) = opened_from {
        app::open_from(&txn, agency.id, month).await?;
    }
    audit::record(
        &txn,
        Some(admin.key_id),
        &AuditEvent::AgencyCreated {
            code: agency.code.clone(),
            kind: agency.kind,
            parent_code: agency.parent_code.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    let location = format!("/api/v1/agencies/{}", agency.code);
    let mut view = AgencyView::from(agency);
    view.opened_from = opened_from.map(|m| m.to_string());
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, location))
        .json(view))
}

/// Lists the children of an agency (`?parent=CODE`), ordered by code.
#[utoipa::path(
    tag = "agencies",
    params(AgencyQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, body = Vec<AgencyView>),
        (status = 401, description = "no valid key (`unauthorized`)"),
        (status = 403, description = "the parent is outside the key's subtree (`forbidden`)"),
        (status = 404, description = "no such parent (`agency_not_found`; admin and pipeline keys)"),
    )
)]
#[get("/agencies")]
pub async fn list_agencies(
    caller: Caller,
    query: web::Query<AgencyQuery>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<AgencyView>>, ApiError> {
    let agencies = match (&query.parent, &caller.scope) {
        (Some(parent), _) => {
            let parent = visible_agency(&state, &caller, parent)
                .await
                .map_err(|e| match e {
                    ApiError::Validation { errors, .. } => ApiError::Validation {
                        detail: "`parent` is not a valid agency code.".into(),
                        errors: errors
                            .into_iter()
                            .map(|e| FieldError {
                                field: "parent".into(),
                                ..e
                            })
                            .collect(),
                    },
                    other => other,
                })?;
            agencies::list_children(&state.db, Some(&parent)).await?
        }
        (None, Some(scope)) => agencies::find_by_id(&state.db, scope.id)
            .await?
            .into_iter()
            .collect(),
        (None, None) => agencies::list_children(&state.db, None).await?,
    };
    Ok(web::Json(
        agencies
            .into_iter()
            .filter(|a| caller.may_read_agency(&a.path))
            .map(AgencyView::from)
            .collect(),
    ))
}

/// One agency.
#[utoipa::path(
    tag = "agencies",
    params(("code" = String, Path, description = "The agency's code")),
    security(("api_key" = [])),
    responses(
        (status = 200, body = AgencyView),
        (status = 401, description = "no valid key (`unauthorized`)"),
        (status = 403, description = "outside the key's subtree, whether or not it exists (`forbidden`)"),
        (status = 404, description = "no such agency (`agency_not_found`; admin and pipeline keys)"),
    )
)]
#[get("/agencies/{code}")]
pub async fn get_agency(
    caller: Caller,
    code: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<AgencyView>, ApiError> {
    let agency = visible_agency(&state, &caller, &code).await?;
    Ok(web::Json(view_of(&state, agency).await?))
}

/// Body of `PATCH /api/v1/agencies/{code}` (issue 21): new names or a new parent from
/// `effective_from`, and/or closing from `closed_from` (merged into `merged_into` if given).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgencyChange {
    /// New names (both languages; an absent `en` removes the English name).
    #[serde(default)]
    pub name: Option<AgencyNames>,
    /// New parent; `null` makes it a top-level agency.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub parent_code: Option<Option<String>>,
    /// `YYYY-MM`: the month the new names or parent take effect in (required with them).
    #[schema(example = "2025-07")]
    #[serde(default)]
    pub effective_from: Option<String>,
    /// `YYYY-MM`: the first month the agency is no longer in force.
    #[schema(example = "2025-07")]
    #[serde(default)]
    pub closed_from: Option<String>,
    /// With `closed_from`: the agency it is merged into (its successor).
    #[serde(default)]
    pub merged_into: Option<String>,
}

/// A field that is present, even as `null` (`Some(None)`), as opposed to absent (`None`).
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

fn month_field(raw: Option<String>) -> Result<Option<Month>, (&'static str, String)> {
    raw.map(|r| Month::parse(&r).ok_or(("invalid_month", "must be a month written YYYY-MM".into())))
        .transpose()
}

impl TryFrom<AgencyChange> for AgencyEdit {
    type Error = FieldErrors;

    /// Every field parsed; every field at fault named.
    fn try_from(body: AgencyChange) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let names = match body.name {
            None => Some(None),
            Some(n) => {
                let vi = errors.take("name.vi", noted(AgencyName::parse(&n.vi)));
                let en = errors.take("name.en", optional(n.en, AgencyName::parse));
                vi.zip(en).map(Some)
            }
        };
        let parent = match body.parent_code {
            None => Some(None),
            Some(p) => errors
                .take("parent_code", optional(p, AgencyCode::parse))
                .map(Some),
        };
        let effective_from = errors.take("effective_from", month_field(body.effective_from));
        let closed_from = errors.take("closed_from", month_field(body.closed_from));
        let merged_into = errors.take("merged_into", optional(body.merged_into, AgencyCode::parse));
        match (names, parent, effective_from, closed_from, merged_into) {
            (
                Some(names),
                Some(parent),
                Some(effective_from),
                Some(closed_from),
                Some(merged_into),
            ) => Ok(AgencyEdit {
                names,
                parent,
                effective_from,
                closed_from,
                merged_into,
            }),
            _ => Err(errors),
        }
    }
}

/// Renames, moves, closes or merges an agency from a month (docs/api.md, "Agencies").
#[utoipa::path(
    tag = "agencies",
    params(("code" = String, Path, description = "The agency's code")),
    request_body = AgencyChange,
    security(("api_key" = [])),
    responses(
        (status = 200, body = AgencyView, description = "The agency as it is now"),
        (status = 401, description = "no valid key (`unauthorized`)"),
        (status = 403, description = "not an admin key (`forbidden`)"),
        (status = 404, description = "no such agency (`agency_not_found`)"),
        (status = 422, description = "invalid fields (`validation_failed`, `unknown_field`), `unknown_parent`, `agency_closed`, `change_in_published_month`, `change_out_of_order`, `parent_loop`, `agency_has_children`, `invalid_successor`"),
    )
)]
#[patch("/agencies/{code}")]
pub async fn change_agency(
    admin: Admin,
    code: web::Path<String>,
    body: ParsedJson<AgencyChange, AgencyEdit>,
    state: web::Data<AppState>,
) -> Result<web::Json<AgencyView>, ApiError> {
    let code = AgencyCode::parse(&code).map_err(|p| field_invalid("code", p))?;
    let agency = app::change(&state.db, Some(admin.key_id), &code, &body.into_inner()).await?;
    Ok(web::Json(view_of(&state, agency).await?))
}

/// The view of `agency` with its lifetime.
async fn view_of(state: &AppState, agency: domain::Agency) -> Result<AgencyView, ApiError> {
    let lifetime = agency_history::lifetimes(&state.db, &[agency.id])
        .await?
        .remove(&agency.id)
        .unwrap_or_default();
    let merged_into = match lifetime.successor {
        Some(id) => agencies::find_by_id(&state.db, id).await?.map(|s| s.code),
        None => None,
    };
    let mut view = AgencyView::from(agency);
    view.opened_from = lifetime.opened_from.map(|m| m.to_string());
    view.closed_from = lifetime.closed_from.map(|m| m.to_string());
    view.merged_into = merged_into;
    Ok(view)
}
