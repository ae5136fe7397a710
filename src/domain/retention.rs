//! Retention (`retention.dossier_months`): which sealed dossiers are old enough to be deleted.
//! A dossier is kept while its month is one of the last `months` months before the current one
//! (Vietnam time) — re-registrations and late paper entries still find it — and while its month
//! is open; after that only its count is needed, and that is kept (`dossier_counts`, and the
//! deleted ones' counts apart so that `sipas scores rebuild` finds them). Pure rules;
//! `app::retention` applies them.

use chrono::{DateTime, Utc};

use super::periods::Month;
use super::publication;

/// The first month whose dossiers are kept at `now` with `months` months of retention (0: every
/// month is kept, `None`). With 24 in December 2026, dossiers of December 2024 and later stay.
pub fn kept_from(now: DateTime<Utc>, months: u32) -> Option<Month> {
    if months == 0 {
        return None;
    }
    let mut month = publication::month_of(now);
    for _ in 0..months {
        month = month.previous();
    }
    Some(month)
}

/// The last month whose sealed dossiers may be deleted: before [`kept_from`], and closed
/// (`published_through`). `None`: nothing may be deleted.
pub fn deletable_through(
    now: DateTime<Utc>,
    months: u32,
    published_through: Option<Month>,
) -> Option<Month> {
    let before = kept_from(now, months)?.previous();
    Some(before.min(published_through?))
}

/// The first month a new dossier may be registered for: months before it are, or may already
/// have been, emptied by retention, and a dossier registered there could be one already deleted
/// (counted twice). `retained_through` is the last month whose dossiers were deleted (even with a
/// longer retention configured since). `None`: every month.
pub fn registrable_from(
    now: DateTime<Utc>,
    months: u32,
    retained_through: Option<Month>,
) -> Option<Month> {
    let after_deleted = retained_through.map(Month::next);
    match (kept_from(now, months), after_deleted) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn m(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    #[test]
    fn months_are_counted_back_from_the_current_month_in_vietnam_time() {
        let now = at("2026-12-05T12:00:00Z");
        assert_eq!(kept_from(now, 0), None);
        assert_eq!(kept_from(now, 1), Some(m("2026-11")));
        assert_eq!(kept_from(now, 24), Some(m("2024-12")));
        // 31 December 20:00 UTC is already January in Vietnam.
        assert_eq!(kept_from(at("2026-12-31T20:00:00Z"), 1), Some(m("2026-12")));
    }

    #[test]
    fn only_closed_months_before_the_kept_ones_may_be_emptied() {
        let now = at("2026-12-05T12:00:00Z");
        assert_eq!(
            deletable_through(now, 2, Some(m("2026-10"))),
            Some(m("2026-09"))
        );
        assert_eq!(
            deletable_through(now, 2, Some(m("2026-06"))),
            Some(m("2026-06"))
        );
        assert_eq!(deletable_through(now, 2, None), None);
        assert_eq!(deletable_through(now, 0, Some(m("2026-10"))), None);
    }

    #[test]
    fn registration_stays_closed_for_months_already_emptied() {
        let now = at("2026-12-05T12:00:00Z");
        assert_eq!(registrable_from(now, 0, None), None);
        assert_eq!(registrable_from(now, 2, None), Some(m("2026-10")));
        // Retention was 1 month, and is 2 now: 2026-10 was emptied already.
        assert_eq!(
            registrable_from(now, 2, Some(m("2026-10"))),
            Some(m("2026-11"))
        );
        assert_eq!(
            registrable_from(now, 0, Some(m("2025-01"))),
            Some(m("2025-02"))
        );
    }
}
