//! Integrity indicators (`domain::integrity`): what an answer through a link shows when it
//! arrives ([`Monitor`]: quick, and part of a burst from its network), and the report of a
//! closed month ([`report`]) for `GET /api/v1/integrity` and the dashboard's "Integrity" tab.

mod report;

use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

pub use self::report::{AgencyIntegrity, IntegrityReport, report};
use crate::config::IntegritySettings;
use crate::domain::dossiers::Dossier;
use crate::domain::integrity::burst::BurstWindow;
use crate::domain::integrity::{Network, Signals, is_quick};
use crate::domain::submissions::Mode;

/// Watches answers through links as they arrive: the in-memory burst window, and the quick
/// threshold. One per process.
#[derive(Debug)]
pub struct Monitor {
    window: Mutex<BurstWindow>,
    quick_minutes: u32,
}

impl Monitor {
    pub fn new(settings: &IntegritySettings) -> Self {
        Self {
            window: Mutex::new(BurstWindow::new(
                settings.burst_count,
                settings.burst_minutes,
            )),
            quick_minutes: settings.quick_answer_minutes,
        }
    }

    /// Adds to `signals` what an answer in `mode` through the link of `dossier` from `client`
    /// at `now` shows. Only web answers enter the burst window (a kiosk is at the desk by
    /// design); the address itself goes no further than its network's entry in the window.
    pub fn arrived(
        &self,
        signals: &mut Signals,
        (dossier, mode): (&Dossier, Mode),
        client: Option<IpAddr>,
        now: DateTime<Utc>,
    ) {
        let quick = is_quick(dossier.completed_at, now, self.quick_minutes);
        let burst = mode == Mode::Web
            && client.is_some_and(|ip| {
                self.window
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .arrive(Network::of(ip), now)
            });
        signals.through_link(mode, quick, burst);
    }
}
