//! A breakdown's cells, estimated (`cell_srs`): by channel from the strata, by mode or
//! procedure field from scanned cells; and, for a subtree, each cell guarded against its
//! members' own cells, which their own breakdowns publish (a cell of the total minus the other
//! members' same cells would give back a member's small group).

use std::collections::BTreeMap;
use std::sync::Arc;

use uuid::Uuid;

use super::super::estimate::{Estimate, EstimateError, Figures, estimate};
use super::super::suppression::{Layout, across, over_members};
use super::super::{Cell, Design, Strata, on_all_cores};
use super::{Breakdown, BreakdownCellInput, Subject};
use crate::domain::aggregates::ScoreShape;
use crate::stats::DomainOptions;

/// The cells of `breakdown` of `strata` (the subject's), estimated.
pub(super) fn cells_of(
    breakdown: &Breakdown,
    strata: &Strata,
    dopts: &DomainOptions,
) -> Result<Vec<CellEstimate>, EstimateError> {
    match breakdown {
        Breakdown::Channel => channel_cells(strata, dopts),
        Breakdown::Scanned { cells, .. } => scanned_cells(&strata.shape, cells, dopts),
    }
}

/// Suppresses in a subtree's `cells` what they would give back of a member agency whose own
/// breakdown hides it: each cell against the members' cells of the same key, as their own
/// breakdowns publish them, and the same cells of the subtrees inside it (`subject`'s nest), by
/// the rule of `suppression::over_members`.
pub(super) fn guard_over_members(
    cells: &mut [CellEstimate],
    (breakdown, subject): (&Breakdown, &Subject),
    strata: &Strata,
    dopts: &DomainOptions,
    suppress_below: u64,
) -> Result<(), EstimateError> {
    let layout = Layout::of(&strata.shape.tree.root);
    let agencies = strata.agencies();
    let nest = subject.nest(&agencies);
    let published = on_all_cores(&agencies, |a| {
        published_cells(*a, breakdown, strata, dopts, &layout)
    })
    .into_iter()
    .collect::<Result<Vec<_>, _>>()?;
    for cell in cells.iter_mut() {
        // Each member's cell of this key, in member order (`None`: it has no such cell).
        let theirs: Vec<Option<&Figures>> = (published.iter())
            .map(|own| own.iter().find(|(k, _)| *k == cell.key).map(|(_, f)| f))
            .collect();
        let figures = &mut cell.estimate.figures;
        over_members(figures, (&theirs, &nest), &layout, suppress_below);
    }
    Ok(())
}

/// Member `agency`'s cells as its own breakdown publishes them: suppressed within each and
/// across them and its total (`suppression::across`; suppression depends on the bases only,
/// so the total's design does not matter). A number hidden there is hidden in every view, since
/// no other view publishes a member's cells.
fn published_cells(
    agency: Uuid,
    breakdown: &Breakdown,
    strata: &Strata,
    dopts: &DomainOptions,
    layout: &Layout,
) -> Result<Vec<(Option<String>, Figures)>, EstimateError> {
    let own = strata.of_agency(agency);
    let cells = match breakdown {
        Breakdown::Channel => channel_cells(&own, dopts)?,
        Breakdown::Scanned { members, .. } => match members.iter().find(|(a, _)| *a == agency) {
            Some((_, theirs)) => scanned_cells(&own.shape, theirs, dopts)?,
            None => Vec::new(),
        },
    };
    let mut total = estimate(&own, Design::CellSrs, dopts)?.figures;
    let mut figures: Vec<Figures> = cells.iter().map(|c| c.estimate.figures.clone()).collect();
    across(&mut total, &mut figures, layout);
    Ok(cells.into_iter().map(|c| c.key).zip(figures).collect())
}

/// One estimated breakdown cell.
pub(super) struct CellEstimate {
    pub(super) key: Option<String>,
    /// Registered dossiers (channel cells only).
    pub(super) invited: Option<u64>,
    pub(super) estimate: Estimate,
}

/// The channel cells of `strata`, estimated (`cell_srs`), with their invited counts.
pub(super) fn channel_cells(
    strata: &Strata,
    dopts: &DomainOptions,
) -> Result<Vec<CellEstimate>, EstimateError> {
    let mut by_channel: BTreeMap<&str, Strata> = BTreeMap::new();
    for ((agency, channel), cell) in &strata.cells {
        by_channel
            .entry(channel.as_str())
            .or_insert_with(|| Strata {
                shape: strata.shape.clone(),
                cells: BTreeMap::new(),
            })
            .cells
            .insert((*agency, channel.clone()), cell.clone());
    }
    by_channel
        .into_iter()
        .map(|(channel, s)| {
            let estimate = estimate(&s, Design::CellSrs, dopts)?;
            Ok(CellEstimate {
                key: Some(channel.to_owned()),
                invited: Some(estimate.invited),
                estimate,
            })
        })
        .collect()
}

/// Scanned breakdown cells, estimated (`cell_srs`), on every core (a province has some sixty
/// procedure fields).
pub(super) fn scanned_cells(
    shape: &Arc<ScoreShape>,
    cells: &[BreakdownCellInput],
    dopts: &DomainOptions,
) -> Result<Vec<CellEstimate>, EstimateError> {
    on_all_cores(cells, |c| {
        let s = Strata {
            shape: shape.clone(),
            cells: BTreeMap::from([(
                (Uuid::nil(), String::new()),
                Arc::new(Cell {
                    counts: c.counts.clone(),
                    invited: 0,
                }),
            )]),
        };
        Ok(CellEstimate {
            key: c.key.clone(),
            invited: None,
            estimate: estimate(&s, Design::CellSrs, dopts)?,
        })
    })
    .into_iter()
    .collect()
}
