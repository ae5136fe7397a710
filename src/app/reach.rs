//! Response rates by invitation channel — QR code only, e-mail, SMS — so that an agency sees
//! what each channel brings (`GET /api/v1/results/channels`, the dashboard's Integrity tab).
//!
//! A dossier is invited through one channel (`domain::invitations::Recipient::of`): SMS when it
//! came with a phone number, else e-mail when it came with an address, else only the QR code on
//! its receipt. The rate is the dossiers answered (through the link or entered by the agency)
//! among those registered, with its Wilson 95 % interval, over the closed months of the period
//! only (docs/privacy.md, "Publication by closed month"); below `results.suppress_below`
//! dossiers a channel's figures are suppressed (a rate of one or two dossiers would say whether
//! those citizens answered). Dossiers that retention deleted are no longer counted.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::app::results::request::{invalid, period};
use crate::app::results::{published, readable_agency};
use crate::domain::agencies::Agency;
use crate::domain::agency_history::Member;
use crate::domain::auth::Principal;
use crate::domain::dossiers::VIETNAM_OFFSET_SECS;
use crate::domain::periods::Month;
use crate::error::ApiError;
use crate::persistence::{agency_history, reach};
use crate::stats::proportion::{Interval, wilson};

/// The channels, in the order they are shown.
pub const CHANNELS: [&str; 3] = ["qr", "email", "sms"];

/// One channel's rate.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelRate {
    /// `qr`, `email` or `sms`.
    pub channel: &'static str,
    /// `None` when suppressed.
    pub registered: Option<u64>,
    pub answered: Option<u64>,
    /// A fraction, with its Wilson 95 % interval.
    pub rate: Option<f64>,
    pub ci: Option<Interval>,
    pub suppressed: bool,
}

/// The rates of an agency (or its subtree) over the closed months of a period.
#[derive(Debug, Clone)]
pub struct ReachReport {
    pub agency: Agency,
    pub subtree: bool,
    /// The period as asked (its label).
    pub period: String,
    /// The last closed month (the figures stop there), if any.
    pub published_through: Option<String>,
    pub channels: Vec<ChannelRate>,
}

/// The rates of `agency` (with the agencies below it when `subtree`) over `period`.
pub async fn rates(
    db: &DatabaseConnection,
    caller: &Principal,
    (agency, asked, subtree): (Option<&str>, Option<String>, bool),
    suppress_below: u64,
) -> Result<ReachReport, ApiError> {
    let code = agency
        .filter(|a| !a.is_empty())
        .ok_or_else(|| invalid("agency", "missing", "is required"))?;
    let agency = readable_agency(db, caller, "agency", code).await?;
    let asked = period(&asked, &None, &None)?;
    let (closed, through) = published(db, &asked).await?;
    let members = if subtree {
        let hierarchy = agency_history::load(db).await?;
        hierarchy.members_during(agency.id, (asked.first(), asked.last()))
    } else {
        vec![Member::whole(agency.id)]
    };
    let counts = if closed.is_empty() {
        Vec::new()
    } else {
        by_members(db, &members, (closed.first(), closed.last())).await?
    };
    let channels = CHANNELS
        .into_iter()
        .map(|channel| {
            let (n, x) = counts
                .iter()
                .find(|c| c.0 == channel)
                .map_or((0, 0), |c| (c.1, c.2));
            rate(channel, (x, n), suppress_below)
        })
        .collect();
    Ok(ReachReport {
        agency,
        subtree,
        period: asked.label().to_owned(),
        published_through: through.map(|m| m.to_string()),
        channels,
    })
}

/// The dossiers of `members` completed in the months `first..=last`, by invitation channel: an
/// agency below the asked one for part of the period (issue 21) with its months there only.
/// One query for the whole members, one per run of months of each other.
async fn by_members(
    db: &DatabaseConnection,
    members: &[Member],
    (first, last): (Month, Month),
) -> Result<Vec<reach::ChannelCount>, ApiError> {
    let whole: Vec<Uuid> = (members.iter().filter(|m| m.is_whole()))
        .map(|m| m.agency)
        .collect();
    let mut scopes = vec![(whole, (first, last))];
    for m in members.iter().filter(|m| !m.is_whole()) {
        scopes.extend((m.within(first, last).into_iter()).map(|run| (vec![m.agency], run)));
    }
    let mut sums: Vec<reach::ChannelCount> = Vec::new();
    for (ids, (a, b)) in scopes {
        let range = (month_start(a), month_start(b.next()));
        for (via, n, x) in reach::by_channel(db, &ids, range).await? {
            match sums.iter_mut().find(|c| c.0 == via) {
                Some(c) => (c.1, c.2) = (c.1 + n, c.2 + x),
                None => sums.push((via, n, x)),
            }
        }
    }
    Ok(sums)
}

/// `answered` of `registered` dossiers, suppressed below `suppress_below`.
fn rate(channel: &'static str, (x, n): (i64, i64), suppress_below: u64) -> ChannelRate {
    let (x, n) = (u64::try_from(x).unwrap_or(0), u64::try_from(n).unwrap_or(0));
    if n == 0 || n < suppress_below {
        return ChannelRate {
            channel,
            registered: None,
            answered: None,
            rate: None,
            ci: None,
            suppressed: true,
        };
    }
    #[allow(clippy::cast_precision_loss)]
    let share = x as f64 / n as f64;
    ChannelRate {
        channel,
        registered: Some(n),
        answered: Some(x),
        rate: Some(share),
        ci: wilson(x, n, 0.95),
        suppressed: false,
    }
}

/// The instant `month` begins in Vietnam (UTC+7).
fn month_start(month: Month) -> DateTime<Utc> {
    let first = NaiveDate::from_ymd_opt(i32::from(month.year()), u32::from(month.month()), 1)
        .unwrap_or_default()
        .and_time(chrono::NaiveTime::MIN);
    first.and_utc() - TimeDelta::seconds(i64::from(VIETNAM_OFFSET_SECS))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn months_begin_in_vietnam_time_and_small_channels_are_suppressed() {
        let start = month_start(Month::parse("2025-06").unwrap());
        assert_eq!(start.to_rfc3339(), "2025-05-31T17:00:00+00:00");
        assert!(rate("sms", (3, 9), 10).suppressed);
        let r = rate("sms", (5, 10), 10);
        assert_eq!((r.rate, r.registered), (Some(0.5), Some(10)));
        assert!(r.ci.unwrap().contains(0.5));
    }
}
