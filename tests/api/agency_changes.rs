//! Agencies that change (issue 21): `PATCH /api/v1/agencies/{code}` renames, moves, closes and
//! merges from a month, each rule with its problem code; registration refuses a dossier of a
//! month its agency is not in force; rankings and PAR scores of a period list exactly the
//! agencies in force then; a parent's results use the hierarchy of the period; and
//! `sipas agencies reorganise` applies a file all or nothing.

use serde_json::{Value, json};
use sipas::domain::auth::Role;
use sipas::error::ProblemCode;

use crate::accounts::{Browser, PASSWORD, account, assert_officer_page};
use crate::helpers::{TestApp, assert_problem, spawn_app_for_process_with, spawn_app_with};
use crate::process::{sipas, workdir};

/// Links that last ten years: no month of 2025 closes by itself, so changes may take effect in
/// it.
pub(crate) fn long_links(s: &mut sipas::config::Settings) {
    s.surveys.token_ttl_days = 3650;
}

/// A move below `parent` from July 2025.
pub(crate) fn moved_to(parent: &str) -> Value {
    json!({"parent_code": parent, "effective_from": "2025-07"})
}

/// A merge into `successor` from July 2025.
fn merged_into(successor: &str) -> Value {
    json!({"closed_from": "2025-07", "merged_into": successor})
}

