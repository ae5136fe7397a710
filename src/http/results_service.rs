//! The results service: everything `GET /api/v1/results`, `/results/trend`, `/rankings` and
//! `/par/scores` do between parsing the query and serialising the view, for whoever asks — an API
//! key or a signed-in officer, both a [`Principal`] — so the API handlers (`http::results`) and
//! the officer's dashboard pages (`http::pages::dashboard`) compute the same figures under the
//! same rules.
//!
//! Each entry point takes the request's parameters as the API receives them (text, so a bad
//! value is a 422 naming the field: `validation_failed`, `unknown_agency`, `unknown_form`),
//! checks who may see what, reads the counts (`persistence::aggregates`: score buckets and
//! registered-dossier counts of the period's months, plus a scan of the responses for
//! `by=mode|procedure_field`) and hands them to `domain::results`, which computes and shapes
//! everything.
//!
//! Who sees what: an agency principal reads its own subtree (anything else is 403 `forbidden`,
//! whether it exists or not); pipeline and admin principals read every agency. PAR scores list
//! only the agencies the principal may read ([`par_scores`]); the API additionally keeps them
//! for the pipeline and admins.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use super::results::{ParQuery, RankingQuery, ResultsQuery, TrendQuery};
use crate::domain::agencies::{Agency, AgencyCode, AgencyKind};
use crate::domain::aggregates::BucketError;
use crate::domain::auth::{Principal, Role};
use crate::domain::forms::PublishedForm;
use crate::domain::periods::{Month, Period};
use crate::domain::results::cache::{CacheKey, ViewCache};
use crate::domain::results::memo::{Listing, RowKey};
use crate::domain::results::{
    self, AgencyRef, AgencyRows, Aggregate, Breakdown, BreakdownCellInput, Counts, Design,
    Dimension, MonthCells, OpenMonthsView, Options, ParScoresView, RankingInput, RankingView,
    ResultRequest, ResultView, ScannedAnswers, Subject, TrendRequest, TrendView, VersionChoice,
};
use crate::error::{ApiError, FieldError};
use crate::http::pages::dashboard::OpeningPeriods;
use crate::persistence::breakdowns;
use crate::persistence::months;
use crate::persistence::{agencies, aggregates};
use crate::state::AppState;

/// A 422 `validation_failed` for one query parameter.
pub(crate) fn invalid(field: &str, code: &str, message: impl Into<String>) -> ApiError {
    let message = message.into();
    ApiError::Validation {
        detail: format!("`{field}`: {message}."),
        errors: vec![FieldError::new(field, code, message)],
    }
}

pub(crate) fn required<'a>(field: &str, value: &'a Option<String>) -> Result<&'a str, ApiError> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| invalid(field, "missing", "is required"))
}

/// An optional parameter parsed by `parse`, `default` when absent or empty.
pub(crate) fn choice<T>(
    field: &str,
    value: &Option<String>,
    default: T,
    parse: impl Fn(&str) -> Option<T>,
    allowed: &str,
) -> Result<T, ApiError> {
    match value.as_deref().filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(raw) => {
            parse(raw).ok_or_else(|| invalid(field, "invalid_value", format!("must be {allowed}")))
        }
    }
}

