//! The methodology beyond the index (issue 18), through the API on both backends: PAR points on
//! the scale of each agency kind, rounded as the PAR appraisal rounds them, and none for a form
//! that does not feed the PAR Index.

use serde_json::{Value, json};
use sipas::domain::auth::Role;
use sipas::domain::par::{ParScale, ParScales};

use crate::helpers::{TestApp, spawn_app_with};
use crate::results::{LAST_MONTH, register_many, submit_all};

/// Answers `tokens` with `level(i, j)` for respondent `i` and scale item `j` (0-based) of
/// `sipas-2017`, and asserts each 201.
async fn answer_2017(app: &TestApp, tokens: &[String], level: impl Fn(usize, usize) -> i64) {
    let submissions = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let answers: serde_json::Map<String, Value> = (0..22)
                .map(|j| (format!("s{}", j + 1), json!(level(i, j))))
                .collect();
            (t.clone(), Value::Object(answers))
        })
        .collect();
    for status in submit_all(app, submissions).await {
        assert_eq!(status, 201);
    }
}

/// Registers `n` online dossiers of `form` for `agency` and answers them: `satisfied` of them
/// with every scale item at 5, the others at 1.
async fn answered(
    app: &TestApp,
    admin: &str,
    (agency, form): (&str, &str),
    n: usize,
    satisfied: usize,
) {
    let items = if form == "sipas-quick" { 9 } else { 22 };
    let cells = [(agency.to_owned(), "online".to_owned(), n)];
    let tokens = register_many(app, admin, &cells, |_, _, _| json!({"form_key": form})).await;
    let submissions = tokens[&(agency.to_owned(), "online".to_owned())]
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let level = if i < satisfied { 5 } else { 1 };
            let answers: serde_json::Map<String, Value> = (1..=items)
                .map(|j| (format!("s{j}"), json!(level)))
                .collect();
            (t.clone(), Value::Object(answers))
        })
        .collect();
    for status in submit_all(app, submissions).await {
        assert_eq!(status, 201);
    }
}

/// An admin key, and province `T` with the departments `children` below it.
async fn province(app: &TestApp, children: &[&str]) -> String {
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "T", "province", None).await;
    for code in children {
        app.create_agency(&admin, code, "department", Some("T"))
            .await;
    }
    admin
}

