//! A move within a period (issue 21): an agency moved from one parent to another in July
//! counts, in each parent's figures of the year, with the months it was below that parent
//! only — in subtree results (pooled and mean), trends, breakdowns, open months, rankings and
//! PAR scores — never whole under both; a small part of a year is not given back by
//! subtraction; lists name agencies as at the end of the period; the subtree export holds the
//! answers of the months each agency was below the parent.

use serde_json::{Value, json};
use sipas::domain::auth::Role;

use crate::accounts::{Browser, PASSWORD, account, assert_officer_page};
use crate::agency_changes::{answered, hierarchy, long_links, moved_to, patched, register};
use crate::helpers::{TestApp, spawn_app_with};

/// TINH → HUYEN1 → XA1, XA2; TINH → HUYEN2 → XA3; XA1 moves to HUYEN2 from July 2025.
/// Answers: XA1 `may` in May (below HUYEN1) and 12 in August (below HUYEN2); XA2 20 in May;
/// XA3 15 in August. Months up to August are published; XA1 has a dossier registered in
/// September, still open.
async fn moved(app: &TestApp, admin: &str, may: usize) {
    patched(app, admin, "XA1", moved_to("HUYEN2")).await;
    answered(app, admin, "XA1", "2025-05", (may, 0)).await;
    answered(app, admin, "XA1", "2025-08", (12, 1)).await;
    answered(app, admin, "XA2", "2025-05", (20, 2)).await;
    answered(app, admin, "XA3", "2025-08", (15, 3)).await;
    app.close_month(admin, "2025-08").await;
    let res = register(app, admin, "XA1", "OPEN-1", "2025-09-05T10:00:00+07:00").await;
    assert_eq!(res.status().as_u16(), 201);
}

/// A server whose months of 2025 stay open until closed, an admin key, and the hierarchy of
/// `agency_changes`.
async fn province() -> (TestApp, String) {
    let app = spawn_app_with(long_links).await;
    let admin = app.create_key(Role::Admin, None).await;
    hierarchy(&app, &admin).await;
    (app, admin)
}

async fn result(app: &TestApp, key: &str, query: &str) -> Value {
    let path = format!("/api/v1/results?form=sipas-2017&{query}");
    app.get_json(key, &path).await
}

/// Each ranked or listed agency's code and `n`, by code.
fn n_of(list: &Value) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for r in list.as_array().into_iter().flatten() {
        let code = r["agency_code"].as_str().unwrap_or_default();
        out.push((code.to_owned(), r["n"].as_u64().unwrap_or_default()));
    }
    out.sort();
    out
}

/// A ranking's agencies, ranked or not, with their `n`, by code.
fn ranked_n(ranking: &Value) -> Vec<(String, u64)> {
    let (ranked, others) = (n_of(&ranking["ranked"]), n_of(&ranking["not_ranked"]));
    let mut all: Vec<(String, u64)> = ranked.into_iter().chain(others).collect();
    all.sort();
    all
}

/// Each step's responses in the pooled trend of `agency`'s subtree, May to August 2025.
async fn trend_responses(app: &TestApp, key: &str, agency: &str) -> Vec<u64> {
    let path = format!(
        "/api/v1/results/trend?agency={agency}&subtree=true&aggregate=pooled&form=sipas-2017&from=2025-05&to=2025-08"
    );
    let t = app.get_json(key, &path).await;
    let steps = t["steps"].as_array().cloned().unwrap_or_default();
    steps
        .iter()
        .filter_map(|s| s["responses"].as_u64())
        .collect()
}

/// The agencies and months of the rows of `agency`'s subtree export of 2025 (each once), and
/// how many rows it has.
async fn exported(app: &TestApp, key: &str, agency: &str) -> (Vec<(String, String)>, usize) {
    let path = format!(
        "/api/v1/responses/export?agency={agency}&subtree=true&form=sipas-2017&period=2025&format=json"
    );
    let rows = app.get_json(key, &path).await;
    let rows = rows.as_array().cloned().unwrap_or_default();
    let mut got: Vec<(String, String)> = Vec::new();
    for r in &rows {
        let text = |field: &str| r[field].as_str().unwrap_or_default().to_owned();
        got.push((text("agency_code"), text("month")));
    }
    got.sort();
    got.dedup();
    (got, rows.len())
}

