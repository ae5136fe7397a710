//! The report read back with calamine: views computed by the domain from counts (the shipped
//! sipas-2017 form), the workbook built in both languages, every key number compared with the
//! view's, suppressed cells empty beside their status text, and the charts and print setup
//! found in the package.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::sync::Arc;

use calamine::{Data, Range, Reader, Xlsx};
use chrono::NaiveDate;
use serde_json::{Value, json};
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;

use super::*;
use crate::domain::aggregates::{BucketCounts, DissatisfiedRule, ScoreShape};
use crate::domain::forms::{FormDefinition, shipped};
use crate::domain::periods::{Month, Period};
use crate::domain::results::{
    AgencyRef, Aggregate, Counts, Design, IntervalView, NumberStatus, Options, ResultRequest,
    Subject, Suppression, TrendRequest, VersionChoice, agency_result, trend,
};
use crate::stats::ReliabilityThresholds;

/// `n` valid responses, then `invalid` invalid ones; respondent `r` answers item `j` unless
/// `answers(r, j)` is false, and the perception questions: `p1`, `o1`, `e1` (two in three),
/// `p2` (the first four only).
fn bucket(
    shape: &ScoreShape,
    n: usize,
    invalid: usize,
    answers: impl Fn(usize, usize) -> bool,
) -> BucketCounts {
    const LEVELS: [i64; 10] = [1, 2, 3, 3, 4, 4, 4, 5, 5, 5];
    let mut b = shape.empty();
    for r in 0..n + invalid {
        let mut given: BTreeMap<String, Value> = shape
            .tree
            .items
            .iter()
            .enumerate()
            .filter(|&(j, _)| answers(r, j))
            .map(|(j, id)| (id.clone(), json!(LEVELS[(r * 7 + j * 3 + r / 4) % 10])))
            .collect();
        given.insert("p1".into(), json!(["none", "once", "twice"][r % 3]));
        given.insert("o1".into(), json!(LEVELS[r % 10]));
        if r % 3 != 0 {
            given.insert("e1".into(), json!(["attitude", "lower_fees"][..1 + r % 2]));
        }
        if r < 4 {
            given.insert("p2".into(), json!("late"));
        }
        b.add(&shape.contribution(&given, r < n));
    }
    b
}

struct Fixture {
    result: ResultView,
    trend: TrendView,
}

