//! `[log]`: how the process logs.

use serde::Deserialize;

use super::error::{ConfigError, invalid};

/// The log's format and filter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `pretty` (human-readable) or `json` (one JSON object a line).
    pub format: LogFormat,
    /// A `tracing` filter such as `info` or `sipas=debug,info`; `RUST_LOG` overrides it.
    pub level: String,
}

/// The log's format.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

impl LogSettings {
    /// The level is a valid `tracing` filter.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.level) {
            return invalid("log.level", format!("not a valid tracing filter: {e}"));
        }
        Ok(())
    }
}
