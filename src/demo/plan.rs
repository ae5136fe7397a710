//! The demo province's plan: which agencies exist, which form each surveys with, how many
//! dossiers each completes a month, how many of them answer, and how satisfied their citizens
//! are and become. Pure and seeded: the same [`Spec`] always gives the same plan.

use rand::RngExt;
use rand::rngs::StdRng;

use super::names::{self, DEPARTMENTS, DISTRICTS};
use super::random::{normal, stream};
use crate::domain::agencies::AgencyKind;

/// How big a province to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// 3 departments, 2 districts with 3 communes each, 12 months, about 2,000 dossiers: for
    /// tests (seconds in a debug build).
    Small,
    /// 20 departments, 10 districts with 10 communes each, 24 months, about 300,000 dossiers.
    Province,
    /// For benchmarks: the province with `agencies` agencies directly below it (the first 20
    /// are departments, the rest communes, as in the two-tier local government), over `months`
    /// months, with about `responses` responses in all (a response rate near 80 %).
    Custom {
        agencies: usize,
        responses: u64,
        months: u32,
    },
}

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    pub seed: u64,
    pub scale: Scale,
    /// The last month with dossiers, `(year, month)`; the data ends there.
    pub last_month: (i32, u32),
}

/// How an agency's satisfaction moves over the span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    Improving,
    Worsening,
    Steady,
}

/// One agency of the plan.
#[derive(Debug, Clone)]
pub struct AgencyPlan {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub kind: AgencyKind,
    /// Index of the parent in [`Plan::agencies`].
    pub parent: Option<usize>,
    /// The form its dossiers are surveyed with (its default form).
    pub form: &'static str,
    /// Mean completed dossiers a month.
    pub monthly: f64,
    /// Probability that the holder of an in-person dossier answers.
    pub rate: f64,
    /// Share of online and of postal dossiers in the first month (online grows over time).
    pub online: f64,
    pub postal: f64,
    /// Procedure fields (lĩnh vực) its dossiers belong to.
    pub fields: Vec<&'static str>,
    /// The start of the dossier codes of the one-stop system, e.g. `000.00.12.H99`.
    pub dossier_prefix: String,
    /// Satisfaction on the logit scale in the middle of the span, and its change over the span.
    pub base: f64,
    pub slope: f64,
    pub trend: Trend,
    /// The first month it is in force, for a commune formed by the reform (`demo::reform`, which
    /// a plan goes through after [`Plan::of`]).
    pub opened_from: Option<(i32, u32)>,
    /// The first month it is no longer in force (a district or commune the reform ended), and
    /// the commune it was merged into.
    pub closed_from: Option<(i32, u32)>,
    pub merged_into: Option<usize>,
}

impl AgencyPlan {
    /// Whether the agency is in force in `month`.
    pub fn in_force(&self, month: (i32, u32)) -> bool {
        self.opened_from.is_none_or(|o| o <= month) && self.closed_from.is_none_or(|c| month < c)
    }
}

/// The whole plan.
#[derive(Debug, Clone)]
pub struct Plan {
    pub spec: Spec,
    /// Every month with data, oldest first, `(year, month)`.
    pub months: Vec<(i32, u32)>,
    /// Parents before children.
    pub agencies: Vec<AgencyPlan>,
    /// The agency whose officer account is created.
    pub officer_agency: usize,
}

/// Dossiers surveyed with the 2024 form unless the agency is one of the few on the 2017 form.
pub const FORM_2024: &str = "sipas-2024";
pub const FORM_2017: &str = "sipas-2017";

impl Plan {
    /// The plan of `spec`.
    pub fn of(spec: Spec) -> Plan {
        let mut rng = stream(spec.seed, &[0x706c_616e]);
        let months_count = match spec.scale {
            Scale::Small => 12,
            Scale::Province => 24,
            Scale::Custom { months, .. } => months.clamp(1, 120),
        };
        let months = months_ending(spec.last_month, months_count);
        let mut agencies = vec![province()];
        let officer_agency = match spec.scale {
            Scale::Small => small(&mut rng, &mut agencies),
            Scale::Province => whole_province(&mut rng, &mut agencies),
            Scale::Custom {
                agencies: count,
                responses,
                ..
            } => custom(&mut rng, &mut agencies, count, responses, months_count),
        };
        Plan {
            spec,
            months,
            agencies,
            officer_agency,
        }
    }
}