/// One agency over four quarters: 2025-Q3 with 40 responses, 2025-Q4 with 5 (suppressed),
/// 2026-Q1 with 20 (low reliability), 2026-Q2 (the report's period) with 60 valid responses and
/// 3 invalid returns, of which only 4 answer the feedback factor (suppressed, with a
/// complement).
fn fixture(lang: &str) -> Fixture {
    let form: FormDefinition = shipped("sipas-2017");
    let shape = Arc::new(ScoreShape::of(&form));
    let feedback: Vec<usize> = shape
        .tree
        .root
        .children
        .iter()
        .find(|c| c.id == "feedback")
        .map(|c| c.items.clone())
        .unwrap();
    assert!(!feedback.is_empty());
    let agency = AgencyRef {
        id: Uuid::now_v7(),
        code: "STP".to_owned(),
        name: "Sở Tư pháp".to_owned(),
        name_en: Some("Department of Justice".to_owned()),
        kind: "so".to_owned(),
    };
    let mut counts = Counts::by_month(shape.clone());
    let all = |_: usize, _: usize| true;
    let month = |m: &str| Month::parse(m).unwrap();
    for (m, n, invalid, dossiers) in [
        ("2025-08", 40, 0, 200),
        ("2025-11", 5, 0, 150),
        ("2026-02", 20, 1, 180),
    ] {
        let b = bucket(&shape, n, invalid, all);
        counts
            .add_closed_month(agency.id, (month(m), "online"), (&b, dossiers))
            .unwrap();
    }
    let q2 = bucket(&shape, 60, 3, |r, j| !feedback.contains(&j) || r < 4);
    counts
        .add_closed_month(agency.id, (month("2026-05"), "online"), (&q2, 250))
        .unwrap();
    counts
        .add_closed_month(
            agency.id,
            (month("2026-05"), "in_person"),
            (&shape.empty(), 50),
        )
        .unwrap();

    let options = Options {
        level: 0.95,
        thresholds: ReliabilityThresholds::default(),
        d766_enabled: true,
        d766_rule: DissatisfiedRule::MeanBelowNeutral,
        par_scales: Default::default(),
        lang: lang.to_owned(),
    };
    let period = Period::parse("2026-Q2").unwrap();
    let result = agency_result(
        &counts,
        &ResultRequest {
            subject: Subject::Agency(agency.clone()),
            form: &form,
            version_choice: VersionChoice::LatestWithData,
            period: &period,
            design: Design::SrsFpc,
            aggregate: Aggregate::Mean,
            breakdown: None,
            options: &options,
        },
    )
    .unwrap();
    let range = Period::range("2025-07", "2026-06").unwrap();
    let trend = trend(
        &counts,
        &TrendRequest {
            subject: Subject::Agency(agency),
            form: &form,
            version_choice: VersionChoice::LatestWithData,
            period: &range,
            step: "quarter",
            design: Design::SrsFpc,
            aggregate: Aggregate::Mean,
            options: &options,
        },
    )
    .unwrap();
    // The fixture has what the tests look for.
    let statuses: Vec<_> = result
        .index
        .children
        .iter()
        .map(|c| c.suppression)
        .collect();
    assert!(
        statuses.contains(&Some(Suppression::SmallN)),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&Some(Suppression::Complementary)),
        "{statuses:?}"
    );
    assert!(result.index.value.is_some());
    assert_eq!(trend.steps.len(), 4);
    assert_eq!(trend.steps[1].index.status, NumberStatus::Suppressed);
    assert_eq!(trend.steps[2].index.status, NumberStatus::LowReliability);
    Fixture { result, trend }
}

fn generated() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 7, 3).unwrap()
}

/// The workbook; with `SIPAS_REPORT_SAMPLE=DIR` also saved there to be looked at.
fn build(fx: &Fixture, lang: Lang) -> Vec<u8> {
    let bytes = agency_report(&fx.result, &fx.trend, lang, generated()).unwrap();
    if let Some(dir) = std::env::var_os("SIPAS_REPORT_SAMPLE") {
        let path = std::path::Path::new(&dir).join(format!("report-{}.xlsx", lang.code()));
        std::fs::write(path, &bytes).unwrap();
    }
    bytes
}

fn workbook(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap()
}

fn sheet(bytes: &[u8], name: &str) -> Range<Data> {
    workbook(bytes).worksheet_range(name).unwrap()
}

fn cell(range: &Range<Data>, row: u32, col: u32) -> Data {
    range.get_value((row, col)).cloned().unwrap_or(Data::Empty)
}

fn text(range: &Range<Data>, row: u32, col: u32) -> String {
    match cell(range, row, col) {
        Data::String(s) => s,
        other => panic!("({row}, {col}) is not text: {other:?}"),
    }
}

fn number(range: &Range<Data>, row: u32, col: u32) -> f64 {
    match cell(range, row, col) {
        Data::Float(x) => x,
        Data::Int(i) => i as f64,
        other => panic!("({row}, {col}) is not a number: {other:?}"),
    }
}

fn is_empty(range: &Range<Data>, row: u32, col: u32) -> bool {
    matches!(cell(range, row, col), Data::Empty)
}

/// The first row whose column `col` reads `wanted`.
fn row_of(range: &Range<Data>, col: u32, wanted: &str) -> u32 {
    let (last, _) = range.end().unwrap();
    (0..=last)
        .find(|&r| matches!(cell(range, r, col), Data::String(s) if s == wanted))
        .unwrap_or_else(|| panic!("no row with {wanted:?} in column {col}"))
}

