//! Paper, kiosk and phone questionnaires entered by agencies: `POST
//! /api/v1/agencies/{code}/responses` (stored once through the same path as a citizen's answer,
//! invalid returns, who may enter, every refusal) and `sipas responses import` run as a program.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use sipas::domain::auth::Role;
use sipas::domain::dossiers::vietnam_date;
use sipas::error::ProblemCode;
use sipas::persistence::dossiers as store;
use uuid::Uuid;

use crate::agencies::write;
use crate::dossiers::{dossier, register, setup};
use crate::helpers::{TestApp, assert_problem, spawn_app, spawn_app_for_process};
use crate::process::{sipas, workdir};
use crate::responses::{all_scales, count, form_of, registered, response_path, rows};

const ENTRY: &str = "/api/v1/agencies/SO/responses";

/// Today in Vietnam: a collection day every test dossier (completed yesterday) accepts.
fn today() -> String {
    vietnam_date(Utc::now()).to_string()
}

fn entry(code: &str, mode: &str, answers: Value) -> Value {
    json!({
        "dossier_code": code,
        "form_key": "sipas-2017",
        "mode": mode,
        "answers": answers,
        "collected_on": today(),
    })
}

/// `n` of the 22 satisfaction items of sipas-2017 answered with 4.
fn items(n: usize) -> Value {
    (1..=n)
        .map(|i| (format!("s{i}"), json!(4)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

async fn dossier_of(app: &TestApp, reg: &Value) -> sipas::domain::dossiers::Dossier {
    let id: Uuid = reg["dossier_id"].as_str().unwrap().parse().unwrap();
    store::find_by_id(&app.db, id)
        .await
        .unwrap()
        .unwrap()
        .dossier
}

#[tokio::test]
async fn a_paper_questionnaire_is_stored_once_with_mode_paper() {
    let app = spawn_app().await;
    let admin = setup(&app).await;
    // A key of the parent agency acts for its departments.
    let tinh = app.create_key(Role::Agency, Some("TINH")).await;
    let reg = registered(&app, &admin, "P-1", json!({"procedure_field": "Đất đai"})).await;
    let form = form_of(&app, &reg).await;
    let mut answers = all_scales(&form, 5);
    answers["e1"] = json!(["facilities"]);
    let body = entry("P-1", "paper", answers.clone());

    let res = app.post_json(Some(&tinh), ENTRY, &body).await;
    assert_eq!(res.status().as_u16(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["valid"], true, "{view}");
    assert!(view.get("invalid_reason").is_none(), "{view}");
    assert_eq!(view["receipt"].as_str().unwrap().len(), 19, "{view}");

    // The dossier's month is open: the answer waits, unpublished, in `pending_responses`.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM responses").await, 0);
    let row = &rows(
        &app,
        "SELECT mode, channel, procedure_field, valid, answers FROM pending_responses",
    )
    .await[0];
    assert_eq!(row.try_get::<String>("", "mode").unwrap(), "paper");
    assert_eq!(row.try_get::<String>("", "channel").unwrap(), "in_person");
    assert!(row.try_get::<bool>("", "valid").unwrap());
    let stored: Value =
        serde_json::from_str(&row.try_get::<String>("", "answers").unwrap()).unwrap();
    assert_eq!(stored, answers);

    // Answered and sealed in the same transaction; the link is closed.
    let d = dossier_of(&app, &reg).await;
    assert!(d.answered);
    assert!(d.dossier_code.starts_with("sealed:"), "{}", d.dossier_code);
    let survey = format!("/api/v1/surveys/{}", reg["survey_token"].as_str().unwrap());
    assert_problem(app.get(&survey).await, ProblemCode::SurveyClosed).await;

    // The same questionnaire again (found under its sealed code) is a conflict, not a retry.
    assert_problem(
        app.post_json(Some(&tinh), ENTRY, &body).await,
        ProblemCode::AlreadyAnswered,
    )
    .await;
    assert_eq!(app.count_answers().await, 1);
}

#[tokio::test]
async fn a_paper_questionnaire_with_too_many_blanks_is_stored_as_an_invalid_return() {
    let app = spawn_app().await;
    let admin = setup(&app).await;
    let so = app.create_key(Role::Agency, Some("SO")).await;
    registered(&app, &admin, "P-2", json!({})).await;
    registered(&app, &admin, "P-3", json!({})).await;

    // 10 of 22 answered: 12 blank, more than half.
    let res = app
        .post_json(Some(&so), ENTRY, &entry("P-2", "paper", items(10)))
        .await;
    assert_eq!(res.status().as_u16(), 201);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["valid"], false, "{view}");
    assert_eq!(view["invalid_reason"], "too_many_blanks", "{view}");
    // 11 of 22: exactly half blank is still valid.
    let res = app
        .post_json(Some(&so), ENTRY, &entry("P-3", "paper", items(11)))
        .await;
    assert_eq!(res.status().as_u16(), 201);
    assert_eq!(res.json::<Value>().await.unwrap()["valid"], true);

    // Both counted (pending while their month is open); the invalid one is marked so no index
    // uses it.
    assert_eq!(app.count_answers().await, 2);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM pending_responses").await,
        2
    );
    let invalid = rows(
        &app,
        "SELECT invalid_reason FROM pending_responses WHERE valid = false",
    )
    .await;
    assert_eq!(invalid.len(), 1);
    assert_eq!(
        invalid[0]
            .try_get::<Option<String>>("", "invalid_reason")
            .unwrap()
            .as_deref(),
        Some("too_many_blanks")
    );
}

#[tokio::test]
async fn kiosk_and_phone_refuse_a_questionnaire_without_a_satisfaction_answer() {
    let app = spawn_app().await;
    let admin = setup(&app).await;
    let reg = registered(&app, &admin, "K-1", json!({})).await;
    for mode in ["kiosk", "phone"] {
        let problem = assert_problem(
            app.post_json(
                Some(&admin),
                ENTRY,
                &entry("K-1", mode, json!({"p1": "once"})),
            )
            .await,
            ProblemCode::InvalidAnswers,
        )
        .await;
        assert_eq!(problem["errors"][0]["code"], "no_satisfaction_answer");
    }
    assert_eq!(app.count_answers().await, 0);
    assert!(!dossier_of(&app, &reg).await.answered);

    // A kiosk questionnaire with answers is stored with its mode.
    let res = app
        .post_json(Some(&admin), ENTRY, &entry("K-1", "kiosk", items(1)))
        .await;
    assert_eq!(res.status().as_u16(), 201);
    let view: Value = res.json().await.unwrap();
    assert_eq!(
        view["valid"], true,
        "interactive modes have no invalid returns"
    );
    assert_eq!(app.count_answers().await, 1);
    let row = &rows(&app, "SELECT mode FROM pending_responses").await[0];
    assert_eq!(row.try_get::<String>("", "mode").unwrap(), "kiosk");
}

#[tokio::test]
async fn unknown_dossiers_other_forms_and_implausible_days_are_422() {
    let app = spawn_app().await;
    let admin = setup(&app).await;
    let so = app.create_key(Role::Agency, Some("SO")).await;
    registered(&app, &admin, "U-1", json!({})).await;
    let good = entry("U-1", "paper", items(22));

    let unknown = assert_problem(
        app.post_json(Some(&so), ENTRY, &entry("NO-SUCH", "paper", items(22)))
            .await,
        ProblemCode::UnknownDossier,
    )
    .await;
    assert_eq!(unknown["errors"][0]["field"], "dossier_code");
    // The dossier belongs to SO, not to its parent: "for that agency" means exactly that.
    let admin_parent = app
        .post_json(Some(&admin), "/api/v1/agencies/TINH/responses", &good)
        .await;
    assert_problem(admin_parent, ProblemCode::UnknownDossier).await;

    let mut other_form = good.clone();
    other_form["form_key"] = json!("sipas-quick");
    let problem = assert_problem(
        app.post_json(Some(&so), ENTRY, &other_form).await,
        ProblemCode::FormMismatch,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "form_key");

    let mut future = good.clone();
    future["collected_on"] = json!((vietnam_date(Utc::now()) + Duration::days(2)).to_string());
    assert_problem(
        app.post_json(Some(&so), ENTRY, &future).await,
        ProblemCode::CollectedInFuture,
    )
    .await;
    let mut early = good.clone();
    early["collected_on"] = json!((vietnam_date(Utc::now()) - Duration::days(30)).to_string());
    assert_problem(
        app.post_json(Some(&so), ENTRY, &early).await,
        ProblemCode::CollectedBeforeCompletion,
    )
    .await;

    for (field, value) in [
        ("collected_on", json!("05/03/2026")),
        ("collected_on", json!("2026-02-30")),
        ("mode", json!("web")),
        ("dossier_code", json!("")),
    ] {
        let mut bad = good.clone();
        bad[field] = value;
        let problem = assert_problem(
            app.post_json(Some(&so), ENTRY, &bad).await,
            ProblemCode::ValidationFailed,
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let mut extra = good.clone();
    extra["collected_at"] = json!("x");
    assert_problem(
        app.post_json(Some(&so), ENTRY, &extra).await,
        ProblemCode::UnknownField,
    )
    .await;

    assert_eq!(app.count_answers().await, 0);
    assert_eq!(
        app.post_json(Some(&so), ENTRY, &good)
            .await
            .status()
            .as_u16(),
        201
    );
}

#[tokio::test]
async fn a_dossier_answered_online_first_is_409_even_with_the_same_answers() {
    let app = spawn_app().await;
    let admin = setup(&app).await;
    let reg = registered(&app, &admin, "L-1", json!({})).await;
    let form = form_of(&app, &reg).await;
    let answers = all_scales(&form, 4);
    let res = app
        .post_json(None, &response_path(&reg), &json!({"answers": answers}))
        .await;
    assert_eq!(res.status().as_u16(), 201);
    // Identical answers must not get a 200: that would tell the officer what the citizen said.
    assert_problem(
        app.post_json(Some(&admin), ENTRY, &entry("L-1", "paper", answers))
            .await,
        ProblemCode::AlreadyAnswered,
    )
    .await;
    assert_problem(
        app.post_json(Some(&admin), ENTRY, &entry("L-1", "phone", items(3)))
            .await,
        ProblemCode::AlreadyAnswered,
    )
    .await;
    assert_eq!(app.count_answers().await, 1);
}

#[tokio::test]
async fn paper_that_comes_back_after_the_link_expired_is_still_taken() {
    let app = spawn_app().await;
    let admin = setup(&app).await;
    let reg = registered(&app, &admin, "X-1", json!({})).await;
    let id: Uuid = reg["dossier_id"].as_str().unwrap().parse().unwrap();
    store::set_expiry(&app.db, id, Utc::now() - Duration::seconds(1))
        .await
        .unwrap();
    let res = app
        .post_json(Some(&admin), ENTRY, &entry("X-1", "paper", items(22)))
        .await;
    assert_eq!(res.status().as_u16(), 201);
    assert_eq!(app.count_answers().await, 1);
}

#[tokio::test]
async fn only_keys_of_the_agency_or_above_and_admins_may_enter() {
    let app = spawn_app().await;
    let admin = setup(&app).await;
    registered(&app, &admin, "A-1", json!({})).await;
    let body = entry("A-1", "paper", items(22));
    let sibling = app.create_key(Role::Agency, Some("KHAC")).await;
    let pipeline = app.create_key(Role::Pipeline, None).await;

    assert_problem(
        app.post_json(None, ENTRY, &body).await,
        ProblemCode::Unauthorized,
    )
    .await;
    assert_problem(
        app.post_json(Some("sipas_not-a-key"), ENTRY, &body).await,
        ProblemCode::Unauthorized,
    )
    .await;
    assert_problem(
        app.post_json(Some(&sibling), ENTRY, &body).await,
        ProblemCode::Forbidden,
    )
    .await;
    assert_problem(
        app.post_json(Some(&pipeline), ENTRY, &body).await,
        ProblemCode::Forbidden,
    )
    .await;
    // An agency that does not exist: 403 for an agency key (no probing), 404 for an admin.
    let nowhere = "/api/v1/agencies/NOWHERE/responses";
    assert_problem(
        app.post_json(Some(&sibling), nowhere, &body).await,
        ProblemCode::Forbidden,
    )
    .await;
    assert_problem(
        app.post_json(Some(&admin), nowhere, &body).await,
        ProblemCode::AgencyNotFound,
    )
    .await;
    assert_eq!(app.count_answers().await, 0);

    let doc: Value = app
        .get("/api-docs/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    let op = &doc["paths"]["/api/v1/agencies/{code}/responses"]["post"];
    assert!(op["responses"]["201"].is_object(), "{op}");
    assert!(op["responses"]["409"].is_object(), "{op}");
}

// ---- sipas responses import ------------------------------------------------------------------

fn import(
    dir: &std::path::Path,
    url: &str,
    file: &std::path::Path,
    extra: &[&str],
) -> (bool, String) {
    let out = sipas(dir)
        .args(["responses", "import"])
        .arg(file)
        .args(["--agency", "SO", "--form", "sipas-2017"])
        .args(extra)
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    assert!(out.stdout.is_empty());
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The line numbers of `FILE:LINE:` reports in `stderr`, in order.
fn reported_lines(stderr: &str, name: &str) -> Vec<u64> {
    let prefix = format!("{name}:");
    stderr
        .lines()
        .filter_map(|l| l.split(&prefix).nth(1))
        .map(|rest| rest.split(':').next().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test]
async fn import_stores_every_row_of_a_good_file() {
    let dir = workdir();
    let (app, url) = spawn_app_for_process(&dir).await;
    let admin = setup(&app).await;
    for code in ["I-1", "I-2", "I-3"] {
        register(&app, &admin, &dossier("SO", code), 201).await;
    }
    // Decomposed Vietnamese (as some keyboards type it) in a quoted cell with a comma.
    let decomposed = "Ca\u{0301}n bo\u{0302}\u{0323} nhiê\u{0323}t ti\u{0300}nh, chu đa\u{0301}o";
    let csv = format!(
        "\u{feff}dossier_code,s1,s2,s3,s4,s5,s6,s7,s8,s9,s10,s11,s12,s13,s14,s15,s16,s17,s18,s19,s20,s21,s22,p1,e1,comment\n\
         I-1,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,once,facilities;simpler_procedures,\"{decomposed}\"\n\
         \n\
         I-2,4,4,4,4,4,4,4,4,4,4,4,,,,,,,,,,,,,,\n\
         I-3,3,,,,,,,,,,,,,,,,,,,,,,twice,,\n"
    );
    let file = write(&dir, "paper.csv", csv.as_bytes());
    let (ok, stderr) = import(&dir, &url, &file, &[]);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("stored 3 response(s)")
            && stderr.contains("(1 invalid return(s) among them)"),
        "{stderr}"
    );
    assert!(stderr.contains("skipped 0 row(s)"), "{stderr}");

    // Their month is open: the answers wait, unpublished, in `pending_responses`.
    assert_eq!(app.count_answers().await, 3);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM pending_responses WHERE mode = 'paper'"
        )
        .await,
        3
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM pending_responses WHERE valid = false"
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM dossiers WHERE answered").await,
        3
    );
    let texts = rows(&app, "SELECT answers FROM pending_responses").await;
    let with_comment: Vec<Value> = texts
        .iter()
        .map(|r| serde_json::from_str(&r.try_get::<String>("", "answers").unwrap()).unwrap())
        .filter(|a: &Value| a.get("comment").is_some())
        .collect();
    assert_eq!(with_comment.len(), 1);
    assert_eq!(
        with_comment[0]["comment"], "Cán bộ nhiệt tình, chu đáo",
        "stored NFC"
    );
    assert_eq!(
        with_comment[0]["e1"],
        json!(["facilities", "simpler_procedures"])
    );
    assert_eq!(with_comment[0]["s1"], 5);

    // The same file again: every dossier is answered now.
    let (ok, stderr) = import(&dir, &url, &file, &[]);
    assert!(!ok);
    assert_eq!(stderr.matches("already answered").count(), 3, "{stderr}");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn a_bad_import_lists_every_bad_row_and_stores_nothing_unless_told_to_skip() {
    let dir = workdir();
    let (app, url) = spawn_app_for_process(&dir).await;
    let admin = setup(&app).await;
    for code in ["B-1", "B-2", "B-3", "B-4"] {
        register(&app, &admin, &dossier("SO", code), 201).await;
    }
    let mut quick = dossier("SO", "B-Q");
    quick["form_key"] = json!("sipas-quick");
    register(&app, &admin, &quick, 201).await;
    // B-5 is answered online first.
    let b5 = registered(&app, &admin, "B-5", json!({})).await;
    let form = form_of(&app, &b5).await;
    let res = app
        .post_json(
            None,
            &response_path(&b5),
            &json!({"answers": all_scales(&form, 4)}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 201);
    let csv = "dossier_code,s1,s2,p1,e1\n\
               B-1,5,4,once,\n\
               NO-SUCH,5,4,,\n\
               B-2,9,4,,\n\
               B-3,5,4,often,facilities;nowhere\n\
               B-4,4,4,,\n\
               B-4,4,4,,\n\
               B-5,4,4,,\n\
               B-Q,4,4,,\n\
               ,4,4,,\n\
               B-6,4\n";
    let file = write(&dir, "bad.csv", csv.as_bytes());
    let (ok, stderr) = import(&dir, &url, &file, &[]);
    assert!(!ok);
    assert_eq!(
        reported_lines(&stderr, "bad.csv"),
        [3, 4, 5, 5, 6, 7, 8, 9, 10, 11],
        "{stderr}"
    );
    for needle in [
        "bad.csv:3: dossier_code: no dossier",
        "bad.csv:4: s1: Level 9",
        "bad.csv:5: p1:",
        "bad.csv:5: e1:",
        "bad.csv:6: dossier_code: the same dossier code is also on line 7",
        "bad.csv:7: dossier_code: the same dossier code is also on line 6",
        "bad.csv:8: dossier_code: the dossier is already answered",
        "bad.csv:9: dossier_code: the dossier is surveyed with the form `sipas-quick`",
        "bad.csv:10: dossier_code: must not be empty",
        "bad.csv:11: row: has 2 cells",
    ] {
        assert!(stderr.contains(needle), "{needle}\n{stderr}");
    }
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    // Nothing written: only the online answer is there, B-1 is still open.
    assert_eq!(app.count_answers().await, 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM dossiers WHERE answered").await,
        1
    );

    // --skip-bad stores the good row and reports the rest.
    let (ok, stderr) = import(&dir, &url, &file, &["--skip-bad"]);
    assert!(ok, "{stderr}");
    assert_eq!(
        reported_lines(&stderr, "bad.csv"),
        [3, 4, 5, 5, 6, 7, 8, 9, 10, 11],
        "{stderr}"
    );
    assert!(
        stderr.contains("stored 1 response(s)") && stderr.contains("skipped 10 row(s)"),
        "{stderr}"
    );
    assert_eq!(app.count_answers().await, 2);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM dossiers WHERE answered").await,
        2
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn unknown_columns_are_reported_once_on_the_header_line() {
    let dir = workdir();
    let (app, url) = spawn_app_for_process(&dir).await;
    let admin = setup(&app).await;
    register(&app, &admin, &dossier("SO", "H-1"), 201).await;
    let file = write(
        &dir,
        "header.csv",
        b"dossier_code,s1,q9_1,s1,ten\nH-1,5,4,4,x\nH-1,5,4,4,y\n",
    );
    let (ok, stderr) = import(&dir, &url, &file, &[]);
    assert!(!ok);
    assert_eq!(reported_lines(&stderr, "header.csv"), [1, 1, 1], "{stderr}");
    assert!(stderr.contains("unknown column `q9_1`"), "{stderr}");
    assert!(stderr.contains("unknown column `ten`"), "{stderr}");
    assert!(stderr.contains("`s1` appears twice"), "{stderr}");

    let file = write(&dir, "nocode.csv", b"s1,s2\n5,5\n");
    let (ok, stderr) = import(&dir, &url, &file, &[]);
    assert!(!ok);
    assert!(
        stderr.contains("nocode.csv:1: header: the column `dossier_code` is missing"),
        "{stderr}"
    );
    assert_eq!(app.count_answers().await, 0);
    std::fs::remove_dir_all(dir).ok();
}
