//! The citizen survey page `/s/{token}`: the questionnaire with its agency, procedure field and
//! prefilled answer in Vietnamese or English; a form post stored exactly once through the shared
//! path, with a thank-you page and its receipt; errors shown next to their questions with the
//! answers kept; friendly HTML pages (not problem+json) for answered, expired, unknown, guessed
//! and cross-site cases; and a citizen answering with the keyboard in headless Chromium, checked
//! with axe-core (tests/browser/answer-survey.mjs).

use sipas::error::ProblemCode;
use std::path::Path;

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Map, Value, json};
use sipas::persistence::dossiers as store;
use uuid::Uuid;

use crate::dossiers::{dossier, register, setup};
use crate::helpers::{TestApp, assert_problem, browser, spawn_app, spawn_app_with, target_path};
use crate::responses::{form_of, scale_questions};

/// `setup`, plus agency TP (under TINH) with an English name. Returns the admin key.
async fn citizen_setup(app: &TestApp) -> String {
    let admin = setup(app).await;
    let body = json!({
        "code": "TP",
        "name": {"vi": "Sở Tư pháp tỉnh", "en": "Provincial Department of Justice"},
        "kind": "department",
        "parent_code": "TINH",
    });
    let res = app.post_json(Some(&admin), "/api/v1/agencies", &body).await;
    assert_eq!(res.status().as_u16(), 201);
    admin
}

/// Registers a dossier of TP with `extra` fields; returns the registration.
async fn registered(app: &TestApp, admin: &str, code: &str, extra: Value) -> Value {
    let mut body = dossier("TP", code);
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    register(app, admin, &body, 201).await
}

fn token(reg: &Value) -> &str {
    reg["survey_token"].as_str().unwrap()
}

fn page(reg: &Value) -> String {
    format!("/s/{}", token(reg))
}

fn id_of(reg: &Value) -> Uuid {
    reg["dossier_id"].as_str().unwrap().parse().unwrap()
}

fn form_body(pairs: &[(&str, &str)]) -> Vec<u8> {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .into_bytes()
}

/// POSTs the form fields like a browser would, with extra headers.
async fn post_form(
    app: &TestApp,
    path: &str,
    pairs: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(pairs));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.unwrap()
}

/// Asserts an HTML page with `status` and the headers of a page reached with a credential;
/// returns its body.
async fn html_page(res: reqwest::Response, status: u16) -> String {
    let got = res.status().as_u16();
    let h = res.headers().clone();
    let body = res.text().await.unwrap();
    assert_eq!(got, status, "{body}");
    assert!(h.get("x-request-id").is_some(), "request id");
    assert_eq!(h["content-type"], "text/html; charset=utf-8", "{body}");
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["x-frame-options"], "DENY");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert!(body.starts_with("<!DOCTYPE html>"), "{body}");
    assert!(!body.contains("<script"), "no JavaScript");
    body
}

/// The markup of one question on the page, from its block to the next question.
fn question<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"q-{id}\""))
        .unwrap_or_else(|| panic!("no question {id} on the page"));
    let rest = &html[start..];
    let end = rest[1..]
        .find("data-question=")
        .or_else(|| rest.find("</form>"))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The answers stored (pending while the dossier's month is open, as every test's is).
async fn stored_answers(app: &TestApp) -> Vec<Value> {
    app.db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT answers FROM pending_responses",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_str(&r.try_get::<String>("", "answers").unwrap()).unwrap())
        .collect()
}

/// The value of the page's hidden `submission_key` field (one per rendering of the form).
fn submission_key(html: &str) -> String {
    let marker = "<input type=\"hidden\" name=\"submission_key\" value=\"";
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no submission_key on the page: {html}"))
        + marker.len();
    let key = &html[start..start + html[start..].find('"').unwrap()];
    assert!(
        (16..=64).contains(&key.len())
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{key}"
    );
    key.to_owned()
}

