//! `[database]`: the database URL and its connection pool; reading the URL (redacted for
//! messages, its SQLite file).

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::error::{ConfigError, at_least_one, invalid};

/// The database and its connection pool.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://path?mode=rwc`, `sqlite::memory:` or `postgres://user:pass@host/db`.
    pub url: SecretString,
    /// Pool size for PostgreSQL and file SQLite (in-memory SQLite always uses one connection).
    pub max_connections: u32,
    /// Seconds to wait for a pooled connection before failing the request.
    pub acquire_timeout_secs: u64,
    /// Apply pending migrations when the server, or an administrative subcommand (`keys`,
    /// `agencies`), starts.
    pub migrate_on_start: bool,
}

impl DatabaseSettings {
    /// A SQLite or PostgreSQL URL, and a pool of at least one connection.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let url = self.url.expose_secret();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return invalid(
                "database.url",
                format!(
                    "must start with `sqlite:` or `postgres://` (got `{}`)",
                    redact_url(url)
                ),
            );
        }
        at_least_one("database.max_connections", u64::from(self.max_connections))?;
        at_least_one("database.acquire_timeout_secs", self.acquire_timeout_secs)
    }
}

/// The URL with any password replaced, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// `sqlite://data/x.db?mode=rwc` → `data/x.db`; `None` for in-memory or non-SQLite URLs.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" || path.starts_with("file::memory") {
        return None;
    }
    Some(PathBuf::from(path))
}