/// The rows of `GET /api/v1/par/scores?{query}&format=csv`, each as column → cell.
async fn par_csv(
    app: &TestApp,
    key: &str,
    query: &str,
) -> Vec<std::collections::HashMap<String, String>> {
    let url = format!("/api/v1/par/scores?{query}&format=csv");
    let text = app.get_as(key, &url).await.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .map(str::to_owned)
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

fn scale(kind: Option<&str>, max_points: f64) -> ParScale {
    ParScale {
        edition: "par-province".into(),
        agency_kind: kind.map(str::to_owned),
        max_points,
    }
}

#[tokio::test]
async fn par_points_use_the_scale_of_each_kind_and_round_half_up_in_decimal() {
    let app = spawn_app_with(|s| {
        s.surveys.token_ttl_days = 3650;
        // Departments are scored out of 10 by the province's own PAR scoring; every other kind
        // (here the province) out of 4.
        s.par.scales = ParScales::new(vec![scale(Some("department"), 10.0), scale(None, 4.0)]);
    })
    .await;
    let admin = province(&app, &["S1", "S2"]).await;
    // 351 / 400 = 87.75 % and 301 / 400 = 75.25 %: half-way cases on 10 points, whose binary
    // products (8.774999…, 7.524999…) would round down.
    answered(&app, &admin, ("S1", "sipas-2017"), 400, 351).await;
    answered(&app, &admin, ("S2", "sipas-2017"), 400, 301).await;
    app.close_month(&admin, LAST_MONTH).await;

    let q = "form=sipas-2017&period=2025-H1";
    for (code, value, points) in [("S1", 87.75, 8.78), ("S2", 75.25, 7.53)] {
        let r = app
            .get_json(&admin, &format!("/api/v1/results?agency={code}&{q}"))
            .await;
        // The index is a mean of shares, computed in binary: 87.74999999999999 for S1.
        let index = r["index"]["value"].as_f64().unwrap();
        assert!((index - value).abs() < 1e-10, "{code}: {index}");
        let par = &r["par"];
        assert_eq!(par["points"], points, "{code}: {par}");
        let exact = par["points_exact"].as_f64().unwrap();
        assert!((exact - index / 10.0).abs() < 1e-12, "{code}: {exact}");
        assert_eq!(par["max_points"], 10.0);
        assert_eq!(par["scale_source"], "settings_for_kind");
        assert_eq!(par["points_reason"], Value::Null);
    }
    // The province, the mean of its subtree (81.5 %), on the edition-wide scale of 4 points.
    let r = app
        .get_json(
            &admin,
            &format!("/api/v1/results?agency=T&subtree=true&{q}"),
        )
        .await;
    assert!((r["index"]["value"].as_f64().unwrap() - 81.5).abs() < 1e-10);
    assert_eq!(r["par"]["max_points"], 4.0);
    assert_eq!(r["par"]["scale_source"], "settings");
    assert_eq!(r["par"]["points"], 3.26);

    // The pipeline's rows carry their scale and both forms of the points, in JSON and CSV.
    let scores = app
        .get_json(&admin, &format!("/api/v1/par/scores?{q}&kind=department"))
        .await;
    let rows = scores["scores"].as_array().unwrap();
    let points: Vec<(&str, f64, f64)> = rows
        .iter()
        .map(|s| {
            assert_eq!(s["scale_source"], "settings_for_kind");
            let code = s["agency_code"].as_str().unwrap();
            (
                code,
                s["points"].as_f64().unwrap(),
                s["max_points"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(points, [("S1", 8.78, 10.0), ("S2", 7.53, 10.0)]);
    let rows = par_csv(&app, &admin, &format!("{q}&kind=department")).await;
    let first = &rows[0];
    assert_eq!(first["points"], "8.78");
    assert_eq!(first["max_points"], "10");
    let exact: f64 = first["points_exact"].parse().unwrap();
    assert!((exact - 8.775).abs() < 1e-10, "{exact}");
    assert_eq!(first["scale_source"], "settings_for_kind");
}

#[tokio::test]
async fn a_form_outside_the_par_index_has_no_points_anywhere() {
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = 3650).await;
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "Q", "commune", None).await;
    answered(&app, &admin, ("Q", "sipas-quick"), 40, 40).await;
    app.close_month(&admin, LAST_MONTH).await;

    let q = "form=sipas-quick&period=2025-H1";
    let r = app
        .get_json(&admin, &format!("/api/v1/results?agency=Q&{q}"))
        .await;
    assert_eq!(r["index"]["value"], 100.0);
    assert_eq!(r["par"]["eligible"], false);
    assert_eq!(r["par"]["points"], Value::Null);
    assert_eq!(r["par"]["points_exact"], Value::Null);
    assert_eq!(r["par"]["ci"], Value::Null);
    assert_eq!(r["par"]["points_reason"], "not_eligible");
    let scores = app
        .get_json(&admin, &format!("/api/v1/par/scores?{q}"))
        .await;
    let row = &scores["scores"][0];
    assert_eq!(row["agency_code"], "Q");
    assert_eq!(row["sipas"], 100.0);
    assert_eq!(row["points"], Value::Null);
    assert_eq!(row["points_reason"], "not_eligible");
}

#[tokio::test]
async fn an_all_satisfied_agency_is_not_exact_in_rankings_or_margins() {
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = 3650).await;
    let admin = province(&app, &["A", "B"]).await;
    let cells = [
        ("A".to_owned(), "online".to_owned(), 50),
        ("B".to_owned(), "online".to_owned(), 200),
    ];
    let tokens = register_many(&app, &admin, &cells, |_, _, _| json!({})).await;
    // A: 40 of its 50 dossiers answer (not a census, which would be exact), satisfied with
    // everything. B: every respondent dissatisfied with one or two items, so about 94 % with an
    // interval of about ± 0.4 points.
    let a = &tokens[&("A".to_owned(), "online".to_owned())][..40];
    answer_2017(&app, a, |_, _| 5).await;
    let b = &tokens[&("B".to_owned(), "online".to_owned())];
    answer_2017(&app, b, |i, j| {
        let low = j == i % 22 || (i % 4 == 0 && j == (i + 11) % 22);
        if low { 2 } else { 5 }
    })
    .await;
    app.close_month(&admin, LAST_MONTH).await;

    let q = "form=sipas-2017&period=2025-H1";
    let a = app
        .get_json(&admin, &format!("/api/v1/results?agency=A&{q}"))
        .await;
    assert_eq!(a["index"]["value"], 100.0);
    let low = a["index"]["ci"]["low"].as_f64().unwrap();
    assert!(low < 95.0, "a Wilson interval, not a point: {low}");
    // The published SE stays the linearised one (0, as the reference packages give it); what
    // compares A with others is the SE its interval implies: its normal interval reaches `low`.
    assert_eq!(a["index"]["se"], 0.0);
    let se = (100.0 - low) / 1.959963984540054;
    let margin = a["margin_of_error"]["at_index"].as_f64().unwrap();
    assert!((margin - (100.0 - low)).abs() < 1e-9, "{margin}");
    let b = app
        .get_json(&admin, &format!("/api/v1/results?agency=B&{q}"))
        .await;
    let b_value = b["index"]["value"].as_f64().unwrap();
    let b_moe = b["index"]["moe"].as_f64().unwrap();
    assert!(
        b_value > 90.0 && b_value < 96.0 && b_moe < 1.2,
        "{b_value} ± {b_moe}"
    );

    // Neither agency is significantly better than the other: both rank 1–2.
    let ranking = app
        .get_json(&admin, &format!("/api/v1/rankings?parent=T&{q}"))
        .await;
    let ranked = ranking["ranked"].as_array().unwrap();
    assert_eq!(ranked.len(), 2, "{ranking}");
    for r in ranked {
        assert_eq!(
            (r["rank_low"].as_u64(), r["rank_high"].as_u64()),
            (Some(1), Some(2)),
            "{r}"
        );
    }
    // The mean of the two carries A's uncertainty too.
    let mean = app
        .get_json(
            &admin,
            &format!("/api/v1/results?agency=T&subtree=true&{q}"),
        )
        .await;
    let mean_se = mean["index"]["se"].as_f64().unwrap();
    assert!(mean_se >= se / 2.0 - 1e-9, "{mean_se} vs {se}");
}

#[tokio::test]
async fn a_stratum_of_one_respondent_is_merged_not_the_interval_lost() {
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = 3650).await;
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "S", "department", None).await;
    // Per channel: dossiers registered, questionnaires answered (one at the desk).
    let cells = [("online", 50, 40), ("in_person", 3, 1), ("postal", 25, 20)];
    let registered: Vec<(String, String, usize)> = cells
        .iter()
        .map(|(channel, n, _)| ("S".to_owned(), channel.to_string(), *n))
        .collect();
    let tokens = register_many(&app, &admin, &registered, |_, _, _| json!({})).await;
    for (channel, _, answered) in cells {
        let key = ("S".to_owned(), channel.to_owned());
        let level = |i: usize, j: usize| if (i + j).is_multiple_of(5) { 2 } else { 5 };
        answer_2017(&app, &tokens[&key][..answered], level).await;
    }
    app.close_month(&admin, LAST_MONTH).await;
    let r = app
        .get_json(
            &admin,
            "/api/v1/results?agency=S&form=sipas-2017&period=2025-H1&design=stratified",
        )
        .await;
    assert_eq!(r["responses"], 61);
    assert_eq!(r["method"]["collapsed_strata"], 1);
    let ci = &r["index"]["ci"];
    assert!(ci["low"].is_f64() && ci["high"].is_f64(), "{r}");
    assert!(r["index"]["se"].as_f64().unwrap() > 0.0);
    assert_eq!(r["index"]["status"], "ok");
}

