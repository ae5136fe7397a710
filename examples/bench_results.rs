//! The CPU cost of computing results from roll-ups, without a database or HTTP: a ranking of
//! 1,000 agencies (a month, a quarter, the year) and one agency-year, from counts built as
//! closing builds them (`Counts::add_closed_month`, three channels a month). What
//! `scripts/bench-results` measures through the server, less the reading: run
//! `cargo run --release --example bench_results [AGENCIES] [PER_MONTH]` to see where the time of
//! a ranking goes before and after a change to `domain::results`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use uuid::Uuid;

use sipas::domain::aggregates::{BucketCounts, DissatisfiedRule, ScoreShape};
use sipas::domain::periods::{Month, Period};
use sipas::domain::results::{
    AgencyRef, Aggregate, Counts, Design, Options, RankingInput, ResultRequest, Subject,
    VersionChoice, agency_result, ranking,
};
use sipas::stats::ReliabilityThresholds;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let agencies: usize = args.next().map_or(Ok(1000), |a| a.parse())?;
    let per_month: usize = args.next().map_or(Ok(6), |a| a.parse())?;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("survey-forms");
    let catalog = sipas::persistence::form_files::load_dir(&dir)?;
    let form = catalog
        .latest("sipas-2024")
        .ok_or_else(|| anyhow::anyhow!("sipas-2024"))?;
    let shape = Arc::new(ScoreShape::of(form));
    let started = Instant::now();
    let mut counts = Counts::by_month(shape.clone());
    let ids: Vec<Uuid> = (0..agencies).map(|_| Uuid::now_v7()).collect();
    for (a, id) in ids.iter().enumerate() {
        for m in 1..=12_u8 {
            for (c, channel) in ["in_person", "online", "postal"].into_iter().enumerate() {
                let n = per_month * (3 - c) + (a + m as usize) % 5;
                let b = bucket(&shape, n, a + m as usize + c);
                let month = Month::new(2025, m).ok_or_else(|| anyhow::anyhow!("month"))?;
                counts.add_closed_month(*id, (month, channel), (&b, 3 * n as u64))?;
            }
        }
    }
    println!("{agencies} agencies' year built in {:?}", started.elapsed());
    let options = Options {
        level: 0.95,
        thresholds: ReliabilityThresholds::default(),
        d766_enabled: true,
        d766_rule: DissatisfiedRule::MeanBelowNeutral,
        par_scales: Default::default(),
        lang: "vi".to_owned(),
    };
    let children: Vec<Subject> = (ids.iter().enumerate())
        .map(|(i, id)| Subject::Agency(agency(*id, i)))
        .collect();
    for period in ["2025-06", "2025-Q2", "2025"] {
        let period = Period::parse(period)?;
        let input = RankingInput {
            parent: agency(Uuid::nil(), usize::MAX),
            children: children.clone(),
            form,
            version_choice: VersionChoice::LatestWithData,
            period: &period,
            design: Design::SrsFpc,
            aggregate: Aggregate::Mean,
            options: &options,
        };
        let best = best_of(30, || ranking(&counts, &input).map(|_| ()))?;
        println!(
            "ranking of {agencies}, {period}: {:.2} ms, CPU {:.2} ms",
            best.0, best.1
        );
    }
    let period = Period::parse("2025")?;
    let request = ResultRequest {
        subject: children[0].clone(),
        form,
        version_choice: VersionChoice::LatestWithData,
        period: &period,
        design: Design::SrsFpc,
        aggregate: Aggregate::Mean,
        breakdown: None,
        options: &options,
    };
    let best = best_of(500, || agency_result(&counts, &request).map(|_| ()))?;
    println!("one agency-year: {:.3} ms, CPU {:.3} ms", best.0, best.1);
    Ok(())
}

/// The fastest of `runs` runs of `f` (wall time), and the process's CPU time per run, in
/// milliseconds: other load on the machine disturbs the second less.
fn best_of<E: std::error::Error + Send + Sync + 'static>(
    runs: usize,
    mut f: impl FnMut() -> Result<(), E>,
) -> anyhow::Result<(f64, f64)> {
    let mut best = f64::INFINITY;
    let cpu_before = cpu_ms()?;
    for _ in 0..runs {
        let started = Instant::now();
        f()?;
        best = best.min(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok((best, (cpu_ms()? - cpu_before) / runs as f64))
}

/// The process's user and system CPU time so far, in milliseconds (`/proc/self/stat`, at the
/// usual 100 ticks a second).
fn cpu_ms() -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11).unwrap_or(&"0").parse::<f64>()?
        + fields.get(12).unwrap_or(&"0").parse::<f64>()?;
    Ok(ticks * 10.0)
}

fn agency(id: Uuid, i: usize) -> AgencyRef {
    AgencyRef {
        id,
        code: format!("A{i:05}"),
        name: format!("Cơ quan {i}"),
        name_en: None,
        kind: "commune".to_owned(),
    }
}

/// `n` respondents answering every item with a level that varies by respondent and `seed`.
fn bucket(shape: &ScoreShape, n: usize, seed: usize) -> BucketCounts {
    let mut b = shape.empty();
    for r in 0..n {
        let answers: BTreeMap<String, Value> = (shape.tree.items.iter().enumerate())
            .map(|(j, id)| {
                let levels = shape.levels_of(j);
                let level = levels[(r * 7 + j * 3 + seed) % levels.len()];
                (id.clone(), json!(level))
            })
            .collect();
        b.add(&shape.contribution(&answers, true));
    }
    b
}