pub(crate) fn flag(field: &str, value: &Option<String>) -> Result<bool, ApiError> {
    choice(
        field,
        value,
        false,
        |v| match v {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        "`true` or `false`",
    )
}

pub(crate) fn period(
    period: &Option<String>,
    from: &Option<String>,
    to: &Option<String>,
) -> Result<Period, ApiError> {
    Ok(Period::from_query(
        period.as_deref(),
        from.as_deref(),
        to.as_deref(),
    )?)
}

/// The part of the asked period that is published — its months up to the last closed month,
/// under the same label (`Period::through`) — and that month: nothing computed from answers
/// reaches a month still open (docs/privacy.md, "Publication by closed month").
pub(crate) async fn published(
    state: &AppState,
    asked: &Period,
) -> Result<(Period, Option<Month>), ApiError> {
    let through = months::published_through(&state.db).await?;
    Ok((asked.through(through), through))
}

/// The live counts of the months of `asked` after `through` (not yet published) for
/// `agencies`: dossiers registered and questionnaires received, and the response rate so far;
/// `None` when every month of the period is closed.
async fn open_months(
    state: &AppState,
    (agencies, form_key): (&[Uuid], &str),
    asked: &Period,
    through: Option<Month>,
) -> Result<Option<OpenMonthsView>, ApiError> {
    let first = match through {
        Some(t) if t >= asked.last() => return Ok(None),
        Some(t) if t >= asked.first() => t.next(),
        _ => asked.first(),
    };
    let (from, to) = (first.to_string(), asked.last().to_string());
    let received: u64 = months::pending_counts(&state.db, agencies, form_key, (&from, &to))
        .await?
        .iter()
        .map(|(_, n)| n)
        .sum();
    let invited: u64 = aggregates::dossier_counts(&state.db, agencies, form_key, &from, &to)
        .await?
        .iter()
        .map(|r| r.dossiers)
        .sum();
    Ok(Some(OpenMonthsView {
        from,
        to,
        invited,
        received,
        response_rate: (invited > 0).then(|| 100.0 * received as f64 / invited as f64),
    }))
}

/// The agency named by query field `field`, if the caller may read it: an agency key gets 403
/// for anything outside its subtree, existing or not; other keys get 422 `unknown_agency` for
/// a code no agency has.
pub(crate) async fn readable_agency(
    state: &AppState,
    caller: &Principal,
    field: &str,
    raw: &str,
) -> Result<Agency, ApiError> {
    // A malformed code names no agency anywhere, so saying so leaks nothing.
    let code = AgencyCode::parse(raw).map_err(|p| invalid(field, p.code(), p.to_string()))?;
    match agencies::find_by_code(&state.db, code.as_str()).await? {
        Some(agency) if caller.may_read_agency(&agency.path) => Ok(agency),
        Some(_) => Err(ApiError::Forbidden),
        None if !caller.reads_every_agency() => Err(ApiError::Forbidden),
        None => Err(ApiError::Rejected {
            code: "unknown_agency",
            detail: format!("`{field}` names no registered agency."),
            errors: vec![FieldError::new(
                field,
                "unknown_agency",
                "names no registered agency",
            )],
        }),
    }
}

fn unknown_form(field: &str, what: &str) -> ApiError {
    ApiError::Rejected {
        code: "unknown_form",
        detail: format!("`{field}` names no {what}."),
        errors: vec![FieldError::new(
            field,
            "unknown_form",
            format!("names no {what}"),
        )],
    }
}

/// The form key's current version and the requested version, if any (both checked).
pub(crate) fn form_of<'a>(
    state: &'a AppState,
    key: &Option<String>,
    version: &Option<String>,
) -> Result<(&'a Arc<PublishedForm>, Option<u32>), ApiError> {
    let key = required("form", key)?;
    let current = state
        .forms
        .current(key)
        .ok_or_else(|| unknown_form("form", "published form"))?;
    let requested = match version.as_deref().filter(|v| !v.is_empty()) {
        None => None,
        Some(raw) => {
            let v: u32 = raw
                .parse()
                .map_err(|_| invalid("version", "invalid_value", "must be a version number"))?;
            state
                .forms
                .version(key, v)
                .ok_or_else(|| unknown_form("version", "version of this form"))?;
            Some(v)
        }
    };
    Ok((current, requested))
}

/// Settings and request options of a result.
fn options(
    state: &AppState,
    form: &PublishedForm,
    level: &Option<String>,
    lang: &Option<String>,
) -> Result<Options, ApiError> {
    let level = choice(
        "level",
        level,
        0.95,
        results::parse_level,
        "0.90, 0.95 or 0.99",
    )?;
    let lang = match lang.as_deref().filter(|v| !v.is_empty()) {
        None => "vi".to_owned(),
        Some(l) if form.definition.languages().iter().any(|x| x == l) => l.to_owned(),
        Some(_) => {
            return Err(invalid(
                "lang",
                "unsupported_language",
                format!("must be one of {}", form.definition.languages().join(", ")),
            ));
        }
    };
    let r = &state.settings.results;
    Ok(Options {
        level,
        thresholds: crate::stats::ReliabilityThresholds {
            suppress_below: r.suppress_below,
            low_reliability_below: r.low_reliability_below,
            max_ci_width: r.max_ci_width,
        },
        d766_enabled: state.settings.indicators.d766.enabled,
        d766_rule: state.settings.indicators.d766.dissatisfied_rule,
        lang,
    })
}

pub(crate) fn agency_ref(a: &Agency) -> AgencyRef {
    AgencyRef {
        id: a.id,
        code: a.code.clone(),
        name: a.name_vi.clone(),
        name_en: a.name_en.clone(),
        kind: a.kind.as_str().to_owned(),
    }
}

pub(crate) fn unexpected(e: impl std::fmt::Display) -> ApiError {
    ApiError::Unexpected(anyhow::anyhow!("results: {e}"))
}

/// What a view is computed from in storage, summed without reading any counts
/// (`aggregates::input_sums`): enough to choose the version and to know whether a view computed
/// earlier still holds (`domain::results::cache`).
struct Inputs {
    sums: aggregates::InputSums,
}

impl Inputs {
    async fn read(
        state: &AppState,
        form_key: &str,
        agencies: &[Uuid],
        period: &Period,
    ) -> Result<Self, ApiError> {
        let (from, to) = period.month_range();
        Ok(Self {
            sums: aggregates::input_sums(&state.db, agencies, form_key, &from, &to).await?,
        })
    }

    /// The version a view shows (see `results::choose_version`).
    fn version<'a>(
        &self,
        state: &'a AppState,
        current: &Arc<PublishedForm>,
        requested: Option<u32>,
    ) -> Result<(&'a Arc<PublishedForm>, VersionChoice), ApiError> {
        let key = current.definition.key();
        let (version, choice) = results::choose_version(
            self.sums
                .buckets
                .keys()
                .filter_map(|v| u32::try_from(*v).ok()),
            requested,
            current.definition.version(),
        );
        let form = state.forms.version(key, version).ok_or_else(|| {
            unexpected(format!(
                "responses of {key} v{version}, a version not loaded"
            ))
        })?;
        Ok((form, choice))
    }

    /// The cache key of the view `what` asks for (its `Debug` form: every field of every part,
    /// so that no parameter can be left out of the key) computed from these inputs.
    fn key(&self, what: &str, request: &impl std::fmt::Debug) -> CacheKey {
        CacheKey::new(&(what, format!("{request:?}")), &self.sums)
    }
}

