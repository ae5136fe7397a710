//! Configuration: compiled-in defaults, then `config/default.toml`, then `config/{APP_ENV}.toml`,
//! then environment variables `APP_…` (`__` separates levels, e.g. `APP_DATABASE__URL`). The
//! contract's own variables `DATABASE_URL` and `SIPAS_PUBLIC_BASE_URL` are honoured too and win
//! over the files. Every key is documented in `config/default.toml`.
//!
//! `Settings::validate` runs before anything starts, so a bad value stops the process with one
//! line naming the key and the reason.
//!
//! One file per section of `config/default.toml` (`server.rs`, `database.rs`, `limits.rs`,
//! `log.rs`, `surveys.rs` for forms, dossiers, surveys, responses and retention, `results.rs`,
//! `accounts.rs`, `email.rs`, `sms.rs`, `integrity.rs`), each with its settings and their checks; the server secret's
//! section stays here, beside the settings `secret_key` reads.

mod accounts;
mod database;
mod email;
mod error;
mod integrity;
mod limits;
mod log;
mod par;
mod results;
mod sampling;
mod server;
mod sms;
mod surveys;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

pub use self::accounts::AccountSettings;
pub use self::database::{DatabaseSettings, redact_url, sqlite_file};
pub use self::email::{EmailSettings, EmailTransport, SmtpTls};
pub use self::error::ConfigError;
use self::error::invalid;
pub use self::integrity::IntegritySettings;
pub use self::limits::LimitSettings;
pub use self::log::{LogFormat, LogSettings};
pub use self::par::ParSettings;
pub use self::results::{D766Settings, IndicatorSettings, ResultSettings};
pub use self::sampling::SamplingSettings;
pub use self::server::{Cidr, ForwardedHeader, ServerSettings};
pub use self::sms::{SmsSettings, SmsTransport, render_body};
pub use self::surveys::{
    DossierSettings, FormSettings, ResponseSettings, RetentionSettings, SurveySettings,
};

/// Everything the service can be configured with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub log: LogSettings,
    pub limits: LimitSettings,
    #[serde(default)]
    pub forms: FormSettings,
    pub dossiers: DossierSettings,
    pub surveys: SurveySettings,
    pub responses: ResponseSettings,
    #[serde(default)]
    pub security: SecuritySettings,
    pub email: EmailSettings,
    pub results: ResultSettings,
    pub indicators: IndicatorSettings,
    pub par: ParSettings,
    pub sampling: SamplingSettings,
    pub accounts: AccountSettings,
    pub retention: RetentionSettings,
    pub sms: SmsSettings,
    pub integrity: IntegritySettings,
}

/// The server secret; every key optional. Never kept in the database (`secret_key`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    /// The secret survey tokens (and receipts, answer digests, sealed codes) are derived with:
    /// at least 32 characters, or `hex:` and the hex of at least 32 bytes. Unset: read from
    /// `key_file`.
    pub token_secret: Option<SecretString>,
    /// The file holding the secret when `token_secret` is unset. Unset: `secret.key` beside the
    /// SQLite database file (`data/secret.key` on PostgreSQL), created on first start on SQLite.
    pub key_file: Option<PathBuf>,
}

impl SecuritySettings {
    /// The secret, when set, is one; the key file's path, when set, is not empty.
    fn validate(&self) -> Result<(), ConfigError> {
        if let Some(secret) = &self.token_secret
            && let Err(reason) = crate::domain::tokens::secret_from_text(secret.expose_secret())
        {
            return invalid("security.token_secret", reason);
        }
        if self
            .key_file
            .as_ref()
            .is_some_and(|path| path.as_os_str().is_empty())
        {
            return invalid("security.key_file", "must not be empty");
        }
        Ok(())
    }
}

/// The compiled-in defaults: what `cargo run` gets with no file and no environment.
const DEFAULTS: &str = r#"
[server]
bind = "127.0.0.1:8080"
shutdown_timeout_secs = 30
workers = 0
trusted_proxies = []
forwarded_header = "x-forwarded-for"

[database]
url = "sqlite://data/sipas.db?mode=rwc"
max_connections = 8
acquire_timeout_secs = 10
migrate_on_start = true

[log]
format = "pretty"
level = "info"

[limits]
json_body_bytes = 16777216
body_bytes = 1048576
citizen_body_bytes = 65536
body_read_timeout_secs = 15
export_concurrency = 2
export_write_timeout_secs = 60

