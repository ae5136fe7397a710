//! `/api/v1/months`: publication by closed month (docs/privacy.md). Listing the closed months
//! (any key), and closing a month early by hand (admin), which publishes its answers and those
//! of every earlier open month, and ends their links still open (`app::months`).

use actix_web::{get, post, web};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::app::months::{self, CloseError};
use crate::domain::periods::Month;
use crate::error::{ApiError, FieldError, ProblemCode};
use crate::http::auth::{Admin, Caller};
use crate::persistence::months as store;
use crate::state::AppState;

/// One closed month.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClosedMonthView {
    /// `YYYY-MM`.
    pub month: String,
    pub closed_at: DateTime<Utc>,
    /// `expired` (every link had expired) or `admin` (closed early by hand).
    pub reason: String,
}

/// The months whose answers are published.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MonthsView {
    /// The last closed month: every month up to it is published; `null` before the first.
    pub published_through: Option<String>,
    /// Every closed month that held answers or was closed by name, oldest first.
    pub closed: Vec<ClosedMonthView>,
}

/// What closing did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClosedView {
    /// The months closed by this request, oldest first (empty: closed before).
    pub closed: Vec<String>,
    /// Answers published by this request.
    pub published: u64,
    /// Survey links that were still open and were ended.
    pub links_ended: u64,
    pub published_through: Option<String>,
}

/// The closed months.
#[utoipa::path(
    tag = "months",
    security(("api_key" = [])),
    responses(
        (status = 200, body = MonthsView),
        (status = 401, description = "no valid key (`unauthorized`)"),
    )
)]
#[get("/months")]
pub async fn list_months(
    _caller: Caller,
    state: web::Data<AppState>,
) -> Result<web::Json<MonthsView>, ApiError> {
    let closed = store::closed(&state.db).await?;
    Ok(web::Json(MonthsView {
        published_through: closed.last().map(|m| m.month.clone()),
        closed: closed
            .into_iter()
            .map(|m| ClosedMonthView {
                month: m.month,
                closed_at: m.closed_at,
                reason: m.reason,
            })
            .collect(),
    }))
}

/// Closes a month early (and every earlier open month): its answers are published, its links
/// still open end (later answers to them get 410 `survey_closed`). Closing a closed month
/// changes nothing.
#[utoipa::path(
    tag = "months",
    params(("month" = String, Path, description = "`YYYY-MM`, a month that has ended")),
    security(("api_key" = [])),
    responses(
        (status = 200, body = ClosedView),
        (status = 401, description = "no valid key (`unauthorized`)"),
        (status = 403, description = "not an admin key (`forbidden`)"),
        (status = 422, description = "not a month (`invalid_month`), or one that has not ended (`month_not_ended`)"),
    )
)]
#[post("/months/{month}/close")]
pub async fn close_month(
    admin: Admin,
    month: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<ClosedView>, ApiError> {
    let through = Month::parse(&month).ok_or_else(|| {
        rejected(
            ProblemCode::InvalidMonth,
            "The month must be written `YYYY-MM`.",
        )
    })?;
    let actor = Some(admin.0.key_id);
    let closed = months::close_by_hand(&state.db, &state.forms, through, actor, Utc::now())
        .await
        .map_err(|e| match e {
            CloseError::NotEnded(m) => rejected(
                ProblemCode::MonthNotEnded,
                &format!("The month {m} has not ended: dossiers may still be completed in it."),
            ),
            CloseError::Db(e) => e.into(),
        })?;
    Ok(web::Json(ClosedView {
        closed: closed.months.iter().map(Month::to_string).collect(),
        published: closed.published,
        links_ended: closed.links_ended,
        published_through: closed.published_through.map(|m| m.to_string()),
    }))
}

fn rejected(code: ProblemCode, detail: &str) -> ApiError {
    ApiError::Rejected {
        code,
        detail: detail.to_owned(),
        errors: vec![FieldError {
            field: "month".into(),
            code: code.into(),
            message: detail.to_owned(),
        }],
    }
}
