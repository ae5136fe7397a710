//! Results through the API: the synthetic respondents of `tests/vectors/respondents.csv` are
//! registered and answered like any citizen would, and `GET /api/v1/results`, `/rankings`,
//! `/par/scores` must give the figures of `composite_indices.json` (the tolerances of
//! `tests/vectors/README.md`; the API speaks percent, the vectors fractions). Also: suppression, who sees
//! what, CSV, empty periods, breakdowns by mode and procedure field, trends, and bad input.
//!
//! The dataset has 5 components of 5/4/6/3/4 items; `sipas-2017` has 5 factors of 4/5/6/3/4. The
//! index is the mean of the factors whatever their order, so the dataset's C1 (5 items) is
//! answered as the form's `procedure` (5 items) and C2 (4 items) as `access` (4 items); C3–C5
//! map in order onto `civil_servant`, `result`, `feedback`. Items map in order within each.

use sipas::error::ProblemCode;
use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};
use sipas::domain::auth::Role;
use sipas::persistence::aggregates;

use crate::helpers::{TestApp, assert_problem, spawn_app, spawn_app_with};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/");

/// docs/statistics.md §7, for values in percent: 1e-12 absolute on fractions.
const ABS: f64 = 1e-10;
/// Relative, for SEs and t-based bounds.
const REL: f64 = 1e-9;

/// Dataset component → sipas-2017 node.
const NODE_OF: [(&str, &str); 5] = [
    ("C1", "procedure"),
    ("C2", "access"),
    ("C3", "civil_servant"),
    ("C4", "result"),
    ("C5", "feedback"),
];

fn node_of(component: &str) -> &'static str {
    NODE_OF
        .iter()
        .find(|(c, _)| *c == component)
        .map(|(_, n)| *n)
        .unwrap()
}

fn channel_of(dataset: &str) -> &'static str {
    match dataset {
        "counter" => "in_person",
        "online" => "online",
        other => panic!("channel {other}"),
    }
}

fn vectors() -> Value {
    let path = format!("{VECTORS}composite_indices.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// One questionnaire of `respondents.csv`.
struct Row {
    agency: String,
    channel: String,
    answers: Vec<(String, Option<i64>)>,
}

fn respondents() -> Vec<Row> {
    let mut reader = csv::Reader::from_path(format!("{VECTORS}respondents.csv")).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let field = |name: &str| {
                r.get(header.iter().position(|h| h == name).unwrap())
                    .unwrap()
            };
            Row {
                agency: field("agency").to_owned(),
                channel: field("channel").to_owned(),
                answers: header
                    .iter()
                    .zip(r.iter())
                    .filter(|(h, _)| h.starts_with('C') && h.contains("_Q"))
                    .map(|(h, v)| (h.clone(), (!v.is_empty()).then(|| v.parse().unwrap())))
                    .collect(),
            }
        })
        .collect()
}

/// `(agency, dataset channel, N)` of `populations.csv`.
fn populations() -> Vec<(String, String, usize)> {
    let mut reader = csv::Reader::from_path(format!("{VECTORS}populations.csv")).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[1].to_owned(), r[2].to_owned(), r[3].parse().unwrap())
        })
        .collect()
}

/// Dataset item id → sipas-2017 question id, from the served form's index tree.
async fn item_map(app: &TestApp) -> HashMap<String, String> {
    let form: Value = app
        .get("/api/v1/forms/sipas-2017")
        .await
        .json()
        .await
        .unwrap();
    let nodes = form["index"]["children"].as_array().unwrap();
    let vectors = vectors();
    let mut map = HashMap::new();
    for c in vectors["dataset"]["components"].as_array().unwrap() {
        let code = c["code"].as_str().unwrap();
        let node = nodes.iter().find(|n| n["id"] == node_of(code)).unwrap();
        let questions = node["items"].as_array().unwrap();
        let items = c["items"].as_array().unwrap();
        assert_eq!(questions.len(), items.len(), "{code} ↔ {}", node_of(code));
        for (item, q) in items.iter().zip(questions) {
            map.insert(
                item.as_str().unwrap().to_owned(),
                q.as_str().unwrap().to_owned(),
            );
        }
    }
    assert_eq!(map.len(), 22);
    map
}

/// The last month of 2025-H1: closing it publishes every answer of [`completed_at`]'s months.
pub(crate) const LAST_MONTH: &str = "2025-06";

/// A completion time in 2025-H1, spread over its months.
fn completed_at(i: usize) -> String {
    format!("2025-{:02}-{:02}T10:00:00+07:00", 1 + i % 6, 1 + i % 28)
}

/// Registers `n` dossiers per `(agency, channel)` through the batch endpoint and returns their
/// survey tokens in order.
pub(crate) async fn register_many(
    app: &TestApp,
    key: &str,
    cells: &[(String, String, usize)],
    extra: impl Fn(&str, &str, usize) -> Value,
) -> HashMap<(String, String), Vec<String>> {
    let mut items = Vec::new();
    for (agency, channel, n) in cells {
        for i in 0..*n {
            let mut d = json!({
                "dossier_code": format!("{agency}-{channel}-{i}"),
                "agency_code": agency,
                "completed_at": completed_at(i),
                "channel": channel,
            });
            for (k, v) in extra(agency, channel, i).as_object().unwrap() {
                d[k] = v.clone();
            }
            items.push(((agency.clone(), channel.clone()), d));
        }
    }
    let mut tokens: HashMap<(String, String), Vec<String>> = HashMap::new();
    for chunk in items.chunks(5_000) {
        let body = json!({"dossiers": chunk.iter().map(|(_, d)| d.clone()).collect::<Vec<_>>()});
        let res = app
            .post_json(Some(key), "/api/v1/dossiers/batch", &body)
            .await;
        assert_eq!(res.status().as_u16(), 200);
        let out: Value = res.json().await.unwrap();
        for ((cell, _), r) in chunk.iter().zip(out["results"].as_array().unwrap()) {
            assert_eq!(r["status"], 201, "{r}");
            tokens
                .entry(cell.clone())
                .or_default()
                .push(r["survey_token"].as_str().unwrap().to_owned());
        }
    }
    tokens
}

/// Submits answers concurrently; returns the statuses in order.
pub(crate) async fn submit_all(app: &TestApp, submissions: Vec<(String, Value)>) -> Vec<u16> {
    let mut statuses = Vec::new();
    for chunk in submissions.chunks(32) {
        let mut set = tokio::task::JoinSet::new();
        for (i, (token, answers)) in chunk.iter().cloned().enumerate() {
            let client = app.client.clone();
            let url = app.url(&format!("/api/v1/surveys/{token}/response"));
            set.spawn(async move {
                let res = client
                    .post(url)
                    .json(&json!({"answers": answers}))
                    .send()
                    .await
                    .unwrap();
                (i, res.status().as_u16())
            });
        }
        let mut got: Vec<(usize, u16)> = set.join_all().await;
        got.sort();
        statuses.extend(got.into_iter().map(|(_, s)| s));
    }
    statuses
}

/// Province P with departments A01–A03 (the dataset's agencies), every completed dossier of
/// `populations.csv` registered, every questionnaire of `respondents.csv` submitted online.
/// Returns the admin key and the item map.
async fn load_vectors(app: &TestApp) -> (String, HashMap<String, String>) {
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "P", "province", None).await;
    for a in ["A01", "A02", "A03"] {
        app.create_agency(&admin, a, "department", Some("P")).await;
    }
    let map = item_map(app).await;
    let cells: Vec<(String, String, usize)> = populations()
        .into_iter()
        .map(|(a, c, n)| (a, channel_of(&c).to_owned(), n))
        .collect();
    let tokens = register_many(app, &admin, &cells, |_, _, _| json!({})).await;
    let mut next: HashMap<(String, String), usize> = HashMap::new();
    let mut submissions = Vec::new();
    let mut blank = Vec::new();
    for row in respondents() {
        let cell = (row.agency.clone(), channel_of(&row.channel).to_owned());
        let k = next.entry(cell.clone()).or_default();
        let token = tokens[&cell][*k].clone();
        *k += 1;
        let answers: serde_json::Map<String, Value> = row
            .answers
            .iter()
            .filter_map(|(item, v)| v.map(|v| (map[item].clone(), json!(v))))
            .collect();
        blank.push(answers.is_empty());
        submissions.push((token, Value::Object(answers)));
    }
    let statuses = submit_all(app, submissions).await;
    for (status, blank) in statuses.iter().zip(&blank) {
        // A questionnaire without an answered item is rejected online (§6 step 1's drop).
        assert_eq!(*status, if *blank { 422 } else { 201 });
    }
    assert_eq!(blank.iter().filter(|b| **b).count(), 2);
    (admin, map)
}

