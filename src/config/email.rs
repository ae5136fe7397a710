//! `[email]`: how invitations and reminders are sent, and retried.

use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;

use super::error::{ConfigError, invalid};

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

/// The invitation outbox and its transport.
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

impl EmailSettings {
    /// A sender address that parses; polling, batches and attempts of at least 1.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.from.parse::<lettre::message::Mailbox>().is_err() {
            return invalid(
                "email.from",
                format!(
                    "must be an address such as `SIPAS <no-reply@example.gov.vn>` (got `{}`)",
                    self.from
                ),
            );
        }
        if self.poll_interval_ms == 0 || self.batch_size == 0 {
            return invalid(
                "email.poll_interval_ms",
                "poll_interval_ms and batch_size must be at least 1",
            );
        }
        if self.max_attempts == 0 {
            return invalid("email.max_attempts", "must be at least 1");
        }
        Ok(())
    }
}
