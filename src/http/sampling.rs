//! Sample planning (api.md "Sampling"): `GET /api/v1/sampling` and the follow-up list of an
//! open month, `GET /api/v1/sampling/follow-up` (CSV). Thin: the use cases are
//! `app::sampling`.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, get, web};

use crate::app::results::unexpected;
use crate::app::sampling::{self, FollowUpQuery, SamplingQuery};
use crate::domain::sampling::SamplingView;
use crate::error::ApiError;
use crate::export::follow_up::{FOLLOW_UP_HEADER, file_name, follow_up_csv};
use crate::http::auth::Caller;
use crate::state::AppState;

/// Target sample, questionnaires received, margin achieved and shortfall of one agency, form
/// and period.
#[utoipa::path(
    tag = "results",
    params(SamplingQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, body = SamplingView),
        (status = 401, description = "no valid key (`unauthorized`)"),
        (status = 403, description = "an agency key asking outside its subtree (`forbidden`)"),
        (status = 422, description = "a bad parameter (`validation_failed`, `unknown_agency`, `unknown_form`)"),
    )
)]
#[get("/sampling")]
pub async fn get_sampling(
    caller: Caller,
    query: web::Query<SamplingQuery>,
    state: web::Data<AppState>,
) -> Result<web::Json<SamplingView>, ApiError> {
    let target = state.settings.sampling.target();
    Ok(web::Json(
        sampling::plan(&state.results(), target, &caller, &query).await?,
    ))
}

/// The follow-up list of an open month: unanswered dossiers drawn at random, as many as the
/// shortfall needs at the observed response rate. For the agency itself (or an administrator).
#[utoipa::path(
    tag = "results",
    params(FollowUpQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, content((String = "text/csv"))),
        (status = 401, description = "no valid key (`unauthorized`)"),
        (status = 403, description = "not the agency's own key nor an admin key (`forbidden`)"),
        (status = 422, description = "a bad or closed month (`validation_failed`), an unknown agency or form"),
    )
)]
#[get("/sampling/follow-up")]
pub async fn get_follow_up(
    caller: Caller,
    query: web::Query<FollowUpQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let target = state.settings.sampling.target();
    let list = sampling::follow_up(&state.results(), target, &caller, &query).await?;
    let body = follow_up_csv(&list, &FOLLOW_UP_HEADER).map_err(unexpected)?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", file_name(&list)),
        ))
        .body(body))
}