fn f(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// `got` (percent) equals `want` (fraction) within `ABS`.
fn abs_pct(ctx: &str, got: &Value, want: &Value) {
    match (f(got), f(want)) {
        (Some(g), Some(w)) => assert!(
            (g - 100.0 * w).abs() <= ABS,
            "{ctx}: got {g}, want {}",
            100.0 * w
        ),
        (None, None) => {}
        _ => panic!("{ctx}: got {got}, want {want}"),
    }
}

/// `got` (percent) equals `want` (fraction) within `REL`.
fn rel_pct(ctx: &str, got: &Value, want: &Value) {
    match (f(got), f(want)) {
        (Some(g), Some(w)) => {
            let w = 100.0 * w;
            assert!(
                (g - w).abs() <= REL * w.abs() + 1e-13,
                "{ctx}: got {g}, want {w}"
            );
        }
        (None, None) => {}
        _ => panic!("{ctx}: got {got}, want {want}"),
    }
}

fn ci_pct(ctx: &str, got: &Value, want: &Value) {
    rel_pct(&format!("{ctx} low"), &got["low"], &want[0]);
    rel_pct(&format!("{ctx} high"), &got["high"], &want[1]);
}

fn node<'a>(index: &'a Value, id: &str) -> &'a Value {
    if index["id"] == id {
        return index;
    }
    index["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no node {id}"))
}

fn item<'a>(result: &'a Value, question: &str) -> &'a Value {
    result["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["question_id"] == question)
        .unwrap()
}

/// Whether a published number's status is what the vector says, or the API suppressed it as a
/// complement (which the vectors, cell by cell, do not model). Returns whether to compare
/// values.
fn status_matches(ctx: &str, got: &Value, want: &Value) -> bool {
    let Some(want) = want.as_str() else {
        // The scenario has no statuses: the number must be published.
        assert_ne!(got["status"], "suppressed", "{ctx}: {got}");
        return true;
    };
    if got["status"] == "suppressed" && got["suppression"] == "complementary" {
        assert_ne!(want, "suppressed", "{ctx}");
        assert_eq!(got["value"], Value::Null, "{ctx}");
        return false;
    }
    assert_eq!(got["status"], want, "{ctx}: {got}");
    want != "suppressed"
}

/// Compares one API result (index, nodes, items) with one domain of a vectors scenario.
fn compare(ctx: &str, result: &Value, want: &Value, map: &HashMap<String, String>) -> usize {
    let mut checked = 0;
    let index = if result.get("index").is_some() {
        &result["index"]
    } else {
        result
    };
    let overall = &want["overall"];
    let ctx_root = format!("{ctx} overall");
    if status_matches(&ctx_root, index, &overall["status"]) {
        abs_pct(&ctx_root, &index["value"], &overall["index"]);
        rel_pct(&ctx_root, &index["se"], &overall["se_lin"]);
        rel_pct(&ctx_root, &index["moe"], &overall["moe"]);
        ci_pct(&ctx_root, &index["ci"], &overall["ci95_t"]);
        assert_eq!(index["n"], want["n_respondents"], "{ctx_root}");
        assert_eq!(index["ci"]["level"], 0.95);
        checked += 1;
    }
    for c in want["components"].as_array().unwrap() {
        let code = c["component"].as_str().unwrap();
        let got = node(index, node_of(code));
        let ctx = format!("{ctx} {code}");
        assert_eq!(got["n"], c["n_respondents_with_data"], "{ctx}");
        if status_matches(&ctx, got, &c["status"]) {
            abs_pct(&ctx, &got["value"], &c["index"]);
            rel_pct(&ctx, &got["se"], &c["se_lin"]);
            ci_pct(&ctx, &got["ci"], &c["ci95_t"]);
            checked += 1;
        } else {
            assert_eq!(got["ci"], Value::Null);
        }
    }
    for i in want["items"].as_array().unwrap() {
        let id = i["item"].as_str().unwrap();
        let got = item(result, &map[id]);
        let ctx = format!("{ctx} {id}");
        assert_eq!(got["n"], i["n_answered"], "{ctx}");
        if status_matches(&ctx, got, &i["status"]) {
            abs_pct(&ctx, &got["share"], &i["share"]);
            rel_pct(&ctx, &got["se"], &i["se_lin"]);
            let method = i["ci_default"].as_str().unwrap();
            ci_pct(&ctx, &got["ci"], &i["ci95"][method]);
            let counts = &got["counts"];
            let answered: u64 = (1..=5)
                .map(|l| counts[l.to_string()].as_u64().unwrap())
                .sum();
            assert_eq!(answered, i["n_answered"].as_u64().unwrap(), "{ctx}");
            let satisfied = counts["4"].as_u64().unwrap() + counts["5"].as_u64().unwrap();
            assert_eq!(satisfied, i["x_satisfied"].as_u64().unwrap(), "{ctx}");
            checked += 1;
        } else {
            assert_eq!(got["share"], Value::Null, "{ctx}");
            assert_eq!(got["counts"], Value::Null, "{ctx}");
            assert_eq!(got["mean"], Value::Null, "{ctx}");
        }
    }
    checked
}

const FORM: &str = "form=sipas-2017&period=2025-H1";

