//! The demo data set (issue 7, item 4): `sipas demo --scale small` loads on both backends through
//! the service's own persistence code (dossiers answered and sealed, counts and score buckets
//! that a rebuild reproduces bit for bit), the same seed gives the same data and the same
//! results, the printed credentials sign in and the printed key reads the API, a second run
//! refuses, and `sipas serve --demo` loads and prints before serving — and what the README
//! promises a new user of it (issue 7, "Done when"): signed in with the printed credentials, an
//! overview, a trend, a ranking and the downloads in headless Chromium with axe-core
//! (tests/browser/readme-flow.mjs), the downloaded files read back against the API.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use sipas::commands::demo::{DemoOptions, DemoReport, load};
use sipas::demo::Scale;
use sipas::persistence::aggregates;

use crate::accounts::serious;
use crate::helpers::{
    TestApp, browser, spawn_app, spawn_app_for_process, target_path, test_settings,
};
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
    assert!(live.iter().any(|l| l.starts_with("rollup ")));
    let forms = sipas::startup::publish_forms(&app.db, test_settings("").forms.dir.as_deref())
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
    let client = crate::helpers::http_client()
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
    let res = crate::helpers::http_client()
        .build()
        .unwrap()
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

/// GET `path` with the printed admin key, expecting 200; the body's bytes.
async fn api_get(base: &str, key: &str, path: &str) -> reqwest::Response {
    let res = crate::helpers::http_client()
        .build()
        .unwrap()
        .get(format!("{base}{path}"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    res
}

async fn api_bytes(base: &str, key: &str, path: &str) -> Vec<u8> {
    api_get(base, key, path)
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec()
}

/// The rows an export withheld for k-anonymity (`X-Sipas-Withheld-Rows`).
async fn api_withheld(base: &str, key: &str, path: &str) -> u64 {
    let res = api_get(base, key, path).await;
    res.headers()["x-sipas-withheld-rows"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn api_json(base: &str, key: &str, path: &str) -> Value {
    serde_json::from_slice(&api_bytes(base, key, path).await).unwrap()
}

/// The value after the last `(` and before the following `)` of the line containing `marker`.
fn code_in_line(text: &str, marker: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("no {marker} in {text}"));
    let start = line.rfind('(').unwrap() + 1;
    line[start..start + line[start..].find(')').unwrap()].to_owned()
}

/// The rows of a CSV file (header first).
fn csv_rows(bytes: &[u8]) -> Vec<csv::StringRecord> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .map(Result::unwrap)
        .collect()
}

/// The README's promise (issue 7, "Done when"): a new user runs `sipas serve --demo`, signs in
/// with the printed credentials and sees an overview, a trend, a ranking and a download — in
/// Chromium (tests/browser/readme-flow.mjs), every page checked with axe-core. The downloaded
/// files are read back and compared with what the API says with the printed key.
#[tokio::test]
async fn a_new_user_follows_the_readme_in_chromium_overview_trend_ranking_and_downloads() {
    use calamine::{Data, Reader, Xlsx};

    let db = crate::helpers::TestDatabase::create().await;
    let dir = workdir();
    let mut server = serve_demo(&dir, &db.url_for_process(&dir));
    let text = printed_text(&mut server);
    let p = printed(&text);
    assert_eq!((p.emails.len(), p.passwords.len()), (2, 2), "{text}");
    let base = server.address.clone();
    assert!(text.contains(&format!("{base}/sign-in")), "{text}");
    let officer_agency = code_in_line(&text, "Agency officer");
    // "… 2025-12 – 2026-11": the last month with data.
    let last = text
        .lines()
        .find(|l| l.contains("Demo data loaded"))
        .and_then(|l| l.rsplit(' ').next())
        .unwrap()
        .to_owned();

    // The province (the demo's root) and a department beside the officer's district.
    let province = "UBND.MS";
    let sibling = "STNMT.MS";
    let root = api_json(&base, &p.key, &format!("/api/v1/agencies/{province}")).await;
    assert_eq!(root["parent_code"], Value::Null, "{root}");
    let form = root["default_form"].as_str().unwrap().to_owned();
    let dept = api_json(&base, &p.key, &format!("/api/v1/agencies/{sibling}")).await;
    assert_eq!(
        (&dept["kind"], &dept["parent_code"]),
        (&json!("department"), &json!(province)),
        "{dept}"
    );
    assert_ne!(officer_agency, sibling);
    assert_ne!(officer_agency, province);

    // The demo closed the months whose links have all expired; the last month's links are
    // still open, so its questionnaires wait, unpublished (counted as pending only).
    let open = api_json(
        &base,
        &p.key,
        &format!("/api/v1/results?agency={province}&form={form}&period={last}&subtree=true"),
    )
    .await;
    let through = open["published_through"]
        .as_str()
        .unwrap_or_else(|| panic!("no month published: {open}"))
        .to_owned();
    assert!(through < last, "{through} is before {last}: {open}");
    assert!(open["pending"].as_u64().unwrap() > 0, "{open}");
    assert_eq!(open["responses"], 0, "nothing of an open month: {open}");
    // The period chosen: the half-year of the last published month.
    let (year, month) = through.split_once('-').unwrap();
    let half = if month.parse::<u32>().unwrap() <= 6 {
        1
    } else {
        2
    };
    let period = format!("{year}-H{half}");

    let shots = target_path("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let started = std::time::Instant::now();
    let report = browser(
        "readme-flow.mjs",
        json!({
            "base": base,
            "admin": {"email": p.emails[0], "password": p.passwords[0]},
            "officer": {"email": p.emails[1], "password": p.passwords[1]},
            "agency": province,
            "sibling": sibling,
            "other_period": period,
            "shots": shots,
            "width": 1280,
        }),
    )
    .await;
    eprintln!("browser flow: {:.1} s", started.elapsed().as_secs_f64());
    std::fs::write(
        target_path("screenshots/readme-flow-report.json"),
        serde_json::to_vec_pretty(&report).unwrap(),
    )
    .unwrap();

    // Every page: its status, language and heading; no serious axe violation; a screenshot.
    let this_year = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap())
        .format("%Y")
        .to_string();
    let pages = report["pages"].as_object().unwrap();
    let expected = [
        // name, status, path, lang, an h2 ("": none checked), the period selected
        ("sign-in", 200, "/sign-in", "vi", "", None),
        ("home", 200, "/dashboard", "vi", "Chọn cơ quan", None),
        (
            "overview",
            200,
            "/dashboard/agencies/UBND.MS",
            "vi",
            "Chỉ số hài lòng (SIPAS)",
            Some(this_year.as_str()),
        ),
        (
            "overview-period",
            200,
            "/dashboard/agencies/UBND.MS",
            "vi",
            "Chỉ số hài lòng (SIPAS)",
            Some(period.as_str()),
        ),
        (
            "overview-en",
            200,
            "/dashboard/agencies/UBND.MS",
            "en",
            "Satisfaction index (SIPAS)",
            Some(period.as_str()),
        ),
        (
            "trend",
            200,
            "/dashboard/agencies/UBND.MS/trend",
            "en",
            "Trend over time",
            Some(period.as_str()),
        ),
        (
            "compare",
            200,
            "/dashboard/agencies/UBND.MS/compare",
            "en",
            "Comparison of the agencies below",
            Some(period.as_str()),
        ),
        (
            "downloads",
            200,
            "/dashboard/agencies/UBND.MS/downloads",
            "en",
            "Downloads",
            Some(period.as_str()),
        ),
        ("sign-in-officer", 200, "/sign-in", "vi", "", None),
        (
            "officer-home",
            200,
            "/dashboard",
            "vi",
            "Chỉ số hài lòng (SIPAS)",
            Some(this_year.as_str()),
        ),
        (
            "sibling",
            403,
            "/dashboard/agencies/STNMT.MS",
            "vi",
            "",
            None,
        ),
    ];
    assert_eq!(pages.len(), expected.len(), "{report}");
    for (name, status, path, lang, h2, selected) in expected {
        let page = &pages[name];
        assert_eq!(page["status"], status, "{name}: {page}");
        assert_eq!(page["path"], path, "{name}: {page}");
        assert_eq!(page["lang"], lang, "{name}: {page}");
        assert_eq!(page["scripts"], 0, "{name}: {page}");
        assert!(serious(page).is_empty(), "{name}: {page}");
        if !h2.is_empty() {
            assert!(
                page["h2"].as_array().unwrap().iter().any(|h| h == h2),
                "{name}: {h2} in {page}"
            );
        }
        assert_eq!(page["period"].as_str(), selected, "{name}: {page}");
        let shot = page["screenshot"].as_str().unwrap();
        assert!(
            std::fs::metadata(shot).is_ok_and(|m| m.len() > 0),
            "{name}: {shot}"
        );
    }
    assert_eq!(pages["sign-in"]["heading"], "Đăng nhập");
    // The province was found on the landing page; English kept the chosen period.
    assert!(
        pages["overview-en"]["query"]
            .as_str()
            .unwrap()
            .contains("lang=en")
    );
    for name in [
        "overview",
        "overview-period",
        "overview-en",
        "trend",
        "compare",
    ] {
        assert!(
            pages[name]["charts"].as_u64().unwrap() >= 1,
            "{name}: a chart in {}",
            pages[name]
        );
    }
    let officer_home = pages["officer-home"]["heading"].as_str().unwrap();
    assert!(
        officer_home.ends_with(&format!("({officer_agency})")),
        "{officer_home}"
    );
    assert_eq!(pages["sibling"]["heading"], "Không có quyền truy cập");

    // What the API says, with the printed key, for the same agency, form and period.
    let api = api_json(
        &base,
        &p.key,
        &format!("/api/v1/results?agency={province}&form={form}&period={period}&subtree=true"),
    )
    .await;
    let sipas = api["index"]["value"].as_f64().unwrap();
    let responses = api["responses"].as_u64().unwrap();
    let invalid = api["invalid_returns"].as_u64().unwrap();
    assert!(responses >= 30, "{api}");

    // The XLSX report, as the browser saved it: an English workbook with the overview's figures.
    let xlsx = &report["downloads"]["xlsx"];
    assert_eq!(xlsx["failure"], Value::Null, "{xlsx}");
    assert_eq!(
        xlsx["href"],
        format!("/dashboard/agencies/{province}/report.xlsx?form={form}&period={period}&lang=en")
    );
    let suggested = xlsx["suggested"].as_str().unwrap();
    assert!(
        suggested.ends_with(".xlsx") && suggested.contains(province) && suggested.contains(&period),
        "{suggested}"
    );
    let mut book: Xlsx<_> = calamine::open_workbook(xlsx["path"].as_str().unwrap()).unwrap();
    assert_eq!(
        book.sheet_names(),
        ["Summary", "Items", "Trend", "Perceptions, needs"]
    );
    let summary = book.worksheet_range("Summary").unwrap();
    let fraction = |c: &Data| matches!(c, Data::Float(x) if (x * 100.0 - sipas).abs() < 1e-9);
    assert!(
        summary.cells().any(|(_, _, c)| fraction(c)),
        "SIPAS {sipas} not in the summary sheet"
    );
    let labelled = |label: &str, value: f64| {
        summary.rows().any(|row| {
            row.contains(&Data::String(label.to_owned())) && row.contains(&Data::Float(value))
        })
    };
    assert!(labelled("Valid responses", responses as f64), "{responses}");
    assert!(labelled("Invalid returns", invalid as f64), "{invalid}");
    assert!(
        summary
            .cells()
            .any(|(_, _, c)| *c == Data::String(period.clone())),
        "{period} in the summary sheet"
    );
    let items = book.worksheet_range("Items").unwrap();
    assert!(
        items.height() > api["items"].as_array().unwrap().len(),
        "a row per criterion"
    );

    // The raw answers: a byte-order mark, a header, one row per questionnaire (invalid returns
    // included), the same rows as the API's export.
    let csv = &report["downloads"]["csv"];
    assert_eq!(csv["failure"], Value::Null, "{csv}");
    let suggested = csv["suggested"].as_str().unwrap();
    assert!(suggested.ends_with(".csv"), "{suggested}");
    let bytes = std::fs::read(csv["path"].as_str().unwrap()).unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "a byte-order mark");
    let rows = csv_rows(&bytes[3..]);
    let (header, data) = rows.split_first().unwrap();
    let fixed = sipas::export::raw::FIXED_COLUMNS;
    assert!(header.len() > fixed.len(), "{header:?}");
    for (i, (id, vi, en)) in fixed.iter().enumerate() {
        assert!(
            [*vi, *en].contains(&&header[i]),
            "column {i} ({id}): {header:?}"
        );
    }
    // k-anonymous: the rows of rare combinations (small communes' months) are withheld, and
    // the export says how many.
    let withheld = api_withheld(
        &base,
        &p.key,
        &format!(
            "/api/v1/responses/export?agency={province}&form={form}&period={period}&subtree=true&format=csv"
        ),
    )
    .await;
    assert_eq!(data.len() as u64 + withheld, responses + invalid);
    let valid = data.iter().filter(|r| &r[8] == "true").count() as u64;
    assert!(
        valid <= responses && responses - valid <= withheld,
        "valid rows and the API's responses"
    );
    assert!(data.iter().all(|r| &r[1] == form.as_str()));
    let api_csv = api_bytes(
        &base,
        &p.key,
        &format!(
            "/api/v1/responses/export?agency={province}&form={form}&period={period}&subtree=true&format=csv"
        ),
    )
    .await;
    let api_rows = csv_rows(&api_csv);
    assert_eq!(api_rows.len(), 1 + data.len(), "the API's rows");
    if let Some(i) = (0..data.len()).find(|&i| api_rows[1 + i] != data[i]) {
        panic!("row {i}: {:?}, the API's: {:?}", &data[i], &api_rows[1 + i]);
    }

    let (exit, log) = server.terminate();
    assert!(exit.success(), "{log:?}");
    std::fs::remove_dir_all(dir).ok();
}
