//! `GET /api/v1/results/channels`: response rates by invitation channel (QR code only, e-mail,
//! SMS) of an agency over the closed months of a period (`app::reach`; api.md "Results").

use actix_web::{get, web};
use serde::{Deserialize, Serialize};

use crate::app::reach::{ChannelRate, ReachReport, rates};
use crate::app::results::request::flag;
use crate::error::ApiError;
use crate::http::auth::Caller;
use crate::state::AppState;

/// The query, as text so that a bad value is a 422 naming it.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ChannelsQuery {
    /// The agency's code.
    pub agency: Option<String>,
    /// `YYYY`, `YYYY-Qn`, `YYYY-Hn` or `YYYY-MM` (required).
    pub period: Option<String>,
    /// `true`: the agency and every agency below it, pooled.
    pub subtree: Option<String>,
}

/// One channel.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChannelRateView {
    /// `qr` (only the QR code on the receipt), `email` or `sms`.
    pub channel: &'static str,
    /// Dossiers invited through the channel; `null` when suppressed.
    pub registered: Option<u64>,
    /// Of which answered.
    pub answered: Option<u64>,
    /// A fraction (0–1), with its Wilson 95 % interval.
    pub rate: Option<f64>,
    pub ci_lower: Option<f64>,
    pub ci_upper: Option<f64>,
    /// Fewer than `results.suppress_below` dossiers.
    pub suppressed: bool,
}

/// The rates.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChannelsView {
    pub agency_code: String,
    pub subtree: bool,
    pub period: String,
    /// The last closed month: the figures cover the period's months up to it.
    pub published_through: Option<String>,
    pub channels: Vec<ChannelRateView>,
}

impl From<&ChannelRate> for ChannelRateView {
    fn from(c: &ChannelRate) -> Self {
        ChannelRateView {
            channel: c.channel,
            registered: c.registered,
            answered: c.answered,
            rate: c.rate,
            ci_lower: c.ci.map(|i| i.lower),
            ci_upper: c.ci.map(|i| i.upper),
            suppressed: c.suppressed,
        }
    }
}

impl From<&ReachReport> for ChannelsView {
    fn from(r: &ReachReport) -> Self {
        ChannelsView {
            agency_code: r.agency.code.clone(),
            subtree: r.subtree,
            period: r.period.clone(),
            published_through: r.published_through.clone(),
            channels: r.channels.iter().map(ChannelRateView::from).collect(),
        }
    }
}

#[utoipa::path(
    tag = "results",
    params(ChannelsQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, body = ChannelsView),
        (status = 401, description = "no valid key (`unauthorized`)"),
        (status = 403, description = "outside the key's subtree (`forbidden`)"),
        (status = 422, description = "a bad parameter (`validation_failed`, `unknown_agency`)"),
    )
)]
#[get("/results/channels")]
pub async fn get_channels(
    caller: Caller,
    query: web::Query<ChannelsQuery>,
    state: web::Data<AppState>,
) -> Result<web::Json<ChannelsView>, ApiError> {
    let q = query.into_inner();
    let subtree = flag("subtree", &q.subtree)?;
    let asked = (q.agency.as_deref(), q.period, subtree);
    let suppress = state.settings.results.suppress_below;
    let r = rates(&state.db, &caller, asked, suppress).await?;
    Ok(web::Json(ChannelsView::from(&r)))
}
