//! What the writer's two lanes share: a submission waiting for its commit ([`Job`]), the
//! answer to a batch ([`settle`]) and the counters ([`WriterStats`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::Outcome;
use crate::domain::responses::NewResponse;

pub(super) struct Job {
    pub(super) response: NewResponse,
    pub(super) reply: oneshot::Sender<Result<Outcome, String>>,
}

/// Which lane stored a batch.
#[derive(Debug, Clone, Copy)]
pub(super) enum Lane {
    Async = 0,
    Sqlite = 1,
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

/// Answers the jobs of a committed batch, or of a failed one of a single job; a failed batch
/// of several is returned, to store each alone: one bad row must not fail the others.
pub(super) fn settle(jobs: Vec<Job>, result: Result<Vec<Outcome>, String>) -> Option<Vec<Job>> {
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
