//! The result, trend and ranking views: each checks the request and who may read it, reads
//! the roll-ups of the spans it needs, and has `domain::results` compute the view.

use std::collections::HashMap;

use uuid::Uuid;

use super::access::{agency_ref, agency_ref_in, members, nested_in, readable_agency, subject_of};
use super::basis::{Basis, Named};
use super::context::Context;
use super::history;
use super::load::spans_of;
use super::parts::Parts;
use super::request::{
    RankingQuery, ResultsQuery, TrendQuery, aggregate_of, choice, design_of, flag, invalid,
    required,
};
use super::scan::scan;
use crate::domain::agencies::Agency;
use crate::domain::agency_history::Member;
use crate::domain::auth::Principal;
use crate::domain::forms::PublishedForm;
use crate::domain::periods::{Month, Period};
use crate::domain::results::{
    self, Breakdown, Dimension, OpenMonthsView, RankingInput, RankingView, ResultRequest,
    ResultView, Subject, TrendRequest, TrendView,
};
use crate::error::ApiError;
use crate::persistence::{agencies, agency_history, months, rollups};

/// One agency (or its subtree) × form × period: the SIPAS index and its tree, the items, PAR
/// points, the Decision 766 ratio, and an optional breakdown (`GET /api/v1/results`).
pub(super) async fn compute_result(
    cx: &Context<'_>,
    caller: &Principal,
    q: &ResultsQuery,
) -> Result<ResultView, ApiError> {
    let agency = readable_agency(cx.db, caller, "agency", required("agency", &q.agency)?).await?;
    let named = Named::check(cx, (&q.form, &q.version), (&q.period, &q.from, &q.to)).await?;
    let asked = named.asked.clone();
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
    let mut parts = Parts::default();
    let subject = subject_of(cx, &agency, subtree, &named.asked, &mut parts).await?;
    let ids = (members(&subject), parts);
    let basis = Basis::read(cx, named, ids, (&q.level, &q.lang)).await?;
    let mut view = {
        let counts = basis.counts(cx).await?;
        let breakdown = match by {
            None => None,
            Some(Dimension::Channel) => Some(Breakdown::Channel),
            Some(dim) => {
                let whole = basis.parts.whole(&basis.ids);
                let scanned = scan(cx, basis.form, &counts, &whole, &basis.period, dim).await?;
                let scanned = basis
                    .parts
                    .scanned(cx, basis.form, scanned, &basis.period, dim);
                let (cells, members) = scanned.await?;
                Some(Breakdown::Scanned {
                    by: dim,
                    cells,
                    members,
                })
            }
        };
        let version_choice = basis.version_choice;
        basis
            .off_thread(move |form, period, options| {
                results::agency_result(
                    &counts,
                    &ResultRequest {
                        subject,
                        form: &form.definition,
                        version_choice,
                        period,
                        design,
                        aggregate,
                        breakdown,
                        options,
                    },
                )
            })
            .await?
    };
    view.published_through = basis.published_through();
    let form = (basis.form.definition.key(), basis.form.definition.version());
    let agencies = (basis.parts.whole(&basis.ids), &basis.parts);
    view.open_months = open_months(cx, (agencies, form), &asked, basis.through).await?;
    view.pending = view.open_months.as_ref().map_or(0, |o| o.received);
    Ok(view)
}

/// The live counts of the months of `asked` after `through` (not yet published) for
/// `agencies` (each part-period member of `parts` in its months only) and one form version
/// (the result's: N and n of the same version): dossiers registered and questionnaires
/// received, and the response rate so far; `None` when every month of the period is closed.
pub(super) async fn open_months(
    cx: &Context<'_>,
    ((agencies, parts), form): ((Vec<Uuid>, &Parts), (&str, u32)),
    asked: &Period,
    through: Option<Month>,
) -> Result<Option<OpenMonthsView>, ApiError> {
    let first = match through {
        Some(t) if t >= asked.last() => return Ok(None),
        Some(t) if t >= asked.first() => t.next(),
        _ => asked.first(),
    };
    let (from, to) = (first.to_string(), asked.last().to_string());
    let mut scopes = vec![(agencies, (from.clone(), to.clone()))];
    for (agency, a, b) in parts.runs_between(first, asked.last()) {
        scopes.push((vec![agency], (a.to_string(), b.to_string())));
    }
    let (mut received, mut invited) = (0, 0);
    for (ids, (a, b)) in &scopes {
        let pending = months::pending_counts(cx.db, ids, form, (a, b)).await?;
        received += pending.iter().map(|(_, n)| n).sum::<u64>();
        invited += rollups::registered_in_months(cx.db, ids, form, (a, b)).await?;
    }
    Ok(Some(OpenMonthsView {
        from,
        to,
        invited,
        received,
        response_rate: (invited > 0).then(|| 100.0 * received as f64 / invited as f64),
    }))
}

