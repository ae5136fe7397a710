//! Housekeeping that keeps the privacy promises of docs/privacy.md on time, independent of
//! traffic: every `surveys.seal_interval_secs` the dossiers whose survey link has expired get
//! their code replaced by its keyed hash and their answer digest dropped. (Answered dossiers are
//! sealed in the transaction that stores the response; e-mail addresses of expired links are
//! erased by the outbox worker.) Each pass also deletes officer sessions that have ended and
//! failed-sign-in counters that no longer matter (`purge_accounts`). Safe to run on every node at
//! once.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};

use crate::config::AccountSettings;
use crate::domain::tokens::TokenKey;
use crate::persistence::{dossiers, sessions, users};

/// Runs [`round`] and [`purge_accounts`] every `interval` until the task is aborted.
pub async fn run(
    db: DatabaseConnection,
    token_key: TokenKey,
    interval: Duration,
    accounts: AccountSettings,
) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match round(&db, &token_key, Utc::now()).await {
            Ok(0) => {}
            Ok(sealed) => tracing::info!(sealed, "expired dossiers sealed"),
            Err(err) => tracing::warn!(error = %err, "sealing expired dossiers failed"),
        }
        if let Err(err) = purge_accounts(&db, &accounts, Utc::now()).await {
            tracing::warn!(error = %err, "purging ended sessions failed");
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
