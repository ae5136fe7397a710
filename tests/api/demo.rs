//! The demo data set (issue 7, item 4): `sipas demo --scale small` loads on both backends through
//! the service's own persistence code (dossiers answered and sealed, counts and score buckets
//! that a rebuild reproduces bit for bit), the same seed gives the same data and the same
//! results, the printed credentials sign in and the printed key reads the API, a second run
//! refuses, and `sipas serve --demo` loads and prints before serving.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;

use sea_orm::{ConnectionTrait, Statement};
use serde_json::Value;
use sipas::commands::demo::{DemoOptions, DemoReport, load};
use sipas::demo::Scale;
use sipas::persistence::aggregates;

use crate::helpers::{TestApp, spawn_app, spawn_app_for_process, test_settings};
use crate::process::{Server, sipas, workdir};

const SEED: u64 = 7;
/// A fixed span, so that two loads compare whatever the day: July 2025 – June 2026.
const LAST_MONTH: (i32, u32) = (2026, 6);

async fn load_small(app: &TestApp, seed: u64) -> DemoReport {
    let settings = test_settings("sqlite::memory:");
    load(
        &app.db,
        &settings,
        DemoOptions {
            seed,
            scale: Scale::Small,
            last_month: Some(LAST_MONTH),
        },
    )
    .await
    .unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let backend = app.db.get_database_backend();
    let row = app
        .db
        .query_one_raw(Statement::from_string(backend, sql.to_owned()))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn the_small_demo_is_stored_like_live_traffic_and_a_rebuild_changes_nothing() {
    let app = spawn_app().await;
    let report = load_small(&app, SEED).await;
    assert_eq!(report.agencies, 12);
    assert_eq!(
        (report.first_month.as_str(), report.last_month.as_str()),
        ("2025-07", "2026-06")
    );
    assert!(report.dossiers > 1000, "{report:?}");
    assert!(report.responses > 300 && report.responses < report.dossiers);
    assert!(report.invalid_returns > 0 && report.invalid_returns * 20 < report.responses);

    // Registration's counts, the responses' claims and seals, as live traffic leaves them.
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM dossiers").await,
        report.dossiers as i64
    );
    assert_eq!(
        count(
            &app,
            "SELECT CAST(SUM(dossiers) AS BIGINT) FROM dossier_counts"
        )
        .await,
        report.dossiers as i64
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM responses").await,
        report.responses as i64
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM dossiers WHERE answered = TRUE").await,
        report.responses as i64
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM responses WHERE valid = FALSE").await,
        report.invalid_returns as i64
    );
    // Every link of this span has expired: every code is sealed, no answer digest is kept.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM dossiers WHERE dossier_code NOT LIKE 'sealed:%'"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM dossiers WHERE response_digest IS NOT NULL"
        )
        .await,
        0
    );
    let key = sipas::startup::token_key(&app.db, &test_settings(""))
        .await
        .unwrap();
    let sealed = sipas::maintenance::round(&app.db, &key, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(sealed, 0, "the sealing task finds nothing left to do");
    // Web, kiosk, paper and phone; three channels; the forms as published.
    assert_eq!(
        count(&app, "SELECT COUNT(DISTINCT mode) FROM responses").await,
        4
    );
    assert_eq!(
        count(&app, "SELECT COUNT(DISTINCT channel) FROM dossiers").await,
        3
    );
    assert_eq!(
        count(&app, "SELECT COUNT(DISTINCT form_key) FROM responses").await,
        2
    );

    let live = aggregates::snapshot(&app.db).await.unwrap();
    assert!(live.iter().any(|l| l.starts_with("bucket")));
    let forms = sipas::startup::publish_forms(&app.db, &test_settings("").forms.dir)
        .await
        .unwrap();
    let rebuilt = aggregates::rebuild(&app.db, &forms).await.unwrap();
    assert_eq!(rebuilt.responses, report.responses);
    assert_eq!(rebuilt.dossiers, report.dossiers);
    assert_eq!(aggregates::snapshot(&app.db).await.unwrap(), live);

    // A second load is refused and changes nothing.
    let settings = test_settings("sqlite::memory:");
    let again = load(
        &app.db,
        &settings,
        DemoOptions {
            seed: SEED,
            scale: Scale::Small,
            last_month: Some(LAST_MONTH),
        },
    )
    .await
    .unwrap_err();
    assert!(
        again
            .downcast_ref::<sipas::commands::demo::AlreadyLoaded>()
            .is_some(),
        "{again:#}"
    );
    assert_eq!(aggregates::snapshot(&app.db).await.unwrap(), live);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM dossiers").await,
        report.dossiers as i64
    );
}

