//! The perception and needs indicators (methodology §3.3) through `GET /api/v1/results`: the
//! 2024 harassment shares of vector T8 (read from `docs/methodology.md` §6.1), the shares of
//! single-choice, multiple-choice and grid questions with their Wilson intervals, `n`, the
//! index's suppression rules, an agency and a subtree (pooled).

use std::collections::HashMap;

use serde_json::{Value, json};
use sipas::domain::auth::Role;

use crate::helpers::{TestApp, spawn_app_with};
use crate::results::{LAST_MONTH, register_many, submit_all};

const METHODOLOGY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/methodology.md");

/// Φ⁻¹(0.975).
const Z95: f64 = 1.959_963_984_540_054;

/// The Wilson score interval of `x` of `n` at 95 %, in percent, written out.
fn wilson95(x: u64, n: u64) -> (f64, f64) {
    let (p, n) = (x as f64 / n as f64, n as f64);
    let z2 = Z95 * Z95;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / (1.0 + z2 / n);
    (
        100.0 * (centre - half).max(0.0),
        100.0 * (centre + half).min(1.0),
    )
}

/// The published shares of vector T8, as the methodology's table gives them.
fn t8() -> Vec<f64> {
    let doc = std::fs::read_to_string(METHODOLOGY).unwrap();
    let row = doc.lines().find(|l| l.starts_with("| T8 |")).unwrap();
    let expected = row.split('|').nth(3).unwrap();
    expected
        .split_whitespace()
        .filter_map(|w| w.parse::<f64>().ok())
        .filter(|v| *v < 100.0)
        .collect()
}

/// The smallest sample whose shares, rounded to 2 decimals, are `shares`, and its counts.
fn smallest_sample(shares: &[f64]) -> (u64, Vec<u64>) {
    (1..100_000)
        .find_map(|n: u64| {
            let counts: Vec<u64> = shares
                .iter()
                .map(|s| (s * n as f64 / 100.0).round() as u64)
                .collect();
            let rounded = |c: u64| (10_000.0 * c as f64 / n as f64).round() / 100.0;
            (counts.iter().sum::<u64>() == n
                && counts
                    .iter()
                    .zip(shares)
                    .all(|(c, s)| (rounded(*c) - s).abs() < 1e-9))
            .then_some((n, counts))
        })
        .unwrap()
}

/// The indicator of `question` in a result.
pub(crate) fn indicator<'a>(result: &'a Value, question: &str) -> &'a Value {
    result["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["question_id"] == question)
        .unwrap_or_else(|| panic!("no indicator {question}"))
}

/// The option `value` of an indicator.
fn option<'a>(indicator: &'a Value, value: &str) -> &'a Value {
    indicator["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["value"] == value)
        .unwrap_or_else(|| panic!("no option {value}"))
}

/// Asserts an option's count, share and Wilson interval out of `n`.
fn assert_share(o: &Value, x: u64, n: u64) {
    assert_eq!(o["count"], x, "{o}");
    let share = o["share"].as_f64().unwrap();
    assert!((share - 100.0 * x as f64 / n as f64).abs() < 1e-12, "{o}");
    let (low, high) = wilson95(x, n);
    assert!(
        (o["ci"]["low"].as_f64().unwrap() - low).abs() < 1e-10,
        "{o}"
    );
    assert!(
        (o["ci"]["high"].as_f64().unwrap() - high).abs() < 1e-10,
        "{o}"
    );
    assert_eq!(o["ci"]["level"], 0.95);
}

/// Province T with departments S1 and S2; registers `n` dossiers of `form` per department
/// (completed in 2025-H1) and returns the admin key and each department's tokens.
pub(crate) async fn setup(
    app: &TestApp,
    form: &str,
    n: &[(&str, usize)],
) -> (String, HashMap<String, Vec<String>>) {
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "T", "province", None).await;
    for a in ["S1", "S2"] {
        app.create_agency(&admin, a, "department", Some("T")).await;
    }
    let cells: Vec<(String, String, usize)> = n
        .iter()
        .map(|(a, k)| ((*a).to_owned(), "online".to_owned(), *k))
        .collect();
    let tokens = register_many(app, &admin, &cells, |_, _, _| json!({"form_key": form})).await;
    let tokens = tokens.into_iter().map(|((a, _), t)| (a, t)).collect();
    (admin, tokens)
}

/// Submits the answers online (every one accepted) and closes 2025-H1, publishing them.
pub(crate) async fn publish(app: &TestApp, admin: &str, submissions: Vec<(String, Value)>) {
    assert!(submit_all(app, submissions).await.iter().all(|s| *s == 201));
    app.close_month(admin, LAST_MONTH).await;
}

