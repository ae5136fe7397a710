//! Reporting periods: what `period=…` or `from=…&to=…` in a results, rankings or export request
//! means (api.md, "Results").
//!
//! A response keeps only the month of its dossier's completion (`responses.period_month`,
//! `YYYY-MM`, Vietnam time), so every period is an inclusive range of whole months:
//!
//! | query                            | months              | canonical label        |
//! |----------------------------------|---------------------|------------------------|
//! | `period=2026`                    | 2026-01 … 2026-12   | `2026`                 |
//! | `period=2026-Q2`                 | 2026-04 … 2026-06   | `2026-Q2`              |
//! | `period=2026-H2`                 | 2026-07 … 2026-12   | `2026-H2`              |
//! | `period=2026-03`                 | 2026-03             | `2026-03`              |
//! | `from=2026-02&to=2026-05`        | 2026-02 … 2026-05   | `2026-02/2026-05`      |
//!
//! A `from`/`to` range that happens to be a calendar year, half, quarter or month gets that
//! period's label (`from=2026-01&to=2026-03` is `2026-Q1`), so one set of months has one label.
//! Ranges are labelled in ISO 8601 interval notation (`start/end`).
//!
//! Decisions: `q`/`h` are accepted in lower case and the label is upper case; nothing else is
//! lenient (no spaces, no single-digit months). Years run from [`MIN_YEAR`] to [`MAX_YEAR`]; a
//! range spans at most [`MAX_SPAN_MONTHS`] months. Errors name the query field at fault
//! (`period`, `from` or `to`) so the HTTP layer can report them per field.
//!
//! ```
//! use sipas::domain::periods::Period;
//! let q = Period::parse("2026-q2")?;
//! assert_eq!(q.label(), "2026-Q2");
//! assert_eq!((q.first().to_string(), q.last().to_string()), ("2026-04".into(), "2026-06".into()));
//! assert_eq!(q.months().map(|m| m.to_string()).collect::<Vec<_>>(), ["2026-04", "2026-05", "2026-06"]);
//! let r = Period::from_query(None, Some("2026-01"), Some("2026-03"))?;
//! assert_eq!(r.label(), "2026-Q1");
//! # Ok::<(), sipas::domain::periods::PeriodError>(())
//! ```

use std::fmt;

/// The earliest year a period may name (SIPAS started in 2017; older data is not expected).
pub const MIN_YEAR: u16 = 2000;
/// The latest year a period may name.
pub const MAX_YEAR: u16 = 2099;
/// The longest `from`/`to` range, in months (ten years).
pub const MAX_SPAN_MONTHS: u32 = 120;

/// One calendar month, as stored in `responses.period_month`. Ordered chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: u16,
    /// 1–12.
    month: u8,
}

impl Month {
    /// January of [`MIN_YEAR`], the first month sipas knows.
    pub const FIRST: Month = Month {
        year: MIN_YEAR,
        month: 1,
    };

    /// The month `month` (1–12) of `year`, if both are in range.
    pub fn new(year: u16, month: u8) -> Option<Self> {
        ((MIN_YEAR..=MAX_YEAR).contains(&year) && (1..=12).contains(&month))
            .then_some(Self { year, month })
    }

    /// Parses `YYYY-MM` exactly (two-digit month, year in range).
    pub fn parse(raw: &str) -> Option<Self> {
        let (year, month) = raw.split_once('-')?;
        if month.len() != 2 {
            return None;
        }
        Self::new(parse_year(year)?, digits(month)?.try_into().ok()?)
    }

    pub fn year(self) -> u16 {
        self.year
    }

