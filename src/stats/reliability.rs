//! Suppression and reliability flags for small cells (`docs/statistics.md` §5.4).
//!
//! `suppressed` protects anonymity (publish neither the estimate nor the counts);
//! `low_reliability` marks imprecise estimates (publish with a flag, leave out of rankings).

use serde::{Deserialize, Serialize};

use super::proportion::Interval;

/// The publication status of an estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reliability {
    /// Publish normally.
    Ok,
    /// Publish with a flag; exclude from rankings.
    LowReliability,
    /// Publish neither the estimate nor its counts.
    Suppressed,
}

/// Configurable thresholds of the rule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityThresholds {
    /// `n_basis` below this → suppressed (default 10).
    pub suppress_below: u64,
    /// `n_basis` below this → low reliability (default 30).
    pub low_reliability_below: u64,
    /// Interval width at or above this → low reliability (default 0.30, NCHS 2017).
    pub max_ci_width: f64,
}

impl Default for ReliabilityThresholds {
    fn default() -> Self {
        ReliabilityThresholds {
            suppress_below: 10,
            low_reliability_below: 30,
            max_ci_width: 0.30,
        }
    }
}

impl ReliabilityThresholds {
    /// The status of an estimate with basis `n_basis` (`n_answered` for an item,
    /// `n_respondents_with_data` for a component, `n_respondents` for the overall index) and its
    /// reported interval.
    ///
    /// Without an interval (e.g. an undefined variance) an estimate that is not suppressed is
    /// `LowReliability`, the conservative choice.
    pub fn classify(&self, n_basis: u64, ci: Option<Interval>) -> Reliability {
        if n_basis < self.suppress_below {
            return Reliability::Suppressed;
        }
        let narrow = ci.is_some_and(|ci| ci.width() < self.max_ci_width);
        if n_basis < self.low_reliability_below || !narrow {
            Reliability::LowReliability
        } else {
            Reliability::Ok
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn ci(width: f64) -> Option<Interval> {
        Some(Interval {
            lower: 0.5,
            upper: 0.5 + width,
        })
    }

    #[test]
    fn default_rule() {
        let t = ReliabilityThresholds::default();
        assert_eq!(t.classify(9, ci(0.01)), Reliability::Suppressed);
        assert_eq!(t.classify(0, None), Reliability::Suppressed);
        assert_eq!(t.classify(10, ci(0.01)), Reliability::LowReliability);
        assert_eq!(t.classify(29, ci(0.01)), Reliability::LowReliability);
        assert_eq!(t.classify(30, ci(0.01)), Reliability::Ok);
        assert_eq!(t.classify(500, ci(0.30)), Reliability::LowReliability);
        assert_eq!(t.classify(500, ci(0.299)), Reliability::Ok);
        assert_eq!(t.classify(500, None), Reliability::LowReliability);
    }

    #[test]
    fn thresholds_are_configurable() {
        let t = ReliabilityThresholds {
            suppress_below: 5,
            low_reliability_below: 50,
            max_ci_width: 0.2,
        };
        assert_eq!(t.classify(5, ci(0.1)), Reliability::LowReliability);
        assert_eq!(t.classify(50, ci(0.25)), Reliability::LowReliability);
        assert_eq!(t.classify(50, ci(0.1)), Reliability::Ok);
    }

    #[test]
    fn serialises_in_snake_case() {
        let s = serde_json::to_string(&Reliability::LowReliability).unwrap();
        assert_eq!(s, "\"low_reliability\"");
    }
}
