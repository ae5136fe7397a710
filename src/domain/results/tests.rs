//! Unit tests of the pieces the end-to-end tests (`tests/api/results.rs`, against the vectors)
//! do not pin down one by one: version choice, trend steps, complementary suppression.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::estimate::estimate;
use super::suppression::{Layout, across, within};
use super::*;
use crate::domain::periods::Period;
use crate::stats::{DomainOptions, Reliability};

fn shape() -> Arc<ScoreShape> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("survey-forms");
    let catalog = crate::persistence::form_files::load_dir(&dir).unwrap();
    Arc::new(ScoreShape::of(catalog.latest("sipas-2017").unwrap()))
}

/// `n` responses; respondent `r` answers item `j` with `level(r, j)` (None: blank).
fn bucket(
    shape: &ScoreShape,
    n: usize,
    level: impl Fn(usize, usize) -> Option<i64>,
) -> BucketCounts {
    let mut b = shape.empty();
    for r in 0..n {
        let answers: BTreeMap<String, Value> = shape
            .tree
            .items
            .iter()
            .enumerate()
            .filter_map(|(j, id)| level(r, j).map(|l| (id.clone(), json!(l))))
            .collect();
        b.add(&shape.contribution(&answers, true));
    }
    b
}

fn strata(shape: &Arc<ScoreShape>, cells: Vec<(&str, BucketCounts, u64)>) -> Strata {
    Strata {
        shape: shape.clone(),
        cells: cells
            .into_iter()
            .map(|(channel, counts, invited)| {
                (
                    (uuid::Uuid::nil(), channel.to_owned()),
                    Arc::new(Cell { counts, invited }),
                )
            })
            .collect(),
    }
}

#[test]
fn the_version_is_requested_else_the_newest_with_data_else_the_current() {
    assert_eq!(
        choose_version([1, 3, 2], Some(1), 4),
        (1, VersionChoice::Requested)
    );
    assert_eq!(
        choose_version([1, 3, 2], None, 4),
        (3, VersionChoice::LatestWithData)
    );
    assert_eq!(choose_version([], None, 4), (4, VersionChoice::Current));
}

#[test]
fn levels_designs_and_dimensions_parse_strictly() {
    assert_eq!(parse_level("0.9"), Some(0.90));
    assert_eq!(parse_level("0.95"), Some(0.95));
    assert_eq!(parse_level("0.99"), Some(0.99));
    assert_eq!(parse_level("0.8"), None);
    assert_eq!(parse_level("95"), None);
    assert_eq!(Design::parse("srs_fpc"), Some(Design::SrsFpc));
    assert_eq!(Design::parse("pooled"), None);
    assert_eq!(Aggregate::parse("pooled"), Some(Aggregate::Pooled));
    assert_eq!(
        Dimension::parse("procedure_field"),
        Some(Dimension::ProcedureField)
    );
    assert_eq!(Dimension::parse("agency"), None);
}

#[test]
fn trend_steps_are_calendar_periods_clipped_to_the_range() {
    let p = Period::range("2025-02", "2026-01").unwrap();
    let labels = |step| -> Vec<String> {
        report::steps(&p, step)
            .unwrap()
            .iter()
            .map(|s| s.label().to_owned())
            .collect()
    };
    assert_eq!(
        labels("quarter"),
        [
            "2025-02/2025-03",
            "2025-Q2",
            "2025-Q3",
            "2025-Q4",
            "2026-01"
        ]
    );
    assert_eq!(labels("year"), ["2025-02/2025-12", "2026-01"]);
    assert_eq!(labels("month").len(), 12);
    assert!(report::steps(&p, "week").is_none());
}

#[test]
fn a_lone_suppressed_factor_takes_a_complement_with_it() {
    let s = shape();
    // 12 respondents; only 4 answer the feedback factor (the last 4 items).
    let feedback: Vec<usize> = (18..22).collect();
    let b = bucket(&s, 12, |r, j| {
        (!feedback.contains(&j) || r < 4).then_some(if (r + j) % 3 == 0 { 2 } else { 4 })
    });
    let est = estimate(
        &strata(&s, vec![("online", b, 100)]),
        Design::CellSrs,
        &DomainOptions::default(),
    )
    .unwrap();
    let mut f = est.figures;
    let layout = Layout::of(&s.tree.root);
    // Nodes depth first: root, access, procedure, civil_servant, result, feedback.
    assert_eq!(f.nodes[5].status, Reliability::Suppressed);
    assert!(
        f.nodes[1..5]
            .iter()
            .all(|n| n.status != Reliability::Suppressed)
    );
    assert!(within(&mut f, &layout));
    let hidden: Vec<usize> = (1..6)
        .filter(|&i| f.nodes[i].status == Reliability::Suppressed)
        .collect();
    assert_eq!(hidden.len(), 2, "{hidden:?}");
    let complement = hidden[0];
    assert!(f.nodes[complement].complementary);
    // Its items go with it, or the node's value could be computed from them.
    for &j in &s.tree.root.children[complement - 1].items {
        assert_eq!(f.items[j].status, Reliability::Suppressed);
    }
    assert_eq!(f.nodes[0].status, Reliability::LowReliability);
    // Nothing more to do.
    assert!(!within(&mut f, &layout));
}

