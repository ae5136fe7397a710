//! `/api/v1/agencies` as clients see it: keys and roles, the subtree rule, validation, conflicts,
//! the audit log; and `sipas agencies import` run as a program.

use serde_json::{Value, json};
use sipas::domain::auth::Role;
use sipas::error::ProblemCode;

use crate::helpers::{TestApp, assert_problem, spawn_app, spawn_app_for_process, spawn_app_with};
use crate::process::{sipas, workdir};

const AGENCIES: &str = "/api/v1/agencies";

/// TINH (province) → SO (department), HUYEN (district) → XA (commune); KHAC (province) apart.
async fn hierarchy(app: &TestApp, admin: &str) {
    app.create_agency(admin, "TINH", "province", None).await;
    app.create_agency(admin, "SO", "department", Some("TINH"))
        .await;
    app.create_agency(admin, "HUYEN", "district", Some("TINH"))
        .await;
    app.create_agency(admin, "XA", "commune", Some("HUYEN"))
        .await;
    app.create_agency(admin, "KHAC", "province", None).await;
}

fn codes(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn an_admin_creates_an_agency_and_reads_it_back() {
    let app = spawn_app().await;
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "TINH.HG", "province", None).await;
    // "Sở Nội vụ" typed with combining marks is stored precomposed (NFC).
    let body = json!({
        "code": "SNV.HG",
        "name": {"vi": " So\u{031b}\u{0309} Nội vụ ", "en": "Department of Home Affairs"},
        "kind": "department",
        "parent_code": "TINH.HG",
    });
    let res = app.post_json(Some(&admin), AGENCIES, &body).await;
    assert_eq!(res.status().as_u16(), 201);
    assert_eq!(res.headers()["location"], "/api/v1/agencies/SNV.HG");
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["code"], "SNV.HG");
    assert_eq!(created["name"]["vi"], "Sở Nội vụ");
    assert_eq!(created["name"]["en"], "Department of Home Affairs");
    assert_eq!(created["kind"], "department");
    assert_eq!(created["parent_code"], "TINH.HG");
    assert_eq!(created["default_form"], "sipas-2017");
    assert!(created["created_at"].as_str().unwrap().contains('T'));

    let fetched = app.get_json(&admin, "/api/v1/agencies/SNV.HG").await;
    assert_eq!(fetched, created);
    let root = app.get_json(&admin, "/api/v1/agencies/TINH.HG").await;
    assert_eq!(root["parent_code"], Value::Null);
    assert!(root["name"].get("en").is_none(), "{root}");

    let other_form =
        json!({"code": "X", "name": {"vi": "X"}, "kind": "other", "default_form": "sipas-2024"});
    let res = app.post_json(Some(&admin), AGENCIES, &other_form).await;
    assert_eq!(res.status().as_u16(), 201);
    assert_eq!(
        res.json::<Value>().await.unwrap()["default_form"],
        "sipas-2024"
    );
}

#[tokio::test]
async fn requests_without_a_valid_key_are_401_with_www_authenticate() {
    let app = spawn_app().await;
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "TINH", "province", None).await;
    let (revoked_id, revoked) = app.create_key_with_id(Role::Admin, None).await;
    assert_eq!(app.get_as(&revoked, AGENCIES).await.status().as_u16(), 200);
    sipas::persistence::api_keys::revoke(&app.db, revoked_id, chrono::Utc::now())
        .await
        .unwrap();

    let unknown = format!("sipas_{}", "0".repeat(64));
    let headers = [
        None,
        Some("Bearer".to_owned()),
        Some("Bearer not-a-key".to_owned()),
        Some(format!("Bearer {unknown}")),
        Some(format!("Bearer {revoked}")),
        Some(format!("Basic {admin}")),
    ];
    for header in headers {
        for path in [AGENCIES, "/api/v1/agencies/TINH", "/api/v1/audit"] {
            let mut req = app.client.get(app.url(path));
            if let Some(h) = &header {
                req = req.header("authorization", h);
            }
            let res = req.send().await.unwrap();
            assert_eq!(
                res.headers()
                    .get("www-authenticate")
                    .map(|v| v.to_str().unwrap()),
                Some("Bearer realm=\"sipas\""),
                "{header:?} {path}"
            );
            assert_problem(res, ProblemCode::Unauthorized).await;
        }
    }
    // The key is checked before the body: a malformed body without a key is still a 401.
    let res = app
        .post_raw(None, AGENCIES, "application/json", b"{".to_vec())
        .await;
    assert_problem(res, ProblemCode::Unauthorized).await;
    let res = app
        .post_raw(Some(&revoked), AGENCIES, "application/json", b"{".to_vec())
        .await;
    assert_problem(res, ProblemCode::Unauthorized).await;
}