#[tokio::test]
async fn the_dissatisfied_count_of_a_small_group_is_never_published() {
    let app = spawn_app_with(|s| {
        s.surveys.token_ttl_days = 3650;
        s.indicators.d766.enabled = true;
    })
    .await;
    let admin = province(&app, &["S1", "S2"]).await;
    // S1: 6 questionnaires, 2 of them dissatisfied; S2: 40, 10 dissatisfied.
    answered(&app, &admin, ("S1", "sipas-2017"), 6, 4).await;
    answered(&app, &admin, ("S2", "sipas-2017"), 40, 30).await;
    app.close_month(&admin, LAST_MONTH).await;
    let q = "form=sipas-2017&period=2025-H1";
    let d766 = |r: &Value| r["d766"].clone();
    let s1 = d766(
        &app.get_json(&admin, &format!("/api/v1/results?agency=S1&{q}"))
            .await,
    );
    assert_eq!(
        (s1["D_rated"].as_u64(), &s1["D_dis"], &s1["value"]),
        (Some(6), &Value::Null, &Value::Null)
    );
    let s2 = d766(
        &app.get_json(&admin, &format!("/api/v1/results?agency=S2&{q}"))
            .await,
    );
    assert_eq!(s2["D_dis"], 10);
    assert_eq!(s2["value"], 75.0);
    // The province's total would give S1's count back by subtracting S2's: hidden too.
    let t = d766(
        &app.get_json(
            &admin,
            &format!("/api/v1/results?agency=T&subtree=true&{q}"),
        )
        .await,
    );
    assert_eq!(
        (t["D_rated"].as_u64(), &t["D_dis"]),
        (Some(46), &Value::Null)
    );
    let t = d766(
        &app.get_json(
            &admin,
            &format!("/api/v1/results?agency=T&subtree=true&aggregate=pooled&{q}"),
        )
        .await,
    );
    assert_eq!(t["D_dis"], Value::Null);
    // The PAR rows, JSON and CSV.
    let scores = app
        .get_json(&admin, &format!("/api/v1/par/scores?{q}&kind=department"))
        .await;
    let dis: Vec<Value> = scores["scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["D_dis"].clone())
        .collect();
    assert_eq!(dis, [Value::Null, json!(10)]);
    let rows = par_csv(&app, &admin, &format!("{q}&kind=department")).await;
    let cells: Vec<&str> = rows.iter().map(|r| r["D_dis"].as_str()).collect();
    assert_eq!(cells, ["", "10"]);
}

/// `share × n` of a published item: its satisfied answers (None when not published).
fn satisfied(item: &Value) -> Option<f64> {
    Some(item["share"].as_f64()? / 100.0 * item["n"].as_f64()?)
}

#[tokio::test]
async fn a_subtree_with_a_suppressed_member_does_not_give_it_back_by_subtraction() {
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = 3650).await;
    let admin = province(&app, &["S1", "S2", "S3"]).await;
    // S1: 6 questionnaires (suppressed), 4 satisfied; S2 and S3: 40 each.
    answered(&app, &admin, ("S1", "sipas-2017"), 6, 4).await;
    answered(&app, &admin, ("S2", "sipas-2017"), 40, 30).await;
    answered(&app, &admin, ("S3", "sipas-2017"), 40, 36).await;
    app.close_month(&admin, LAST_MONTH).await;
    let q = "form=sipas-2017&period=2025-H1";
    let get = |url: String| {
        let app = &app;
        let admin = admin.clone();
        async move { app.get_json(&admin, &url).await }
    };
    let s1 = get(format!("/api/v1/results?agency=S1&{q}")).await;
    assert_eq!(s1["index"]["status"], "suppressed");
    let s2 = get(format!("/api/v1/results?agency=S2&{q}")).await;
    let s3 = get(format!("/api/v1/results?agency=S3&{q}")).await;
    // The mean of agencies leaves S1 out; its pooled second figure, and a pooled subtree
    // result, must not let S1's counts be recovered from the total minus S2 and S3.
    let mean = get(format!("/api/v1/results?agency=T&subtree=true&{q}")).await;
    assert_eq!(mean["agencies_in_mean"], 2);
    // The mean of S2 and S3 stays published.
    let expected =
        (s2["index"]["value"].as_f64().unwrap() + s3["index"]["value"].as_f64().unwrap()) / 2.0;
    assert!((mean["index"]["value"].as_f64().unwrap() - expected).abs() < 1e-9);
    let pooled = get(format!(
        "/api/v1/results?agency=T&subtree=true&aggregate=pooled&{q}"
    ))
    .await;
    for (j, s2_item) in s2["items"].as_array().unwrap().iter().enumerate() {
        let others = satisfied(s2_item).unwrap() + satisfied(&s3["items"][j]).unwrap();
        for total in [&mean["items"][j]["pooled"], &pooled["items"][j]] {
            if let Some(all) = satisfied(total) {
                let s1_recovered = (all - others).round();
                panic!("item {j}: S1's {s1_recovered} satisfied answers recoverable from {total}");
            }
        }
    }
    for total in [&mean["index"]["pooled"], &pooled["index"]] {
        assert_eq!(total["value"], Value::Null, "{total}");
    }
}

