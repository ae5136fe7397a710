//! `sipas backup FILE`: a consistent copy of a running SQLite installation, which the `sqlite3`
//! CLI opens and `sipas` serves with the same results (given the same secret); on PostgreSQL
//! the command refuses with status 2 and the `pg_dump` recipe.

use std::process::Command;

use serde_json::{Value, json};

use crate::helpers::{TestApp, on_postgres, spawn_app_for_process_with};
use crate::process::{Server, sipas, workdir};
use crate::responses::count;
use crate::retention::{TTL, province, published, register};

/// `sqlite3 FILE SQL`, its standard output trimmed.
fn sqlite3(file: &std::path::Path, sql: &str) -> String {
    let out = Command::new("sqlite3").arg(file).arg(sql).output().unwrap();
    assert!(
        out.status.success(),
        "sqlite3 {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

async fn rows(app: &TestApp, table: &str) -> i64 {
    count(app, &format!("SELECT COUNT(*) FROM {table}")).await
}

#[tokio::test]
async fn a_backup_of_a_running_server_opens_in_sqlite3_and_serves_the_same_results() {
    if on_postgres() {
        return; // `sipas backup` copies SQLite only; see the test below.
    }
    let dir = workdir();
    let (app, url) = spawn_app_for_process_with(&dir, |s| {
        s.surveys.token_ttl_days = TTL;
        s.retention.dossier_months = 0;
    })
    .await;
    let admin = province(&app, &[("2025-03", 12, 2), ("2025-05", 3, 1)]).await;
    app.close_month(&admin, "2025-03").await;
    let open = register(&app, &admin, "SO-A", "OPEN-1", "2025-05-20").await;
    let before = published(&app, &admin).await;

    let backup = |target: &std::path::Path| {
        sipas(&dir)
            .arg("backup")
            .arg(target)
            .env("DATABASE_URL", &url)
            .output()
            .unwrap()
    };
    let copy = dir.join("copy.db");
    let out = backup(&copy);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let size = std::fs::metadata(&copy).unwrap().len();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\t{size}\n", copy.display())
    );
    assert!(
        stderr.contains("secret") && stderr.contains("secret.key"),
        "{stderr}"
    );
    // Readable by its owner only, whatever the umask: it holds password hashes and answers.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    // Never over an existing file.
    let again = backup(&copy);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));
    assert_eq!(std::fs::metadata(&copy).unwrap().len(), size);

    // The copy is a whole database on its own (no -wal file beside it).
    assert!(!dir.join("copy.db-wal").exists());
    assert_eq!(sqlite3(&copy, "PRAGMA integrity_check"), "ok");
    for table in [
        "dossiers",
        "responses",
        "pending_responses",
        "dossier_counts",
        "score_rollups",
        "dossier_rollups",
        "closed_months",
        "api_keys",
        "audit_log",
    ] {
        let n: i64 = sqlite3(&copy, &format!("SELECT COUNT(*) FROM {table}"))
            .parse()
            .unwrap();
        assert_eq!(n, rows(&app, table).await, "{table}");
    }
    assert_eq!(rows(&app, "responses").await, 24);
    assert_eq!(rows(&app, "pending_responses").await, 6);

    // Served from another place with the same secret (the key file, kept apart), the copy
    // gives the same figures and the links already sent still work.
    let restored = workdir();
    std::fs::copy(&copy, restored.join("sipas.db")).unwrap();
    let mut cmd = sipas(&restored);
    cmd.args(["serve", "--bind", "127.0.0.1:0"])
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/sipas.db?mode=rwc", restored.display()),
        )
        .env("APP_SECURITY__KEY_FILE", dir.join("secret.key"))
        .env("APP_SURVEYS__TOKEN_TTL_DAYS", TTL.to_string())
        .env("APP_RETENTION__DOSSIER_MONTHS", "0");
    let server = Server::start(cmd);
    let client = crate::helpers::http_client().build().unwrap();
    for (path, bytes) in &before {
        let res = client
            .get(format!("{}{path}", server.address))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "{path}");
        let served = res.bytes().await.unwrap();
        assert!(
            served.as_ref() == bytes.as_slice(),
            "{path}:\n{}\n{}",
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(&served)
        );
    }
    let token = open["survey_token"].as_str().unwrap();
    let survey = client
        .get(format!("{}/api/v1/surveys/{token}", server.address))
        .send()
        .await
        .unwrap();
    assert_eq!(survey.status().as_u16(), 200);
    let body: Value = survey.json().await.unwrap();
    assert_eq!(body["agency"]["code"], json!("SO-A"));
    let (exit, log) = server.terminate();
    assert!(exit.success(), "{exit:?} {log:?}");
    std::fs::remove_dir_all(dir).ok();
    std::fs::remove_dir_all(restored).ok();
}

#[test]
fn on_postgresql_sipas_backup_gives_the_pg_dump_recipe() {
    let dir = workdir();
    let out = sipas(&dir)
        .args(["backup", "x.db"])
        .env("DATABASE_URL", "postgres://sipas:pw@127.0.0.1:1/sipas")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("pg_dump -Fc") && stderr.contains("pg_restore"),
        "{stderr}"
    );
    assert!(stderr.contains("APP_SECURITY__TOKEN_SECRET"), "{stderr}");
    assert!(!stderr.contains(":pw@"), "{stderr}");
    assert!(!dir.join("x.db").exists());
    std::fs::remove_dir_all(dir).ok();
}