async fn patch(app: &TestApp, key: &str, code: &str, body: Value) -> reqwest::Response {
    app.client
        .patch(app.url(&format!("/api/v1/agencies/{code}")))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn patched(app: &TestApp, key: &str, code: &str, body: Value) -> Value {
    let res = patch(app, key, code, body).await;
    assert_eq!(res.status().as_u16(), 200, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

/// TINH → HUYEN1 → XA1, XA2; TINH → HUYEN2 → XA3.
pub(crate) async fn hierarchy(app: &TestApp, admin: &str) {
    app.create_agency(admin, "TINH", "province", None).await;
    for (h, xs) in [("HUYEN1", ["XA1", "XA2"].as_slice()), ("HUYEN2", &["XA3"])] {
        app.create_agency(admin, h, "district", Some("TINH")).await;
        for x in xs {
            app.create_agency(admin, x, "commune", Some(h)).await;
        }
    }
}

pub(crate) async fn register(
    app: &TestApp,
    key: &str,
    agency: &str,
    code: &str,
    at: &str,
) -> reqwest::Response {
    let body = json!({
        "dossier_code": code,
        "agency_code": agency,
        "completed_at": at,
        "channel": "online",
    });
    app.post_json(Some(key), "/api/v1/dossiers", &body).await
}

#[tokio::test]
async fn an_admin_renames_moves_closes_and_merges_agencies_from_a_month() {
    let app = spawn_app_with(long_links).await;
    let admin = app.create_key(Role::Admin, None).await;
    hierarchy(&app, &admin).await;

    let renamed =
        json!({"name": {"vi": "Phường Một", "en": "Ward One"}, "effective_from": "2025-07"});
    let xa1 = patched(&app, &admin, "XA1", renamed).await;
    assert_eq!(xa1["name"]["vi"], "Phường Một");
    assert_eq!(xa1["name"]["en"], "Ward One");
    assert_eq!(xa1["code"], "XA1");
    let moved = patched(&app, &admin, "XA3", moved_to("TINH")).await;
    assert_eq!(moved["parent_code"], "TINH");
    let children: Vec<String> = app
        .get_json(&admin, "/api/v1/agencies?parent=TINH")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(children, ["HUYEN1", "HUYEN2", "XA3"]);

    // A district keeping communes cannot close; merging them first lets it.
    let close = json!({"closed_from": "2025-07"});
    let res = patch(&app, &admin, "HUYEN1", close.clone()).await;
    assert_problem(res, ProblemCode::AgencyHasChildren).await;
    patched(&app, &admin, "XA1", moved_to("TINH")).await;
    let merged = patched(&app, &admin, "XA2", merged_into("XA1")).await;
    assert_eq!(merged["closed_from"], "2025-07");
    assert_eq!(merged["merged_into"], "XA1");
    patched(&app, &admin, "HUYEN1", close.clone()).await;
    let fetched = app.get_json(&admin, "/api/v1/agencies/HUYEN1").await;
    assert_eq!(fetched["closed_from"], "2025-07");

    // A closed agency takes no dossier of its closing month or later; earlier ones are fine.
    let res = register(&app, &admin, "XA2", "D-JUL", "2025-07-05T10:00:00+07:00").await;
    let problem = assert_problem(res, ProblemCode::AgencyClosed).await;
    assert_eq!(problem["errors"][0]["field"], "completed_at");
    let res = register(&app, &admin, "XA2", "D-JUN", "2025-06-05T10:00:00+07:00").await;
    assert_eq!(res.status().as_u16(), 201);

    // Every change is audit-logged, with codes and months only.
    let log = app.get_json(&admin, "/api/v1/audit?limit=100").await;
    let changed: Vec<&Value> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "agency.changed")
        .collect();
    assert_eq!(changed.len(), 5, "{log}");
    let merge = changed.iter().find(|e| e["subject"] == "XA2").unwrap();
    assert_eq!(merge["details"]["merged_into"], "XA1");
    assert_eq!(merge["details"]["closed_from"], "2025-07");
    assert!(!log.to_string().contains("Phường Một"));
}

#[tokio::test]
async fn changes_that_break_a_rule_are_refused_with_their_code() {
    let app = spawn_app_with(long_links).await;
    let admin = app.create_key(Role::Admin, None).await;
    hierarchy(&app, &admin).await;
    let agency_key = app.create_key(Role::Agency, Some("TINH")).await;
    let at = |m: &str| json!({"name": {"vi": "Tên mới"}, "effective_from": m});

    assert_eq!(
        patch(&app, &agency_key, "XA1", at("2025-07"))
            .await
            .status()
            .as_u16(),
        403
    );
    let res = patch(&app, &admin, "NOPE", at("2025-07")).await;
    assert_problem(res, ProblemCode::AgencyNotFound).await;
    let refused = [
        (
            "XA1",
            json!({"name": {"vi": "X"}}),
            ProblemCode::ValidationFailed,
        ),
        (
            "XA1",
            json!({"effective_from": "2025-13", "name": {"vi": "X"}}),
            ProblemCode::ValidationFailed,
        ),
        (
            "XA1",
            json!({"merged_into": "XA2"}),
            ProblemCode::ValidationFailed,
        ),
        ("XA1", moved_to("NOPE"), ProblemCode::UnknownParent),
        ("HUYEN1", moved_to("XA1"), ProblemCode::ParentLoop),
        ("XA1", merged_into("XA1"), ProblemCode::InvalidSuccessor),
    ];
    for (code, body, problem) in refused {
        assert_problem(patch(&app, &admin, code, body).await, problem).await;
    }

    patched(&app, &admin, "XA1", at("2025-07")).await;
    let res = patch(&app, &admin, "XA2", at("2025-05")).await;
    assert_problem(res, ProblemCode::ChangeOutOfOrder).await;
    // A dossier in July keeps XA2 from closing in July.
    let res = register(&app, &admin, "XA2", "D1", "2025-07-05T10:00:00+07:00").await;
    assert_eq!(res.status().as_u16(), 201);
    let res = patch(&app, &admin, "XA2", json!({"closed_from": "2025-07"})).await;
    assert_problem(res, ProblemCode::AgencyHasDossiers).await;
    patched(&app, &admin, "XA2", json!({"closed_from": "2025-08"})).await;
    let res = patch(&app, &admin, "XA2", at("2025-09")).await;
    assert_problem(res, ProblemCode::AgencyClosed).await;

    // What is published is never rewritten.
    app.close_month(&admin, "2025-09").await;
    let res = patch(&app, &admin, "XA3", at("2025-09")).await;
    assert_problem(res, ProblemCode::ChangeInPublishedMonth).await;
    patched(&app, &admin, "XA3", at("2025-10")).await;
    let opened =
        json!({"code": "NEW", "name": {"vi": "Mới"}, "kind": "commune", "opened_from": "2025-09"});
    let res = app
        .post_json(Some(&admin), "/api/v1/agencies", &opened)
        .await;
    assert_problem(res, ProblemCode::ChangeInPublishedMonth).await;
    let res = app.get_as(&admin, "/api/v1/agencies/NEW").await;
    assert_eq!(res.status().as_u16(), 404, "nothing created");
}

pub(crate) fn codes_of(list: &Value, field: &str) -> Vec<String> {
    let mut out: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s[field].as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

/// Rankings and PAR scores of a period list exactly the agencies in force in it, and a
/// district's subtree keeps the communes it had then.
#[tokio::test]
async fn rankings_and_par_scores_list_the_agencies_in_force_in_the_period() {
    let app = spawn_app_with(long_links).await;
    let admin = app.create_key(Role::Admin, None).await;
    hierarchy(&app, &admin).await;
    // The new commune is in force from July 2025 only.
    let new = json!({"code": "XA.MOI", "name": {"vi": "Xã Mới"}, "kind": "commune", "parent_code": "TINH", "opened_from": "2025-07"});
    let res = app.post_json(Some(&admin), "/api/v1/agencies", &new).await;
    assert_eq!(res.status().as_u16(), 201);
    assert_eq!(res.json::<Value>().await.unwrap()["opened_from"], "2025-07");
    let res = register(&app, &admin, "XA.MOI", "EARLY", "2025-06-30T10:00:00+07:00").await;
    assert_problem(res, ProblemCode::AgencyClosed).await;
    // From July 2025: no districts; XA1 and XA2 merge into XA.MOI, XA3 moves up.
    for x in ["XA1", "XA2"] {
        patched(&app, &admin, x, merged_into("XA.MOI")).await;
    }
    patched(&app, &admin, "XA3", moved_to("TINH")).await;
    for h in ["HUYEN1", "HUYEN2"] {
        patched(&app, &admin, h, json!({"closed_from": "2025-07"})).await;
    }
    let ranked = |period: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let r = app
                .get_json(
                    &admin,
                    &format!("/api/v1/rankings?parent=TINH&form=sipas-2017&period={period}"),
                )
                .await;
            let mut all = codes_of(&r["ranked"], "agency_code");
            all.extend(codes_of(&r["not_ranked"], "agency_code"));
            all.sort();
            all
        }
    };
    assert_eq!(ranked("2024").await, ["HUYEN1", "HUYEN2"]);
    assert_eq!(ranked("2026").await, ["XA.MOI", "XA3"]);
    assert_eq!(ranked("2025").await, ["HUYEN1", "HUYEN2", "XA.MOI", "XA3"]);
    let par = |period: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let p = app
                .get_json(
                    &admin,
                    &format!("/api/v1/par/scores?form=sipas-2017&period={period}&kind=commune"),
                )
                .await;
            codes_of(&p["scores"], "agency_code")
        }
    };
    assert_eq!(par("2026").await, ["XA.MOI", "XA3"]);
    assert_eq!(par("2025-H1").await, ["XA1", "XA2", "XA3"]);
    assert_eq!(par("2025").await, ["XA.MOI", "XA1", "XA2", "XA3"]);
}

