//! Publication by closed month (docs/privacy.md): the answers of the dossiers completed in a month
//! are published only once the month is **closed** — every survey link of it has expired (month
//! end + the links' lifetime), or an administrator closed it early, which expires the links left.
//! Before that, nothing derived from its answers is shown to anyone, so an agency cannot learn a
//! citizen's answers by reading its results before and after one response.
//!
//! Months close in order: closing a month closes every earlier open month with it, so what is
//! published is always "every month up to `published_through`", one boundary.
//!
//! The rules here are pure; `app::months` applies them to the database.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};

use super::dossiers::{VIETNAM_OFFSET_SECS, period_month};
use super::periods::{self, Month};

/// The first instant of `month` in Vietnam time, in UTC.
pub fn starts_at(month: Month) -> DateTime<Utc> {
    let day = NaiveDate::from_ymd_opt(i32::from(month.year()), u32::from(month.month()), 1)
        .unwrap_or_default();
    day.and_time(chrono::NaiveTime::MIN).and_utc() - TimeDelta::seconds(VIETNAM_OFFSET_SECS.into())
}

/// The first instant after `month` in Vietnam time, in UTC.
pub fn ends_at(month: Month) -> DateTime<Utc> {
    starts_at(month.next())
}

/// When `month` closes by itself: the last link of a dossier completed in it has expired.
pub fn closes_at(month: Month, ttl_days: u32) -> DateTime<Utc> {
    ends_at(month) + TimeDelta::days(i64::from(ttl_days))
}

/// The month (Vietnam time) that contains `at` (`dossiers::period_month`, the month a response
/// keeps), clamped to the years sipas supports.
pub fn month_of(at: DateTime<Utc>) -> Month {
    Month::parse(&period_month(at)).unwrap_or_else(|| {
        if at.year() < i32::from(periods::MIN_YEAR) {
            Month::FIRST
        } else {
            Month::new(periods::MAX_YEAR, 12).unwrap_or(Month::FIRST)
        }
    })
}

/// The last month whose links have all expired at `now`: every month up to it may close by
/// expiry.
pub fn due_through(now: DateTime<Utc>, ttl_days: u32) -> Month {
    let mut month = month_of(now - TimeDelta::days(i64::from(ttl_days)));
    // `month` ended at most `ttl_days` ago only if its end plus the lifetime has passed.
    while closes_at(month, ttl_days) > now {
        month = month.previous();
    }
    month
}

/// Whether `month` has ended at `now` (only an ended month can be closed: dossiers may still be
/// completed in the current one).
pub fn has_ended(month: Month, now: DateTime<Utc>) -> bool {
    ends_at(month) <= now
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::domain::periods::Period;

    fn month(raw: &str) -> Month {
        Month::parse(raw).unwrap()
    }

    fn at(raw: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(raw).unwrap().to_utc()
    }

    #[test]
    fn a_month_starts_and_ends_at_midnight_in_vietnam() {
        assert_eq!(starts_at(month("2026-11")), at("2026-11-01T00:00:00+07:00"));
        assert_eq!(ends_at(month("2026-12")), at("2027-01-01T00:00:00+07:00"));
        assert_eq!(month_of(at("2026-11-30T23:59:59+07:00")), month("2026-11"));
        assert_eq!(month_of(at("2026-11-30T17:00:00Z")), month("2026-12"));
    }

    #[test]
    fn a_month_closes_when_its_last_link_has_expired() {
        let nov = month("2026-11");
        assert_eq!(closes_at(nov, 30), at("2026-12-31T00:00:00+07:00"));
        assert_eq!(
            due_through(at("2026-12-30T23:59:59+07:00"), 30),
            month("2026-10")
        );
        assert_eq!(due_through(at("2026-12-31T00:00:00+07:00"), 30), nov);
        assert_eq!(due_through(at("2026-12-05T12:00:00+07:00"), 1), nov);
    }

    #[test]
    fn only_an_ended_month_can_close() {
        let now = at("2026-12-05T12:00:00+07:00");
        assert!(has_ended(month("2026-11"), now));
        assert!(!has_ended(month("2026-12"), now));
    }

    #[test]
    fn the_published_part_of_a_period_stops_at_the_last_closed_month() {
        let year = Period::parse("2026").unwrap();
        let none = year.through(None);
        assert!(none.is_empty());
        assert_eq!(
            (none.label(), none.months().count(), none.len_months()),
            ("2026", 0, 0)
        );
        assert!(!none.contains(month("2026-01")));
        assert!(year.through(Some(month("2025-12"))).is_empty());
        let part = year.through(Some(month("2026-10")));
        assert_eq!(
            (part.first(), part.last()),
            (month("2026-01"), month("2026-10"))
        );
        assert_eq!((part.label(), part.len_months()), ("2026", 10));
        assert_eq!(year.through(Some(month("2027-01"))), year);
    }
}
