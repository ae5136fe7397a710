//! The forms API, immutable publication and `sipas forms check`.

use sipas::error::ProblemCode;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::helpers::{assert_problem, spawn_app};

fn shipped_forms() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("survey-forms")
}

#[tokio::test]
async fn list_has_the_four_shipped_forms() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/forms").await;
    assert_eq!(res.status().as_u16(), 200);
    let list: Vec<Value> = res.json().await.unwrap();
    let keys: Vec<&str> = list.iter().map(|f| f["key"].as_str().unwrap()).collect();
    assert_eq!(
        keys,
        ["sipas-2017", "sipas-2023", "sipas-2024", "sipas-quick"]
    );
    for form in &list {
        assert_eq!(form["status"], "published");
        assert!(form["version"].as_u64().unwrap() >= 1);
        assert!(!form["title"]["vi"].as_str().unwrap().is_empty());
        assert!(!form["title"]["en"].as_str().unwrap().is_empty());
        assert!(
            form["languages"]
                .as_array()
                .unwrap()
                .contains(&Value::from("vi"))
        );
        assert!(form["edition"].is_string());
    }
}

/// Every scale item id under each index node, recursively.
fn items_by_node(node: &Value, out: &mut HashMap<String, Vec<String>>) {
    if let Some(items) = node["items"].as_array() {
        out.insert(
            node["id"].as_str().unwrap().to_owned(),
            items
                .iter()
                .map(|i| i.as_str().unwrap().to_owned())
                .collect(),
        );
    }
    for child in node["children"].as_array().into_iter().flatten() {
        items_by_node(child, out);
    }
}

#[tokio::test]
async fn sipas_2017_has_22_scale_items_in_5_factors() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/forms/sipas-2017").await;
    assert_eq!(res.status().as_u16(), 200);
    let form: Value = res.json().await.unwrap();
    assert_eq!(form["key"], "sipas-2017");
    assert_eq!(form["index"]["id"], "sipas");
    let factors = form["index"]["children"].as_array().unwrap();
    assert_eq!(factors.len(), 5);

    let mut by_node = HashMap::new();
    items_by_node(&form["index"], &mut by_node);
    let sizes: Vec<usize> = factors
        .iter()
        .map(|f| by_node[f["id"].as_str().unwrap()].len())
        .collect();
    assert_eq!(sizes, [4, 5, 6, 3, 4]);

    let questions: HashMap<&str, &Value> = form["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["questions"].as_array().unwrap())
        .map(|q| (q["id"].as_str().unwrap(), q))
        .collect();
    let mut seen = HashMap::new();
    for (node, items) in &by_node {
        for item in items {
            assert!(
                seen.insert(item.clone(), node.clone()).is_none(),
                "{item} in two nodes"
            );
            let q = questions[item.as_str()];
            assert_eq!(q["kind"], "scale", "{item}");
            assert_eq!(q["scale"], "sat5");
            assert!(q["text"]["vi"].as_str().is_some_and(|t| !t.is_empty()));
            assert!(q["wording_status"].is_string());
        }
    }
    assert_eq!(seen.len(), 22);
    let expected: Vec<String> = (1..=22).map(|i| format!("s{i}")).collect();
    let mut got: Vec<String> = seen.into_keys().collect();
    got.sort_by_key(|s| s[1..].parse::<u32>().unwrap());
    assert_eq!(got, expected);

    let sat5 = form["scales"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "sat5")
        .unwrap();
    assert_eq!(sat5["satisfied"], serde_json::json!([4, 5]));
    assert_eq!(sat5["levels"][4]["label"]["vi"], "Rất hài lòng");
    assert_eq!(sat5["levels"][0]["value"], 1);
    assert_eq!(form["par"]["max_points"], 10.0);
}