/// The counts of `agencies` in the period, of `form`'s version, as stored, with their
/// revisions (and maybe rows of other months, which every use of counts leaves out). An
/// agency's rows are taken from the memo's listing when it covers the period and its rows'
/// revision sums in the period are those of `inputs`, read from the database for this request
/// (the same rows, but for a chance of about 2⁻⁶²); else its rows and revisions are listed from
/// an index, and the counts are read only for the agencies with a row whose text this node has
/// not kept at its revision (`results::memo`).
async fn load_counts(
    state: &AppState,
    form: &PublishedForm,
    (agencies, period): (&[Uuid], &Period),
    inputs: &Inputs,
) -> Result<Counts, ApiError> {
    let (from, to) = period.month_range();
    let (key, version) = (form.definition.key(), form.definition.version());
    let memo = &state.views.memo;
    let row_key =
        |agency, month: &str, channel: &str| RowKey::new(agency, (key, version), month, channel);
    let mut counts = Counts::with_memo(form.score.clone(), memo.clone(), key, version);

    // The agencies to list, and the months to list them over: those asked for, widened to
    // those of their kept listings, so that one listing per agency serves every period within.
    let mut to_list: Vec<Uuid> = Vec::new();
    let (mut list_from, mut list_to) = (from.clone(), to.clone());
    let stored_version = i32::try_from(version).unwrap_or(i32::MAX);
    for &agency in agencies {
        // An agency without sums has no rows in these months.
        let Some(sums) = inputs.sums.agencies.get(&agency) else {
            continue;
        };
        let buckets = sums
            .buckets
            .get(&stored_version)
            .copied()
            .unwrap_or_default();
        match memo.listing(agency, (key, version)) {
            Some(kept) if holds(&kept, (&from, &to), (buckets, sums.dossiers)) => {
                counts.add_agency(agency, kept.rows.clone());
            }
            Some(kept) => {
                list_from = list_from.min(kept.from.clone());
                list_to = list_to.max(kept.to.clone());
                to_list.push(agency);
            }
            None => to_list.push(agency),
        }
    }
    if to_list.is_empty() {
        return Ok(counts);
    }
    let (ids, from, to) = (to_list, list_from, list_to);
    let mut rows: HashMap<Uuid, AgencyRows> = HashMap::new();
    let listed = aggregates::bucket_revisions(&state.db, &ids, (key, version), &from, &to).await?;
    let keys: Vec<(RowKey, i64)> = (listed.iter())
        .map(|(agency, month, channel, revision)| (row_key(*agency, month, channel), *revision))
        .collect();
    let mut unread: Vec<Uuid> = Vec::new();
    for ((agency, month, channel, revision), text) in listed.into_iter().zip(memo.texts(&keys)) {
        match text {
            Some(text) => (rows.entry(agency).or_default()).add_bucket(
                (&month, &channel),
                Some(revision),
                text,
            ),
            None => unread.push(agency),
        }
    }
    unread.sort_unstable();
    unread.dedup();
    if !unread.is_empty() {
        for agency in &unread {
            rows.remove(agency);
        }
        for row in aggregates::buckets(&state.db, &unread, (key, version), &from, &to).await? {
            let text: Arc<str> = Arc::from(row.counts);
            let at = (row.period_month.as_str(), row.channel.as_str());
            memo.keep_text(
                row_key(row.agency_id, at.0, at.1),
                row.revision,
                text.clone(),
            );
            (rows.entry(row.agency_id).or_default()).add_bucket(at, Some(row.revision), text);
        }
    }
    for row in aggregates::dossier_counts(&state.db, &ids, key, &from, &to).await? {
        (rows.entry(row.agency_id).or_default()).add_dossiers(
            (&row.period_month, &row.channel),
            Some(row.revision),
            row.dossiers,
        );
    }
    for agency in ids {
        let rows = Arc::new(rows.remove(&agency).unwrap_or_default());
        let listing = Listing {
            from: from.clone(),
            to: to.clone(),
            rows: rows.clone(),
        };
        memo.keep_listing(agency, (key, version), Arc::new(listing));
        counts.add_agency(agency, rows);
    }
    Ok(counts)
}

/// Whether `listing` covers months `from..=to` and holds there the rows whose revision sums
/// (of score buckets, of dossier counts) the database has now.
fn holds(
    listing: &Listing,
    (from, to): (&str, &str),
    now: (aggregates::RevisionSums, aggregates::RevisionSums),
) -> bool {
    listing.from.as_str() <= from
        && to <= listing.to.as_str()
        && listing.rows.sums_in(from, to) == Some(now)
}

