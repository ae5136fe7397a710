//! Results (api.md "Results"): `GET /api/v1/results`, `/api/v1/results/trend`,
//! `/api/v1/rankings` and `/api/v1/par/scores`.
//!
//! The handlers are thin: the query (`app::results::request`) goes, with the key's
//! [`Principal`], to the results use cases (`app::results`) — shared with the officer's
//! dashboard pages — which check who may see what, read the counts and have `domain::results`
//! compute the view.
//!
//! Who sees what: an agency key reads its own subtree (anything else is 403 `forbidden`, whether
//! it exists or not); pipeline and admin keys read every agency; PAR scores are for the
//! pipeline and admins only. Every query parameter arrives as text so that a bad value is a 422
//! naming it (`validation_failed`, or `unknown_agency` / `unknown_form`), not a 400.
//!
//! [`Principal`]: crate::domain::auth::Principal

use actix_web::http::header::{ACCEPT, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::app::results::{self as service, unexpected};
use crate::domain::results::{ParScoresView, RankingView, ResultView, TrendView};
use crate::error::ApiError;
use crate::export::par::par_csv;
use crate::http::auth::Caller;
use crate::state::AppState;

pub use crate::app::results::{ParQuery, RankingQuery, ResultsQuery, TrendQuery};
pub use crate::export::par::PAR_CSV_HEADER;

/// One agency (or its subtree) × form × period: the SIPAS index and its tree, the items, PAR
/// points, the Decision 766 ratio, and an optional breakdown.
#[utoipa::path(
    tag = "results",
    params(ResultsQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, body = ResultView, description = "Values in percent at full precision; a period without data has `responses: 0` and null values"),
        (status = 401, description = "no valid key (`unauthorized`)"),
        (status = 403, description = "an agency key asking outside its subtree, whether the agency exists or not (`forbidden`)"),
        (status = 422, description = "a bad parameter, named in `errors` (`validation_failed`), an unknown agency (`unknown_agency`) or form or version (`unknown_form`)"),
    )
)]
#[get("/results")]
pub async fn get_results(
    caller: Caller,
    query: web::Query<ResultsQuery>,
    state: web::Data<AppState>,
) -> Result<web::Json<ResultView>, ApiError> {
    Ok(web::Json(
        service::result(&state.results(), &caller, &query).await?,
    ))
}

/// The SIPAS index and each top-level node per month, quarter or year, with the change from
/// the step before and its interval.
#[utoipa::path(
    tag = "results",
    params(TrendQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, body = TrendView),
        (status = 401, description = "no valid key (`unauthorized`)"),
        (status = 403, description = "outside the key's subtree (`forbidden`)"),
        (status = 422, description = "a bad parameter (`validation_failed`, `unknown_agency`, `unknown_form`)"),
    )
)]
#[get("/results/trend")]
pub async fn get_trend(
    caller: Caller,
    query: web::Query<TrendQuery>,
    state: web::Data<AppState>,
) -> Result<web::Json<TrendView>, ApiError> {
    Ok(web::Json(
        service::trend(&state.results(), &caller, &query).await?,
    ))
}

/// The child agencies of `parent` ordered by index, each with its interval and a rank interval
/// (Bonferroni, Klein et al. 2020); low-reliability, suppressed and empty agencies are listed
/// apart, unranked.
#[utoipa::path(
    tag = "results",
    params(RankingQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, body = RankingView),
        (status = 401, description = "no valid key (`unauthorized`)"),
        (status = 403, description = "the parent is outside the key's subtree (`forbidden`)"),
        (status = 422, description = "a bad parameter (`validation_failed`, `unknown_agency`, `unknown_form`)"),
    )
)]
#[get("/rankings")]
pub async fn get_rankings(
    caller: Caller,
    query: web::Query<RankingQuery>,
    state: web::Data<AppState>,
) -> Result<web::Json<RankingView>, ApiError> {
    Ok(web::Json(
        service::ranking(&state.results(), &caller, &query).await?,
    ))
}

/// Every agency's SIPAS in PAR terms (methodology §4), for the PAR-index pipeline: JSON, or CSV
/// with a header line (`format=csv` or `Accept: text/csv`).
#[utoipa::path(
    tag = "results",
    params(ParQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, content(
            (ParScoresView = "application/json"),
            (String = "text/csv")
        )),
        (status = 401, description = "no valid key (`unauthorized`)"),
        (status = 403, description = "not a pipeline or admin key (`forbidden`)"),
        (status = 422, description = "a bad parameter (`validation_failed`, `unknown_form`)"),
    )
)]
#[get("/par/scores")]
pub async fn get_par_scores(
    caller: Caller,
    req: HttpRequest,
    query: web::Query<ParQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if !caller.reads_every_agency() {
        return Err(ApiError::Forbidden);
    }
    let (view, csv): (ParScoresView, _) =
        service::par_scores(&state.results(), &caller, &query).await?;
    let csv = csv.unwrap_or_else(|| {
        req.headers()
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/csv"))
    });
    if csv {
        let body = par_csv(&view, &PAR_CSV_HEADER).map_err(unexpected)?;
        return Ok(HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
            .body(body));
    }
    Ok(HttpResponse::Ok().json(view))
}