#[tokio::test]
async fn a_moved_agency_counts_under_each_parent_with_its_months_there() {
    let (app, admin) = province().await;
    // XA1's May: three answers, too few to publish alone.
    moved(&app, &admin, 3).await;
    let q = |agency: &str, extra: &str| format!("agency={agency}&subtree=true&period=2025{extra}");

    // Pooled: HUYEN1 holds XA1's May, HUYEN2 its August; the province all of it once.
    let h1 = result(&app, &admin, &q("HUYEN1", "&aggregate=pooled")).await;
    let h2 = result(&app, &admin, &q("HUYEN2", "&aggregate=pooled")).await;
    let tinh = result(&app, &admin, &q("TINH", "&aggregate=pooled")).await;
    assert_eq!(h1["responses"], 23, "{h1}");
    assert_eq!(h2["responses"], 27, "{h2}");
    assert_eq!(tinh["responses"], 50, "{tinh}");
    // Each parent's year is its half with the move's months: nothing else of XA1 in it.
    let h2_second = result(
        &app,
        &admin,
        "agency=HUYEN2&subtree=true&period=2025-H2&aggregate=pooled",
    )
    .await;
    assert_eq!(h2["index"], h2_second["index"]);
    assert!(h2["index"]["value"].is_f64(), "{h2}");
    // XA1's three answers of May: HUYEN1's pooled index minus XA2's own would give them back,
    // so it is withheld (and so is D_dis); the mean leaves the small part out.
    assert_eq!(h1["index"]["value"], Value::Null, "{h1}");
    assert_eq!(h1["d766"]["D_dis"], Value::Null, "{h1}");
    let xa2 = result(&app, &admin, "agency=XA2&period=2025").await;
    let h1_mean = result(&app, &admin, &q("HUYEN1", "&aggregate=mean")).await;
    assert_eq!(
        h1_mean["index"]["value"], xa2["index"]["value"],
        "{h1_mean}"
    );
    assert_eq!(h1_mean["agencies_in_mean"], 1, "{h1_mean}");
    let h2_mean = result(&app, &admin, &q("HUYEN2", "&aggregate=mean")).await;
    assert_eq!(h2_mean["agencies_in_mean"], 2, "{h2_mean}");

    // A breakdown scanned from the responses holds the same months.
    let by_mode = result(&app, &admin, &q("HUYEN1", "&aggregate=pooled&by=mode")).await;
    let cells = by_mode["breakdown"]["cells"].as_array().unwrap();
    let paper: u64 = (cells.iter())
        .map(|c| c["responses"].as_u64().unwrap())
        .sum();
    assert_eq!(paper, 23, "{by_mode}");
    // Its one cell (paper) minus XA2's would give XA1's three back: withheld too.
    assert_eq!(cells.len(), 1, "{by_mode}");
    assert_eq!(cells[0]["suppressed"], true, "{by_mode}");
    // The open months: September's dossier of XA1 is HUYEN2's.
    assert_eq!(h1["open_months"]["invited"], 0, "{h1}");
    assert_eq!(h2["open_months"]["invited"], 1, "{h2}");

    // A trend by month: XA1's May under HUYEN1 only, its August under HUYEN2 only.
    assert_eq!(trend_responses(&app, &admin, "HUYEN1").await, [23, 0, 0, 0]);
    assert_eq!(trend_responses(&app, &admin, "HUYEN2").await, [0, 0, 0, 27]);

    // Rankings: the districts with their subtrees of the year; each district's communes with
    // their months below it.
    let ranking = |query: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let path = format!("/api/v1/rankings?form=sipas-2017&period=2025&{query}");
            ranked_n(&app.get_json(&admin, &path).await)
        }
    };
    let districts = ranking("parent=TINH&subtree=true&aggregate=pooled").await;
    assert_eq!(districts, [("HUYEN1".into(), 23), ("HUYEN2".into(), 27)]);
    let first = ranking("parent=HUYEN1").await;
    assert_eq!(first, [("XA1".into(), 3), ("XA2".into(), 20)]);
    let second = ranking("parent=HUYEN2").await;
    assert_eq!(second, [("XA1".into(), 12), ("XA3".into(), 15)]);
    // PAR scores of the districts with their subtrees; XA1 alone is listed whole.
    let par = app
        .get_json(
            &admin,
            "/api/v1/par/scores?form=sipas-2017&period=2025&kind=district&subtree=true",
        )
        .await;
    let rows = n_of(&par["scores"]);
    assert_eq!(
        rows,
        [("HUYEN1".into(), 23), ("HUYEN2".into(), 27)],
        "{par}"
    );
    let communes = app
        .get_json(
            &admin,
            "/api/v1/par/scores?form=sipas-2017&period=2025&kind=commune",
        )
        .await;
    assert!(n_of(&communes["scores"]).contains(&("XA1".into(), 15)));

    // A rebuild of the roll-ups changes none of it.
    let before = (h1.clone(), h2.clone(), by_mode.clone());
    let forms = sipas::startup::publish_forms(&app.db, None).await.unwrap();
    sipas::persistence::aggregates::rebuild(&app.db, &forms)
        .await
        .unwrap();
    let after = (
        result(&app, &admin, &q("HUYEN1", "&aggregate=pooled")).await,
        result(&app, &admin, &q("HUYEN2", "&aggregate=pooled")).await,
        result(&app, &admin, &q("HUYEN1", "&aggregate=pooled&by=mode")).await,
    );
    assert_eq!(after, before);
}