fn row_headers(range: &Range<Data>, row: u32) -> Vec<String> {
    let (_, last) = range.end().unwrap();
    (0..=last)
        .map(|c| match cell(range, row, c) {
            Data::String(s) => s,
            _ => String::new(),
        })
        .collect()
}

/// A percentage cell holds the view's value as a fraction.
fn assert_pct(range: &Range<Data>, row: u32, col: u32, expected: f64) {
    let got = number(range, row, col) * 100.0;
    assert!(
        (got - expected).abs() < 1e-9,
        "({row}, {col}): {got} vs the view's {expected}"
    );
}

fn status_text(lang: Lang, status: NumberStatus, suppression: Option<Suppression>) -> &'static str {
    let t = text::of(lang);
    match (status, suppression) {
        (NumberStatus::Ok, _) => t.st_ok,
        (NumberStatus::LowReliability, _) => t.st_low,
        (NumberStatus::Suppressed, Some(Suppression::Complementary)) => t.st_complementary,
        (NumberStatus::Suppressed, _) => t.st_small_n,
    }
}

/// Value, lower, upper at `col..col+3`: the view's numbers, or three empty cells when the
/// view publishes none.
fn assert_figure(
    range: &Range<Data>,
    row: u32,
    col: u32,
    value: Option<f64>,
    ci: Option<&IntervalView>,
) {
    match (value, ci) {
        (Some(v), Some(ci)) => {
            assert_pct(range, row, col, v);
            assert_pct(range, row, col + 1, ci.low);
            assert_pct(range, row, col + 2, ci.high);
        }
        _ => {
            for c in col..col + 3 {
                assert!(
                    is_empty(range, row, c),
                    "({row}, {c}) should be empty: {:?}",
                    cell(range, row, c)
                );
            }
        }
    }
}

fn zip_entries(bytes: &[u8]) -> BTreeMap<String, String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut out = BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let name = file.name().unwrap().into_owned();
        let mut body = String::new();
        if name.ends_with(".xml") || name.ends_with(".rels") {
            file.read_to_string(&mut body).unwrap();
        }
        out.insert(name, body);
    }
    out
}

fn check_summary(bytes: &[u8], r: &ResultView, lang: Lang) {
    let t = text::of(lang);
    let s = sheet(bytes, t.sheet_summary);
    assert_eq!(
        row_headers(&s, 1)[..6],
        [t.measure, t.value, t.lower, t.upper, t.n, t.status]
    );
    let row = row_of(&s, 0, t.agency);
    assert_eq!(
        text(&s, row, 1),
        format!("{} ({})", r.agency_name, r.agency)
    );
    assert_eq!(text(&s, row_of(&s, 0, t.period), 1), r.period);
    assert_eq!(number(&s, row_of(&s, 0, t.invited), 1), r.invited as f64);
    assert_eq!(
        number(&s, row_of(&s, 0, t.responses), 1),
        r.responses as f64
    );
    assert_eq!(
        number(&s, row_of(&s, 0, t.invalid_returns), 1),
        r.invalid_returns as f64
    );
    assert_eq!(r.invalid_returns, 3);
    assert_pct(
        &s,
        row_of(&s, 0, t.response_rate),
        1,
        r.response_rate.unwrap(),
    );
    assert_pct(
        &s,
        row_of(&s, 0, &text::margin(lang, 0.95, true)),
        1,
        r.margin_of_error.worst_case.unwrap(),
    );
    // The generated date is a date cell (a serial number in calamine's eyes).
    assert!(matches!(
        cell(&s, row_of(&s, 0, t.generated_on), 1),
        Data::DateTime(_) | Data::Float(_)
    ));

    let row = row_of(&s, 0, t.sipas);
    assert_figure(&s, row, 1, r.index.value, r.index.ci.as_ref());
    assert_eq!(number(&s, row, 4), r.index.n as f64);
    assert_eq!(
        text(&s, row, 5),
        status_text(lang, r.index.status, r.index.suppression)
    );

    let row = row_of(&s, 0, t.par_points);
    let points = r.par.points.unwrap();
    assert!((number(&s, row, 1) - points).abs() < 1e-12);
    assert!((number(&s, row_of(&s, 0, t.par_max), 1) - 10.0).abs() < 1e-12);
    assert_pct(&s, row_of(&s, 0, t.d766), 1, r.d766.value.unwrap());
    assert_eq!(number(&s, row_of(&s, 0, t.d766), 4), r.d766.d as f64);
    assert_eq!(
        number(&s, row_of(&s, 0, t.d766_dissatisfied), 1),
        r.d766.d_dis.unwrap() as f64
    );

    // Every component: the view's numbers, or empty cells beside the status text.
    let mut hidden = 0;
    for node in &r.index.children {
        let row = row_of(&s, 0, &node.label);
        assert_figure(&s, row, 1, node.value, node.ci.as_ref());
        assert_eq!(number(&s, row, 4), node.n as f64, "{}", node.id);
        let status = text(&s, row, 5);
        assert_eq!(
            status,
            status_text(lang, node.status, node.suppression),
            "{}",
            node.id
        );
        if node.status == NumberStatus::Suppressed {
            hidden += 1;
            assert!(status == t.st_small_n || status == t.st_complementary);
        }
    }
    assert_eq!(hidden, 2);
    row_of(&s, 0, t.method);
}

