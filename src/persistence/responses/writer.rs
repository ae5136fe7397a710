//! The response writer: requests hand it a [`NewResponse`] and wait for the commit of the batch
//! it joined. Two lanes share one handle:
//!
//! - on a SQLite file, answers sent through survey links go to a thread with a synchronous
//!   connection of its own (`sqlite`): no hop to a driver thread per statement, statements
//!   prepared once;
//! - everything else (PostgreSQL, an in-memory SQLite database, an agency's entries, which may
//!   be late entries counted at once by `aggregates::apply`) goes to an asynchronous task on a
//!   dedicated sea-orm connection (`persistence::dedicated`).
//!
//! Both take everything queued (up to the batch limit) into one transaction and decide it with
//! the same `batch::Plan`; exactly-once holds across the lanes because each claims its dossiers
//! with the same conditional update under the database's write lock.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use sea_orm::DatabaseConnection;
use tokio::sync::{mpsc, oneshot};
use tokio::task::{AbortHandle, JoinHandle};

use super::{Outcome, commit};
use crate::domain::responses::{NewResponse, shuffle};

pub(super) struct Job {
    pub(super) response: NewResponse,
    reply: oneshot::Sender<Result<Outcome, String>>,
}

/// Which lane stored a batch.
#[derive(Debug, Clone, Copy)]
pub(super) enum Lane {
    Async = 0,
    Sqlite = 1,
}

/// Handle to the writer (cheap to clone).
#[derive(Clone)]
pub struct ResponseWriter {
    tx: mpsc::Sender<Job>,
    /// The SQLite lane, for answers through links; `None` where there is none.
    links: Option<mpsc::Sender<Job>>,
    stats: Arc<WriterStats>,
    /// Longest a submission waits for its commit (queue included).
    wait: Duration,
    task: AbortHandle,
    stop: Arc<AtomicBool>,
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
    /// Per lane, when the batch being stored began, in milliseconds after `epoch` plus one; 0
    /// while the lane waits for work. A batch that never ends (a lock held elsewhere, a
    /// database that stopped answering) shows here, while the writer itself still runs.
    busy_since: [AtomicU64; 2],
    epoch: Instant,
}

impl Default for WriterStats {
    fn default() -> Self {
        Self {
            batches: AtomicU64::default(),
            responses: AtomicU64::default(),
            commit_micros: AtomicU64::default(),
            busy_since: Default::default(),
            epoch: Instant::now(),
        }
    }
}

/// A batch being stored, for [`WriterStats::end_batch`].
pub(super) struct BatchTimer {
    lane: Lane,
    size: u64,
    started: Instant,
}

impl WriterStats {
    pub(super) fn begin_batch(&self, lane: Lane, size: usize) -> BatchTimer {
        let since = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        self.busy_since[lane as usize].store(since + 1, Ordering::Relaxed);
        BatchTimer {
            lane,
            size: size as u64,
            started: Instant::now(),
        }
    }

