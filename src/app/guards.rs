//! What bounds the cost of requests across the process, kept in `AppState::guards`: the
//! per-address sign-in limit, the export gate, and the single flights of breakdown scans and
//! exports. (The survey-token limiter is `AppState::survey_limiter`; body sizes and read times
//! are bounded per request by `http::bodies`; the places of the export gate are taken by
//! `http::export`, which answers 503 `export_busy` when none is free.)

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::app::export::{ExportKey, ExportRun};
use crate::app::ratelimit::SignInLimiter;
use crate::app::results::{ScanKey, ScannedCells};
use crate::app::single_flight::SingleFlight;
use crate::config::Settings;

/// See the module documentation.
#[derive(Debug)]
pub struct Guards {
    /// Sign-in attempts per client address (`accounts.sign_in_*`).
    pub sign_in: SignInLimiter,
    /// Exports in progress (`limits.export_*`).
    pub exports: ExportGate,
    /// Breakdown scans in progress, shared by identical requests.
    pub breakdown_scans: SingleFlight<ScanKey, ScannedCells>,
    /// Exports being computed, shared by identical requests.
    pub export_runs: SingleFlight<ExportKey, ExportRun>,
}

impl Guards {
    /// The guards as configured.
    pub fn new(settings: &Settings) -> Self {
        Self {
            sign_in: SignInLimiter::new(&settings.accounts),
            exports: ExportGate::new(
                settings.limits.export_concurrency,
                Duration::from_secs(settings.limits.export_write_timeout_secs),
            ),
            breakdown_scans: SingleFlight::new(),
            export_runs: SingleFlight::new(),
        }
    }
}

/// At most `limits.export_concurrency` exports computed or being sent at once, and how long a
/// client may take nothing before it is cut off.
#[derive(Debug)]
pub struct ExportGate {
    places: Arc<Semaphore>,
    /// `limits.export_write_timeout_secs`.
    pub write_timeout: Duration,
}

impl ExportGate {
    fn new(places: usize, write_timeout: Duration) -> Self {
        Self {
            places: Arc::new(Semaphore::new(places.max(1))),
            write_timeout,
        }
    }

    /// A place for one export, held until its body is dropped; `None` when all are taken.
    pub fn enter(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.places).try_acquire_owned().ok()
    }
}