#[tokio::test]
async fn the_synthetic_respondents_give_the_vector_figures() {
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = 3650).await;
    let (admin, map) = load_vectors(&app).await;
    // The answers are published once their months (2025-01…2025-06) are closed.
    app.close_month(&admin, LAST_MONTH).await;
    let vectors = vectors();
    let scenarios = &vectors["scenarios"];
    let populations = populations();

    // One agency, each design.
    let mut checked = 0;
    for (design, scenario) in [
        ("", "agency_srs_fpc"),
        ("&design=srs_fpc", "agency_srs_fpc"),
        ("&design=srs", "agency_srs"),
        ("&design=stratified", "agency_stratified_weighted"),
    ] {
        for agency in ["A01", "A02", "A03"] {
            let path = format!("/api/v1/results?agency={agency}&{FORM}{design}");
            let r = app.get_json(&admin, &path).await;
            let want = &scenarios[scenario][agency];
            checked += compare(&format!("{scenario} {agency}"), &r, want, &map);
            assert_eq!(r["method"]["scenario"], scenario);
            assert_eq!(r["form"]["key"], "sipas-2017");
            assert_eq!(r["form"]["version"], 1);
            assert_eq!(r["form"]["version_choice"], "latest_with_data");
            assert_eq!(r["method"]["version"], 1);
            assert_eq!(r["period"], "2025-H1");
            assert_eq!(r["suppressed"], false);
            assert_eq!(r["method"]["df"], want["df"]);
            let invited: usize = populations
                .iter()
                .filter(|(a, _, _)| a == agency)
                .map(|p| p.2)
                .sum();
            assert_eq!(r["invited"], invited);
            assert_eq!(r["responses"], want["n_respondents"]);
            assert_eq!(r["invalid_returns"], 0);
            let rate = r["response_rate"].as_f64().unwrap();
            let n = want["n_respondents"].as_f64().unwrap();
            assert!((rate - 100.0 * n / invited as f64).abs() < 1e-12);
            if let Some(fpc) = want.get("fpc") {
                assert_eq!(fpc["N"], invited);
                assert_eq!(r["method"]["fpc"], true);
            }
            // PAR points: max_points × index at full precision, and rounded to 2 decimals.
            let value = r["index"]["value"].as_f64().unwrap();
            let exact = r["par"]["points_exact"].as_f64().unwrap();
            assert!((exact - value / 10.0).abs() < 1e-12, "{exact} vs {value}");
            let points = r["par"]["points"].as_f64().unwrap();
            assert!(
                (points - exact).abs() <= 0.005 + 1e-12,
                "{points} vs {exact}"
            );
            assert_eq!(points, (points * 100.0).round() / 100.0);
            assert_eq!(r["par"]["max_points"], 10.0);
            assert_eq!(r["par"]["scale_source"], "form");
            // Decision 766: counts always, the value only when enabled (off by default).
            assert_eq!(r["d766"]["D"], invited);
            assert_eq!(r["d766"]["D_rated"], want["n_respondents"]);
            assert_eq!(r["d766"]["value"], Value::Null);
            assert_eq!(r["d766"]["rule"], "mean_below_neutral");
        }
    }
    // 4 runs × 3 agencies × (1 + 5 + 22) numbers.
    assert_eq!(checked, 4 * 3 * 28);

    // The achieved margin (methodology §5.4) at p = 0.5 with the fpc.
    let r = app
        .get_json(&admin, &format!("/api/v1/results?agency=A01&{FORM}"))
        .await;
    let (n, big_n) = (230.0_f64, 6000.0_f64);
    let z = 1.959963984540054;
    let margin = 100.0 * z * (0.25 / n).sqrt() * ((big_n - n) / (big_n - 1.0)).sqrt();
    assert!((r["margin_of_error"]["worst_case"].as_f64().unwrap() - margin).abs() < 1e-9);
    // Labels in the requested language.
    assert_eq!(r["index"]["id"], "sipas");
    assert!(r["index"]["label"].as_str().unwrap().starts_with("Chỉ số"));
    let en = app
        .get_json(
            &admin,
            &format!("/api/v1/results?agency=A01&{FORM}&lang=en"),
        )
        .await;
    assert!(
        en["index"]["label"]
            .as_str()
            .unwrap()
            .starts_with("Satisfaction Index")
    );
    assert_eq!(en["index"]["value"], r["index"]["value"]);
    // Another level: a wider interval around the same value.
    let r99 = app
        .get_json(
            &admin,
            &format!("/api/v1/results?agency=A01&{FORM}&level=0.99"),
        )
        .await;
    assert_eq!(r99["index"]["ci"]["level"], 0.99);
    assert!(r99["index"]["ci"]["low"].as_f64() < r["index"]["ci"]["low"].as_f64());

    // The province: mean of its agencies (headline) vs mean_of_agency_indices (agency_srs).
    let p = app
        .get_json(
            &admin,
            &format!("/api/v1/results?agency=P&subtree=true&design=srs&{FORM}"),
        )
        .await;
    let mean = &vectors["mean_of_agency_indices"]["results"];
    let ctx = "mean_of_agency_indices";
    abs_pct(ctx, &p["index"]["value"], &mean["overall"]["index"]);
    rel_pct(ctx, &p["index"]["se"], &mean["overall"]["se"]);
    ci_pct(ctx, &p["index"]["ci"], &mean["overall"]["ci95_t"]);
    assert_eq!(p["method"]["df"], mean["overall"]["df"]);
    assert_eq!(p["method"]["aggregate"], "mean");
    assert_eq!(p["agencies_in_mean"], 3);
    assert_eq!(p["index"]["agencies"], 3);
    for (code, id) in NODE_OF {
        let got = node(&p["index"], id);
        abs_pct(code, &got["value"], &mean[code]["index"]);
        rel_pct(code, &got["se"], &mean[code]["se"]);
        ci_pct(code, &got["ci"], &mean[code]["ci95_t"]);
    }
    assert_eq!(p["responses"], 600);
    assert_eq!(p["invited"], populations.iter().map(|p| p.2).sum::<usize>());
    // The pooled figure beside it is the province_stratified_weighted scenario…
    let pooled = &scenarios["province_stratified_weighted"]["ALL"];
    abs_pct(
        "pooled",
        &p["index"]["pooled"]["value"],
        &pooled["overall"]["index"],
    );
    rel_pct(
        "pooled",
        &p["index"]["pooled"]["se"],
        &pooled["overall"]["se_lin"],
    );
    // … which is also the headline with aggregate=pooled.
    let pooled_result = app
        .get_json(
            &admin,
            &format!("/api/v1/results?agency=P&subtree=true&aggregate=pooled&{FORM}"),
        )
        .await;
    assert_eq!(
        compare("province_stratified_weighted", &pooled_result, pooled, &map),
        28
    );
    assert_eq!(pooled_result["method"]["design"], "pooled");

    // Rankings of the three agencies (agency_srs) vs the vectors' ranking.
    let ranking = app
        .get_json(
            &admin,
            &format!("/api/v1/rankings?parent=P&design=srs&{FORM}"),
        )
        .await;
    let want = &vectors["ranking"]["agencies"];
    let ranked = ranking["ranked"].as_array().unwrap();
    assert_eq!(ranked.len(), 3, "{ranking}");
    for (got, w) in ranked.iter().zip(want["ranks"].as_array().unwrap()) {
        assert_eq!(got["agency_code"], w["unit"]);
        assert_eq!(got["rank"], w["rank"]);
        assert_eq!(got["rank_low"], w["rank_interval"][0]);
        assert_eq!(got["rank_high"], w["rank_interval"][1]);
        abs_pct("rank", &got["value"], &w["index"]);
        rel_pct("rank", &got["se"], &w["se"]);
    }
    let z_joint = ranking["z_joint"].as_f64().unwrap();
    let want_z = want["conventions"]["z_bonferroni"].as_f64().unwrap();
    assert!(
        (z_joint - want_z).abs() <= REL * want_z,
        "{z_joint} vs {want_z}"
    );
    assert!(ranking["not_ranked"].as_array().unwrap().is_empty());
    // The default design ranks the same way.
    let default = app
        .get_json(&admin, &format!("/api/v1/rankings?parent=P&{FORM}"))
        .await;
    let order = |r: &Value| -> Vec<Value> {
        r["ranked"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["agency_code"].clone())
            .collect()
    };
    assert_eq!(order(&default), order(&ranking));

    // Breakdown by channel: cells by cell_srs, with complementary suppression on top.
    for agency in ["A01", "A02", "A03"] {
        let r = app
            .get_json(
                &admin,
                &format!("/api/v1/results?agency={agency}&{FORM}&by=channel"),
            )
            .await;
        assert_eq!(r["breakdown"]["by"], "channel");
        assert_eq!(r["method"]["cell_design"], "cell_srs");
        let cells = r["breakdown"]["cells"].as_array().unwrap();
        assert_eq!(cells.len(), 2);
        for cell in cells {
            let channel = if cell["key"] == "in_person" {
                "counter"
            } else {
                "online"
            };
            let name = format!("{agency}:{channel}");
            let want = &scenarios["cell_srs"][&name];
            let n = populations
                .iter()
                .find(|(a, c, _)| a == agency && c == channel)
                .unwrap()
                .2;
            assert_eq!(cell["invited"], n);
            compare(&format!("cell_srs {name}"), cell, want, &map);
        }
    }
    // A03:online (n = 12): its feedback factor (4 respondents) is suppressed, and so is one
    // more factor, or it could be computed from the index; in A03:counter the same two factors
    // are suppressed, or A03's totals minus the counter would give the online cell back.
    let r = app
        .get_json(
            &admin,
            &format!("/api/v1/results?agency=A03&{FORM}&by=channel"),
        )
        .await;
    let cells = r["breakdown"]["cells"].as_array().unwrap();
    let online = cells.iter().find(|c| c["key"] == "online").unwrap();
    let counter = cells.iter().find(|c| c["key"] == "in_person").unwrap();
    assert_eq!(online["index"]["status"], "low_reliability");
    assert_eq!(node(&online["index"], "feedback")["suppression"], "small_n");
    let hidden = |cell: &Value| -> Vec<String> {
        cell["index"]["children"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "suppressed")
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(hidden(online).len(), 2, "{online}");
    assert_eq!(hidden(counter), hidden(online));
    assert_eq!(item(online, "s19")["counts"], Value::Null);
    assert_eq!(item(counter, "s19")["suppression"], "complementary");
    // The agency's own figures stay published.
    assert_eq!(node(&r["index"], "feedback")["status"], "ok");

    // PAR scores of the departments: the default result of each, in PAR terms; CSV the same.
    let pipeline = app.create_key(Role::Pipeline, None).await;
    let par = app
        .get_json(
            &pipeline,
            &format!("/api/v1/par/scores?{FORM}&kind=department"),
        )
        .await;
    assert_eq!(par["edition"], "par-province");
    assert_eq!(par["period"], "2025-H1");
    let scores = par["scores"].as_array().unwrap();
    assert_eq!(scores.len(), 3);
    for s in scores {
        let agency = s["agency_code"].as_str().unwrap();
        let want = &scenarios["agency_srs_fpc"][agency];
        abs_pct(agency, &s["sipas"], &want["overall"]["index"]);
        ci_pct(agency, &s["ci"], &want["overall"]["ci95_t"]);
        let exact = s["points_exact"].as_f64().unwrap();
        assert!((exact - s["sipas"].as_f64().unwrap() / 10.0).abs() < 1e-12);
        let points = s["points"].as_f64().unwrap();
        assert!(
            (points - exact).abs() <= 0.005 + 1e-12,
            "{points} vs {exact}"
        );
        assert_eq!(s["n"], want["n_respondents"]);
        assert_eq!(s["D_rated"], want["n_respondents"]);
        assert_eq!(s["form_key"], "sipas-2017");
        assert_eq!(s["form_version"], 1);
    }
    let res = app
        .client
        .get(app.url(&format!("/api/v1/par/scores?{FORM}&kind=department")))
        .bearer_auth(&pipeline)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = res.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header[..3], ["agency_code", "agency_kind", "form_key"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (row, s) in rows.iter().zip(scores) {
        assert_eq!(&row[col("agency_code")], s["agency_code"].as_str().unwrap());
        let sipas: f64 = row[col("sipas")].parse().unwrap();
        assert_eq!(
            sipas,
            s["sipas"].as_f64().unwrap(),
            "CSV keeps full precision"
        );
        assert_eq!(row[col("invited")], s["invited"].to_string());
    }

    // Trend by quarter over the half: Q1 and Q2 split the respondents, with a change.
    let t = app
        .get_json(
            &admin,
            "/api/v1/results/trend?agency=A01&form=sipas-2017&period=2025-H1&step=quarter",
        )
        .await;
    let steps = t["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0]["period"], "2025-Q1");
    assert_eq!(steps[1]["period"], "2025-Q2");
    let total: u64 = steps.iter().map(|s| s["responses"].as_u64().unwrap()).sum();
    assert_eq!(total, 230);
    assert_eq!(steps[0]["index"]["change"], Value::Null);
    let change = &steps[1]["index"]["change"];
    let (v1, v0) = (
        steps[1]["index"]["value"].as_f64().unwrap(),
        steps[0]["index"]["value"].as_f64().unwrap(),
    );
    assert!((change["value"].as_f64().unwrap() - (v1 - v0)).abs() < 1e-9);
    let (s1, s0) = (
        steps[1]["index"]["se"].as_f64().unwrap(),
        steps[0]["index"]["se"].as_f64().unwrap(),
    );
    assert!((change["se"].as_f64().unwrap() - s1.hypot(s0)).abs() < 1e-9);
    let half = change["ci"]["high"].as_f64().unwrap() - change["value"].as_f64().unwrap();
    assert!((half - z * s1.hypot(s0)).abs() < 1e-9);
    assert_eq!(steps[1]["nodes"].as_array().unwrap().len(), 5);
    assert!(steps[1]["nodes"][0]["change"]["value"].is_f64());
}

/// Province T with departments S1 (the subject) and S2 (a sibling); K apart. Registers `n`
/// dossiers of S1 completed in 2025-H1 ([`completed_at`]), answers `answered` of them with
/// `level(i, j)` for item j of s1..s22 (None: blank), optionally with extra registration fields.
/// The answers stay pending until their months are closed (`app.close_month`).
pub(crate) async fn small_setup(
    app: &TestApp,
    n: usize,
    answered: usize,
    level: impl Fn(usize, usize) -> Option<i64>,
    extra: impl Fn(&str, &str, usize) -> Value,
) -> (String, Vec<String>) {
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "T", "province", None).await;
    app.create_agency(&admin, "S1", "department", Some("T"))
        .await;
    app.create_agency(&admin, "S2", "department", Some("T"))
        .await;
    app.create_agency(&admin, "K", "province", None).await;
    let tokens = register_many(app, &admin, &[("S1".into(), "online".into(), n)], extra).await;
    let tokens = tokens[&("S1".to_owned(), "online".to_owned())].clone();
    let submissions = tokens
        .iter()
        .take(answered)
        .enumerate()
        .map(|(i, t)| {
            let answers: serde_json::Map<String, Value> = (0..22)
                .filter_map(|j| level(i, j).map(|l| (format!("s{}", j + 1), json!(l))))
                .collect();
            (t.clone(), Value::Object(answers))
        })
        .collect();
    for s in submit_all(app, submissions).await {
        assert_eq!(s, 201);
    }
    (admin, tokens)
}

pub(crate) fn app_with_long_links() -> impl FnOnce(&mut sipas::config::Settings) {
    |s| s.surveys.token_ttl_days = 3650
}

/// Enters a paper questionnaire with every scale item at `level` for the dossier `code` of
/// `agency` (for a closed month: a late entry, published at once) and asserts the 201.
async fn enter_paper(app: &TestApp, key: &str, (agency, code): (&str, &str), level: i64) {
    let mut answers: serde_json::Map<String, Value> =
        (1..=22).map(|j| (format!("s{j}"), json!(level))).collect();
    answers.insert("p1".into(), json!("three_plus"));
    answers.insert("e1".into(), json!(["online_services"]));
    let body = json!({
        "dossier_code": code,
        "form_key": "sipas-2017",
        "mode": "paper",
        "answers": answers,
        "collected_on": "2025-07-01",
    });
    let res = app
        .post_json(
            Some(key),
            &format!("/api/v1/agencies/{agency}/responses"),
            &body,
        )
        .await;
    assert_eq!(res.status().as_u16(), 201, "{}", res.text().await.unwrap());
}

#[tokio::test]
async fn a_tiny_agency_is_suppressed_and_a_small_one_flagged() {
    let app = spawn_app_with(app_with_long_links()).await;
    let (admin, _) = small_setup(
        &app,
        40,
        6,
        |i, j| Some(1 + ((i + j) % 5) as i64),
        |_, _, _| json!({}),
    )
    .await;
    app.close_month(&admin, LAST_MONTH).await;
    let r = app
        .get_json(
            &admin,
            "/api/v1/results?agency=S1&form=sipas-2017&period=2025",
        )
        .await;
    assert_eq!(r["responses"], 6);
    assert_eq!(r["invited"], 40);
    assert_eq!(r["suppressed"], true);
    assert_eq!(r["index"]["status"], "suppressed");
    assert_eq!(r["index"]["suppression"], "small_n");
    for key in ["value", "ci", "se", "moe"] {
        assert_eq!(r["index"][key], Value::Null, "{key}");
    }
    assert_eq!(r["index"]["n"], 6);
    for i in r["items"].as_array().unwrap() {
        assert_eq!(i["status"], "suppressed");
        assert_eq!(i["share"], Value::Null);
        assert_eq!(i["counts"], Value::Null);
        assert_eq!(i["mean"], Value::Null);
    }
    for c in r["index"]["children"].as_array().unwrap() {
        assert_eq!(c["value"], Value::Null);
    }
    assert_eq!(r["par"]["points"], Value::Null);
    assert_eq!(r["margin_of_error"]["at_index"], Value::Null);
    assert!(r["margin_of_error"]["worst_case"].is_f64());

    // The PAR export carries the counts but not the value.
    let par = app
        .get_json(
            &admin,
            "/api/v1/par/scores?form=sipas-2017&period=2025&kind=department",
        )
        .await;
    let s1 = par["scores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["agency_code"] == "S1")
        .unwrap();
    assert_eq!(s1["sipas"], Value::Null);
    assert_eq!(s1["status"], "suppressed");
    assert_eq!(s1["n"], 6);
    assert_eq!(s1["invited"], 40);
    // The sibling without data is listed too.
    assert!(
        par["scores"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["agency_code"] == "S2")
    );

    // Rankings list it apart, without its value.
    let ranking = app
        .get_json(
            &admin,
            "/api/v1/rankings?parent=T&form=sipas-2017&period=2025",
        )
        .await;
    assert!(ranking["ranked"].as_array().unwrap().is_empty());
    let apart = ranking["not_ranked"].as_array().unwrap();
    assert_eq!(apart.len(), 2);
    assert_eq!(apart[0]["agency_code"], "S1");
    assert_eq!(apart[0]["value"], Value::Null);
    assert_eq!(apart[0]["status"], "suppressed");
}

#[tokio::test]
async fn a_small_agency_is_published_with_a_low_reliability_flag() {
    let app = spawn_app_with(app_with_long_links()).await;
    let (admin, _) = small_setup(
        &app,
        30,
        15,
        |i, j| Some(if (i * 3 + j) % 4 == 0 { 2 } else { 5 }),
        |_, _, _| json!({}),
    )
    .await;
    app.close_month(&admin, LAST_MONTH).await;
    let r = app
        .get_json(
            &admin,
            "/api/v1/results?agency=S1&form=sipas-2017&period=2025",
        )
        .await;
    assert_eq!(r["responses"], 15);
    assert_eq!(r["suppressed"], false);
    assert_eq!(r["index"]["status"], "low_reliability");
    assert!(r["index"]["value"].is_f64());
    let counts = &item(&r, "s1")["counts"];
    assert_eq!(
        (1..=5)
            .map(|l| counts[l.to_string()].as_u64().unwrap())
            .sum::<u64>(),
        15
    );
    // The thresholds applied are those of the configuration.
    assert_eq!(r["method"]["thresholds"]["suppress_below"], 10);
    assert_eq!(r["method"]["thresholds"]["low_reliability_below"], 30);
    assert_eq!(r["method"]["thresholds"]["max_ci_width"], 30.0);
    let ranking = app
        .get_json(
            &admin,
            "/api/v1/rankings?parent=T&form=sipas-2017&period=2025",
        )
        .await;
    let apart = ranking["not_ranked"].as_array().unwrap();
    assert_eq!(apart[0]["status"], "low_reliability");
    assert!(apart[0]["value"].is_f64(), "flagged, not hidden: {ranking}");
}

#[tokio::test]
async fn agency_keys_read_their_subtree_only() {
    let app = spawn_app_with(app_with_long_links()).await;
    let (admin, _) = small_setup(&app, 20, 12, |_, _| Some(4), |_, _, _| json!({})).await;
    let q = "form=sipas-2017&period=2025";
    let s1 = app.create_key(Role::Agency, Some("S1")).await;
    let s2 = app.create_key(Role::Agency, Some("S2")).await;
    let t = app.create_key(Role::Agency, Some("T")).await;
    let pipeline = app.create_key(Role::Pipeline, None).await;

    app.get_json(&s1, &format!("/api/v1/results?agency=S1&{q}"))
        .await;
    app.get_json(&t, &format!("/api/v1/results?agency=S1&{q}"))
        .await;
    app.get_json(&t, &format!("/api/v1/results?agency=T&subtree=true&{q}"))
        .await;
    app.get_json(&pipeline, &format!("/api/v1/results?agency=S1&{q}"))
        .await;
    // A sibling's key, and a key asking about its parent: 403.
    for (key, agency) in [(&s2, "S1"), (&s1, "T"), (&s1, "K")] {
        let res = app
            .get_as(key, &format!("/api/v1/results?agency={agency}&{q}"))
            .await;
        assert_problem(res, ProblemCode::Forbidden).await;
    }
    // An unknown code: 403 to an agency key (it cannot probe), 422 to keys that see all.
    let res = app
        .get_as(&s1, &format!("/api/v1/results?agency=NOPE&{q}"))
        .await;
    assert_problem(res, ProblemCode::Forbidden).await;
    let res = app
        .get_as(&admin, &format!("/api/v1/results?agency=NOPE&{q}"))
        .await;
    let body = assert_problem(res, ProblemCode::UnknownAgency).await;
    assert_eq!(body["errors"][0]["field"], "agency");
    // Rankings of a parent outside the subtree, trends too.
    let res = app
        .get_as(&s1, &format!("/api/v1/rankings?parent=T&{q}"))
        .await;
    assert_problem(res, ProblemCode::Forbidden).await;
    app.get_json(&t, &format!("/api/v1/rankings?parent=T&{q}"))
        .await;
    let res = app
        .get_as(
            &s2,
            "/api/v1/results/trend?agency=S1&form=sipas-2017&from=2025-01&to=2025-06",
        )
        .await;
    assert_problem(res, ProblemCode::Forbidden).await;
    // No key at all.
    assert_problem(
        app.get(&format!("/api/v1/results?agency=S1&{q}")).await,
        ProblemCode::Unauthorized,
    )
    .await;

    // PAR scores: the pipeline and admins only.
    for key in [&s1, &t] {
        let res = app.get_as(key, &format!("/api/v1/par/scores?{q}")).await;
        assert_problem(res, ProblemCode::Forbidden).await;
    }
    app.get_json(&pipeline, &format!("/api/v1/par/scores?{q}"))
        .await;
    let res = app
        .get_as(&pipeline, &format!("/api/v1/par/scores?{q}&format=csv"))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let text = res.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Header + T, S1, S2, K.
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[0].starts_with("agency_code,agency_kind,form_key,form_version,period"));
}

#[tokio::test]
async fn a_period_without_data_is_empty_not_an_error() {
    let app = spawn_app_with(app_with_long_links()).await;
    let (admin, _) = small_setup(&app, 20, 12, |_, _| Some(5), |_, _, _| json!({})).await;
    app.close_month(&admin, LAST_MONTH).await;
    let r = app
        .get_json(
            &admin,
            "/api/v1/results?agency=S1&form=sipas-2017&period=2024",
        )
        .await;
    assert_eq!(r["responses"], 0);
    assert_eq!(r["invited"], 0);
    assert_eq!(r["response_rate"], Value::Null);
    assert_eq!(r["index"]["value"], Value::Null);
    assert_eq!(r["index"]["ci"], Value::Null);
    assert_eq!(r["form"]["version"], 1);
    assert_eq!(r["form"]["version_choice"], "current");
    assert!(
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["share"].is_null())
    );
    assert_eq!(r["d766"]["D"], 0);
    let r = app
        .get_json(
            &admin,
            "/api/v1/results?agency=S1&form=sipas-2017&period=2025&version=1",
        )
        .await;
    assert_eq!(r["form"]["version_choice"], "requested");
    assert_eq!(r["method"]["version"], 1);
    assert_eq!(r["responses"], 12);
    // A range works the same, and a month with dossiers but no answers has invited > 0.
    let r = app
        .get_json(
            &admin,
            "/api/v1/results?agency=S2&form=sipas-2017&from=2025-01&to=2025-12&subtree=true",
        )
        .await;
    assert_eq!(r["responses"], 0);
    assert_eq!(r["agencies_in_mean"], 0);
    let t = app
        .get_json(
            &admin,
            "/api/v1/results/trend?agency=S1&form=sipas-2017&from=2024-11&to=2025-02&step=month",
        )
        .await;
    let steps = t["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 4);
    assert_eq!(steps[0]["responses"], 0);
    assert_eq!(steps[0]["index"]["value"], Value::Null);
}

#[tokio::test]
async fn bad_parameters_are_422_naming_the_parameter() {
    let app = spawn_app().await;
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "T", "province", None).await;
    let base = "/api/v1/results?agency=T&form=sipas-2017&period=2025";
    let cases = [
        (
            "/api/v1/results?form=sipas-2017&period=2025",
            ProblemCode::ValidationFailed,
            "agency",
            "missing",
        ),
        (
            "/api/v1/results?agency=T&period=2025",
            ProblemCode::ValidationFailed,
            "form",
            "missing",
        ),
        (
            "/api/v1/results?agency=T&form=nope&period=2025",
            ProblemCode::UnknownForm,
            "form",
            "unknown_form",
        ),
        (
            &format!("{base}&version=9"),
            ProblemCode::UnknownForm,
            "version",
            "unknown_form",
        ),
        (
            &format!("{base}&version=x"),
            ProblemCode::ValidationFailed,
            "version",
            "invalid_value",
        ),
        (
            "/api/v1/results?agency=T&form=sipas-2017&period=2025-Q5",
            ProblemCode::ValidationFailed,
            "period",
            "invalid_period",
        ),
        (
            "/api/v1/results?agency=T&form=sipas-2017",
            ProblemCode::ValidationFailed,
            "period",
            "missing",
        ),
        (
            "/api/v1/results?agency=T&form=sipas-2017&from=2025-05&to=2025-01",
            ProblemCode::ValidationFailed,
            "to",
            "range_reversed",
        ),
        (
            "/api/v1/results?agency=T&form=sipas-2017&from=2025-5&to=2025-07",
            ProblemCode::ValidationFailed,
            "from",
            "invalid_month",
        ),
        (
            &format!("{base}&by=agency"),
            ProblemCode::ValidationFailed,
            "by",
            "unknown_dimension",
        ),
        (
            &format!("{base}&design=cluster"),
            ProblemCode::ValidationFailed,
            "design",
            "invalid_value",
        ),
        (
            &format!("{base}&aggregate=max"),
            ProblemCode::ValidationFailed,
            "aggregate",
            "invalid_value",
        ),
        (
            &format!("{base}&level=0.8"),
            ProblemCode::ValidationFailed,
            "level",
            "invalid_value",
        ),
        (
            &format!("{base}&lang=fr"),
            ProblemCode::ValidationFailed,
            "lang",
            "unsupported_language",
        ),
        (
            &format!("{base}&subtree=yes"),
            ProblemCode::ValidationFailed,
            "subtree",
            "invalid_value",
        ),
        (
            "/api/v1/results?agency=a%20b&form=sipas-2017&period=2025",
            ProblemCode::ValidationFailed,
            "agency",
            "invalid_format",
        ),
        (
            "/api/v1/results/trend?agency=T&form=sipas-2017&period=2025&step=week",
            ProblemCode::ValidationFailed,
            "step",
            "invalid_value",
        ),
        (
            "/api/v1/rankings?form=sipas-2017&period=2025",
            ProblemCode::ValidationFailed,
            "parent",
            "missing",
        ),
        (
            "/api/v1/rankings?parent=NOPE&form=sipas-2017&period=2025",
            ProblemCode::UnknownAgency,
            "parent",
            "unknown_agency",
        ),
        (
            "/api/v1/par/scores?form=sipas-2017&period=2025&kind=village",
            ProblemCode::ValidationFailed,
            "kind",
            "invalid_value",
        ),
        (
            "/api/v1/par/scores?form=sipas-2017&period=2025&format=xml",
            ProblemCode::ValidationFailed,
            "format",
            "invalid_value",
        ),
    ];
    for (path, code, field, field_code) in cases {
        let body = assert_problem(app.get_as(&admin, path).await, code).await;
        assert_eq!(body["errors"][0]["field"], field, "{path}: {body}");
        assert_eq!(body["errors"][0]["code"], field_code, "{path}: {body}");
    }
}

