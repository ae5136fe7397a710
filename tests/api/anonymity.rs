//! The attacks of docs/privacy.md run as the agency being rated would run them, and a database
//! reader after it: an answer oracle through the link the agency printed, the transaction ids
//! that PostgreSQL keeps on every row, the storage order of SQLite, and closing a month on two
//! nodes at once. Each attack must find nothing.

use serde_json::{Value, json};
use sipas::domain::auth::Role;
use sipas::error::ProblemCode;

use crate::helpers::{TestApp, spawn_app_for_process_with, spawn_app_with, spawn_node};
use crate::responses::{all_scales, count, form_of};

const MONTH: &str = "2025-03";

/// An agency TINH with an agency key; returns (admin key, agency key).
async fn agency(app: &TestApp) -> (String, String) {
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "TINH", "province", None).await;
    let officer = app.create_key(Role::Agency, Some("TINH")).await;
    (admin, officer)
}

/// Registers dossier `n` of TINH, completed in [`MONTH`], with the agency key.
async fn register(app: &TestApp, key: &str, n: usize) -> Value {
    let body = json!({
        "dossier_code": format!("HS-{n:03}"),
        "agency_code": "TINH",
        "completed_at": format!("{MONTH}-{:02}T09:00:00+07:00", 1 + n % 27),
        "channel": "in_person",
    });
    let res = app.post_json(Some(key), "/api/v1/dossiers", &body).await;
    assert!(res.status().is_success(), "registering {n}");
    res.json().await.unwrap()
}

fn answer_path(reg: &Value) -> String {
    format!(
        "/api/v1/surveys/{}/response",
        reg["survey_token"].as_str().unwrap()
    )
}

/// The answers of citizen `n`: levels that differ between citizens.
fn answers_of(form: &Value, n: usize) -> Value {
    all_scales(form, 1 + (n % 5) as i64)
}

/// The submission key a citizen's client made (secret to it).
fn citizen_key(n: usize) -> String {
    format!("citizen-secret-key-{n:04}")
}

async fn status(app: &TestApp, path: &str, body: &Value) -> u16 {
    app.post_json(None, path, body).await.status().as_u16()
}

#[tokio::test]
async fn the_agency_cannot_test_answers_against_a_link_it_printed() {
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = 3650).await;
    let (admin, officer) = agency(&app).await;
    let mut regs = Vec::new();
    for n in 0..12 {
        regs.push(register(&app, &officer, n).await);
    }
    let form = form_of(&app, &regs[0]).await;
    for (n, reg) in regs.iter().enumerate() {
        let body = json!({"answers": answers_of(&form, n), "submission_key": citizen_key(n)});
        assert_eq!(status(&app, &answer_path(reg), &body).await, 201);
    }
    // The citizen's own retry (same key, same answers) is recognised...
    let own = json!({"answers": answers_of(&form, 7), "submission_key": citizen_key(7)});
    assert_eq!(status(&app, &answer_path(&regs[7]), &own).await, 200);

    // ...but the agency re-registers dossier 7, gets its link again, and tries every
    // questionnaire it could know of, with no key, with a key of its own, and with another
    // citizen's key (it never sees citizen 7's): every candidate gets the same answer.
    let again = register(&app, &officer, 7).await;
    assert_eq!(again["survey_token"], regs[7]["survey_token"]);
    let mut statuses = std::collections::BTreeSet::new();
    for n in 0..12 {
        let candidates = [
            json!({"answers": answers_of(&form, n)}),
            json!({"answers": answers_of(&form, n), "submission_key": "agency-guess-000001"}),
            json!({"answers": answers_of(&form, n), "submission_key": citizen_key((n + 1) % 12)}),
        ];
        for body in candidates {
            statuses.insert(status(&app, &answer_path(&again), &body).await);
        }
    }
    assert_eq!(statuses.into_iter().collect::<Vec<_>>(), vec![409]);

    // Once the month is published, the agency can read the answers — and the link says 410
    // to every candidate alike.
    app.close_month(&admin, MONTH).await;
    let export = app
        .get_as(
            &officer,
            &format!(
                "/api/v1/responses/export?agency=TINH&form=sipas-2017&period={MONTH}&format=json"
            ),
        )
        .await;
    assert_eq!(export.status().as_u16(), 200);
    let rows: Value = export.json().await.unwrap();
    let rows = rows.as_array().expect("rows");
    assert_eq!(rows.len(), 12);
    let mut statuses = std::collections::BTreeSet::new();
    for row in rows {
        let body = json!({"answers": row["answers"].clone()});
        statuses.insert(status(&app, &answer_path(&again), &body).await);
    }
    statuses.insert(status(&app, &answer_path(&again), &own).await);
    assert_eq!(statuses.into_iter().collect::<Vec<_>>(), vec![410]);
}

