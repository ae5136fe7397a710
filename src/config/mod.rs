//! Configuration: compiled-in defaults, then `config/default.toml`, then `config/{APP_ENV}.toml`,
//! then environment variables `APP_…` (`__` separates levels, e.g. `APP_DATABASE__URL`). The
//! contract's own variables `DATABASE_URL` and `SIPAS_PUBLIC_BASE_URL` are honoured too and win
//! over the files. Every key is documented in `config/default.toml`.
//!
//! `Settings::validate` runs before anything starts, so a bad value stops the process with one
//! line naming the key and the reason.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

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
    pub accounts: AccountSettings,
    pub retention: RetentionSettings,
}

/// How long records that no published number needs any more are kept (`app::retention`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Sealed dossiers completed in a month more than this many months before the current one
    /// (in a closed month, with their link ended) are deleted; their counts stay. 0: kept forever.
    pub dossier_months: u32,
}

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
    /// How many computed views of each kind (results, trends, rankings, PAR scores) are kept
    /// for as long as their inputs do not change (`domain::results::cache`); 0 keeps none.
    pub cached_views: usize,
    /// About how many megabytes of per-agency bucket texts, cells and estimates are kept
    /// between requests (`domain::results::memo`); 0 keeps none.
    pub memo_mb: usize,
    /// Every this many seconds the views asked for within the last `refresh_window_secs` are
    /// computed again if their inputs changed, so that the next request finds them kept; 0: never.
    pub refresh_interval_secs: u64,
    pub refresh_window_secs: u64,
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

/// Officer accounts: sessions of the web pages and the lockout after failed sign-ins.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSettings {
    /// A session ends after this many minutes without a request.
    pub session_idle_minutes: u32,
    /// A session ends this many hours after sign-in, however active.
    pub session_max_hours: u32,
    /// Consecutive failed sign-ins for one e-mail address (each within `lockout_minutes` of the
    /// previous) after which signing in with it is refused for `lockout_minutes`.
    pub max_failed_sign_ins: u32,
    pub lockout_minutes: u32,
    /// Whether the session cookie is `Secure` (sent over https only). Unset: when
    /// `server.public_base_url` starts with `https://`.
    #[serde(default)]
    pub secure_cookie: Option<bool>,
    /// Sign-in attempts one client address may make in a burst before it gets 429, whatever
    /// the accounts tried (beside the per-account lockout above).
    pub sign_in_burst: u32,
    /// Milliseconds after which one more sign-in attempt from that address is allowed again.
    pub sign_in_period_ms: u64,
}

impl AccountSettings {
    /// The session lifetimes as configured.
    pub fn session_policy(&self) -> crate::domain::accounts::SessionPolicy {
        crate::domain::accounts::SessionPolicy {
            idle: chrono::TimeDelta::minutes(i64::from(self.session_idle_minutes)),
            absolute: chrono::TimeDelta::hours(i64::from(self.session_max_hours)),
        }
    }

    /// The lockout rule as configured.
    pub fn lockout_policy(&self) -> crate::domain::accounts::LockoutPolicy {
        crate::domain::accounts::LockoutPolicy {
            max_failures: self.max_failed_sign_ins,
            duration: chrono::TimeDelta::minutes(i64::from(self.lockout_minutes)),
        }
    }
}

/// How invitations leave the server.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EmailTransport {
    /// `.eml` files in `email.file_dir` (the zero-config default).
    File,
    /// An SMTP relay.
    Smtp,
    /// Kept in memory and dropped (tests).
    Stub,
}