#[tokio::test]
async fn breakdowns_by_mode_and_procedure_field_add_up_to_the_total() {
    let app = spawn_app_with(app_with_long_links()).await;
    let fields = ["Đất đai", "Hộ tịch"];
    let (admin, _) = small_setup(
        &app,
        60,
        45,
        |i, j| Some(if (i + 2 * j) % 5 == 0 { 3 } else { 4 }),
        |_, _, i| {
            if i % 3 == 2 {
                json!({})
            } else {
                json!({"procedure_field": fields[i % 3]})
            }
        },
    )
    .await;
    // Five paper questionnaires for S1 dossiers registered in person.
    let tokens = register_many(
        &app,
        &admin,
        &[("S1".into(), "in_person".into(), 5)],
        |_, _, _| json!({"procedure_field": "Đất đai"}),
    )
    .await;
    assert_eq!(tokens.len(), 1);
    for i in 0..5 {
        let answers: serde_json::Map<String, Value> =
            (1..=22).map(|j| (format!("s{j}"), json!(5))).collect();
        let body = json!({
            "dossier_code": format!("S1-in_person-{i}"),
            "form_key": "sipas-2017",
            "mode": "paper",
            "answers": answers,
            "collected_on": "2025-07-01",
        });
        let res = app
            .post_json(Some(&admin), "/api/v1/agencies/S1/responses", &body)
            .await;
        assert_eq!(res.status().as_u16(), 201, "{}", res.text().await.unwrap());
    }
    app.close_month(&admin, LAST_MONTH).await;
    let base = "/api/v1/results?agency=S1&form=sipas-2017&period=2025";
    let total = app.get_json(&admin, base).await;
    assert_eq!(total["responses"], 50);
    for (by, keys) in [
        ("mode", vec![json!("paper"), json!("web")]),
        (
            "procedure_field",
            vec![Value::Null, json!("Hộ tịch"), json!("Đất đai")],
        ),
        ("channel", vec![json!("in_person"), json!("online")]),
    ] {
        let r = app.get_json(&admin, &format!("{base}&by={by}")).await;
        let cells = r["breakdown"]["cells"].as_array().unwrap();
        let got: Vec<Value> = cells.iter().map(|c| c["key"].clone()).collect();
        assert_eq!(got, keys, "{by}");
        let responses: u64 = cells.iter().map(|c| c["responses"].as_u64().unwrap()).sum();
        assert_eq!(responses, 50, "{by}");
        // Published counts of the cells add up to the total's.
        for j in 1..=22 {
            let id = format!("s{j}");
            let mut sum = BTreeMap::new();
            let mut all = true;
            for c in cells {
                match item(c, &id)["counts"].as_object() {
                    Some(counts) => {
                        for (l, n) in counts {
                            *sum.entry(l.clone()).or_insert(0) += n.as_u64().unwrap();
                        }
                    }
                    None => all = false,
                }
            }
            if all {
                let want: BTreeMap<String, u64> = item(&total, &id)["counts"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(l, n)| (l.clone(), n.as_u64().unwrap()))
                    .collect();
                assert_eq!(sum, want, "{by} {id}");
            }
        }
        // The paper cell has 5 respondents: suppressed, and one other cell with it.
        if by == "mode" {
            let paper = &cells[0];
            assert_eq!(paper["suppressed"], true);
            assert_eq!(paper["index"]["suppression"], "small_n");
            assert_eq!(cells[1]["suppressed"], true);
            assert_eq!(cells[1]["index"]["suppression"], "complementary");
            assert_eq!(cells[1]["invited"], Value::Null);
        }
    }
}