/// Vector T8: 2024 harassment (`q5` of `sipas-2024`) 90.06 / 8.98 / 0.96, from the smallest
/// sample that gives exactly these rounded shares; they sum to 100 at full precision.
#[tokio::test]
async fn the_2024_harassment_shares_of_vector_t8() {
    let want = t8();
    assert_eq!(want.len(), 3, "{want:?}");
    let (n, counts) = smallest_sample(&want);
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = 3650).await;
    let (admin, tokens) = setup(&app, "sipas-2024", &[("S1", n as usize)]).await;
    let options = ["none", "some", "many"];
    let mut chosen = Vec::new();
    for (option, c) in options.iter().zip(&counts) {
        chosen.extend(std::iter::repeat_n(*option, *c as usize));
    }
    let submissions = tokens["S1"]
        .iter()
        .zip(&chosen)
        .map(|(t, q5)| {
            let mut answers: serde_json::Map<String, Value> =
                (1..=7).map(|k| (format!("q8_{k}"), json!(1))).collect();
            answers.insert("q9_1".into(), json!(4));
            answers.insert("q5".into(), json!(q5));
            (t.clone(), Value::Object(answers))
        })
        .collect();
    publish(&app, &admin, submissions).await;

    let result = app
        .get_json(
            &admin,
            "/api/v1/results?agency=S1&form=sipas-2024&period=2025",
        )
        .await;
    let q5 = indicator(&result, "q5");
    assert_eq!(q5["kind"], "single_choice");
    assert_eq!(q5["n"], n);
    assert_eq!(q5["status"], "ok");
    let mut sum = 0.0_f64;
    for ((value, c), w) in options.iter().zip(&counts).zip(&want) {
        let o = option(q5, value);
        assert_share(o, *c, n);
        let share = o["share"].as_f64().unwrap();
        assert_eq!((share * 100.0).round() / 100.0, *w, "{value}");
        sum += share;
    }
    assert!((sum - 100.0).abs() < 1e-9, "{sum}");
    // Every experience row was answered "Có": 100 %, an interval that ends at 100.
    let q8 = indicator(&result, "q8_1");
    assert_eq!(q8["kind"], "grid");
    assert_eq!(option(q8, "1")["share"], 100.0);
    assert_eq!(option(q8, "1")["ci"]["high"], 100.0);
    assert!(q8.get("positive").is_none(), "{q8}");
    // Questions nobody answered: n = 0, suppressed; the satisfaction items are not indicators.
    assert_eq!(indicator(&result, "q6")["n"], 0);
    assert_eq!(indicator(&result, "q6")["status"], "suppressed");
    let ids: Vec<&Value> = result["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["question_id"])
        .collect();
    assert!(!ids.contains(&&json!("q9_1")) && !ids.contains(&&json!("d_gender")));

    // The trend by quarter: each step's shares of its own respondents, the counts adding up
    // to the year's; no labels (the result has them).
    let trend = app
        .get_json(
            &admin,
            "/api/v1/results/trend?agency=S1&form=sipas-2024&period=2025-H1&step=quarter",
        )
        .await;
    let steps = trend["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    let mut total = vec![0; options.len()];
    for step in steps {
        let q5 = indicator(step, "q5");
        assert!(q5.get("label").is_none() && q5["options"][0].get("label").is_none());
        let m = q5["n"].as_u64().unwrap();
        assert!(m > 0 && m < n, "{m}");
        for (t, value) in total.iter_mut().zip(options) {
            let x = option(q5, value)["count"].as_u64().unwrap();
            assert_share(option(q5, value), x, m);
            *t += x;
        }
    }
    assert_eq!(total, counts);
}

/// 2017 answers for respondent `i`: a satisfaction item, the trips (`p1`), the wishes (`e1`,
/// multiple; every fourth respondent ticks none) and the overall question (`o1`).
pub(crate) fn answers_2017(i: usize) -> Value {
    let trips = ["none", "once", "twice"][i % 3];
    let mut a = json!({"s1": 4, "p1": trips, "o1": 1 + (i % 5) as i64});
    match i % 4 {
        0 => a["e1"] = json!(["attitude", "lower_fees"]),
        1 | 2 => a["e1"] = json!(["attitude"]),
        _ => {}
    }
    a
}

/// The index's rules: an agency with 9 respondents (below `results.suppress_below` = 10)
/// publishes no share nor count, only `n`; the subtree pools its agencies' respondents (9 + 6 =
/// 15: published, of low reliability); multiple-choice shares are of the respondents who
/// ticked at least one option and may sum past 100; a grid row has its positive share.
#[tokio::test]
async fn shares_carry_wilson_intervals_and_the_index_suppression_rules() {
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = 3650).await;
    let (admin, tokens) = setup(&app, "sipas-2017", &[("S1", 9), ("S2", 6)]).await;
    let mut submissions = Vec::new();
    let mut all = Vec::new();
    for a in ["S1", "S2"] {
        for t in &tokens[a] {
            let answers = answers_2017(all.len());
            all.push(answers.clone());
            submissions.push((t.clone(), answers));
        }
    }
    publish(&app, &admin, submissions).await;

    let s1 = app
        .get_json(
            &admin,
            "/api/v1/results?agency=S1&form=sipas-2017&period=2025",
        )
        .await;
    assert_eq!(s1["suppressed"], true);
    let p1 = indicator(&s1, "p1");
    assert_eq!(
        (p1["n"].as_u64(), &p1["status"]),
        (Some(9), &json!("suppressed"))
    );
    assert_eq!(p1["suppression"], "small_n");
    for o in p1["options"].as_array().unwrap() {
        assert!(
            o["count"].is_null() && o["share"].is_null() && o["ci"].is_null(),
            "{o}"
        );
        assert_eq!(o["status"], "suppressed");
    }
    assert!(indicator(&s1, "o1")["positive"]["share"].is_null());

    for path in [
        "/api/v1/results?agency=T&form=sipas-2017&period=2025&subtree=true",
        "/api/v1/results?agency=T&form=sipas-2017&period=2025&subtree=true&aggregate=pooled",
    ] {
        let t = app.get_json(&admin, path).await;
        let count =
            |q: &str, f: &dyn Fn(&Value) -> bool| all.iter().filter(|a| f(&a[q])).count() as u64;
        let p1 = indicator(&t, "p1");
        assert_eq!(
            (p1["n"].as_u64(), &p1["status"]),
            (Some(15), &json!("low_reliability"))
        );
        for v in ["none", "once", "twice", "three_plus"] {
            assert_share(option(p1, v), count("p1", &|x| x == v), 15);
        }
        assert_eq!(option(p1, "none")["label"], "Không phải đến cơ quan");
        // e1: of those who ticked at least one.
        let e1 = indicator(&t, "e1");
        assert_eq!(e1["kind"], "multiple_choice");
        let ticked = count("e1", &|x| x.is_array());
        assert_eq!(e1["n"], ticked);
        let has =
            |v: &'static str| move |x: &Value| x.as_array().is_some_and(|l| l.contains(&json!(v)));
        assert_share(
            option(e1, "attitude"),
            count("e1", &has("attitude")),
            ticked,
        );
        assert_share(
            option(e1, "lower_fees"),
            count("e1", &has("lower_fees")),
            ticked,
        );
        assert_share(option(e1, "competence"), 0, ticked);
        let total: f64 = (e1["options"].as_array().unwrap().iter())
            .map(|o| o["share"].as_f64().unwrap())
            .sum();
        assert!(total > 100.0, "{total}");
        // o1: a share per level and the positive (satisfied) share, levels 4 and 5.
        let o1 = indicator(&t, "o1");
        assert_eq!(o1["kind"], "grid");
        let high = count("o1", &|x| x.as_i64() >= Some(4));
        assert_eq!(o1["positive"]["levels"], json!(["4", "5"]));
        assert_share(&o1["positive"], high, 15);
        assert_share(option(o1, "3"), count("o1", &|x| x == 3), 15);
    }
    // In English, the labels are the form's English ones.
    let en = app
        .get_json(
            &admin,
            "/api/v1/results?agency=T&form=sipas-2017&period=2025&subtree=true&lang=en",
        )
        .await;
    assert_eq!(
        option(indicator(&en, "p1"), "none")["label"],
        "I did not have to go"
    );
}