/// Runs the CPU-bound part of a computation on tokio's blocking pool, off the thread that
/// serves requests: a province-wide view computed from nothing takes up to half a second.
async fn off_thread<T, E>(f: impl FnOnce() -> Result<T, E> + Send + 'static) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(unexpected)?
        .map_err(unexpected)
}

/// The view kept for `key` in `cache`, or `compute`'s, then kept.
async fn cached<V: Clone>(
    cache: &ViewCache<V>,
    key: CacheKey,
    compute: impl std::future::Future<Output = Result<V, ApiError>>,
) -> Result<V, ApiError> {
    if let Some(view) = cache.get(&key) {
        return Ok((*view).clone());
    }
    let view = compute.await?;
    cache.put(key, Arc::new(view.clone()));
    Ok(view)
}

/// One view as an officer or a key asked for it: computed again in the background
/// ([`refresh`]) when its inputs change, so that the next request finds it kept.
#[derive(Debug, Clone)]
pub(crate) enum Asked {
    Result(ResultsQuery),
    Trend(TrendQuery),
    Ranking(RankingQuery),
    Par(ParQuery),
}

/// `GET /api/v1/results` (see [`compute_result`]), remembered for [`refresh`].
pub(crate) async fn result(
    state: &AppState,
    caller: &Principal,
    q: &ResultsQuery,
) -> Result<ResultView, ApiError> {
    let view = compute_result(state, caller, q).await?;
    state.views.asked(caller, Asked::Result(q.clone()));
    Ok(view)
}

/// `GET /api/v1/results/trend` (see [`compute_trend`]), remembered for [`refresh`].
pub(crate) async fn trend(
    state: &AppState,
    caller: &Principal,
    q: &TrendQuery,
) -> Result<TrendView, ApiError> {
    let view = compute_trend(state, caller, q).await?;
    state.views.asked(caller, Asked::Trend(q.clone()));
    Ok(view)
}

/// `GET /api/v1/rankings` (see [`compute_ranking`]), remembered for [`refresh`].
pub(crate) async fn ranking(
    state: &AppState,
    caller: &Principal,
    q: &RankingQuery,
) -> Result<RankingView, ApiError> {
    let view = compute_ranking(state, caller, q).await?;
    state.views.asked(caller, Asked::Ranking(q.clone()));
    Ok(view)
}

/// `GET /api/v1/par/scores` (see [`compute_par_scores`]), remembered for [`refresh`].
pub(crate) async fn par_scores(
    state: &AppState,
    caller: &Principal,
    q: &ParQuery,
) -> Result<(ParScoresView, Option<bool>), ApiError> {
    let view = compute_par_scores(state, caller, q).await?;
    state.views.asked(caller, Asked::Par(q.clone()));
    Ok(view)
}

/// Every `interval`, computes again each view asked for within the last `window` whose inputs
/// have changed (a kept view whose inputs are unchanged costs its two sums): the province's
/// pages, which take up to half a second to compute, are then usually found computed even while
/// responses and dossiers keep arriving. Runs until the task is aborted.
pub async fn refresh(state: actix_web::web::Data<AppState>, interval: Duration, window: Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        for (caller, asked) in state.views.recently_asked(window) {
            let (_, computed) = state.views.hits_and_misses();
            let outcome = match &asked {
                Asked::Result(q) => compute_result(&state, &caller, q).await.map(drop),
                Asked::Trend(q) => compute_trend(&state, &caller, q).await.map(drop),
                Asked::Ranking(q) => compute_ranking(&state, &caller, q).await.map(drop),
                Asked::Par(q) => compute_par_scores(&state, &caller, q).await.map(drop),
            };
            match outcome {
                Ok(()) if state.views.hits_and_misses().1 > computed => {
                    state.views.refreshed();
                }
                Ok(()) => {}
                // E.g. the agency was moved out of the caller's reach since.
                Err(e) => tracing::debug!(error = %e, "refreshing a result view failed"),
            }
        }
    }
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
pub(crate) async fn warm_up(state: actix_web::web::Data<AppState>, opening: OpeningPeriods) {
    let started = std::time::Instant::now();
    let system = Principal {
        key_id: Uuid::nil(),
        role: Role::Admin,
        scope: None,
    };
    let roots = match agencies::list_children(&state.db, None).await {
        Ok(roots) => roots,
        Err(e) => {
            state.views.warmed_up();
            return tracing::warn!(error = %e, "warming the result memo up failed");
        }
    };
    let (from, to) = opening.trend.month_range();
    let this_year = [None, Some("mode"), Some("procedure_field")].map(|by| (&opening.year, by));
    let last_year = opening.last_year.as_ref().map(|p| (p, None));
    let mut views = 0;
    for form in state.forms.list() {
        for root in &roots {
            if let Err(e) = warm_months(&state, &form.key, root, &opening.trend).await {
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
                views += usize::from(compute_result(&state, &system, &q).await.is_ok());
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
                views += usize::from(compute_trend(&state, &system, &q).await.is_ok());
            }
        }
    }
    state.views.warmed_up();
    tracing::info!(
        views,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "result memo warmed up"
    );
}