#[tokio::test]
async fn the_766_ratio_follows_the_configured_rule() {
    let app = spawn_app_with(|s| {
        s.surveys.token_ttl_days = 3650;
        s.indicators.d766.enabled = true;
        s.indicators.d766.dissatisfied_rule = sipas::domain::aggregates::DissatisfiedRule::AnyLow;
    })
    .await;
    // 20 dossiers, 12 answered: every fourth answer set has one item at 1.
    let (admin, _) = small_setup(
        &app,
        20,
        12,
        |i, j| Some(if i % 4 == 0 && j == 0 { 1 } else { 4 }),
        |_, _, _| json!({}),
    )
    .await;
    app.close_month(&admin, LAST_MONTH).await;
    let r = app
        .get_json(
            &admin,
            "/api/v1/results?agency=S1&form=sipas-2017&period=2025",
        )
        .await;
    let d = &r["d766"];
    assert_eq!(d["rule"], "any_low");
    assert_eq!(d["enabled"], true);
    assert_eq!(
        (d["D"].as_u64(), d["D_rated"].as_u64(), d["D_dis"].as_u64()),
        (Some(20), Some(12), Some(3))
    );
    assert!((d["value"].as_f64().unwrap() - 100.0 * 17.0 / 20.0).abs() < 1e-12);
}