/// Rankings name each agency as at the end of the period (or its last month in force in it):
/// a commune renamed in October 2025 keeps its old name in the ranking of the first half.
#[tokio::test]
async fn rankings_name_agencies_as_they_were_named_in_the_period() {
    let (app, admin) = province().await;
    let renamed =
        json!({"name": {"vi": "Phường Hai", "en": "Ward Two"}, "effective_from": "2025-10"});
    patched(&app, &admin, "XA2", renamed).await;
    let names = |period: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let path =
                format!("/api/v1/rankings?parent=HUYEN1&form=sipas-2017&period={period}&lang=en");
            let r = app.get_json(&admin, &path).await;
            let mut all: Vec<Value> = r["ranked"].as_array().unwrap().clone();
            all.extend(r["not_ranked"].as_array().unwrap().iter().cloned());
            (all.iter())
                .find(|a| a["agency_code"] == "XA2")
                .map(|a| a["agency_name"].as_str().unwrap().to_owned())
                .unwrap()
        }
    };
    assert_eq!(names("2025-H1").await, "Cơ quan XA2");
    assert_eq!(names("2025").await, "Ward Two");
    assert_eq!(names("2026").await, "Ward Two");
}

/// The subtree export holds each agency's answers of the months it was below the agency.
#[tokio::test]
async fn the_subtree_export_follows_the_hierarchy_of_each_month() {
    let (app, admin) = province().await;
    // Enough answers in each agency-month for the export to write them all.
    moved(&app, &admin, 11).await;
    let parts = [
        ("HUYEN1", ["XA1", "XA2"], "2025-05", 31),
        ("HUYEN2", ["XA1", "XA3"], "2025-08", 27),
    ];
    for (district, communes, month, rows) in parts {
        let want: Vec<(String, String)> = (communes.iter())
            .map(|c| (c.to_string(), month.to_owned()))
            .collect();
        let got = exported(&app, &admin, district).await;
        assert_eq!(got, (want, rows), "{district}");
    }
    let (_, all) = exported(&app, &admin, "TINH").await;
    assert_eq!(all, 58);
}

/// Response rates by invitation channel of a subtree count each agency's dossiers of the months
/// it was below the agency (all of them here came without a contact: `qr`).
#[tokio::test]
async fn channel_rates_of_a_subtree_follow_the_hierarchy_of_each_month() {
    let (app, admin) = province().await;
    moved(&app, &admin, 11).await;
    for (district, registered) in [("HUYEN1", 31), ("HUYEN2", 27), ("TINH", 58)] {
        let path = format!("/api/v1/results/channels?agency={district}&period=2025&subtree=true");
        let rates = app.get_json(&admin, &path).await;
        let qr = (rates["channels"].as_array().unwrap().iter())
            .find(|c| c["channel"] == "qr")
            .unwrap();
        assert_eq!(qr["registered"], registered, "{district}: {rates}");
    }
}

/// The integrity report of a month lists the agencies below the asked one in that month, named
/// as they were then.
#[tokio::test]
async fn the_integrity_report_of_a_month_uses_its_hierarchy_and_names() {
    let (app, admin) = province().await;
    moved(&app, &admin, 11).await;
    let renamed = json!({"name": {"vi": "Phường Hai"}, "effective_from": "2025-10"});
    patched(&app, &admin, "XA2", renamed).await;
    let report = |agency: &'static str, month: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let path = format!("/api/v1/integrity?agency={agency}&period={month}");
            let r = app.get_json(&admin, &path).await;
            (r["agencies"].as_array().unwrap().iter())
                .map(|a| {
                    let text = |f: &str| a[f].as_str().unwrap_or_default().to_owned();
                    (text("agency_code"), text("name"))
                })
                .collect::<Vec<(String, String)>>()
        }
    };
    let name = |code: &str| (code.to_owned(), format!("Cơ quan {code}"));
    let may = report("HUYEN1", "2025-05").await;
    assert_eq!(may, [name("HUYEN1"), name("XA1"), name("XA2")]);
    let august = report("HUYEN2", "2025-08").await;
    assert_eq!(august, [name("HUYEN2"), name("XA1"), name("XA3")]);
}

/// A district's dashboard pages of a period offer its comparison and its subtree when it had
/// agencies below it then, whatever it has today.
#[tokio::test]
async fn a_districts_pages_of_a_period_offer_the_agencies_it_had_then() {
    let (app, admin) = province().await;
    moved(&app, &admin, 11).await;
    let later = json!({"parent_code": "HUYEN2", "effective_from": "2025-10"});
    patched(&app, &admin, "XA2", later).await;
    account(&app, Role::Admin, None, "admin@tinh.gov.vn").await;
    let mut b = Browser::of(&app);
    b.sign_in("admin@tinh.gov.vn", PASSWORD).await;
    let compare = "/dashboard/agencies/HUYEN1/compare";
    for (period, offered) in [("2025-H1", true), ("2026", false)] {
        let page = b
            .get(&format!(
                "/dashboard/agencies/HUYEN1?form=sipas-2017&period={period}"
            ))
            .await;
        assert_officer_page(&page, 200);
        assert_eq!(page.body.contains(compare), offered, "{period}");
    }
    let page = b
        .get(&format!("{compare}?form=sipas-2017&period=2025-H1"))
        .await;
    assert_officer_page(&page, 200);
    assert!(
        page.body.contains("XA1") && page.body.contains("XA2"),
        "{}",
        page.body
    );
}