/// The province itself, the root: its own one-stop desk is its departments', so it registers
/// nothing itself.
fn province() -> AgencyPlan {
    AgencyPlan {
        code: names::PROVINCE_CODE.to_owned(),
        name_vi: names::PROVINCE_VI.to_owned(),
        name_en: names::PROVINCE_EN.to_owned(),
        kind: AgencyKind::Province,
        parent: None,
        form: FORM_2024,
        monthly: 0.0,
        rate: 0.0,
        online: 0.0,
        postal: 0.0,
        fields: Vec::new(),
        dossier_prefix: "000.00.00.H99".to_owned(),
        base: 0.0,
        slope: 0.0,
        trend: Trend::Steady,
        opened_from: None,
        closed_from: None,
        merged_into: None,
    }
}

/// The small plan: three departments and two districts with three communes each, at 6 % of
/// the volumes. Returns the officer's agency (the first district).
fn small(rng: &mut StdRng, agencies: &mut Vec<AgencyPlan>) -> usize {
    for stem in ["STNMT", "STP", "BDT"] {
        let i = DEPARTMENTS.iter().position(|d| d.stem == stem).unwrap_or(0);
        agencies.push(department(rng, i, 0.06));
    }
    let officer_agency = agencies.len();
    for d in [2, 3] {
        districts(rng, agencies, d, 3, 0.06);
    }
    officer_agency
}

/// The whole province: every department, every district, ten communes under each. Returns the
/// officer's agency.
fn whole_province(rng: &mut StdRng, agencies: &mut Vec<AgencyPlan>) -> usize {
    for i in 0..DEPARTMENTS.len() {
        agencies.push(department(rng, i, 1.0));
    }
    let officer_agency = agencies.len() + names::OFFICER_DISTRICT;
    let first = agencies.len();
    for d in 0..DISTRICTS.len() {
        agencies.push(district(rng, d, 1.0));
    }
    for d in 0..DISTRICTS.len() {
        let parent = first + d;
        for c in 0..10 {
            let commune = commune(rng, agencies, parent, d, c, 1.0);
            agencies.push(commune);
        }
    }
    officer_agency
}

/// `count` agencies (departments, then communes directly under the province) with volumes such
/// that about `responses` answer over `months` months. Returns the officer's agency (the first
/// department).
fn custom(
    rng: &mut StdRng,
    agencies: &mut Vec<AgencyPlan>,
    count: usize,
    responses: u64,
    months: u32,
) -> usize {
    let count = count.max(1);
    for i in 0..count.min(DEPARTMENTS.len()) {
        agencies.push(department(rng, i, 1.0));
    }
    for c in DEPARTMENTS.len()..count {
        let commune = flat_commune(rng, agencies, c - DEPARTMENTS.len());
        agencies.push(commune);
    }
    // Volumes such that about `responses` answer over the span: rate near 80 %.
    let weight: f64 = agencies.iter().map(|a| a.monthly).sum();
    let per_month = responses as f64 / f64::from(months) / 0.8;
    for a in agencies.iter_mut().skip(1) {
        a.monthly = if weight > 0.0 {
            a.monthly * per_month / weight
        } else {
            0.0
        };
        a.rate = 0.8;
    }
    1
}

/// The `count` months ending with `last`, oldest first.
pub fn months_ending(last: (i32, u32), count: u32) -> Vec<(i32, u32)> {
    let last_ordinal = last.0 * 12 + last.1.clamp(1, 12) as i32 - 1;
    (0..count as i32)
        .rev()
        .map(|back| {
            let o = last_ordinal - back;
            (o.div_euclid(12), o.rem_euclid(12) as u32 + 1)
        })
        .collect()
}

/// Satisfaction level and trend of a new agency.
fn satisfaction(rng: &mut StdRng) -> (f64, f64, Trend) {
    let base = normal(rng, 1.8, 0.55);
    let u: f64 = rng.random();
    let (slope, trend) = if u < 0.3 {
        (rng.random_range(0.8..1.6), Trend::Improving)
    } else if u < 0.5 {
        (-rng.random_range(0.7..1.3), Trend::Worsening)
    } else {
        (normal(rng, 0.0, 0.15), Trend::Steady)
    };
    (base, slope, trend)
}

#[allow(clippy::too_many_arguments)]
fn agency(
    rng: &mut StdRng,
    code: String,
    name_vi: String,
    name_en: String,
    kind: AgencyKind,
    parent: Option<usize>,
    form: &'static str,
    monthly: f64,
    fields: Vec<&'static str>,
    dossier_prefix: String,
    (online, postal): (f64, f64),
) -> AgencyPlan {
    let (base, slope, trend) = satisfaction(rng);
    AgencyPlan {
        code,
        name_vi,
        name_en,
        kind,
        parent,
        form,
        monthly,
        rate: rng.random_range(0.15..0.55),
        online,
        postal,
        fields,
        dossier_prefix,
        base,
        slope,
        trend,
        opened_from: None,
        closed_from: None,
        merged_into: None,
    }
}

