//! Integrity indicators (issue 20): an agency answering 60 of its own dossiers' links from one
//! address within minutes, all at level 5, is flagged in the API and on the dashboard's
//! "Integrity" tab, and an honest agency beside it is not; nothing of an open month is
//! readable; agencies read their own subtree only; quick answers are counted; the table holds
//! counts only.

use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use sipas::domain::auth::Role;
use sipas::persistence::integrity;

use crate::accounts::{Browser, PASSWORD, account};
use crate::dossiers::{BATCH, setup};
use crate::helpers::{TestApp, spawn_app_with};
use crate::responses::{all_scales, form_of};

/// An ended month, which can be closed (the links live long enough to answer them).
const MONTH: &str = "2025-06";
const N: usize = 60;

/// Registers `n` dossiers of `agency` completed at `completed_at(i)`; their registrations.
async fn register(
    app: &TestApp,
    admin: &str,
    agency: &str,
    n: usize,
    completed_at: impl Fn(usize) -> String,
) -> Vec<Value> {
    let items: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "dossier_code": format!("{agency}-{i}"),
                "agency_code": agency,
                "completed_at": completed_at(i),
                "channel": "in_person",
            })
        })
        .collect();
    register_batch(app, admin, items).await
}

/// Registers `items` in one batch, asserting each is created; their registrations.
pub(crate) async fn register_batch(app: &TestApp, key: &str, items: Vec<Value>) -> Vec<Value> {
    let body = json!({"dossiers": items});
    let res = app.post_json(Some(key), BATCH, &body).await;
    let res: Value = res.json().await.unwrap();
    let results = res["results"].as_array().unwrap().clone();
    assert!(results.iter().all(|r| r["status"] == 201), "{res}");
    results
}

/// Answers the survey of `reg` through its link from `client` (a trusted proxy's
/// `X-Forwarded-For`).
async fn answer(app: &TestApp, reg: &Value, answers: &Value, client: &str) {
    let token = reg["survey_token"].as_str().unwrap();
    let res = app
        .client
        .post(app.url(&format!("/api/v1/surveys/{token}/response")))
        .header("x-forwarded-for", client)
        .json(&json!({"answers": answers}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
}

async fn report(app: &TestApp, key: &str, agency: &str) -> reqwest::Response {
    app.get_as(
        key,
        &format!("/api/v1/integrity?agency={agency}&period={MONTH}"),
    )
    .await
}

fn agency<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agency_code"] == code)
        .unwrap_or_else(|| panic!("{code} in {report}"))
}

fn indicator<'a>(agency: &'a Value, name: &str) -> &'a Value {
    agency["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["indicator"] == name)
        .unwrap()
}

