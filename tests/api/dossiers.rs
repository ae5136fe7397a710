//! `/api/v1/dossiers` as one-stop-shop systems see it: registration and its idempotency, the
//! subtree rule, validation, batches, and what is (not) stored; the QR code of a survey link.

use sipas::error::ProblemCode;
use std::sync::LazyLock;

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use sipas::domain::auth::Role;

use crate::helpers::{TestApp, assert_problem, spawn_app};

pub const DOSSIERS: &str = "/api/v1/dossiers";
pub const BATCH: &str = "/api/v1/dossiers/batch";

/// One completion time for every registration of the test run, so that registering the same
/// dossier twice sends the same content.
static COMPLETED: LazyLock<String> = LazyLock::new(|| {
    (Utc::now() - Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
});

/// A valid registration for `agency`, completed a day ago.
pub fn dossier(agency: &str, code: &str) -> Value {
    json!({
        "dossier_code": code,
        "agency_code": agency,
        "completed_at": COMPLETED.as_str(),
        "channel": "in_person",
    })
}

/// TINH (province) → SO (department); KHAC (province) apart. Returns the admin key.
pub async fn setup(app: &TestApp) -> String {
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "TINH", "province", None).await;
    app.create_agency(&admin, "SO", "department", Some("TINH"))
        .await;
    app.create_agency(&admin, "KHAC", "province", None).await;
    admin
}

/// Registers `body` and asserts the status; returns the response body.
pub async fn register(app: &TestApp, key: &str, body: &Value, status: u16) -> Value {
    let res = app.post_json(Some(key), DOSSIERS, body).await;
    let got = res.status().as_u16();
    let json: Value = res.json().await.unwrap();
    assert_eq!(got, status, "{json}");
    json
}

pub async fn count_dossiers(app: &TestApp) -> i64 {
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM dossiers",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn registering_is_idempotent_and_different_content_conflicts() {
    let app = spawn_app().await;
    let admin = setup(&app).await;
    let body = json!({
        "dossier_code": "000.00.19.H26-260301-0001",
        "agency_code": "SO",
        "completed_at": "2026-03-01T09:30:00+07:00",
        "channel": "online",
        "procedure_code": "1.004227",
        "procedure_field": "Thi đua - Khen thưởng",
        "contact": {"email": "nguyen.van.a@example.vn"},
        "language": "en",
    });
    let first = register(&app, &admin, &body, 201).await;
    let token = first["survey_token"].as_str().unwrap();
    assert!(token.len() >= 22, "at least 128 bits: {token}");
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "URL-safe: {token}"
    );
    assert_eq!(
        first["survey_url"],
        format!("{}/s/{token}", app.address),
        "{first}"
    );
    assert_eq!(first["expires_at"], "2026-03-31T02:30:00Z");
    assert!(first["dossier_id"].as_str().unwrap().len() == 36);

    // The same content again, written with another offset and without the contact: 200, same.
    let mut again = body.clone();
    again["completed_at"] = json!("2026-03-01T02:30:00Z");
    again.as_object_mut().unwrap().remove("contact");
    let second = register(&app, &admin, &again, 200).await;
    assert_eq!(second, first);

    for (field, value) in [
        ("channel", json!("postal")),
        ("completed_at", json!("2026-03-01T09:31:00+07:00")),
        ("procedure_code", json!("1.000001")),
        ("form_key", json!("sipas-2023")),
    ] {
        let mut changed = body.clone();
        changed[field] = value;
        let res = app.post_json(Some(&admin), DOSSIERS, &changed).await;
        assert_problem(res, ProblemCode::DossierConflict).await;
    }
    // The same code at another agency is another dossier.
    let mut elsewhere = body.clone();
    elsewhere["agency_code"] = json!("KHAC");
    let other = register(&app, &admin, &elsewhere, 201).await;
    assert_ne!(other["survey_token"], first["survey_token"]);
    assert_eq!(count_dossiers(&app).await, 2);
}

