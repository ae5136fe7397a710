//! What every request handler can reach: the database pool, the settings and the metrics.

use sea_orm::DatabaseConnection;

use crate::app::guards::Guards;
use crate::app::metrics::Metrics;
use crate::app::ratelimit::SurveyLookupLimiter;
use crate::app::results::{self, KeptBreakdowns};
use crate::app::submissions::Checker;
use crate::app::{dossiers, export};
use crate::config::Settings;
use crate::domain::forms::PublishedForms;
use crate::domain::tokens::TokenKey;
use crate::persistence::dossiers::TokenLookup;
use crate::persistence::responses::ResponseWriter;

/// Shared application state, one instance per process (behind `web::Data`).
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Settings,
    pub metrics: Metrics,
    /// Every published form version, loaded at start.
    pub forms: PublishedForms,
    /// The base of survey links, without a trailing slash.
    pub public_base_url: String,
    /// The secret survey tokens are derived with.
    pub token_key: TokenKey,
    /// The per-client limit on lookups of unknown survey tokens.
    pub survey_limiter: SurveyLookupLimiter,
    /// The group-committing writer every response goes through.
    pub responses: ResponseWriter,
    /// Where survey tokens are looked up (every submission does).
    pub tokens: TokenLookup,
    /// Breakdowns by mode and procedure field, kept while their responses are the same.
    pub breakdowns: KeptBreakdowns,
    /// What bounds costs across requests: the sign-in limiter, the export gate, single flights.
    pub guards: Guards,
}

impl AppState {
    /// What checking a questionnaire needs (`app::submissions`).
    pub fn checker(&self) -> Checker<'_> {
        Checker {
            forms: &self.forms,
            rules: self.settings.responses.validity_rules(),
            key: &self.token_key,
        }
    }

    /// What registering dossiers needs (`app::dossiers`).
    pub fn dossiers(&self) -> dossiers::Context<'_> {
        dossiers::Context {
            db: &self.db,
            forms: &self.forms,
            token_key: &self.token_key,
            token_ttl_days: self.settings.surveys.token_ttl_days,
            retention_months: self.settings.retention.dossier_months,
        }
    }

    /// What the export use case needs (`app::export`).
    pub fn export(&self) -> export::Context<'_> {
        export::Context {
            db: &self.db,
            runs: &self.guards.export_runs,
            metrics: &self.metrics,
        }
    }

    /// What the results use cases need (`app::results`).
    pub fn results(&self) -> results::Context<'_> {
        results::Context {
            db: &self.db,
            forms: &self.forms,
            results: &self.settings.results,
            indicators: &self.settings.indicators,
            par: &self.settings.par.scales,
            breakdowns: &self.breakdowns,
            scans: &self.guards.breakdown_scans,
            metrics: &self.metrics,
        }
    }
}