#[tokio::test]
async fn the_openapi_document_describes_the_results_endpoints() {
    let app = spawn_app().await;
    let doc: Value = app
        .get("/api-docs/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/results",
        "/api/v1/results/trend",
        "/api/v1/rankings",
        "/api/v1/par/scores",
    ] {
        assert!(doc["paths"][path]["get"].is_object(), "{path}");
    }
    let par = &doc["paths"]["/api/v1/par/scores"]["get"]["responses"]["200"]["content"];
    assert!(
        par["text/csv"].is_object() && par["application/json"].is_object(),
        "{par}"
    );
    let schemas = &doc["components"]["schemas"];
    for name in [
        "ResultView",
        "NodeView",
        "ItemView",
        "MethodView",
        "RankingView",
        "ParScoresView",
        "TrendView",
        "NumberStatus",
    ] {
        assert!(schemas[name].is_object(), "schema {name} missing");
    }
}

/// `sipas_breakdowns_total{cache="…"}` from `/metrics`.
async fn breakdowns_served(app: &TestApp, cache: &str) -> u64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    let prefix = format!("sipas_breakdowns_total{{cache=\"{cache}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("{prefix} in {text}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn every_view_changes_at_once_with_a_late_dossier_or_response_and_only_then() {
    let app = spawn_app_with(app_with_long_links()).await;
    let (admin, tokens) = small_setup(
        &app,
        40,
        30,
        |i, j| Some(1 + ((i * 3 + j) % 5) as i64),
        |_, _, _| json!({}),
    )
    .await;
    app.close_month(&admin, LAST_MONTH).await;
    let paths = [
        "/api/v1/results?agency=S1&form=sipas-2017&period=2025",
        "/api/v1/results?agency=T&form=sipas-2017&period=2025&subtree=true&by=mode",
        "/api/v1/results/trend?agency=T&form=sipas-2017&from=2025-01&to=2025-06&step=month&subtree=true",
        "/api/v1/rankings?parent=T&form=sipas-2017&period=2025",
        "/api/v1/par/scores?form=sipas-2017&period=2025",
    ];
    let mut first = Vec::new();
    for p in paths {
        first.push(app.get_json(&admin, p).await);
    }
    // Computed again from the roll-ups: the same; the breakdown by mode is the one kept.
    let hits = breakdowns_served(&app, "hit").await;
    for (p, before) in paths.iter().zip(&first) {
        assert_eq!(&app.get_json(&admin, p).await, before, "{p}");
    }
    assert_eq!(breakdowns_served(&app, "hit").await, hits + 1, "kept");
    let en = app
        .get_json(&admin, &format!("{}&level=0.90&lang=en", paths[0]))
        .await;
    assert_eq!(en["method"]["level"], 0.9);

    // A new dossier (of a closed month: January) changes what it counts in, at once.
    register_many(
        &app,
        &admin,
        &[("S1".into(), "in_person".into(), 1)],
        |_, _, _| json!({}),
    )
    .await;
    assert_eq!(first[0]["invited"], 40);
    let r = app.get_json(&admin, paths[0]).await;
    assert_eq!(r["invited"], 41);
    assert_eq!(r["responses"], first[0]["responses"]);

    // An answer through a link of a closed month is refused and changes nothing: served again.
    let answers: serde_json::Map<String, Value> =
        (1..=22).map(|j| (format!("s{j}"), json!(5))).collect();
    let refused = submit_all(&app, vec![(tokens[31].clone(), Value::Object(answers))]).await;
    assert_eq!(refused, [410]);
    assert_eq!(app.get_json(&admin, paths[0]).await, r);

    // A new response changes them: late paper entries for dossiers of closed months change the
    // agency's result, the subtree's breakdown, trend, ranking and PAR row.
    enter_paper(&app, &admin, ("S1", "S1-online-30"), 5).await;
    enter_paper(&app, &admin, ("S1", "S1-in_person-0"), 5).await;
    let after: Vec<Value> = {
        let mut v = Vec::new();
        for p in paths {
            v.push(app.get_json(&admin, p).await);
        }
        v
    };
    assert_eq!(after[0]["responses"], 32);
    assert_ne!(after[0]["index"]["value"], first[0]["index"]["value"]);
    assert_eq!(after[1]["responses"], 32);
    assert_ne!(after[1]["breakdown"], first[1]["breakdown"]);
    assert_ne!(after[2], first[2], "the trend");
    assert_ne!(after[3], first[3], "the ranking");
    let n = |par: &Value| {
        par["scores"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["agency_code"] == "S1")
            .unwrap()["n"]
            .clone()
    };
    assert_eq!(n(&first[4]), 30);
    assert_eq!(n(&after[4]), 32);
}

/// The roll-ups kept up to date at every change give what a rebuild computes from the raw rows:
/// after closing months, a late registration, late entries and a rebuild, every kind of view —
/// and every stored roll-up — is the same, bit for bit, before and after `scores rebuild`.
#[tokio::test]
async fn every_view_equals_a_rebuilds_after_every_change() {
    let app = spawn_app_with(app_with_long_links()).await;
    let fields = ["Đất đai", "Hộ tịch", "Xây dựng"];
    let (admin, _) = small_setup(
        &app,
        40,
        30,
        |i, j| Some(1 + ((i * 3 + j) % 5) as i64),
        |_, _, i| json!({"procedure_field": fields[i % 3]}),
    )
    .await;
    let more = register_many(
        &app,
        &admin,
        &[
            ("S2".into(), "in_person".into(), 24),
            ("S2".into(), "online".into(), 12),
        ],
        |_, _, i| json!({"procedure_field": fields[i % 2]}),
    )
    .await;
    let s2: Vec<String> = more[&("S2".to_owned(), "in_person".to_owned())].clone();
    // Every item, and the perception and needs questions (methodology §3.3).
    let answer = |level: i64, i: usize| -> Value {
        let mut a = crate::indicators::answers_2017(i);
        for j in 1..=22 {
            a[format!("s{j}")] = json!(level);
        }
        a
    };
    let first: Vec<(String, Value)> = s2
        .iter()
        .take(20)
        .enumerate()
        .map(|(i, t)| (t.clone(), answer(1 + (i % 5) as i64, i)))
        .collect();
    assert!(submit_all(&app, first).await.iter().all(|s| *s == 201));
    // January to May are published; June's answers stay pending until it is closed below.
    app.close_month(&admin, "2025-05").await;

    let paths = [
        "/api/v1/results?agency=T&form=sipas-2017&period=2025&subtree=true",
        "/api/v1/results?agency=T&form=sipas-2017&period=2025&subtree=true&aggregate=pooled",
        "/api/v1/results?agency=T&form=sipas-2017&period=2025&subtree=true&by=channel",
        "/api/v1/results?agency=T&form=sipas-2017&period=2025&subtree=true&by=procedure_field",
        "/api/v1/results?agency=T&form=sipas-2017&period=2025&subtree=true&by=mode",
        "/api/v1/results?agency=S2&form=sipas-2017&period=2025-Q1&design=stratified",
        "/api/v1/results/trend?agency=T&form=sipas-2017&from=2025-01&to=2025-06&step=month&subtree=true",
        "/api/v1/results/trend?agency=S2&form=sipas-2017&from=2025-01&to=2025-06&step=quarter&level=0.90",
        "/api/v1/rankings?parent=T&form=sipas-2017&period=2025",
        "/api/v1/par/scores?form=sipas-2017&period=2025",
        "/api/v1/par/scores?form=sipas-2017&period=2025&subtree=true",
    ];
    // Breakdowns over parts of the year: merges of the month cells that the year's scanned.
    let parts = [
        "/api/v1/results?agency=T&form=sipas-2017&period=2025-Q1&subtree=true&by=procedure_field",
        "/api/v1/results?agency=T&form=sipas-2017&from=2025-02&to=2025-05&subtree=true&by=mode",
        "/api/v1/results?agency=S2&form=sipas-2017&period=2025-03&by=procedure_field",
    ];
    let forms = sipas::startup::publish_forms(&app.db, None).await.unwrap();
    let compare = |when: &'static str| {
        let (app, admin, forms) = (&app, admin.clone(), &forms);
        async move {
            let mut views = Vec::new();
            for p in paths.iter().chain(&parts) {
                views.push(app.get_json(&admin, p).await);
            }
            let stored = aggregates::snapshot(&app.db).await.unwrap();
            aggregates::rebuild(&app.db, forms).await.unwrap();
            assert_eq!(
                aggregates::snapshot(&app.db).await.unwrap(),
                stored,
                "{when}"
            );
            for (p, before) in paths.iter().chain(&parts).zip(&views) {
                assert_eq!(&app.get_json(&admin, p).await, before, "{when}: {p}");
            }
            views
        }
    };
    let cold = compare("months closed").await;
    // 17 of S2's 20 answers are of January to May (the others of June).
    assert_eq!(crate::indicators::indicator(&cold[0], "p1")["n"], 17);

    // A new dossier (S1, January to March: closed months), then new responses in S1 and S2
    // (late paper entries for closed months: February and March), then closing June: each
    // changes some views.
    register_many(
        &app,
        &admin,
        &[("S1".into(), "postal".into(), 3)],
        |_, _, _| json!({}),
    )
    .await;
    let after_dossier = compare("after a new dossier").await;
    assert_ne!(after_dossier[0]["invited"], cold[0]["invited"]);
    enter_paper(&app, &admin, ("S1", "S1-online-31"), 5).await;
    enter_paper(&app, &admin, ("S2", "S2-in_person-20"), 2).await;
    let after_responses = compare("after new responses").await;
    assert_eq!(
        crate::indicators::indicator(&after_responses[0], "p1")["n"],
        19
    );
    for (i, (a, b)) in after_responses
        .iter()
        .zip(&after_dossier)
        .take(paths.len())
        .enumerate()
    {
        assert_ne!(a, b, "{} changed", paths[i]);
    }
    app.close_month(&admin, LAST_MONTH).await;
    let after_closing = compare("after closing June").await;
    assert!(
        after_closing[0]["responses"].as_u64() > after_responses[0]["responses"].as_u64(),
        "June's answers are published"
    );
    for (i, (a, b)) in after_closing
        .iter()
        .zip(&after_responses)
        .take(paths.len())
        .enumerate()
    {
        // All but S2's first quarter have answers in June.
        if i != 5 {
            assert_ne!(a, b, "{} changed", paths[i]);
        }
    }
}