#[tokio::test]
async fn agency_keys_register_in_their_subtree_only() {
    let app = spawn_app().await;
    let admin = setup(&app).await;
    let province = app.create_key(Role::Agency, Some("TINH")).await;
    let department = app.create_key(Role::Agency, Some("SO")).await;
    let pipeline = app.create_key(Role::Pipeline, None).await;

    register(&app, &province, &dossier("SO", "A-1"), 201).await;
    register(&app, &province, &dossier("TINH", "A-2"), 201).await;
    register(&app, &department, &dossier("SO", "A-3"), 201).await;
    for (key, agency) in [
        (&department, "TINH"),
        (&department, "KHAC"),
        // Not told that it does not exist.
        (&department, "NOWHERE"),
        (&pipeline, "SO"),
    ] {
        let res = app
            .post_json(Some(key), DOSSIERS, &dossier(agency, "B-1"))
            .await;
        assert_problem(res, ProblemCode::Forbidden).await;
    }
    let res = app.post_json(None, DOSSIERS, &dossier("SO", "B-1")).await;
    assert_problem(res, ProblemCode::Unauthorized).await;
    // An admin is told the truth.
    let res = app
        .post_json(Some(&admin), DOSSIERS, &dossier("NOWHERE", "B-1"))
        .await;
    let problem = assert_problem(res, ProblemCode::UnknownAgency).await;
    assert_eq!(problem["errors"][0]["field"], "agency_code");
    assert_eq!(count_dossiers(&app).await, 3);
}

