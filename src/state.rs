//! What every request handler can reach: the database pool, the settings and the metrics.

use sea_orm::DatabaseConnection;

use crate::config::Settings;
use crate::domain::forms::PublishedForms;
use crate::domain::results::cache::ViewCache;
use crate::domain::results::{ParScoresView, RankingView, ResultView, TrendView};
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
    /// Computed result views, kept while their inputs are unchanged.
    pub views: ResultViews,
}

/// Computed result views, kept while their inputs are unchanged (`domain::results::cache`).
#[derive(Debug)]
pub struct ResultViews {
    pub results: ViewCache<ResultView>,
    pub trends: ViewCache<TrendView>,
    pub rankings: ViewCache<RankingView>,
    pub par_scores: ViewCache<ParScoresView>,
}

impl ResultViews {
    /// At most `capacity` views of each kind.
    pub fn new(capacity: usize) -> Self {
        Self {
            results: ViewCache::new(capacity),
            trends: ViewCache::new(capacity),
            rankings: ViewCache::new(capacity),
            par_scores: ViewCache::new(capacity),
        }
    }

    /// Views served from the caches and views computed, since the start.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        [
            self.results.hits_and_misses(),
            self.trends.hits_and_misses(),
            self.rankings.hits_and_misses(),
            self.par_scores.hits_and_misses(),
        ]
        .into_iter()
        .fold((0, 0), |(h, m), (a, b)| (h + a, m + b))
    }

    /// The counters in Prometheus' text format.
    pub fn render(&self) -> String {
        let (hits, misses) = self.hits_and_misses();
        format!(
            "# HELP sipas_result_views_total Result views (results, trends, rankings, PAR scores) \
             served from the cache (hit) or computed (miss).\n\
             # TYPE sipas_result_views_total counter\n\
             sipas_result_views_total{{cache=\"hit\"}} {hits}\n\
             sipas_result_views_total{{cache=\"miss\"}} {misses}\n"
        )
    }
}
