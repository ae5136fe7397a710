//! The course of a survey: `[forms]` (the form folder), `[dossiers]` (registration batches),
//! `[surveys]` (links and their lookups), `[responses]` (the writer and validity),
//! `[retention]` (what is deleted when).

use std::path::PathBuf;

use serde::Deserialize;

use super::error::{ConfigError, at_least_one, invalid};

/// Where further forms are read from.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormSettings {
    /// A folder of further form definition files (`<key>.v<version>.toml`), checked and
    /// published at start beside the official forms compiled into the binary. Unset: the
    /// built-in forms only. Set, it must exist.
    #[serde(default)]
    pub dir: Option<PathBuf>,
}

impl FormSettings {
    /// The form folder, when set, exists.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if let Some(dir) = &self.dir
            && !dir.is_dir()
        {
            return invalid(
                "forms.dir",
                format!(
                    "there is no folder {} (unset it to use only the forms built into sipas)",
                    dir.display()
                ),
            );
        }
        Ok(())
    }
}

/// Registering dossiers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DossierSettings {
    /// Most dossiers in one `POST /api/v1/dossiers/batch` (more → 413). The contract promises
    /// at least 10,000.
    pub batch_max: usize,
}

impl DossierSettings {
    /// Batches of at least the 10,000 dossiers the contract promises.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.batch_max < 10_000 {
            return invalid(
                "dossiers.batch_max",
                "must be at least 10000 (the API contract promises batches of 10,000)",
            );
        }
        Ok(())
    }
}

/// Survey links.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveySettings {
    /// Days after a dossier's completion that its survey link works.
    pub token_ttl_days: u32,
    /// Lookups of unknown survey tokens a client IP may make in a burst before it gets 429.
    pub lookup_burst: u32,
    /// Milliseconds after which one more unknown-token lookup is allowed again.
    pub lookup_period_ms: u64,
    /// Seconds between passes that seal dossiers whose link expired (`maintenance`).
    pub seal_interval_secs: u64,
}

impl SurveySettings {
    /// Every value at least 1.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        at_least_one("surveys.token_ttl_days", u64::from(self.token_ttl_days))?;
        at_least_one("surveys.lookup_burst", u64::from(self.lookup_burst))?;
        at_least_one("surveys.lookup_period_ms", self.lookup_period_ms)?;
        at_least_one("surveys.seal_interval_secs", self.seal_interval_secs)
    }
}

/// Storing answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseSettings {
    /// Most responses the writer commits in one transaction (group commit).
    pub writer_batch_max: usize,
    /// A paper questionnaire with a larger share of blank satisfaction items is an invalid
    /// return (methodology §3.7).
    pub paper_max_blank_share: f64,
    /// Longest a submission waits for the writer's commit before a 503.
    pub writer_wait_secs: u64,
    /// Once the writer has stopped, `/ready` answers 503 and the process exits with status 1
    /// this many seconds later.
    pub exit_delay_secs: u64,
}

impl ResponseSettings {
    /// The validity rules of methodology §3.7 as configured.
    pub fn validity_rules(&self) -> crate::domain::submissions::ValidityRules {
        crate::domain::submissions::ValidityRules {
            paper_max_blank_share: self.paper_max_blank_share,
        }
    }

    /// A writer batch and wait of at least 1; a blank share that leaves room for an answer.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        at_least_one("responses.writer_batch_max", self.writer_batch_max as u64)?;
        at_least_one("responses.writer_wait_secs", self.writer_wait_secs)?;
        if !(0.0..1.0).contains(&self.paper_max_blank_share) {
            return invalid(
                "responses.paper_max_blank_share",
                "must be at least 0 and below 1",
            );
        }
        Ok(())
    }
}

/// How long records that no published number needs any more are kept (`app::retention`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Sealed dossiers completed in a month more than this many months before the current one
    /// (in a closed month, with their link ended) are deleted; their counts stay. 0: kept forever.
    pub dossier_months: u32,
}
