//! Storing anonymous responses exactly once per dossier, durably and fast.
//!
//! One [`ResponseWriter`] task per process owns all response writes. Requests hand it a
//! [`NewResponse`] and wait; the writer takes everything that is queued (up to a batch limit),
//! and commits it in **one transaction**: per item, a conditional update flips the dossier's
//! `answered` flag (`… WHERE id = ? AND answered = false`) and, only if it did, the response row
//! is inserted. A request is answered only after the commit, so an acknowledged response is on
//! disk (SQLite runs with `synchronous = FULL`), and throughput is one fsync per batch, not per
//! request. The same update replaces the dossier code by its keyed hash and the dossier's e-mail
//! address is erased: once answered, neither is needed. Rows are shuffled within a batch and ids are random, so storage order does not follow
//! submission order (docs/privacy.md). On PostgreSQL the conditional update takes the row lock,
//! so several processes on one database still store each dossier's response once.

use futures_util::FutureExt;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, TransactionTrait,
};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use std::sync::Arc;

use super::aggregates;
use super::entities::response;
use super::outbox;
use crate::domain::aggregates::{Contribution, ScoreShape};
use crate::domain::dossiers::Dossier;
use crate::domain::submissions::{InvalidReason, Mode, ValidSubmission};
use crate::domain::tokens::TokenKey;

/// A validated response for a dossier.
#[derive(Debug, Clone)]
pub struct NewResponse {
    pub dossier_id: Uuid,
    /// What replaces the dossier code once answered (`TokenKey::seal_code`).
    pub sealed_code: String,
    /// Keyed digest of the submitted body, kept on the dossier while its token is valid.
    pub digest: String,
    pub agency_id: Uuid,
    pub form_key: String,
    pub form_version: i32,
    /// `YYYY-MM` of the dossier's completion.
    pub period_month: String,
    pub channel: String,
    pub mode: &'static str,
    pub procedure_field: Option<String>,
    /// `None` when valid; the reason of an invalid return otherwise.
    pub invalid_reason: Option<&'static str>,
    /// The normalised answers as JSON text.
    pub answers: String,
    /// The layout of the form version's score buckets.
    pub score: Arc<ScoreShape>,
    /// What the response adds to its score bucket (`persistence::aggregates`).
    pub contribution: Contribution,
}

impl NewResponse {
    /// The row to store for `dossier` answered with `valid` in `mode` — the one place a response
    /// is built, whichever way it came in. It carries the dossier's month, never its code or
    /// id; the sealed code and the keyed digest of the canonical answers go to the dossier row.
    pub fn for_dossier(
        dossier: &Dossier,
        valid: &ValidSubmission,
        mode: Mode,
        key: &TokenKey,
        score: &Arc<ScoreShape>,
    ) -> Result<Self, serde_json::Error> {
        // `answers` is a BTreeMap: the serialisation is canonical (keys sorted, no white space).
        let answers = serde_json::to_string(&valid.answers)?;
        Ok(Self {
            dossier_id: dossier.id,
            sealed_code: key.seal_code(dossier.agency_id, &dossier.dossier_code),
            digest: key.answers_digest(dossier.id, answers.as_bytes()),
            agency_id: dossier.agency_id,
            form_key: dossier.form_key.clone(),
            form_version: i32::try_from(dossier.form_version).unwrap_or(i32::MAX),
            period_month: dossier.period_month(),
            channel: dossier.channel.as_str().to_owned(),
            mode: mode.as_str(),
            procedure_field: dossier.procedure_field.clone(),
            invalid_reason: valid.invalid.map(InvalidReason::as_str),
            answers,
            contribution: score.contribution(&valid.answers, valid.invalid.is_none()),
            score: score.clone(),
        })
    }
}

/// What happened to one submitted response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored now.
    Stored,
    /// The dossier was answered before; the digest of that answer, if still kept.
    AlreadyAnswered { digest: Option<String> },
}

struct Job {
    response: NewResponse,
    reply: oneshot::Sender<Result<Outcome, String>>,
}

/// Handle to the writer task (cheap to clone).
#[derive(Clone)]
pub struct ResponseWriter {
    tx: mpsc::Sender<Job>,
}

/// The writer task has stopped or its transaction failed.
#[derive(Debug, thiserror::Error)]
#[error("the response could not be stored: {0}")]
pub struct WriteFailed(pub String);

impl ResponseWriter {
    /// Starts the writer on `db`, committing at most `max_batch` responses per transaction.
    pub fn spawn(db: DatabaseConnection, max_batch: usize) -> Self {
        let (tx, rx) = mpsc::channel(max_batch.max(1) * 4);
        tokio::spawn(run(db, rx, max_batch.max(1)));
        Self { tx }
    }

    /// Stores `response` (or finds its dossier already answered); returns after the commit.
    pub async fn submit(&self, response: NewResponse) -> Result<Outcome, WriteFailed> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Job { response, reply })
            .await
            .map_err(|_| WriteFailed("the writer has stopped".into()))?;
        rx.await
            .map_err(|_| WriteFailed("the writer has stopped".into()))?
            .map_err(WriteFailed)
    }
}