[dossiers]
batch_max = 10000

[surveys]
token_ttl_days = 30
lookup_burst = 20
lookup_period_ms = 3000
seal_interval_secs = 60

[responses]
writer_batch_max = 1024
paper_max_blank_share = 0.5
writer_wait_secs = 30
exit_delay_secs = 5

[email]
transport = "file"
from = "SIPAS <no-reply@sipas.invalid>"
file_dir = "data/outbox"
smtp_host = "localhost"
smtp_port = 25
smtp_tls = "none"
smtp_timeout_secs = 30
poll_interval_ms = 2000
batch_size = 50
lease_secs = 300
retry_base_ms = 30000
retry_max_ms = 3600000
max_attempts = 10
reminder_delay_secs = 259200

[results]
suppress_below = 10
low_reliability_below = 30
max_ci_width = 0.30
kept_breakdowns = 64

[indicators.d766]
enabled = false
dissatisfied_rule = "mean_below_neutral"

[par]
scales = []

[sampling]
margin = 0.05
level = 0.95

[accounts]
session_idle_minutes = 30
session_max_hours = 8
max_failed_sign_ins = 5
lockout_minutes = 15
sign_in_burst = 10
sign_in_period_ms = 6000

[retention]
dossier_months = 24

[sms]
transport = "file"
file_dir = "data/outbox"
url = ""
ca_file = ""
body_template = '{"to":"{phone}","text":"{text}"}'
timeout_secs = 30

[integrity]
quick_answer_minutes = 10
burst_count = 20
burst_minutes = 10
flag_margin = 0.2
"#;

impl Settings {
    /// The compiled-in defaults alone, ignoring files and the environment (tests start here).
    pub fn defaults() -> Result<Self, ConfigError> {
        Ok(config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
            .build()?
            .try_deserialize()?)
    }

    /// Loads the layered configuration from `dir` (usually `config/`) and the process
    /// environment, then validates it.
    pub fn load(dir: &Path) -> Result<Self, ConfigError> {
        let app_env = std::env::var("APP_ENV").unwrap_or_else(|_| "development".into());
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
            .add_source(config::File::from(dir.join("default.toml")).required(false))
            .add_source(config::File::from(dir.join(format!("{app_env}.toml"))).required(false))
            .add_source(
                config::Environment::with_prefix("APP")
                    .prefix_separator("_")
                    .separator("__")
                    .try_parsing(true),
            );
        if let Ok(url) = std::env::var("DATABASE_URL") {
            builder = builder.set_override("database.url", url)?;
        }
        if let Ok(url) = std::env::var("SIPAS_PUBLIC_BASE_URL") {
            builder = builder.set_override("server.public_base_url", url)?;
        }
        let settings: Settings = builder.build()?.try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks every value that serde cannot: addresses, URLs, limits. Section by section, in
    /// the order the first bad value of a configuration has always been reported in.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.server.validate()?;
        self.database.validate()?;
        self.limits.validate()?;
        self.accounts.validate_sign_in_limit()?;
        self.dossiers.validate()?;
        self.forms.validate()?;
        self.surveys.validate()?;
        self.responses.validate()?;
        self.security.validate()?;
        self.email.validate()?;
        self.results.validate()?;
        self.par.validate()?;
        self.sampling.validate()?;
        self.accounts.validate()?;
        self.sms.validate()?;
        self.integrity.validate()?;
        self.log.validate()
    }

    /// The base of survey links, without a trailing slash.
    pub fn public_base_url(&self, bound: SocketAddr) -> String {
        match &self.server.public_base_url {
            Some(base) => base.trim_end_matches('/').to_owned(),
            None => format!("http://{bound}"),
        }
    }

    /// Whether cookies are marked `Secure`: `accounts.secure_cookie`, or else whether
    /// `server.public_base_url` is https.
    pub fn secure_cookies(&self) -> bool {
        self.accounts.secure_cookie.unwrap_or_else(|| {
            self.server
                .public_base_url
                .as_deref()
                .is_some_and(|base| base.starts_with("https://"))
        })
    }

    /// The SQLite file the database URL points at, if it is a file database.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        sqlite_file(self.database.url.expose_secret())
    }
}

#[allow(clippy::unwrap_used, clippy::expect_used)]
#[cfg(test)]
mod tests;
