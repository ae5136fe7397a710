//! The generator's questionnaires pass the forms' rules, months are seeded, codes unique, and
//! satisfaction follows each agency's trend.

use std::collections::BTreeSet;

use super::*;
use crate::demo::plan::{Scale, Spec, Trend};
use crate::domain::forms::FormCatalog;
use crate::domain::submissions::{ValidSubmission, ValidityRules};

fn catalog() -> FormCatalog {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("survey-forms");
    crate::persistence::form_files::load_dir(&dir).unwrap()
}

fn plan() -> Plan {
    Plan::of(Spec {
        seed: 11,
        scale: Scale::Small,
        last_month: (2026, 10),
    })
}

#[test]
fn every_questionnaire_passes_the_forms_rules() {
    let catalog = catalog();
    let plan = plan();
    let generator = Generator::new(&plan, |key| catalog.latest(key)).unwrap();
    let (mut invalid, mut total) = (0, 0);
    let mut modes = BTreeSet::new();
    for m in 0..plan.months.len() {
        for d in generator.month(m) {
            let Some(r) = d.response else { continue };
            let form = catalog.latest(plan.agencies[d.agency].form).unwrap();
            let valid = ValidSubmission::parse(form, &r.answers, r.mode, ValidityRules::default())
                .unwrap_or_else(|e| panic!("{:?} {e:?} {:?}", r.mode, r.answers));
            total += 1;
            invalid += usize::from(valid.invalid.is_some());
            assert!(r.mode == Mode::Paper || valid.invalid.is_none());
            modes.insert(r.mode.as_str());
        }
    }
    assert!(total > 300, "{total}");
    assert!(invalid > 0 && invalid * 20 < total, "{invalid} of {total}");
    assert_eq!(modes.len(), 4, "{modes:?}");
}

#[test]
fn months_are_seeded_and_codes_unique() {
    let catalog = catalog();
    let plan = plan();
    let a = Generator::new(&plan, |key| catalog.latest(key)).unwrap();
    let b = Generator::new(&plan, |key| catalog.latest(key)).unwrap();
    assert_eq!(a.month(3), b.month(3));
    assert_ne!(a.month(3), a.month(4));
    let month = a.month(5);
    let mut codes: Vec<(usize, &str)> = month.iter().map(|d| (d.agency, d.code.as_str())).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), month.len());
    let (year, mon) = plan.months[5];
    for d in &month {
        let local = d.completed_at + TimeDelta::seconds(i64::from(VIETNAM_OFFSET_SECS));
        assert_eq!((local.year(), local.month()), (year, mon));
    }
}

#[test]
fn satisfaction_follows_the_agencys_trend() {
    let catalog = catalog();
    let plan = Plan::of(Spec {
        seed: 5,
        scale: Scale::Province,
        last_month: (2026, 10),
    });
    let generator = Generator::new(&plan, |key| catalog.latest(key)).unwrap();
    // The big departments on the 2024 form, first and last quarter: their share of satisfied
    // answers moves the way their trend says.
    let share = |a: usize, months: std::ops::Range<usize>| {
        let (mut sat, mut all) = (0.0, 0.0);
        for m in months {
            for d in generator.agency_month(a, m) {
                for (id, v) in d.response.iter().flat_map(|r| r.answers.iter()) {
                    if id.starts_with("q9_") {
                        all += 1.0;
                        sat += f64::from(u8::from(v.as_i64().unwrap() >= 4));
                    }
                }
            }
        }
        sat / all
    };
    let mut seen = BTreeSet::new();
    for (a, agency) in plan.agencies.iter().enumerate() {
        if agency.form != crate::demo::plan::FORM_2024 || agency.monthly < 200.0 {
            continue;
        }
        let (early, late) = (share(a, 0..3), share(a, 21..24));
        assert!((0.3..0.99).contains(&early), "{early}");
        match agency.trend {
            Trend::Improving => assert!(late > early + 0.02, "{} {early} {late}", agency.code),
            Trend::Worsening => assert!(late < early - 0.02, "{} {early} {late}", agency.code),
            Trend::Steady => {}
        }
        seen.insert(format!("{:?}", agency.trend));
    }
    assert!(seen.len() >= 2, "{seen:?}");
}
