//! Breakdowns by mode and by procedure field, which the roll-ups do not hold: each agency's
//! responses in the period are scanned (`persistence::breakdowns`) and counted exactly as the
//! roll-ups count them (`ScoreShape::stored_contribution`), both dimensions at once, then merged
//! by cell. The scanned cells are kept while the agencies' responses in the period are the same
//! (`domain::results::cache`), and identical scans at the same time run once
//! (`app::single_flight`).

use std::collections::HashMap;
use std::sync::Arc;

use uuid::Uuid;

use super::context::{Context, ScanKey};
use super::load::{off_thread, unexpected};
use crate::domain::aggregates::BucketError;
use crate::domain::forms::PublishedForm;
use crate::domain::periods::Period;
use crate::domain::results::cache::CacheKey;
use crate::domain::results::{
    self, BreakdownCellInput, Counts, Dimension, MonthCells, ScannedAnswers,
};
use crate::error::ApiError;
use crate::persistence::breakdowns;

/// The breakdown cells of `agencies` by mode or procedure field over `period`: each agency's
/// cells by both dimensions, kept or scanned from its responses, merged by `dim`; and each
/// agency's own cells by `dim`, against which a subtree's cells are checked.
pub(super) async fn scan(
    cx: &Context<'_>,
    form: &PublishedForm,
    counts: &Counts,
    agencies: &[Uuid],
    period: &Period,
    dim: Dimension,
) -> Result<
    (
        Vec<BreakdownCellInput>,
        Vec<(Uuid, Vec<BreakdownCellInput>)>,
    ),
    ApiError,
> {
    let (from, to) = period.month_range();
    let mut ids = agencies.to_vec();
    ids.sort_unstable();
    let responses = (ids.iter())
        .map(|a| counts.responses_in(*a, &from, &to))
        .collect::<Result<Vec<u64>, BucketError>>()
        .map_err(unexpected)?;
    // The responses' number is in the key: a request that sees a late entry scans again.
    let flight = ScanKey {
        form: (form.definition.key().to_owned(), form.definition.version()),
        agencies: ids,
        months: (from, to),
        responses,
    };
    let key = CacheKey::new(&flight, &"scanned");
    let scanned = match cx.breakdowns.get(&key) {
        Some(kept) => kept,
        // Identical requests at the same time scan once; the cells are kept before the flight
        // lands, so a request arriving after it finds them.
        None => cx
            .scans
            .run(flight.clone(), || async {
                let cells = scan_agencies(cx, form, &flight)
                    .await
                    .map(Arc::new)
                    .map_err(|e| format!("{e:#}"))?;
                cx.breakdowns.put(key, cells.clone());
                Ok(cells)
            })
            .await
            .map_err(unexpected)?,
    };
    let shape = form.score.clone();
    let ids = flight.agencies.clone();
    let cells = off_thread(move || {
        let each = results::on_all_cores(&scanned, |cells| {
            results::merge_months(&shape, [cells.as_ref()], dim)
        });
        let each = each.into_iter().collect::<Result<Vec<_>, BucketError>>()?;
        let merged = BreakdownCellInput::merged(&shape, each.iter().map(Vec::as_slice))?;
        Ok::<_, BucketError>((merged, ids.into_iter().zip(each).collect()))
    })
    .await?;
    Ok(cells)
}

/// Each agency's cells of `flight`'s months, both dimensions at once (each answer parsed once),
/// in the order of `flight.agencies`; counted in `sipas_breakdown_scans_total`.
async fn scan_agencies(
    cx: &Context<'_>,
    form: &PublishedForm,
    flight: &ScanKey,
) -> Result<Vec<Arc<MonthCells>>, ApiError> {
    cx.metrics.breakdown_scanned();
    let (from, to) = (&flight.months.0, &flight.months.1);
    let rows = breakdowns::rows(
        cx.db,
        &flight.agencies,
        (form.definition.key(), form.definition.version()),
        (from, to),
    )
    .await?;
    let shape = form.score.clone();
    let agencies = flight.agencies.clone();
    off_thread(move || {
        let mut by_agency: HashMap<Uuid, Vec<ScannedAnswers>> = HashMap::new();
        for r in &rows {
            by_agency
                .entry(r.agency_id)
                .or_default()
                .push(ScannedAnswers {
                    mode: &r.mode,
                    procedure_field: r.procedure_field.as_deref(),
                    answers: &r.answers,
                    valid: r.valid,
                });
        }
        let scanned = results::on_all_cores(&agencies, |agency| {
            let answers = by_agency.get(agency).into_iter().flatten().copied();
            MonthCells::scan(&shape, answers).map(Arc::new)
        });
        scanned.into_iter().collect::<Result<Vec<_>, String>>()
    })
    .await
}
