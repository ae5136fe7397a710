//! Subtree members (and children ranked under a parent) that count for part of a period only
//! (issue 21: an agency moved from one parent to another within the period;
//! `domain::agency_history::membership`). Each counts under an id of its own
//! ([`Member::id`]), whose roll-ups are the agency's over the months it is a member in: for
//! each span a view reads, the agency's rows of the spans that make up those months
//! ([`Parts::fill`]). With no such member nothing here reads anything: a view of a period
//! without a move runs the same queries as before.

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use super::context::Context;
use super::load::{load_counts, spans_of, unexpected};
use super::scan::scan;
use crate::domain::agency_history::Member;
use crate::domain::forms::PublishedForm;
use crate::domain::periods::{Month, Period};
use crate::domain::results::{BreakdownCellInput, Counts, Dimension};
use crate::domain::spans::{Span, cover};
use crate::error::ApiError;

/// A scanned breakdown: all its cells, and each member's own.
pub(super) type ScannedBreakdown = (
    Vec<BreakdownCellInput>,
    Vec<(Uuid, Vec<BreakdownCellInput>)>,
);

/// The part-period members of a view, by the id they count under.
#[derive(Debug, Clone, Default)]
pub(super) struct Parts {
    members: BTreeMap<Uuid, Member>,
}

impl Parts {
    /// The ids `members` count under, remembering the part-period ones.
    pub fn ids_of(&mut self, members: &[Member]) -> Vec<Uuid> {
        (members.iter())
            .map(|m| {
                let id = m.id();
                if !m.is_whole() {
                    self.members.insert(id, m.clone());
                }
                id
            })
            .collect()
    }

    /// The id `member` counts under (see [`Parts::ids_of`]).
    pub fn id_of(&mut self, member: &Member) -> Uuid {
        self.ids_of(std::slice::from_ref(member))[0]
    }

    /// `ids` as stored: the part-period ids replaced by their agencies (each once), for what
    /// reads the agencies' stored rows as a whole (which form versions they have answers of).
    pub fn agencies(&self, ids: &[Uuid]) -> Vec<Uuid> {
        let set: BTreeSet<Uuid> = (ids.iter())
            .map(|id| self.members.get(id).map_or(*id, |m| m.agency))
            .collect();
        set.into_iter().collect()
    }

    /// `ids` without the part-period ones: the agencies whose roll-ups are read whole.
    pub fn whole(&self, ids: &[Uuid]) -> Vec<Uuid> {
        (ids.iter())
            .filter(|id| !self.members.contains_key(id))
            .copied()
            .collect()
    }

    /// Each part-period member's agency and the runs of months of `first..=last` it counts
    /// in, split at the boundaries of `spans` (each run within one span), with that span.
    fn pieces<'a>(
        &'a self,
        spans: &'a BTreeSet<Span>,
    ) -> impl Iterator<Item = (&'a Member, Span, (Month, Month))> + 'a {
        (self.members.values()).flat_map(move |m| {
            (spans.iter()).flat_map(move |s| {
                (m.within(s.first(), s.last()).into_iter()).map(move |run| (m, *s, run))
            })
        })
    }

    /// Adds to `counts` (read for `spans`) each part-period member's roll-ups in each span: the
    /// agency's rows over the months of the span it is a member in. Two queries for all of them.
    pub async fn fill(
        &self,
        cx: &Context<'_>,
        form: &PublishedForm,
        counts: &mut Counts,
        spans: &BTreeSet<Span>,
    ) -> Result<(), ApiError> {
        if self.members.is_empty() {
            return Ok(());
        }
        let source = self.source(cx, form, spans).await?;
        for (m, span, (first, last)) in self.pieces(spans) {
            let keys: Vec<String> = cover(first, last).iter().map(Span::key).collect();
            counts
                .add_part((m.id(), &span.key()), (&source, m.agency), &keys)
                .map_err(unexpected)?;
        }
        Ok(())
    }

    /// The roll-ups of the part-period members' agencies over the spans that make up their
    /// months within `spans`.
    pub async fn source(
        &self,
        cx: &Context<'_>,
        form: &PublishedForm,
        spans: &BTreeSet<Span>,
    ) -> Result<Counts, ApiError> {
        let needed: BTreeSet<Span> = (self.pieces(spans))
            .flat_map(|(_, _, (first, last))| cover(first, last))
            .collect();
        let agencies: Vec<Uuid> = (self.members.values())
            .map(|m| m.agency)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        load_counts(cx, form, &agencies, needed).await
    }

    /// Each part-period member's agency and runs of months within `first..=last`.
    pub fn runs_between(&self, first: Month, last: Month) -> Vec<(Uuid, Month, Month)> {
        (self.members.values())
            .flat_map(|m| {
                m.within(first, last)
                    .into_iter()
                    .map(|(a, b)| (m.agency, a, b))
            })
            .collect()
    }

    /// The breakdown of the whole members over `period` (all cells, and each member's own) with
    /// each part-period member's added: its responses scanned run by run, its own cells those
    /// of its runs merged (a subtree's cells are checked against them as against an agency's).
    pub async fn scanned(
        &self,
        cx: &Context<'_>,
        form: &PublishedForm,
        (cells, mut members): ScannedBreakdown,
        period: &Period,
        dim: Dimension,
    ) -> Result<ScannedBreakdown, ApiError> {
        if self.members.is_empty() {
            return Ok((cells, members));
        }
        let spans = spans_of(period);
        let source = self.source(cx, form, &spans).await?;
        let mut own: BTreeMap<Uuid, Vec<Vec<BreakdownCellInput>>> = BTreeMap::new();
        for (m, _, (first, last)) in self.pieces(&spans) {
            let run = Period::range(&first.to_string(), &last.to_string()).map_err(unexpected)?;
            let (run_cells, _) = scan(cx, form, &source, &[m.agency], &run, dim).await?;
            own.entry(m.id()).or_default().push(run_cells);
        }
        let merge = |parts: &[Vec<BreakdownCellInput>]| {
            BreakdownCellInput::merged(&form.score, parts.iter().map(Vec::as_slice))
                .map_err(unexpected)
        };
        let mut all = vec![cells];
        for (id, runs) in own {
            let cells = merge(&runs)?;
            all.push(cells.clone());
            members.push((id, cells));
        }
        Ok((merge(&all)?, members))
    }
}
