//! The audit log records the administrative actions of the command line and of the server
//! itself: form retirement (by command and by definition file), `sipas scores rebuild`,
//! `sipas responses import`, and months closed by hand at the command line and by expiry.

use chrono::Utc;
use serde_json::{Value, json};
use sipas::app::months::close_expired;
use sipas::domain::periods::Month;
use sipas::domain::publication;

use crate::helpers::{TestApp, spawn_app_for_process_with, spawn_app_with};
use crate::process::{forms_dir, sipas, workdir};
use crate::retention::{TTL, province, register};

/// The entries with `action`, newest first.
async fn entries(app: &TestApp, admin: &str, action: &str) -> Vec<Value> {
    let log = app.get_json(admin, "/api/v1/audit?limit=500").await;
    log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == action)
        .cloned()
        .collect()
}

/// Runs `sipas ARGS` on the database at `url` and asserts that it succeeds; returns stderr.
fn run(dir: &std::path::Path, url: &str, args: &[&str]) -> String {
    let out = sipas(dir)
        .args(args)
        .env("DATABASE_URL", url)
        .env("APP_SURVEYS__TOKEN_TTL_DAYS", TTL.to_string())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?}: {stderr}");
    stderr
}

#[tokio::test]
async fn retiring_a_form_is_recorded_once_whether_by_command_or_by_file() {
    let dir = workdir();
    let (app, url) = spawn_app_for_process_with(&dir, |_| {}).await;
    let admin = app.create_key(sipas::domain::auth::Role::Admin, None).await;
    run(&dir, &url, &["forms", "retire", "sipas-2023", "1"]);
    let again = run(&dir, &url, &["forms", "retire", "sipas-2023", "1"]);
    assert!(again.contains("already retired"), "{again}");
    let by_command = entries(&app, &admin, "form.retired").await;
    assert_eq!(by_command.len(), 1, "{by_command:?}");
    assert_eq!(by_command[0]["subject"], "sipas-2023 v1");
    assert_eq!(
        by_command[0]["details"],
        json!({"key": "sipas-2023", "version": 1, "by": "command"})
    );
    assert!(by_command[0]["actor_key_id"].is_null());

    // A copy of a built-in version saying `retired = true` in forms.dir, at two starts.
    let forms = forms_dir(&dir, &["sipas-quick.v1.toml"]);
    let file = forms.join("sipas-quick.v1.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replacen("version = 1", "version = 1\nretired = true", 1),
    )
    .unwrap();
    for _ in 0..2 {
        sipas::startup::publish_forms(&app.db, Some(&forms))
            .await
            .unwrap();
    }
    let all = entries(&app, &admin, "form.retired").await;
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(
        all[0]["details"],
        json!({"key": "sipas-quick", "version": 1, "by": "form_file"})
    );
    // (Running servers apply retirement at their next start: read the stored state.)
    let retired: Vec<String> = sipas::persistence::forms::all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|f| f.retired)
        .map(|f| f.key)
        .collect();
    assert_eq!(retired, ["sipas-2023", "sipas-quick"]);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn a_rebuild_and_an_import_at_the_command_line_are_recorded() {
    let dir = workdir();
    let (app, url) = spawn_app_for_process_with(&dir, |s| s.surveys.token_ttl_days = TTL).await;
    let admin = province(&app, &[("2025-03", 2, 2)]).await;
    let stderr = run(&dir, &url, &["scores", "rebuild"]);
    assert!(stderr.contains("rebuilt"), "{stderr}");
    let rebuilt = entries(&app, &admin, "scores.rebuilt").await;
    assert_eq!(rebuilt.len(), 1, "{rebuilt:?}");
    assert_eq!(
        rebuilt[0]["details"]["dossiers"],
        json!(8),
        "{:?}",
        rebuilt[0]
    );
    assert!(rebuilt[0]["subject"].is_null());

    // Paper questionnaires of the two unanswered dossiers of SO-B.
    let csv = "dossier_code,s1,s2,s3\nSO-B-2025-03-002,5,4,3\nSO-B-2025-03-003,4,4,4\n";
    let file = dir.join("paper.csv");
    std::fs::write(&file, csv).unwrap();
    let path = file.to_str().unwrap();
    let args = [
        "responses",
        "import",
        path,
        "--agency",
        "SO-B",
        "--form",
        "sipas-2017",
    ];
    let stderr = run(&dir, &url, &args);
    assert!(stderr.contains("stored 2 response(s)"), "{stderr}");
    let imported = entries(&app, &admin, "responses.imported").await;
    assert_eq!(imported.len(), 1, "{imported:?}");
    assert_eq!(imported[0]["subject"], "SO-B");
    assert_eq!(
        imported[0]["details"],
        json!({
            "form_key": "sipas-2017",
            "mode": "paper",
            "stored": 2,
            "invalid_returns": 2,
            "skipped": 0,
        })
    );
    // Nothing in the entry names a dossier.
    assert!(!imported[0].to_string().contains("2025-03-00"));
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn months_closed_by_expiry_and_at_the_command_line_are_recorded_with_their_reason() {
    let dir = workdir();
    let (app, url) = spawn_app_for_process_with(&dir, |s| s.surveys.token_ttl_days = TTL).await;
    let admin = province(&app, &[("2025-03", 1, 0), ("2025-05", 1, 0)]).await;
    let stderr = run(&dir, &url, &["months", "close", "2025-03"]);
    assert!(stderr.contains("closed"), "{stderr}");
    let by_hand = entries(&app, &admin, "months.closed").await;
    assert_eq!(by_hand.len(), 1, "{by_hand:?}");
    assert_eq!(by_hand[0]["subject"], "2025-03");
    assert_eq!(by_hand[0]["details"]["reason"], "admin");
    assert!(by_hand[0]["actor_key_id"].is_null());

    // When May's last link expires, the maintenance task's rule closes April and May.
    let forms = sipas::startup::publish_forms(&app.db, None).await.unwrap();
    let may = Month::parse("2025-05").unwrap();
    let due = publication::closes_at(may, TTL);
    assert!(due > Utc::now());
    let closed = close_expired(&app.db, &forms, TTL, due).await.unwrap();
    assert!(closed.months.contains(&may));
    let all = entries(&app, &admin, "months.closed").await;
    assert_eq!(all.len(), 2, "{all:?}");
    let expired = &all[0];
    assert_eq!(
        expired["subject"],
        json!(closed.months.last().unwrap().to_string())
    );
    assert_eq!(expired["details"]["reason"], "expired");
    assert_eq!(
        expired["details"]["months"],
        json!(closed.months.len()),
        "{expired}"
    );
    assert!(expired["actor_key_id"].is_null());
    // Nothing more to close, or only months without answers: nothing more recorded.
    close_expired(&app.db, &forms, TTL, due).await.unwrap();
    let later = publication::closes_at(Month::parse("2025-08").unwrap(), TTL);
    let empty = close_expired(&app.db, &forms, TTL, later).await.unwrap();
    assert!(
        !empty.months.is_empty() && empty.published == 0,
        "{empty:?}"
    );
    assert_eq!(entries(&app, &admin, "months.closed").await.len(), 2);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn closing_by_hand_through_the_api_says_admin_and_names_the_key() {
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = TTL).await;
    let admin = province(&app, &[("2025-03", 1, 0)]).await;
    register(&app, &admin, "SO-A", "LATE-1", "2025-04-02").await;
    app.close_month(&admin, "2025-04").await;
    let closed = entries(&app, &admin, "months.closed").await;
    assert_eq!(closed.len(), 1, "{closed:?}");
    assert_eq!(closed[0]["details"]["reason"], "admin");
    assert!(closed[0]["actor_key_id"].is_string());
}