/// Scans the breakdown cells of every month of `period` for `root`'s subtree into the memo
/// (`results::MonthCells`), so that a breakdown of any period within it is a merge.
async fn warm_months(
    state: &AppState,
    form_key: &str,
    root: &Agency,
    period: &Period,
) -> Result<(), ApiError> {
    let Some(current) = state.forms.current(form_key) else {
        return Ok(());
    };
    let ids = members(&subject_of(state, root, true).await?);
    let inputs = Inputs::read(state, form_key, &ids, period).await?;
    let (form, _) = inputs.version(state, current, None)?;
    let counts = load_counts(state, form, (&ids, period), &inputs).await?;
    // A quarter at a time: the answers read at once stay a few megabytes.
    let months: Vec<String> = period.months().map(|m| m.to_string()).collect();
    for quarter in months.chunks(3) {
        let (Some(first), Some(last)) = (quarter.first(), quarter.last()) else {
            continue;
        };
        let part = Period::range(first, last).map_err(unexpected)?;
        month_cells(state, form, &counts, &ids, &part).await?;
    }
    Ok(())
}

/// The subject of an agency: itself, or its subtree (with the members' ids).
async fn subject_of(state: &AppState, agency: &Agency, subtree: bool) -> Result<Subject, ApiError> {
    if !subtree {
        return Ok(Subject::Agency(agency_ref(agency)));
    }
    let members = agencies::subtree(&state.db, &agency.path)
        .await?
        .iter()
        .map(|a| a.id)
        .collect();
    Ok(Subject::Subtree {
        root: agency_ref(agency),
        members,
    })
}

fn members(subject: &Subject) -> Vec<Uuid> {
    match subject {
        Subject::Agency(a) => vec![a.id],
        Subject::Subtree { members, .. } => members.clone(),
    }
}

fn design_of(raw: &Option<String>) -> Result<Design, ApiError> {
    choice(
        "design",
        raw,
        Design::SrsFpc,
        Design::parse,
        "srs_fpc, srs or stratified",
    )
}

fn aggregate_of(raw: &Option<String>) -> Result<Aggregate, ApiError> {
    choice(
        "aggregate",
        raw,
        Aggregate::Mean,
        Aggregate::parse,
        "mean or pooled",
    )
}

/// One agency (or its subtree) × form × period: the SIPAS index and its tree, the items, PAR
/// points, the Decision 766 ratio, and an optional breakdown (`GET /api/v1/results`).
async fn compute_result(
    state: &AppState,
    caller: &Principal,
    q: &ResultsQuery,
) -> Result<ResultView, ApiError> {
    let agency = readable_agency(state, caller, "agency", required("agency", &q.agency)?).await?;
    let (current, requested) = form_of(state, &q.form, &q.version)?;
    let asked = period(&q.period, &q.from, &q.to)?;
    let (period, through) = published(state, &asked).await?;
    let subtree = flag("subtree", &q.subtree)?;
    let design = design_of(&q.design)?;
    let aggregate = aggregate_of(&q.aggregate)?;
    let by = match q.by.as_deref().filter(|v| !v.is_empty()) {
        None => None,
        Some(raw) => Some(Dimension::parse(raw).ok_or_else(|| {
            invalid(
                "by",
                "unknown_dimension",
                "must be channel, mode or procedure_field",
            )
        })?),
    };
    let subject = subject_of(state, &agency, subtree).await?;
    let ids = members(&subject);
    let inputs = Inputs::read(state, current.definition.key(), &ids, &period).await?;
    let (form, version_choice) = inputs.version(state, current, requested)?;
    let options = options(state, form, &q.level, &q.lang)?;
    let key = inputs.key(
        "result",
        &(
            &subject,
            form.definition.version(),
            version_choice,
            &period,
            (design, aggregate, by),
            &options,
        ),
    );
    let mut view = cached(&state.views.results, key, async {
        let counts = load_counts(state, form, (&ids, &period), &inputs).await?;
        let breakdown = match by {
            None => None,
            Some(Dimension::Channel) => Some(Breakdown::Channel),
            Some(dim) => {
                let cells = scan(state, form, &counts, &ids, &period, dim).await?;
                Some(Breakdown::Scanned { by: dim, cells })
            }
        };
        let (form, period) = (form.clone(), period.clone());
        off_thread(move || {
            results::agency_result(
                &counts,
                &ResultRequest {
                    subject,
                    form: &form.definition,
                    version_choice,
                    period: &period,
                    design,
                    aggregate,
                    breakdown,
                    options: &options,
                },
            )
        })
        .await
    })
    .await?;
    view.published_through = through.map(|m| m.to_string());
    view.open_months = open_months(state, (&ids, form.definition.key()), &asked, through).await?;
    view.pending = view.open_months.as_ref().map_or(0, |o| o.received);
    Ok(view)
}