/// What the API says about the demo, read with its own admin key.
async fn results(app: &TestApp, report: &DemoReport) -> Vec<Value> {
    let key = report.credentials.api_key.expose();
    let mut out = Vec::new();
    for path in [
        "/api/v1/results?agency=UBND.MS&form=sipas-2024&period=2026-H1&subtree=true",
        "/api/v1/results?agency=STNMT.MS&form=sipas-2024&period=2025",
        "/api/v1/results?agency=STP.MS&form=sipas-2017&from=2025-07&to=2026-06",
        "/api/v1/results?agency=H03.MS&form=sipas-2024&period=2026-Q1&by=mode",
        "/api/v1/results/trend?agency=STNMT.MS&form=sipas-2024&from=2025-07&to=2026-06&step=quarter",
        "/api/v1/rankings?parent=UBND.MS&form=sipas-2024&from=2025-07&to=2026-06",
    ] {
        out.push(app.get_json(key, path).await);
    }
    out
}

#[tokio::test]
async fn the_same_seed_gives_the_same_data_and_the_same_results() {
    let (a, b, c) = (spawn_app().await, spawn_app().await, spawn_app().await);
    let (ra, rb, rc) = (
        load_small(&a, SEED).await,
        load_small(&b, SEED).await,
        load_small(&c, SEED + 1).await,
    );
    let counts = |r: &DemoReport| (r.agencies, r.dossiers, r.responses, r.invalid_returns);
    assert_eq!(counts(&ra), counts(&rb));
    let (va, vb, vc) = (
        results(&a, &ra).await,
        results(&b, &rb).await,
        results(&c, &rc).await,
    );
    assert_eq!(va, vb);
    assert_ne!(va, vc, "another seed gives other data");

    // The numbers show what the demo is for: a department with data, a tiny one suppressed.
    let stnmt = &va[1];
    assert!(stnmt["responses"].as_u64().unwrap() >= 100, "{stnmt}");
    assert_eq!(stnmt["index"]["status"], "ok", "{stnmt}");
    let ranking = &va[5];
    assert!(
        !ranking["ranked"].as_array().unwrap().is_empty(),
        "{ranking}"
    );
    let tiny = ranking["not_ranked"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["agency_code"] == "BDT.MS")
        .unwrap_or_else(|| panic!("the tiny department is not ranked: {ranking}"));
    assert_eq!(tiny["status"], "suppressed", "{tiny}");
    let by_mode = va[3]["breakdown"].to_string();
    assert!(
        by_mode.contains("kiosk") && by_mode.contains("web"),
        "{by_mode}"
    );
}

/// The credentials `sipas demo` printed: admin e-mail and password, officer e-mail and
/// password, API key, and the sample survey link.
struct Printed {
    emails: Vec<String>,
    passwords: Vec<String>,
    key: String,
    survey: Option<String>,
}

fn printed(stdout: &str) -> Printed {
    let after = |line: &str, marker: &str| {
        line.split_once(marker)
            .map(|(_, rest)| rest.trim().to_owned())
    };
    let lines: Vec<&str> = stdout.lines().collect();
    Printed {
        emails: lines.iter().filter_map(|l| after(l, "E-mail:")).collect(),
        passwords: lines.iter().filter_map(|l| after(l, "Password:")).collect(),
        key: lines
            .iter()
            .find_map(|l| after(l, "Admin API key:"))
            .unwrap_or_default(),
        survey: lines
            .iter()
            .find_map(|l| after(l, "Try a survey:"))
            .filter(|s| !s.is_empty()),
    }
}

/// Signs in through the `/sign-in` form; returns the status and where it redirects.
async fn sign_in(base: &str, email: &str, password: &str) -> (u16, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = client.get(format!("{base}/sign-in")).send().await.unwrap();
    assert_eq!(form.status(), 200);
    let cookies: Vec<String> = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    let html = form.text().await.unwrap();
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let token = &html[start..start + html[start..].find('"').unwrap()];
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("email", email),
            ("password", password),
            ("csrf_token", token),
        ])
        .finish();
    let res = client
        .post(format!("{base}/sign-in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", cookies.join("; "))
        .body(body)
        .send()
        .await
        .unwrap();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (res.status().as_u16(), location)
}

