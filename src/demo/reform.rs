//! The demo follows the reform of local government (issue 21): from July 2025 the districts of
//! tỉnh Minh Sơn end and their communes merge, three or four into one new commune directly
//! below the province, so the hierarchy of 2026 is two-tier. Applied to a plan whose months go
//! through June and July 2025 (the province scale by default); the agencies of the plan before
//! the reform keep their indices and seeds, so the months before it are what they always were.

use rand::RngExt;

use super::names::{self, SUFFIX};
use super::plan::{AgencyPlan, Plan, Scale, Trend, commune_name};
use super::random::stream;
use crate::domain::agencies::AgencyKind;

/// The month the reform takes effect in.
pub const REFORM: (i32, u32) = (2025, 7);

/// Whether the plan's months go through the reform (a month before it and the month of it).
pub fn spans_the_reform(plan: &Plan) -> bool {
    plan.months.contains(&(2025, 6)) && plan.months.contains(&REFORM)
}

/// The demo's plan: `plan` through the reform when its months go through it (not the custom
/// benchmark layout, which is two-tier from the start).
pub fn reformed(mut plan: Plan) -> Plan {
    if !matches!(plan.spec.scale, Scale::Custom { .. }) && spans_the_reform(&plan) {
        apply(&mut plan);
    }
    plan
}

/// The communes of each district, grouped three (the last group taking the rest) for a merge.
fn groups(communes: &[usize]) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = communes.chunks(3).map(<[usize]>::to_vec).collect();
    if out.len() > 1 && out.last().is_some_and(|g| g.len() < 3) {
        let rest = out.pop().unwrap_or_default();
        if let Some(last) = out.last_mut() {
            last.extend(rest);
        }
    }
    out
}

/// Closes every district from [`REFORM`] and merges its communes into new ones below the
/// province; the officer's agency becomes the new commune its district's first communes form.
pub fn apply(plan: &mut Plan) {
    let mut rng = stream(plan.spec.seed, &[0x7265_666f_726d]);
    let districts: Vec<usize> = (0..plan.agencies.len())
        .filter(|&i| plan.agencies[i].kind == AgencyKind::District)
        .collect();
    for (d, &district) in districts.iter().enumerate() {
        // `H03.MS`'s communes merge into `XM0301.MS`, `XM0302.MS`, …
        plan.agencies[district].closed_from = Some(REFORM);
        let communes: Vec<usize> = (0..plan.agencies.len())
            .filter(|&i| plan.agencies[i].parent == Some(district))
            .collect();
        for (k, group) in groups(&communes).into_iter().enumerate() {
            let name = commune_name(&mut rng, &plan.agencies);
            let number = plan.agencies[district]
                .code
                .get(1..3)
                .unwrap_or("00")
                .to_owned();
            let merged = successor(&plan.agencies, &group, &name, (&number, d, k));
            let index = plan.agencies.len();
            for &c in &group {
                plan.agencies[c].closed_from = Some(REFORM);
                plan.agencies[c].merged_into = Some(index);
            }
            if district == plan.officer_agency && k == 0 {
                plan.officer_agency = index;
            }
            let mut merged = merged;
            merged.base += rng.random_range(-0.1..0.1);
            plan.agencies.push(merged);
        }
    }
}

/// The commune `group` merges into: named `name`, a ward if any of them was one, with their
/// volumes added up and their satisfaction and response rates averaged.
fn successor(
    agencies: &[AgencyPlan],
    group: &[usize],
    name: &str,
    (number, d, k): (&str, usize, usize),
) -> AgencyPlan {
    let parts: Vec<&AgencyPlan> = group.iter().map(|&i| &agencies[i]).collect();
    let n = parts.len().max(1) as f64;
    let mean = |f: fn(&AgencyPlan) -> f64| parts.iter().map(|p| f(p)).sum::<f64>() / n;
    let ward = parts.iter().any(|p| p.name_vi.contains("phường"));
    let (unit_vi, unit_en) = if ward {
        ("phường", "Ward")
    } else {
        ("xã", "Commune")
    };
    let slope = mean(|p| p.slope);
    AgencyPlan {
        code: format!("XM{number}{:02}.{SUFFIX}", k + 1),
        name_vi: format!("Ủy ban nhân dân {unit_vi} {name}"),
        name_en: format!("People's Committee of {name} {unit_en}"),
        kind: AgencyKind::Commune,
        parent: Some(0),
        form: parts.first().map_or(super::plan::FORM_2024, |p| p.form),
        monthly: parts.iter().map(|p| p.monthly).sum(),
        rate: mean(|p| p.rate),
        online: mean(|p| p.online),
        postal: mean(|p| p.postal),
        fields: names::COMMUNE_FIELDS.to_vec(),
        dossier_prefix: format!("{:03}.{:02}.50.H99", k + 1, 31 + d),
        base: mean(|p| p.base),
        slope,
        trend: if slope > 0.5 {
            Trend::Improving
        } else if slope < -0.5 {
            Trend::Worsening
        } else {
            Trend::Steady
        },
        opened_from: Some(REFORM),
        closed_from: None,
        merged_into: None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::demo::plan::Spec;

    fn plan(seed: u64, scale: Scale, last_month: (i32, u32)) -> Plan {
        reformed(Plan::of(Spec {
            seed,
            scale,
            last_month,
        }))
    }

    fn province(last_month: (i32, u32)) -> Plan {
        plan(2026, Scale::Province, last_month)
    }

    #[test]
    fn districts_end_in_june_2025_and_their_communes_merge_into_fewer() {
        let plan = province((2026, 11));
        let kind = |k| plan.agencies.iter().filter(move |a| a.kind == k);
        assert!(kind(AgencyKind::District).all(|a| a.closed_from == Some(REFORM)));
        let old: Vec<&AgencyPlan> = kind(AgencyKind::Commune)
            .filter(|a| a.opened_from.is_none())
            .collect();
        let new: Vec<&AgencyPlan> = kind(AgencyKind::Commune)
            .filter(|a| a.opened_from.is_some())
            .collect();
        assert_eq!((old.len(), new.len()), (100, 30));
        assert!(
            old.iter()
                .all(|a| a.closed_from == Some(REFORM) && a.merged_into.is_some())
        );
        assert!(
            new.iter()
                .all(|a| a.parent == Some(0) && a.in_force((2026, 1)))
        );
        // In 2026 every agency in force is the province or directly below it: two tiers.
        let in_2026 = plan.agencies.iter().filter(|a| a.in_force((2026, 1)));
        assert!(in_2026.skip(1).all(|a| a.parent == Some(0)));
        let officer = &plan.agencies[plan.officer_agency];
        assert!(officer.opened_from.is_some(), "{}", officer.code);
        // The same seed, the same reform; the agencies before it are what they always were.
        let again = province((2026, 11));
        let codes = |p: &Plan| {
            p.agencies
                .iter()
                .map(|a| a.name_vi.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(codes(&plan), codes(&again));
        let before = province((2025, 6));
        assert_eq!(before.agencies.len(), 131);
        assert_eq!(codes(&before), codes(&plan)[..131]);
    }

    #[test]
    fn a_span_after_the_reform_keeps_the_old_hierarchy() {
        let small = plan(7, Scale::Small, (2026, 6));
        assert!(
            small
                .agencies
                .iter()
                .all(|a| a.opened_from.is_none() && a.closed_from.is_none())
        );
        let through = plan(7, Scale::Small, (2025, 12));
        assert_eq!(through.agencies.len(), 12 + 2);
    }
}
