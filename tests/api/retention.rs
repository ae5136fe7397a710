//! Retention (`retention.dossier_months`): sealed dossiers of old closed months are deleted, no
//! published number changes (results, trends, rankings, PAR scores — also after `sipas scores
//! rebuild`), registration refuses those months, and each pass is in the audit log.

use chrono::Utc;
use serde_json::{Value, json};
use sipas::domain::auth::Role;
use sipas::domain::tokens::TokenKey;
use sipas::error::ProblemCode;

use crate::helpers::{TestApp, spawn_app_with};
use crate::responses::{all_scales, count, form_of};

/// Survey links live ten years here, so that old months stay open until a test closes them.
pub const TTL: u32 = 3650;

/// Registers dossier `code` of `agency` completed on `day` (`YYYY-MM-DD`); returns the body.
pub async fn register(app: &TestApp, admin: &str, agency: &str, code: &str, day: &str) -> Value {
    let body = json!({
        "dossier_code": code,
        "agency_code": agency,
        "completed_at": format!("{day}T09:00:00+07:00"),
        "channel": if code.ends_with('0') { "in_person" } else { "online" },
    });
    let res = app.post_json(Some(admin), "/api/v1/dossiers", &body).await;
    assert_eq!(res.status().as_u16(), 201, "registering {code}");
    res.json().await.unwrap()
}

/// Province TINH with departments SO-A and SO-B; in each, for every `(month, answered,
/// unanswered)`, that many dossiers completed in the month, the first ones answered through
/// their link with varied levels. Returns the admin key.
pub async fn province(app: &TestApp, months: &[(&str, usize, usize)]) -> String {
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "TINH", "province", None).await;
    let mut form = Value::Null;
    for (d, agency) in ["SO-A", "SO-B"].into_iter().enumerate() {
        app.create_agency(&admin, agency, "department", Some("TINH"))
            .await;
        for (month, answered, unanswered) in months {
            for i in 0..answered + unanswered {
                let code = format!("{agency}-{month}-{i:03}");
                let day = format!("{month}-{:02}", 1 + i % 27);
                let reg = register(app, &admin, agency, &code, &day).await;
                if i >= *answered {
                    continue;
                }
                if form.is_null() {
                    form = form_of(app, &reg).await;
                }
                let path = format!(
                    "/api/v1/surveys/{}/response",
                    reg["survey_token"].as_str().unwrap()
                );
                let level = 1 + ((i + d * 2) % 5) as i64;
                let answer = json!({"answers": all_scales(&form, level)});
                let res = app.post_json(None, &path, &answer).await;
                assert_eq!(res.status().as_u16(), 201);
            }
        }
    }
    admin
}

/// Every published figure the test compares, as the bytes served.
pub async fn published(app: &TestApp, admin: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for path in [
        "/api/v1/results?agency=TINH&form=sipas-2017&period=2025&subtree=true",
        "/api/v1/results?agency=SO-A&form=sipas-2017&period=2025-03",
        "/api/v1/results?agency=SO-B&form=sipas-2017&period=2025-Q2",
        "/api/v1/results?agency=TINH&form=sipas-2017&period=2025&subtree=true&by=channel",
        "/api/v1/results/trend?agency=TINH&form=sipas-2017&period=2025&step=month",
        "/api/v1/rankings?parent=TINH&form=sipas-2017&period=2025",
        "/api/v1/par/scores?form=sipas-2017&period=2025",
        "/api/v1/par/scores?form=sipas-2017&period=2025&subtree=true",
    ] {
        let res = app.get_as(admin, path).await;
        assert_eq!(res.status().as_u16(), 200, "GET {path}");
        out.push((path.to_owned(), res.bytes().await.unwrap().to_vec()));
    }
    out
}

pub fn assert_same(before: &[(String, Vec<u8>)], after: &[(String, Vec<u8>)]) {
    for ((path, a), (_, b)) in before.iter().zip(after) {
        assert!(
            a == b,
            "{path} changed:\n{}\n{}",
            String::from_utf8_lossy(a),
            String::from_utf8_lossy(b)
        );
    }
}

/// Seals the unanswered dossiers whose links the closing ended (the maintenance task's round;
/// the key only shapes the sealed codes, which nobody looks up here).
pub async fn seal(app: &TestApp) {
    let key = TokenKey::new(vec![7; 32]).unwrap();
    sipas::maintenance::round(&app.db, &key, Utc::now())
        .await
        .unwrap();
}