/// The dashboard's tab and the XLSX report show the API's indicators: the subtree's pooled
/// shares with their intervals, and a department's suppressed question without numbers.
#[tokio::test]
async fn the_dashboard_tab_and_the_xlsx_report_show_the_apis_indicators() {
    use crate::accounts::{Browser, PASSWORD, account, assert_officer_page};
    use calamine::{Data, Reader, Xlsx};
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = 3650).await;
    let (admin, tokens) = setup(&app, "sipas-2017", &[("S1", 9), ("S2", 6)]).await;
    let submissions = (tokens["S1"].iter().chain(&tokens["S2"]).enumerate())
        .map(|(i, t)| (t.clone(), answers_2017(i)))
        .collect();
    publish(&app, &admin, submissions).await;
    let query = "form=sipas-2017&period=2025&subtree=true";
    let api = app
        .get_json(&admin, &format!("/api/v1/results?agency=T&{query}"))
        .await;
    let once = option(indicator(&api, "p1"), "once");
    let (share, ci) = (once["share"].as_f64().unwrap(), &once["ci"]);
    let number = |v: &Value| sipas::export::charts::number(v.as_f64().unwrap(), 2, true);

    account(&app, Role::Admin, None, "admin@tinh.gov.vn").await;
    let mut b = Browser::of(&app);
    b.sign_in("admin@tinh.gov.vn", PASSWORD).await;
    let page = b
        .get(&format!("/dashboard/agencies/T/indicators?{query}"))
        .await;
    assert_officer_page(&page, 200);
    let html = &page.body;
    let block = &html[html.find("id=\"indicator-p1\"").unwrap()..];
    let block = &block[..block.find("</section>").unwrap()];
    assert!(block.contains("n = 15 người trả lời"), "{block}");
    // Pooled, not the mean of the agencies that the index's note speaks of.
    assert!(html.contains("cộng gộp phiếu của các cơ quan"));
    assert!(!html.contains("trung bình của các cơ quan"), "{html}");
    assert!(block.contains("<svg"), "a chart of the shares");
    let row = format!(
        "<tr><th scope=\"row\">1 lần</th><td class=\"num\">{}</td><td class=\"num\">{} – {}</td><td class=\"num\">{}</td>",
        number(&json!(share)),
        number(&ci["low"]),
        number(&ci["high"]),
        once["count"]
    );
    assert!(block.contains(&row), "{row} in {block}");
    assert!(
        html.contains("href=\"/dashboard/agencies/T/indicators?"),
        "the tab is listed"
    );
    // S1 alone: 9 respondents, suppressed: the badge, no chart, dashes.
    let s1 = b
        .get("/dashboard/agencies/S1/indicators?form=sipas-2017&period=2025&lang=en")
        .await;
    assert_officer_page(&s1, 200);
    let block = &s1.body[s1.body.find("id=\"indicator-p1\"").unwrap()..];
    let block = &block[..block.find("</section>").unwrap()];
    assert!(block.contains("n = 9 respondents"), "{block}");
    assert!(block.contains("badge suppressed"), "{block}");
    assert!(!block.contains("<svg"), "{block}");

    // The report's indicator sheet holds the same count and share (as a fraction).
    let (status, _, bytes) = b
        .download(&format!("/dashboard/agencies/T/report.xlsx?{query}"))
        .await;
    assert_eq!(status, 200);
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("Nhận định, nhu cầu").unwrap();
    let row = (0..sheet.height() as u32)
        .find(|&r| {
            sheet.get_value((r, 0)) == Some(&Data::String("p1".into()))
                && sheet.get_value((r, 2)) == Some(&Data::String("once".into()))
        })
        .unwrap();
    assert_eq!(
        sheet.get_value((row, 4)),
        Some(&Data::Float(once["count"].as_f64().unwrap()))
    );
    match sheet.get_value((row, 5)) {
        Some(Data::Float(x)) => assert!((x * 100.0 - share).abs() < 1e-12),
        other => panic!("{other:?}"),
    }
}

