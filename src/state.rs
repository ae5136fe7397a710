//! What every request handler can reach: the database pool, the settings and the metrics.

use sea_orm::DatabaseConnection;

use crate::config::Settings;
use crate::domain::forms::PublishedForms;
use crate::domain::tokens::TokenKey;
use crate::http::metrics::Metrics;
use crate::http::ratelimit::SurveyLookupLimiter;
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
    /// The per-IP limit on lookups of unknown survey tokens.
    pub survey_limiter: SurveyLookupLimiter,
    /// The group-committing writer every response goes through.
    pub responses: ResponseWriter,
}