#[tokio::test]
async fn the_survey_page_is_vietnamese_by_default_english_on_request_and_shows_agency_and_field() {
    let app = spawn_app().await;
    let admin = citizen_setup(&app).await;
    let reg = registered(&app, &admin, "P-1", json!({"procedure_field": "Đất đai"})).await;

    let res = app.get(&page(&reg)).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-language"], "vi");
    let html = html_page(res, 200).await;
    assert!(html.contains("<html lang=\"vi\">"));
    assert!(
        !html.contains(token(&reg)),
        "the token is not repeated in the page"
    );
    assert!(
        html.contains("<dt>Cơ quan</dt><dd>Sở Tư pháp tỉnh</dd>"),
        "{html}"
    );
    assert!(html.contains("<dt>Lĩnh vực</dt><dd>Đất đai</dd>"));
    assert!(html.contains("Rất hài lòng") && html.contains("Gửi phiếu"));
    assert!(html.contains("action=\"?lang=vi\""), "posts back to itself");
    // g1 (prefill = "procedure_field") holds the dossier's field, and may be changed.
    assert!(
        question(&html, "g1").contains(">Đất đai</textarea>"),
        "{}",
        question(&html, "g1")
    );
    assert!(html.contains("href=\"?lang=en\""), "a link to English");
    assert!(!html.contains("id=\"error-summary\"") && !html.contains("aria-invalid"));

    let res = app.get(&format!("{}?lang=en", page(&reg))).await;
    assert_eq!(res.headers()["content-language"], "en");
    let html = html_page(res, 200).await;
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("<dt>Agency</dt><dd>Provincial Department of Justice</dd>"));
    assert!(html.contains("<dt>Field</dt><dd>Đất đai</dd>"));
    assert!(html.contains("Very satisfied") && html.contains("action=\"?lang=en\""));

    // A language the form lacks, or nonsense: Vietnamese.
    let res = app.get(&format!("{}?lang=fr", page(&reg))).await;
    assert_eq!(res.headers()["content-language"], "vi");

    // A dossier registered in English opens in English; ?lang=vi switches back. Without a
    // field, the procedure code prefills g1 and no field line is shown; an agency without an
    // English name keeps its Vietnamese one.
    let en = register(
        &app,
        &admin,
        &{
            let mut d = dossier("SO", "P-2");
            d["language"] = json!("en");
            d["procedure_code"] = json!("1.001234");
            d
        },
        201,
    )
    .await;
    let res = app.get(&page(&en)).await;
    assert_eq!(res.headers()["content-language"], "en");
    let html = html_page(res, 200).await;
    assert!(html.contains("<dt>Agency</dt><dd>Cơ quan SO</dd>"));
    assert!(!html.contains("<dt>Field</dt>"));
    assert!(question(&html, "g1").contains(">1.001234</textarea>"));
    let res = app.get(&format!("{}?lang=vi", page(&en))).await;
    assert_eq!(res.headers()["content-language"], "vi");

    // Another form (sipas-2023) renders through the same component.
    let other = registered(&app, &admin, "P-3", json!({"form_key": "sipas-2023"})).await;
    let html = html_page(app.get(&page(&other)).await, 200).await;
    assert!(html.contains("data-question=\"q8_1\""));
}