/// The indicator sheet: a row per answer (and a positive row per grid), the view's counts,
/// shares and intervals; a suppressed question's cells empty beside the status text.
fn check_indicators(bytes: &[u8], r: &ResultView, lang: Lang) {
    let t = text::of(lang);
    let s = sheet(bytes, t.sheet_indicators);
    assert_eq!(
        row_headers(&s, 1)[..6],
        [
            t.id,
            t.question,
            t.answer,
            t.answer_label,
            t.count,
            t.share_of_respondents
        ]
    );
    let ids: Vec<&str> = r
        .indicators
        .iter()
        .map(|i| i.question_id.as_str())
        .collect();
    assert_eq!(ids, ["p1", "p2", "p3", "o1", "e1"]);
    let mut row = 2;
    let (mut shown, mut hidden) = (0, 0);
    for q in &r.indicators {
        assert_eq!(text(&s, row, 1), q.label);
        let positive = q.positive.iter().map(|p| (p.levels.join(","), &p.share));
        let answers = q
            .options
            .iter()
            .map(|o| (o.value.clone(), &o.share))
            .chain(positive);
        for (value, share) in answers {
            assert_eq!(text(&s, row, 0), q.question_id);
            assert_eq!(text(&s, row, 2), value);
            assert_eq!(number(&s, row, 8), q.n as f64);
            assert_figure(&s, row, 5, share.share, share.ci.as_ref());
            match share.count {
                Some(c) => {
                    assert_eq!(number(&s, row, 4), c as f64);
                    shown += 1;
                }
                None => {
                    assert!(is_empty(&s, row, 4));
                    assert_eq!(text(&s, row, 9), t.st_small_n);
                    hidden += 1;
                }
            }
            row += 1;
        }
    }
    // p2 (4 respondents) and p3 (none) are suppressed; p1, o1 and e1 are not.
    assert_eq!((shown, hidden), (4 + 6 + 9, 3 + 2));
    assert_eq!(
        text(&s, row_of(&s, 2, "4,5"), 3),
        text::positive(lang, &["4".into(), "5".into()])
    );
}