fn department(rng: &mut StdRng, i: usize, volume: f64) -> AgencyPlan {
    let d = &DEPARTMENTS[i];
    let form = if names::DEPARTMENTS_ON_2017.contains(&d.stem) {
        FORM_2017
    } else {
        FORM_2024
    };
    let online = rng.random_range(0.30..0.55);
    let monthly = d.monthly * volume * rng.random_range(0.85..1.15);
    agency(
        rng,
        format!("{}.{}", d.stem, names::SUFFIX),
        d.vi.to_owned(),
        d.en.to_owned(),
        AgencyKind::Department,
        Some(0),
        form,
        monthly,
        d.fields.to_vec(),
        format!("000.00.{:02}.H99", 10 + i),
        (online, 0.08),
    )
}

fn district(rng: &mut StdRng, d: usize, volume: f64) -> AgencyPlan {
    let district = &DISTRICTS[d];
    let monthly = match d {
        0 => 900.0,
        1 => 550.0,
        _ => rng.random_range(280.0..460.0),
    } * volume;
    let online = rng.random_range(0.20..0.40);
    agency(
        rng,
        format!("H{:02}.{}", d + 1, names::SUFFIX),
        format!(
            "Ủy ban nhân dân {} {}",
            district.unit_vi.to_lowercase(),
            district.name
        ),
        format!(
            "People's Committee of {} {}",
            district.name, district.unit_en
        ),
        AgencyKind::District,
        Some(0),
        FORM_2024,
        monthly,
        names::DISTRICT_FIELDS.to_vec(),
        format!("000.{:02}.00.H99", 31 + d),
        (online, 0.05),
    )
}

/// Adds district `d` and `communes` of its communes (small scale).
fn districts(
    rng: &mut StdRng,
    agencies: &mut Vec<AgencyPlan>,
    d: usize,
    communes: usize,
    volume: f64,
) {
    agencies.push(district(rng, d, volume));
    let parent = agencies.len() - 1;
    for c in 0..communes {
        let commune = commune(rng, agencies, parent, d, c, volume);
        agencies.push(commune);
    }
}

/// A commune name not yet used in the plan.
pub(super) fn commune_name(rng: &mut StdRng, agencies: &[AgencyPlan]) -> String {
    loop {
        let first = names::FIRST[rng.random_range(0..names::FIRST.len())];
        let second = names::SECOND[rng.random_range(0..names::SECOND.len())];
        if first == second {
            continue;
        }
        let name = format!("{first} {second}");
        if !agencies.iter().any(|a| a.name_vi.ends_with(&name)) {
            return name;
        }
    }
}

fn commune(
    rng: &mut StdRng,
    agencies: &[AgencyPlan],
    parent: usize,
    d: usize,
    c: usize,
    volume: f64,
) -> AgencyPlan {
    let district = &DISTRICTS[d];
    // The district's seat is a ward (phường) in a city or town, a township (thị trấn) elsewhere.
    let (unit_vi, unit_en) = match (district.urban, c) {
        (true, _) if c < 6 => ("Phường", "Ward"),
        (false, 0) => ("Thị trấn", "Township"),
        _ => ("Xã", "Commune"),
    };
    let name = if c == 0 && !district.urban {
        district.name.to_owned()
    } else {
        commune_name(rng, agencies)
    };
    // Every fifth commune of a rural district is tiny: a handful of dossiers a month, so that
    // its monthly and quarterly numbers are suppressed and its yearly ones of low reliability.
    let monthly = if !district.urban && c % 5 == 4 {
        rng.random_range(1.5..5.0)
    } else if unit_vi == "Phường" {
        rng.random_range(40.0..90.0)
    } else {
        rng.random_range(15.0..45.0)
    } * volume;
    let online = rng.random_range(0.10..0.30);
    let mut plan = agency(
        rng,
        format!("X{:02}{:02}.{}", d + 1, c + 1, names::SUFFIX),
        format!("Ủy ban nhân dân {} {name}", unit_vi.to_lowercase()),
        format!("People's Committee of {name} {unit_en}"),
        AgencyKind::Commune,
        Some(parent),
        FORM_2024,
        monthly,
        names::COMMUNE_FIELDS.to_vec(),
        format!("{:03}.{:02}.00.H99", c + 1, 31 + d),
        (online, 0.02),
    );
    // Small offices: fewer answer online, more on paper; satisfaction varies more.
    plan.base += normal(rng, 0.0, 0.3);
    plan
}

