//! Sample planning (methodology §5): `GET /api/v1/sampling` — target, questionnaires received,
//! margin achieved and shortfall of one agency, form and period — and the follow-up list of an
//! open month, drawn at random from the agency's unanswered dossiers, as many as the shortfall
//! needs at the observed response rate.
//!
//! The counts are those a result already publishes (closed months) and shows live
//! (`open_months`): the plan is computed from the agency's own result, under the same access
//! rules, so it reveals nothing a result does not. The follow-up list names dossiers that have
//! not answered; the agency can already tell that from its links (docs/privacy.md), and the
//! list is for the agency itself only — not its parents, not the pipeline.

use chrono::Utc;
use rand::seq::IndexedRandom;
use serde::Deserialize;

use crate::app::results::request::{invalid, required};
use crate::app::results::{self, Context, ResultsQuery, readable_agency};
use crate::domain::agencies::Agency;
use crate::domain::auth::{Principal, Role};
use crate::domain::periods::{Month, Period};
use crate::domain::publication;
use crate::domain::results::ResultView;
use crate::domain::sampling::{self, SampleCounts, SamplingTarget, SamplingView};
use crate::error::ApiError;
use crate::persistence::follow_up::{self, FollowUpDossier};
use crate::persistence::months;

/// Query of `GET /api/v1/sampling`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SamplingQuery {
    /// The agency's code.
    pub agency: Option<String>,
    /// The form key; default: the agency's default form.
    pub form: Option<String>,
    /// A form version; default: the one the agency's result of the period shows (the newest
    /// with responses in its closed months, else the current one). N and n are that version's.
    pub version: Option<String>,
    /// `YYYY`, `YYYY-Qn`, `YYYY-Hn` or `YYYY-MM`; or give `from` and `to`.
    pub period: Option<String>,
    /// First month, `YYYY-MM` (with `to`).
    pub from: Option<String>,
    /// Last month, `YYYY-MM` (inclusive).
    pub to: Option<String>,
}

/// Query of `GET /api/v1/sampling/follow-up`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FollowUpQuery {
    /// The agency's code: the caller's own agency.
    pub agency: Option<String>,
    /// The form key; default: the agency's default form.
    pub form: Option<String>,
    /// A form version; default: as for the plan of the month. Only dossiers registered with it
    /// are drawn.
    pub version: Option<String>,
    /// The open month, `YYYY-MM`.
    pub month: Option<String>,
}

/// The follow-up list of one agency, form and open month.
#[derive(Debug, Clone)]
pub struct FollowUpList {
    pub agency: String,
    pub form_key: String,
    pub month: String,
    /// The month's plan the list answers.
    pub plan: SamplingView,
    /// Unanswered dossiers with a working link, of which `dossiers` were drawn.
    pub available: u64,
    pub dossiers: Vec<FollowUpDossier>,
}

/// `GET /api/v1/sampling`: the plan of an agency the caller may read.
pub async fn plan(
    cx: &Context<'_>,
    target: SamplingTarget,
    caller: &Principal,
    q: &SamplingQuery,
) -> Result<SamplingView, ApiError> {
    let agency = readable_agency(cx.db, caller, "agency", required("agency", &q.agency)?).await?;
    plan_for(cx, target, caller, &agency, q).await
}

/// The plan of `agency`, already found and readable by `caller`, for the form and period of `q`
/// (its `agency` is not read again).
async fn plan_for(
    cx: &Context<'_>,
    target: SamplingTarget,
    caller: &Principal,
    agency: &Agency,
    q: &SamplingQuery,
) -> Result<SamplingView, ApiError> {
    let form = q
        .form
        .clone()
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| agency.default_form.clone());
    let asked = ResultsQuery {
        agency: Some(agency.code.clone()),
        form: Some(form.clone()),
        version: q.version.clone(),
        period: q.period.clone(),
        from: q.from.clone(),
        to: q.to.clone(),
        ..ResultsQuery::default()
    };
    let view = results::result(cx, caller, &asked).await?;
    let label = Period::from_query(q.period.as_deref(), q.from.as_deref(), q.to.as_deref())
        .map(|p| p.label().to_owned())
        .unwrap_or_else(|_| view.period.clone());
    Ok(plan_of(&view, &label, target))
}

/// The plan of an agency's own result (not a subtree's) over the period labelled `period`: its
/// published counts and the live counts of its open months, all of the result's form version.
/// A period that spans two versions is planned per version: the questionnaires of one do not
/// make up the sample of the other, whose index they do not enter.
pub fn plan_of(view: &ResultView, period: &str, target: SamplingTarget) -> SamplingView {
    let open = view.open_months.as_ref();
    let counts = SampleCounts {
        registered: view.invited + open.map_or(0, |o| o.invited),
        received: view.responses + open.map_or(0, |o| o.received),
    };
    sampling::plan(
        (&view.agency, (&view.form.key, view.form.version), period),
        counts,
        target,
        view.published_through.clone(),
    )
}

/// `GET /api/v1/sampling/follow-up`: for the caller's own agency (or an administrator), a
/// simple random sample without replacement of the month's unanswered dossiers.
pub async fn follow_up(
    cx: &Context<'_>,
    target: SamplingTarget,
    caller: &Principal,
    q: &FollowUpQuery,
) -> Result<FollowUpList, ApiError> {
    let raw = required("agency", &q.agency)?;
    let agency = readable_agency(cx.db, caller, "agency", raw).await?;
    let own = caller.scope.as_ref().is_some_and(|s| s.id == agency.id);
    if !(own || caller.role == Role::Admin) {
        return Err(ApiError::Forbidden);
    }
    let month = open_month(cx, required("month", &q.month)?).await?;
    let month_query = SamplingQuery {
        form: q.form.clone(),
        version: q.version.clone(),
        period: Some(month.to_string()),
        ..SamplingQuery::default()
    };
    let plan = plan_for(cx, target, caller, &agency, &month_query).await?;
    let range = (publication::starts_at(month), publication::ends_at(month));
    let form = (plan.form_key.as_str(), plan.form_version);
    let pool = follow_up::unanswered(cx.db, (agency.id, form), range, Utc::now()).await?;
    let available = pool.len() as u64;
    let size = sampling::follow_up_size(
        plan.shortfall.yamane,
        (plan.received, plan.registered),
        available,
    );
    let mut dossiers: Vec<FollowUpDossier> = pool
        .sample(
            &mut rand::rng(),
            usize::try_from(size).unwrap_or(usize::MAX),
        )
        .cloned()
        .collect();
    dossiers.sort_by(|a, b| a.dossier_code.cmp(&b.dossier_code));
    Ok(FollowUpList {
        agency: agency.code,
        form_key: plan.form_key.clone(),
        month: month.to_string(),
        plan,
        available,
        dossiers,
    })
}

/// `raw` as a month that is not closed yet: a closed month's links have ended, so following
/// it up through the survey is over (late paper entries need no list).
async fn open_month(cx: &Context<'_>, raw: &str) -> Result<Month, ApiError> {
    let month =
        Month::parse(raw).ok_or_else(|| invalid("month", "invalid_month", "must be YYYY-MM"))?;
    let closed = months::published_through(cx.db).await?;
    if closed.is_some_and(|c| month <= c) {
        return Err(invalid(
            "month",
            "month_closed",
            "is closed: its survey links have ended",
        ));
    }
    Ok(month)
}