/// The breakdown cells of `agencies` by mode or procedure field over `period`: each agency's
/// cells over the period as kept in the memo while its responses are unchanged, else added up
/// from its months' cells ([`month_cells`]) and kept.
async fn scan(
    state: &AppState,
    form: &PublishedForm,
    counts: &Counts,
    agencies: &[Uuid],
    period: &Period,
    dim: Dimension,
) -> Result<Vec<BreakdownCellInput>, ApiError> {
    let (from, to) = period.month_range();
    let memo = &state.views.memo;
    let what = ("scanned", format!("{dim:?}"));
    let mut parts: Vec<Arc<Vec<BreakdownCellInput>>> = Vec::new();
    let mut missing: Vec<(Uuid, Option<u64>)> = Vec::new();
    for &agency in agencies {
        let key = counts.responses_fingerprint(agency, (&from, &to), &what);
        match key.and_then(|k| memo.scanned(k)) {
            Some(cells) => parts.push(cells),
            None => missing.push((agency, key)),
        }
    }
    let ids: Vec<Uuid> = missing.iter().map(|(a, _)| *a).collect();
    let months = month_cells(state, form, counts, &ids, period).await?;
    let shape = form.score.clone();
    let merged = off_thread(move || {
        let merged = results::on_all_cores(&months, |months| {
            results::merge_months(&shape, months.iter().map(|m| m.as_ref()), dim).map(Arc::new)
        });
        merged.into_iter().collect::<Result<Vec<_>, BucketError>>()
    })
    .await?;
    for ((_, key), cells) in missing.into_iter().zip(merged) {
        if let Some(key) = key {
            memo.keep_scanned(key, cells.clone());
        }
        parts.push(cells);
    }
    BreakdownCellInput::merged(&form.score, parts.iter().map(|p| p.as_slice())).map_err(unexpected)
}

/// The breakdown cells of each of `agencies`' months in `period` that has responses
/// (`results::MonthCells`), in the order of `agencies`: as kept in the memo at the month's
/// current revisions, else scanned from the responses — both dimensions at once, each answer
/// parsed once — and kept.
async fn month_cells(
    state: &AppState,
    form: &PublishedForm,
    counts: &Counts,
    agencies: &[Uuid],
    period: &Period,
) -> Result<Vec<Vec<Arc<MonthCells>>>, ApiError> {
    let (from, to) = period.month_range();
    let memo = &state.views.memo;
    let mut out: Vec<Vec<Arc<MonthCells>>> = vec![Vec::new(); agencies.len()];
    // The months to scan: (position in `agencies`, agency, month, key).
    let mut unread: Vec<(usize, Uuid, String, Option<u64>)> = Vec::new();
    for (at, &agency) in agencies.iter().enumerate() {
        for month in counts.months_with_responses(agency, &from, &to) {
            let key = counts.responses_fingerprint(agency, (&month, &month), &"month cells");
            match key.and_then(|k| memo.month_cells(k)) {
                Some(cells) => out[at].push(cells),
                None => unread.push((at, agency, month, key)),
            }
        }
    }
    if unread.is_empty() {
        return Ok(out);
    }
    // Identical requests at the same time scan once (`SingleFlight`): the key is the months to
    // scan at their current revisions, so a request that sees newer answers scans again.
    let flight = ScanKey {
        form: (form.definition.key().to_owned(), form.definition.version()),
        unread: unread.clone(),
    };
    let scanned = state
        .guards
        .breakdown_scans
        .run(flight, || async {
            scan_months(state, form, &unread, (&from, &to))
                .await
                .map(Arc::new)
                .map_err(|e| format!("{e:#}"))
        })
        .await
        .map_err(unexpected)?;
    for (at, cells) in scanned.iter() {
        out[*at].push(cells.clone());
    }
    Ok(out)
}

/// What a breakdown scan reads: the form version, and the (position, agency, month, revision
/// key) of each month to scan.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScanKey {
    form: (String, u32),
    unread: Vec<(usize, Uuid, String, Option<u64>)>,
}

/// A scan's cells, by position in the request's agencies.
pub type ScannedCells = Result<Arc<Vec<(usize, Arc<MonthCells>)>>, String>;

/// The cells of the `unread` months: from the memo if a scan that finished meanwhile kept them
/// all, else scanned from the responses (counted in `sipas_breakdown_scans_total`) and kept.
async fn scan_months(
    state: &AppState,
    form: &PublishedForm,
    unread: &[(usize, Uuid, String, Option<u64>)],
    (from, to): (&str, &str),
) -> Result<Vec<(usize, Arc<MonthCells>)>, ApiError> {
    let memo = &state.views.memo;
    let kept: Option<Vec<_>> = unread
        .iter()
        .map(|(at, _, _, key)| key.and_then(|k| memo.month_cells(k)).map(|c| (*at, c)))
        .collect();
    if let Some(kept) = kept {
        return Ok(kept);
    }
    let mut ids: Vec<Uuid> = unread.iter().map(|u| u.1).collect();
    ids.sort_unstable();
    ids.dedup();
    let (first, last) = unread
        .iter()
        .fold((to, from), |(lo, hi), u| (lo.min(&u.2), hi.max(&u.2)));
    state.metrics.breakdown_scanned();
    let rows = breakdowns::rows(
        &state.db,
        &ids,
        (form.definition.key(), form.definition.version()),
        (first, last),
    )
    .await?;
    let shape = form.score.clone();
    let unread = unread.to_vec();
    let scanned = off_thread(move || {
        let mut by_month: HashMap<(Uuid, &str), Vec<ScannedAnswers>> = HashMap::new();
        for r in &rows {
            (by_month
                .entry((r.agency_id, r.period_month.as_str()))
                .or_default())
            .push(ScannedAnswers {
                mode: &r.mode,
                procedure_field: r.procedure_field.as_deref(),
                answers: &r.answers,
                valid: r.valid,
            });
        }
        let scanned = results::on_all_cores(&unread, |(at, agency, month, key)| {
            let answers = by_month.get(&(*agency, month.as_str()));
            let cells = MonthCells::scan(&shape, answers.into_iter().flatten().copied())?;
            Ok((*at, *key, Arc::new(cells)))
        });
        scanned.into_iter().collect::<Result<Vec<_>, String>>()
    })
    .await?;
    // Kept before the flight lands, so a request arriving after it finds them in the memo.
    Ok(scanned
        .into_iter()
        .map(|(at, key, cells)| {
            if let Some(key) = key {
                memo.keep_month_cells(key, cells.clone());
            }
            (at, cells)
        })
        .collect())
}

