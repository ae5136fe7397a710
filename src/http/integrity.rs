//! `GET /api/v1/integrity?agency=&period=`: the integrity indicators of an agency and the
//! agencies below it for one closed month (`app::integrity::report`; api.md "Integrity").

use actix_web::{get, web};
use serde::{Deserialize, Serialize};

use crate::app::integrity::{AgencyIntegrity, IntegrityReport, report};
use crate::domain::integrity::report::{Indicator, Rules};
use crate::error::ApiError;
use crate::http::auth::Caller;
use crate::state::AppState;

/// The query: both parameters required, as text so that a bad value is a 422 naming it.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct IntegrityQuery {
    /// The agency's code; its subtree is reported.
    pub agency: Option<String>,
    /// A month, `YYYY-MM`.
    pub period: Option<String>,
}

/// A share with its interval, or suppressed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IndicatorView {
    /// `quick_answers`, `burst_answers`, `straight_lined`, `top_box_only` or `paper`.
    pub indicator: &'static str,
    pub count: Option<u64>,
    /// What the share is of: web answers through links (quick, burst), questionnaires with at
    /// least 3 index items answered (straight-lined, top-box only), all questionnaires (paper).
    pub basis: Option<u64>,
    /// A fraction (0–1).
    pub share: Option<f64>,
    /// Wilson 95 % interval of the share.
    pub ci_lower: Option<f64>,
    pub ci_upper: Option<f64>,
    /// The basis is below `results.suppress_below`: nothing is shown.
    pub suppressed: bool,
    /// Far above the rest of the province (README "Integrity indicators").
    pub flagged: bool,
}

/// How many questionnaires each mode brought.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ModesView {
    pub web: u64,
    pub kiosk: u64,
    pub phone: u64,
    pub paper: u64,
}

/// One agency's month.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgencyIntegrityView {
    pub agency_code: String,
    pub name: String,
    pub answers: u64,
    pub flagged: bool,
    pub indicators: Vec<IndicatorView>,
    /// `null` when fewer than `results.suppress_below` questionnaires.
    pub modes: Option<ModesView>,
}

/// The report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IntegrityView {
    pub period: String,
    /// Whether the month is closed; an open month shows nothing.
    pub published: bool,
    pub agencies: Vec<AgencyIntegrityView>,
}

impl From<&Indicator> for IndicatorView {
    fn from(i: &Indicator) -> Self {
        IndicatorView {
            indicator: i.kind.as_str(),
            count: i.count,
            basis: i.basis,
            share: i.share,
            ci_lower: i.ci.map(|c| c.lower),
            ci_upper: i.ci.map(|c| c.upper),
            suppressed: i.suppressed,
            flagged: i.flagged,
        }
    }
}

impl From<&AgencyIntegrity> for AgencyIntegrityView {
    fn from(a: &AgencyIntegrity) -> Self {
        AgencyIntegrityView {
            agency_code: a.agency.code.clone(),
            name: a.agency.name_vi.clone(),
            answers: a.answers,
            flagged: a.flagged,
            indicators: a.indicators.iter().map(IndicatorView::from).collect(),
            modes: a.modes.as_ref().map(|m| ModesView {
                web: m.web,
                kiosk: m.kiosk,
                phone: m.phone,
                paper: m.paper,
            }),
        }
    }
}

impl From<&IntegrityReport> for IntegrityView {
    fn from(r: &IntegrityReport) -> Self {
        IntegrityView {
            period: r.period.clone(),
            published: r.published,
            agencies: r.agencies.iter().map(AgencyIntegrityView::from).collect(),
        }
    }
}

/// The rules of the report, from the settings.
pub fn rules(state: &AppState) -> Rules {
    Rules {
        suppress_below: state.settings.results.suppress_below,
        flag_margin: state.settings.integrity.flag_margin,
    }
}

#[utoipa::path(
    tag = "results",
    params(IntegrityQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, body = IntegrityView, description = "the agency and every agency below it; an open month: `published: false` and no agency"),
        (status = 401, description = "no valid key (`unauthorized`)"),
        (status = 403, description = "an agency key outside its subtree, or the pipeline key (`forbidden`)"),
        (status = 422, description = "a missing or bad parameter (`validation_failed`), an unknown agency (`unknown_agency`)"),
    )
)]
#[get("/integrity")]
pub async fn get_integrity(
    caller: Caller,
    query: web::Query<IntegrityQuery>,
    state: web::Data<AppState>,
) -> Result<web::Json<IntegrityView>, ApiError> {
    let q = query.into_inner();
    let asked = (q.agency.as_deref(), q.period.as_deref());
    let r = report(&state.db, &caller, asked, rules(&state)).await?;
    Ok(web::Json(IntegrityView::from(&r)))
}
