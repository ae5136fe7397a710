//! The outbox worker: every `email.poll_interval_ms` it erases the addresses (and phone
//! numbers) of expired links, claims due messages (lease), and sends them by e-mail or SMS, as
//! each row's channel says; both channels follow the `[email]` settings below. A transient failure is retried with exponential
//! backoff and jitter up to `email.max_attempts`; a permanent one, or the last attempt, gives up
//! and erases the address. After the invitation, one reminder is due after
//! `email.reminder_delay_secs` unless the survey has been answered or the link expires first.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use lettre::message::Mailbox;
use sea_orm::DatabaseConnection;

use crate::config::EmailSettings;
use crate::domain::invitations::{MessageKind, Recipient, reminder_due, retry_delay};
use crate::domain::phone::{PhoneNumber, sms_text};
use crate::domain::tokens::TokenKey;
use crate::email::{Invitation, Mailer, SendError, build_message};
use crate::persistence::{dossiers, outbox};
use crate::sms::SmsSender;

/// A message ready to go, by its channel.
enum Outgoing {
    Email(lettre::Message),
    Sms(PhoneNumber, String),
}

/// Everything the worker needs.
pub struct Worker {
    pub db: DatabaseConnection,
    pub mailer: Mailer,
    pub sms: SmsSender,
    pub settings: EmailSettings,
    pub from: Mailbox,
    pub token_key: TokenKey,
    pub public_base_url: String,
}

