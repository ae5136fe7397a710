//! What the results use cases share ([`Context`]): references to the database, the forms, the
//! settings they read, the kept views, the breakdown scans in flight and the counters.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::cache::ResultViews;
use crate::app::metrics::Metrics;
use crate::app::single_flight::SingleFlight;
use crate::config::{IndicatorSettings, ResultSettings};
use crate::domain::forms::PublishedForms;
use crate::domain::results::MonthCells;

/// What the results use cases need: the database, the forms, the settings of results and
/// indicators, the kept views and the breakdown scans in flight.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub db: &'a DatabaseConnection,
    pub forms: &'a PublishedForms,
    pub results: &'a ResultSettings,
    pub indicators: &'a IndicatorSettings,
    pub views: &'a ResultViews,
    /// Breakdown scans in progress, shared by identical requests.
    pub scans: &'a SingleFlight<ScanKey, ScannedCells>,
    /// Counts the scans (`sipas_breakdown_scans_total`).
    pub metrics: &'a Metrics,
}

impl Context<'_> {
    /// The settings a view's options come from.
    pub(super) fn settings(&self) -> (&ResultSettings, &IndicatorSettings) {
        (self.results, self.indicators)
    }
}

/// What a breakdown scan reads: the form version, and the (position, agency, month, revision
/// key) of each month to scan.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScanKey {
    pub(super) form: (String, u32),
    pub(super) unread: Vec<(usize, Uuid, String, Option<u64>)>,
}

/// A scan's cells, by position in the request's agencies.
pub type ScannedCells = Result<Arc<Vec<(usize, Arc<MonthCells>)>>, String>;