fn check_items(bytes: &[u8], r: &ResultView, lang: Lang) {
    let t = text::of(lang);
    let s = sheet(bytes, t.sheet_items);
    let headers = row_headers(&s, 1);
    assert_eq!(
        headers[..7],
        [t.id, t.factor, t.criterion, t.share, t.lower, t.upper, t.n]
    );
    let levels: Vec<String> = (1..=5)
        .map(|l| text::level_count(lang, &l.to_string()))
        .collect();
    assert_eq!(headers[7..12], levels[..]);
    let shares: Vec<String> = (1..=5)
        .map(|l| text::level_share(lang, &l.to_string()))
        .collect();
    assert_eq!(headers[12..17], shares[..]);
    assert_eq!(headers[17], t.mean_level);
    assert_eq!(headers[18], t.status);

    assert_eq!(r.items.len(), 22);
    let mut suppressed = 0;
    for (i, item) in r.items.iter().enumerate() {
        let row = 2 + u32::try_from(i).unwrap();
        assert_eq!(text(&s, row, 0), item.question_id);
        assert_eq!(text(&s, row, 2), item.label);
        assert!(!item.label.is_empty());
        assert_figure(&s, row, 3, item.share, item.ci.as_ref());
        assert_eq!(number(&s, row, 6), item.n as f64);
        assert_eq!(
            text(&s, row, 18),
            status_text(lang, item.status, item.suppression)
        );
        match &item.counts {
            Some(counts) => {
                let answered: u64 = counts.values().sum();
                for l in 1..=5u32 {
                    let c = counts.get(&l.to_string()).copied().unwrap_or(0);
                    assert_eq!(number(&s, row, 6 + l), c as f64);
                    assert_pct(&s, row, 11 + l, 100.0 * c as f64 / answered as f64);
                }
                assert!((number(&s, row, 17) - item.mean.unwrap()).abs() < 1e-12);
            }
            None => {
                suppressed += 1;
                for c in 7..=17 {
                    assert!(is_empty(&s, row, c), "{} col {c}", item.question_id);
                }
            }
        }
    }
    // The feedback factor's items (n = 4) and its complement's.
    assert!(suppressed >= 4, "{suppressed}");
    let feedback = r.items.iter().position(|i| i.n == 4).unwrap();
    assert_eq!(
        text(&s, 2 + u32::try_from(feedback).unwrap(), 18),
        t.st_small_n
    );
}

fn check_trend(bytes: &[u8], tr: &TrendView, lang: Lang) {
    let t = text::of(lang);
    let s = sheet(bytes, t.sheet_trend);
    assert_eq!(
        row_headers(&s, 1)[..12],
        [
            t.period,
            t.dossiers,
            t.responses,
            t.sipas,
            t.lower,
            t.upper,
            t.n,
            t.status,
            t.change,
            t.change_lower,
            t.change_upper,
            t.p_value
        ]
    );
    for (i, step) in tr.steps.iter().enumerate() {
        let row = 2 + u32::try_from(i).unwrap();
        assert_eq!(text(&s, row, 0), step.period);
        assert_eq!(number(&s, row, 1), step.invited as f64);
        assert_eq!(number(&s, row, 2), step.responses as f64);
        assert_figure(&s, row, 3, step.index.value, step.index.ci.as_ref());
        assert_eq!(number(&s, row, 6), step.index.n as f64);
        assert_eq!(text(&s, row, 7), status_text(lang, step.index.status, None));
        match &step.index.change {
            Some(c) => {
                assert_pct(&s, row, 8, c.value);
                assert_pct(&s, row, 9, c.ci.low);
                assert_pct(&s, row, 10, c.ci.high);
                assert!((number(&s, row, 11) - c.p_value).abs() < 1e-12);
            }
            None => {
                for col in 8..=11 {
                    assert!(is_empty(&s, row, col));
                }
            }
        }
    }
    // The suppressed quarter: no value, the status says why; the low one is flagged.
    assert_eq!(text(&s, 3, 7), t.st_small_n);
    assert!(is_empty(&s, 3, 3));
    assert_eq!(text(&s, 4, 7), t.st_low);
    assert!(tr.steps[3].index.change.is_none() || tr.steps[2].index.value.is_some());

    // The components' block: one row per component and step.
    let head = row_of(&s, 0, t.components_by_period) + 1;
    assert_eq!(text(&s, head, 1), t.component);
    let mut row = head + 1;
    for node in &tr.steps[0].nodes {
        for step in &tr.steps {
            let n = step.nodes.iter().find(|n| n.id == node.id).unwrap();
            assert_eq!(text(&s, row, 0), step.period);
            assert_eq!(text(&s, row, 2), n.id);
            assert_figure(&s, row, 3, n.value, n.ci.as_ref());
            row += 1;
        }
    }
}