#[tokio::test]
async fn only_admin_keys_create_agencies() {
    let app = spawn_app().await;
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "TINH", "province", None).await;
    let agency = app.create_key(Role::Agency, Some("TINH")).await;
    let pipeline = app.create_key(Role::Pipeline, None).await;
    let body =
        json!({"code": "SO", "name": {"vi": "Sở"}, "kind": "department", "parent_code": "TINH"});
    for key in [&agency, &pipeline] {
        let res = app.post_json(Some(key), AGENCIES, &body).await;
        assert_problem(res, ProblemCode::Forbidden).await;
        // The role is checked before the body.
        let res = app
            .post_raw(Some(key), AGENCIES, "application/json", b"{".to_vec())
            .await;
        assert_problem(res, ProblemCode::Forbidden).await;
    }
    // Nothing was created, and the pipeline may still read.
    let res = app.get_as(&pipeline, "/api/v1/agencies/SO").await;
    assert_problem(res, ProblemCode::AgencyNotFound).await;
    assert_eq!(codes(&app.get_json(&pipeline, AGENCIES).await), ["TINH"]);
}

#[tokio::test]
async fn a_taken_code_is_409_agency_exists() {
    let app = spawn_app().await;
    let admin = app.create_key(Role::Admin, None).await;
    let first = app.create_agency(&admin, "TINH", "province", None).await;
    let again = json!({"code": "TINH", "name": {"vi": "Khác"}, "kind": "other"});
    let res = app.post_json(Some(&admin), AGENCIES, &again).await;
    assert_problem(res, ProblemCode::AgencyExists).await;
    let stored = app.get_json(&admin, "/api/v1/agencies/TINH").await;
    assert_eq!(stored, first, "the first agency is unchanged");
}

#[tokio::test]
async fn an_unknown_parent_is_422_unknown_parent_and_nothing_is_written() {
    let app = spawn_app().await;
    let admin = app.create_key(Role::Admin, None).await;
    let body =
        json!({"code": "SO", "name": {"vi": "Sở"}, "kind": "department", "parent_code": "NOWHERE"});
    let res = app.post_json(Some(&admin), AGENCIES, &body).await;
    let problem = assert_problem(res, ProblemCode::UnknownParent).await;
    assert_eq!(problem["errors"][0]["field"], "parent_code", "{problem}");
    let res = app.get_as(&admin, "/api/v1/agencies/SO").await;
    assert_problem(res, ProblemCode::AgencyNotFound).await;
    let audit = app.get_json(&admin, "/api/v1/audit").await;
    assert_eq!(
        audit["entries"],
        json!([]),
        "no audit entry for a failed request"
    );
}