#[test]
fn a_lone_suppressed_cell_takes_the_smallest_other_cell_with_it() {
    let s = shape();
    let layout = Layout::of(&s.tree.root);
    let level = |r: usize, j: usize| Some(if (r * 7 + j).is_multiple_of(4) { 3 } else { 5 });
    let cells = [("in_person", 50), ("online", 5), ("postal", 20)];
    let mut figures: Vec<_> = cells
        .iter()
        .map(|&(c, n)| {
            estimate(
                &strata(&s, vec![(c, bucket(&s, n, level), 100)]),
                Design::CellSrs,
                &DomainOptions::default(),
            )
            .unwrap()
            .figures
        })
        .collect();
    let all = strata(
        &s,
        cells
            .iter()
            .map(|&(c, n)| (c, bucket(&s, n, level), 100))
            .collect(),
    );
    let mut total = estimate(&all, Design::SrsFpc, &DomainOptions::default())
        .unwrap()
        .figures;
    across(&mut total, &mut figures, &layout);
    let root = |f: &super::estimate::Figures| f.nodes[0].status;
    assert_eq!(root(&figures[1]), Reliability::Suppressed);
    // The postal cell (20) is smaller than in-person (50): it is the complement.
    assert_eq!(root(&figures[2]), Reliability::Suppressed);
    assert!(figures[2].nodes[0].complementary);
    assert!(
        figures[2]
            .items
            .iter()
            .all(|i| i.status == Reliability::Suppressed)
    );
    assert_ne!(root(&figures[0]), Reliability::Suppressed);
    assert_ne!(root(&total), Reliability::Suppressed);
}

/// The months of 2025 (1..=12) each with its own answers in two channels, added as closing adds
/// them: to the four spans of each month.
fn a_year_by_month(s: &Arc<ScoreShape>, agency: uuid::Uuid) -> (Counts, Vec<BucketCounts>) {
    let mut counts = Counts::by_month(s.clone());
    let mut months = Vec::new();
    for m in 1..=12_u8 {
        for (c, channel) in ["online", "in_person"].into_iter().enumerate() {
            let n = 3 + (m as usize * 5 + c * 7) % 11;
            let b = bucket(s, n, |r, j| {
                Some(1 + ((r * 3 + j + m as usize + c) % 5) as i64)
            });
            let month = crate::domain::periods::Month::new(2025, m).unwrap();
            counts
                .add_closed_month(agency, (month, channel), (&b, 10 * n as u64))
                .unwrap();
            months.push(b);
        }
    }
    (counts, months)
}

#[test]
fn a_period_read_from_its_spans_counts_each_of_its_months_once() {
    let s = shape();
    let a = uuid::Uuid::now_v7();
    let (counts, months) = a_year_by_month(&s, a);
    let ids: std::collections::HashSet<uuid::Uuid> = [a].into();
    // Every range of months of the year: read from its cover (a year, halves, quarters,
    // months), the counts are those of its months added one by one.
    for first in 1..=12_usize {
        for last in first..=12 {
            let strata = counts
                .strata(
                    &ids,
                    &format!("2025-{first:02}"),
                    &format!("2025-{last:02}"),
                )
                .unwrap();
            let mut expected = s.empty();
            for b in &months[2 * (first - 1)..2 * last] {
                expected.merge(b).unwrap();
            }
            let mut got = s.empty();
            for cell in strata.cells.values() {
                got.merge(&cell.counts).unwrap();
            }
            assert_eq!(got, expected, "2025-{first:02}..2025-{last:02}");
            let invited: u64 = strata.cells.values().map(|c| c.invited).sum();
            let n: u64 = months[2 * (first - 1)..2 * last]
                .iter()
                .map(|b| b.valid)
                .sum();
            assert_eq!(invited, 10 * n);
        }
    }
}

#[test]
fn a_period_whose_spans_were_not_read_is_an_error_not_a_zero() {
    let s = shape();
    let a = uuid::Uuid::now_v7();
    let year = crate::domain::spans::Span::parse("2025").unwrap();
    let mut counts = Counts::new(s.clone(), [year]);
    counts.add_scores(a, ("2025", "online"), bucket(&s, 5, |_, _| Some(4)).pack());
    let ids: std::collections::HashSet<uuid::Uuid> = [a].into();
    assert_eq!(
        counts
            .strata(&ids, "2025-01", "2025-12")
            .unwrap()
            .cells
            .len(),
        1
    );
    assert!(counts.strata(&ids, "2025-01", "2025-03").is_err());
    assert!(counts.responses_in(a, "2025-02", "2025-12").is_err());
    assert_eq!(counts.responses_in(a, "2025-01", "2025-12").unwrap(), 5);
}

#[test]
fn the_bases_alone_are_the_estimates_bases_and_suppression() {
    let s = shape();
    let opts = DomainOptions::default();
    // Blanks everywhere, a feedback factor few answer, two channels, and nothing at all.
    let sparse = |n, k: usize| {
        bucket(&s, n, move |r, j| {
            (!(r * 7 + j * k).is_multiple_of(5) && (j < 18 || r < 4))
                .then_some(1 + ((r + j) % 5) as i64)
        })
    };
    let cases = vec![
        strata(&s, vec![("online", sparse(12, 3), 40)]),
        strata(
            &s,
            vec![
                ("online", sparse(30, 2), 90),
                ("in_person", sparse(7, 1), 9),
            ],
        ),
        strata(&s, vec![("online", sparse(3, 4), 5)]),
        strata(&s, vec![]),
    ];
    for st in &cases {
        let full = estimate(st, Design::CellSrs, &opts).unwrap().figures;
        let alone = estimate::bases(st, &opts).unwrap();
        let hidden = |status: Reliability| status == Reliability::Suppressed;
        let nodes = |f: &estimate::Figures| -> Vec<(u64, bool)> {
            f.nodes.iter().map(|n| (n.n, hidden(n.status))).collect()
        };
        let items = |f: &estimate::Figures| -> Vec<(u64, bool)> {
            f.items.iter().map(|i| (i.n, hidden(i.status))).collect()
        };
        assert_eq!(nodes(&alone), nodes(&full));
        assert_eq!(items(&alone), items(&full));
    }
}
