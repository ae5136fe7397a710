//! `GET /api/v1/forms…`: the published survey forms as JSON. Versions are immutable, so every
//! response carries a strong `ETag` and `If-None-Match` gets a bodiless 304 (kiosks on slow
//! links re-validate instead of downloading the form again).

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::domain::forms::{FormDefinition, FormSummary, PublishedForm};
use crate::error::{ApiError, ProblemCode};
use crate::state::AppState;

/// The published forms: the newest published version of each key.
#[utoipa::path(tag = "forms", responses((status = 200, body = [FormSummary])))]
#[get("/forms")]
pub async fn list_forms(state: web::Data<AppState>) -> web::Json<Vec<FormSummary>> {
    web::Json(state.forms.list())
}

/// The newest published version of a form, complete.
#[utoipa::path(
    tag = "forms",
    params(("key" = String, Path, description = "form key, e.g. sipas-2017")),
    responses(
        (status = 200, body = FormDefinition, headers(("ETag" = String))),
        (status = 304, description = "not modified (If-None-Match matched)"),
        (status = 404, description = "`form_not_found`", body = crate::error::Problem,
         content_type = "application/problem+json"),
    )
)]
#[get("/forms/{key}")]
pub async fn get_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let form = state
        .forms
        .current(&key)
        .ok_or_else(|| form_not_found(&key))?;
    Ok(serve(&req, form, "no-cache"))
}

/// One exact version of a form (every version stays retrievable).
#[utoipa::path(
    tag = "forms",
    params(
        ("key" = String, Path, description = "form key"),
        ("version" = u32, Path, description = "version number"),
    ),
    responses(
        (status = 200, body = FormDefinition, headers(("ETag" = String))),
        (status = 304, description = "not modified (If-None-Match matched)"),
        (status = 404, description = "`form_not_found`", body = crate::error::Problem,
         content_type = "application/problem+json"),
    )
)]
#[get("/forms/{key}/versions/{version}")]
pub async fn get_form_version(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (key, version) = path.into_inner();
    let form = version
        .parse::<u32>()
        .ok()
        .and_then(|v| state.forms.version(&key, v))
        .ok_or_else(|| form_not_found(&format!("{key} version {version}")))?;
    Ok(serve(&req, form, "public, max-age=3600"))
}

pub(crate) fn form_not_found(what: &str) -> ApiError {
    ApiError::not_found(
        ProblemCode::FormNotFound,
        format!("There is no published form {what}."),
    )
}

fn serve(req: &HttpRequest, form: &PublishedForm, cache_control: &'static str) -> HttpResponse {
    let matches = req
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == form.etag);
    let mut res = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::CACHE_CONTROL, cache_control));
    if let Ok(etag) = HeaderValue::from_str(&form.etag) {
        res.insert_header((header::ETAG, etag));
    }
    if matches {
        res.finish()
    } else {
        res.content_type("application/json").body(form.json.clone())
    }
}