/// A commune directly below the province (the custom, benchmark layout).
fn flat_commune(rng: &mut StdRng, agencies: &[AgencyPlan], c: usize) -> AgencyPlan {
    let name = commune_name_any(rng, agencies, c);
    let online = rng.random_range(0.10..0.30);
    let monthly = rng.random_range(15.0..60.0);
    agency(
        rng,
        format!("X{:04}.{}", c + 1, names::SUFFIX),
        format!("Ủy ban nhân dân xã {name}"),
        format!("People's Committee of {name} Commune"),
        AgencyKind::Commune,
        Some(0),
        FORM_2024,
        monthly,
        names::COMMUNE_FIELDS.to_vec(),
        format!("{:04}.50.00.H99", c + 1),
        (online, 0.02),
    )
}

/// With more communes than syllable pairs (900), later names get a number.
fn commune_name_any(rng: &mut StdRng, agencies: &[AgencyPlan], c: usize) -> String {
    if c < 600 {
        commune_name(rng, agencies)
    } else {
        let first = names::FIRST[c % names::FIRST.len()];
        let second = names::SECOND[(c / names::FIRST.len()) % names::SECOND.len()];
        format!("{first} {second} {}", c / 900 + 1)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    fn spec(scale: Scale) -> Spec {
        Spec {
            seed: 7,
            scale,
            last_month: (2026, 2),
        }
    }

    #[test]
    fn months_end_with_the_last_month() {
        assert_eq!(
            months_ending((2026, 2), 3),
            vec![(2025, 12), (2026, 1), (2026, 2)]
        );
        assert_eq!(months_ending((2026, 12), 1), vec![(2026, 12)]);
    }

    #[test]
    fn the_province_has_20_departments_10_districts_and_100_communes() {
        let plan = Plan::of(spec(Scale::Province));
        let count = |kind| plan.agencies.iter().filter(|a| a.kind == kind).count();
        assert_eq!(count(AgencyKind::Province), 1);
        assert_eq!(count(AgencyKind::Department), 20);
        assert_eq!(count(AgencyKind::District), 10);
        assert_eq!(count(AgencyKind::Commune), 100);
        assert_eq!(plan.months.len(), 24);
        assert_eq!(plan.months.last(), Some(&(2026, 2)));
        let mut codes: Vec<&str> = plan.agencies.iter().map(|a| a.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), plan.agencies.len(), "codes are unique");
        let mut names: Vec<&str> = plan.agencies.iter().map(|a| a.name_vi.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), plan.agencies.len(), "names are unique");
        for a in &plan.agencies {
            assert_eq!(a.name_vi.nfc().collect::<String>(), a.name_vi);
            if let Some(p) = a.parent {
                assert!(p < plan.agencies.len());
            }
        }
        assert_eq!(plan.agencies[plan.officer_agency].code, "H03.MS");
        assert!(plan.agencies.iter().any(|a| a.form == FORM_2017));
        for trend in [Trend::Improving, Trend::Worsening, Trend::Steady] {
            assert!(plan.agencies.iter().skip(1).any(|a| a.trend == trend));
        }
        let monthly: f64 = plan.agencies.iter().map(|a| a.monthly).sum();
        assert!((10_000.0..16_000.0).contains(&monthly), "{monthly}");
    }

    #[test]
    fn plans_are_seeded() {
        let a = Plan::of(spec(Scale::Province));
        let b = Plan::of(spec(Scale::Province));
        let c = Plan::of(Spec {
            seed: 8,
            ..spec(Scale::Province)
        });
        let names = |p: &Plan| {
            p.agencies
                .iter()
                .map(|a| format!("{} {} {}", a.name_vi, a.monthly, a.base))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&a), names(&b));
        assert_ne!(names(&a), names(&c));
    }

    #[test]
    fn custom_plans_have_the_asked_number_of_agencies_below_the_province() {
        let plan = Plan::of(spec(Scale::Custom {
            agencies: 1000,
            responses: 100_000,
            months: 12,
        }));
        assert_eq!(plan.agencies.len(), 1001);
        assert!(plan.agencies.iter().skip(1).all(|a| a.parent == Some(0)));
        let expected: f64 = plan
            .agencies
            .iter()
            .map(|a| a.monthly * a.rate)
            .sum::<f64>()
            * 12.0;
        assert!((90_000.0..110_000.0).contains(&expected), "{expected}");
        let one = Plan::of(spec(Scale::Custom {
            agencies: 1,
            responses: 1000,
            months: 12,
        }));
        assert_eq!(one.agencies.len(), 2);
    }
}
