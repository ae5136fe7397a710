//! Roll-up spans: the calendar month, quarter, half and year whose sums are kept per agency ×
//! form version (`score_rollups`, and the registered dossiers in `dossier_rollups`), so that a
//! result reads a handful of rows per agency whatever its period (issue "Fast from nothing").
//!
//! Every closed month's counts are in the four spans that contain it: a month's answers are
//! added to its month, quarter, half and year when it closes, and a late entry or a late
//! registration of a closed month is added to the same four. A span's row therefore sums the
//! closed months in it; it is read only for a period whose months are all published (results
//! never show an open month), so a quarter is read only once its three months have closed.
//!
//! A period is read as its [`cover`]: the fewest aligned spans that make it up, largest first
//! (`2025-02/2025-12` is `2025-02`, `2025-03`, `2025-Q2`, `2025-H2`).
//!
//! ```
//! use sipas::domain::periods::Month;
//! use sipas::domain::spans::{Span, cover};
//! let m = Month::parse("2025-05").unwrap();
//! let keys: Vec<String> = Span::containing(m).iter().map(Span::key).collect();
//! assert_eq!(keys, ["2025-05", "2025-Q2", "2025-H1", "2025"]);
//! let c = cover(Month::parse("2025-02").unwrap(), Month::parse("2025-12").unwrap());
//! let keys: Vec<String> = c.iter().map(Span::key).collect();
//! assert_eq!(keys, ["2025-02", "2025-03", "2025-Q2", "2025-H2"]);
//! ```

use std::fmt;

use super::periods::Month;

/// A month, quarter, half or calendar year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// The first month.
    first: Month,
    /// 1, 3, 6 or 12 months.
    months: u8,
}

/// The lengths of the spans, in months, largest first.
const LENGTHS: [u8; 4] = [12, 6, 3, 1];

impl Span {
    /// The four spans that contain `month`: its month, quarter, half and year.
    pub fn containing(month: Month) -> [Span; 4] {
        [1, 3, 6, 12].map(|len| Span::aligned(month, len))
    }

    /// The span of `len` months (1, 3, 6 or 12) that contains `month`.
    fn aligned(month: Month, len: u8) -> Span {
        let first = (month.month() - 1) / len * len + 1;
        Span {
            first: Month::new(month.year(), first).unwrap_or(month),
            months: len,
        }
    }

    /// The stored key: `2025-03`, `2025-Q1`, `2025-H1` or `2025`.
    pub fn key(&self) -> String {
        self.to_string()
    }

    /// Parses a stored key.
    pub fn parse(key: &str) -> Option<Span> {
        let Some((year, rest)) = key.split_once('-') else {
            let year = key.parse().ok().filter(|_| key.len() == 4)?;
            return Some(Span::aligned(Month::new(year, 1)?, 12));
        };
        let year: u16 = year.parse().ok().filter(|_| year.len() == 4)?;
        let (len, n) = match rest.as_bytes() {
            [b'Q', n @ b'1'..=b'4'] => (3, n - b'0'),
            [b'H', n @ b'1'..=b'2'] => (6, n - b'0'),
            _ => return Month::parse(key).map(|m| Span::aligned(m, 1)),
        };
        Some(Span::aligned(Month::new(year, (n - 1) * len + 1)?, len))
    }

    /// The first month.
    pub fn first(&self) -> Month {
        self.first
    }

    /// The last month.
    pub fn last(&self) -> Month {
        (1..self.months).fold(self.first, |m, _| m.next())
    }

    /// Whether `month` lies in the span.
    pub fn contains(&self, month: Month) -> bool {
        (self.first..=self.last()).contains(&month)
    }
}

/// `2025-03`, `2025-Q1`, `2025-H1`, `2025`: the stored key.
impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, n) = (self.first.year(), self.first.month());
        match self.months {
            12 => write!(f, "{year:04}"),
            6 => write!(f, "{year:04}-H{}", (n - 1) / 6 + 1),
            3 => write!(f, "{year:04}-Q{}", (n - 1) / 3 + 1),
            _ => write!(f, "{}", self.first),
        }
    }
}

/// The fewest aligned spans that make up the months `first..=last`, in order: at each month, the
/// largest span that starts there and ends by `last`. Empty when `last < first`.
pub fn cover(first: Month, last: Month) -> Vec<Span> {
    let mut out = Vec::new();
    let mut at = first;
    while at <= last {
        let span = LENGTHS
            .iter()
            .map(|&len| Span::aligned(at, len))
            .find(|s| s.first == at && s.last() <= last)
            .unwrap_or(Span {
                first: at,
                months: 1,
            });
        out.push(span);
        at = span.last().next();
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn m(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    fn keys(spans: &[Span]) -> Vec<String> {
        spans.iter().map(Span::key).collect()
    }

    #[test]
    fn every_month_lies_in_four_spans_that_parse_back() {
        for month in 1..=12 {
            let month = Month::new(2025, month).unwrap();
            for span in Span::containing(month) {
                assert!(span.contains(month), "{span} {month}");
                assert_eq!(Span::parse(&span.key()), Some(span));
            }
        }
        assert_eq!(
            keys(&Span::containing(m("2025-12"))),
            ["2025-12", "2025-Q4", "2025-H2", "2025"]
        );
        assert_eq!(Span::parse("2025-Q3").unwrap().last(), m("2025-09"));
    }

    #[test]
    fn covers_are_the_fewest_aligned_spans() {
        assert_eq!(keys(&cover(m("2025-01"), m("2025-12"))), ["2025"]);
        assert_eq!(keys(&cover(m("2025-07"), m("2025-09"))), ["2025-Q3"]);
        assert_eq!(
            keys(&cover(m("2024-11"), m("2026-01"))),
            ["2024-11", "2024-12", "2025", "2026-01"]
        );
        assert_eq!(
            keys(&cover(m("2025-01"), m("2025-08"))),
            ["2025-H1", "2025-07", "2025-08"]
        );
        assert!(cover(m("2025-02"), m("2025-01")).is_empty());
    }

    #[test]
    fn a_cover_holds_each_month_once() {
        for first in 1..=12 {
            for last in first..=12 {
                let (f, l) = (
                    Month::new(2025, first).unwrap(),
                    Month::new(2025, last).unwrap(),
                );
                let spans = cover(f, l);
                let mut months: Vec<Month> = Vec::new();
                for s in &spans {
                    let mut at = s.first();
                    while at <= s.last() {
                        months.push(at);
                        at = at.next();
                    }
                }
                let expected: Vec<Month> = (first..=last)
                    .map(|n| Month::new(2025, n).unwrap())
                    .collect();
                assert_eq!(months, expected, "{f}..{l}");
            }
        }
    }

    #[test]
    fn bad_keys_do_not_parse() {
        for bad in [
            "25", "2025-Q5", "2025-H3", "2025-13", "2025-q1", "x", "2025-", "20255",
        ] {
            assert_eq!(Span::parse(bad), None, "{bad}");
        }
    }
}
