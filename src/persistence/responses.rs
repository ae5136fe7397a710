//! Storing anonymous responses exactly once per dossier, durably and fast.
//!
//! One [`ResponseWriter`] task per process owns all response writes, on a database connection of
//! its own (`persistence::dedicated`). Requests hand it a [`NewResponse`] and wait; the writer
//! takes everything that is queued (up to a batch limit) and commits it in **one transaction** of
//! a constant number of statements: one conditional update flips the `answered` flag of every
//! dossier of the batch (`… WHERE answered = false RETURNING id`, `dossiers::claim`), and only
//! the responses whose dossier it flipped are inserted; then e-mail addresses are erased and the
//! score buckets updated. A request is answered only after the commit, so an acknowledged
//! response is on disk (SQLite runs with `synchronous = FULL`), and throughput is one fsync per
//! batch, not per request. The same update replaces the dossier code by its keyed hash and the
//! dossier's e-mail address is erased: once answered, neither is needed. Rows are shuffled
//! within a batch and ids are random, so storage order does not follow submission order
//! (docs/privacy.md). On PostgreSQL the conditional update takes the row locks, so several
//! processes on one database still store each dossier's response once.
//!
//! `scripts/bench-submit` measures this path under load and `scripts/crash-test` kills the
//! server in the middle of it (README, "Benchmarks").
//!
//! Reading them back raw, for the anonymous-answer export, is [`export_next_month`] and
//! [`export_page`]: one agency, one form version and one month at a time, a page at a time in
//! keyset order.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use futures_util::FutureExt;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement,
};
use tokio::sync::{mpsc, oneshot};
use tokio::task::{AbortHandle, JoinHandle};
use uuid::Uuid;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::aggregates;
use super::dossiers::{self, Claim};
use super::entities::response;
use super::months;
use super::outbox;
use crate::domain::responses::{ExportRow, NewResponse, shuffle};

/// What happened to one submitted response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored now.
    Stored,
    /// The dossier was answered before; the digest of that answer, if still kept.
    AlreadyAnswered { digest: Option<String> },
    /// The dossier's link had ended (its month was closed while the answer was on its way).
    Closed,
}

struct Job {
    response: NewResponse,
    reply: oneshot::Sender<Result<Outcome, String>>,
}

/// Handle to the writer task (cheap to clone).
#[derive(Clone)]
pub struct ResponseWriter {
    tx: mpsc::Sender<Job>,
    stats: Arc<WriterStats>,
    /// Longest a submission waits for its commit (queue included).
    wait: Duration,
    task: AbortHandle,
}

/// What the writer has done since the start (rendered by `GET /metrics`).
#[derive(Debug)]
pub struct WriterStats {
    /// Transactions committed (batches).
    pub batches: AtomicU64,
    /// Responses in those batches (stored or found answered).
    pub responses: AtomicU64,
    /// Microseconds spent in those transactions, from `BEGIN` to the end of `COMMIT`.
    pub commit_micros: AtomicU64,
    /// When the batch being stored began, in milliseconds after `epoch` plus one; 0 while the
    /// writer waits for work. A batch that never ends (a lock held elsewhere, a database that
    /// stopped answering) shows here, while the task itself still runs.
    busy_since: AtomicU64,
    epoch: Instant,
}

impl Default for WriterStats {
    fn default() -> Self {
        Self {
            batches: AtomicU64::default(),
            responses: AtomicU64::default(),
            commit_micros: AtomicU64::default(),
            busy_since: AtomicU64::default(),
            epoch: Instant::now(),
        }
    }
}

impl WriterStats {
    fn begin_batch(&self) {
        let since = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        self.busy_since.store(since + 1, Ordering::Relaxed);
    }

    fn end_batch(&self) {
        self.busy_since.store(0, Ordering::Relaxed);
    }

    /// How long the batch being stored has taken so far; `None` while the writer is idle.
    pub fn busy_for(&self) -> Option<Duration> {
        let since = self.busy_since.load(Ordering::Relaxed).checked_sub(1)?;
        Some(
            self.epoch
                .elapsed()
                .saturating_sub(Duration::from_millis(since)),
        )
    }

    /// The Prometheus text exposition of these counters.
    pub fn render(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        format!(
            "# HELP sipas_response_batches_total Transactions of the response writer.\n\
             # TYPE sipas_response_batches_total counter\n\
             sipas_response_batches_total {}\n\
             # HELP sipas_response_batch_items_total Submissions in those transactions.\n\
             # TYPE sipas_response_batch_items_total counter\n\
             sipas_response_batch_items_total {}\n\
             # HELP sipas_response_commit_seconds_total Time spent in those transactions.\n\
             # TYPE sipas_response_commit_seconds_total counter\n\
             sipas_response_commit_seconds_total {}\n",
            get(&self.batches),
            get(&self.responses),
            get(&self.commit_micros) as f64 / 1e6,
        )
    }
}