async fn run(db: DatabaseConnection, mut rx: mpsc::Receiver<Job>, max_batch: usize) {
    let mut batch = Vec::with_capacity(max_batch);
    while rx.recv_many(&mut batch, max_batch).await > 0 {
        shuffle(&mut batch);
        // A panic while storing a batch fails that batch's requests (their reply senders are
        // dropped), not the writer: later submissions are still stored.
        let jobs = std::mem::take(&mut batch);
        let stored = std::panic::AssertUnwindSafe(store_batch(&db, jobs))
            .catch_unwind()
            .await;
        if stored.is_err() {
            tracing::error!("the response writer panicked while storing a batch");
        }
    }
}

/// Random order: storage order must not reveal submission order (docs/privacy.md), nor the order
/// of an import file. Each item gets one random key, drawn once, so the sort sees a consistent
/// order.
pub fn shuffle<T>(items: &mut Vec<T>) {
    let mut keyed: Vec<(u128, T)> = items
        .drain(..)
        .map(|item| (Uuid::new_v4().as_u128(), item))
        .collect();
    keyed.sort_unstable_by_key(|(key, _)| *key);
    items.extend(keyed.into_iter().map(|(_, item)| item));
}

async fn store_batch(db: &DatabaseConnection, mut batch: Vec<Job>) {
    let responses: Vec<&NewResponse> = batch.iter().map(|j| &j.response).collect();
    match commit(db, &responses).await {
        Ok(outcomes) => {
            for (job, outcome) in batch.drain(..).zip(outcomes) {
                let _ = job.reply.send(Ok(outcome));
            }
        }
        Err(e) if batch.len() > 1 => {
            // One bad row must not fail the others: store each alone.
            tracing::warn!(error = %e, size = batch.len(), "response batch failed; retrying one by one");
            for job in batch.drain(..) {
                let outcome = commit(db, &[&job.response])
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|mut o| o.pop().ok_or_else(|| "no outcome".to_owned()));
                if let Err(e) = &outcome {
                    tracing::error!(error = %e, "storing a response failed");
                }
                let _ = job.reply.send(outcome);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "storing a response failed");
            for job in batch.drain(..) {
                let _ = job.reply.send(Err(e.to_string()));
            }
        }
    }
}

/// Stores a batch in one transaction; one outcome per response, in order.
pub async fn commit(
    db: &DatabaseConnection,
    batch: &[&NewResponse],
) -> Result<Vec<Outcome>, DbErr> {
    let txn = db.begin().await?;
    let outcomes = store(&txn, batch).await?;
    txn.commit().await?;
    Ok(outcomes)
}

/// What [`commit`] does, inside the caller's transaction: for bulk loads that register dossiers
/// and store their responses in one transaction (`sipas demo`). The caller commits.
pub async fn store(
    txn: &impl ConnectionTrait,
    batch: &[&NewResponse],
) -> Result<Vec<Outcome>, DbErr> {
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut rows = Vec::new();
    let mut answered = Vec::new();
    let mut stored: Vec<&NewResponse> = Vec::new();
    for r in batch {
        let claim = Query::update()
            .table("dossiers")
            .value("answered", true)
            .value("response_digest", r.digest.clone())
            .value("dossier_code", r.sealed_code.clone())
            .and_where(Expr::col("id").eq(r.dossier_id))
            .and_where(Expr::col("answered").eq(false))
            .to_owned();
        if txn.execute(&claim).await?.rows_affected() == 1 {
            rows.push(response::ActiveModel {
                id: Set(Uuid::new_v4()),
                agency_id: Set(r.agency_id),
                form_key: Set(r.form_key.clone()),
                form_version: Set(r.form_version),
                period_month: Set(r.period_month.clone()),
                channel: Set(r.channel.clone()),
                mode: Set(r.mode.to_owned()),
                procedure_field: Set(r.procedure_field.clone()),
                valid: Set(r.invalid_reason.is_none()),
                invalid_reason: Set(r.invalid_reason.map(str::to_owned)),
                answers: Set(r.answers.clone()),
            });
            answered.push(r.dossier_id);
            stored.push(r);
            outcomes.push(Outcome::Stored);
        } else {
            outcomes.push(Outcome::AlreadyAnswered {
                digest: stored_digest(txn, r.dossier_id).await?,
            });
        }
    }
    // SQLite allows 32766 bound parameters; 11 columns a row.
    for chunk in rows.chunks(2000) {
        response::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    outbox::erase_for_dossiers(txn, &answered).await?;
    aggregates::apply(txn, &stored).await?;
    Ok(outcomes)
}

async fn stored_digest(
    db: &impl ConnectionTrait,
    dossier_id: Uuid,
) -> Result<Option<String>, DbErr> {
    let select = Query::select()
        .column("response_digest")
        .from("dossiers")
        .and_where(Expr::col("id").eq(dossier_id))
        .to_owned();
    Ok(match db.query_one(&select).await? {
        Some(row) => row.try_get::<Option<String>>("", "response_digest")?,
        None => None,
    })
}