#[tokio::test]
async fn sipas_demo_prints_credentials_that_work_and_refuses_a_second_run() {
    let dir = workdir();
    let (app, url) = spawn_app_for_process(&dir).await;
    let out = sipas(&dir)
        .args(["demo", "--scale", "small", "--seed", "3"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("Demo data loaded") && stdout.contains("Dữ liệu mẫu"),
        "{stdout}"
    );
    let p = printed(&stdout);
    assert_eq!(p.emails.len(), 2, "{stdout}");
    assert_eq!(p.passwords.len(), 2, "{stdout}");
    assert!(p.key.starts_with("sipas_"), "{stdout}");
    // Nothing secret goes to the log.
    for secret in p.passwords.iter().chain([&p.key]) {
        assert!(!stderr.contains(secret.as_str()), "{stderr}");
    }

    let again = sipas(&dir)
        .args(["demo", "--scale", "small", "--seed", "3"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!again.status.success());
    let refused = String::from_utf8_lossy(&again.stderr);
    assert!(
        refused.contains("already in this database") && refused.contains("nothing was changed"),
        "{refused}"
    );
    assert!(again.stdout.is_empty());

    // The credentials work against the running service.
    for (email, password) in p.emails.iter().zip(&p.passwords) {
        assert_eq!(
            sign_in(&app.address, email, password).await,
            (303, "/dashboard".to_owned()),
            "{email}"
        );
    }
    assert_eq!(
        sign_in(&app.address, &p.emails[0], "not the password")
            .await
            .0,
        422
    );
    let res = app
        .get_as(
            &p.key,
            "/api/v1/results?agency=UBND.MS&form=sipas-2024&period=2026&subtree=true",
        )
        .await;
    assert_eq!(res.status(), 200);
    let survey = p.survey.expect("a link of an open survey");
    let path = survey
        .split_once("/s/")
        .map(|(_, t)| format!("/s/{t}"))
        .unwrap();
    assert_eq!(app.get(&path).await.status(), 200, "{survey}");
    std::fs::remove_dir_all(dir).ok();
}

/// `sipas serve --demo --demo-scale small` in `dir` on the database at `url`, listening.
fn serve_demo(dir: &Path, url: &str) -> Server {
    let mut cmd = sipas(dir);
    cmd.args([
        "serve",
        "--demo",
        "--demo-scale",
        "small",
        "--bind",
        "127.0.0.1:0",
    ])
    .env("DATABASE_URL", url);
    Server::start_with_stdout(cmd, Stdio::piped())
}

/// What the server printed on standard output, up to the line that ends the credentials.
fn printed_text(server: &mut Server) -> String {
    let stdout = server.take_stdout().unwrap();
    let mut text = String::new();
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        text.push_str(&line);
        text.push('\n');
        if line.contains("shown only this once") {
            break;
        }
    }
    text
}

#[tokio::test]
async fn serve_demo_loads_prints_and_serves_and_only_loads_once() {
    let db = crate::helpers::TestDatabase::create().await;
    let dir = workdir();
    let url = db.url_for_process(&dir);
    let start = |url: &str| serve_demo(&dir, url);
    let mut server = start(&url);
    let text = printed_text(&mut server);
    let p = printed(&text);
    assert!(
        text.contains(&format!("{}/sign-in", server.address)),
        "{text}"
    );
    assert_eq!(
        sign_in(&server.address, &p.emails[1], &p.passwords[1]).await,
        (303, "/dashboard".to_owned())
    );
    let (exit, log) = server.terminate();
    assert!(exit.success(), "{log:?}");

    // Started again: the demo is there, nothing is loaded or printed, the server serves.
    let server = start(&url);
    let res = reqwest::Client::new()
        .get(format!("{}/api/v1/agencies", server.address))
        .bearer_auth(&p.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (exit, log) = server.terminate();
    assert!(exit.success(), "{log:?}");
    assert!(log.iter().any(|l| l.contains("already loaded")), "{log:?}");
    assert!(
        !log.iter().any(|l| l.contains("demo month loaded")),
        "{log:?}"
    );
    std::fs::remove_dir_all(dir).ok();
}
