//! What a batch of submissions decides, whichever connection stores it: the one place that
//! says which response of a batch claims its dossier, which outcome each response gets, and
//! which answers go to `pending_responses` (open months) or are a late entry of a closed month.
//! Both writers — the asynchronous one (PostgreSQL, agency entries, in-memory SQLite) and the
//! synchronous SQLite one (`sqlite`) — run the same steps with these values and the statements
//! built here, so the rules exist once.
//!
//! The steps of a batch, in one transaction: claim the dossiers of [`Plan::claims`]
//! (`dossiers::claim`), read the last published month, ask why each of
//! [`Plan::unclaimed`] was not claimed ([`not_claimed_select`], rare), then [`Plan::decide`];
//! the [`Decision`] says what to unclaim, insert and erase.

use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::{Expr, ExprTrait, InsertStatement, Order, Query, SelectStatement};
use sea_orm::{ActiveValue::Set, EntityTrait, QueryTrait};
use uuid::Uuid;

use super::Outcome;
use crate::domain::responses::NewResponse;
use crate::persistence::dossiers::Claim;
use crate::persistence::entities::pending_response;

/// A batch of submissions and, per dossier, the first of them: the one that claims it. The
/// batch is already in random order (`domain::responses::shuffle`), so "first" favours no
/// client.
pub struct Plan<'a> {
    batch: &'a [&'a NewResponse],
    first: HashMap<Uuid, usize>,
}

/// What storing a batch does after claiming: an outcome per response (in batch order), and the
/// rows to write.
#[derive(Debug, Default)]
pub struct Decision<'a> {
    pub outcomes: Vec<Outcome>,
    /// Answers of open months, published when their month closes.
    pub pending: Vec<&'a NewResponse>,
    /// An agency's entries for a closed month: stored as published, their scores counted now.
    pub late: Vec<&'a NewResponse>,
    /// Dossiers claimed for an answer through a link whose month closed meanwhile: unclaimed.
    pub reopen: Vec<Uuid>,
    /// Dossiers answered by this batch: their e-mail addresses are erased.
    pub answered: Vec<Uuid>,
}

impl<'a> Decision<'a> {
    /// Every response the batch stores (pending and late): what the integrity counts add.
    pub fn stored(&self) -> Vec<&'a NewResponse> {
        self.pending.iter().chain(&self.late).copied().collect()
    }
}

impl<'a> Plan<'a> {
    /// The plan of `batch`.
    pub fn new(batch: &'a [&'a NewResponse]) -> Self {
        let mut first = HashMap::with_capacity(batch.len());
        for (i, r) in batch.iter().enumerate() {
            first.entry(r.dossier_id).or_insert(i);
        }
        Self { batch, first }
    }

    /// The dossiers to claim, once each, with what the claim writes.
    pub fn claims(&self) -> Vec<Claim<'a>> {
        self.batch
            .iter()
            .enumerate()
            .filter(|(i, r)| self.first.get(&r.dossier_id) == Some(i))
            .map(|(_, r)| Claim {
                id: r.dossier_id,
                digest: r.digest.as_deref(),
                sealed_code: &r.sealed_code,
                link_valid_at: r.link_valid_at,
            })
            .collect()
    }

    /// The dossiers of the batch that the claim did not take (answered before, or their link
    /// ended), once each: why is asked with [`not_claimed_select`].
    pub fn unclaimed(&self, claimed: &HashSet<Uuid>) -> Vec<Uuid> {
        self.claims()
            .into_iter()
            .map(|c| c.id)
            .filter(|id| !claimed.contains(id))
            .collect()
    }

    /// The outcome of every response and the rows to write, given the dossiers the claim took,
    /// the last published month (`YYYY-MM`) and the outcome of each unclaimed dossier.
    pub fn decide(
        &self,
        claimed: &HashSet<Uuid>,
        published: Option<&str>,
        not_claimed: &HashMap<Uuid, Outcome>,
    ) -> Decision<'a> {
        let mut d = Decision {
            outcomes: Vec::with_capacity(self.batch.len()),
            pending: Vec::with_capacity(self.batch.len()),
            ..Decision::default()
        };
        for (i, r) in self.batch.iter().copied().enumerate() {
            let firsts = self.first.get(&r.dossier_id).copied();
            let outcome = if !claimed.contains(&r.dossier_id) {
                // Answered before this batch, or its link ended.
                not_claimed
                    .get(&r.dossier_id)
                    .cloned()
                    .unwrap_or(Outcome::Closed)
            } else if firsts != Some(i) {
                // Answered by an earlier response of this batch.
                Outcome::AlreadyAnswered {
                    digest: firsts
                        .and_then(|f| self.batch.get(f))
                        .and_then(|f| f.digest.clone()),
                }
            } else if published.is_some_and(|p| r.period_month.as_str() <= p) {
                if r.link_valid_at.is_some() {
                    // A link of a month closed after its dossier was read (registered just as
                    // the month closed): never published late, that would change the numbers.
                    d.reopen.push(r.dossier_id);
                    Outcome::Closed
                } else {
                    d.answered.push(r.dossier_id);
                    d.late.push(r);
                    Outcome::Stored
                }
            } else {
                d.answered.push(r.dossier_id);
                d.pending.push(r);
                Outcome::Stored
            };
            d.outcomes.push(outcome);
        }
        d
    }
}

/// Why a dossier was not claimed, from its `answered` flag and kept digest (the row of
/// [`not_claimed_select`]; no row: `answered` is `None`).
pub fn not_claimed_outcome(answered: Option<bool>, digest: Option<String>) -> Outcome {
    match answered {
        Some(true) => Outcome::AlreadyAnswered { digest },
        _ => Outcome::Closed,
    }
}

/// Reads `answered` and `response_digest` of one dossier (for [`not_claimed_outcome`]).
pub fn not_claimed_select(dossier_id: Uuid) -> SelectStatement {
    Query::select()
        .columns(["answered", "response_digest"])
        .from("dossiers")
        .and_where(Expr::col("id").eq(dossier_id))
        .to_owned()
}

/// Reads the last closed month (`month` of `closed_months`): every month up to it is published.
pub fn published_select() -> SelectStatement {
    Query::select()
        .column("month")
        .from("closed_months")
        .order_by("month", Order::Desc)
        .limit(1)
        .to_owned()
}

/// Rows per insert into `pending_responses` (11 columns: far below SQLite's 32,766
/// parameters).
const INSERT_ROWS: usize = 1000;

/// The inserts of `rows` into `pending_responses`, each under a fresh random id.
pub fn pending_inserts(rows: &[&NewResponse]) -> Vec<InsertStatement> {
    rows.chunks(INSERT_ROWS)
        .map(|chunk| {
            let models = chunk.iter().map(|r| {
                let m = super::row(r);
                pending_response::ActiveModel {
                    id: Set(m.id),
                    agency_id: Set(m.agency_id),
                    form_key: Set(m.form_key),
                    form_version: Set(m.form_version),
                    period_month: Set(m.period_month),
                    channel: Set(m.channel),
                    mode: Set(m.mode),
                    procedure_field: Set(m.procedure_field),
                    valid: Set(m.valid),
                    invalid_reason: Set(m.invalid_reason),
                    answers: Set(m.answers),
                }
            });
            pending_response::Entity::insert_many(models).into_query()
        })
        .collect()
}