#[tokio::test]
async fn an_agency_answering_its_own_surveys_is_flagged_and_an_honest_one_is_not() {
    let app = spawn_app_with(|s| {
        s.surveys.token_ttl_days = 3650;
        s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let admin = setup(&app).await;
    app.create_agency(&admin, "SO2", "department", Some("TINH"))
        .await;
    let day = |i: usize| format!("{MONTH}-{:02}T09:00:00+07:00", 1 + i % 28);
    let own = register(&app, &admin, "SO", N, day).await;
    let honest = register(&app, &admin, "SO2", N, day).await;
    let form = form_of(&app, &own[0]).await;
    let items: Vec<String> = form["index"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|n| n["items"].as_array().unwrap().clone())
        .map(|i| i.as_str().unwrap().to_owned())
        .collect();
    // SO answers its own citizens' links from its office, one after the other, all at 5.
    let fives = all_scales(&form, 5);
    for reg in &own {
        answer(&app, reg, &fives, "203.0.113.7").await;
    }
    // Citizens of SO2 answer from their own networks, with varied levels.
    for (i, reg) in honest.iter().enumerate() {
        let varied: serde_json::Map<String, Value> = items
            .iter()
            .enumerate()
            .map(|(j, q)| (q.clone(), json!(1 + (i * 7 + j * 3) % 5)))
            .collect();
        answer(&app, reg, &Value::Object(varied), &format!("198.51.{i}.10")).await;
    }

    // Nothing of an open month is readable.
    let open: Value = report(&app, &admin, "TINH").await.json().await.unwrap();
    assert_eq!(open["published"], false, "{open}");
    assert_eq!(open["agencies"], json!([]));

    app.close_month(&admin, MONTH).await;
    let res = report(&app, &admin, "TINH").await;
    assert_eq!(res.status().as_u16(), 200);
    let all: Value = res.json().await.unwrap();
    assert_eq!(all["published"], true);
    let so = agency(&all, "SO");
    assert_eq!(so["flagged"], true, "{so}");
    assert_eq!(so["answers"], N);
    let burst = indicator(so, "burst_answers");
    // The first 20 within the window are not yet a burst (integrity.burst_count = 20).
    assert_eq!(
        (burst["count"].clone(), burst["basis"].clone()),
        (json!(40), json!(N))
    );
    assert_eq!(burst["flagged"], true);
    for name in ["straight_lined", "top_box_only"] {
        let i = indicator(so, name);
        assert_eq!(
            (i["count"].as_u64(), i["flagged"].clone()),
            (Some(60), json!(true))
        );
        assert!(i["ci_lower"].as_f64().unwrap() > 0.9, "{i}");
    }
    assert_eq!(
        indicator(so, "quick_answers")["flagged"],
        false,
        "completed last year"
    );
    assert_eq!(
        so["modes"],
        json!({"web": N, "kiosk": 0, "phone": 0, "paper": 0})
    );
    let so2 = agency(&all, "SO2");
    assert_eq!(so2["flagged"], false, "{so2}");
    assert!(
        so2["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["flagged"] == false && i["suppressed"] == false)
    );
    assert_eq!(indicator(so2, "burst_answers")["count"], 0);
    // No answers: nothing to show, nothing flagged.
    let tinh = agency(&all, "TINH");
    assert_eq!(
        (tinh["flagged"].clone(), tinh["modes"].clone()),
        (json!(false), Value::Null)
    );

    // An agency reads its own subtree; the province reads all below it; the pipeline nothing.
    let so2_key = app.create_key(Role::Agency, Some("SO2")).await;
    let mine: Value = report(&app, &so2_key, "SO2").await.json().await.unwrap();
    assert_eq!(mine["agencies"].as_array().unwrap().len(), 1);
    assert_eq!(agency(&mine, "SO2")["flagged"], false);
    assert_eq!(report(&app, &so2_key, "SO").await.status().as_u16(), 403);
    let tinh_key = app.create_key(Role::Agency, Some("TINH")).await;
    let province: Value = report(&app, &tinh_key, "TINH").await.json().await.unwrap();
    assert_eq!(agency(&province, "SO")["flagged"], true);
    let pipeline = app.create_key(Role::Pipeline, None).await;
    assert_eq!(report(&app, &pipeline, "TINH").await.status().as_u16(), 403);
    let bad = app
        .get_as(&admin, "/api/v1/integrity?agency=TINH&period=2025")
        .await;
    assert_eq!(bad.status().as_u16(), 422);

    // The dashboard's Integrity tab says the same to the province's officer.
    account(&app, Role::Agency, Some("TINH"), "tinh@example.vn").await;
    let mut officer = Browser::of(&app);
    officer.sign_in("tinh@example.vn", PASSWORD).await;
    let page = officer
        .get(&format!(
            "/dashboard/agencies/TINH/integrity?period={MONTH}&lang=en"
        ))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let row = |code: &str| {
        let start = page.body.find(&format!("data-agency=\"{code}\"")).unwrap();
        let end = page.body[start..].find("</tr>").unwrap();
        page.body[start..start + end].to_owned()
    };
    assert!(row("SO").contains("Flagged"), "{}", row("SO"));
    assert!(!row("SO2").contains("Flagged"), "{}", row("SO2"));

    // Nothing but counts per agency and month is kept: the key and the count columns.
    let columns = column_names(&app).await;
    let expected: HashSet<String> = ["agency_id", "period_month"]
        .into_iter()
        .chain(sipas::domain::integrity::COLUMNS)
        .map(str::to_owned)
        .collect();
    assert_eq!(columns, expected);
}

#[tokio::test]
async fn web_answers_soon_after_completion_are_counted_as_quick() {
    let app = spawn_app_with(|_| {}).await;
    let admin = setup(&app).await;
    let now = Utc::now();
    let just_now = |_| now.to_rfc3339();
    let regs = register(&app, &admin, "SO", 3, just_now).await;
    let form = form_of(&app, &regs[0]).await;
    for reg in &regs {
        answer(&app, reg, &all_scales(&form, 4), "192.0.2.1").await;
    }
    let month = sipas::domain::dossiers::period_month(now);
    let counts = integrity::month(&app.db, &month).await.unwrap();
    let c = counts.values().next().unwrap();
    assert_eq!((c.answers, c.web_link, c.quick, c.burst), (3, 3, 3, 0));
    assert_eq!((c.straight_lined, c.top_box_only), (3, 0));
}

async fn column_names(app: &TestApp) -> HashSet<String> {
    let sql = if app.db.get_database_backend() == sea_orm::DbBackend::Postgres {
        "SELECT column_name AS name FROM information_schema.columns \
         WHERE table_name = 'integrity_counts'"
    } else {
        "SELECT name FROM pragma_table_info('integrity_counts')"
    };
    let backend = app.db.get_database_backend();
    app.db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "name").unwrap())
        .collect()
}