#[tokio::test]
async fn a_census_is_exact_under_the_fpc_and_uncertain_without_it() {
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = 3650).await;
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "S", "department", None).await;
    let cells = [("S".to_owned(), "online".to_owned(), 30)];
    let tokens = register_many(&app, &admin, &cells, |_, _, _| json!({})).await;
    // Every one of the 30 dossiers answered (n = N), with varied answers.
    let level = |i: usize, j: usize| if (i + 2 * j).is_multiple_of(3) { 2 } else { 5 };
    answer_2017(&app, &tokens[&("S".to_owned(), "online".to_owned())], level).await;
    app.close_month(&admin, LAST_MONTH).await;
    let url = "/api/v1/results?agency=S&form=sipas-2017&period=2025-H1";
    let r = app.get_json(&admin, url).await;
    assert_eq!(
        (r["responses"].as_u64(), r["invited"].as_u64()),
        (Some(30), Some(30))
    );
    let value = r["index"]["value"].as_f64().unwrap();
    assert!(value > 50.0 && value < 80.0, "{value}");
    assert_eq!(r["index"]["se"], 0.0);
    assert_eq!(r["index"]["ci"]["low"], value);
    assert_eq!(r["index"]["ci"]["high"], value);
    assert_eq!(r["margin_of_error"]["at_index"], 0.0);
    assert_eq!(r["margin_of_error"]["worst_case"], 0.0);
    // Without the fpc the same answers are a sample: an interval of some width.
    let srs = app.get_json(&admin, &format!("{url}&design=srs")).await;
    let ci = &srs["index"]["ci"];
    assert!(
        ci["high"].as_f64().unwrap() - ci["low"].as_f64().unwrap() > 1.0,
        "{ci}"
    );
}

