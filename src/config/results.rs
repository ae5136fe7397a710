//! `[results]` and `[indicators]`: what the results publish, and how many breakdowns are kept.

use serde::Deserialize;

use super::error::{ConfigError, invalid};

/// What `GET /api/v1/results` (and rankings, PAR scores, trends) publish (docs/statistics.md §5.4).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultSettings {
    /// A number whose basis (answerers of an item, respondents with data under a node, all
    /// respondents for the index) is below this is suppressed: neither value nor counts.
    pub suppress_below: u64,
    /// Below this basis a published number is flagged `low_reliability` (and left out of
    /// rankings).
    pub low_reliability_below: u64,
    /// An interval at least this wide (a fraction: 0.30 = 30 percentage points) is flagged
    /// `low_reliability` too.
    pub max_ci_width: f64,
    /// How many breakdowns by mode or procedure field (scanned from the responses) are kept
    /// while their responses are the same (`domain::results::cache`); 0 keeps none.
    pub kept_breakdowns: usize,
    /// Keys of the caches results no longer have (computed from roll-ups instead): accepted
    /// and ignored, so that a configuration written for an earlier version still starts.
    #[serde(default)]
    pub cached_views: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    pub memo_mb: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    pub refresh_interval_secs: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    pub refresh_window_secs: Option<serde::de::IgnoredAny>,
}

/// Secondary indicators (methodology §3.9).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorSettings {
    pub d766: D766Settings,
}

/// The Decision 766/QĐ-TTg per-dossier indicator.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct D766Settings {
    /// Whether results report the indicator's value; its counts (D, D_rated, D_dis) are reported
    /// either way.
    pub enabled: bool,
    /// When a response counts as dissatisfied.
    pub dissatisfied_rule: crate::domain::aggregates::DissatisfiedRule,
}

impl ResultSettings {
    /// Suppression above 0, the low-reliability basis not below it, the width a fraction.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.suppress_below == 0 {
            return invalid(
                "results.suppress_below",
                "must be at least 1 (0 would publish single answers)",
            );
        }
        if self.low_reliability_below < self.suppress_below {
            return invalid(
                "results.low_reliability_below",
                "must not be below results.suppress_below",
            );
        }
        if !(self.max_ci_width > 0.0 && self.max_ci_width <= 1.0) {
            return invalid(
                "results.max_ci_width",
                "must be above 0 and at most 1 (a fraction: 0.30 = 30 percentage points)",
            );
        }
        Ok(())
    }
}