/// Why a submission has no outcome.
#[derive(Debug, thiserror::Error)]
pub enum WriteFailed {
    /// The writer task is gone (the process is stopping; a supervisor restarts it).
    #[error("the response writer has stopped")]
    Stopped,
    /// No commit within the writer's wait. The response may still be stored: a retry with the
    /// same submission key tells.
    #[error("the response writer did not answer in time")]
    TimedOut,
    /// The batch's transaction failed.
    #[error("the response could not be stored: {0}")]
    Failed(String),
}

impl ResponseWriter {
    /// Starts the writer on `db`, committing at most `max_batch` responses per transaction;
    /// a submission waits at most `wait` for its commit. The task's handle is for whoever
    /// supervises it (the server stops when it ends).
    pub fn spawn(
        db: DatabaseConnection,
        max_batch: usize,
        wait: Duration,
    ) -> (Self, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(max_batch.max(1) * 4);
        let stats = Arc::new(WriterStats::default());
        let task = tokio::spawn(run(db, rx, max_batch.max(1), stats.clone()));
        let writer = Self {
            tx,
            stats,
            wait,
            task: task.abort_handle(),
        };
        (writer, task)
    }

    /// The writer's counters.
    pub fn stats(&self) -> &WriterStats {
        &self.stats
    }

    /// Whether the writer task still runs (`/ready` says 503 once it does not).
    pub fn is_running(&self) -> bool {
        !self.tx.is_closed()
    }

    /// How long the writer has been storing one batch, when that is longer than a submission
    /// waits for its commit: every answer sent now would time out (`/ready` says 503 then).
    pub fn stalled_for(&self) -> Option<Duration> {
        self.stats.busy_for().filter(|busy| *busy > self.wait)
    }

    /// Stops the writer task, as a crash of it would: submissions fail with `Stopped`, and the
    /// server that supervises it stops (tests use this).
    pub fn abort(&self) {
        self.task.abort();
    }

    /// Stores `response` (or finds its dossier already answered); returns after the commit.
    pub async fn submit(&self, response: NewResponse) -> Result<Outcome, WriteFailed> {
        let (reply, rx) = oneshot::channel();
        let committed = async {
            self.tx
                .send(Job { response, reply })
                .await
                .map_err(|_| WriteFailed::Stopped)?;
            rx.await
                .map_err(|_| WriteFailed::Stopped)?
                .map_err(WriteFailed::Failed)
        };
        tokio::time::timeout(self.wait, committed)
            .await
            .map_err(|_| WriteFailed::TimedOut)?
    }
}