#[tokio::test]
async fn exact_versions_and_unknown_forms() {
    let app = spawn_app().await;
    let current: Value = app
        .get("/api/v1/forms/sipas-quick")
        .await
        .json()
        .await
        .unwrap();
    let v1: Value = app
        .get("/api/v1/forms/sipas-quick/versions/1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(current, v1);
    for path in [
        "/api/v1/forms/no-such-form",
        "/api/v1/forms/sipas-quick/versions/99",
        "/api/v1/forms/sipas-quick/versions/abc",
        "/api/v1/forms/no-such-form/versions/1",
    ] {
        assert_problem(app.get(path).await, ProblemCode::FormNotFound).await;
    }
}

#[tokio::test]
async fn etag_revalidation_answers_304_without_a_body() {
    let app = spawn_app().await;
    let first = app.get("/api/v1/forms/sipas-2024/versions/1").await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.len() > 10);
    let again = app
        .client
        .get(app.url("/api/v1/forms/sipas-2024/versions/1"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    assert!(again.bytes().await.unwrap().is_empty());
    let other = app
        .client
        .get(app.url("/api/v1/forms/sipas-2024"))
        .header("if-none-match", "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 200);
    assert_eq!(other.headers()["etag"].to_str().unwrap(), etag);
}

/// A folder with a copy of the shipped `sipas-quick` v1 only.
fn quick_only_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sipas-forms-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        shipped_forms().join("sipas-quick.v1.toml"),
        dir.join("sipas-quick.v1.toml"),
    )
    .unwrap();
    dir
}

#[tokio::test]
async fn a_published_version_never_changes_and_new_versions_join_it() {
    let dir = quick_only_dir();
    let app = spawn_app().await;
    let db = &app.db;
    sipas::startup::publish_forms(db, Some(&dir)).await.unwrap();

    // Comments and layout are not content: still the same version.
    let v1 = std::fs::read_to_string(dir.join("sipas-quick.v1.toml")).unwrap();
    std::fs::write(dir.join("sipas-quick.v1.toml"), format!("# a note\n{v1}")).unwrap();
    sipas::startup::publish_forms(db, Some(&dir)).await.unwrap();

    // A changed wording without a version bump stops the start.
    let edited = v1.replacen(
        "Công chức có thái độ giao tiếp lịch sự",
        "Công chức lịch sự",
        1,
    );
    assert_ne!(edited, v1);
    std::fs::write(dir.join("sipas-quick.v1.toml"), &edited).unwrap();
    let err = sipas::startup::publish_forms(db, Some(&dir))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("sipas-quick.v1.toml"), "{err}");
    assert!(
        err.contains("already published") && err.contains("new `version`"),
        "{err}"
    );

    // The same edit as version 2 is published alongside; v1 stays retrievable even after its
    // file is removed.
    std::fs::remove_file(dir.join("sipas-quick.v1.toml")).unwrap();
    std::fs::write(
        dir.join("sipas-quick.v2.toml"),
        edited.replacen("version = 1", "version = 2", 1),
    )
    .unwrap();
    let forms = sipas::startup::publish_forms(db, Some(&dir)).await.unwrap();
    assert_eq!(
        forms.current("sipas-quick").unwrap().definition.version(),
        2
    );
    let old = forms.version("sipas-quick", 1).unwrap();
    assert!(old.json.contains("Công chức có thái độ giao tiếp lịch sự"));
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn a_retired_version_is_not_listed_but_stays_retrievable() {
    let dir = quick_only_dir();
    let app = spawn_app().await;
    sipas::startup::publish_forms(&app.db, Some(&dir))
        .await
        .unwrap();
    assert!(
        sipas::persistence::forms::retire(&app.db, "sipas-quick", 1)
            .await
            .unwrap()
    );
    let forms = sipas::startup::publish_forms(&app.db, Some(&dir))
        .await
        .unwrap();
    assert!(forms.list().iter().all(|f| f.key != "sipas-quick"));
    assert!(forms.list().iter().any(|f| f.key == "sipas-2017"));
    assert!(forms.for_new_surveys("sipas-quick").is_none());
    let v1 = forms.version("sipas-quick", 1).unwrap();
    assert!(v1.json.contains("\"status\":\"retired\""));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn forms_check_passes_on_the_shipped_forms_and_fails_with_file_and_line() {
    let bin = env!("CARGO_BIN_EXE_sipas");
    let ok = std::process::Command::new(bin)
        .args(["forms", "check"])
        .arg(shipped_forms())
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let out = String::from_utf8(ok.stdout).unwrap();
    assert_eq!(
        out.lines().filter(|l| l.starts_with("ok ")).count(),
        4,
        "{out}"
    );

    let dir = quick_only_dir();
    let path = dir.join("sipas-quick.v1.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    // Point an item at an unknown scale.
    let broken = text.replacen("scale = \"sat5\"", "scale = \"sat9\"", 1);
    assert_ne!(broken, text);
    std::fs::write(&path, broken).unwrap();
    let bad = std::process::Command::new(bin)
        .args(["forms", "check"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8(bad.stderr).unwrap();
    let line = err.lines().next().unwrap();
    assert!(line.contains("sipas-quick.v1.toml:"), "{err}");
    assert!(line.contains("sat9") && line.contains("fix:"), "{err}");
    let line_no: usize = line
        .split("sipas-quick.v1.toml:")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no line number in {line}"));
    let offending = std::fs::read_to_string(&path).unwrap();
    let at = offending.lines().nth(line_no - 1).unwrap();
    assert!(
        at.contains("sat9") || at.contains("[[sections.questions]]"),
        "line {line_no}: {at}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn an_invalid_form_file_stops_the_start_with_file_and_line() {
    let dir = quick_only_dir();
    let path = dir.join("sipas-quick.v1.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replacen("satisfied_levels = [4, 5]", "satisfied_levels = [4, 9]", 1),
    )
    .unwrap();
    let app = spawn_app().await;
    let err = sipas::startup::publish_forms(&app.db, Some(&dir))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("sipas-quick.v1.toml:"), "{err}");
    assert!(err.contains("fix:"), "{err}");
    // The broken file was not published: the stored v1 is still the shipped one.
    let stored = sipas::persistence::forms::all(&app.db).await.unwrap();
    let quick = stored.iter().find(|f| f.key == "sipas-quick").unwrap();
    assert_eq!(quick.source, text);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn the_openapi_document_describes_the_form_schema() {
    let app = spawn_app().await;
    let doc: Value = app
        .get("/api-docs/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/forms",
        "/api/v1/forms/{key}",
        "/api/v1/forms/{key}/versions/{version}",
    ] {
        assert!(doc["paths"][path]["get"].is_object(), "{path}");
    }
    let schemas = &doc["components"]["schemas"];
    for name in [
        "FormDefinition",
        "FormSummary",
        "Question",
        "Scale",
        "IndexNode",
    ] {
        assert!(schemas[name].is_object(), "schema {name} missing");
    }
}