/// Transport security towards the SMTP relay.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    pub transport: EmailTransport,
    /// The sender, e.g. `SIPAS <no-reply@sipas.example.gov.vn>`.
    pub from: String,
    /// Folder of the file transport.
    pub file_dir: PathBuf,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTls,
    #[serde(default)]
    pub smtp_username: Option<String>,
    #[serde(default)]
    pub smtp_password: Option<SecretString>,
    pub smtp_timeout_secs: u64,
    /// How often the worker looks for due messages.
    pub poll_interval_ms: u64,
    /// Messages claimed per round.
    pub batch_size: u32,
    /// How long a claimed message stays reserved for its worker.
    pub lease_secs: u64,
    /// First retry after about this long (doubling each time, with jitter).
    pub retry_base_ms: u64,
    /// Longest wait between retries.
    pub retry_max_ms: u64,
    /// Attempts per message before giving up (the address is then erased).
    pub max_attempts: u32,
    /// The reminder goes out this long after the invitation, if unanswered and not expired.
    pub reminder_delay_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DossierSettings {
    /// Most dossiers in one `POST /api/v1/dossiers/batch` (more → 413). The contract promises
    /// at least 10,000.
    pub batch_max: usize,
}

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

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormSettings {
    /// A folder of further form definition files (`<key>.v<version>.toml`), checked and
    /// published at start beside the official forms compiled into the binary. Unset: the
    /// built-in forms only. Set, it must exist.
    #[serde(default)]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// `HOST:PORT` to listen on; port 0 picks a free port.
    pub bind: String,
    /// Base URL of survey links; `None` means `http://{bind}`.
    pub public_base_url: Option<String>,
    /// How long in-flight requests may take to finish after SIGTERM/SIGINT.
    pub shutdown_timeout_secs: u64,
    /// Worker threads; 0 means one per CPU core.
    pub workers: usize,
    /// Reverse proxies (CIDRs) whose `Forwarded` / `X-Forwarded-For` headers name the client
    /// (`http::client_addr`); empty: the peer address is the client. A list, or one string of
    /// CIDRs separated by commas (for `APP_SERVER__TRUSTED_PROXIES`).
    #[serde(default, deserialize_with = "cidr_list")]
    pub trusted_proxies: Vec<Cidr>,
    /// Which header the trusted proxies write the client into; the other is ignored.
    pub forwarded_header: ForwardedHeader,
}

/// The header a trusted proxy names the client in (`server.forwarded_header`). Exactly one is
/// read: a proxy that appends to one passes the other through as the client sent it, so
/// reading both would let a client choose its own address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For` (nginx, Caddy, HAProxy, most load balancers).
    #[serde(rename = "x-forwarded-for")]
    XForwardedFor,
    /// `Forwarded: for=` (RFC 7239).
    #[serde(rename = "forwarded")]
    Forwarded,
}