async fn audit(app: &TestApp, admin: &str) -> Vec<Value> {
    let log = app.get_json(admin, "/api/v1/audit?limit=500").await;
    log["entries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn retention_deletes_old_sealed_dossiers_without_changing_a_published_number() {
    let app = spawn_app_with(|s| {
        s.surveys.token_ttl_days = TTL;
        // The test runs the passes itself.
        s.retention.dossier_months = 0;
    })
    .await;
    // March and April 2025 will be closed and old; May 2025 stays open (its answers pending).
    let admin = province(
        &app,
        &[("2025-03", 12, 3), ("2025-04", 11, 2), ("2025-05", 4, 2)],
    )
    .await;
    app.close_month(&admin, "2025-04").await;
    seal(&app).await;
    let total = count(&app, "SELECT COUNT(*) FROM dossiers").await;
    assert_eq!(total, 2 * (15 + 13 + 6));
    let before = published(&app, &admin).await;
    assert_eq!(
        published(&app, &admin).await,
        before,
        "the figures are stable"
    );
    let invited = serde_json::from_slice::<Value>(&before[0].1).unwrap();
    assert_eq!(invited["invited"], json!(2 * (15 + 13)), "{invited}");
    assert_eq!(invited["open_months"]["invited"], json!(2 * 6), "{invited}");

    // 19 months of retention in December 2026 keeps May 2025 on; March and April go.
    let now = Utc::now();
    let months = 19;
    let kept = sipas::domain::retention::kept_from(now, months).unwrap();
    assert!(
        kept.to_string().as_str() <= "2025-05",
        "the test assumes {kept} <= 2025-05"
    );
    let applied = sipas::app::retention::apply(&app.db, months, now)
        .await
        .unwrap();
    assert_eq!(applied.deleted, 2 * (15 + 13));
    assert_eq!(applied.through.unwrap().to_string(), "2025-04");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM dossiers").await, 2 * 6);
    assert_same(&before, &published(&app, &admin).await);

    // A second pass finds nothing; a rebuild of the aggregates still counts the deleted ones.
    let again = sipas::app::retention::apply(&app.db, months, now)
        .await
        .unwrap();
    assert_eq!(again.deleted, 0);
    let forms = sipas::startup::publish_forms(&app.db, None).await.unwrap();
    sipas::persistence::aggregates::rebuild(&app.db, &forms)
        .await
        .unwrap();
    assert_same(&before, &published(&app, &admin).await);

    // The pass is on record, once.
    let entries = audit(&app, &admin).await;
    let passes: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "retention.applied")
        .collect();
    assert_eq!(passes.len(), 1, "{entries:?}");
    assert_eq!(passes[0]["subject"], "2025-04");
    assert_eq!(passes[0]["details"]["dossiers"], json!(2 * (15 + 13)));
    assert!(passes[0]["actor_key_id"].is_null());
}

#[tokio::test]
async fn a_dossier_of_a_month_retention_emptied_cannot_be_registered_again() {
    let app = spawn_app_with(|s| {
        s.surveys.token_ttl_days = TTL;
        s.retention.dossier_months = 0;
    })
    .await;
    let admin = province(&app, &[("2025-03", 2, 1), ("2025-05", 1, 0)]).await;
    app.close_month(&admin, "2025-03").await;
    seal(&app).await;
    let applied = sipas::app::retention::apply(&app.db, 19, Utc::now())
        .await
        .unwrap();
    assert_eq!(applied.deleted, 6);
    let before = published(&app, &admin).await;

    // The same dossier again: it is gone, and counting it anew would change March's figures.
    let body = json!({
        "dossier_code": "SO-A-2025-03-000",
        "agency_code": "SO-A",
        "completed_at": "2025-03-01T09:00:00+07:00",
        "channel": "in_person",
    });
    let res = app.post_json(Some(&admin), "/api/v1/dossiers", &body).await;
    let problem = crate::helpers::assert_problem(res, ProblemCode::CompletedBeforeRetention).await;
    assert_eq!(problem["errors"][0]["field"], "completed_at");
    // In a batch, only that item is refused; a dossier still kept answers 200 as before.
    let kept = json!({
        "dossier_code": "SO-A-2025-05-000",
        "agency_code": "SO-A",
        "completed_at": "2025-05-01T09:00:00+07:00",
        "channel": "in_person",
    });
    let res = app
        .post_json(
            Some(&admin),
            "/api/v1/dossiers/batch",
            &json!({"dossiers": [body, kept]}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let batch: Value = res.json().await.unwrap();
    assert_eq!(batch["results"][0]["status"], 422, "{batch}");
    assert_eq!(
        batch["results"][0]["error"]["code"],
        "completed_before_retention"
    );
    assert_eq!(batch["results"][1]["status"], 200, "{batch}");
    assert_same(&before, &published(&app, &admin).await);
}

#[tokio::test]
async fn sipas_retention_run_applies_the_configured_retention() {
    let dir = crate::process::workdir();
    let (app, url) = crate::helpers::spawn_app_for_process_with(&dir, |s| {
        s.surveys.token_ttl_days = TTL;
        s.retention.dossier_months = 0;
    })
    .await;
    let admin = province(&app, &[("2025-03", 1, 1)]).await;
    app.close_month(&admin, "2025-03").await;
    seal(&app).await;
    let run = |months: &str| {
        crate::process::sipas(&dir)
            .args(["retention", "run"])
            .env("DATABASE_URL", &url)
            .env("APP_SURVEYS__TOKEN_TTL_DAYS", TTL.to_string())
            .env("APP_RETENTION__DOSSIER_MONTHS", months)
            .output()
            .unwrap()
    };
    let off = run("0");
    assert!(off.status.success());
    assert!(String::from_utf8_lossy(&off.stderr).contains("retention is off"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM dossiers").await, 4);
    let out = run("12");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("deleted 4 sealed dossier(s)"), "{stderr}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM dossiers").await, 0);
    let entries = audit(&app, &admin).await;
    assert!(
        entries.iter().any(|e| e["action"] == "retention.applied"),
        "{entries:?}"
    );
    std::fs::remove_dir_all(dir).ok();
}
