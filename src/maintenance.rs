//! Housekeeping that keeps the privacy promises of docs/privacy.md on time, independent of
//! traffic: every `surveys.seal_interval_secs` the dossiers whose survey link has expired get
//! their code replaced by its keyed hash and their answer digest dropped. (Answered dossiers are
//! sealed in the transaction that stores the response; e-mail addresses of expired links are
//! erased by the outbox worker.) Each pass also deletes officer sessions that have ended and
//! failed-sign-in counters that no longer matter (`purge_accounts`). Safe to run on every node at
//! once. Each pass first closes the months whose links have all expired (`app::months`), which
//! publishes their answers. The first pass, and then one an hour, also applies retention
//! (`app::retention`): sealed dossiers of months older than `retention.dossier_months` are
//! deleted, their counts kept.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};

use crate::app::{months, retention};
use crate::config::AccountSettings;
use crate::domain::forms::PublishedForms;
use crate::domain::tokens::TokenKey;
use crate::persistence::{dossiers, sessions, users};

/// What the maintenance task works with.
pub struct Maintenance {
    pub db: DatabaseConnection,
    pub token_key: TokenKey,
    pub interval: Duration,
    pub accounts: AccountSettings,
    /// For folding the answers of a month that closes.
    pub forms: PublishedForms,
    /// `surveys.token_ttl_days`: a month closes this long after its end.
    pub ttl_days: u32,
    /// `retention.dossier_months` (0: dossiers are kept forever).
    pub retention_months: u32,
}

/// How often retention runs: it scans the dossiers table, and a month's worth of dossiers
/// becomes due only once a month, so once an hour is plenty.
const RETENTION_EVERY: Duration = Duration::from_secs(3600);

/// Runs [`close_expired`](months::close_expired), [`round`] and [`purge_accounts`] every
/// `interval`, and [`retention::apply`] every hour, until the task is aborted.
pub async fn run(m: Maintenance) {
    let Maintenance {
        db,
        token_key,
        interval,
        accounts,
        forms,
        ttl_days,
        retention_months,
    } = m;
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut retention_due = tokio::time::Instant::now();
    loop {
        tick.tick().await;
        // (The start closed the months due then: `startup`.)
        match months::close_expired(&db, &forms, ttl_days, Utc::now()).await {
            Ok(closed) if !closed.months.is_empty() => {
                tracing::info!(
                    months = closed.months.len(),
                    published = closed.published,
                    "months closed by expiry"
                );
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "closing expired months failed"),
        }
        match round(&db, &token_key, Utc::now()).await {
            Ok(0) => {}
            Ok(sealed) => tracing::info!(sealed, "expired dossiers sealed"),
            Err(err) => tracing::warn!(error = %err, "sealing expired dossiers failed"),
        }
        if let Err(err) = purge_accounts(&db, &accounts, Utc::now()).await {
            tracing::warn!(error = %err, "purging ended sessions failed");
        }
        if retention_months > 0 && tokio::time::Instant::now() >= retention_due {
            retention_due = tokio::time::Instant::now() + RETENTION_EVERY;
            // (It logs what it deleted and records it in the audit log.)
            if let Err(err) = retention::apply(&db, retention_months, Utc::now()).await {
                tracing::warn!(error = %err, "retention: deleting old sealed dossiers failed");
            }
        }
    }
}

/// Deletes the sessions that have ended at `now` and the forgotten failed-sign-in counters of
/// addresses without an account; returns how many sessions were deleted.
pub async fn purge_accounts(
    db: &DatabaseConnection,
    accounts: &AccountSettings,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let ended = sessions::purge(db, now, &accounts.session_policy()).await?;
    users::purge_throttle(db, now, &accounts.lockout_policy()).await?;
    Ok(ended)
}

/// One pass; returns how many dossiers were sealed.
pub async fn round(
    db: &DatabaseConnection,
    token_key: &TokenKey,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    dossiers::seal_expired(db, now, |agency, code| token_key.seal_code(agency, code)).await
}