async fn run(
    db: DatabaseConnection,
    mut rx: mpsc::Receiver<Job>,
    max_batch: usize,
    stats: Arc<WriterStats>,
) {
    let mut batch = Vec::with_capacity(max_batch);
    while rx.recv_many(&mut batch, max_batch).await > 0 {
        shuffle(&mut batch);
        // A panic while storing a batch fails that batch's requests (their reply senders are
        // dropped), not the writer: later submissions are still stored.
        let jobs = std::mem::take(&mut batch);
        let size = jobs.len() as u64;
        let started = Instant::now();
        stats.begin_batch();
        let stored = std::panic::AssertUnwindSafe(store_batch(&db, jobs))
            .catch_unwind()
            .await;
        stats.end_batch();
        if stored.is_err() {
            tracing::error!("the response writer panicked while storing a batch");
        }
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats.responses.fetch_add(size, Ordering::Relaxed);
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        stats.commit_micros.fetch_add(micros, Ordering::Relaxed);
    }
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
///
/// A constant number of statements per batch, whatever its size: one claims every dossier
/// (`dossiers::claim`), one reads which months are published, one inserts the answers of open
/// months into `pending_responses` (published when their month closes, `app::months`), and
/// one erases e-mail addresses; an agency's late entry for a closed month goes to `responses`
/// and its score bucket at once (three more). A dossier named twice in a batch (concurrent
/// submissions) is claimed once, by its first response in the (shuffled) batch.
pub async fn commit(
    db: &DatabaseConnection,
    batch: &[&NewResponse],
) -> Result<Vec<Outcome>, DbErr> {
    let txn = crate::persistence::begin_write(db).await?;
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
    // Before anything else: ordered with the closing of a month (`months::lock`); on SQLite the
    // claim below is the first statement and writes, which takes the database's write lock.
    months::lock(txn, months::Locker::Writer).await?;
    let mut first: HashMap<Uuid, usize> = HashMap::with_capacity(batch.len());
    let mut claims = Vec::with_capacity(batch.len());
    for (i, r) in batch.iter().enumerate() {
        if let Entry::Vacant(slot) = first.entry(r.dossier_id) {
            slot.insert(i);
            claims.push(Claim {
                id: r.dossier_id,
                digest: r.digest.as_deref(),
                sealed_code: &r.sealed_code,
                link_valid_at: r.link_valid_at,
            });
        }
    }
    let claimed = dossiers::claim(txn, &claims).await?;
    let published = months::published_through(txn).await?.map(|m| m.to_string());
    let mut outcomes = Vec::with_capacity(batch.len());
    let (mut pending, mut late, mut reopen) = (Vec::new(), Vec::new(), Vec::new());
    let mut answered = Vec::with_capacity(claimed.len());
    for (i, r) in batch.iter().enumerate() {
        let firsts = first.get(&r.dossier_id).copied();
        let outcome = if !claimed.contains(&r.dossier_id) {
            // Answered before this batch, or its link ended.
            not_claimed(txn, r.dossier_id).await?
        } else if firsts != Some(i) {
            // Answered by an earlier response of this batch.
            Outcome::AlreadyAnswered {
                digest: firsts
                    .and_then(|f| batch.get(f))
                    .and_then(|f| f.digest.clone()),
            }
        } else if published
            .as_deref()
            .is_some_and(|p| r.period_month.as_str() <= p)
        {
            if r.link_valid_at.is_some() {
                // A link of a month closed after its dossier was read (registered just as
                // the month closed): never published late, that would change the numbers.
                reopen.push(r.dossier_id);
                Outcome::Closed
            } else {
                answered.push(r.dossier_id);
                late.push(*r);
                Outcome::Stored
            }
        } else {
            answered.push(r.dossier_id);
            pending.push(row(r));
            Outcome::Stored
        };
        outcomes.push(outcome);
    }
    dossiers::unclaim(txn, &reopen).await?;
    months::insert_answers(txn, pending, true).await?;
    months::insert_answers(txn, late.iter().map(|r| row(r)).collect(), false).await?;
    outbox::erase_for_dossiers(txn, &answered).await?;
    aggregates::apply(txn, late.iter().map(|r| r.counted())).await?;
    Ok(outcomes)
}

/// The row of a response, under a fresh random id.
fn row(r: &NewResponse) -> response::Model {
    response::Model {
        id: Uuid::new_v4(),
        agency_id: r.agency_id,
        form_key: r.form_key.clone(),
        form_version: r.form_version,
        period_month: r.period_month.clone(),
        channel: r.channel.clone(),
        mode: r.mode.to_owned(),
        procedure_field: r.procedure_field.clone(),
        valid: r.invalid_reason.is_none(),
        invalid_reason: r.invalid_reason.map(str::to_owned),
        answers: r.answers.clone(),
    }
}

impl NewResponse {
    /// What the response adds to its score bucket.
    pub fn counted(&self) -> aggregates::Counted<'_> {
        aggregates::Counted {
            agency_id: self.agency_id,
            form_key: &self.form_key,
            form_version: self.form_version,
            period_month: &self.period_month,
            channel: &self.channel,
            score: &self.score,
            contribution: &self.contribution,
        }
    }
}

/// Why a dossier of the batch was not claimed: answered before (with the digest of that
/// answer, if still kept), or its link had ended.
async fn not_claimed(db: &impl ConnectionTrait, dossier_id: Uuid) -> Result<Outcome, DbErr> {
    let select = Query::select()
        .columns(["answered", "response_digest"])
        .from("dossiers")
        .and_where(Expr::col("id").eq(dossier_id))
        .to_owned();
    Ok(match db.query_one(&select).await? {
        Some(row) if row.try_get::<bool>("", "answered")? => Outcome::AlreadyAnswered {
            digest: row.try_get::<Option<String>>("", "response_digest")?,
        },
        _ => Outcome::Closed,
    })
}

/// A row of [`export_page`] as read (`domain::responses::ExportRow` is what it gives).
#[derive(Debug, FromQueryResult)]
struct ExportRowModel {
    id: Uuid,
    period_month: String,
    channel: String,
    mode: String,
    procedure_field: Option<String>,
    valid: bool,
    invalid_reason: Option<String>,
    answers: String,
}

impl From<ExportRowModel> for ExportRow {
    fn from(r: ExportRowModel) -> Self {
        ExportRow {
            id: r.id,
            period_month: r.period_month,
            channel: r.channel,
            mode: r.mode,
            procedure_field: r.procedure_field,
            valid: r.valid,
            invalid_reason: r.invalid_reason,
            answers: r.answers,
        }
    }
}

/// Which responses an export reads: one agency's, of one form version.
#[derive(Debug, Clone, Copy)]
pub struct ExportScope<'a> {
    pub agency_id: Uuid,
    pub form_key: &'a str,
    pub form_version: u32,
}

