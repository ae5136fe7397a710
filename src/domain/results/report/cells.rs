//! A breakdown's cells, estimated (`cell_srs`): by channel from the strata, by mode or
//! procedure field from scanned cells; and, for a subtree, each cell guarded against its
//! members' own cells, which their own breakdowns publish (a cell of the total minus the other
//! members' same cells would give back a member's small group).

use std::collections::BTreeMap;
use std::sync::Arc;

use uuid::Uuid;

use super::super::estimate::{Estimate, EstimateError, Figures, bases, estimate};
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
    (breakdown, subject, totals): (&Breakdown, &Subject, &[Figures]),
    strata: &Strata,
    dopts: &DomainOptions,
    suppress_below: u64,
) -> Result<(), EstimateError> {
    let layout = Layout::of(&strata.shape.tree.root);
    let agencies = strata.agencies();
    let nest = subject.nest(&agencies);
    // The members' totals as their own results publish them, when they are those of the same
    // members (else estimated again).
    let totals = (totals.len() == agencies.len()).then_some(totals);
    let indexed: Vec<(usize, Uuid)> = agencies.iter().copied().enumerate().collect();
    let published = on_all_cores(&indexed, |(i, a)| {
        let total = totals.and_then(|t| t.get(*i));
        published_cells((*a, total), breakdown, strata, dopts, &layout)
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
/// across them and its total (`suppression::across`). Suppression depends on the bases only
/// (the same under every design), so only they are computed (`estimate::bases`). A number
/// hidden there is hidden in every view, since no other view publishes a member's cells.
fn published_cells(
    (agency, total): (Uuid, Option<&Figures>),
    breakdown: &Breakdown,
    strata: &Strata,
    dopts: &DomainOptions,
    layout: &Layout,
) -> Result<Vec<(Option<String>, Figures)>, EstimateError> {
    let own = strata.of_agency(agency);
    let cells: Vec<(Option<String>, Strata)> = match breakdown {
        Breakdown::Channel => (by_channel(&own).into_iter())
            .map(|(channel, s)| (Some(channel.to_owned()), s))
            .collect(),
        Breakdown::Scanned { members, .. } => (members.iter())
            .filter(|(a, _)| *a == agency)
            .flat_map(|(_, theirs)| theirs.iter())
            .map(|c| (c.key.clone(), one_cell(&own.shape, c)))
            .collect(),
    };
    let mut total = match total {
        Some(t) => t.clone(),
        None => bases(&own, dopts)?,
    };
    let mut figures: Vec<Figures> = (cells.iter())
        .map(|(_, s)| bases(s, dopts))
        .collect::<Result<_, _>>()?;
    across(&mut total, &mut figures, layout);
    Ok(cells.into_iter().map(|(key, _)| key).zip(figures).collect())
}

/// One estimated breakdown cell.
pub(super) struct CellEstimate {
    pub(super) key: Option<String>,
    /// Registered dossiers (channel cells only).
    pub(super) invited: Option<u64>,
    pub(super) estimate: Estimate,
}

/// `strata` split by channel.
fn by_channel(strata: &Strata) -> BTreeMap<&str, Strata> {
    let mut out: BTreeMap<&str, Strata> = BTreeMap::new();
    for ((agency, channel), cell) in &strata.cells {
        out.entry(channel.as_str())
            .or_insert_with(|| Strata {
                shape: strata.shape.clone(),
                cells: BTreeMap::new(),
            })
            .cells
            .insert((*agency, channel.clone()), cell.clone());
    }
    out
}

/// The channel cells of `strata`, estimated (`cell_srs`), with their invited counts.
pub(super) fn channel_cells(
    strata: &Strata,
    dopts: &DomainOptions,
) -> Result<Vec<CellEstimate>, EstimateError> {
    (by_channel(strata).into_iter())
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

/// A scanned cell as strata of one (nameless) cell.
fn one_cell(shape: &Arc<ScoreShape>, c: &BreakdownCellInput) -> Strata {
    Strata {
        shape: shape.clone(),
        cells: BTreeMap::from([(
            (Uuid::nil(), String::new()),
            Arc::new(Cell {
                counts: c.counts.clone(),
                invited: 0,
            }),
        )]),
    }
}

/// Scanned breakdown cells, estimated (`cell_srs`), on every core (a province has some sixty
/// procedure fields).
pub(super) fn scanned_cells(
    shape: &Arc<ScoreShape>,
    cells: &[BreakdownCellInput],
    dopts: &DomainOptions,
) -> Result<Vec<CellEstimate>, EstimateError> {
    on_all_cores(cells, |c| {
        Ok(CellEstimate {
            key: c.key.clone(),
            invited: None,
            estimate: estimate(&one_cell(shape, c), Design::CellSrs, dopts)?,
        })
    })
    .into_iter()
    .collect()
}