    /// 1–12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The month before (December of the year before [`MIN_YEAR`] is allowed here, only as the
    /// end of an empty period, `Period::through`).
    pub fn previous(self) -> Self {
        if self.month == 1 {
            Self {
                year: self.year.saturating_sub(1),
                month: 12,
            }
        } else {
            Self {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// The next month (the year after [`MAX_YEAR`] is allowed here, only as an end marker).
    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// Months since January of year 0, for distances.
    fn ordinal(self) -> u32 {
        u32::from(self.year) * 12 + u32::from(self.month) - 1
    }
}

/// `YYYY-MM`, the stored form.
impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// An inclusive range of whole months with its canonical label.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Period {
    first: Month,
    last: Month,
    label: String,
}

impl Period {
    /// Parses the `period` query parameter: `YYYY`, `YYYY-Qn`, `YYYY-Hn` or `YYYY-MM`.
    pub fn parse(raw: &str) -> Result<Self, PeriodError> {
        let err = |problem| PeriodError::new(Field::Period, problem);
        let Some((year, rest)) = raw.split_once('-') else {
            let year = parse_year(raw).ok_or_else(|| err(year_problem(raw)))?;
            return Ok(Self::months_of_year(year, 1, 12));
        };
        let year = parse_year(year).ok_or_else(|| err(year_problem(year)))?;
        let (first, last) = match rest.as_bytes() {
            [b'Q' | b'q', n @ b'1'..=b'4'] => {
                let q = n - b'0';
                (3 * q - 2, 3 * q)
            }
            [b'H' | b'h', n @ b'1'..=b'2'] => {
                let h = n - b'0';
                (6 * h - 5, 6 * h)
            }
            [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
                let m = (a - b'0') * 10 + (b - b'0');
                if !(1..=12).contains(&m) {
                    return Err(err(PeriodProblem::Malformed));
                }
                (m, m)
            }
            _ => return Err(err(PeriodProblem::Malformed)),
        };
        Ok(Self::months_of_year(year, first, last))
    }

    /// The range `from`–`to` (both `YYYY-MM`, inclusive).
    pub fn range(from: &str, to: &str) -> Result<Self, PeriodError> {
        let first =
            Month::parse(from).ok_or_else(|| PeriodError::new(Field::From, month_problem(from)))?;
        let last =
            Month::parse(to).ok_or_else(|| PeriodError::new(Field::To, month_problem(to)))?;
        if last < first {
            return Err(PeriodError::new(Field::To, PeriodProblem::EndBeforeStart));
        }
        if last.ordinal() - first.ordinal() + 1 > MAX_SPAN_MONTHS {
            return Err(PeriodError::new(Field::To, PeriodProblem::TooLong));
        }
        Ok(Self::between(first, last))
    }

    /// The period of a request's query: `period`, or `from` with `to`, exactly one of the two
    /// forms. Absent and empty parameters are the same thing.
    pub fn from_query(
        period: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Self, PeriodError> {
        match (given(period), given(from), given(to)) {
            (Some(p), None, None) => Self::parse(p),
            (Some(_), _, _) => Err(PeriodError::new(Field::Period, PeriodProblem::Ambiguous)),
            (None, Some(f), Some(t)) => Self::range(f, t),
            (None, Some(_), None) => Err(PeriodError::new(Field::To, PeriodProblem::Missing)),
            (None, None, Some(_)) => Err(PeriodError::new(Field::From, PeriodProblem::Missing)),
            (None, None, None) => Err(PeriodError::new(Field::Period, PeriodProblem::Missing)),
        }
    }

    /// The range `first`–`last` (`first <= last`), labelled canonically.
    fn between(first: Month, last: Month) -> Self {
        let label = if first.year == last.year {
            calendar_label(first.year, first.month, last.month)
        } else {
            None
        }
        .unwrap_or_else(|| format!("{first}/{last}"));
        Self { first, last, label }
    }

    fn months_of_year(year: u16, first: u8, last: u8) -> Self {
        Self::between(Month { year, month: first }, Month { year, month: last })
    }

    /// The canonical label: `2026`, `2026-Q1`, `2026-H2`, `2026-03` or `2026-02/2026-05`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The first month (inclusive).
    pub fn first(&self) -> Month {
        self.first
    }

    /// The last month (inclusive).
    pub fn last(&self) -> Month {
        self.last
    }

    /// `(first, last)` as stored in `responses.period_month`, for `BETWEEN` (the `YYYY-MM`
    /// strings sort chronologically).
    pub fn month_range(&self) -> (String, String) {
        (self.first.to_string(), self.last.to_string())
    }

    /// Whether `month` lies in the period.
    pub fn contains(&self, month: Month) -> bool {
        (self.first..=self.last).contains(&month)
    }

    /// Number of months (0 for an empty period, [`Period::through`]).
    pub fn len_months(&self) -> u32 {
        (self.last.ordinal() + 1).saturating_sub(self.first.ordinal())
    }

    /// Every month of the period, in order.
    pub fn months(&self) -> impl Iterator<Item = Month> + use<> {
        let last = self.last;
        std::iter::successors(Some(self.first).filter(|f| *f <= last), move |m| {
            Some(m.next()).filter(|n| *n <= last)
        })
    }

    /// The part of the period up to `through` (the last published month), under the same label:
    /// what results may show of it. With nothing published it has no month at all (its last
    /// month is before its first: `contains` is false for every month, `months` is empty and
    /// `month_range` matches nothing).
    pub fn through(&self, through: Option<Month>) -> Self {
        let last = match through {
            Some(t) if t >= self.last => return self.clone(),
            Some(t) if t >= self.first => t,
            _ => self.first.previous(),
        };
        Self {
            first: self.first,
            last,
            label: self.label.clone(),
        }
    }

    /// Whether the period has no month ([`Period::through`] with nothing published).
    pub fn is_empty(&self) -> bool {
        self.last < self.first
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

/// A query parameter that is present and not empty.
fn given(raw: Option<&str>) -> Option<&str> {
    raw.filter(|s| !s.is_empty())
}

/// The label of months `first..=last` of `year` when they form a calendar period.
fn calendar_label(year: u16, first: u8, last: u8) -> Option<String> {
    match (first, last) {
        (1, 12) => Some(format!("{year:04}")),
        (f, l) if f == l => Some(format!("{year:04}-{f:02}")),
        (f, l) if l == f + 5 && f % 6 == 1 => Some(format!("{year:04}-H{}", l / 6)),
        (f, l) if l == f + 2 && f % 3 == 1 => Some(format!("{year:04}-Q{}", l / 3)),
        _ => None,
    }
}

/// All-ASCII-digit strings only (no sign, no spaces), as a number.
fn digits(raw: &str) -> Option<u32> {
    if raw.is_empty() || raw.len() > 4 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

/// A four-digit year in range.
fn parse_year(raw: &str) -> Option<u16> {
    if raw.len() != 4 {
        return None;
    }
    let year = u16::try_from(digits(raw)?).ok()?;
    (MIN_YEAR..=MAX_YEAR).contains(&year).then_some(year)
}

/// Why `raw` is not a year: out of range if it is four digits, malformed otherwise.
fn year_problem(raw: &str) -> PeriodProblem {
    if raw.len() == 4 && digits(raw).is_some() {
        PeriodProblem::YearOutOfRange
    } else {
        PeriodProblem::Malformed
    }
}

/// Why `raw` is not a `YYYY-MM` month: a well-formed month of a year out of range, or not a
/// month at all.
fn month_problem(raw: &str) -> PeriodProblem {
    if let Some((year, month)) = raw.split_once('-')
        && month.len() == 2
        && digits(month).is_some_and(|m| (1..=12).contains(&m))
        && parse_year(year).is_none()
        && year_problem(year) == PeriodProblem::YearOutOfRange
    {
        PeriodProblem::YearOutOfRange
    } else {
        PeriodProblem::MalformedMonth
    }
}

/// The query parameter an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Period,
    From,
    To,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Period => "period",
            Field::From => "from",
            Field::To => "to",
        }
    }
}

/// What is wrong with a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodProblem {
    /// No period given (neither `period` nor `from`/`to`), or only one end of a range.
    Missing,
    /// Both `period` and `from`/`to` given.
    Ambiguous,
    /// `period` is none of `YYYY`, `YYYY-Qn`, `YYYY-Hn`, `YYYY-MM`.
    Malformed,
    /// `from` or `to` is not `YYYY-MM`.
    MalformedMonth,
    /// A well-formed year outside [`MIN_YEAR`]–[`MAX_YEAR`].
    YearOutOfRange,
    /// `to` is before `from`.
    EndBeforeStart,
    /// More than [`MAX_SPAN_MONTHS`] months.
    TooLong,
}

impl PeriodProblem {
    /// Stable snake_case code (the `code` of the field error).
    pub fn code(self) -> &'static str {
        match self {
            PeriodProblem::Missing => "missing",
            PeriodProblem::Ambiguous => "ambiguous_period",
            PeriodProblem::Malformed => "invalid_period",
            PeriodProblem::MalformedMonth => "invalid_month",
            PeriodProblem::YearOutOfRange => "year_out_of_range",
            PeriodProblem::EndBeforeStart => "range_reversed",
            PeriodProblem::TooLong => "range_too_long",
        }
    }
}

/// A period that cannot be used, and the query field at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}: {}", field.as_str(), self.message())]
pub struct PeriodError {
    pub field: Field,
    pub problem: PeriodProblem,
}

impl PeriodError {
    fn new(field: Field, problem: PeriodProblem) -> Self {
        Self { field, problem }
    }

