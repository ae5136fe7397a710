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
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::FutureExt;
use sea_orm::DatabaseConnection;
use tokio::sync::{mpsc, oneshot};
use tokio::task::{AbortHandle, JoinHandle};

use super::jobs::{Job, Lane, WriterStats, settle};
use super::{Outcome, commit};
use crate::domain::responses::{NewResponse, shuffle};

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
