//! A month's integrity counts as indicators: each a share with its Wilson interval, and a flag
//! where the agency lies far above the rest of its province.
//!
//! **The flag rule.** An indicator of agency A is flagged when, for the same month,
//! 1. A's basis and the basis of the rest of A's province (every other agency under the same
//!    top-level agency, pooled) both hold at least `results.suppress_below` answers;
//! 2. A's interval lies entirely above the rest's: the lower bound of A's Wilson interval
//!    exceeds the upper bound of the rest's (95 %); and
//! 3. A's share exceeds the rest's by at least `integrity.flag_margin` (default 0.20, i.e. 20
//!    percentage points).
//!
//! Why this rule: an agency is compared with what the same province's other offices produce
//! the same month (same season, same forms, same population), which removes what is common to
//! all of them. The reference is the pooled rest, leaving A out, so a large agency that answers
//! its own surveys cannot pull the reference towards itself, and it works with two agencies as
//! with a hundred — a rule on the spread of agencies' shares (z-scores, median and MAD) needs
//! many agencies with enough answers each, which a province rarely has in one month, and is
//! dominated by sampling noise at small n. Non-overlapping intervals take each side's sample
//! size into account, so a small office is not flagged for three unlucky answers; the margin
//! keeps a large but harmless difference (a few points between two big offices, significant
//! only because n is large) from being flagged. Only the high side is flagged: fewer quick
//! answers than elsewhere is no sign of anything.

use serde::Serialize;

use super::Counts;
use crate::stats::proportion::{Interval, wilson};

/// The confidence of every interval here.
pub const CONFIDENCE: f64 = 0.95;

/// The thresholds of the report.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Below this basis, a share is not published (`results.suppress_below`) nor flagged.
    pub suppress_below: u64,
    /// The least difference of shares that is flagged.
    pub flag_margin: f64,
}

/// The indicators, in the order they are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Quick answers among web answers through links.
    QuickAnswers,
    /// Burst answers among web answers through links.
    BurstAnswers,
    /// Straight-lined questionnaires among those with enough index items answered.
    StraightLined,
    /// Top-box-only questionnaires among the same.
    TopBoxOnly,
    /// Paper entries among all questionnaires.
    Paper,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::QuickAnswers,
        Kind::BurstAnswers,
        Kind::StraightLined,
        Kind::TopBoxOnly,
        Kind::Paper,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::QuickAnswers => "quick_answers",
            Kind::BurstAnswers => "burst_answers",
            Kind::StraightLined => "straight_lined",
            Kind::TopBoxOnly => "top_box_only",
            Kind::Paper => "paper",
        }
    }

    /// `(count, basis)` of this indicator in `c`.
    pub fn of(self, c: &Counts) -> (u64, u64) {
        let (x, n) = match self {
            Kind::QuickAnswers => (c.quick, c.web_link),
            Kind::BurstAnswers => (c.burst, c.web_link),
            Kind::StraightLined => (c.straight_lined, c.patterned),
            Kind::TopBoxOnly => (c.top_box_only, c.patterned),
            Kind::Paper => (c.paper, c.answers),
        };
        (u64::try_from(x).unwrap_or(0), u64::try_from(n).unwrap_or(0))
    }
}

/// One indicator of one agency and month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicator {
    pub kind: Kind,
    /// `None` when suppressed (basis below `suppress_below`).
    pub count: Option<u64>,
    pub basis: Option<u64>,
    pub share: Option<f64>,
    pub ci: Option<Interval>,
    pub suppressed: bool,
    pub flagged: bool,
}

/// The indicator `kind` of an agency with counts `own`, against `rest`, the pooled counts of
/// the other agencies of its province in the same month.
pub fn indicator(kind: Kind, own: &Counts, rest: &Counts, rules: Rules) -> Indicator {
    let (x, n) = kind.of(own);
    if n == 0 || n < rules.suppress_below {
        return Indicator {
            kind,
            count: None,
            basis: None,
            share: None,
            ci: None,
            suppressed: true,
            flagged: false,
        };
    }
    let ci = wilson(x, n, CONFIDENCE);
    Indicator {
        kind,
        count: Some(x),
        basis: Some(n),
        share: Some(share(x, n)),
        ci,
        suppressed: false,
        flagged: far_above((x, n), kind.of(rest), rules),
    }
}

/// The flag rule (module documentation) for `own` against `rest`, each `(count, basis)`.
pub fn far_above(own: (u64, u64), rest: (u64, u64), rules: Rules) -> bool {
    let enough = |n: u64| n > 0 && n >= rules.suppress_below;
    if !enough(own.1) || !enough(rest.1) {
        return false;
    }
    let (Some(a), Some(b)) = (
        wilson(own.0, own.1, CONFIDENCE),
        wilson(rest.0, rest.1, CONFIDENCE),
    ) else {
        return false;
    };
    a.lower > b.upper && share(own.0, own.1) - share(rest.0, rest.1) >= rules.flag_margin
}

#[allow(clippy::cast_precision_loss)]
fn share(x: u64, n: u64) -> f64 {
    x as f64 / n as f64
}

/// How many answers each mode brought, unless suppressed (fewer than `suppress_below`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModeMix {
    pub web: u64,
    pub kiosk: u64,
    pub phone: u64,
    pub paper: u64,
}

/// The mix of modes of `c`, or `None` below `suppress_below` answers.
pub fn mode_mix(c: &Counts, rules: Rules) -> Option<ModeMix> {
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    (c.answers > 0 && n(c.answers) >= rules.suppress_below).then(|| ModeMix {
        web: n(c.web),
        kiosk: n(c.kiosk),
        phone: n(c.phone),
        paper: n(c.paper),
    })
}