    /// A human-readable explanation (English, as all API messages).
    pub fn message(&self) -> String {
        match self.problem {
            PeriodProblem::Missing => match self.field {
                Field::Period => {
                    "give `period` (YYYY, YYYY-Qn, YYYY-Hn or YYYY-MM) or `from` and `to` (YYYY-MM)"
                        .into()
                }
                Field::From => "`to` needs `from` (YYYY-MM)".into(),
                Field::To => "`from` needs `to` (YYYY-MM)".into(),
            },
            PeriodProblem::Ambiguous => "give either `period` or `from` and `to`, not both".into(),
            PeriodProblem::Malformed => {
                "must be YYYY, YYYY-Qn (n = 1–4), YYYY-Hn (n = 1–2) or YYYY-MM".into()
            }
            PeriodProblem::MalformedMonth => "must be a month written YYYY-MM".into(),
            PeriodProblem::YearOutOfRange => {
                format!("the year must be between {MIN_YEAR} and {MAX_YEAR}")
            }
            PeriodProblem::EndBeforeStart => "must not be before `from`".into(),
            PeriodProblem::TooLong => {
                format!("a range may span at most {MAX_SPAN_MONTHS} months")
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn months(p: &Period) -> Vec<String> {
        p.months().map(|m| m.to_string()).collect()
    }

    fn span(p: &Period) -> (String, String, String) {
        let (a, b) = p.month_range();
        (p.label().to_owned(), a, b)
    }

    fn s(label: &str, a: &str, b: &str) -> (String, String, String) {
        (label.into(), a.into(), b.into())
    }

    #[test]
    fn a_year_is_its_twelve_months() {
        let p = Period::parse("2026").unwrap();
        assert_eq!(span(&p), s("2026", "2026-01", "2026-12"));
        assert_eq!(p.len_months(), 12);
        assert_eq!(months(&p).len(), 12);
        assert_eq!(months(&p)[11], "2026-12");
        assert_eq!(p.to_string(), "2026");
    }

    #[test]
    fn quarters_and_halves() {
        let cases = [
            ("2026-Q1", "2026-Q1", "2026-01", "2026-03"),
            ("2026-Q2", "2026-Q2", "2026-04", "2026-06"),
            ("2026-Q3", "2026-Q3", "2026-07", "2026-09"),
            ("2026-q4", "2026-Q4", "2026-10", "2026-12"),
            ("2026-H1", "2026-H1", "2026-01", "2026-06"),
            ("2025-h2", "2025-H2", "2025-07", "2025-12"),
        ];
        for (raw, label, first, last) in cases {
            let p = Period::parse(raw).unwrap();
            assert_eq!(span(&p), s(label, first, last), "{raw}");
        }
        assert_eq!(
            months(&Period::parse("2026-Q2").unwrap()),
            ["2026-04", "2026-05", "2026-06"]
        );
    }

    #[test]
    fn a_single_month() {
        for m in 1..=12u8 {
            let raw = format!("2026-{m:02}");
            let p = Period::parse(&raw).unwrap();
            assert_eq!(span(&p), s(&raw, &raw, &raw));
            assert_eq!(months(&p), std::slice::from_ref(&raw));
            assert_eq!(p.len_months(), 1);
        }
    }

    #[test]
    fn ranges_are_inclusive_and_may_cross_years() {
        let p = Period::range("2025-11", "2026-02").unwrap();
        assert_eq!(span(&p), s("2025-11/2026-02", "2025-11", "2026-02"));
        assert_eq!(months(&p), ["2025-11", "2025-12", "2026-01", "2026-02"]);
        assert_eq!(p.len_months(), 4);
        assert!(p.contains(Month::parse("2025-12").unwrap()));
        assert!(!p.contains(Month::parse("2025-10").unwrap()));
        assert!(!p.contains(Month::parse("2026-03").unwrap()));
        let p = Period::range("2026-02", "2026-05").unwrap();
        assert_eq!(p.label(), "2026-02/2026-05");
    }

    #[test]
    fn a_range_that_is_a_calendar_period_gets_its_label() {
        let cases = [
            ("2026-01", "2026-12", "2026"),
            ("2026-04", "2026-06", "2026-Q2"),
            ("2026-07", "2026-12", "2026-H2"),
            ("2026-03", "2026-03", "2026-03"),
            // Three months, but not a quarter; six, but not a half.
            ("2026-02", "2026-04", "2026-02/2026-04"),
            ("2026-04", "2026-09", "2026-04/2026-09"),
        ];
        for (from, to, label) in cases {
            assert_eq!(
                Period::range(from, to).unwrap().label(),
                label,
                "{from}..{to}"
            );
        }
        assert_eq!(
            Period::range("2026-04", "2026-06").unwrap(),
            Period::parse("2026-Q2").unwrap()
        );
    }

    #[test]
    fn the_span_limit_is_inclusive() {
        assert_eq!(
            Period::range("2016-01", "2025-12").unwrap().len_months(),
            120
        );
        let err = Period::range("2016-01", "2026-01").unwrap_err();
        assert_eq!(
            (err.field, err.problem),
            (Field::To, PeriodProblem::TooLong)
        );
        let first = Period::range("2000-01", "2000-01").unwrap();
        assert_eq!(first.label(), "2000-01");
        let last = Period::parse("2099").unwrap();
        assert_eq!(months(&last).last().unwrap(), "2099-12");
    }

    #[test]
    fn bad_periods_name_the_problem() {
        let cases = [
            ("", PeriodProblem::Malformed),
            ("26", PeriodProblem::Malformed),
            ("02026", PeriodProblem::Malformed),
            ("2026-", PeriodProblem::Malformed),
            ("2026-Q0", PeriodProblem::Malformed),
            ("2026-Q5", PeriodProblem::Malformed),
            ("2026-H0", PeriodProblem::Malformed),
            ("2026-H3", PeriodProblem::Malformed),
            ("2026-Q12", PeriodProblem::Malformed),
            ("2026-00", PeriodProblem::Malformed),
            ("2026-13", PeriodProblem::Malformed),
            ("2026-3", PeriodProblem::Malformed),
            ("2026-003", PeriodProblem::Malformed),
            ("2026-03-01", PeriodProblem::Malformed),
            ("2026-W12", PeriodProblem::Malformed),
            (" 2026", PeriodProblem::Malformed),
            ("2026 ", PeriodProblem::Malformed),
            ("+026", PeriodProblem::Malformed),
            ("2026-+3", PeriodProblem::Malformed),
            ("２０２６", PeriodProblem::Malformed),
            ("abcd", PeriodProblem::Malformed),
            ("1999", PeriodProblem::YearOutOfRange),
            ("2100-Q1", PeriodProblem::YearOutOfRange),
            ("0000-01", PeriodProblem::YearOutOfRange),
        ];
        for (raw, problem) in cases {
            let err = Period::parse(raw).unwrap_err();
            assert_eq!(
                (err.field, err.problem),
                (Field::Period, problem),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn bad_ranges_name_the_field() {
        let cases = [
            (
                "2026",
                "2026-03",
                Field::From,
                PeriodProblem::MalformedMonth,
            ),
            (
                "2026-Q1",
                "2026-03",
                Field::From,
                PeriodProblem::MalformedMonth,
            ),
            (
                "2026-1",
                "2026-03",
                Field::From,
                PeriodProblem::MalformedMonth,
            ),
            (
                "2026-13",
                "2026-03",
                Field::From,
                PeriodProblem::MalformedMonth,
            ),
            (
                "1999-12",
                "2026-03",
                Field::From,
                PeriodProblem::YearOutOfRange,
            ),
            (
                "2026-01",
                "2026-3",
                Field::To,
                PeriodProblem::MalformedMonth,
            ),
            (
                "2026-01",
                "2026-00",
                Field::To,
                PeriodProblem::MalformedMonth,
            ),
            (
                "2026-01",
                "2100-01",
                Field::To,
                PeriodProblem::YearOutOfRange,
            ),
            (
                "2026-05",
                "2026-04",
                Field::To,
                PeriodProblem::EndBeforeStart,
            ),
            (
                "2026-01",
                "2025-12",
                Field::To,
                PeriodProblem::EndBeforeStart,
            ),
            ("2000-01", "2099-12", Field::To, PeriodProblem::TooLong),
        ];
        for (from, to, field, problem) in cases {
            let err = Period::range(from, to).unwrap_err();
            assert_eq!((err.field, err.problem), (field, problem), "{from}..{to}");
        }
    }

    #[test]
    fn the_query_takes_exactly_one_form() {
        let q = |p, f, t| Period::from_query(p, f, t).map(|p| p.label().to_owned());
        assert_eq!(q(Some("2026-Q1"), None, None).unwrap(), "2026-Q1");
        assert_eq!(
            q(None, Some("2026-01"), Some("2026-02")).unwrap(),
            "2026-01/2026-02"
        );
        // Empty parameters (`from=&to=`) count as absent.
        assert_eq!(q(Some("2026"), Some(""), Some("")).unwrap(), "2026");
        let bad = |p, f, t| {
            let e = Period::from_query(p, f, t).unwrap_err();
            (e.field.as_str(), e.problem.code())
        };
        assert_eq!(bad(None, None, None), ("period", "missing"));
        assert_eq!(bad(Some(""), None, None), ("period", "missing"));
        assert_eq!(bad(None, Some("2026-01"), None), ("to", "missing"));
        assert_eq!(bad(None, None, Some("2026-01")), ("from", "missing"));
        assert_eq!(
            bad(Some("2026"), Some("2026-01"), Some("2026-02")),
            ("period", "ambiguous_period")
        );
        assert_eq!(
            bad(Some("2026"), None, Some("2026-02")),
            ("period", "ambiguous_period")
        );
        assert_eq!(
            bad(Some("2026-Q9"), None, None),
            ("period", "invalid_period")
        );
    }

    #[test]
    fn errors_explain_themselves() {
        let e = Period::parse("2026-Q5").unwrap_err();
        assert_eq!(e.field.as_str(), "period");
        assert!(e.message().contains("YYYY-Qn"), "{}", e.message());
        assert!(e.to_string().starts_with("period: "));
        let e = Period::range("2000-01", "2099-12").unwrap_err();
        assert!(e.message().contains("120"), "{}", e.message());
        for problem in [
            PeriodProblem::Missing,
            PeriodProblem::Ambiguous,
            PeriodProblem::Malformed,
            PeriodProblem::MalformedMonth,
            PeriodProblem::YearOutOfRange,
            PeriodProblem::EndBeforeStart,
            PeriodProblem::TooLong,
        ] {
            for field in [Field::Period, Field::From, Field::To] {
                assert!(!PeriodError::new(field, problem).message().is_empty());
            }
        }
    }

    #[test]
    fn months_parse_strictly_and_order_chronologically() {
        let m = Month::parse("2026-03").unwrap();
        assert_eq!((m.year(), m.month()), (2026, 3));
        assert_eq!(m.to_string(), "2026-03");
        assert!(Month::parse("2025-12").unwrap() < m);
        assert_eq!(
            Month::parse("2026-12").unwrap().next().to_string(),
            "2027-01"
        );
        for bad in ["2026-3", "2026-13", "2026/03", "2026-03-01", "1999-01", ""] {
            assert!(Month::parse(bad).is_none(), "{bad}");
        }
        assert!(Month::new(2026, 0).is_none());
        assert!(Month::new(1999, 1).is_none());
    }
}
