//! Breakdowns by mode and by procedure field, which the score buckets do not hold: the cells of
//! each agency-month scanned once from its responses (`persistence::breakdowns`), kept in the
//! memo while its answers are unchanged, and merged over the period asked for. Identical scans
//! at the same time run once (`app::single_flight`).

use std::collections::HashMap;
use std::sync::Arc;

use uuid::Uuid;

use super::context::{Context, ScanKey};
use super::load::{off_thread, unexpected};
use crate::domain::aggregates::BucketError;
use crate::domain::forms::PublishedForm;
use crate::domain::periods::Period;
use crate::domain::results::{
    self, BreakdownCellInput, Counts, Dimension, MonthCells, ScannedAnswers,
};
use crate::error::ApiError;
use crate::persistence::breakdowns;

/// The breakdown cells of `agencies` by mode or procedure field over `period`: each agency's
/// cells over the period as kept in the memo while its responses are unchanged, else added up
/// from its months' cells ([`month_cells`]) and kept.
pub(super) async fn scan(
    cx: &Context<'_>,
    form: &PublishedForm,
    counts: &Counts,
    agencies: &[Uuid],
    period: &Period,
    dim: Dimension,
) -> Result<Vec<BreakdownCellInput>, ApiError> {
    let (from, to) = period.month_range();
    let memo = &cx.views.memo;
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
    let months = month_cells(cx, form, counts, &ids, period).await?;
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
pub(super) async fn month_cells(
    cx: &Context<'_>,
    form: &PublishedForm,
    counts: &Counts,
    agencies: &[Uuid],
    period: &Period,
) -> Result<Vec<Vec<Arc<MonthCells>>>, ApiError> {
    let (from, to) = period.month_range();
    let memo = &cx.views.memo;
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
    let scanned = cx
        .scans
        .run(flight, || async {
            scan_months(cx, form, &unread, (&from, &to))
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

/// The cells of the `unread` months: from the memo if a scan that finished meanwhile kept them
/// all, else scanned from the responses (counted in `sipas_breakdown_scans_total`) and kept.
pub(super) async fn scan_months(
    cx: &Context<'_>,
    form: &PublishedForm,
    unread: &[(usize, Uuid, String, Option<u64>)],
    (from, to): (&str, &str),
) -> Result<Vec<(usize, Arc<MonthCells>)>, ApiError> {
    let memo = &cx.views.memo;
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
    cx.metrics.breakdown_scanned();
    let rows = breakdowns::rows(
        cx.db,
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
