//! Sample planning (methodology §5): for one agency and period, the target sample from the
//! registered dossiers (Yamane as the methodology states it, and Cochran with the finite
//! population correction at the configured margin and level), the questionnaires received, the
//! margin achieved and the shortfall; and how many unanswered dossiers of an open month to
//! follow up by phone or paper at the observed response rate.
//!
//! Every dossier is invited, so the survey is a census of invitations; the sample is what comes
//! back. Counts only: a closed month's valid questionnaires (published) and an open month's
//! received ones (live counts, as `open_months` of a result shows them) — nothing computed from
//! answers.

use serde::Serialize;
use utoipa::ToSchema;

use crate::stats::{SampleSizePlan, achieved_margin, cochran, yamane};

/// `[sampling]`: the precision a sample is planned for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SamplingTarget {
    /// Half-width as a fraction (0.05 = ± 5 points).
    pub margin: f64,
    /// Confidence level of Cochran's size and of the achieved margin (Yamane has none).
    pub level: f64,
}

/// What a period's counts are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SampleCounts {
    /// Dossiers registered in the period's months (closed and open): N.
    pub registered: u64,
    /// Valid questionnaires of its closed months plus questionnaires received for its open
    /// months: n.
    pub received: u64,
}

/// The target sizes of a population.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Targets {
    /// `ceil(N / (1 + N e²))`, the official rule (methodology §5.1).
    pub yamane: u64,
    /// `ceil(n0 N / (N − 1 + n0))`, `n0 = z² · 0.25 / e²` (statistics §5.3).
    pub cochran: u64,
}

/// `GET /api/v1/sampling` for one agency, form and period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SamplingView {
    pub agency: String,
    pub form_key: String,
    /// The form version planned for: N and n count its dossiers and questionnaires only.
    pub form_version: u32,
    pub period: String,
    /// The margin planned for, in percentage points, and the level.
    pub margin: f64,
    pub level: f64,
    /// Dossiers registered in the period (every one invited): N.
    pub registered: u64,
    /// Questionnaires: valid ones of closed months, received ones of open months: n.
    pub received: u64,
    /// `received / registered` in percent; null when nothing was registered.
    pub response_rate: Option<f64>,
    pub target: Targets,
    /// Questionnaires still missing to reach each target (0 when reached).
    pub shortfall: Targets,
    /// Whether the official (Yamane) target is reached: "đủ mẫu".
    pub enough: bool,
    /// The margin achieved at p = 0.5 with the fpc, in points; null without questionnaires.
    pub achieved_margin: Option<f64>,
    /// The last closed month (`YYYY-MM`); later months of the period count live.
    pub published_through: Option<String>,
}

/// The targets for a population of `registered` dossiers.
pub fn targets(registered: u64, target: SamplingTarget) -> Targets {
    let cochran = (registered > 0)
        .then(|| {
            cochran(&SampleSizePlan {
                half_width: target.margin,
                confidence: target.level,
                p_planning: 0.5,
                population: Some(registered),
                deff: 1.0,
                response_rate: 1.0,
            })
            .ok()
        })
        .flatten()
        .map_or(0, |s| s.n_required.min(registered));
    Targets {
        yamane: yamane(registered, target.margin).unwrap_or(0),
        cochran,
    }
}

/// The plan of one agency, form and period from its counts.
pub fn plan(
    (agency, (form_key, form_version), period): (&str, (&str, u32), &str),
    counts: SampleCounts,
    target: SamplingTarget,
    published_through: Option<String>,
) -> SamplingView {
    let (big_n, n) = (counts.registered, counts.received);
    let goal = targets(big_n, target);
    let short = |t: u64| t.saturating_sub(n);
    SamplingView {
        agency: agency.to_owned(),
        form_key: form_key.to_owned(),
        form_version,
        period: period.to_owned(),
        margin: target.margin * 100.0,
        level: target.level,
        registered: big_n,
        received: n,
        response_rate: (big_n > 0).then(|| 100.0 * n as f64 / big_n as f64),
        target: goal,
        shortfall: Targets {
            yamane: short(goal.yamane),
            cochran: short(goal.cochran),
        },
        enough: big_n > 0 && n >= goal.yamane,
        achieved_margin: achieved_margin(0.5, n, Some(big_n), target.level).map(|m| m * 100.0),
        published_through,
    }
}

/// How many unanswered dossiers to follow up so that, at the observed response rate
/// `received / invited`, `shortfall` more questionnaires come back; at most `available`. With
/// no response yet the rate is unknown: every available dossier is listed.
pub fn follow_up_size(shortfall: u64, (received, invited): (u64, u64), available: u64) -> u64 {
    if shortfall == 0 {
        return 0;
    }
    if received == 0 || invited == 0 {
        return available;
    }
    // ceil(shortfall · invited / received), in integers.
    let needed = (u128::from(shortfall) * u128::from(invited)).div_ceil(u128::from(received));
    u64::try_from(needed).unwrap_or(u64::MAX).min(available)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const FIVE: SamplingTarget = SamplingTarget {
        margin: 0.05,
        level: 0.95,
    };

    #[test]
    fn targets_follow_yamane_and_cochran_with_the_fpc() {
        // Methodology §5.1: N = 10,000 → 385; §5.4: N = 450 → 212. Statistics §5.3: ±5 %,
        // p = 0.5, N = 500 → 218.
        assert_eq!(targets(10_000, FIVE).yamane, 385);
        assert_eq!(targets(450, FIVE).yamane, 212);
        assert_eq!(targets(500, FIVE).cochran, 218);
        assert_eq!(
            targets(0, FIVE),
            Targets {
                yamane: 0,
                cochran: 0
            }
        );
        // A tiny population: never more than it.
        let t = targets(3, FIVE);
        assert!(t.yamane <= 3 && t.cochran <= 3, "{t:?}");
    }

    #[test]
    fn the_plan_says_what_is_missing() {
        let counts = SampleCounts {
            registered: 450,
            received: 200,
        };
        let p = plan(("S", ("sipas-2017", 1), "2025"), counts, FIVE, None);
        assert_eq!((p.target.yamane, p.shortfall.yamane), (212, 12));
        assert!(!p.enough);
        let m = p.achieved_margin.unwrap();
        assert!(m > 4.9 && m < 5.3, "{m}");
        let full = plan(
            ("S", ("sipas-2017", 1), "2025"),
            SampleCounts {
                registered: 450,
                received: 212,
            },
            FIVE,
            None,
        );
        assert!(full.enough);
        assert_eq!(full.shortfall.yamane, 0);
        assert!((full.achieved_margin.unwrap() - 4.90).abs() < 0.005);
    }

    #[test]
    fn the_follow_up_list_covers_the_shortfall_at_the_observed_rate() {
        // 12 missing at 20 of 100 answering: 60 to ask.
        assert_eq!(follow_up_size(12, (20, 100), 500), 60);
        assert_eq!(follow_up_size(12, (20, 100), 40), 40);
        assert_eq!(follow_up_size(0, (20, 100), 40), 0);
        assert_eq!(follow_up_size(7, (3, 10), 500), 24);
        assert_eq!(follow_up_size(5, (0, 100), 80), 80);
    }
}
