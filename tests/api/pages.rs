//! The HTML pages: rendering, language fallback, and a real headless Chromium run with
//! keyboard navigation and axe-core (tests/browser/inspect-page.mjs).

use serde_json::Value;
use sipas::error::ProblemCode;

use crate::helpers::{TestApp, browser, spawn_app, target_path};

/// Runs tests/browser/inspect-page.mjs on `url`; the screenshot goes under `target/`.
async fn inspect(url: &str, screenshot: &str) -> Value {
    let shot = target_path(screenshot);
    let args = serde_json::json!({ "url": url, "screenshot": shot, "width": 360 });
    let report = browser("inspect-page.mjs", args).await;
    assert!(shot.is_file(), "no screenshot at {}", shot.display());
    report
}

/// Ids of the questions the page should show: every question of the API's form.
async fn question_ids(app: &TestApp, key: &str) -> Vec<String> {
    let form: Value = app
        .get(&format!("/api/v1/forms/{key}"))
        .await
        .json()
        .await
        .unwrap();
    form["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["questions"].as_array().unwrap())
        .filter(|q| q["visible_until"].is_null())
        .map(|q| q["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn sipas_2017_in_chromium_is_complete_keyboard_usable_and_accessible() {
    let app = spawn_app().await;
    let expected = question_ids(&app, "sipas-2017").await;
    assert!(expected.iter().filter(|id| id.starts_with('s')).count() >= 22);
    let report = inspect(&app.url("/forms/sipas-2017"), "browser-sipas-2017.png").await;

    assert_eq!(report["status"], 200);
    assert_eq!(report["lang"], "vi");
    assert_eq!(
        report["scripts"], 0,
        "the page must work without JavaScript"
    );
    assert_eq!(report["fits_width"], true, "horizontal scrolling at 360 px");
    let on_page: Vec<String> = serde_json::from_value(report["questions"].clone()).unwrap();
    assert_eq!(on_page, expected, "questions on the page");
    let mut reached: Vec<String> =
        serde_json::from_value(report["keyboard_reached"].clone()).unwrap();
    reached.sort();
    let mut all = expected.clone();
    all.sort();
    assert_eq!(reached, all, "questions reachable with the Tab key");
    assert_eq!(
        report["invisible_focus"],
        serde_json::json!([]),
        "focus must be visible"
    );
    let serious: Vec<&Value> = report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["impact"] == "serious" || v["impact"] == "critical")
        .collect();
    assert!(serious.is_empty(), "axe-core: {serious:#?}");
}

#[tokio::test]
async fn every_shipped_form_renders_in_chromium_without_serious_violations() {
    let app = spawn_app().await;
    for key in ["sipas-2023", "sipas-2024", "sipas-quick"] {
        let report = inspect(
            &app.url(&format!("/forms/{key}?lang=en")),
            &format!("browser-{key}-en.png"),
        )
        .await;
        assert_eq!(report["lang"], "en", "{key}");
        assert_eq!(report["content_language"], "en", "{key}");
        let expected = question_ids(&app, key).await;
        let on_page: Vec<String> = serde_json::from_value(report["questions"].clone()).unwrap();
        assert_eq!(on_page, expected, "{key}");
        let serious = report["violations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["impact"] == "serious" || v["impact"] == "critical")
            .count();
        assert_eq!(serious, 0, "{key}: {}", report["violations"]);
    }
}

#[tokio::test]
async fn the_page_is_vietnamese_by_default_and_english_on_request() {
    let app = spawn_app().await;
    let vi = app.get("/forms/sipas-2017").await;
    assert_eq!(vi.status().as_u16(), 200);
    assert_eq!(vi.headers()["content-language"], "vi");
    assert!(
        vi.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = vi.text().await.unwrap();
    assert!(html.contains("<html lang=\"vi\">"));
    assert!(html.contains("Rất hài lòng"), "diacritics intact");
    assert!(html.contains("Công chức có thái độ giao tiếp lịch sự"));
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));

    let en = app.get("/forms/sipas-2017?lang=en").await;
    assert_eq!(en.headers()["content-language"], "en");
    let html = en.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\">") && html.contains("Very satisfied"));

    // A language the form lacks falls back to Vietnamese, and says so.
    let fr = app.get("/forms/sipas-2017?lang=fr").await;
    assert_eq!(fr.headers()["content-language"], "vi");

    let missing = app.get("/forms/no-such-form").await;
    crate::helpers::assert_problem(missing, ProblemCode::FormNotFound).await;
}