/// The SIPAS index and each top-level node per month, quarter or year, with the change from
/// the step before and its interval (`GET /api/v1/results/trend`).
async fn compute_trend(
    state: &AppState,
    caller: &Principal,
    q: &TrendQuery,
) -> Result<TrendView, ApiError> {
    let agency = readable_agency(state, caller, "agency", required("agency", &q.agency)?).await?;
    let (current, requested) = form_of(state, &q.form, &q.version)?;
    let (period, through) = published(state, &period(&q.period, &q.from, &q.to)?).await?;
    let step = choice(
        "step",
        &q.step,
        "month",
        |v| ["month", "quarter", "year"].into_iter().find(|s| *s == v),
        "month, quarter or year",
    )?;
    let subtree = flag("subtree", &q.subtree)?;
    let design = design_of(&q.design)?;
    let aggregate = aggregate_of(&q.aggregate)?;
    let subject = subject_of(state, &agency, subtree).await?;
    let ids = members(&subject);
    let inputs = Inputs::read(state, current.definition.key(), &ids, &period).await?;
    let (form, version_choice) = inputs.version(state, current, requested)?;
    let options = options(state, form, &q.level, &q.lang)?;
    let key = inputs.key(
        "trend",
        &(
            &subject,
            form.definition.version(),
            version_choice,
            &period,
            (step, design, aggregate),
            &options,
        ),
    );
    cached(&state.views.trends, key, async {
        let counts = load_counts(state, form, (&ids, &period), &inputs).await?;
        let (form, period) = (form.clone(), period.clone());
        off_thread(move || {
            results::trend(
                &counts,
                &TrendRequest {
                    subject,
                    form: &form.definition,
                    version_choice,
                    period: &period,
                    step,
                    design,
                    aggregate,
                    options: &options,
                },
            )
        })
        .await
    })
    .await
    .map(|mut view| {
        view.published_through = through.map(|m| m.to_string());
        view
    })
}

/// The child agencies of `parent` ordered by index, each with its interval and a rank interval;
/// low-reliability, suppressed and empty agencies are listed apart, unranked
/// (`GET /api/v1/rankings`).
async fn compute_ranking(
    state: &AppState,
    caller: &Principal,
    q: &RankingQuery,
) -> Result<RankingView, ApiError> {
    let parent = readable_agency(state, caller, "parent", required("parent", &q.parent)?).await?;
    let (current, requested) = form_of(state, &q.form, &q.version)?;
    let (period, through) = published(state, &period(&q.period, &q.from, &q.to)?).await?;
    let subtree = flag("subtree", &q.subtree)?;
    let design = design_of(&q.design)?;
    let aggregate = aggregate_of(&q.aggregate)?;
    let children = agencies::list_children(&state.db, Some(&parent)).await?;
    let (subjects, ids) = if subtree {
        let all = agencies::subtree(&state.db, &parent.path).await?;
        let subjects: Vec<Subject> = children
            .iter()
            .map(|c| Subject::Subtree {
                root: agency_ref(c),
                members: all
                    .iter()
                    .filter(|a| a.path.is_within(c.id))
                    .map(|a| a.id)
                    .collect(),
            })
            .collect();
        let ids = all
            .iter()
            .filter(|a| a.id != parent.id)
            .map(|a| a.id)
            .collect();
        (subjects, ids)
    } else {
        let ids: Vec<Uuid> = children.iter().map(|c| c.id).collect();
        (
            children
                .iter()
                .map(|c| Subject::Agency(agency_ref(c)))
                .collect(),
            ids,
        )
    };
    let inputs = Inputs::read(state, current.definition.key(), &ids, &period).await?;
    let (form, version_choice) = inputs.version(state, current, requested)?;
    let options = options(state, form, &q.level, &q.lang)?;
    let parent = agency_ref(&parent);
    let key = inputs.key(
        "ranking",
        &(
            (&parent, &subjects),
            form.definition.version(),
            version_choice,
            &period,
            (design, aggregate),
            &options,
        ),
    );
    cached(&state.views.rankings, key, async {
        let counts = load_counts(state, form, (&ids, &period), &inputs).await?;
        let (form, period) = (form.clone(), period.clone());
        off_thread(move || {
            results::ranking(
                &counts,
                &RankingInput {
                    parent,
                    children: subjects,
                    form: &form.definition,
                    version_choice,
                    period: &period,
                    design,
                    aggregate,
                    options: &options,
                },
            )
        })
        .await
    })
    .await
    .map(|mut view| {
        view.published_through = through.map(|m| m.to_string());
        view
    })
}