impl ExportScope<'_> {
    fn version(&self) -> i32 {
        i32::try_from(self.form_version).unwrap_or(i32::MAX)
    }

    fn select(&self) -> sea_orm::Select<response::Entity> {
        response::Entity::find()
            .filter(response::Column::AgencyId.eq(self.agency_id))
            .filter(response::Column::FormKey.eq(self.form_key))
            .filter(response::Column::FormVersion.eq(self.version()))
    }
}

/// The first month (`YYYY-MM`) in which `scope` has responses, among the months after `after`
/// (from `months.0` when `None`) up to `months.1`; `None` when there is none. One seek in the
/// index `ix_responses_export (agency_id, form_key, form_version, period_month, id)`, so the
/// months without responses cost nothing and an agency without any costs one lookup.
pub async fn export_next_month(
    db: &impl ConnectionTrait,
    scope: &ExportScope<'_>,
    months: (&str, &str),
    after: Option<&str>,
) -> Result<Option<String>, DbErr> {
    next_month_select(scope, months, after)
        .into_tuple::<String>()
        .one(db)
        .await
}

fn next_month_select(
    scope: &ExportScope<'_>,
    (from, to): (&str, &str),
    after: Option<&str>,
) -> sea_orm::Select<response::Entity> {
    let start = match after {
        Some(month) => response::Column::PeriodMonth.gt(month),
        None => response::Column::PeriodMonth.gte(from),
    };
    scope
        .select()
        .select_only()
        .column(response::Column::PeriodMonth)
        .filter(start)
        .filter(response::Column::PeriodMonth.lte(to))
        .order_by_asc(response::Column::PeriodMonth)
        .limit(1)
}

/// The next `limit` responses of `scope` in `month` (`YYYY-MM`) with an id above `after` (from
/// the start when `None`), by id. Keyset pagination, never `OFFSET`: through the index
/// `ix_responses_export` each page is a range scan that starts where the last one stopped and
/// comes out in order, so a million rows cost a million, not a million squared. Pages are
/// separate statements: run them in one transaction for one snapshot (the export does).
pub async fn export_page(
    db: &impl ConnectionTrait,
    scope: &ExportScope<'_>,
    month: &str,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<ExportRow>, DbErr> {
    let rows = page_select(scope, month, after, limit)
        .into_model::<ExportRowModel>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(ExportRow::from).collect())
}

fn page_select(
    scope: &ExportScope<'_>,
    month: &str,
    after: Option<Uuid>,
    limit: u64,
) -> sea_orm::Select<response::Entity> {
    let mut query = scope
        .select()
        .select_only()
        .columns([
            response::Column::Id,
            response::Column::PeriodMonth,
            response::Column::Channel,
            response::Column::Mode,
            response::Column::ProcedureField,
            response::Column::Valid,
            response::Column::InvalidReason,
            response::Column::Answers,
        ])
        .filter(response::Column::PeriodMonth.eq(month));
    if let Some(after) = after {
        query = query.filter(response::Column::Id.gt(after));
    }
    query.order_by_asc(response::Column::Id).limit(limit)
}

/// One combination of quasi-identifiers of an agency's responses and how many have it:
/// month, channel, mode, procedure field, validity, count.
pub type QuasiCount = (String, String, String, Option<String>, bool, i64);

/// How many responses of `scope` in months `from..=to` each combination of month, channel,
/// mode, procedure field and validity has (`domain::anonymity`): one grouped query, read before
/// the rows so the export knows what to generalise.
pub async fn export_quasi_counts(
    db: &impl ConnectionTrait,
    scope: &ExportScope<'_>,
    (from, to): (&str, &str),
) -> Result<Vec<QuasiCount>, DbErr> {
    scope
        .select()
        .select_only()
        .column(response::Column::PeriodMonth)
        .column(response::Column::Channel)
        .column(response::Column::Mode)
        .column(response::Column::ProcedureField)
        .column(response::Column::Valid)
        .column_as(response::Column::Id.count(), "n")
        .filter(response::Column::PeriodMonth.between(from, to))
        .group_by(response::Column::PeriodMonth)
        .group_by(response::Column::Channel)
        .group_by(response::Column::Mode)
        .group_by(response::Column::ProcedureField)
        .group_by(response::Column::Valid)
        .into_tuple()
        .all(db)
        .await
}

/// The statements [`export_next_month`] and [`export_page`] run (for the first month and page,
/// and for later ones), for looking at their query plans.
pub fn export_statements(
    backend: DatabaseBackend,
    scope: &ExportScope<'_>,
    months: (&str, &str),
) -> Vec<Statement> {
    vec![
        next_month_select(scope, months, None).build(backend),
        next_month_select(scope, months, Some(months.0)).build(backend),
        page_select(scope, months.0, None, 1_000).build(backend),
        page_select(scope, months.0, Some(Uuid::nil()), 1_000).build(backend),
    ]
}
