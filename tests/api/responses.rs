//! `POST /api/v1/surveys/{token}/response`: a citizen's answers stored exactly once and
//! anonymously — receipts and retries, conflicts, closed and unknown links, every invalid
//! answer reported at once, what a stored row holds, and 100 concurrent submissions.

use sipas::error::ProblemCode;
use std::collections::HashSet;

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Map, Value, json};
use sipas::persistence::dossiers as store;
use uuid::Uuid;

use crate::dossiers::{dossier, register, setup};
use crate::helpers::{TestApp, assert_problem, spawn_app};

/// Registers a dossier of agency SO (after `setup`) and returns the registration body.
pub async fn registered(app: &TestApp, admin: &str, code: &str, extra: Value) -> Value {
    let mut body = dossier("SO", code);
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    register(app, admin, &body, 201).await
}

pub fn response_path(reg: &Value) -> String {
    format!(
        "/api/v1/surveys/{}/response",
        reg["survey_token"].as_str().unwrap()
    )
}

/// The form of a registered dossier, as its survey serves it.
pub async fn form_of(app: &TestApp, reg: &Value) -> Value {
    let path = format!("/api/v1/surveys/{}", reg["survey_token"].as_str().unwrap());
    let survey: Value = app.get(&path).await.json().await.unwrap();
    survey["form"].clone()
}