/// Every agency's SIPAS in PAR terms (methodology §4) — of the agencies `caller` may read: all
/// of them for the pipeline and admins, an agency principal's own subtree — and whether CSV was
/// asked for with `format=` (`None`: not said; the API then looks at `Accept`).
async fn compute_par_scores(
    state: &AppState,
    caller: &Principal,
    q: &ParQuery,
) -> Result<(ParScoresView, Option<bool>), ApiError> {
    let (current, requested) = form_of(state, &q.form, &q.version)?;
    let (period, through) = published(state, &period(&q.period, &q.from, &q.to)?).await?;
    let kind = choice(
        "kind",
        &q.kind,
        None,
        |v| AgencyKind::parse(v).ok().map(Some),
        "ministry, province, department, district, commune or other",
    )?;
    let subtree = flag("subtree", &q.subtree)?;
    let csv = match q.format.as_deref().filter(|v| !v.is_empty()) {
        Some("csv") => Some(true),
        Some("json") => Some(false),
        Some(_) => return Err(invalid("format", "invalid_value", "must be json or csv")),
        None => None,
    };
    let all: Vec<Agency> = agencies::list_all(&state.db, None)
        .await?
        .into_iter()
        .filter(|a| caller.may_read_agency(&a.path))
        .collect();
    let listed: Vec<&Agency> = all
        .iter()
        .filter(|a| kind.is_none_or(|k| a.kind == k))
        .collect();
    let subjects: Vec<Subject> = listed
        .iter()
        .map(|a| {
            if subtree {
                Subject::Subtree {
                    root: agency_ref(a),
                    members: all
                        .iter()
                        .filter(|b| b.path.is_within(a.id))
                        .map(|b| b.id)
                        .collect(),
                }
            } else {
                Subject::Agency(agency_ref(a))
            }
        })
        .collect();
    let ids: Vec<Uuid> = {
        let mut set: HashSet<Uuid> = HashSet::new();
        for s in &subjects {
            set.extend(members(s));
        }
        set.into_iter().collect()
    };
    let inputs = Inputs::read(state, current.definition.key(), &ids, &period).await?;
    let (form, version_choice) = inputs.version(state, current, requested)?;
    let options = options(state, form, &q.level, &None)?;
    let key = inputs.key(
        "par",
        &(
            &subjects,
            form.definition.version(),
            version_choice,
            &period,
            subtree,
            &options,
        ),
    );
    let mut view = cached(&state.views.par_scores, key, async {
        let counts = load_counts(state, form, (&ids, &period), &inputs).await?;
        let scores = {
            let (form, period, options) = (form.clone(), period.clone(), options.clone());
            let subjects = subjects.clone();
            off_thread(move || {
                results::par_rows(&counts, &subjects, &form.definition, &period, &options)
            })
            .await?
        };
        Ok(ParScoresView {
            edition: form.definition.par().edition().to_owned(),
            period: period.label().to_owned(),
            form: results::form_ref(&form.definition, version_choice),
            subtree,
            level: options.level,
            scores,
            published_through: None,
        })
    })
    .await?;
    view.published_through = through.map(|m| m.to_string());
    Ok((view, csv))
}

/// The CSV columns of the PAR export, in order.
pub const PAR_CSV_HEADER: [&str; 19] = [
    "agency_code",
    "agency_kind",
    "form_key",
    "form_version",
    "period",
    "edition",
    "sipas",
    "ci_low",
    "ci_high",
    "points",
    "max_points",
    "n",
    "invited",
    "D",
    "D_rated",
    "D_dis",
    "status",
    "level",
    "subtree",
];

/// The rows of `view` as CSV with `header` (the column names, [`PAR_CSV_HEADER`] or their
/// translation) as first line. Numbers at full precision (shortest
/// round-trip form); empty cells for nulls.
pub(crate) fn par_csv(view: &ParScoresView, header: &[&str]) -> Result<Vec<u8>, csv::Error> {
    let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for s in &view.scores {
        // A cell starting with = + - @ is a formula to a spreadsheet; codes may start with '-'.
        let code = if s.agency_code.starts_with(['=', '+', '-', '@']) {
            format!("'{}", s.agency_code)
        } else {
            s.agency_code.clone()
        };
        let status = serde_json::to_value(s.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        w.write_record([
            code,
            s.agency_kind.clone(),
            s.form_key.clone(),
            s.form_version.to_string(),
            view.period.clone(),
            view.edition.clone(),
            num(s.sipas),
            num(s.ci.map(|c| c.low)),
            num(s.ci.map(|c| c.high)),
            num(s.points),
            num(s.max_points),
            s.n.to_string(),
            s.invited.to_string(),
            s.d.to_string(),
            s.d_rated.to_string(),
            s.d_dis.to_string(),
            status,
            view.level.to_string(),
            view.subtree.to_string(),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}
