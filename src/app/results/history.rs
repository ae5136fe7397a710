//! A merged successor's trend (issue 21): for the months before the merge it shows its
//! predecessors combined — the subject widened to the successor and every agency merged into
//! it, pooled or as the mean of agencies as for a subtree — and says so in `merged_history`.
//! A combined step is withheld when subtracting the predecessors' own published figures would
//! give back one too small to be published (`domain::agency_history::combined_is_safe`).

use uuid::Uuid;

use super::context::Context;
use crate::domain::agencies::Agency;
use crate::domain::agency_history::{MergedHistoryView, combined_is_safe};
use crate::domain::aggregates::BucketError;
use crate::domain::periods::{Month, Period};
use crate::domain::results::{Counts, NumberStatus, Subject, TrendNodeView, TrendView, steps};
use crate::error::ApiError;
use crate::persistence::{agencies, agency_history};

/// The agencies merged into a successor, and the month of the (latest) merge.
#[derive(Debug, Clone)]
pub(super) struct MergedHistory {
    pub successor: Uuid,
    pub predecessors: Vec<(Uuid, String)>,
    pub merged_from: Month,
}

/// The merged history of `agency` when it has predecessors and `period` has a month before
/// its latest merge.
pub(super) async fn merged_history(
    cx: &Context<'_>,
    agency: &Agency,
    period: &Period,
) -> Result<Option<MergedHistory>, ApiError> {
    let hierarchy = agency_history::load(cx.db).await?;
    let found = hierarchy.predecessors(agency.id);
    let Some(merged_from) = found.iter().map(|(_, m)| *m).max() else {
        return Ok(None);
    };
    if merged_from <= period.first() {
        return Ok(None);
    }
    let mut predecessors = Vec::with_capacity(found.len());
    for (id, _) in found {
        if let Some(a) = agencies::find_by_id(cx.db, id).await? {
            predecessors.push((id, a.code));
        }
    }
    predecessors.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(Some(MergedHistory {
        successor: agency.id,
        predecessors,
        merged_from,
    }))
}

/// `subject` widened by the predecessors: a subtree of the successor and them.
pub(super) fn widen(subject: Subject, history: &MergedHistory) -> Subject {
    let (root, mut members, nested) = match subject {
        Subject::Agency(a) => {
            let id = a.id;
            (a, vec![id], Vec::new())
        }
        Subject::Subtree {
            root,
            members,
            nested,
        } => (root, members, nested),
    };
    for (id, _) in &history.predecessors {
        if !members.contains(id) {
            members.push(*id);
        }
    }
    Subject::Subtree {
        root,
        members,
        nested,
    }
}

/// A node's figures left out.
fn withhold(node: &mut TrendNodeView) {
    node.value = None;
    node.ci = None;
    node.se = None;
    node.status = NumberStatus::Suppressed;
    node.change = None;
}

/// Marks `view` (the trend over `period` by `step`) with its merged history, and withholds each
/// combined step whose parts are not safe to combine at `suppress_below`, with the change of
/// the step after it (which would give it back).
pub(super) fn mark(
    view: &mut TrendView,
    counts: &Counts,
    history: &MergedHistory,
    (period, step): (&Period, &str),
    suppress_below: u64,
) -> Result<(), BucketError> {
    let parts: Vec<Uuid> = std::iter::once(history.successor)
        .chain(history.predecessors.iter().map(|(id, _)| *id))
        .collect();
    let mut marked = MergedHistoryView {
        merged_from: history.merged_from.to_string(),
        predecessors: history
            .predecessors
            .iter()
            .map(|(_, c)| c.clone())
            .collect(),
        combined_steps: Vec::new(),
        withheld_steps: Vec::new(),
    };
    let periods = steps(period, step).unwrap_or_default();
    let mut previous_withheld = false;
    for (p, s) in periods.iter().zip(view.steps.iter_mut()) {
        if previous_withheld {
            s.index.change = None;
            s.nodes.iter_mut().for_each(|n| n.change = None);
        }
        previous_withheld = false;
        if p.first() >= history.merged_from {
            continue;
        }
        marked.combined_steps.push(s.period.clone());
        let (first, last) = p.month_range();
        let n = (parts.iter())
            .map(|id| counts.responses_in(*id, &first, &last))
            .collect::<Result<Vec<u64>, BucketError>>()?;
        if !combined_is_safe(&n, suppress_below) {
            withhold(&mut s.index);
            s.nodes.iter_mut().for_each(withhold);
            marked.withheld_steps.push(s.period.clone());
            previous_withheld = true;
        }
    }
    view.merged_history = Some(marked);
    Ok(())
}
