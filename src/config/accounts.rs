//! `[accounts]`: officer sessions and the lockouts after failed sign-ins.

use serde::Deserialize;

use super::error::{ConfigError, at_least_one, invalid, within};

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

    /// The per-address sign-in limiter's burst and period of at least 1 (checked with the
    /// other limits, before the sessions).
    pub(super) fn validate_sign_in_limit(&self) -> Result<(), ConfigError> {
        at_least_one("accounts.sign_in_burst", u64::from(self.sign_in_burst))?;
        at_least_one("accounts.sign_in_period_ms", self.sign_in_period_ms)
    }

    /// Sessions of 1 minute to 31 days, idle no longer than the whole; a lockout of 1 minute to
    /// a day after at least one failure.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        at_least_one(
            "accounts.session_idle_minutes",
            u64::from(self.session_idle_minutes),
        )?;
        within(
            "accounts.session_max_hours",
            self.session_max_hours,
            1..=24 * 31,
            "must be between 1 and 744 (31 days)",
        )?;
        if u64::from(self.session_idle_minutes) > u64::from(self.session_max_hours) * 60 {
            return invalid(
                "accounts.session_idle_minutes",
                "must not be longer than accounts.session_max_hours",
            );
        }
        at_least_one(
            "accounts.max_failed_sign_ins",
            u64::from(self.max_failed_sign_ins),
        )?;
        within(
            "accounts.lockout_minutes",
            self.lockout_minutes,
            1..=24 * 60,
            "must be between 1 and 1440 (a day)",
        )
    }
}