/// A subtree's pooled indicators do not give back a member's hidden ones by subtraction (the
/// index's rule): with S1 at 9 respondents (hidden in its own result) and S2 at 20 (published),
/// the subtree's 29 would be S1's 9 plus S2's published counts, so it is hidden too.
#[tokio::test]
async fn a_subtree_hides_what_would_give_back_a_members_hidden_shares() {
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = 3650).await;
    let (admin, tokens) = setup(&app, "sipas-2017", &[("S1", 9), ("S2", 20)]).await;
    let submissions = (tokens["S1"].iter().chain(&tokens["S2"]).enumerate())
        .map(|(i, t)| (t.clone(), answers_2017(i)))
        .collect();
    publish(&app, &admin, submissions).await;
    let s2 = app
        .get_json(
            &admin,
            "/api/v1/results?agency=S2&form=sipas-2017&period=2025",
        )
        .await;
    assert_eq!(indicator(&s2, "p1")["status"], "low_reliability");
    for aggregate in ["mean", "pooled"] {
        let path = format!(
            "/api/v1/results?agency=T&form=sipas-2017&period=2025&subtree=true&aggregate={aggregate}"
        );
        let t = app.get_json(&admin, &path).await;
        let p1 = indicator(&t, "p1");
        assert_eq!(p1["n"], 29);
        assert_eq!(p1["status"], "suppressed", "{p1}");
        assert_eq!(p1["suppression"], "complementary");
        assert!(
            p1["options"]
                .as_array()
                .unwrap()
                .iter()
                .all(|o| o["count"].is_null())
        );
    }
}
