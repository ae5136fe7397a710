//! Operations endpoints: liveness, readiness and metrics.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpResponse, get, web};
use serde::Serialize;

use crate::error::ApiError;
use crate::persistence;
use crate::state::AppState;

/// Body of `/health` and `/ready`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StatusView {
    /// Always `ok` on a 200.
    pub status: &'static str,
}

/// Liveness: 200 while the process runs.
#[utoipa::path(tag = "operations", responses((status = 200, body = StatusView)))]
#[get("/health")]
pub async fn health() -> web::Json<StatusView> {
    web::Json(StatusView { status: "ok" })
}

/// Readiness: 200 when the database answers, every migration is applied and the response
/// writer runs, else 503.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, body = StatusView),
        (status = 503, description = "database unreachable, migrations pending, or the response writer stopped or stalled",
         body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<web::Json<StatusView>, ApiError> {
    if !state.responses.is_running() {
        return Err(ApiError::Unavailable(
            "The response writer has stopped; the server is restarting.".into(),
        ));
    }
    if let Some(busy) = state.responses.stalled_for() {
        return Err(ApiError::Unavailable(format!(
            "The response writer has been storing one batch for {} s (the database is locked \
             or not answering): answers sent now would time out.",
            busy.as_secs()
        )));
    }
    persistence::readiness(&state.db)
        .await
        .map_err(ApiError::Unavailable)?;
    Ok(web::Json(StatusView { status: "ok" }))
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"))
        .body(
            state.metrics.render()
                + &state.responses.stats().render()
                + &crate::app::results::cache::render(&state.breakdowns),
        )
}