/// A node of the served form's index tree, computed independently from the answers: each item
/// the share of satisfied (4, 5) among those who answered it, each node the mean of its
/// children with data. Returns `(id, value)` pairs of every node and item, depth first.
fn expected_tree(
    node: &Value,
    share: &dyn Fn(&str) -> Option<f64>,
    out: &mut Vec<(String, f64)>,
) -> Option<f64> {
    let mut values = Vec::new();
    for item in node["items"].as_array().into_iter().flatten() {
        let id = item.as_str().unwrap();
        if let Some(s) = share(id) {
            out.push((id.to_owned(), s));
            values.push(s);
        }
    }
    for child in node["children"].as_array().into_iter().flatten() {
        values.extend(expected_tree(child, share, out));
    }
    let value = (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)?;
    out.push((node["id"].as_str().unwrap().to_owned(), value));
    Some(value)
}

#[tokio::test]
async fn the_2024_tree_with_its_gate_matches_an_independent_computation() {
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = 3650).await;
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "S", "department", None).await;
    let form: Value = app
        .get("/api/v1/forms/sipas-2024")
        .await
        .json()
        .await
        .unwrap();
    let n = 70;
    let cells = [("S".to_owned(), "online".to_owned(), n)];
    let tokens = register_many(
        &app,
        &admin,
        &cells,
        |_, _, _| json!({"form_key": "sipas-2024"}),
    )
    .await;
    // Respondent i: q8_3 and q8_4 both "Không" (2) for every seventh, which removes the PAS
    // part (q9_24–q9_39) even though they answered it; item j blank when 11 divides i + j.
    let gated = |i: usize| i.is_multiple_of(7);
    let level =
        |i: usize, j: usize| (!(i + j).is_multiple_of(11)).then_some(1 + (i * 7 + j * 3) % 5);
    let submissions = tokens[&("S".to_owned(), "online".to_owned())]
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut a = serde_json::Map::new();
            for k in 1..=7 {
                let no = gated(i) && (k == 3 || k == 4);
                a.insert(format!("q8_{k}"), json!(if no { 2 } else { 1 }));
            }
            for j in 1..=39 {
                if let Some(l) = level(i, j) {
                    a.insert(format!("q9_{j}"), json!(l));
                }
            }
            (t.clone(), Value::Object(a))
        })
        .collect();
    for status in submit_all(&app, submissions).await {
        assert_eq!(status, 201);
    }
    app.close_month(&admin, LAST_MONTH).await;

    let share = |id: &str| {
        let j: usize = id.strip_prefix("q9_")?.parse().ok()?;
        let answered: Vec<usize> = (0..n)
            .filter(|&i| !(j >= 24 && gated(i)))
            .filter_map(|i| level(i, j))
            .collect();
        let satisfied = answered.iter().filter(|&&l| l >= 4).count();
        (!answered.is_empty()).then(|| 100.0 * satisfied as f64 / answered.len() as f64)
    };
    let mut expected = Vec::new();
    expected_tree(&form["index"], &share, &mut expected);
    assert_eq!(expected.len(), 39 + 12, "39 items and 12 nodes");

    let r = app
        .get_json(
            &admin,
            "/api/v1/results?agency=S&form=sipas-2024&period=2025-H1",
        )
        .await;
    assert_eq!(r["responses"], n);
    let mut got = std::collections::HashMap::new();
    fn walk(node: &Value, got: &mut std::collections::HashMap<String, f64>) {
        got.insert(
            node["id"].as_str().unwrap().to_owned(),
            node["value"].as_f64().unwrap(),
        );
        for c in node["children"].as_array().into_iter().flatten() {
            walk(c, got);
        }
    }
    walk(&r["index"], &mut got);
    for item in r["items"].as_array().unwrap() {
        if let Some(s) = item["share"].as_f64() {
            got.insert(item["question_id"].as_str().unwrap().to_owned(), s);
        }
    }
    for (id, want) in &expected {
        let value = got.get(id).unwrap_or_else(|| panic!("{id} missing"));
        assert!((value - want).abs() < 1e-9, "{id}: {value} vs {want}");
    }
    // The gate: PAS items count only the respondents it leaves in.
    let pas_item = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["question_id"] == "q9_24")
        .unwrap();
    let kept = (0..n)
        .filter(|&i| !gated(i) && level(i, 24).is_some())
        .count();
    assert_eq!(pas_item["n"], kept);
}