fn run(dir: &std::path::Path, url: &str, args: &[&str]) -> std::process::Output {
    sipas(dir)
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .unwrap()
}

#[tokio::test]
async fn a_reorganisation_file_is_applied_all_or_nothing_with_a_dry_run() {
    let dir = workdir();
    let (app, url) = spawn_app_for_process_with(&dir, long_links).await;
    let admin = app.create_key(Role::Admin, None).await;
    hierarchy(&app, &admin).await;
    let bad = dir.as_path().join("bad.csv");
    std::fs::write(
        &bad,
        "action,code,name_vi,name_en,parent_code,into,kind\n\
         create,XA.MOI,Xã Mới,,TINH,,commune\n\
         merge,XA1,,,,NOWHERE,\n\
         split,XA2,,,,,\n\
         rename,XA3,,,,,\n",
    )
    .unwrap();
    let out = run(
        &dir,
        &url,
        &[
            "agencies",
            "reorganise",
            bad.to_str().unwrap(),
            "--effective-from",
            "2025-07",
        ],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in [":3: into:", ":4: action:", ":5: name_vi:"] {
        assert!(stderr.contains(line), "{line}: {stderr}");
    }
    assert_eq!(
        patch(&app, &admin, "XA.MOI", json!({"closed_from": "2025-07"}))
            .await
            .status()
            .as_u16(),
        404
    );

    let good = dir.as_path().join("good.csv");
    std::fs::write(
        &good,
        "action,code,name_vi,name_en,parent_code,into,kind\n\
         create,XA.MOI,Xã Mới,New Commune,TINH,,commune\n\
         merge,XA1,,,,XA.MOI,\n\
         merge,XA2,,,,XA.MOI,\n\
         move,XA3,,,TINH,,\n\
         rename,XA3,Phường Ba,,,,\n\
         close,HUYEN1,,,,,\n\
         close,HUYEN2,,,,,\n",
    )
    .unwrap();
    let args = [
        "agencies",
        "reorganise",
        good.to_str().unwrap(),
        "--effective-from",
        "2025-07",
    ];
    let dry: Vec<&str> = args.iter().copied().chain(["--dry-run"]).collect();
    let out = run(&dir, &url, &dry);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("line 3: merge XA1 into XA.MOI"), "{stdout}");
    assert_eq!(
        app.get_json(&admin, "/api/v1/agencies/XA3").await["parent_code"],
        "HUYEN2"
    );
    let out = run(&dir, &url, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let xa3 = app.get_json(&admin, "/api/v1/agencies/XA3").await;
    assert_eq!(
        (xa3["parent_code"].as_str(), xa3["name"]["vi"].as_str()),
        (Some("TINH"), Some("Phường Ba"))
    );
    let moi = app.get_json(&admin, "/api/v1/agencies/XA.MOI").await;
    assert_eq!(moi["opened_from"], "2025-07");
    assert_eq!(
        app.get_json(&admin, "/api/v1/agencies/XA2").await["merged_into"],
        "XA.MOI"
    );
    assert_eq!(
        app.get_json(&admin, "/api/v1/agencies/HUYEN2").await["closed_from"],
        "2025-07"
    );
    // The same file again: the districts are closed already.
    let out = run(&dir, &url, &args);
    assert!(!out.status.success());
}

/// Registers `n` dossiers of `agency` completed in `month` (`YYYY-MM`) and enters a paper
/// questionnaire for each, every scale item at `1 + (i + shift) % 5`.
pub(crate) async fn answered(
    app: &TestApp,
    key: &str,
    agency: &str,
    month: &str,
    (n, shift): (usize, usize),
) {
    for i in 0..n {
        let code = format!("{agency}-{month}-{i}");
        let at = format!("{month}-{:02}T10:00:00+07:00", 1 + i % 28);
        let res = register(app, key, agency, &code, &at).await;
        assert_eq!(res.status().as_u16(), 201, "{}", res.text().await.unwrap());
        let level = 1 + ((i + shift) % 5) as i64;
        let body = paper(&code, level);
        let path = format!("/api/v1/agencies/{agency}/responses");
        let res = app.post_json(Some(key), &path, &body).await;
        assert_eq!(res.status().as_u16(), 201, "{}", res.text().await.unwrap());
    }
}

/// A paper questionnaire for the dossier `code`, every scale item at `level`, collected after
/// every month of these tests.
fn paper(code: &str, level: i64) -> Value {
    let mut body = json!({"dossier_code": code, "form_key": "sipas-2017", "mode": "paper"});
    body["collected_on"] = json!("2025-09-01");
    body["answers"] = (1..=22).map(|j| (format!("s{j}"), json!(level))).collect();
    body
}

fn index_of(step: &Value) -> &Value {
    &step["index"]["value"]
}

/// A merged commune's trend: before the merge, its predecessors' figures combined (pooled, and
/// the mean of agencies) — equal to their district's subtree then — marked as such; after, its
/// own; a combined month that would give a small predecessor back is withheld, with the change
/// after it; a rebuild of the scores changes nothing.
#[tokio::test]
async fn a_merged_communes_trend_combines_its_predecessors_before_the_merge() {
    let app = spawn_app_with(long_links).await;
    let admin = app.create_key(Role::Admin, None).await;
    hierarchy(&app, &admin).await;
    app.create_agency(&admin, "XA.MOI", "commune", Some("TINH"))
        .await;
    answered(&app, &admin, "XA1", "2025-05", (12, 0)).await;
    answered(&app, &admin, "XA2", "2025-05", (14, 2)).await;
    answered(&app, &admin, "XA1", "2025-06", (15, 1)).await;
    // Too few to be published alone: XA2's June would be the combined June minus XA1's.
    answered(&app, &admin, "XA2", "2025-06", (3, 4)).await;
    for x in ["XA1", "XA2"] {
        patched(&app, &admin, x, merged_into("XA.MOI")).await;
    }
    answered(&app, &admin, "XA.MOI", "2025-07", (13, 3)).await;
    answered(&app, &admin, "XA.MOI", "2025-08", (16, 0)).await;
    app.close_month(&admin, "2025-08").await;

    let trend = |aggregate: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let path = format!(
                "/api/v1/results/trend?agency=XA.MOI&form=sipas-2017&from=2025-05&to=2025-08&aggregate={aggregate}"
            );
            app.get_json(&admin, &path).await
        }
    };
    let result = |query: String| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let path = format!("/api/v1/results?form=sipas-2017&{query}");
            app.get_json(&admin, &path).await
        }
    };
    for aggregate in ["pooled", "mean"] {
        let t = trend(aggregate).await;
        let steps = t["steps"].as_array().unwrap();
        assert_eq!(steps.len(), 4, "{t}");
        let history = &t["merged_history"];
        assert_eq!(history["merged_from"], "2025-07");
        assert_eq!(history["predecessors"], json!(["XA1", "XA2"]));
        assert_eq!(history["combined_steps"], json!(["2025-05", "2025-06"]));
        assert_eq!(history["withheld_steps"], json!(["2025-06"]));
        // May: the predecessors combined, as their district's subtree in May.
        let district = result(format!(
            "agency=HUYEN1&subtree=true&aggregate={aggregate}&period=2025-05"
        ))
        .await;
        assert_eq!(steps[0]["responses"], 26);
        assert!(index_of(&steps[0]).is_f64(), "{t}");
        assert_eq!(
            index_of(&steps[0]),
            &district["index"]["value"],
            "{aggregate}"
        );
        // June withheld, and July's change from it too.
        assert_eq!(index_of(&steps[1]), &Value::Null);
        assert_eq!(steps[1]["index"]["status"], "suppressed");
        assert_eq!(steps[2]["index"]["change"], Value::Null);
        // July and August: its own.
        for (i, month) in [(2, "2025-07"), (3, "2025-08")] {
            let own = result(format!("agency=XA.MOI&period={month}")).await;
            let (got, want) = (
                index_of(&steps[i]).as_f64().unwrap(),
                own["index"]["value"].as_f64().unwrap(),
            );
            assert!(
                (got - want).abs() < 1e-9,
                "{aggregate} {month}: {got} {want}"
            );
        }
        assert!(steps[3]["index"]["change"]["value"].is_f64());
    }
    // An agency without predecessors says nothing of a history.
    let plain = app
        .get_json(
            &admin,
            "/api/v1/results/trend?agency=XA3&form=sipas-2017&from=2025-05&to=2025-08",
        )
        .await;
    assert!(plain.get("merged_history").is_none(), "{plain}");

    // The page and the report say which months are combined.
    account(&app, Role::Admin, None, "admin@tinh.gov.vn").await;
    let mut b = Browser::of(&app);
    b.sign_in("admin@tinh.gov.vn", PASSWORD).await;
    let q = "form=sipas-2017&period=2025-05%2F2025-08&step=month";
    let page = b
        .get(&format!("/dashboard/agencies/XA.MOI/trend?{q}"))
        .await;
    assert_officer_page(&page, 200);
    assert!(
        page.body
            .contains("số liệu gộp của các cơ quan đã sáp nhập vào cơ quan này (XA1, XA2)"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Tháng 5/2025 *") || page.body.contains("5/2025 *"),
        "{}",
        page.body
    );
    let (status, _, bytes) = b
        .download(&format!(
            "/dashboard/agencies/XA.MOI/report.xlsx?{q}&lang=en"
        ))
        .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = calamine::Reader::worksheet_range(&mut book, "Trend").unwrap();
    let noted = sheet
        .cells()
        .any(|(_, _, c)| c.to_string().contains("merged into this one (XA1, XA2)"));
    assert!(noted, "no note of the merge in the trend sheet");

    let before = (trend("pooled").await, trend("mean").await);
    let forms = sipas::startup::publish_forms(&app.db, None).await.unwrap();
    sipas::persistence::aggregates::rebuild(&app.db, &forms)
        .await
        .unwrap();
    assert_eq!((trend("pooled").await, trend("mean").await), before);
}