impl Worker {
    /// Runs until the task is aborted.
    pub async fn run(self: Arc<Self>) {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(
            self.settings.poll_interval_ms,
        ));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(err) = self.round().await {
                tracing::warn!(error = %err, "e-mail outbox round failed");
            }
        }
    }

    /// How long a claim holds a row before another node may take it.
    fn lease(&self) -> TimeDelta {
        TimeDelta::seconds(i64::try_from(self.settings.lease_secs).unwrap_or(300))
    }

    /// One round: erase, claim, send.
    pub async fn round(&self) -> Result<usize, sea_orm::DbErr> {
        let now = Utc::now();
        outbox::erase_expired(&self.db, now).await?;
        let claimed =
            outbox::claim_due(&self.db, now, self.lease(), self.settings.batch_size.into()).await?;
        let mut sent = 0;
        for item in claimed {
            sent += usize::from(self.deliver(item).await?);
        }
        Ok(sent)
    }

    /// Sends one claimed message, unless its dossier is gone, answered or expired; whether it
    /// was sent.
    async fn deliver(&self, item: outbox::Claimed) -> Result<bool, sea_orm::DbErr> {
        let now = Utc::now();
        let Some(found) = dossiers::find_by_id(&self.db, item.dossier_id).await? else {
            outbox::finish(&self.db, item.id).await?;
            return Ok(false);
        };
        let dossier = &found.dossier;
        if !dossier.is_open(now) {
            // Answered or expired: nothing more to say, and the address is no longer needed.
            outbox::finish(&self.db, item.id).await?;
            return Ok(false);
        }
        let url = format!(
            "{}/s/{}",
            self.public_base_url,
            self.token_key.derive(dossier.id).expose()
        );
        let message = match &item.to {
            Recipient::Email(to) => build_message(
                &self.from,
                &Invitation {
                    kind: item.kind,
                    to,
                    agency_vi: &found.agency_name_vi,
                    agency_en: found.agency_name_en.as_deref(),
                    url: &url,
                    expires_at: dossier.expires_at,
                },
            )
            .map(Outgoing::Email),
            Recipient::Sms(to) => sms_text(
                item.kind == MessageKind::Reminder,
                &found.agency_name_vi,
                &url,
                dossier.expires_at,
            )
            .map(|text| Outgoing::Sms(to.clone(), text))
            .ok_or_else(|| anyhow::anyhow!("the link does not fit in one SMS")),
        };
        let message = match message {
            Ok(m) => m,
            Err(err) => {
                tracing::warn!(outbox_id = %item.id, error = %err, "cannot build an invitation; giving up");
                outbox::finish(&self.db, item.id).await?;
                return Ok(false);
            }
        };
        // The round may have outlived the lease (a slow SMTP server): a row another node
        // claimed meanwhile is that node's to send.
        if !outbox::renew(&self.db, &item, Utc::now() + self.lease()).await? {
            tracing::info!(outbox_id = %item.id, "lease taken over by another claim; not sending");
            return Ok(false);
        }
        match self.send_holding_lease(&item, message).await {
            Ok(()) => {
                self.record_sent(&item, now).await?;
                Ok(true)
            }
            Err(SendError::LeaseLost) => {
                // The row is the other claim's now: leave it as that claim leaves it.
                tracing::info!(outbox_id = %item.id, "lease taken over while sending; abandoned");
                Ok(false)
            }
            Err(err) => {
                self.record_failure(&item, &err, now).await?;
                Ok(false)
            }
        }
    }

    /// Marks `item` sent at `now`; an invitation gets its reminder scheduled.
    async fn record_sent(
        &self,
        item: &outbox::Claimed,
        now: DateTime<Utc>,
    ) -> Result<(), sea_orm::DbErr> {
        match item.kind {
            MessageKind::Invitation => {
                let delay = TimeDelta::seconds(
                    i64::try_from(self.settings.reminder_delay_secs).unwrap_or(i64::MAX),
                );
                let reminder = reminder_due(now, delay, item.expires_at);
                outbox::invitation_sent(&self.db, item.id, now, reminder).await?;
            }
            MessageKind::Reminder => outbox::reminder_sent(&self.db, item.id, now).await?,
        }
        match item.to {
            Recipient::Email(_) => {
                tracing::info!(outbox_id = %item.id, kind = item.kind.as_str(), "e-mail sent");
            }
            Recipient::Sms(_) => {
                tracing::info!(outbox_id = %item.id, kind = item.kind.as_str(), "SMS sent");
            }
        }
        Ok(())
    }

    /// After a failed send: gives up on a permanent failure or the last attempt (the address
    /// is erased), else schedules a retry after a growing, jittered delay.
    async fn record_failure(
        &self,
        item: &outbox::Claimed,
        err: &SendError,
        now: DateTime<Utc>,
    ) -> Result<(), sea_orm::DbErr> {
        let attempts = item.attempts + 1;
        let give_up =
            matches!(err, SendError::Permanent { .. }) || attempts >= self.settings.max_attempts;
        if give_up {
            tracing::warn!(outbox_id = %item.id, channel = item.to.channel().as_str(), error = %err, attempts, "message not sent; giving up");
            outbox::finish(&self.db, item.id).await?;
        } else {
            let jitter = f64::from(rand_fraction());
            let wait = retry_delay(
                attempts,
                TimeDelta::milliseconds(
                    i64::try_from(self.settings.retry_base_ms).unwrap_or(30_000),
                ),
                TimeDelta::milliseconds(
                    i64::try_from(self.settings.retry_max_ms).unwrap_or(3_600_000),
                ),
                jitter,
            );
            tracing::info!(outbox_id = %item.id, channel = item.to.channel().as_str(), error = %err, attempts, retry_in_ms = wait.num_milliseconds(), "message not sent; will retry");
            outbox::failed(&self.db, item.id, attempts, now + wait).await?;
        }
        Ok(())
    }

    /// Sends `message` while renewing `item`'s lease every third of it, so that a send slower
    /// than the lease does not let another node claim and send the same row.
    async fn send_holding_lease(
        &self,
        item: &outbox::Claimed,
        message: Outgoing,
    ) -> Result<(), SendError> {
        let lease = self.lease();
        let every = (lease / 3)
            .to_std()
            .unwrap_or_default()
            .max(std::time::Duration::from_millis(100));
        let send = async {
            match message {
                Outgoing::Email(message) => self.mailer.send(message).await,
                Outgoing::Sms(to, text) => self.sms.send(&to, &text).await,
            }
        };
        let mut send = std::pin::pin!(send);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        loop {
            tokio::select! {
                sent = &mut send => return sent,
                _ = tick.tick() => match outbox::renew(&self.db, item, Utc::now() + lease).await {
                    Ok(true) => {}
                    // Another claim took the row: it sends the message. Dropping the send
                    // before the end of its data means this one is never delivered.
                    Ok(false) => return Err(SendError::LeaseLost),
                    Err(err) => tracing::warn!(outbox_id = %item.id, error = %err, "cannot renew the lease while sending"),
                },
            }
        }
    }
}

/// A fraction in [0, 1) from the operating system's random number generator (0 if it fails:
/// jitter is a nicety).
fn rand_fraction() -> f32 {
    let mut bytes = [0u8; 2];
    if getrandom::fill(&mut bytes).is_err() {
        return 0.0;
    }
    f32::from(u16::from_le_bytes(bytes)) / 65_536.0
}