/// Publication by closed month: while a month is open its answers are counted (`pending`) and in
/// no figure, so reading an agency's result before and after one citizen's answer tells nothing
/// of that answer; closing the month publishes them and ends its links still open; a paper
/// questionnaire for the closed month then comes in as a late entry, published at once.
#[tokio::test]
async fn an_open_month_shows_counts_but_no_answers_until_it_closes() {
    let app = spawn_app_with(app_with_long_links()).await;
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "T", "province", None).await;
    app.create_agency(&admin, "S1", "department", Some("T"))
        .await;
    let tokens = register_many(
        &app,
        &admin,
        &[("S1".into(), "online".into(), 20)],
        |_, _, i| json!({"completed_at": format!("2025-03-{:02}T10:00:00+07:00", 1 + i % 28)}),
    )
    .await;
    let tokens = tokens[&("S1".to_owned(), "online".to_owned())].clone();
    let answers = |i: usize| -> Value {
        Value::Object(
            (0..22)
                .map(|j| (format!("s{}", j + 1), json!(1 + ((i * 3 + j) % 5) as i64)))
                .collect(),
        )
    };
    // Twelve citizens answer, each differently.
    let statuses = submit_all(
        &app,
        tokens
            .iter()
            .take(12)
            .enumerate()
            .map(|(i, t)| (t.clone(), answers(i)))
            .collect(),
    )
    .await;
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");

    let path = "/api/v1/results?agency=S1&form=sipas-2017&period=2025-03";
    let before = app.get_json(&admin, path).await;
    // One more, unlike any of the others.
    let one: Value = Value::Object((1..=22).map(|j| (format!("s{j}"), json!(5))).collect());
    assert_eq!(
        submit_all(&app, vec![(tokens[12].clone(), one)]).await,
        [201]
    );
    let after = app.get_json(&admin, path).await;
    assert_eq!(app.count_answers().await, 13);

    // Only the count of pending questionnaires moved.
    for (r, pending) in [(&before, 12), (&after, 13)] {
        assert_eq!(r["responses"], 0, "{r}");
        assert_eq!(r["pending"], pending, "{r}");
        assert_eq!(r["index"]["value"], Value::Null, "{r}");
        assert!(
            r["published_through"]
                .as_str()
                .is_none_or(|m| m < "2025-03"),
            "{r}"
        );
        assert_eq!(r["period"], "2025-03");
        // The live counts of the open month: its dossiers and the questionnaires so far.
        let open = &r["open_months"];
        assert_eq!(
            (open["from"].as_str(), open["to"].as_str()),
            (Some("2025-03"), Some("2025-03"))
        );
        assert_eq!(
            (open["invited"].as_u64(), open["received"].as_u64()),
            (Some(20), Some(pending))
        );
        let rate = open["response_rate"].as_f64().unwrap();
        assert!(
            (rate - 100.0 * pending as f64 / 20.0).abs() < 1e-9,
            "{rate}"
        );
    }
    let without_pending = |r: &Value| {
        let mut r = r.clone();
        r.as_object_mut().unwrap().remove("pending");
        r.as_object_mut().unwrap().remove("open_months");
        r
    };
    assert_eq!(without_pending(&before), without_pending(&after));

    // Closing March publishes the thirteen answers and ends the seven links left.
    let closed = app.close_month(&admin, "2025-03").await;
    assert_eq!(closed["published_through"], "2025-03", "{closed}");
    assert_eq!(closed["published"], 13, "{closed}");
    assert!(
        closed["closed"]
            .as_array()
            .unwrap()
            .contains(&json!("2025-03")),
        "{closed}"
    );
    let published = app.get_json(&admin, path).await;
    assert_eq!(published["responses"], 13, "{published}");
    assert_eq!(published["index"]["n"], 13);
    assert_eq!(published["invited"], 20);
    assert_eq!(published["pending"], 0);
    assert!(published.get("open_months").is_none(), "{published}");
    assert_eq!(published["suppressed"], false);
    assert!(published["index"]["value"].is_f64());
    assert!(
        published["published_through"]
            .as_str()
            .is_some_and(|m| m >= "2025-03"),
        "{published}"
    );
    let counts = &item(&published, "s1")["counts"];
    assert_eq!(
        (1..=5)
            .map(|l| counts[l.to_string()].as_u64().unwrap())
            .sum::<u64>(),
        13
    );

    // A link of the closed month answers no more…
    let late = app
        .post_json(
            None,
            &format!("/api/v1/surveys/{}/response", tokens[13]),
            &json!({"answers": answers(13)}),
        )
        .await;
    assert_problem(late, ProblemCode::SurveyClosed).await;
    assert_eq!(app.count_answers().await, 13);
    assert_eq!(app.get_json(&admin, path).await, published);
    // …but the agency's paper questionnaire for one of its dossiers is a late entry, published
    // at once.
    enter_paper(&app, &admin, ("S1", "S1-online-14"), 1).await;
    let entered = app.get_json(&admin, path).await;
    assert_eq!(entered["responses"], 14, "{entered}");
    assert_eq!(entered["pending"], 0);
    assert_ne!(entered["index"]["value"], published["index"]["value"]);
    assert_ne!(entered["items"], published["items"]);
}
