//! Closing months: by expiry (the maintenance task's rule, run with a clock moved forward), and
//! by hand at the command line (`sipas months close|list`).

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use sipas::app::months::close_expired;
use sipas::domain::auth::Role;
use sipas::domain::periods::Month;
use sipas::domain::publication;

use crate::helpers::{TestApp, spawn_app_for_process_with, spawn_app_with};
use crate::process::{sipas, workdir};
use crate::responses::{all_scales, count, form_of};

const TTL: u32 = 3650;

/// TINH with `n` dossiers completed in March 2025, every one answered through its link;
/// returns the admin key.
async fn answered_march(app: &TestApp, n: usize) -> String {
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "TINH", "province", None).await;
    let mut form = Value::Null;
    for i in 0..n {
        let body = json!({
            "dossier_code": format!("HS-{i:03}"),
            "agency_code": "TINH",
            "completed_at": format!("2025-03-{:02}T09:00:00+07:00", 1 + i % 27),
            "channel": "online",
        });
        let res = app.post_json(Some(&admin), "/api/v1/dossiers", &body).await;
        assert_eq!(res.status().as_u16(), 201);
        let reg: Value = res.json().await.unwrap();
        if form.is_null() {
            form = form_of(app, &reg).await;
        }
        let path = format!(
            "/api/v1/surveys/{}/response",
            reg["survey_token"].as_str().unwrap()
        );
        let answer = json!({"answers": all_scales(&form, 1 + (i % 5) as i64)});
        assert_eq!(
            app.post_json(None, &path, &answer).await.status().as_u16(),
            201
        );
    }
    admin
}

async fn results(app: &TestApp, key: &str) -> Value {
    let path = "/api/v1/results?agency=TINH&form=sipas-2017&period=2025-03";
    app.get_as(key, path).await.json().await.unwrap()
}

#[tokio::test]
async fn a_month_closes_by_itself_once_its_last_link_has_expired() {
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = TTL).await;
    let admin = answered_march(&app, 12).await;
    let forms = sipas::startup::publish_forms(&app.db, None).await.unwrap();
    let march = Month::parse("2025-03").unwrap();
    let due = publication::closes_at(march, TTL);
    assert!(
        due > Utc::now(),
        "links of March 2025 are still valid today"
    );

    // A second before the last link of March expires: nothing of March is published.
    let before = close_expired(&app.db, &forms, TTL, due - Duration::seconds(1))
        .await
        .unwrap();
    assert!(before.months.iter().all(|m| *m < march), "{before:?}");
    let r = results(&app, &admin).await;
    assert_eq!(
        (r["responses"].as_u64(), r["pending"].as_u64()),
        (Some(0), Some(12))
    );

    // When it expires, the month closes by expiry: its answers are published once.
    let closed = close_expired(&app.db, &forms, TTL, due).await.unwrap();
    assert_eq!(closed.published, 12);
    assert!(closed.months.contains(&march));
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM pending_responses").await,
        0
    );
    let r = results(&app, &admin).await;
    assert_eq!(
        (r["responses"].as_u64(), r["pending"].as_u64()),
        (Some(12), Some(0))
    );
    assert_eq!(
        r["published_through"],
        json!(publication::due_through(due, TTL).to_string())
    );
    let months: Value = app
        .get_as(&admin, "/api/v1/months")
        .await
        .json()
        .await
        .unwrap();
    let march_row = months["closed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["month"] == "2025-03")
        .cloned()
        .expect("March is listed");
    assert_eq!(march_row["reason"], "expired");
    // Again: nothing more to do.
    let again = close_expired(&app.db, &forms, TTL, due).await.unwrap();
    assert_eq!((again.months.len(), again.published), (0, 0));
}

#[tokio::test]
async fn sipas_months_close_and_list_at_the_command_line() {
    let dir = workdir();
    let (app, url) = spawn_app_for_process_with(&dir, |s| s.surveys.token_ttl_days = TTL).await;
    let admin = answered_march(&app, 3).await;
    let run = |args: &[&str]| {
        sipas(&dir)
            .arg("months")
            .args(args)
            .env("DATABASE_URL", &url)
            .env("APP_SURVEYS__TOKEN_TTL_DAYS", TTL.to_string())
            .output()
            .unwrap()
    };
    let out = run(&["close", "2025-3"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("YYYY-MM"));

    let out = run(&["close", "2025-03"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("3 answers published"), "{stderr}");
    assert!(stderr.contains("published through 2025-03"), "{stderr}");

    let out = run(&["list"]);
    assert!(out.status.success());
    let listed = String::from_utf8(out.stdout).unwrap();
    let march = listed
        .lines()
        .find(|l| l.starts_with("2025-03\t"))
        .unwrap_or_else(|| panic!("{listed}"));
    assert!(march.ends_with("\tadmin"), "{march}");
    // February had no answer: it closed with March, and is listed too (months close in order).
    assert!(
        listed.lines().any(|l| l.starts_with("2025-02\t")),
        "{listed}"
    );

    let r = results(&app, &admin).await;
    assert_eq!(
        (r["responses"].as_u64(), r["pending"].as_u64()),
        (Some(3), Some(0))
    );
    let audit: Value = app
        .get_as(&admin, "/api/v1/audit")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "months.closed" && e["subject"] == "2025-03"),
        "{audit}"
    );
    std::fs::remove_dir_all(dir).ok();
}