/// The demo follows the reform when its months go through it: the districts end in June 2025,
/// their communes merge into fewer from July, so the hierarchy of 2026 is two-tier; rankings of
/// each half-year list the agencies of that half; the new commune's trend shows its
/// predecessors before the merge; a rebuild changes nothing.
#[tokio::test]
async fn the_demo_follows_the_reform_of_july_2025() {
    use sipas::commands::demo::{DemoOptions, load};
    let app = spawn_app_with(long_links).await;
    let settings = crate::helpers::test_settings("sqlite::memory:");
    let options = DemoOptions {
        seed: 3,
        scale: sipas::demo::Scale::Small,
        last_month: Some((2025, 12)),
    };
    let report = load(&app.db, &settings, options).await.unwrap();
    // 12 agencies, and a new commune for each of the two districts' three communes.
    assert_eq!(report.agencies, 14);
    let key = report.credentials.api_key.expose();
    let ranked = |period: &'static str| {
        let app = &app;
        async move {
            let path = format!("/api/v1/rankings?parent=UBND.MS&form=sipas-2024&period={period}");
            let r = app.get_json(key, &path).await;
            let mut all = codes_of(&r["ranked"], "agency_code");
            all.extend(codes_of(&r["not_ranked"], "agency_code"));
            all.sort();
            all
        }
    };
    let first = ranked("2025-H1").await;
    assert!(
        first.contains(&"H03.MS".to_owned()) && !first.contains(&"XM0301.MS".to_owned()),
        "{first:?}"
    );
    let second = ranked("2025-H2").await;
    assert!(
        second.contains(&"XM0301.MS".to_owned()) && !second.iter().any(|c| c.starts_with('H')),
        "{second:?}"
    );
    let h03 = app.get_json(key, "/api/v1/agencies/H03.MS").await;
    assert_eq!(h03["closed_from"], "2025-07");
    assert_eq!(
        app.get_json(key, "/api/v1/agencies/X0301.MS").await["merged_into"],
        "XM0301.MS"
    );
    assert_eq!(report.credentials.officer_agency_code, "XM0301.MS");
    let trend_path =
        "/api/v1/results/trend?agency=XM0301.MS&form=sipas-2024&period=2025&step=quarter";
    let trend = app.get_json(key, trend_path).await;
    assert_eq!(trend["merged_history"]["merged_from"], "2025-07", "{trend}");
    assert_eq!(
        trend["merged_history"]["predecessors"],
        json!(["X0301.MS", "X0302.MS", "X0303.MS"])
    );
    assert!(
        trend["steps"][0]["responses"].as_u64().unwrap() > 0,
        "{trend}"
    );
    // A district's results for the first half keep its communes of then.
    let district = app
        .get_json(
            key,
            "/api/v1/results?agency=H03.MS&form=sipas-2024&period=2025-H1&subtree=true",
        )
        .await;
    assert!(district["responses"].as_u64().unwrap() > 0, "{district}");
    let forms = sipas::startup::publish_forms(&app.db, None).await.unwrap();
    sipas::persistence::aggregates::rebuild(&app.db, &forms)
        .await
        .unwrap();
    assert_eq!(app.get_json(key, trend_path).await, trend);
}