/// An IP network, `ADDRESS/PREFIX` (a bare address is the network of that address alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: std::net::IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `ip` is inside the network (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for Cidr {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let (address, prefix) = raw.split_once('/').unwrap_or((raw, ""));
        let network: std::net::IpAddr = address
            .parse()
            .map_err(|_| format!("`{raw}` is not an IP address or ADDRESS/PREFIX"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            "" => max,
            p => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{raw}`: the prefix must be 0 to {max}"))?,
        };
        // An IPv4-mapped network (`::ffff:10.0.0.0/104`) is that IPv4 network: `contains`
        // compares addresses as IPv4 once unmapped.
        if let std::net::IpAddr::V6(v6) = network
            && let Some(v4) = v6.to_ipv4_mapped()
            && prefix >= 96
        {
            return Ok(Self {
                network: std::net::IpAddr::V4(v4),
                prefix: prefix - 96,
            });
        }
        Ok(Self { network, prefix })
    }
}

/// `trusted_proxies`: a list of CIDRs, or one string of them separated by commas.
fn cidr_list<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Vec<Cidr>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<String>),
        One(String),
    }
    let items = match Raw::deserialize(de)? {
        Raw::List(list) => list,
        Raw::One(text) => text.split(',').map(str::to_owned).collect(),
    };
    items
        .iter()
        .filter(|item| !item.trim().is_empty())
        .map(|item| item.parse().map_err(serde::de::Error::custom))
        .collect()
}

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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `pretty` (human-readable) or `json` (one JSON object a line).
    pub format: LogFormat,
    /// A `tracing` filter such as `info` or `sipas=debug,info`; `RUST_LOG` overrides it.
    pub level: String,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

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

/// A setting that cannot work, with the key it came from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("configuration key `{key}`: {reason}")]
    Invalid { key: &'static str, reason: String },
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
cached_views = 256
memo_mb = 384
refresh_interval_secs = 30
refresh_window_secs = 3600

[indicators.d766]
enabled = false
dissatisfied_rule = "mean_below_neutral"

[accounts]
session_idle_minutes = 30
session_max_hours = 8
max_failed_sign_ins = 5
lockout_minutes = 15
sign_in_burst = 10
sign_in_period_ms = 6000

[retention]
dossier_months = 24
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

    /// Checks every value that serde cannot: addresses, URLs, limits.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, reason: String| Err(ConfigError::Invalid { key, reason });
        if let Err(reason) = resolve_bind(&self.server.bind) {
            return invalid("server.bind", reason);
        }
        if let Some(base) = &self.server.public_base_url
            && let Err(reason) = check_base_url(base)
        {
            return invalid("server.public_base_url", reason);
        }
        let url = self.database.url.expose_secret();
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
        if self.database.max_connections == 0 {
            return invalid("database.max_connections", "must be at least 1".into());
        }
        if self.database.acquire_timeout_secs == 0 {
            return invalid("database.acquire_timeout_secs", "must be at least 1".into());
        }
        let limits = &self.limits;
        for (key, bytes) in [
            ("limits.json_body_bytes", limits.json_body_bytes),
            ("limits.body_bytes", limits.body_bytes),
            ("limits.citizen_body_bytes", limits.citizen_body_bytes),
        ] {
            if bytes < 1024 {
                return invalid(key, "must be at least 1024 bytes".into());
            }
        }
        for (key, value) in [
            (
                "limits.body_read_timeout_secs",
                limits.body_read_timeout_secs,
            ),
            (
                "limits.export_concurrency",
                limits.export_concurrency as u64,
            ),
            (
                "limits.export_write_timeout_secs",
                limits.export_write_timeout_secs,
            ),
            (
                "accounts.sign_in_burst",
                u64::from(self.accounts.sign_in_burst),
            ),
            (
                "accounts.sign_in_period_ms",
                self.accounts.sign_in_period_ms,
            ),
        ] {
            if value == 0 {
                return invalid(key, "must be at least 1".into());
            }
        }
        if self.dossiers.batch_max < 10_000 {
            return invalid(
                "dossiers.batch_max",
                "must be at least 10000 (the API contract promises batches of 10,000)".into(),
            );
        }
        if let Some(dir) = &self.forms.dir
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
        if self.surveys.token_ttl_days == 0 {
            return invalid("surveys.token_ttl_days", "must be at least 1".into());
        }
        if self.surveys.lookup_burst == 0 {
            return invalid("surveys.lookup_burst", "must be at least 1".into());
        }
        if self.surveys.lookup_period_ms == 0 {
            return invalid("surveys.lookup_period_ms", "must be at least 1".into());
        }
        if self.surveys.seal_interval_secs == 0 {
            return invalid("surveys.seal_interval_secs", "must be at least 1".into());
        }
        if self.responses.writer_batch_max == 0 {
            return invalid("responses.writer_batch_max", "must be at least 1".into());
        }
        if self.responses.writer_wait_secs == 0 {
            return invalid("responses.writer_wait_secs", "must be at least 1".into());
        }
        if !(0.0..1.0).contains(&self.responses.paper_max_blank_share) {
            return invalid(
                "responses.paper_max_blank_share",
                "must be at least 0 and below 1".into(),
            );
        }
        if let Some(secret) = &self.security.token_secret
            && let Err(reason) = crate::secret_key::secret_from_text(secret.expose_secret())
        {
            return invalid("security.token_secret", reason);
        }
        if self
            .security
            .key_file
            .as_ref()
            .is_some_and(|path| path.as_os_str().is_empty())
        {
            return invalid("security.key_file", "must not be empty".into());
        }
        if self.email.from.parse::<lettre::message::Mailbox>().is_err() {
            return invalid(
                "email.from",
                format!(
                    "must be an address such as `SIPAS <no-reply@example.gov.vn>` (got `{}`)",
                    self.email.from
                ),
            );
        }
        if self.email.poll_interval_ms == 0 || self.email.batch_size == 0 {
            return invalid(
                "email.poll_interval_ms",
                "poll_interval_ms and batch_size must be at least 1".into(),
            );
        }
        if self.email.max_attempts == 0 {
            return invalid("email.max_attempts", "must be at least 1".into());
        }
        if self.results.suppress_below == 0 {
            return invalid(
                "results.suppress_below",
                "must be at least 1 (0 would publish single answers)".into(),
            );
        }
        if self.results.low_reliability_below < self.results.suppress_below {
            return invalid(
                "results.low_reliability_below",
                "must not be below results.suppress_below".into(),
            );
        }
        if !(self.results.max_ci_width > 0.0 && self.results.max_ci_width <= 1.0) {
            return invalid(
                "results.max_ci_width",
                "must be above 0 and at most 1 (a fraction: 0.30 = 30 percentage points)".into(),
            );
        }
        let accounts = &self.accounts;
        if accounts.session_idle_minutes == 0 {
            return invalid("accounts.session_idle_minutes", "must be at least 1".into());
        }
        if accounts.session_max_hours == 0 || accounts.session_max_hours > 24 * 31 {
            return invalid(
                "accounts.session_max_hours",
                "must be between 1 and 744 (31 days)".into(),
            );
        }
        if u64::from(accounts.session_idle_minutes) > u64::from(accounts.session_max_hours) * 60 {
            return invalid(
                "accounts.session_idle_minutes",
                "must not be longer than accounts.session_max_hours".into(),
            );
        }
        if accounts.max_failed_sign_ins == 0 {
            return invalid("accounts.max_failed_sign_ins", "must be at least 1".into());
        }
        if accounts.lockout_minutes == 0 || accounts.lockout_minutes > 24 * 60 {
            return invalid(
                "accounts.lockout_minutes",
                "must be between 1 and 1440 (a day)".into(),
            );
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log.level) {
            return invalid("log.level", format!("not a valid tracing filter: {e}"));
        }
        Ok(())
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

fn resolve_bind(bind: &str) -> Result<SocketAddr, String> {
    bind.to_socket_addrs()
        .map_err(|e| format!("`{bind}` is not a HOST:PORT address ({e})"))?
        .next()
        .ok_or_else(|| format!("`{bind}` resolves to no address"))
}

fn check_base_url(base: &str) -> Result<(), String> {
    let rest = base
        .strip_prefix("https://")
        .or_else(|| base.strip_prefix("http://"))
        .ok_or_else(|| format!("must start with http:// or https:// (got `{base}`)"))?;
    if rest.is_empty() || rest.contains(['?', '#', ' ']) {
        return Err(format!(
            "must be a plain base URL such as https://sipas.example.gov.vn (got `{base}`)"
        ));
    }
    Ok(())
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn defaults() -> Settings {
        Settings::defaults().unwrap()
    }

    #[test]
    fn compiled_in_defaults_are_valid_and_match_the_contract() {
        let s = defaults();
        s.validate().unwrap();
        assert_eq!(s.server.bind, "127.0.0.1:8080");
        assert_eq!(s.sqlite_file(), Some(PathBuf::from("data/sipas.db")));
        assert!(!s.secure_cookies());
    }

    #[test]
    fn cookies_are_secure_behind_https() {
        let mut s = defaults();
        s.server.public_base_url = Some("https://sipas.example.gov.vn".into());
        assert!(s.secure_cookies());
        s.accounts.secure_cookie = Some(false);
        assert!(!s.secure_cookies());
        s.server.public_base_url = Some("http://10.0.0.5:8080".into());
        s.accounts.secure_cookie = Some(true);
        assert!(s.secure_cookies());
    }

    #[test]
    fn bad_values_name_their_key() {
        let mut s = defaults();
        s.server.bind = "not an address".into();
        let e = s.validate().unwrap_err().to_string();
        assert!(e.contains("server.bind"), "{e}");

        let mut s = defaults();
        s.database.url = "mysql://u:secret@h/db".into();
        let e = s.validate().unwrap_err().to_string();
        assert!(e.contains("database.url") && !e.contains("secret"), "{e}");

        let mut s = defaults();
        s.server.public_base_url = Some("ftp://x".into());
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("server.public_base_url")
        );

        let mut s = defaults();
        s.dossiers.batch_max = 100;
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("dossiers.batch_max")
        );

        let mut s = defaults();
        s.security.token_secret = Some("short-secret".into());
        let e = s.validate().unwrap_err().to_string();
        assert!(
            e.contains("security.token_secret") && !e.contains("short-secret"),
            "{e}"
        );

        let mut s = defaults();
        s.results.low_reliability_below = 5;
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("results.low_reliability_below")
        );

        let mut s = defaults();
        s.results.max_ci_width = 30.0;
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("results.max_ci_width")
        );

        let mut s = defaults();
        s.accounts.session_idle_minutes = 9 * 60;
        let e = s.validate().unwrap_err().to_string();
        assert!(e.contains("accounts.session_idle_minutes"), "{e}");

        let mut s = defaults();
        s.accounts.max_failed_sign_ins = 0;
        let e = s.validate().unwrap_err().to_string();
        assert!(e.contains("accounts.max_failed_sign_ins"), "{e}");

        let mut s = defaults();
        s.log.level = "info,,=[".into();
        assert!(s.validate().unwrap_err().to_string().contains("log.level"));
    }

    #[test]
    fn trusted_proxies_parse_as_a_list_or_a_string_and_match_networks() {
        let parse = |toml: &str| {
            config::Config::builder()
                .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
                .add_source(config::File::from_str(toml, config::FileFormat::Toml))
                .build()
                .unwrap()
                .try_deserialize::<Settings>()
        };
        assert!(defaults().server.trusted_proxies.is_empty());
        // A network written IPv4-mapped holds the IPv4 addresses it maps.
        let mapped: Cidr = "::ffff:10.0.0.0/104".parse().unwrap();
        assert!(mapped.contains("10.1.2.3".parse().unwrap()));
        assert!(mapped.contains("::ffff:10.1.2.3".parse().unwrap()));
        assert!(!mapped.contains("11.0.0.1".parse().unwrap()));
        let list = parse("[server]\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\"]").unwrap();
        let text = parse("[server]\ntrusted_proxies = \"10.0.0.0/8, ::1\"").unwrap();
        assert_eq!(list.server.trusted_proxies, text.server.trusted_proxies);
        let [net, one] = list.server.trusted_proxies[..] else {
            panic!()
        };
        assert!(net.contains("10.200.0.1".parse().unwrap()));
        assert!(net.contains("::ffff:10.0.0.9".parse().unwrap()));
        assert!(!net.contains("11.0.0.1".parse().unwrap()));
        assert!(one.contains("::1".parse().unwrap()));
        assert!(!one.contains("::2".parse().unwrap()));
        assert!(
            "0.0.0.0/0"
                .parse::<Cidr>()
                .unwrap()
                .contains("1.2.3.4".parse().unwrap())
        );
        assert!(
            "2001:db8::/32"
                .parse::<Cidr>()
                .unwrap()
                .contains("2001:db8:1::5".parse().unwrap())
        );
        let e = parse("[server]\ntrusted_proxies = [\"10.0.0.0/33\"]").unwrap_err();
        assert!(e.to_string().contains("prefix"), "{e}");
        assert!(parse("[server]\ntrusted_proxies = [\"proxy.local\"]").is_err());
    }

    #[test]
    fn sqlite_paths_and_redaction() {
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://x/y"), None);
        assert_eq!(
            sqlite_file("sqlite:///var/lib/sipas.db"),
            Some(PathBuf::from("/var/lib/sipas.db"))
        );
        assert_eq!(
            redact_url("postgres://sipas:pw@db:5432/sipas"),
            "postgres://sipas:***@db:5432/sipas"
        );
        assert_eq!(redact_url("sqlite::memory:"), "sqlite::memory:");
    }
}
