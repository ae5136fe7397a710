//! `sipas keys create|list|revoke` run as a program, against the database a running app uses.

use sipas::error::ProblemCode;
use std::path::Path;
use std::process::Output;

use serde_json::Value;
use sipas::domain::auth::Role;

use crate::helpers::{assert_problem, spawn_app_for_process};
use crate::process::{sipas, workdir};

fn keys(dir: &Path, url: &str, args: &[&str]) -> Output {
    sipas(dir)
        .arg("keys")
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .unwrap()
}

/// Runs `keys create …`, asserts success, and returns standard output exactly as printed.
fn create(dir: &Path, url: &str, args: &[&str]) -> String {
    let out = keys(dir, url, &[&["create"][..], args].concat());
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn is_key(s: &str) -> bool {
    s.len() == 70
        && s.starts_with("sipas_")
        && s[6..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[tokio::test]
async fn keys_are_created_listed_and_revoked_with_the_binary() {
    let dir = workdir();
    let (app, url) = spawn_app_for_process(&dir).await;

    // KEY=$(sipas keys create --role admin): standard output is the key and a newline, no more.
    let out = keys(
        &dir,
        &url,
        &["create", "--role", "admin", "--label", "ops team"],
    );
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let admin = stdout.strip_suffix('\n').expect("one line");
    assert!(is_key(admin), "stdout was {stdout:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("shown only this once"), "{stderr}");
    assert!(!stderr.contains(admin), "the key goes to stdout only");

    // It works, and can create agencies.
    app.create_agency(admin, "TINH", "province", None).await;
    app.create_agency(admin, "HUYEN", "district", Some("TINH"))
        .await;

    let agency = create(&dir, &url, &["--role", "agency", "--agency", "HUYEN"]);
    let agency = agency.trim_end();
    assert!(is_key(agency));
    assert_eq!(
        app.get_json(agency, "/api/v1/agencies/HUYEN").await["code"],
        "HUYEN"
    );
    assert_problem(
        app.get_as(agency, "/api/v1/agencies/TINH").await,
        ProblemCode::Forbidden,
    )
    .await;
    let pipeline = create(&dir, &url, &["--role", "pipeline"]);
    let pipeline = pipeline.trim_end();
    assert!(is_key(pipeline));
    assert_ne!(pipeline, admin);

    // The list shows every key, never a key itself.
    let out = keys(&dir, &url, &["list"]);
    assert!(out.status.success());
    let list = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<Vec<&str>> = list.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(
        rows[0],
        [
            "id",
            "role",
            "agency",
            "label",
            "created",
            "last_used",
            "revoked"
        ]
    );
    assert_eq!(rows.len(), 4, "{list}");
    assert_eq!(&rows[1][1..4], ["admin", "-", "ops team"]);
    assert_ne!(rows[1][5], "-", "the admin key has been used");
    assert_eq!(&rows[2][1..3], ["agency", "HUYEN"]);
    assert_eq!(&rows[3][1..3], ["pipeline", "-"]);
    assert_eq!(rows[3][5], "-", "the pipeline key was never used");
    assert!(rows.iter().skip(1).all(|r| r[6] == "-"));
    for key in [admin, agency, pipeline] {
        assert!(!list.contains(&key[6..]));
    }

    // Revoking stops the key at once; the others keep working.
    let agency_id = rows[2][0];
    let out = keys(&dir, &url, &["revoke", agency_id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    assert_problem(
        app.get_as(agency, "/api/v1/agencies/HUYEN").await,
        ProblemCode::Unauthorized,
    )
    .await;
    app.get_json(admin, "/api/v1/agencies/HUYEN").await;
    let out = keys(&dir, &url, &["revoke", agency_id]);
    assert!(out.status.success(), "revoking twice is harmless");
    assert!(String::from_utf8_lossy(&out.stderr).contains("already revoked"));
    let out = keys(&dir, &url, &["revoke", &uuid::Uuid::now_v7().to_string()]);
    assert!(!out.status.success(), "an unknown id is an error");
    let list = String::from_utf8(keys(&dir, &url, &["list"]).stdout).unwrap();
    let revoked: Vec<&str> = list.lines().nth(2).unwrap().split('\t').collect();
    assert_ne!(revoked[6], "-", "{list}");

    // The audit log has each action, but no key and no label.
    let audit = app.get_json(admin, "/api/v1/audit").await;
    let actions: Vec<(&str, &str)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["subject"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("key.revoked", agency_id),
            ("key.created", rows[3][0]),
            ("key.created", agency_id),
            ("agency.created", "HUYEN"),
            ("agency.created", "TINH"),
            ("key.created", rows[1][0]),
        ]
    );
    let agency_created = &audit["entries"][2];
    assert_eq!(agency_created["details"]["role"], "agency");
    assert_eq!(agency_created["details"]["agency_code"], "HUYEN");
    assert_eq!(agency_created["actor_key_id"], Value::Null);
    let text = audit.to_string();
    for secret in [admin, agency, pipeline, "ops team"] {
        assert!(!text.contains(secret), "audit shows {secret}");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn keys_create_refuses_bad_arguments_and_prints_no_key() {
    let dir = workdir();
    let (app, url) = spawn_app_for_process(&dir).await;
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "TINH", "province", None).await;
    for args in [
        &["create", "--role", "agency"][..],
        &["create", "--role", "agency", "--agency", "NOPE"],
        &["create", "--role", "admin", "--agency", "TINH"],
        &["create", "--role", "pipeline", "--label", "a\tb"],
        &["create", "--role", "root"],
        &["create"],
        &["revoke", "not-a-uuid"],
    ] {
        let out = keys(&dir, &url, args);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
        assert!(!out.stderr.is_empty(), "{args:?} said nothing");
    }
    // Only the key made by the test exists.
    let list = String::from_utf8(keys(&dir, &url, &["list"]).stdout).unwrap();
    assert_eq!(list.lines().count(), 2, "{list}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn the_new_subcommands_have_help() {
    for args in [
        &["keys", "--help"][..],
        &["keys", "create", "--help"],
        &["keys", "list", "--help"],
        &["keys", "revoke", "--help"],
        &["agencies", "import", "--help"],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sipas"))
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("Usage:"), "{args:?}: {text}");
    }
}
