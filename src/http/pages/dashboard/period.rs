//! The periods of the dashboard: what a page opens with (this year; the trend, the last 24
//! months), how the address writes a period, and the options of the period selector.

use chrono::{Datelike, Utc};

use crate::domain::periods::{Month, Period};

use super::super::i18n::Lang;
use super::words::{period_words, words};
use super::{Opt, OptGroup, Tab};

/// Today's month in Vietnam time.
#[allow(clippy::expect_used)]
pub(super) fn this_month() -> Month {
    use crate::domain::periods::{MAX_YEAR, MIN_YEAR};
    let today = crate::domain::dossiers::vietnam_date(Utc::now());
    let year = u16::try_from(today.year()).unwrap_or(MIN_YEAR);
    // Clamped into range, so `Month::new` cannot refuse it.
    Month::new(
        year.clamp(MIN_YEAR, MAX_YEAR),
        today.month().clamp(1, 12) as u8,
    )
    .expect("a year and month in range")
}

/// The default period of a page: the current year, or (trend) the last 24 months.
pub(super) fn default_period(tab: Tab, now: Month) -> Option<Period> {
    if tab == Tab::Trend {
        // 24 months ending with this one: 23 months back.
        let (year, month) = if now.month() == 12 {
            (now.year() - 1, 1)
        } else {
            (now.year() - 2, now.month() + 1)
        };
        let from = Month::new(year, month)?;
        Period::range(&from.to_string(), &now.to_string()).ok()
    } else {
        Period::parse(&format!("{:04}", now.year())).ok()
    }
}

/// A period as the pages write it: a label of [`Period::parse`], or a range `YYYY-MM/YYYY-MM`.
pub(super) fn parse_period(raw: &str) -> Option<Period> {
    match raw.split_once('/') {
        Some((from, to)) => Period::range(from, to).ok(),
        None => Period::parse(raw).ok(),
    }
}

/// The period options: for each of the current year and the two before, the year, its halves,
/// quarters and months (up to this month); on the trend page, the default range and the years.
/// A period chosen outside these (an older one, a range) is offered first, selected.
pub(super) fn period_groups(selected: &Period, now: Month, tab: Tab, lang: Lang) -> Vec<OptGroup> {
    let opt = |value: String, label: String| Opt {
        selected: value == selected.label(),
        value,
        label,
    };
    let mut groups = if tab == Tab::Trend {
        trend_groups(now, lang, &opt)
    } else {
        year_groups(now, lang, &opt)
    };
    if !groups.iter().flat_map(|g| &g.options).any(|o| o.selected) {
        groups.insert(
            0,
            OptGroup {
                label: words(lang).period_label.to_owned(),
                options: vec![Opt {
                    value: selected.label().to_owned(),
                    label: period_words(selected.label(), lang),
                    selected: true,
                }],
            },
        );
    }
    groups
}

/// The trend's options: the default range, then the three years.
fn trend_groups(now: Month, lang: Lang, opt: &dyn Fn(String, String) -> Opt) -> Vec<OptGroup> {
    let d = words(lang);
    let mut options = Vec::new();
    if let Some(p) = default_period(Tab::Trend, now) {
        options.push(opt(
            p.label().to_owned(),
            format!(
                "{} ({})",
                d.trend_default_range,
                period_words(p.label(), lang)
            ),
        ));
    }
    for year in (now.year() - 2..=now.year()).rev() {
        let label = format!("{year:04}");
        options.push(opt(label.clone(), period_words(&label, lang)));
    }
    vec![OptGroup {
        label: d.period_label.to_owned(),
        options,
    }]
}

/// A group per year, newest first: the year, its halves, quarters and months.
fn year_groups(now: Month, lang: Lang, opt: &dyn Fn(String, String) -> Opt) -> Vec<OptGroup> {
    (now.year() - 2..=now.year())
        .rev()
        .map(|year| {
            let last_month = if year == now.year() { now.month() } else { 12 };
            let mut labels = vec![format!("{year:04}")];
            labels.extend((1..=2).map(|h| format!("{year:04}-H{h}")));
            labels.extend((1..=4).map(|q| format!("{year:04}-Q{q}")));
            labels.extend((1..=last_month).map(|m| format!("{year:04}-{m:02}")));
            OptGroup {
                label: format!("{year:04}"),
                options: labels
                    .into_iter()
                    .map(|l| {
                        let words = period_words(&l, lang);
                        opt(l, words)
                    })
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn periods_default_to_the_current_year_and_the_trend_to_24_months() {
        let now = Month::new(2026, 12).unwrap();
        assert_eq!(default_period(Tab::Overview, now).unwrap().label(), "2026");
        assert_eq!(
            default_period(Tab::Trend, now).unwrap().label(),
            "2025-01/2026-12"
        );
        let march = Month::new(2026, 3).unwrap();
        assert_eq!(
            default_period(Tab::Trend, march).unwrap().label(),
            "2024-04/2026-03",
            "24 months ending with this one"
        );
        assert_eq!(
            parse_period("2025-01/2026-12").unwrap().first().to_string(),
            "2025-01"
        );
        assert_eq!(parse_period("2025-q3").unwrap().label(), "2025-Q3");
        assert!(parse_period("2025-13").is_none());
        assert!(parse_period("soon").is_none());
    }

    #[test]
    fn the_period_selector_offers_three_years_and_keeps_an_odd_choice() {
        let now = Month::new(2026, 3).unwrap();
        let p = Period::parse("2025-Q3").unwrap();
        let groups = period_groups(&p, now, Tab::Overview, Lang::Vi);
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[0].options.len(), 1 + 2 + 4 + 3, "2026: up to March");
        assert_eq!(groups[1].options.len(), 1 + 2 + 4 + 12);
        let selected: Vec<&Opt> = groups
            .iter()
            .flat_map(|g| &g.options)
            .filter(|o| o.selected)
            .collect();
        assert_eq!(selected.len(), 1);
        assert_eq!(selected[0].label, "Quý III/2025");
        let old = Period::parse("2019").unwrap();
        let groups = period_groups(&old, now, Tab::Overview, Lang::En);
        assert_eq!(groups[0].options[0].value, "2019");
        assert!(groups[0].options[0].selected);
    }
}