fn check_package(bytes: &[u8]) {
    let files = zip_entries(bytes);
    let charts: Vec<&String> = files
        .keys()
        .filter(|k| k.starts_with("xl/charts/chart") && k.ends_with(".xml"))
        .collect();
    assert_eq!(charts.len(), 4, "{charts:?}");
    let all: String = charts.iter().map(|k| files[*k].as_str()).collect();
    // The component bars with custom (interval) error bars.
    assert!(all.contains("<c:barChart>"));
    assert!(all.contains("<c:errValType val=\"cust\"/>"));
    // The stacked distribution and the trend lines.
    assert!(all.contains("<c:grouping val=\"percentStacked\"/>"));
    assert_eq!(all.matches("<c:lineChart>").count(), 2);
    // One decimal percentages.
    assert!(files["xl/styles.xml"].contains("formatCode=\"0.0%\""));
    // Frozen header rows, landscape, one page wide, the header row on every page.
    for n in 1..=3 {
        let sheet = &files[&format!("xl/worksheets/sheet{n}.xml")];
        assert!(sheet.contains("state=\"frozen\""), "sheet{n}");
        assert!(sheet.contains("orientation=\"landscape\""), "sheet{n}");
        assert!(sheet.contains("fitToHeight=\"0\""), "sheet{n}");
        assert!(sheet.contains("<drawing "), "sheet{n} has no chart");
    }
    assert_eq!(
        files["xl/workbook.xml"]
            .matches("_xlnm.Print_Titles")
            .count(),
        4
    );
}

#[test]
fn the_vietnamese_report_carries_the_views_numbers() {
    let fx = fixture("vi");
    let bytes = build(&fx, Lang::Vi);
    assert_eq!(
        workbook(&bytes).sheet_names(),
        ["Tổng hợp", "Tiêu chí", "Xu hướng", "Nhận định, nhu cầu"]
    );
    check_summary(&bytes, &fx.result, Lang::Vi);
    check_items(&bytes, &fx.result, Lang::Vi);
    check_trend(&bytes, &fx.trend, Lang::Vi);
    check_indicators(&bytes, &fx.result, Lang::Vi);
    check_package(&bytes);

    // Vietnamese words with their diacritics, as written.
    let s = sheet(&bytes, "Tổng hợp");
    assert_eq!(text(&s, 1, 5), "Trạng thái");
    assert_eq!(text(&s, row_of(&s, 1, "Sở Tư pháp (STP)"), 0), "Cơ quan");
    let items = sheet(&bytes, "Tiêu chí");
    assert_eq!(text(&items, 1, 2), "Nội dung tiêu chí");
    assert_eq!(text(&items, 1, 3), "Tỷ lệ hài lòng");
    let hidden = row_of(&items, 18, "bị ẩn (n nhỏ)");
    assert!(is_empty(&items, hidden, 3));
    let trend = sheet(&bytes, "Xu hướng");
    assert_eq!(text(&trend, 1, 8), "Thay đổi so với kỳ trước (điểm %)");
    // Labels come from the form in Vietnamese.
    row_of(&s, 0, "Thủ tục hành chính");
}

#[test]
fn the_english_report_carries_the_views_numbers() {
    let fx = fixture("en");
    let bytes = build(&fx, Lang::En);
    assert_eq!(
        workbook(&bytes).sheet_names(),
        ["Summary", "Items", "Trend", "Perceptions, needs"]
    );
    check_summary(&bytes, &fx.result, Lang::En);
    check_items(&bytes, &fx.result, Lang::En);
    check_trend(&bytes, &fx.trend, Lang::En);
    check_indicators(&bytes, &fx.result, Lang::En);
    check_package(&bytes);
    let s = sheet(&bytes, "Summary");
    assert_eq!(text(&s, 1, 1), "Value");
    row_of(&s, 0, "Administrative procedure");
    row_of(&s, 5, "suppressed (small n)");
    row_of(&s, 5, "suppressed (complementary)");
    assert_eq!(
        text(&s, row_of(&s, 0, "Agency"), 1),
        "Department of Justice (STP)"
    );
}

