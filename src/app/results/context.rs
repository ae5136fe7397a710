//! What the results use cases share ([`Context`]): references to the database, the forms, the
//! settings they read, the kept breakdowns, the breakdown scans in flight and the counters.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::app::metrics::Metrics;
use crate::app::single_flight::SingleFlight;
use crate::config::{IndicatorSettings, ResultSettings};
use crate::domain::forms::PublishedForms;
use crate::domain::par::ParScales;
use crate::domain::results::MonthCells;
use crate::domain::results::cache::ViewCache;

/// What the results use cases read from the server's state.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub db: &'a DatabaseConnection,
    pub forms: &'a PublishedForms,
    pub results: &'a ResultSettings,
    pub indicators: &'a IndicatorSettings,
    /// The PAR points scales (`par.scales`).
    pub par: &'a ParScales,
    /// Breakdown cells by mode and procedure field, kept while their responses are the same.
    pub breakdowns: &'a ViewCache<Vec<Arc<MonthCells>>>,
    pub scans: &'a SingleFlight<ScanKey, ScannedCells>,
    pub metrics: &'a Metrics,
}

impl Context<'_> {
    pub(super) fn settings(&self) -> (&ResultSettings, &IndicatorSettings, &ParScales) {
        (self.results, self.indicators, self.par)
    }
}

/// What a breakdown scan reads: a form version, agencies (sorted), months, and how many
/// responses each agency has in them (responses are only ever added: the same numbers mean the
/// same responses).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScanKey {
    pub(super) form: (String, u32),
    pub(super) agencies: Vec<Uuid>,
    pub(super) months: (String, String),
    pub(super) responses: Vec<u64>,
}

/// Each agency's scanned cells, in the order of [`ScanKey::agencies`].
pub type ScannedCells = Result<Arc<Vec<Arc<MonthCells>>>, String>;