#[tokio::test]
async fn invalid_fields_are_422_validation_failed_listing_each() {
    let app = spawn_app().await;
    let admin = app.create_key(Role::Admin, None).await;
    let body = json!({
        "code": "bad code",
        "name": {"vi": "   ", "en": "x".repeat(256)},
        "kind": "city",
        "parent_code": "a/b",
        "default_form": "",
    });
    let res = app.post_json(Some(&admin), AGENCIES, &body).await;
    let problem = assert_problem(res, ProblemCode::ValidationFailed).await;
    let errors: Vec<(&str, &str)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
            (e["field"].as_str().unwrap(), e["code"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        errors,
        [
            ("code", "invalid_format"),
            ("default_form", "required"),
            ("kind", "invalid_choice"),
            ("name.en", "too_long"),
            ("name.vi", "required"),
            ("parent_code", "invalid_format"),
        ]
    );

    // Control characters and over-long codes.
    for (code, reason) in [
        ("TINH\u{0}", "invalid_format"),
        ("A\u{7}B", "invalid_format"),
        ("Hà", "invalid_format"),
        (&*"X".repeat(65), "too_long"),
        ("", "required"),
    ] {
        let body = json!({"code": code, "name": {"vi": "Tên"}, "kind": "other"});
        let res = app.post_json(Some(&admin), AGENCIES, &body).await;
        let problem = assert_problem(res, ProblemCode::ValidationFailed).await;
        assert_eq!(problem["errors"][0]["field"], "code", "{code:?}");
        assert_eq!(problem["errors"][0]["code"], reason, "{code:?}");
    }
    let body = json!({"code": "A", "name": {"vi": "Dòng\nhai"}, "kind": "other"});
    let problem = assert_problem(
        app.post_json(Some(&admin), AGENCIES, &body).await,
        ProblemCode::ValidationFailed,
    )
    .await;
    assert_eq!(problem["errors"][0]["code"], "control_character");

    // Shape errors: unknown fields, missing fields, wrong types, not JSON, not UTF-8.
    let unknown = json!({"code": "A", "name": {"vi": "A"}, "kind": "other", "parent": "X"});
    let problem = assert_problem(
        app.post_json(Some(&admin), AGENCIES, &unknown).await,
        ProblemCode::UnknownField,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "parent");
    let nested = json!({"code": "A", "name": {"vi": "A", "fr": "A"}, "kind": "other"});
    assert_problem(
        app.post_json(Some(&admin), AGENCIES, &nested).await,
        ProblemCode::UnknownField,
    )
    .await;
    let missing = json!({"code": "A", "kind": "other"});
    assert_problem(
        app.post_json(Some(&admin), AGENCIES, &missing).await,
        ProblemCode::ValidationFailed,
    )
    .await;
    let res = app
        .post_raw(
            Some(&admin),
            AGENCIES,
            "application/json",
            b"{\"code\":".to_vec(),
        )
        .await;
    assert_problem(res, ProblemCode::MalformedBody).await;
    let res = app
        .post_raw(
            Some(&admin),
            AGENCIES,
            "application/json",
            b"{\"code\":\"A\xff\",\"name\":{\"vi\":\"A\"},\"kind\":\"other\"}".to_vec(),
        )
        .await;
    let problem = assert_problem(res, ProblemCode::ValidationFailed).await;
    assert_eq!(problem["errors"][0]["code"], "invalid_utf8");
    let res = app
        .post_raw(Some(&admin), AGENCIES, "text/plain", b"{}".to_vec())
        .await;
    assert_problem(res, ProblemCode::UnsupportedMediaType).await;

    // None of it was stored.
    assert_eq!(app.get_json(&admin, AGENCIES).await, json!([]));
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = spawn_app_with(|s| s.limits.json_body_bytes = 128).await;
    let admin = app.create_key(Role::Admin, None).await;
    let body = json!({"code": "A", "name": {"vi": "x".repeat(200)}, "kind": "other"});
    let res = app.post_json(Some(&admin), AGENCIES, &body).await;
    assert_problem(res, ProblemCode::PayloadTooLarge).await;
    let small = json!({"code": "A", "name": {"vi": "A"}, "kind": "other"});
    let res = app.post_json(Some(&admin), AGENCIES, &small).await;
    assert_eq!(res.status().as_u16(), 201);
}

#[tokio::test]
async fn an_agency_key_sees_its_subtree_only() {
    let app = spawn_app().await;
    let admin = app.create_key(Role::Admin, None).await;
    hierarchy(&app, &admin).await;
    let huyen = app.create_key(Role::Agency, Some("HUYEN")).await;
    let tinh = app.create_key(Role::Agency, Some("TINH")).await;

    // Itself and its descendants.
    assert_eq!(
        app.get_json(&huyen, "/api/v1/agencies/HUYEN").await["code"],
        "HUYEN"
    );
    assert_eq!(
        app.get_json(&huyen, "/api/v1/agencies/XA").await["parent_code"],
        "HUYEN"
    );
    assert_eq!(
        codes(&app.get_json(&huyen, "/api/v1/agencies?parent=HUYEN").await),
        ["XA"]
    );
    assert_eq!(codes(&app.get_json(&huyen, AGENCIES).await), ["HUYEN"]);
    // The province key sees two levels down.
    assert_eq!(
        app.get_json(&tinh, "/api/v1/agencies/XA").await["code"],
        "XA"
    );
    assert_eq!(
        codes(&app.get_json(&tinh, "/api/v1/agencies?parent=TINH").await),
        ["HUYEN", "SO"]
    );

    // Its parent, a sibling, another province and an agency that does not exist all look the same.
    let mut seen = Vec::new();
    for path in [
        "/api/v1/agencies/TINH",
        "/api/v1/agencies/SO",
        "/api/v1/agencies/KHAC",
        "/api/v1/agencies/NOPE",
        "/api/v1/agencies?parent=TINH",
        "/api/v1/agencies?parent=KHAC",
        "/api/v1/agencies?parent=NOPE",
    ] {
        let res = app.get_as(&huyen, path).await;
        let mut problem = assert_problem(res, ProblemCode::Forbidden).await;
        let object = problem.as_object_mut().unwrap();
        object.remove("request_id");
        object.remove("instance");
        seen.push((path, problem));
    }
    for (path, problem) in &seen[1..] {
        assert_eq!(problem, &seen[0].1, "{path} differs from {}", seen[0].0);
    }
}

#[tokio::test]
async fn admin_and_pipeline_keys_read_every_agency() {
    let app = spawn_app().await;
    let admin = app.create_key(Role::Admin, None).await;
    hierarchy(&app, &admin).await;
    let pipeline = app.create_key(Role::Pipeline, None).await;
    for key in [&admin, &pipeline] {
        assert_eq!(codes(&app.get_json(key, AGENCIES).await), ["KHAC", "TINH"]);
        assert_eq!(
            codes(&app.get_json(key, "/api/v1/agencies?parent=HUYEN").await),
            ["XA"]
        );
        assert_eq!(
            app.get_json(key, "/api/v1/agencies/KHAC").await["kind"],
            "province"
        );
        let res = app.get_as(key, "/api/v1/agencies/NOPE").await;
        assert_problem(res, ProblemCode::AgencyNotFound).await;
        let res = app.get_as(key, "/api/v1/agencies?parent=NOPE").await;
        assert_problem(res, ProblemCode::AgencyNotFound).await;
        assert_eq!(
            app.get_json(key, "/api/v1/agencies?parent=XA").await,
            json!([])
        );
    }
    // A malformed code names nothing anywhere: 422 for everyone.
    let huyen = app.create_key(Role::Agency, Some("HUYEN")).await;
    for key in [&admin, &huyen] {
        let res = app.get_as(key, "/api/v1/agencies/a%20b").await;
        assert_problem(res, ProblemCode::ValidationFailed).await;
        let res = app.get_as(key, "/api/v1/agencies?parent=a%00b").await;
        let problem = assert_problem(res, ProblemCode::ValidationFailed).await;
        assert_eq!(problem["errors"][0]["field"], "parent");
    }
}

#[tokio::test]
async fn a_key_records_its_last_use_at_most_once_a_minute() {
    let app = spawn_app().await;
    let (id, key) = app.create_key_with_id(Role::Pipeline, None).await;
    let last_used = || async {
        sipas::persistence::api_keys::list(&app.db)
            .await
            .unwrap()
            .into_iter()
            .find(|k| k.id == id)
            .unwrap()
            .last_used_at
    };
    assert_eq!(last_used().await, None);
    app.get_json(&key, AGENCIES).await;
    let first = last_used().await.expect("recorded on first use");
    app.get_json(&key, AGENCIES).await;
    app.get_json(&key, AGENCIES).await;
    assert_eq!(
        last_used().await,
        Some(first),
        "not rewritten within a minute"
    );
}

#[tokio::test]
async fn the_audit_log_records_who_created_what_newest_first() {
    let app = spawn_app().await;
    let (admin_id, admin) = app.create_key_with_id(Role::Admin, None).await;
    app.create_agency(&admin, "TINH", "province", None).await;
    app.create_agency(&admin, "SO", "department", Some("TINH"))
        .await;
    app.create_agency(&admin, "HUYEN", "district", Some("TINH"))
        .await;

    let page = app.get_json(&admin, "/api/v1/audit?limit=2").await;
    let entries = page["entries"].as_array().unwrap();
    let subjects: Vec<&str> = entries
        .iter()
        .map(|e| e["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, ["HUYEN", "SO"]);
    assert_eq!(entries[0]["action"], "agency.created");
    assert_eq!(entries[0]["actor_key_id"], admin_id.to_string());
    assert_eq!(entries[0]["details"]["kind"], "district");
    assert_eq!(entries[0]["details"]["parent_code"], "TINH");
    assert!(entries[0]["at"].as_str().unwrap().contains('T'));
    let before = page["next_before"].as_str().expect("a next page");
    assert_eq!(before, entries[1]["id"]);

    let page = app
        .get_json(&admin, &format!("/api/v1/audit?limit=2&before={before}"))
        .await;
    assert_eq!(page["entries"].as_array().unwrap().len(), 1);
    assert_eq!(page["entries"][0]["subject"], "TINH");
    assert_eq!(page["next_before"], Value::Null);
    let text = app
        .get_as(&admin, "/api/v1/audit")
        .await
        .text()
        .await
        .unwrap();
    assert!(!text.contains(&admin[6..]), "the audit log shows no key");

    for bad in ["limit=0", "limit=501", "limit=x", "before=nope"] {
        let res = app.get_as(&admin, &format!("/api/v1/audit?{bad}")).await;
        assert_problem(res, ProblemCode::InvalidParameter).await;
    }
    let agency = app.create_key(Role::Agency, Some("TINH")).await;
    let pipeline = app.create_key(Role::Pipeline, None).await;
    for key in [&agency, &pipeline] {
        assert_problem(
            app.get_as(key, "/api/v1/audit").await,
            ProblemCode::Forbidden,
        )
        .await;
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_agency_endpoints() {
    let app = spawn_app().await;
    let doc: Value = app
        .get("/api-docs/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    for (path, method) in [
        ("/api/v1/agencies", "post"),
        ("/api/v1/agencies", "get"),
        ("/api/v1/agencies/{code}", "get"),
        ("/api/v1/audit", "get"),
    ] {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} missing");
        assert_eq!(op["security"][0]["api_key"], json!([]), "{method} {path}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"]["scheme"],
        "bearer"
    );
    assert!(doc["components"]["schemas"]["NewAgency"].is_object());
    assert!(doc["components"]["schemas"]["AgencyView"].is_object());
    // Both methods on one path: a third is 405 with both allowed.
    let res = app.client.delete(app.url(AGENCIES)).send().await.unwrap();
    assert_eq!(res.headers()["allow"], "GET, POST");
    assert_problem(res, ProblemCode::MethodNotAllowed).await;
}

// ---- sipas agencies import -------------------------------------------------------------------

pub fn write(dir: &std::path::Path, name: &str, content: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn import(dir: &std::path::Path, url: &str, file: &std::path::Path) -> std::process::Output {
    sipas(dir)
        .args(["agencies", "import"])
        .arg(file)
        .env("DATABASE_URL", url)
        .output()
        .unwrap()
}

#[tokio::test]
async fn import_creates_the_hierarchy_with_parents_later_in_the_file() {
    let dir = workdir();
    let (app, url) = spawn_app_for_process(&dir).await;
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "BNV", "ministry", None).await;
    let csv = "code,name_vi,name_en,kind,parent_code\n\
               XA.1,Xã Một,,commune,HUYEN.1\n\
               HUYEN.1,\"Huyện Một, tỉnh Hà Giang\",District One,district,TINH.HG\n\
               TINH.HG,Tỉnh Hà Giang,Ha Giang Province,province,\n\
               \n\
               SO.NV,Sở Nội vụ,,department,TINH.HG\n\
               VU.1,Vụ Một,,other,BNV\n";
    let file = write(&dir, "agencies.csv", csv.as_bytes());
    let out = import(&dir, &url, &file);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("imported 5 agencies"), "{stderr}");

    let xa = app.get_json(&admin, "/api/v1/agencies/XA.1").await;
    assert_eq!(xa["parent_code"], "HUYEN.1");
    assert_eq!(xa["name"]["vi"], "Xã Một");
    let huyen = app.get_json(&admin, "/api/v1/agencies/HUYEN.1").await;
    assert_eq!(huyen["name"]["vi"], "Huyện Một, tỉnh Hà Giang");
    assert_eq!(huyen["name"]["en"], "District One");
    assert_eq!(
        codes(
            &app.get_json(&admin, "/api/v1/agencies?parent=TINH.HG")
                .await
        ),
        ["HUYEN.1", "SO.NV"]
    );
    assert_eq!(
        app.get_json(&admin, "/api/v1/agencies/VU.1").await["parent_code"],
        "BNV"
    );
    // Imported paths are real: the province key reaches the commune, not the ministry.
    let tinh = app.create_key(Role::Agency, Some("TINH.HG")).await;
    assert_eq!(
        app.get_json(&tinh, "/api/v1/agencies/XA.1").await["code"],
        "XA.1"
    );
    assert_problem(
        app.get_as(&tinh, "/api/v1/agencies/VU.1").await,
        ProblemCode::Forbidden,
    )
    .await;

    let audit = app.get_json(&admin, "/api/v1/audit?limit=1").await;
    assert_eq!(audit["entries"][0]["action"], "agencies.imported");
    assert_eq!(audit["entries"][0]["details"]["count"], 5);
    assert_eq!(audit["entries"][0]["actor_key_id"], Value::Null);

    // The same file again: every code exists now, so nothing is imported.
    let out = import(&dir, &url, &file);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("already exists").count(), 5, "{stderr}");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn a_bad_import_reports_every_bad_row_by_line_and_writes_nothing() {
    let dir = workdir();
    let (app, url) = spawn_app_for_process(&dir).await;
    let admin = app.create_key(Role::Admin, None).await;
    let mut csv = b"code,name_vi,name_en,kind,parent_code\n\
                   TINH,T\xe1\xbb\x89nh,,province,\n\
                   SO,S\xe1\xbb\x9f,,city,TINH\n\
                   HUYEN,,,district,TINH\n\
                   XA,X\xc3\xa3,,commune,NOWHERE\n\
                   TINH,Again,,province,\n\
                   BAD,Bad \xff bytes,,other,\n\
                   A,A,,other,B\n\
                   B,B,,other,A\n\
                   bad code,X,,other,\n\
                   SHORT,row\n"
        .to_vec();
    csv.extend_from_slice(b"OK,Fine,,department,TINH\n");
    let file = write(&dir, "bad.csv", &csv);
    let out = import(&dir, &url, &file);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let reported: Vec<&str> = stderr.lines().filter(|l| l.contains("bad.csv:")).collect();
    let lines: Vec<u64> = reported
        .iter()
        .map(|l| {
            l.split("bad.csv:")
                .nth(1)
                .unwrap()
                .split(':')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(lines, [3, 4, 5, 6, 7, 8, 9, 10, 11], "{stderr}");
    for (line, needle) in [
        (3, "kind"),
        (4, "name_vi"),
        (5, "NOWHERE"),
        (6, "line 2"),
        (7, "UTF-8"),
        (8, "loops"),
        (9, "loops"),
        (10, "code"),
        (11, "cells"),
    ] {
        let l = reported
            .iter()
            .find(|l| l.contains(&format!("bad.csv:{line}:")))
            .unwrap();
        assert!(l.contains(needle), "line {line}: {l}");
    }
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    // Not even the good rows.
    assert_eq!(app.get_json(&admin, AGENCIES).await, json!([]));
    assert_problem(
        app.get_as(&admin, "/api/v1/agencies/OK").await,
        ProblemCode::AgencyNotFound,
    )
    .await;
    assert_eq!(
        app.get_json(&admin, "/api/v1/audit").await["entries"],
        json!([])
    );

    // A header without the required columns is refused before any row is read.
    let file = write(&dir, "header.csv", b"code,name,kind\nA,A,other\n");
    let out = import(&dir, &url, &file);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("header.csv:1: header:"), "{stderr}");
    assert!(stderr.contains("name_vi"), "{stderr}");
    std::fs::remove_dir_all(dir).ok();
}
