//! The integrity report of one closed month: the asked agency and every agency below it, each
//! with its indicators against the rest of its province (`domain::integrity::report`).
//!
//! Who reads it: administrators every agency, an agency key (or officer) its own subtree — the
//! agencies above see all below, an agency its own — as for results
//! (`app::results::readable_agency`); the pipeline, which publishes, does not. Only closed
//! months are readable (docs/privacy.md, "Publication by closed month"): for an open month the
//! report says `published: false` and holds no agency.

use std::collections::{HashMap, HashSet};

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::app::results::readable_agency;
use crate::app::results::request::invalid;
use crate::domain::agencies::Agency;
use crate::domain::auth::{Principal, Role};
use crate::domain::integrity::Counts;
use crate::domain::integrity::report::{Indicator, Kind, ModeMix, Rules, indicator, mode_mix};
use crate::domain::periods::Month;
use crate::error::ApiError;
use crate::persistence::{agencies, agency_history, integrity, months};

/// The report of a month.
#[derive(Debug, Clone)]
pub struct IntegrityReport {
    /// `YYYY-MM`.
    pub period: String,
    /// Whether the month is closed (else nothing is shown).
    pub published: bool,
    /// The asked agency first, then the agencies below it by code.
    pub agencies: Vec<AgencyIntegrity>,
}

/// One agency's month.
#[derive(Debug, Clone)]
pub struct AgencyIntegrity {
    pub agency: Agency,
    /// Questionnaires stored for the month.
    pub answers: u64,
    pub indicators: Vec<Indicator>,
    /// `None` when suppressed.
    pub modes: Option<ModeMix>,
    /// Whether any indicator is flagged.
    pub flagged: bool,
}

/// The report of `agency` (a code) and its subtree for `period` (`YYYY-MM`), as `caller` may
/// read it.
pub async fn report(
    db: &DatabaseConnection,
    caller: &Principal,
    (agency, period): (Option<&str>, Option<&str>),
    rules: Rules,
) -> Result<IntegrityReport, ApiError> {
    if caller.role == Role::Pipeline {
        return Err(ApiError::Forbidden);
    }
    let code = agency
        .filter(|a| !a.is_empty())
        .ok_or_else(|| invalid("agency", "missing", "is required"))?;
    let month = period
        .and_then(Month::parse)
        .ok_or_else(|| invalid("period", "invalid_month", "must be a month written YYYY-MM"))?;
    let agency = readable_agency(db, caller, "agency", code).await?;
    let published = months::published_through(db)
        .await?
        .is_some_and(|through| month <= through);
    let mut out = IntegrityReport {
        period: month.to_string(),
        published,
        agencies: Vec::new(),
    };
    if !published {
        return Ok(out);
    }
    let counts = integrity::month(db, &out.period).await?;
    // The hierarchy of the month (issue 21): its province, the agencies below the asked one
    // then, and the names they had.
    let hierarchy = agency_history::load(db).await?;
    let below = |root| -> HashSet<Uuid> {
        (hierarchy.members_during(root, (month, month)).into_iter())
            .map(|m| m.agency)
            .collect()
    };
    let province = below(hierarchy.top_in(agency.id, month));
    let total = (province.iter())
        .filter_map(|a| counts.get(a))
        .fold(Counts::default(), |sum, c| sum.plus(c));
    let asked = below(agency.id);
    let mut shown: Vec<Agency> = (agencies::list_all(db, None).await?.into_iter())
        .filter(|a| asked.contains(&a.id))
        .map(|mut a| {
            if let Some(p) = hierarchy.placement_for(a.id, (month, month)) {
                (a.name_vi, a.name_en) = (p.name_vi.clone(), p.name_en.clone());
            }
            a
        })
        .collect();
    // The asked agency first.
    shown.sort_by_key(|a| (a.id != agency.id, a.code.clone()));
    out.agencies = shown
        .into_iter()
        .map(|a| of_agency(a, &counts, &total, rules))
        .collect();
    Ok(out)
}

/// One agency's indicators, against the province's `total` less its own counts.
fn of_agency(
    agency: Agency,
    counts: &HashMap<Uuid, Counts>,
    total: &Counts,
    rules: Rules,
) -> AgencyIntegrity {
    let own = counts.get(&agency.id).copied().unwrap_or_default();
    let rest = total.less(&own);
    let indicators: Vec<Indicator> = Kind::ALL
        .into_iter()
        .map(|kind| indicator(kind, &own, &rest, rules))
        .collect();
    AgencyIntegrity {
        agency,
        answers: u64::try_from(own.answers).unwrap_or(0),
        flagged: indicators.iter().any(|i| i.flagged),
        modes: mode_mix(&own, rules),
        indicators,
    }
}
