//! Keeping views computed: the background refresh of the views recently asked for, and the
//! warm-up at the start. Both run as tasks for the life of the process, so they hold the state
//! the [`Context`] borrows from (an `Arc`) and a function that makes the context of it.

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use super::access::{members, subject_of};
use super::cache::Asked;
use super::context::Context;
use super::load::{Inputs, load_counts, unexpected};
use super::par;
use super::request::{ResultsQuery, TrendQuery};
use super::scan::month_cells;
use super::views::{compute_ranking, compute_result, compute_trend};
use crate::domain::agencies::Agency;
use crate::domain::auth::{Principal, Role};
use crate::domain::forms::FormSummary;
use crate::domain::periods::Period;
use crate::error::ApiError;
use crate::persistence::agencies;

/// Every `interval`, computes again each view asked for within the last `window` whose inputs
/// have changed (a kept view whose inputs are unchanged costs its two sums): the province's
/// pages, which take up to half a second to compute, are then usually found computed even while
/// responses and dossiers keep arriving. Runs until the task is aborted.
pub async fn refresh<S>(
    state: Arc<S>,
    context: fn(&S) -> Context<'_>,
    interval: Duration,
    window: Duration,
) {
    let cx = context(&state);
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        for (caller, asked) in cx.views.recently_asked(window) {
            let (_, computed) = cx.views.hits_and_misses();
            let outcome = match &asked {
                Asked::Result(q) => compute_result(&cx, &caller, q).await.map(drop),
                Asked::Trend(q) => compute_trend(&cx, &caller, q).await.map(drop),
                Asked::Ranking(q) => compute_ranking(&cx, &caller, q).await.map(drop),
                Asked::Par(q) => par::compute_par_scores(&cx, &caller, q).await.map(drop),
            };
            match outcome {
                Ok(()) if cx.views.hits_and_misses().1 > computed => {
                    cx.views.refreshed();
                }
                Ok(()) => {}
                // E.g. the agency was moved out of the caller's reach since.
                Err(e) => tracing::debug!(error = %e, "refreshing a result view failed"),
            }
        }
    }
}

/// The periods the pages open with (`http::pages::dashboard::opening_periods`), which the
/// warm-up computes.
#[derive(Debug, Clone)]
pub struct Opening {
    /// This year (the overview, items, compare and breakdowns pages).
    pub year: Period,
    /// Last year, the year a PAR assessment scores.
    pub last_year: Option<Period>,
    /// The last 24 months (the trend page).
    pub trend: Period,
}

/// Once, at the start: for each top-level agency and each form, in the background,
/// - the breakdown cells of every month of the last 24 months, by mode and by procedure field
///   (one scan of their answers, [`warm_months`]), so that a breakdown of any period in them is
///   a merge;
/// - the views an officer opens first: the subtree's overview of this year and its breakdowns
///   by mode and by procedure field, the overview of last year (the year PAR assesses), and the
///   trend over the last 24 months by month, quarter and year,
///
/// so that the per-agency memo (`results::memo`) holds every agency's bucket texts, cells,
/// estimates and month cells before the first request and a province's pages for any period
/// are computed from it (about 5 s of work for the province demo data set).
pub async fn warm_up<S>(state: Arc<S>, context: fn(&S) -> Context<'_>, opening: Opening) {
    let cx = context(&state);
    let started = std::time::Instant::now();
    let roots = match agencies::list_children(cx.db, None).await {
        Ok(roots) => roots,
        Err(e) => {
            cx.views.warmed_up();
            return tracing::warn!(error = %e, "warming the result memo up failed");
        }
    };
    let mut views = 0;
    for form in cx.forms.list() {
        for root in &roots {
            views += warm_root(&cx, &form, root, &opening).await;
        }
    }
    cx.views.warmed_up();
    tracing::info!(
        views,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "result memo warmed up"
    );
}

/// The warm-up of one top-level agency and form (see [`warm_up`]); returns the views computed.
async fn warm_root(
    cx: &Context<'_>,
    form: &FormSummary,
    root: &Agency,
    opening: &Opening,
) -> usize {
    let system = Principal {
        key_id: Uuid::nil(),
        role: Role::Admin,
        scope: None,
    };
    let (from, to) = opening.trend.month_range();
    let this_year = [None, Some("mode"), Some("procedure_field")].map(|by| (&opening.year, by));
    let last_year = opening.last_year.as_ref().map(|p| (p, None));
    let mut views = 0;
    if let Err(e) = warm_months(cx, &form.key, root, &opening.trend).await {
        tracing::warn!(error = %e, "scanning breakdown months failed");
    }
    let agency = Some(root.code.clone());
    for (period, by) in this_year.iter().copied().chain(last_year) {
        let q = ResultsQuery {
            agency: agency.clone(),
            form: Some(form.key.clone()),
            period: Some(period.label().to_owned()),
            subtree: Some("true".into()),
            by: by.map(str::to_owned),
            ..ResultsQuery::default()
        };
        views += usize::from(compute_result(cx, &system, &q).await.is_ok());
    }
    for step in ["month", "quarter", "year"] {
        let q = TrendQuery {
            agency: agency.clone(),
            form: Some(form.key.clone()),
            from: Some(from.clone()),
            to: Some(to.clone()),
            step: Some(step.into()),
            subtree: Some("true".into()),
            ..TrendQuery::default()
        };
        views += usize::from(compute_trend(cx, &system, &q).await.is_ok());
    }
    views
}

/// Scans the breakdown cells of every month of `period` for `root`'s subtree into the memo
/// (`results::MonthCells`), so that a breakdown of any period within it is a merge.
async fn warm_months(
    cx: &Context<'_>,
    form_key: &str,
    root: &Agency,
    period: &Period,
) -> Result<(), ApiError> {
    let Some(current) = cx.forms.current(form_key) else {
        return Ok(());
    };
    let ids = members(&subject_of(cx, root, true).await?);
    let inputs = Inputs::read(cx, form_key, &ids, period).await?;
    let (form, _) = inputs.version(cx, current, None)?;
    let counts = load_counts(cx, form, (&ids, period), &inputs).await?;
    // A quarter at a time: the answers read at once stay a few megabytes.
    let months: Vec<String> = period.months().map(|m| m.to_string()).collect();
    for quarter in months.chunks(3) {
        let (Some(first), Some(last)) = (quarter.first(), quarter.last()) else {
            continue;
        };
        let part = Period::range(first, last).map_err(unexpected)?;
        month_cells(cx, form, &counts, &ids, &part).await?;
    }
    Ok(())
}
