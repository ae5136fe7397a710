//! Housekeeping that keeps the privacy promises of docs/privacy.md on time, independent of
//! traffic: every `surveys.seal_interval_secs` the dossiers whose survey link has expired get
//! their code replaced by its keyed hash and their answer digest dropped. (Answered dossiers are
//! sealed in the transaction that stores the response; e-mail addresses of expired links are
//! erased by the outbox worker.) Safe to run on every node at once.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};

use crate::domain::tokens::TokenKey;
use crate::persistence::dossiers;

/// Runs [`round`] every `interval` until the task is aborted.
pub async fn run(db: DatabaseConnection, token_key: TokenKey, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match round(&db, &token_key, Utc::now()).await {
            Ok(0) => {}
            Ok(sealed) => tracing::info!(sealed, "expired dossiers sealed"),
            Err(err) => tracing::warn!(error = %err, "sealing expired dossiers failed"),
        }
    }
}

/// One pass; returns how many dossiers were sealed.
pub async fn round(
    db: &DatabaseConnection,
    token_key: &TokenKey,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    dossiers::seal_expired(db, now, |agency, code| token_key.seal_code(agency, code)).await
}
