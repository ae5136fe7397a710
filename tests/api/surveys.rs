//! `GET /api/v1/surveys/{token}` as a citizen's browser sees it: the survey of a registered
//! dossier, unknown (404), closed (410) and rate-limited (429) tokens; and the token secret
//! that commands in the same process share.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use sipas::error::ProblemCode;
use sipas::persistence::dossiers as store;
use uuid::Uuid;

use crate::dossiers::{dossier, register, setup};
use crate::helpers::{TestApp, assert_problem, spawn_app, spawn_app_with};

fn survey_path(registered: &Value) -> String {
    format!(
        "/api/v1/surveys/{}",
        registered["survey_token"].as_str().unwrap()
    )
}

fn id_of(registered: &Value) -> Uuid {
    registered["dossier_id"].as_str().unwrap().parse().unwrap()
}

async fn registered(app: &TestApp, code: &str, extra: Value) -> Value {
    let admin = setup(app).await;
    let mut body = dossier("SO", code);
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    register(app, &admin, &body, 201).await
}

#[tokio::test]
async fn a_registered_dossier_has_a_survey_with_its_form_and_agency() {
    let app = spawn_app().await;
    let reg = registered(
        &app,
        "S-1",
        json!({"procedure_field": "Đất đai", "language": "en", "form_key": "sipas-2023"}),
    )
    .await;
    let res = app.get(&survey_path(&reg)).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let survey: Value = res.json().await.unwrap();
    assert_eq!(survey["form"]["key"], "sipas-2023");
    assert!(survey["form"]["sections"].as_array().unwrap().len() > 1);
    let form: Value = app
        .get(&format!(
            "/api/v1/forms/sipas-2023/versions/{}",
            survey["form"]["version"]
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        survey["form"], form,
        "the full form, as the forms API has it"
    );
    assert_eq!(survey["agency"]["code"], "SO");
    assert_eq!(survey["agency"]["name"]["vi"], "Cơ quan SO");
    assert_eq!(survey["procedure_field"], "Đất đai");
    assert_eq!(survey["language"], "en");
    assert_eq!(survey["expires_at"], reg["expires_at"]);

    // Defaults: the agency's form, Vietnamese, no procedure field.
    let admin = app.create_key(sipas::domain::auth::Role::Admin, None).await;
    let plain = register(&app, &admin, &dossier("SO", "S-2"), 201).await;
    let survey: Value = app.get(&survey_path(&plain)).await.json().await.unwrap();
    assert_eq!(survey["form"]["key"], "sipas-2017");
    assert_eq!(survey["language"], "vi");
    assert!(survey.get("procedure_field").is_none(), "{survey}");
}

#[tokio::test]
async fn unknown_tokens_are_404_and_closed_surveys_410() {
    let app = spawn_app().await;
    let reg = registered(&app, "S-3", json!({})).await;
    let token = reg["survey_token"].as_str().unwrap();
    let mut wrong = token.to_owned();
    wrong.replace_range(0..1, if token.starts_with('A') { "B" } else { "A" });
    for path in [
        format!("/api/v1/surveys/{wrong}"),
        "/api/v1/surveys/short".to_owned(),
        format!("/api/v1/surveys/{}", "*".repeat(32)),
    ] {
        assert_problem(app.get(&path).await, ProblemCode::SurveyNotFound).await;
    }

    store::set_expiry(&app.db, id_of(&reg), Utc::now() - Duration::seconds(1))
        .await
        .unwrap();
    assert_problem(app.get(&survey_path(&reg)).await, ProblemCode::SurveyClosed).await;

    let admin = app.create_key(sipas::domain::auth::Role::Admin, None).await;
    let answered = register(&app, &admin, &dossier("SO", "S-4"), 201).await;
    assert_eq!(
        app.get(&survey_path(&answered)).await.status().as_u16(),
        200
    );
    store::mark_answered(&app.db, id_of(&answered))
        .await
        .unwrap();
    assert_problem(
        app.get(&survey_path(&answered)).await,
        ProblemCode::SurveyClosed,
    )
    .await;

    // A dossier completed longer ago than the time to live is closed from the start.
    let mut old = dossier("SO", "S-5");
    old["completed_at"] = json!((Utc::now() - Duration::days(31)).to_rfc3339());
    let old = register(&app, &admin, &old, 201).await;
    assert_problem(app.get(&survey_path(&old)).await, ProblemCode::SurveyClosed).await;
}

#[tokio::test]
async fn guessing_tokens_is_rate_limited_per_client() {
    let app = spawn_app_with(|s| {
        s.surveys.lookup_burst = 3;
        s.surveys.lookup_period_ms = 60_000;
    })
    .await;
    let reg = registered(&app, "S-6", json!({})).await;
    // Looking up one's own token is never limited.
    for _ in 0..5 {
        assert_eq!(app.get(&survey_path(&reg)).await.status().as_u16(), 200);
    }
    for i in 0..3 {
        let guess = format!("/api/v1/surveys/{}{i}", "x".repeat(31));
        assert_problem(app.get(&guess).await, ProblemCode::SurveyNotFound).await;
    }
    let res = app
        .get(&format!("/api/v1/surveys/{}", "y".repeat(32)))
        .await;
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_problem(res, ProblemCode::RateLimited).await;
    // While limited, a valid token is still answered (http::ratelimit); misses are not.
    assert_eq!(app.get(&survey_path(&reg)).await.status().as_u16(), 200);
    let miss = format!("/api/v1/surveys/{}", "z".repeat(32));
    assert_problem(app.get(&miss).await, ProblemCode::RateLimited).await;
}

#[tokio::test]
async fn commands_in_the_same_process_derive_the_same_tokens() {
    let app = spawn_app().await;
    let reg = registered(&app, "S-7", json!({})).await;
    let id = id_of(&reg);
    // What a command in this process derives (on in-memory SQLite the secret lives as long as
    // the process; key files and restarts: `secrets.rs`).
    let settings = crate::helpers::test_settings("sqlite::memory:");
    let key = sipas::startup::token_key(&app.db, &settings).await.unwrap();
    assert_eq!(key.derive(id).expose(), reg["survey_token"]);
    // A configured secret takes precedence (and gives other tokens).
    let mut configured = settings.clone();
    configured.security.token_secret = Some("x".repeat(40).into());
    let other = sipas::startup::token_key(&app.db, &configured)
        .await
        .unwrap();
    assert_ne!(other.derive(id).expose(), reg["survey_token"]);
}
