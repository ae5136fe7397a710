//! `[limits]`: what one request may cost: body sizes, how long a body may take to arrive,
//! exports at once and how long an export waits for a reader.

use serde::Deserialize;

use super::error::{ConfigError, at_least_one, invalid};

/// What one request may cost.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    /// Largest body of a batch registration (`POST /api/v1/dossiers/batch`), in bytes.
    pub json_body_bytes: usize,
    /// Largest body of every other request made with an API key or an officer's session.
    pub body_bytes: usize,
    /// Largest body of the anonymous endpoints (a citizen's answers, the survey page's form,
    /// the sign-in form) and of requests to no route.
    pub citizen_body_bytes: usize,
    /// Seconds from the end of the request headers by which the body must have arrived
    /// (else 408 and the connection is closed).
    pub body_read_timeout_secs: u64,
    /// Exports (API and officer downloads) computed or sent at once; one more gets 503
    /// `export_busy` with `Retry-After`.
    pub export_concurrency: usize,
    /// An export whose client takes nothing for this many seconds is cut off (its connection
    /// closed).
    pub export_write_timeout_secs: u64,
}

impl LimitSettings {
    /// Bodies of at least 1 KiB; timeouts and the export concurrency of at least 1.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        for (key, bytes) in [
            ("limits.json_body_bytes", self.json_body_bytes),
            ("limits.body_bytes", self.body_bytes),
            ("limits.citizen_body_bytes", self.citizen_body_bytes),
        ] {
            if bytes < 1024 {
                return invalid(key, "must be at least 1024 bytes");
            }
        }
        at_least_one("limits.body_read_timeout_secs", self.body_read_timeout_secs)?;
        at_least_one("limits.export_concurrency", self.export_concurrency as u64)?;
        at_least_one(
            "limits.export_write_timeout_secs",
            self.export_write_timeout_secs,
        )
    }
}