/// The SIPAS index and each top-level node per month, quarter or year, with the change from
/// the step before and its interval (`GET /api/v1/results/trend`).
pub(super) async fn compute_trend(
    cx: &Context<'_>,
    caller: &Principal,
    q: &TrendQuery,
) -> Result<TrendView, ApiError> {
    let agency = readable_agency(cx.db, caller, "agency", required("agency", &q.agency)?).await?;
    let named = Named::check(cx, (&q.form, &q.version), (&q.period, &q.from, &q.to)).await?;
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
    let mut parts = Parts::default();
    let mut subject = subject_of(cx, &agency, subtree, &named.asked, &mut parts).await?;
    let merged = history::merged_history(cx, &agency, &named.asked).await?;
    if let Some(h) = &merged {
        subject = history::widen(subject, h);
    }
    let ids = (members(&subject), parts);
    let basis = Basis::read(cx, named, ids, (&q.level, &q.lang)).await?;
    // Each step's spans (a month, a quarter, a year, or the months of a partial step).
    let spans = (results::steps(&basis.period, step)
        .unwrap_or_default()
        .iter())
    .flat_map(spans_of)
    .collect();
    let version_choice = basis.version_choice;
    let compute = move |counts: &_, form: &PublishedForm, period: &_, options: &_| {
        let request = TrendRequest {
            subject,
            form: &form.definition,
            version_choice,
            period,
            step,
            design,
            aggregate,
            options,
        };
        let mut view = results::trend(counts, &request).map_err(|e| e.to_string())?;
        if let Some(h) = &merged {
            // `subtree` stays what was asked: the predecessors are not below the agency.
            view.subtree = subtree;
            let below = options.thresholds.suppress_below;
            history::mark(&mut view, counts, h, (period, step), below)
                .map_err(|e| e.to_string())?;
        }
        Ok::<_, String>(view)
    };
    let mut view = basis.view(cx, spans, compute).await?;
    view.published_through = basis.published_through();
    Ok(view)
}

/// The child agencies of `parent` ordered by index, each with its interval and a rank interval;
/// low-reliability, suppressed and empty agencies are listed apart, unranked
/// (`GET /api/v1/rankings`).
pub(super) async fn compute_ranking(
    cx: &Context<'_>,
    caller: &Principal,
    q: &RankingQuery,
) -> Result<RankingView, ApiError> {
    let parent = readable_agency(cx.db, caller, "parent", required("parent", &q.parent)?).await?;
    let named = Named::check(cx, (&q.form, &q.version), (&q.period, &q.from, &q.to)).await?;
    let subtree = flag("subtree", &q.subtree)?;
    let design = design_of(&q.design)?;
    let aggregate = aggregate_of(&q.aggregate)?;
    let (subjects, ids) = children_of(cx, &parent, subtree, &named.asked).await?;
    let basis = Basis::read(cx, named, ids, (&q.level, &q.lang)).await?;
    let parent = agency_ref(&parent);
    let version_choice = basis.version_choice;
    let compute = move |counts: &_, form: &PublishedForm, period: &_, options: &_| {
        let input = RankingInput {
            parent,
            children: subjects,
            form: &form.definition,
            version_choice,
            period,
            design,
            aggregate,
            options,
        };
        results::ranking(counts, &input)
    };
    let mut view = basis.view(cx, spans_of(&basis.period), compute).await?;
    view.published_through = basis.published_through();
    Ok(view)
}

/// The children of `parent` to rank — the agencies below it in force in some month of
/// `period`, in the hierarchy of that month (issue 21), each with the months it is below it
/// when not all, named as at the end of the period — each alone or with its subtree then, and
/// the ids of every agency they cover.
async fn children_of(
    cx: &Context<'_>,
    parent: &Agency,
    subtree: bool,
    period: &Period,
) -> Result<(Vec<Subject>, (Vec<Uuid>, Parts)), ApiError> {
    let hierarchy = agency_history::load(cx.db).await?;
    let range = (period.first(), period.last());
    let mut kids: HashMap<Uuid, Member> = (hierarchy.children_in_months(parent.id, range))
        .into_iter()
        .map(|m| (m.agency, m))
        .collect();
    let trees = match subtree {
        true => hierarchy.memberships_during(range),
        false => HashMap::new(),
    };
    let (mut parts, mut ids, mut subjects) = (Parts::default(), Vec::new(), Vec::new());
    for child in agencies::list_all(cx.db, None).await? {
        let Some(kid) = kids.remove(&child.id) else {
            continue;
        };
        let mut root = agency_ref_in(&child, &hierarchy, range);
        if !subtree {
            root.id = parts.id_of(&kid);
            ids.push(root.id);
            subjects.push(Subject::Agency(root));
            continue;
        }
        // Its subtree counts in the months it is below `parent` only.
        let members: Vec<Member> = (trees.get(&kid.agency).into_iter().flatten())
            .filter_map(|m| m.during(kid.months.as_deref(), range))
            .collect();
        let nested = match kid.is_whole() {
            true => nested_in(kid.agency, &members, &trees),
            false => Vec::new(),
        };
        let members = parts.ids_of(&members);
        ids.extend(members.iter().copied());
        subjects.push(Subject::Subtree {
            root,
            members,
            nested,
        });
    }
    ids.sort_unstable();
    ids.dedup();
    Ok((subjects, (ids, parts)))
}