#[tokio::test]
async fn invalid_registrations_are_refused_and_write_nothing() {
    let app = spawn_app().await;
    let admin = setup(&app).await;
    let with = |field: &str, value: Value| {
        let mut d = dossier("SO", "C-1");
        d[field] = value;
        d
    };
    let future = (Utc::now() + Duration::hours(1)).to_rfc3339();
    let cases = [
        (
            with("completed_at", json!(future)),
            ProblemCode::CompletedInFuture,
            "completed_at",
        ),
        (
            with("contact", json!({"email": "not an address"})),
            ProblemCode::InvalidEmail,
            "contact.email",
        ),
        (
            with("contact", json!({"email": "a@b"})),
            ProblemCode::InvalidEmail,
            "contact.email",
        ),
        (
            with("form_key", json!("no-such-form")),
            ProblemCode::UnknownForm,
            "form_key",
        ),
        (
            with("language", json!("fr")),
            ProblemCode::UnsupportedLanguage,
            "language",
        ),
        (
            with("dossier_code", json!("C-\u{0007}1")),
            ProblemCode::ValidationFailed,
            "dossier_code",
        ),
        (
            with("dossier_code", json!("C-1\n")),
            ProblemCode::ValidationFailed,
            "dossier_code",
        ),
        (
            with("dossier_code", json!("")),
            ProblemCode::ValidationFailed,
            "dossier_code",
        ),
        (
            with("procedure_code", json!("x\u{0000}")),
            ProblemCode::ValidationFailed,
            "procedure_code",
        ),
        (
            with("channel", json!("fax")),
            ProblemCode::ValidationFailed,
            "channel",
        ),
        (
            with("completed_at", json!("01/03/2026")),
            ProblemCode::ValidationFailed,
            "completed_at",
        ),
    ];
    for (body, code, field) in cases {
        let res = app.post_json(Some(&admin), DOSSIERS, &body).await;
        let problem = assert_problem(res, code).await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let res = app
        .post_json(Some(&admin), DOSSIERS, &with("extra", json!(1)))
        .await;
    assert_problem(res, ProblemCode::UnknownField).await;
    let mut bytes = serde_json::to_vec(&dossier("SO", "C-1")).unwrap();
    let at = bytes.windows(3).position(|w| w == b"C-1").unwrap();
    bytes[at + 1] = 0xff;
    let res = app
        .post_raw(Some(&admin), DOSSIERS, "application/json", bytes)
        .await;
    assert_problem(res, ProblemCode::ValidationFailed).await;
    assert_eq!(count_dossiers(&app).await, 0);
}

#[tokio::test]
async fn a_batch_reports_each_item_and_bad_items_do_not_stop_good_ones() {
    let app = spawn_app().await;
    let admin = setup(&app).await;
    let department = app.create_key(Role::Agency, Some("SO")).await;
    let known = register(&app, &department, &dossier("SO", "D-0"), 201).await;

    let mut bad_email = dossier("SO", "D-2");
    bad_email["contact"] = json!({"email": "@@"});
    let mut changed = dossier("SO", "D-0");
    changed["channel"] = json!("postal");
    let mut wrong_shape = dossier("SO", "D-6");
    wrong_shape["channel"] = json!(5);
    let mut changed_alone = dossier("SO", "D-0");
    changed_alone["channel"] = json!("online");
    let res = app
        .post_json(
            Some(&department),
            BATCH,
            &json!({"dossiers": [changed_alone]}),
        )
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["results"][0]["status"], 409);
    assert_eq!(body["results"][0]["error"]["code"], "dossier_conflict");

    let items = json!([
        dossier("SO", "D-1"),        // 0: new
        bad_email,                   // 1: invalid e-mail
        dossier("SO", "D-1"),        // 2: duplicate of 0 in this batch
        dossier("KHAC", "D-3"),      // 3: outside the key's subtree
        dossier("SO", "D-0"),        // 4: registered before, same content
        changed,                     // 5: registered before, different content, and a duplicate
        wrong_shape,                 // 6: malformed item
        dossier("SO", "D-7"),        // 7: new
        {"dossier_code": "D-8"},     // 8: fields missing
    ]);
    let res = app
        .post_json(Some(&department), BATCH, &json!({"dossiers": items}))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let body: Value = res.json().await.unwrap();
    let results = body["results"].as_array().unwrap();
    let statuses: Vec<u64> = results
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [201, 422, 409, 403, 200, 409, 422, 201, 422],
        "{body}"
    );
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r["index"], i);
    }
    let error_codes: Vec<&str> = results
        .iter()
        .map(|r| r["error"]["code"].as_str().unwrap_or("-"))
        .collect();
    assert_eq!(
        error_codes,
        [
            "-",
            "invalid_email",
            "duplicate_in_batch",
            "forbidden",
            "-",
            "duplicate_in_batch",
            "validation_failed",
            "-",
            "validation_failed"
        ]
    );
    assert_eq!(results[4]["dossier_id"], known["dossier_id"]);
    assert_eq!(results[4]["survey_url"], known["survey_url"]);
    assert!(results[0]["survey_url"].as_str().unwrap().contains("/s/"));
    assert!(results[1].get("dossier_id").is_none());
    assert_eq!(count_dossiers(&app).await, 3);

    // The same batch again: the new ones are now re-registrations with the same links.
    let again: Value = app
        .post_json(Some(&department), BATCH, &json!({"dossiers": items}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["results"][0]["status"], 200);
    assert_eq!(again["results"][0]["survey_url"], results[0]["survey_url"]);
    assert_eq!(again["results"][7]["dossier_id"], results[7]["dossier_id"]);
    assert_eq!(count_dossiers(&app).await, 3);

    // A pipeline key may not register at all; an admin may register anywhere.
    let pipeline = app.create_key(Role::Pipeline, None).await;
    let res = app
        .post_json(
            Some(&pipeline),
            BATCH,
            &json!({"dossiers": [dossier("SO", "E-1")]}),
        )
        .await;
    assert_problem(res, ProblemCode::Forbidden).await;
    let res: Value = app
        .post_json(
            Some(&admin),
            BATCH,
            &json!({"dossiers": [dossier("KHAC", "E-1")]}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(res["results"][0]["status"], 201);
}

#[tokio::test]
async fn a_batch_over_the_maximum_is_refused_whole() {
    let app = spawn_app().await;
    let admin = setup(&app).await;
    let max = 10_000;
    let items: Vec<Value> = (0..=max)
        .map(|i| dossier("SO", &format!("F-{i}")))
        .collect();
    let res = app
        .post_json(Some(&admin), BATCH, &json!({"dossiers": items}))
        .await;
    assert_problem(res, ProblemCode::BatchTooLarge).await;
    assert_eq!(count_dossiers(&app).await, 0);
    let res = app
        .post_json(Some(&admin), BATCH, &json!({"dossiers": [], "extra": 1}))
        .await;
    assert_problem(res, ProblemCode::UnknownField).await;
}

/// Every text value in every table of the database.
async fn every_stored_text(app: &TestApp) -> Vec<String> {
    let backend = app.db.get_database_backend();
    let tables_sql = if matches!(backend, sea_orm::DbBackend::Sqlite) {
        "SELECT name FROM sqlite_master WHERE type = 'table'"
    } else {
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'"
    };
    let tables: Vec<String> = app
        .db
        .query_all_raw(Statement::from_string(backend, tables_sql))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    assert!(tables.iter().any(|t| t == "dossiers"), "{tables:?}");
    let mut texts = Vec::new();
    for table in tables {
        let rows = app
            .db
            .query_all_raw(Statement::from_string(
                backend,
                format!("SELECT * FROM \"{table}\""),
            ))
            .await
            .unwrap();
        for row in rows {
            for i in 0..row.column_names().len() {
                // Columns that are not text (ids, times, numbers) do not decode as strings.
                if let Ok(Some(s)) = row.try_get_by_index::<Option<String>>(i) {
                    texts.push(s);
                }
            }
        }
    }
    texts
}

#[tokio::test]
async fn survey_tokens_are_stored_only_as_hashes() {
    let app = spawn_app().await;
    let admin = setup(&app).await;
    let mut body = dossier("SO", "G-1");
    body["contact"] = json!({"email": "citizen@example.vn"});
    let registered = register(&app, &admin, &body, 201).await;
    let token = registered["survey_token"].as_str().unwrap();
    let texts = every_stored_text(&app).await;
    assert!(
        texts.iter().any(|t| t == "G-1"),
        "the scan sees the dossier"
    );
    assert!(
        !texts.iter().any(|t| t.contains(token)),
        "a column contains the survey token"
    );
    let hash = sipas::domain::digest::sha256_hex(token.as_bytes());
    assert!(texts.contains(&hash), "SHA-256(token) is what is stored");
}

/// Decodes a QR code in an SVG image with `rsvg-convert` and `zbarimg` (Debian packages
/// librsvg2-bin and zbar-tools).
fn decode_qr(svg: &[u8]) -> String {
    use std::process::Command;
    for tool in ["rsvg-convert", "zbarimg"] {
        assert!(
            Command::new(tool).arg("--version").output().is_ok(),
            "`{tool}` is missing: install the Debian packages librsvg2-bin and zbar-tools \
             (apt-get install librsvg2-bin zbar-tools) to run the QR test"
        );
    }
    let dir = std::env::temp_dir().join(format!("sipas-qr-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let (svg_path, png_path) = (dir.join("qr.svg"), dir.join("qr.png"));
    std::fs::write(&svg_path, svg).unwrap();
    let converted = Command::new("rsvg-convert")
        .args(["--width", "600", "--background-color", "white", "-o"])
        .arg(&png_path)
        .arg(&svg_path)
        .status()
        .unwrap();
    assert!(converted.success(), "rsvg-convert failed");
    let out = Command::new("zbarimg")
        .args(["--quiet", "--raw"])
        .arg(&png_path)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success(), "zbarimg found no code: {out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn the_qr_code_decodes_to_the_survey_url() {
    let app = spawn_app().await;
    let _admin = setup(&app).await;
    let department = app.create_key(Role::Agency, Some("SO")).await;
    let elsewhere = app.create_key(Role::Agency, Some("KHAC")).await;
    let registered = register(&app, &department, &dossier("SO", "H-1"), 201).await;
    let path = format!(
        "{DOSSIERS}/{}/qr.svg",
        registered["dossier_id"].as_str().unwrap()
    );

    let res = app.get_as(&department, &path).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "image/svg+xml");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let svg = res.bytes().await.unwrap();
    assert!(svg.starts_with(b"<?xml") || svg.starts_with(b"<svg"));
    assert_eq!(decode_qr(&svg), registered["survey_url"].as_str().unwrap());

    assert_problem(app.get_as(&elsewhere, &path).await, ProblemCode::Forbidden).await;
    let unknown = format!("{DOSSIERS}/{}/qr.svg", uuid::Uuid::now_v7());
    assert_problem(
        app.get_as(&elsewhere, &unknown).await,
        ProblemCode::Forbidden,
    )
    .await;
    let admin = app.create_key(Role::Admin, None).await;
    assert_problem(
        app.get_as(&admin, &unknown).await,
        ProblemCode::DossierNotFound,
    )
    .await;
    assert_eq!(app.get_as(&admin, &path).await.status().as_u16(), 200);
    assert_problem(app.get(&path).await, ProblemCode::Unauthorized).await;
}