/// Ids of every scale question of `form`.
pub fn scale_questions(form: &Value) -> Vec<String> {
    form["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["questions"].as_array().unwrap())
        .filter(|q| q["kind"] == "scale")
        .map(|q| q["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Every scale question of `form` answered with `level`.
pub fn all_scales(form: &Value, level: i64) -> Value {
    let answers: Map<String, Value> = scale_questions(form)
        .into_iter()
        .map(|id| (id, json!(level)))
        .collect();
    Value::Object(answers)
}

pub async fn rows(app: &TestApp, sql: &str) -> Vec<sea_orm::QueryResult> {
    app.db
        .query_all_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .unwrap()
}

pub async fn count(app: &TestApp, sql: &str) -> i64 {
    rows(app, sql).await[0].try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn an_answer_is_stored_once_and_a_retry_gets_the_same_receipt() {
    let app = spawn_app().await;
    let admin = setup(&app).await;
    let reg = registered(
        &app,
        &admin,
        "R-1",
        json!({"procedure_field": "Đất đai", "channel": "online"}),
    )
    .await;
    let form = form_of(&app, &reg).await;
    // The client's key for this attempt: only a retry of it is recognised.
    let key = "attempt-1_0123456789abcdef";
    let body = json!({"answers": all_scales(&form, 4), "submission_key": key});

    let res = app.post_json(None, &response_path(&reg), &body).await;
    assert_eq!(res.status().as_u16(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let first: Value = res.json().await.unwrap();
    let receipt = first["receipt"].as_str().unwrap().to_owned();
    assert_eq!(receipt.len(), 19, "{receipt}");

    // A phone on a bad network sends the same body (same key) again: same receipt, 200.
    let res = app.post_json(None, &response_path(&reg), &body).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["receipt"], receipt);
    // The same answers without the key, or with another key, are not a retry: whoever holds
    // the link cannot test a guess at what was answered.
    assert_problem(
        app.post_json(
            None,
            &response_path(&reg),
            &json!({"answers": body["answers"]}),
        )
        .await,
        ProblemCode::AlreadyAnswered,
    )
    .await;
    assert_problem(
        app.post_json(
            None,
            &response_path(&reg),
            &json!({"answers": body["answers"], "submission_key": "another-attempt-0123456789"}),
        )
        .await,
        ProblemCode::AlreadyAnswered,
    )
    .await;
    // Key order and explicit nulls do not make a body different.
    let mut reordered: Map<String, Value> = Map::new();
    for (k, v) in body["answers"].as_object().unwrap().iter().rev() {
        reordered.insert(k.clone(), v.clone());
    }
    reordered.insert("g1".into(), Value::Null);
    let res = app
        .post_json(
            None,
            &response_path(&reg),
            &json!({"answers": reordered, "submission_key": key}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["receipt"], receipt);

    // Different answers afterwards (even with the key): a conflict, and nothing changes.
    let other = json!({"answers": all_scales(&form, 2), "submission_key": key});
    assert_problem(
        app.post_json(None, &response_path(&reg), &other).await,
        ProblemCode::AlreadyAnswered,
    )
    .await;
    // The survey is closed for reading.
    let survey = format!("/api/v1/surveys/{}", reg["survey_token"].as_str().unwrap());
    assert_problem(app.get(&survey).await, ProblemCode::SurveyClosed).await;

    // One row, holding only what docs/privacy.md allows: pending (unpublished) while the
    // dossier's month is open.
    assert_eq!(app.count_answers().await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM responses").await, 0);
    let row = &rows(
        &app,
        "SELECT form_key, form_version, period_month, channel, mode, procedure_field, valid, \
         answers FROM pending_responses",
    )
    .await[0];
    assert_eq!(row.try_get::<String>("", "form_key").unwrap(), "sipas-2017");
    assert_eq!(row.try_get::<String>("", "channel").unwrap(), "online");
    assert_eq!(row.try_get::<String>("", "mode").unwrap(), "web");
    assert_eq!(
        row.try_get::<Option<String>>("", "procedure_field")
            .unwrap(),
        Some("Đất đai".into())
    );
    assert!(row.try_get::<bool>("", "valid").unwrap());
    let completed = chrono::DateTime::parse_from_rfc3339(
        crate::dossiers::dossier("SO", "x")["completed_at"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        row.try_get::<String>("", "period_month").unwrap(),
        sipas::domain::dossiers::period_month(completed.with_timezone(&Utc))
    );
    let stored: Value =
        serde_json::from_str(&row.try_get::<String>("", "answers").unwrap()).unwrap();
    assert_eq!(stored, body["answers"]);
    let expected: HashSet<String> = [
        "id",
        "agency_id",
        "form_key",
        "form_version",
        "period_month",
        "channel",
        "mode",
        "procedure_field",
        "valid",
        "invalid_reason",
        "answers",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    for table in ["responses", "pending_responses"] {
        let columns: HashSet<String> = column_names(&app, table).await;
        assert_eq!(
            columns, expected,
            "a response row gains no column silently ({table})"
        );
    }

    // The dossier is answered, its code sealed; re-registering it still finds it.
    let id: Uuid = reg["dossier_id"].as_str().unwrap().parse().unwrap();
    let d = store::find_by_id(&app.db, id)
        .await
        .unwrap()
        .unwrap()
        .dossier;
    assert!(d.answered);
    assert!(d.dossier_code.starts_with("sealed:"), "{}", d.dossier_code);
    assert!(!d.dossier_code.contains("R-1"));
    let again = {
        let mut b = dossier("SO", "R-1");
        b["procedure_field"] = json!("Đất đai");
        b["channel"] = json!("online");
        register(&app, &admin, &b, 200).await
    };
    assert_eq!(again["dossier_id"], reg["dossier_id"]);
    assert_eq!(again["survey_token"], reg["survey_token"]);
}

async fn column_names(app: &TestApp, table: &str) -> HashSet<String> {
    let sql = if app.db.get_database_backend() == sea_orm::DbBackend::Postgres {
        format!(
            "SELECT column_name AS name FROM information_schema.columns WHERE table_name = '{table}'"
        )
    } else {
        format!("SELECT name FROM pragma_table_info('{table}')")
    };
    rows(app, &sql)
        .await
        .iter()
        .map(|r| r.try_get::<String>("", "name").unwrap())
        .collect()
}

#[tokio::test]
async fn every_invalid_answer_is_reported_at_once_in_the_requested_language() {
    let app = spawn_app().await;
    let admin = setup(&app).await;
    let reg = registered(&app, &admin, "R-2", json!({})).await;
    let form = form_of(&app, &reg).await;
    let scales = scale_questions(&form);
    let mut answers = all_scales(&form, 3);
    answers[&scales[0]] = json!(9);
    answers[&scales[1]] = json!("five");
    answers["no_such_question"] = json!(1);
    let body = json!({"answers": answers, "language": "en"});
    let problem = assert_problem(
        app.post_json(None, &response_path(&reg), &body).await,
        ProblemCode::InvalidAnswers,
    )
    .await;
    let errors = problem["errors"].as_array().unwrap();
    let fields: HashSet<&str> = errors
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        HashSet::from([scales[0].as_str(), scales[1].as_str(), "no_such_question"]),
        "{problem}"
    );
    assert!(
        errors
            .iter()
            .all(|e| e["code"].is_string() && e["message"].is_string())
    );
    let unknown = errors
        .iter()
        .find(|e| e["field"] == "no_such_question")
        .unwrap();
    assert!(
        unknown["message"].as_str().unwrap().contains("There is no"),
        "{unknown}"
    );

    // Vietnamese by default (the dossier's language).
    let body = json!({"answers": {"no_such_question": 1}});
    let problem = assert_problem(
        app.post_json(None, &response_path(&reg), &body).await,
        ProblemCode::InvalidAnswers,
    )
    .await;
    let messages: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(messages.iter().any(|m| m.contains("không có")), "{problem}");
    // No satisfaction item answered is refused online.
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2, "{problem}");

    // Shape errors are not answer errors.
    assert_problem(
        app.post_json(
            None,
            &response_path(&reg),
            &json!({"answers": {}, "extra": 1}),
        )
        .await,
        ProblemCode::UnknownField,
    )
    .await;
    assert_problem(
        app.post_json(None, &response_path(&reg), &json!({"answers": [1, 2]}))
            .await,
        ProblemCode::ValidationFailed,
    )
    .await;

    // Nothing was stored and the survey is still open.
    assert_eq!(app.count_answers().await, 0);
    let res = app
        .post_json(
            None,
            &response_path(&reg),
            &json!({"answers": all_scales(&form, 5)}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 201);
}

#[tokio::test]
async fn free_text_is_cleaned_and_contacts_in_it_masked() {
    let app = spawn_app().await;
    let admin = setup(&app).await;
    let reg = registered(&app, &admin, "R-3", json!({})).await;
    let form = form_of(&app, &reg).await;
    let mut answers = all_scales(&form, 4);
    answers["g1"] =
        json!("Cấp gia\u{0302}\u{0301}y phép — gọi 0912 345 678 hoặc a.b@example.vn\u{0007}");
    let res = app
        .post_json(None, &response_path(&reg), &json!({"answers": answers}))
        .await;
    assert_eq!(res.status().as_u16(), 201);
    assert_eq!(app.count_answers().await, 1);
    let row = &rows(&app, "SELECT answers FROM pending_responses").await[0];
    let stored: Value =
        serde_json::from_str(&row.try_get::<String>("", "answers").unwrap()).unwrap();
    let text = stored["g1"].as_str().unwrap();
    assert!(text.starts_with("Cấp giấy phép"), "NFC: {text}");
    assert!(
        !text.contains("0912") && !text.contains("example.vn"),
        "{text}"
    );
    assert!(!text.contains('\u{0007}'));
}

#[tokio::test]
async fn closed_and_unknown_links_store_nothing() {
    let app = spawn_app().await;
    let admin = setup(&app).await;
    let reg = registered(&app, &admin, "R-4", json!({})).await;
    let form = form_of(&app, &reg).await;
    let body = json!({"answers": all_scales(&form, 4)});
    let id: Uuid = reg["dossier_id"].as_str().unwrap().parse().unwrap();
    store::set_expiry(&app.db, id, Utc::now() - Duration::seconds(1))
        .await
        .unwrap();
    assert_problem(
        app.post_json(None, &response_path(&reg), &body).await,
        ProblemCode::SurveyClosed,
    )
    .await;
    let unknown = format!("/api/v1/surveys/{}/response", "A".repeat(32));
    assert_problem(
        app.post_json(None, &unknown, &body).await,
        ProblemCode::SurveyNotFound,
    )
    .await;
    assert_eq!(app.count_answers().await, 0);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM dossiers WHERE answered").await,
        0
    );
}

#[tokio::test]
async fn a_hundred_concurrent_submissions_store_exactly_one_response() {
    let app = spawn_app().await;
    let admin = setup(&app).await;
    let reg = registered(&app, &admin, "R-5", json!({})).await;
    let form = form_of(&app, &reg).await;
    // Two clients, each retrying its own attempt (its own submission key) many times.
    let bodies = [
        json!({"answers": all_scales(&form, 5), "submission_key": "client-five-0123456789"}),
        json!({"answers": all_scales(&form, 1), "submission_key": "client-one-0123456789"}),
    ];
    let path = response_path(&reg);
    let mut tasks = Vec::new();
    for i in 0..100 {
        let (client, url, body) = (app.client.clone(), app.url(&path), bodies[i % 2].clone());
        tasks.push(tokio::spawn(async move {
            let res = client.post(url).json(&body).send().await.unwrap();
            let status = res.status().as_u16();
            let json: Value = res.json().await.unwrap();
            (i % 2, status, json)
        }));
    }
    let mut created = 0;
    let mut receipts = HashSet::new();
    let mut winner = None;
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    for (variant, status, json) in &outcomes {
        match status {
            201 => {
                created += 1;
                winner = Some(*variant);
                receipts.insert(json["receipt"].as_str().unwrap().to_owned());
            }
            200 => {
                receipts.insert(json["receipt"].as_str().unwrap().to_owned());
            }
            409 => assert_eq!(json["code"], "already_answered"),
            other => panic!("unexpected {other}: {json}"),
        }
    }
    assert_eq!(created, 1, "exactly one request stored the response");
    assert_eq!(receipts.len(), 1, "one receipt for everyone who got one");
    let winner = winner.unwrap();
    for (variant, status, _) in &outcomes {
        // The winner's body always gets the receipt; the other body always conflicts.
        if *variant == winner {
            assert!(*status == 201 || *status == 200);
        } else {
            assert_eq!(*status, 409);
        }
    }
    assert_eq!(app.count_answers().await, 1);
}

#[tokio::test]
async fn expired_dossiers_are_sealed_and_still_recognised_on_re_registration() {
    let app = spawn_app().await;
    let admin = setup(&app).await;
    let open = registered(&app, &admin, "R-6", json!({})).await;
    let expired = registered(&app, &admin, "R-7", json!({})).await;
    let answered = registered(&app, &admin, "R-8", json!({})).await;
    let form = form_of(&app, &answered).await;
    // With a submission key, so that a digest is kept for its retries until the link expires.
    let body = json!({"answers": all_scales(&form, 4), "submission_key": "attempt-r8-0123456789"});
    let res = app.post_json(None, &response_path(&answered), &body).await;
    assert_eq!(res.status().as_u16(), 201);
    let id = |reg: &Value| -> Uuid { reg["dossier_id"].as_str().unwrap().parse().unwrap() };
    let digest = store::find_by_id(&app.db, id(&answered))
        .await
        .unwrap()
        .unwrap()
        .dossier
        .answer_digest;
    assert!(
        digest.is_some(),
        "a digest for retries while the link is open"
    );
    let past = Utc::now() - Duration::seconds(1);
    store::set_expiry(&app.db, id(&expired), past)
        .await
        .unwrap();
    store::set_expiry(&app.db, id(&answered), past)
        .await
        .unwrap();

    let settings = crate::helpers::test_settings("sqlite::memory:");
    let key = sipas::startup::token_key(&app.db, &settings).await.unwrap();
    // The answered one was sealed when answered; expiry drops its digest.
    assert_eq!(
        sipas::maintenance::round(&app.db, &key, Utc::now())
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        sipas::maintenance::round(&app.db, &key, Utc::now())
            .await
            .unwrap(),
        0,
        "idempotent"
    );
    let stored = |reg: Value| {
        let db = app.db.clone();
        async move {
            store::find_by_id(&db, id(&reg))
                .await
                .unwrap()
                .unwrap()
                .dossier
        }
    };
    let d = stored(open.clone()).await;
    assert_eq!(d.dossier_code, "R-6");
    let d = stored(expired.clone()).await;
    assert!(d.dossier_code.starts_with("sealed:"));
    let d = stored(answered.clone()).await;
    assert!(d.dossier_code.starts_with("sealed:"));
    assert_eq!(d.answer_digest, None);
    // Expired: even the identical body (same key) is refused now.
    assert_problem(
        app.post_json(None, &response_path(&answered), &body).await,
        ProblemCode::SurveyClosed,
    )
    .await;

    for (code, reg) in [("R-7", &expired), ("R-8", &answered)] {
        let again = register(&app, &admin, &dossier("SO", code), 200).await;
        assert_eq!(again["dossier_id"], reg["dossier_id"], "{code}");
    }
    // A code may not pose as a sealed one.
    let mut bad = dossier("SO", "sealed:abc");
    bad["dossier_code"] = json!("sealed:abc");
    let res = app.post_json(Some(&admin), "/api/v1/dossiers", &bad).await;
    assert_eq!(res.status().as_u16(), 422);
}