    pub(super) fn end_batch(&self, timer: BatchTimer) {
        self.busy_since[timer.lane as usize].store(0, Ordering::Relaxed);
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.responses.fetch_add(timer.size, Ordering::Relaxed);
        let micros = u64::try_from(timer.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.commit_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// How long the longest batch being stored has taken so far; `None` while the writer is
    /// idle.
    pub fn busy_for(&self) -> Option<Duration> {
        let since = self
            .busy_since
            .iter()
            .filter_map(|b| b.load(Ordering::Relaxed).checked_sub(1))
            .min()?;
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
    /// The writer is gone (the process is stopping; a supervisor restarts it).
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
    /// a submission waits at most `wait` for its commit. With `sqlite_lane` (a SQLite file),
    /// answers through links are stored by a thread with a connection of its own to that file.
    /// The returned task ends when either lane ends: it is for whoever supervises the writer
    /// (the server stops then).
    pub fn spawn(
        db: DatabaseConnection,
        (max_batch, wait): (usize, Duration),
        sqlite_lane: Option<&std::path::Path>,
    ) -> std::io::Result<(Self, JoinHandle<()>)> {
        let max_batch = max_batch.max(1);
        let stats = Arc::new(WriterStats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (links, ended) = match sqlite_lane {
            Some(path) => {
                let (tx, rx) = mpsc::channel(max_batch * 4);
                let (done, ended) = oneshot::channel();
                super::sqlite::spawn(path, rx, (max_batch, stats.clone()), stop.clone(), done)?;
                (Some(tx), Some(ended))
            }
            None => (None, None),
        };
        let (tx, rx) = mpsc::channel(max_batch * 4);
        let lane = run(db, rx, max_batch, stats.clone());
        let task = tokio::spawn(async move {
            match ended {
                Some(ended) => {
                    tokio::select! {
                        () = lane => {}
                        _ = ended => {}
                    }
                }
                None => lane.await,
            }
        });
        let writer = Self {
            tx,
            links,
            stats,
            wait,
            task: task.abort_handle(),
            stop,
        };
        Ok((writer, task))
    }

    /// The writer's counters.
    pub fn stats(&self) -> &WriterStats {
        &self.stats
    }

    /// Whether the writer still runs (`/ready` says 503 once it does not).
    pub fn is_running(&self) -> bool {
        !self.stop.load(Ordering::Relaxed)
            && !self.tx.is_closed()
            && self.links.as_ref().is_none_or(|l| !l.is_closed())
    }

    /// How long the writer has been storing one batch, when that is longer than a submission
    /// waits for its commit: every answer sent now would time out (`/ready` says 503 then).
    pub fn stalled_for(&self) -> Option<Duration> {
        self.stats.busy_for().filter(|busy| *busy > self.wait)
    }

    /// Stops the writer, as a crash of it would: submissions fail with `Stopped`, and the
    /// server that supervises it stops (tests use this).
    pub fn abort(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.abort();
    }

    /// Stores `response` (or finds its dossier already answered); returns after the commit.
    pub async fn submit(&self, response: NewResponse) -> Result<Outcome, WriteFailed> {
        if !self.is_running() {
            return Err(WriteFailed::Stopped);
        }
        let lane = match &self.links {
            Some(links) if response.link_valid_at.is_some() => links,
            _ => &self.tx,
        };
        let (reply, rx) = oneshot::channel();
        let committed = async {
            lane.send(Job { response, reply })
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
        let jobs = std::mem::take(&mut batch);
        let timer = stats.begin_batch(Lane::Async, jobs.len());
        // A panic while storing a batch fails that batch's requests (their reply senders are
        // dropped), not the writer: later submissions are still stored.
        let stored = std::panic::AssertUnwindSafe(store_batch(&db, jobs))
            .catch_unwind()
            .await;
        if stored.is_err() {
            tracing::error!("the response writer panicked while storing a batch");
        }
        stats.end_batch(timer);
    }
}

async fn store_batch(db: &DatabaseConnection, jobs: Vec<Job>) {
    let responses: Vec<&NewResponse> = jobs.iter().map(|j| &j.response).collect();
    let result = commit(db, &responses).await.map_err(|e| e.to_string());
    drop(responses);
    for job in settle(jobs, result).unwrap_or_default() {
        let result = commit(db, &[&job.response])
            .await
            .map_err(|e| e.to_string());
        settle(vec![job], result);
    }
}

/// Answers the jobs of a committed batch, or of a failed one of a single job; a failed batch
/// of several is returned, to store each alone: one bad row must not fail the others.
pub(super) fn settle(
    jobs: Vec<Job>,
    result: Result<Vec<Outcome>, String>,
) -> Option<Vec<Job>> {
    match result {
        Ok(outcomes) => {
            for (job, outcome) in jobs.into_iter().zip(outcomes) {
                let _ = job.reply.send(Ok(outcome));
            }
            None
        }
        Err(e) if jobs.len() > 1 => {
            tracing::warn!(error = %e, size = jobs.len(), "response batch failed; retrying one by one");
            Some(jobs)
        }
        Err(e) => {
            tracing::error!(error = %e, "storing a response failed");
            for job in jobs {
                let _ = job.reply.send(Err(e.clone()));
            }
            None
        }
    }
}