#[tokio::test]
async fn a_pooled_province_with_large_df_matches_the_stratified_formula() {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = 3650).await;
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "T", "province", None).await;
    // Three agencies, 500 dossiers each, 400 answered (the same response rate, so equal
    // weights): 300, 340 and 380 of them satisfied with everything.
    let satisfied = [("A1", 300), ("A2", 340), ("A3", 380)];
    for (code, yes) in satisfied {
        app.create_agency(&admin, code, "department", Some("T"))
            .await;
        let cells = [(code.to_owned(), "online".to_owned(), 500)];
        let tokens = register_many(&app, &admin, &cells, |_, _, _| json!({})).await;
        let mine = &tokens[&(code.to_owned(), "online".to_owned())][..400];
        answer_2017(&app, mine, |i, _| if i < yes { 5 } else { 1 }).await;
    }
    app.close_month(&admin, LAST_MONTH).await;
    let r = app
        .get_json(
            &admin,
            "/api/v1/results?agency=T&subtree=true&aggregate=pooled&form=sipas-2017&period=2025-H1",
        )
        .await;
    assert_eq!(r["method"]["df"], 1197);
    // Every respondent's score is 0 or 1: stratum h adds (1 − f) · n_h/(n_h − 1) · n_h p_h
    // (1 − p_h) / n² with f = 400/500 and n = 1200 (statistics §4.3).
    let n = 1200.0;
    let theta = (300.0 + 340.0 + 380.0) / n;
    let variance: f64 = satisfied
        .iter()
        .map(|(_, yes)| {
            let p = *yes as f64 / 400.0;
            0.2 * 400.0 / 399.0 * 400.0 * p * (1.0 - p) / (n * n)
        })
        .sum();
    let se = variance.sqrt();
    let t = StudentsT::new(0.0, 1.0, 1197.0).unwrap().inverse_cdf(0.975);
    let index = &r["index"];
    let close = |got: &Value, want: f64| {
        assert!(
            (got.as_f64().unwrap() - 100.0 * want).abs() < 1e-9,
            "{got} vs {want}"
        )
    };
    close(&index["value"], theta);
    close(&index["se"], se);
    close(&index["ci"]["low"], theta - t * se);
    close(&index["ci"]["high"], theta + t * se);
}

#[tokio::test]
async fn more_questionnaires_than_dossiers_is_an_error_not_a_figure() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = 3650).await;
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "S", "department", None).await;
    answered(&app, &admin, ("S", "sipas-2017"), 40, 30).await;
    app.close_month(&admin, LAST_MONTH).await;
    // A damaged database: fewer dossiers counted than questionnaires stored (n > N).
    app.db
        .execute_unprepared("UPDATE dossier_rollups SET dossiers = 1")
        .await
        .unwrap();
    let res = app
        .get_as(
            &admin,
            "/api/v1/results?agency=S&form=sipas-2017&period=2025-H1",
        )
        .await;
    assert_eq!(res.status().as_u16(), 500);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "internal", "{body}");
    assert!(body.get("index").is_none());
}