/// The shipped forms plus `sipas-quick` v2 without English (every `.en` text removed).
fn forms_with_a_vietnamese_only_version() -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root
        .join("target")
        .join(format!("forms-vi-only-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(root.join("survey-forms")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    let v1 = std::fs::read_to_string(root.join("survey-forms/sipas-quick.v1.toml")).unwrap();
    let v2: String = v1
        .replacen("version = 1", "version = 2", 1)
        .replacen("languages = [\"vi\", \"en\"]", "languages = [\"vi\"]", 1)
        .lines()
        .filter(|line| !line.split('=').next().unwrap().trim().ends_with(".en"))
        .map(|line| match line.find(", label.en = ") {
            // `{ value = 1, label.vi = "…", label.en = "…" },`
            Some(at) => format!("{} }},", &line[..at]),
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!v2.contains(".en"), "{v2}");
    std::fs::write(dir.join("sipas-quick.v2.toml"), v2).unwrap();
    dir
}

#[tokio::test]
async fn a_form_without_english_is_shown_in_vietnamese_even_when_english_is_asked_for() {
    let dir = forms_with_a_vietnamese_only_version();
    let forms = dir.clone();
    let app = spawn_app_with(move |s| s.forms.dir = Some(forms)).await;
    let admin = citizen_setup(&app).await;
    // (Registration already refuses `language: en` for it.)
    let reg = registered(&app, &admin, "P-11", json!({"form_key": "sipas-quick"})).await;
    for path in [page(&reg), format!("{}?lang=en", page(&reg))] {
        let res = app.get(&path).await;
        assert_eq!(res.headers()["content-language"], "vi", "{path}");
        let html = html_page(res, 200).await;
        assert!(html.contains("<html lang=\"vi\">") && html.contains("Rất hài lòng"));
        assert!(html.contains("action=\"?lang=vi\""));
        assert!(
            !html.contains("hreflang=\"en\""),
            "no link to a missing English"
        );
    }
    // Its answers come back in Vietnamese too.
    let res = post_form(&app, &format!("{}?lang=en", page(&reg)), &[], &[]).await;
    let html = html_page(res, 422).await;
    assert!(html.contains("Xin Ông/Bà đánh giá ít nhất một nội dung"));
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn a_valid_post_shows_the_receipt_stores_one_response_and_a_repeat_is_the_same_page() {
    let app = spawn_app().await;
    let admin = citizen_setup(&app).await;
    let reg = registered(
        &app,
        &admin,
        "P-4",
        json!({"procedure_field": "Hộ tịch", "channel": "online"}),
    )
    .await;
    let scales = scale_questions(&form_of(&app, &reg).await);
    // The form as the page renders it, with its hidden key; every rendering has a fresh one.
    let rendered = html_page(app.get(&page(&reg)).await, 200).await;
    let key = submission_key(&rendered);
    assert_ne!(
        submission_key(&html_page(app.get(&page(&reg)).await, 200).await),
        key
    );
    let mut fields: Vec<(&str, &str)> = scales.iter().map(|id| (id.as_str(), "4")).collect();
    fields.extend([
        ("submission_key", key.as_str()),
        ("g1", "Hộ tịch"),
        ("p1", "once"),
        ("e1", "facilities"),
        ("e1", "attitude"),
        ("d_gender", ""),
        ("comment", ""),
    ]);

    let res = post_form(&app, &page(&reg), &fields, &[]).await;
    assert_eq!(res.status().as_u16(), 200);
    let html = html_page(res, 200).await;
    assert!(html.contains("Cảm ơn Ông/Bà đã trả lời khảo sát"), "{html}");
    assert!(html.contains("ẩn danh"), "says the answers are anonymous");
    let receipt = html
        .split("id=\"receipt\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    assert_eq!(receipt.len(), 19, "{receipt}");

    // Exactly one row, with typed answers: integers, an array for the checkboxes, no blanks
    // (and no submission key).
    assert_eq!(app.count_answers().await, 1);
    let stored = &stored_answers(&app).await[0];
    let mut expected: Map<String, Value> = scales.iter().map(|id| (id.clone(), json!(4))).collect();
    expected.insert("g1".into(), json!("Hộ tịch"));
    expected.insert("p1".into(), json!("once"));
    expected.insert("e1".into(), json!(["facilities", "attitude"]));
    assert_eq!(stored, &Value::Object(expected));

    // The same post again (a double click, a reload: the same hidden key): the same page, 200,
    // nothing new; in English when asked.
    let res = post_form(&app, &format!("{}?lang=en", page(&reg)), &fields, &[]).await;
    let html = html_page(res, 200).await;
    assert!(html.contains("Thank you for answering the survey") && html.contains(&receipt));
    assert!(html.contains("anonymously"));
    // The JSON API agrees that these are the same answers, with the same key.
    let api_path = format!("/api/v1/surveys/{}/response", token(&reg));
    let api = app
        .post_json(
            None,
            &api_path,
            &json!({"answers": stored, "submission_key": key}),
        )
        .await;
    assert_eq!(api.status().as_u16(), 200);
    assert_eq!(api.json::<Value>().await.unwrap()["receipt"], receipt);
    // Without the key, the same answers are not a retry.
    assert_problem(
        app.post_json(None, &api_path, &json!({"answers": stored}))
            .await,
        ProblemCode::AlreadyAnswered,
    )
    .await;

    // Different answers afterwards (even with the key), the same answers from a form rendered
    // again (another key), and the link itself: already answered (410).
    let mut other = fields.clone();
    other[0].1 = "2";
    let html = html_page(post_form(&app, &page(&reg), &other, &[]).await, 410).await;
    assert!(
        html.contains("Phiếu khảo sát này đã được trả lời"),
        "{html}"
    );
    let mut rerendered = fields.clone();
    let fresh = "fresh-rendering-0123456789";
    rerendered
        .iter_mut()
        .find(|(name, _)| *name == "submission_key")
        .unwrap()
        .1 = fresh;
    let html = html_page(post_form(&app, &page(&reg), &rerendered, &[]).await, 410).await;
    assert!(
        html.contains("Phiếu khảo sát này đã được trả lời"),
        "{html}"
    );
    let res = app.get(&page(&reg)).await;
    assert_eq!(res.status().as_u16(), 410);
    let html = html_page(res, 410).await;
    assert!(html.contains("Phiếu khảo sát này đã được trả lời"));
    assert_eq!(app.count_answers().await, 1);
}

#[tokio::test]
async fn invalid_answers_come_back_with_each_message_next_to_its_question_and_answers_kept() {
    let app = spawn_app().await;
    let admin = citizen_setup(&app).await;
    let reg = registered(&app, &admin, "P-5", json!({"procedure_field": "Đất đai"})).await;
    let long = "x".repeat(2001);

    // Nothing rated and a comment too long: a message at the top, one next to the comment.
    let fields = [
        ("g1", "Đất đai (đã sửa)"),
        ("p1", "once"),
        ("e1", "facilities"),
        ("e1", "attitude"),
        ("comment", long.as_str()),
    ];
    let res = post_form(&app, &page(&reg), &fields, &[]).await;
    assert_eq!(res.status().as_u16(), 422);
    let html = html_page(res, 422).await;
    assert!(html.contains("<title>Lỗi: "), "the title says so");
    let summary = html
        .split("id=\"error-summary\"")
        .nth(1)
        .unwrap()
        .split("</div>")
        .next()
        .unwrap();
    assert!(
        summary.contains("Xin Ông/Bà đánh giá ít nhất một nội dung về mức độ hài lòng."),
        "{summary}"
    );
    assert!(summary.contains("href=\"#q-comment\""), "{summary}");
    assert!(summary.contains("Tối đa 2000 ký tự (hiện có 2001)."));
    let comment = question(&html, "comment");
    assert!(
        comment.contains("Tối đa 2000 ký tự (hiện có 2001)."),
        "{comment}"
    );
    assert!(comment.contains("aria-invalid=\"true\""));
    assert!(comment.contains("aria-describedby=\"comment-desc\""));
    assert!(comment.contains("id=\"comment-desc\""));
    assert!(comment.contains(&format!(">{long}</textarea>")), "kept");
    // The other answers are kept as given, and are not marked.
    assert!(question(&html, "g1").contains(">Đất đai (đã sửa)</textarea>"));
    assert!(question(&html, "p1").contains("value=\"once\" checked"));
    let e1 = question(&html, "e1");
    assert!(
        e1.contains("value=\"facilities\" checked") && e1.contains("value=\"attitude\" checked")
    );
    assert!(!e1.contains("value=\"lower_fees\" checked"));
    assert!(!question(&html, "p1").contains("aria-invalid"));
    assert_eq!(html.matches("aria-invalid=\"true\"").count(), 1);

    // In English, a tampered level: the message next to s1 on every one of its radios.
    let res = post_form(
        &app,
        &format!("{}?lang=en", page(&reg)),
        &[("s1", "6"), ("s2", "5")],
        &[],
    )
    .await;
    let html = html_page(res, 422).await;
    assert!(html.contains("<title>Error: "));
    let s1 = question(&html, "s1");
    assert!(
        s1.contains("Level 6 is not on the scale (1, 2, 3, 4, 5)."),
        "{s1}"
    );
    assert!(s1.contains("aria-describedby=\"s1-desc\""));
    assert_eq!(s1.matches("aria-invalid=\"true\"").count(), 5);
    assert!(question(&html, "s2").contains("value=\"5\" checked"));
    assert!(html.contains("action=\"?lang=en\""), "the language is kept");

    // Required questions (sipas-2023): each one says so.
    let strict = registered(&app, &admin, "P-6", json!({"form_key": "sipas-2023"})).await;
    let html = html_page(post_form(&app, &page(&strict), &[], &[]).await, 422).await;
    for id in ["q8_1", "q8_4", "q8_7"] {
        assert!(
            question(&html, id).contains("Câu hỏi này là bắt buộc."),
            "{id}"
        );
        assert!(html.contains(&format!("href=\"#q-{id}\"")));
    }

    // Nothing was stored, and the link still works.
    assert_eq!(app.count_answers().await, 0);
    let res = post_form(&app, &page(&reg), &[("s1", "5")], &[]).await;
    assert_eq!(res.status().as_u16(), 200);
}

#[tokio::test]
async fn answered_expired_and_unknown_links_get_friendly_html_pages() {
    let app = spawn_app().await;
    let admin = citizen_setup(&app).await;

    let answered = registered(&app, &admin, "P-7", json!({})).await;
    store::mark_answered(&app.db, id_of(&answered))
        .await
        .unwrap();
    let html = html_page(app.get(&page(&answered)).await, 410).await;
    assert!(
        html.contains("Phiếu khảo sát này đã được trả lời"),
        "{html}"
    );
    let html = html_page(app.get(&format!("{}?lang=en", page(&answered))).await, 410).await;
    assert!(html.contains("This survey has already been answered"));

    let expired = registered(&app, &admin, "P-8", json!({})).await;
    store::set_expiry(&app.db, id_of(&expired), Utc::now() - Duration::seconds(1))
        .await
        .unwrap();
    let res = app.get(&page(&expired)).await;
    assert_eq!(res.status().as_u16(), 410);
    let html = html_page(res, 410).await;
    assert!(html.contains("Phiếu khảo sát đã đóng"), "{html}");
    let res = post_form(&app, &page(&expired), &[("s1", "5")], &[]).await;
    assert_eq!(res.status().as_u16(), 410);
    assert!(html_page(res, 410).await.contains("Phiếu khảo sát đã đóng"));

    for path in [format!("/s/{}", "A".repeat(43)), "/s/short".to_owned()] {
        let res = app.get(&path).await;
        assert_eq!(res.status().as_u16(), 404);
        assert!(
            html_page(res, 404)
                .await
                .contains("Không tìm thấy phiếu khảo sát")
        );
        let res = post_form(&app, &format!("{path}?lang=en"), &[("s1", "5")], &[]).await;
        assert_eq!(res.status().as_u16(), 404);
        assert!(html_page(res, 404).await.contains("Survey not found"));
    }
    assert_eq!(app.count_answers().await, 0);

    // The JSON API keeps its problems.
    let api = format!("/api/v1/surveys/{}", token(&expired));
    assert_problem(app.get(&api).await, ProblemCode::SurveyClosed).await;
    assert_problem(
        app.get("/api/v1/surveys/short").await,
        ProblemCode::SurveyNotFound,
    )
    .await;
}

#[tokio::test]
async fn posts_from_other_sites_are_refused_and_only_form_posts_are_read() {
    let app = spawn_app().await;
    let admin = citizen_setup(&app).await;
    let reg = registered(&app, &admin, "P-9", json!({})).await;
    let key = submission_key(&html_page(app.get(&page(&reg)).await, 200).await);
    let fields = [("s1", "5"), ("submission_key", key.as_str())];

    for headers in [
        vec![("origin", "https://evil.example")],
        vec![("sec-fetch-site", "cross-site")],
        vec![("sec-fetch-site", "same-site"), ("origin", "null")],
        // A browser's own verdict wins over a copied Origin.
        vec![
            ("sec-fetch-site", "cross-site"),
            ("origin", app.address.as_str()),
        ],
    ] {
        let res = post_form(&app, &page(&reg), &fields, &headers).await;
        assert_eq!(res.status().as_u16(), 403, "{headers:?}");
        let html = html_page(res, 403).await;
        assert!(html.contains("Phiếu được gửi từ một trang khác"), "{html}");
    }
    let wrong_type = app
        .post_raw(
            None,
            &page(&reg),
            "application/json",
            b"{\"s1\":5}".to_vec(),
        )
        .await;
    assert_eq!(wrong_type.status().as_u16(), 415);
    assert!(
        html_page(wrong_type, 415)
            .await
            .contains("Không đọc được phiếu")
    );
    let huge = vec![b'x'; 100 * 1024];
    let res = app
        .post_raw(None, &page(&reg), "application/x-www-form-urlencoded", huge)
        .await;
    assert_eq!(res.status().as_u16(), 413);
    html_page(res, 413).await;
    assert_eq!(app.count_answers().await, 0);

    // What browsers send with our own form: same-origin, and `Origin: null` because of
    // `Referrer-Policy: no-referrer`; or, from an older browser, our own Origin.
    let ok = post_form(
        &app,
        &page(&reg),
        &fields,
        &[("sec-fetch-site", "same-origin"), ("origin", "null")],
    )
    .await;
    assert_eq!(ok.status().as_u16(), 200);
    // The same form sent again (its key kept), from an older browser: the same thank-you page.
    let again = post_form(&app, &page(&reg), &fields, &[("origin", &app.address)]).await;
    assert_eq!(again.status().as_u16(), 200);
    assert_eq!(app.count_answers().await, 1);
}

#[tokio::test]
async fn guessing_links_on_the_page_is_rate_limited_with_a_page() {
    let app = spawn_app_with(|s| {
        s.surveys.lookup_burst = 2;
        s.surveys.lookup_period_ms = 60_000;
    })
    .await;
    for i in 0..2 {
        let res = app.get(&format!("/s/{}{i}", "x".repeat(42))).await;
        assert_eq!(res.status().as_u16(), 404);
    }
    let res = app.get(&format!("/s/{}?lang=en", "y".repeat(43))).await;
    assert_eq!(res.status().as_u16(), 429);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let html = html_page(res, 429).await;
    assert!(html.contains("Too many attempts"), "{html}");
    assert!(html.contains(&format!("try again in {retry} seconds")));
}

/// Runs tests/browser/answer-survey.mjs on `url`; screenshots go to `target/{prefix}-*.png`.
async fn answer_in_chromium(url: &str, prefix: &str) -> Value {
    let args = json!({ "url": url, "shots": target_path(prefix), "width": 360 });
    browser("answer-survey.mjs", args).await
}

fn serious(report: &Value) -> Vec<&Value> {
    report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["impact"] == "serious" || v["impact"] == "critical")
        .collect()
}

#[tokio::test]
async fn a_citizen_answers_by_keyboard_in_chromium_and_axe_finds_no_serious_violation() {
    let app = spawn_app().await;
    let admin = citizen_setup(&app).await;
    let reg = registered(&app, &admin, "P-10", json!({"procedure_field": "Đất đai"})).await;
    let scales = scale_questions(&form_of(&app, &reg).await);
    let report = answer_in_chromium(&app.url(&page(&reg)), "browser-citizen").await;
    // Kept next to the screenshots, for a look at axe-core's minor findings too.
    let saved = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-citizen-report.json");
    std::fs::write(&saved, serde_json::to_vec_pretty(&report).unwrap()).unwrap();

    let form = &report["form"];
    assert_eq!(form["status"], 200, "{form}");
    assert_eq!(form["lang"], "vi");
    assert_eq!(form["scripts"], 0);
    assert_eq!(form["fits_width"], true, "horizontal scrolling at 360 px");
    assert_eq!(form["headers"]["referrer_policy"], "no-referrer");
    assert_eq!(form["prefilled"], json!({"g1": "Đất đai"}));
    let on_page: Vec<String> = serde_json::from_value(form["scale_questions"].clone()).unwrap();
    assert_eq!(on_page, scales);

    // Sent with nothing rated: the errors, with the summary focused.
    let errors = &report["errors"];
    assert_eq!(errors["status"], 422, "{errors}");
    assert_eq!(errors["focused"], "error-summary");
    assert!(errors["title"].as_str().unwrap().starts_with("Lỗi: "));
    assert!(
        errors["summary"][0]
            .as_str()
            .unwrap()
            .contains("ít nhất một nội dung"),
        "{errors}"
    );

    // Every scale question answered with the keyboard, the levels as the keys chose them.
    let answered: Map<String, Value> = serde_json::from_value(report["answered"].clone()).unwrap();
    let mut ids: Vec<&String> = answered.keys().collect();
    ids.sort();
    let mut expected: Vec<&String> = scales.iter().collect();
    expected.sort();
    assert_eq!(ids, expected, "every scale question answered");
    let levels: std::collections::HashSet<i64> =
        answered.values().map(|v| v.as_i64().unwrap()).collect();
    assert_eq!(
        levels.len(),
        5,
        "arrow keys reached every level: {answered:?}"
    );

    let thanks = &report["thanks"];
    assert_eq!(thanks["status"], 200, "{thanks}");
    let receipt = thanks["receipt"].as_str().unwrap();
    assert_eq!(receipt.len(), 19);
    assert!(thanks["text"].as_str().unwrap().contains("ẩn danh"));

    // What was stored is what the keys chose (and the prefilled field).
    assert_eq!(app.count_answers().await, 1);
    let mut stored = stored_answers(&app).await.remove(0);
    assert_eq!(stored["g1"], "Đất đai");
    stored.as_object_mut().unwrap().remove("g1");
    assert_eq!(stored, Value::Object(answered.clone()));
    // The JSON API sees the same answers, and gives the same receipt for the key of the form
    // the browser sent (its hidden field); without it, the same answers are a conflict.
    // (Each rendering has its own key: the form's differs from the errors page's.)
    let key = errors["submission_key"].as_str().unwrap();
    assert!((16..=64).contains(&key.len()), "{errors}");
    assert_ne!(form["submission_key"], errors["submission_key"], "{form}");
    let mut same = answered.clone();
    same.insert("g1".into(), json!("Đất đai"));
    let api_path = format!("/api/v1/surveys/{}/response", token(&reg));
    let api = app
        .post_json(
            None,
            &api_path,
            &json!({"answers": same, "submission_key": key}),
        )
        .await;
    assert_eq!(api.status().as_u16(), 200);
    assert_eq!(api.json::<Value>().await.unwrap()["receipt"], receipt);
    assert_problem(
        app.post_json(None, &api_path, &json!({"answers": same}))
            .await,
        ProblemCode::AlreadyAnswered,
    )
    .await;

    let again = &report["again"];
    assert_eq!(again["status"], 410);
    assert_eq!(again["heading"], "Phiếu khảo sát này đã được trả lời");

    for (name, page) in [
        ("survey", form),
        ("errors", errors),
        ("thanks", thanks),
        ("already answered", again),
    ] {
        assert!(
            serious(page).is_empty(),
            "axe-core on {name}: {:#?}",
            serious(page)
        );
        assert!(Path::new(page["screenshot"].as_str().unwrap()).is_file());
    }
}
