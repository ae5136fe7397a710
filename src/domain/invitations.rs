//! Invitations and reminders by e-mail or SMS: when to retry a failed send, and when the one reminder
//! is due. The address (or number) is kept only until the reminder is sent, the survey is answered, or the
//! link expires, whichever comes first.

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::dossiers::{EmailAddress, ValidDossier};
use crate::domain::phone::PhoneNumber;

/// Where a dossier's invitation goes. `Debug` of either reveals nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    Email(EmailAddress),
    Sms(PhoneNumber),
}

impl Recipient {
    /// Where `dossier`'s invitation goes: one channel per dossier, so a citizen is asked once
    /// and each answer is owed to one channel. A phone number wins over an e-mail address: far
    /// more citizens read an SMS, and the address is then not kept at all.
    pub fn of(dossier: &ValidDossier) -> Option<Recipient> {
        match (&dossier.phone, &dossier.email) {
            (Some(phone), _) => Some(Recipient::Sms(phone.clone())),
            (None, Some(email)) => Some(Recipient::Email(email.clone())),
            (None, None) => None,
        }
    }

    /// The channel of this recipient.
    pub fn channel(&self) -> InviteChannel {
        match self {
            Recipient::Email(_) => InviteChannel::Email,
            Recipient::Sms(_) => InviteChannel::Sms,
        }
    }
}

/// The channel an invitation goes through. Kept with the outbox row after the contact is
/// erased: it is what response rates by channel count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InviteChannel {
    Email,
    Sms,
}

impl InviteChannel {
    pub const ALL: [InviteChannel; 2] = [InviteChannel::Email, InviteChannel::Sms];

    pub fn as_str(self) -> &'static str {
        match self {
            InviteChannel::Email => "email",
            InviteChannel::Sms => "sms",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

/// Which message of a dossier is next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Invitation,
    Reminder,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Invitation => "invitation",
            MessageKind::Reminder => "reminder",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [MessageKind::Invitation, MessageKind::Reminder]
            .into_iter()
            .find(|k| k.as_str() == raw)
    }
}

/// The wait before retry number `attempt` (1 = the first retry): `base · 2^(attempt-1)`,
/// capped at `max`, of which a random half is dropped ("equal jitter", `jitter` in [0, 1)), so
/// that many messages failing together do not retry together.
pub fn retry_delay(attempt: u32, base: TimeDelta, max: TimeDelta, jitter: f64) -> TimeDelta {
    let factor = 2i32.saturating_pow(attempt.saturating_sub(1).min(30));
    let full = base
        .checked_mul(factor)
        .unwrap_or(max)
        .min(max)
        .max(TimeDelta::milliseconds(1));
    let half = full / 2;
    let jitter = jitter.clamp(0.0, 1.0);
    // Milliseconds fit in f64 exactly for any delay a mail server is worth waiting for.
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    let extra = TimeDelta::milliseconds((half.num_milliseconds() as f64 * jitter) as i64);
    half + extra
}

/// When the reminder of an invitation sent at `invited_at` is due, or `None` when that would be
/// at or after the link's expiry (then there is no reminder and the address is erased).
pub fn reminder_due(
    invited_at: DateTime<Utc>,
    delay: TimeDelta,
    expires_at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let due = invited_at + delay;
    (due < expires_at).then_some(due)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_with_jitter_and_a_cap() {
        let (base, max) = (TimeDelta::seconds(30), TimeDelta::hours(1));
        assert_eq!(retry_delay(1, base, max, 0.0), TimeDelta::seconds(15));
        assert_eq!(
            retry_delay(1, base, max, 0.999_999),
            TimeDelta::milliseconds(29_999)
        );
        assert_eq!(retry_delay(2, base, max, 0.0), TimeDelta::seconds(30));
        assert_eq!(retry_delay(4, base, max, 0.5), TimeDelta::seconds(180));
        assert_eq!(retry_delay(20, base, max, 0.0), TimeDelta::minutes(30));
        assert_eq!(retry_delay(u32::MAX, base, max, 1.0), TimeDelta::hours(1));
    }

    #[test]
    fn a_reminder_only_before_expiry() {
        let t = Utc::now();
        let days = TimeDelta::days;
        assert_eq!(reminder_due(t, days(3), t + days(30)), Some(t + days(3)));
        assert_eq!(reminder_due(t, days(3), t + days(3)), None);
        assert_eq!(MessageKind::parse("reminder"), Some(MessageKind::Reminder));
        assert_eq!(MessageKind::parse("x"), None);
    }
}