#[test]
fn the_words_are_nfc_and_both_languages_have_every_one() {
    for lang in [Lang::Vi, Lang::En] {
        let t = text::of(lang);
        let words = [
            t.sheet_summary,
            t.sheet_items,
            t.sheet_trend,
            t.sheet_indicators,
            t.title_indicators,
            t.question,
            t.answer,
            t.answer_label,
            t.count,
            t.share_of_respondents,
            t.indicators_note,
            t.title_summary,
            t.measure,
            t.value,
            t.lower,
            t.upper,
            t.status,
            t.agency,
            t.invited,
            t.responses,
            t.invalid_returns,
            t.response_rate,
            t.sipas,
            t.par_points,
            t.d766,
            t.components,
            t.method,
            t.st_ok,
            t.st_low,
            t.st_small_n,
            t.st_complementary,
            t.st_no_data,
            t.criterion,
            t.share,
            t.change,
            t.trend_note,
            t.privacy_note,
        ];
        for w in words {
            assert!(!w.is_empty());
            assert_eq!(w.nfc().collect::<String>(), w, "{w}");
        }
        let fx = fixture(lang.code());
        for line in method::lines(
            lang,
            &fx.result.method,
            "sipas-2017",
            Some((DissatisfiedRule::AnyLow, false)),
            Some("par-province"),
        ) {
            assert_eq!(line.nfc().collect::<String>(), line);
        }
    }
    assert_eq!(text::VI.st_small_n, "bị ẩn (n nhỏ)");
    assert_eq!(text::EN.st_small_n, "suppressed (small n)");
    assert_eq!(text::number(Lang::Vi, 30.000000000000004), "30");
    assert_eq!(text::number(Lang::Vi, 2.25), "2,3");
    assert_eq!(text::number(Lang::En, 2.25), "2.3");
}

#[test]
fn a_trend_of_another_agency_or_version_is_refused() {
    let fx = fixture("vi");
    let mut other = fx.trend.clone();
    other.agency = "SYT".to_owned();
    assert!(matches!(
        agency_report(&fx.result, &other, Lang::Vi, generated()),
        Err(ReportError::Mismatch { .. })
    ));
    let mut other = fx.trend.clone();
    other.form.version += 1;
    assert!(matches!(
        agency_report(&fx.result, &other, Lang::Vi, generated()),
        Err(ReportError::Mismatch { .. })
    ));
}

#[test]
fn an_empty_trend_gives_a_trend_sheet_without_charts() {
    let fx = fixture("en");
    let mut empty = fx.trend.clone();
    empty.steps.clear();
    let bytes = agency_report(&fx.result, &empty, Lang::En, generated()).unwrap();
    let s = sheet(&bytes, "Trend");
    assert_eq!(text(&s, 2, 0), "no data");
    let files = zip_entries(&bytes);
    assert_eq!(
        files
            .keys()
            .filter(|k| k.starts_with("xl/charts/chart"))
            .count(),
        2
    );
}

#[test]
fn file_names_and_language_codes() {
    let fx = fixture("vi");
    assert_eq!(
        file_name(&fx.result),
        "sipas-STP-sipas-2017-v1-2026-Q2.xlsx"
    );
    let mut ranged = fx.result.clone();
    ranged.period = "2026-02/2026-05".to_owned();
    assert_eq!(
        file_name(&ranged),
        "sipas-STP-sipas-2017-v1-2026-02_2026-05.xlsx"
    );
    assert_eq!(
        sheet_names(Lang::Vi),
        ["Tổng hợp", "Tiêu chí", "Xu hướng", "Nhận định, nhu cầu"]
    );
}