#[tokio::test]
async fn a_published_answer_shares_no_transaction_id_or_row_order_with_its_dossier() {
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = 3650).await;
    let (admin, officer) = agency(&app).await;
    let mut regs = Vec::new();
    for n in 0..6 {
        regs.push(register(&app, &officer, n).await);
    }
    let form = form_of(&app, &regs[0]).await;
    // One at a time: each answer is a transaction of its own (the quiet agency's normal case).
    for (n, reg) in regs.iter().enumerate() {
        let body = json!({"answers": answers_of(&form, n)});
        assert_eq!(status(&app, &answer_path(reg), &body).await, 201);
    }
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM responses").await, 0);
    let closed = app.close_month(&admin, MONTH).await;
    assert_eq!(closed["published"], 6);
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM pending_responses").await,
        0
    );
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM responses").await, 6);
    if app.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // The join of the issue: no published row was written by a dossier's transaction.
        let shared = count(
            &app,
            "SELECT COUNT(*) AS n FROM dossiers d JOIN responses r ON d.xmin = r.xmin",
        )
        .await;
        assert_eq!(shared, 0);
    } else {
        // No hidden rowid counts up in submission order: both answer tables are WITHOUT ROWID.
        for table in ["responses", "pending_responses"] {
            let sql = format!(
                "SELECT COUNT(*) AS n FROM sqlite_master WHERE name = '{table}' AND sql LIKE '%WITHOUT ROWID%'"
            );
            assert_eq!(count(&app, &sql).await, 1, "{table}");
        }
    }
}

#[tokio::test]
async fn two_nodes_closing_a_month_at_once_publish_each_answer_once() {
    let dir = crate::process::workdir();
    let (app, url) = spawn_app_for_process_with(&dir, |s| s.surveys.token_ttl_days = 3650).await;
    let other = spawn_node(&url, |s| s.surveys.token_ttl_days = 3650).await;
    let (admin, officer) = agency(&app).await;
    let mut regs = Vec::new();
    for n in 0..30 {
        regs.push(register(&app, &officer, n).await);
    }
    let form = form_of(&app, &regs[0]).await;
    for (n, reg) in regs.iter().enumerate().take(20) {
        let node = if n % 2 == 0 { &app } else { &other };
        let body = json!({"answers": answers_of(&form, n)});
        assert_eq!(status(node, &answer_path(reg), &body).await, 201);
    }
    let path = format!("/api/v1/months/{MONTH}/close");
    let empty = json!({});
    let (a, b) = tokio::join!(
        app.post_json(Some(&admin), &path, &empty),
        other.post_json(Some(&admin), &path, &empty),
    );
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    assert_eq!(
        a["published"].as_u64().unwrap() + b["published"].as_u64().unwrap(),
        20
    );
    assert_eq!(a["published_through"], json!(MONTH));
    assert_eq!(b["published_through"], json!(MONTH));
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM responses").await, 20);
    assert_eq!(
        a["links_ended"].as_u64().unwrap() + b["links_ended"].as_u64().unwrap(),
        10
    );
    // An open link of the month is closed now, on either node.
    let late = json!({"answers": answers_of(&form, 25)});
    assert_eq!(status(&other, &answer_path(&regs[25]), &late).await, 410);
    // The aggregates hold exactly what a rebuild computes from the published rows.
    let before = sipas::persistence::aggregates::snapshot(&app.db)
        .await
        .unwrap();
    let forms = sipas::startup::publish_forms(&app.db, None).await.unwrap();
    sipas::persistence::aggregates::rebuild(&app.db, &forms)
        .await
        .unwrap();
    let after = sipas::persistence::aggregates::snapshot(&app.db)
        .await
        .unwrap();
    assert!(before.iter().any(|row| row.starts_with("rollup ")));
    assert_eq!(before, after);
}

#[tokio::test]
async fn a_month_cannot_be_closed_before_it_ends_and_closing_is_for_admins() {
    let app = spawn_app_with(|_| {}).await;
    let (admin, officer) = agency(&app).await;
    let this_month = sipas::domain::publication::month_of(chrono::Utc::now()).to_string();
    let res = app
        .post_json(
            Some(&admin),
            &format!("/api/v1/months/{this_month}/close"),
            &json!({}),
        )
        .await;
    crate::helpers::assert_problem(res, ProblemCode::MonthNotEnded).await;
    let res = app
        .post_json(
            Some(&officer),
            &format!("/api/v1/months/{MONTH}/close"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 403);
    let res = app
        .post_json(Some(&admin), "/api/v1/months/2025-3/close", &json!({}))
        .await;
    crate::helpers::assert_problem(res, ProblemCode::InvalidMonth).await;
    // The months whose links expired closed at start (30-day links by default).
    let months: Value = app
        .get_as(&officer, "/api/v1/months")
        .await
        .json()
        .await
        .unwrap();
    let through = months["published_through"]
        .as_str()
        .expect("a closed month");
    assert!(through < this_month.as_str(), "{through}");
}

#[tokio::test]
async fn the_pipeline_reads_scores_but_never_raw_answers() {
    let app = spawn_app_with(|_| {}).await;
    let (_admin, _officer) = agency(&app).await;
    let pipeline = app.create_key(Role::Pipeline, None).await;
    let path =
        format!("/api/v1/responses/export?agency=TINH&form=sipas-2017&period={MONTH}&format=json");
    let res = app.get_as(&pipeline, &path).await;
    crate::helpers::assert_problem(res, ProblemCode::Forbidden).await;
    let scores = format!("/api/v1/par/scores?form=sipas-2017&period={MONTH}");
    assert_eq!(app.get_as(&pipeline, &scores).await.status().as_u16(), 200);
}
