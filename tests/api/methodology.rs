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
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "T", "province", None).await;
    for code in ["S1", "S2"] {
        app.create_agency(&admin, code, "department", Some("T"))
            .await;
    }
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
    let csv = app
        .get_as(
            &admin,
            &format!("/api/v1/par/scores?{q}&kind=department&format=csv"),
        )
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let first = reader.records().next().unwrap().unwrap();
    assert_eq!(&first[column("points")], "8.78");
    assert_eq!(&first[column("max_points")], "10");
    assert_eq!(
        &first[column("points_exact")],
        (87.75 / 100.0 * 10.0_f64).to_string()
    );
    assert_eq!(&first[column("scale_source")], "settings_for_kind");
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
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "T", "province", None).await;
    for code in ["A", "B"] {
        app.create_agency(&admin, code, "department", Some("T"))
            .await;
    }
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
