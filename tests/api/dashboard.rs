//! The officer's dashboard pages (issue 7, item 2): each page's content against the API's
//! figures, the language switch, who may open what (an agency officer gets the 403 page for a
//! sibling, whether it exists or not), friendly 404 and 422 pages, the PAR scores CSV, and an
//! officer going through every page in headless Chromium with axe-core
//! (tests/browser/dashboard.mjs). Data is seeded through the public API.
//!
//! Page timings on a province-sized data set: `scripts/bench-dashboard` (no timing here).

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Value, json};
use sipas::domain::auth::Role;

use crate::accounts::{Browser, PASSWORD, account, assert_officer_page, serious};
use crate::helpers::{TestApp, browser, spawn_app_with, target_path};

/// TINH (province) > SO-A, SO-B (departments), HUYEN (district) > XA (commune), and SO-NHO, a
/// department with too few responses to publish. Returns the admin key.
async fn agencies(app: &TestApp) -> String {
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "TINH", "province", None).await;
    for (code, kind, parent) in [
        ("SO-A", "department", "TINH"),
        ("SO-B", "department", "TINH"),
        ("SO-NHO", "department", "TINH"),
        ("HUYEN", "district", "TINH"),
        ("XA", "commune", "HUYEN"),
    ] {
        app.create_agency(&admin, code, kind, Some(parent)).await;
    }
    admin
}

/// The satisfaction items of sipas-2017, from the served form.
async fn items(app: &TestApp) -> Vec<String> {
    let form: Value = app
        .get("/api/v1/forms/sipas-2017")
        .await
        .json()
        .await
        .unwrap();
    form["index"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|n| n["items"].as_array().unwrap().clone())
        .map(|i| i.as_str().unwrap().to_owned())
        .collect()
}

/// One agency's share of the seed: `n` dossiers a month in `months` (`YYYY-MM`), `answered`
/// of each month's answered, with levels around `level` (1–5).
pub(crate) struct Plan<'a> {
    pub agency: &'a str,
    pub months: &'a [String],
    pub n: usize,
    pub answered: usize,
    pub level: i64,
}

/// Registers the dossiers of `plans` (channels alternating in person / online) and answers
/// them through the citizen's endpoint (modes alternating web / kiosk). Returns the number of
/// stored responses.
pub(crate) async fn seed(app: &TestApp, key: &str, plans: &[Plan<'_>]) -> usize {
    let items = items(app).await;
    let mut dossiers = Vec::new();
    let mut answers = Vec::new();
    for plan in plans {
        for month in plan.months {
            for i in 0..plan.n {
                let code = format!("{}-{month}-{i}", plan.agency);
                dossiers.push(json!({
                    "dossier_code": code,
                    "agency_code": plan.agency,
                    "completed_at": format!("{month}-{:02}T09:00:00+07:00", 1 + i % 27),
                    "channel": if i % 2 == 0 { "in_person" } else { "online" },
                }));
                if i < plan.answered {
                    let a: serde_json::Map<String, Value> = items
                        .iter()
                        .enumerate()
                        .map(|(j, q)| {
                            // Levels spread around the plan's level, varying by item and dossier.
                            let l = (plan.level + ((i * 7 + j * 3) % 5) as i64 - 2).clamp(1, 5);
                            (q.clone(), json!(l))
                        })
                        .collect();
                    answers.push((dossiers.len() - 1, Value::Object(a), i % 3 == 0));
                }
            }
        }
    }
    let mut tokens = Vec::new();
    for chunk in dossiers.chunks(5_000) {
        let res = app
            .post_json(
                Some(key),
                "/api/v1/dossiers/batch",
                &json!({ "dossiers": chunk }),
            )
            .await;
        assert_eq!(res.status().as_u16(), 200);
        let out: Value = res.json().await.unwrap();
        for r in out["results"].as_array().unwrap() {
            assert_eq!(r["status"], 201, "{r}");
            tokens.push(r["survey_token"].as_str().unwrap().to_owned());
        }
    }
    let mut stored = 0;
    for chunk in answers.chunks(32) {
        let mut set = tokio::task::JoinSet::new();
        for (k, a, kiosk) in chunk.iter().cloned() {
            let client = app.client.clone();
            let url = app.url(&format!("/api/v1/surveys/{}/response", tokens[k]));
            set.spawn(async move {
                let mode = if kiosk { "kiosk" } else { "web" };
                client
                    .post(url)
                    .json(&json!({"answers": a, "mode": mode}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            });
        }
        for status in set.join_all().await {
            assert_eq!(status, 201);
            stored += 1;
        }
    }
    stored
}

fn months(year: u32, range: std::ops::RangeInclusive<u32>) -> Vec<String> {
    range.map(|m| format!("{year}-{m:02}")).collect()
}

/// The agencies and a year of responses (2025) plus a quarter of 2024: SO-A satisfied, SO-B
/// less so, HUYEN and XA in between, SO-NHO with 6 responses (suppressed).
async fn seeded() -> (TestApp, String) {
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = 3650).await;
    let admin = agencies(&app).await;
    let y2025 = months(2025, 1..=12);
    let q4_2024 = months(2024, 10..=12);
    let plans = [
        Plan {
            agency: "SO-A",
            months: &y2025,
            n: 8,
            answered: 6,
            level: 5,
        },
        Plan {
            agency: "SO-B",
            months: &y2025,
            n: 8,
            answered: 6,
            level: 3,
        },
        Plan {
            agency: "HUYEN",
            months: &y2025,
            n: 8,
            answered: 6,
            level: 4,
        },
        Plan {
            agency: "XA",
            months: &y2025,
            n: 4,
            answered: 3,
            level: 4,
        },
        Plan {
            agency: "SO-NHO",
            months: &y2025[..6],
            n: 2,
            answered: 1,
            level: 4,
        },
        Plan {
            agency: "SO-A",
            months: &q4_2024,
            n: 6,
            answered: 4,
            level: 3,
        },
    ];
    let stored = seed(&app, &admin, &plans).await;
    assert_eq!(stored, 72 + 72 + 72 + 36 + 6 + 12);
    // Published once their months are closed (the links, valid for ten years, are still open).
    let closed = app.close_month(&admin, "2025-12").await;
    assert_eq!(closed["published_through"], "2025-12", "{closed}");
    assert_eq!(closed["published"], stored, "{closed}");
    for (email, role, agency) in [
        ("admin@tinh.gov.vn", Role::Admin, None),
        ("can.bo@huyen.gov.vn", Role::Agency, Some("HUYEN")),
        ("par@tinh.gov.vn", Role::Pipeline, None),
    ] {
        account(&app, role, agency, email).await;
    }
    (app, admin)
}

async fn signed_in(app: &TestApp, email: &str) -> Browser {
    let mut b = Browser::of(app);
    b.sign_in(email, PASSWORD).await;
    b
}

/// A number as the Vietnamese pages write it (2 decimals, half-up, decimal comma).
fn vi(v: f64) -> String {
    sipas::export::charts::number(v, 2, true)
}

fn en(v: f64) -> String {
    sipas::export::charts::number(v, 2, false)
}

/// The text between `start` and the next `end` after it.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let i = html
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {html}"))
        + start.len();
    &html[i..i + html[i..].find(end).unwrap()]
}

#[tokio::test]
async fn the_overview_shows_the_api_figures_with_a_chart_and_its_table_in_both_languages() {
    let (app, key) = seeded().await;
    let mut b = signed_in(&app, "admin@tinh.gov.vn").await;

    // The province: by default with the agencies below it (the mean), as the API says.
    let api = app
        .get_json(
            &key,
            "/api/v1/results?agency=TINH&form=sipas-2017&period=2025&subtree=true",
        )
        .await;
    let page = b
        .get("/dashboard/agencies/TINH?form=sipas-2017&period=2025")
        .await;
    assert_officer_page(&page, 200);
    assert_eq!(page.headers["content-language"], "vi");
    let html = &page.body;
    assert!(html.contains("<h1>Cơ quan TINH <span class=\"code\">(TINH)</span></h1>"));
    let value = api["index"]["value"].as_f64().unwrap();
    let figure = between(
        html,
        "<div class=\"headline\" id=\"sipas-figure\">",
        "</div>",
    );
    assert!(
        figure.contains(&format!("<span class=\"value\">{}</span>", vi(value))),
        "{figure}"
    );
    let ci = &api["index"]["ci"];
    assert!(figure.contains(&format!(
        "khoảng tin cậy 95%: {} – {}",
        vi(ci["low"].as_f64().unwrap()),
        vi(ci["high"].as_f64().unwrap())
    )));
    assert!(
        figure.contains(&format!("n = {}", api["index"]["n"])),
        "{figure}"
    );
    // The factor chart, titled, then its table with every factor.
    let chart = between(html, "<svg class=\"chart\"", "</svg>");
    assert!(chart.contains("role=\"img\""));
    assert!(chart.contains("<title id=\"factors-title\">Chỉ số thành phần — Cơ quan TINH</title>"));
    let table = between(
        html,
        "<table class=\"data\" id=\"factors-table\">",
        "</table>",
    );
    for node in api["index"]["children"].as_array().unwrap() {
        let label = node["label"].as_str().unwrap();
        assert!(chart.contains(label), "{label} in the chart");
        let row = between(table, &format!("<th scope=\"row\">{label}</th>"), "</tr>");
        assert!(
            row.contains(&vi(node["value"].as_f64().unwrap())),
            "{label}: {row}"
        );
        assert!(row.contains(&format!(">{}<", node["n"])), "{row}");
    }
    // Responses, rate, invalid returns, PAR points, Decision 766.
    let figures = between(html, "<dl class=\"figures\">", "</dl>");
    assert!(
        figures.contains(&format!("<dd>{}</dd>", api["invited"])),
        "{figures}"
    );
    assert!(figures.contains(&format!(
        "<dd>{} %</dd>",
        vi(api["response_rate"].as_f64().unwrap())
    )));
    assert!(
        figures.contains("Phiếu không hợp lệ</dt><dd>0</dd>"),
        "{figures}"
    );
    assert!(figures.contains(&vi(api["par"]["points"].as_f64().unwrap())));
    assert!(figures.contains("Quyết định 766"));
    assert!(figures.contains(&format!("trên {} hồ sơ", api["d766"]["D"])));
    // Links to the agencies below, keeping the form and period.
    let children = between(html, "<ul class=\"links\" id=\"children-list\">", "</ul>");
    for code in ["HUYEN", "SO-A", "SO-B", "SO-NHO"] {
        assert!(
            children.contains(&format!(
                "href=\"/dashboard/agencies/{code}?form=sipas-2017&#38;period=2025\""
            )),
            "{children}"
        );
    }
    // The tabs keep the selection; the other language keeps the query.
    assert!(
        html.contains("href=\"/dashboard/agencies/TINH/items?form=sipas-2017&#38;period=2025\"")
    );
    assert!(
        html.contains(
            "href=\"/dashboard/agencies/TINH?form=sipas-2017&#38;period=2025&#38;lang=en\""
        )
    );
    assert!(html.contains("<option value=\"2025\" selected>Năm 2025</option>"));

    // English: the same figure with a decimal point, English words, `lang` kept in links.
    let page = b
        .get("/dashboard/agencies/TINH?form=sipas-2017&period=2025&lang=en")
        .await;
    assert_officer_page(&page, 200);
    assert_eq!(page.headers["content-language"], "en");
    let html = &page.body;
    assert!(html.contains(&format!("<span class=\"value\">{}</span>", en(value))));
    assert!(html.contains("95% confidence interval"));
    assert!(html.contains("Factor indices"));
    assert!(html.contains(
        "href=\"/dashboard/agencies/TINH/trend?form=sipas-2017&#38;period=2025&#38;lang=en\""
    ));
    assert!(html.contains("<input type=\"hidden\" name=\"lang\" value=\"en\">"));

    // Its own dossiers only (none: the province registers none itself): no data.
    let own = b
        .get("/dashboard/agencies/TINH?form=sipas-2017&period=2025&subtree=false")
        .await;
    assert_officer_page(&own, 200);
    assert!(own.body.contains("<span class=\"value\">—</span>"));
    assert!(own.body.contains("Chưa có dữ liệu"));

    // A suppressed agency: badges, no value.
    let small = b
        .get("/dashboard/agencies/SO-NHO?form=sipas-2017&period=2025")
        .await;
    assert_officer_page(&small, 200);
    assert!(
        small
            .body
            .contains("<span class=\"badge suppressed\">Không công bố</span>")
    );
    assert!(small.body.contains("<span class=\"value\">—</span>"));
    assert!(small.body.contains("n = 6"));
    assert!(
        small
            .body
            .contains("Cơ quan này không có cơ quan trực thuộc.")
    );
}

#[tokio::test]
async fn items_trend_compare_breakdowns_and_downloads_show_the_api_figures() {
    let (app, key) = seeded().await;
    let mut b = signed_in(&app, "admin@tinh.gov.vn").await;
    let q = "form=sipas-2017&period=2025";

    // Items: every criterion with share, n and the five level counts.
    let api = app
        .get_json(&key, &format!("/api/v1/results?agency=SO-A&{q}"))
        .await;
    let page = b.get(&format!("/dashboard/agencies/SO-A/items?{q}")).await;
    assert_officer_page(&page, 200);
    let items = api["items"].as_array().unwrap();
    assert_eq!(items.len(), 22);
    for (i, item) in items.iter().enumerate() {
        let id = item["question_id"].as_str().unwrap();
        let row = between(&page.body, &format!("<tr id=\"item-{id}\">"), "</tr>");
        assert!(row.contains(item["label"].as_str().unwrap()), "{row}");
        assert!(row.contains(&vi(item["share"].as_f64().unwrap())), "{row}");
        assert!(
            row.contains(&format!("<title id=\"dist-{i}-title\">")),
            "{row}"
        );
        let counts = &item["counts"];
        let desc = (1..=5)
            .map(|l| format!("Mức {l}: {}", counts[l.to_string()]))
            .collect::<Vec<_>>()
            .join("; ");
        assert!(row.contains(&desc), "{desc} in {row}");
    }
    assert_eq!(page.body.matches("<svg class=\"chart\"").count(), 22);

    // Trend: the API's steps, one row each, with the interval.
    let api = app
        .get_json(
            &key,
            "/api/v1/results/trend?agency=SO-A&form=sipas-2017&from=2024-10&to=2025-12&step=quarter",
        )
        .await;
    let page = b
        .get("/dashboard/agencies/SO-A/trend?form=sipas-2017&period=2024-10%2F2025-12&step=quarter")
        .await;
    assert_officer_page(&page, 200);
    let table = between(
        &page.body,
        "<table class=\"data\" id=\"trend-table\">",
        "</table>",
    );
    let steps = api["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 5);
    assert_eq!(table.matches("<tr><th scope=\"row\">").count(), 5);
    for step in steps {
        let v = step["index"]["value"].as_f64().unwrap();
        assert!(table.contains(&vi(v)), "{v} in {table}");
    }
    assert!(table.contains("Quý IV/2024") && table.contains("Quý III/2025"));
    assert_eq!(page.body.matches("<polygon").count(), 6, "a band per panel");
    assert!(
        page.body
            .contains("<option value=\"quarter\" selected>Quý</option>")
    );
    // By month: a point per month.
    let monthly = b
        .get("/dashboard/agencies/SO-A/trend?form=sipas-2017&period=2025&step=month&lang=en")
        .await;
    assert_officer_page(&monthly, 200);
    assert!(
        monthly
            .body
            .contains("<th scope=\"row\">December 2025</th>")
    );

    // Compare: the API's ranking, then the agencies apart.
    let api = app
        .get_json(&key, &format!("/api/v1/rankings?parent=TINH&{q}"))
        .await;
    let page = b
        .get(&format!("/dashboard/agencies/TINH/compare?{q}"))
        .await;
    assert_officer_page(&page, 200);
    let ranked = between(
        &page.body,
        "<table class=\"data\" id=\"ranked-table\">",
        "</table>",
    );
    let order: Vec<&str> = api["ranked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["agency_code"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["SO-A", "HUYEN", "SO-B"]);
    let positions: Vec<usize> = order
        .iter()
        .map(|c| ranked.find(&format!("{c} — Cơ quan {c}")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{ranked}");
    for r in api["ranked"].as_array().unwrap() {
        assert!(ranked.contains(&format!(
            "<td class=\"num\">{}–{}</td>",
            r["rank_low"], r["rank_high"]
        )));
    }
    let chart = between(&page.body, "<svg class=\"chart\"", "</svg>");
    assert!(chart.contains("<title id=\"ranking-title\">"));
    let apart = between(
        &page.body,
        "<table class=\"data\" id=\"apart-table\">",
        "</table>",
    );
    assert!(
        apart.contains("SO-NHO") && apart.contains("Không công bố"),
        "{apart}"
    );

    // Breakdowns: by channel (the buckets) and by mode (scanned), as the API.
    for by in ["channel", "mode", "procedure_field"] {
        let api = app
            .get_json(&key, &format!("/api/v1/results?agency=SO-A&{q}&by={by}"))
            .await;
        let page = b
            .get(&format!("/dashboard/agencies/SO-A/breakdowns?{q}&by={by}"))
            .await;
        assert_officer_page(&page, 200);
        for cell in api["breakdown"]["cells"].as_array().unwrap() {
            if let Some(v) = cell["index"]["value"].as_f64() {
                assert!(page.body.contains(&vi(v)), "{by}: {v}");
            }
        }
        if by == "mode" {
            assert!(page.body.contains("<th scope=\"row\">Máy kiosk</th>"));
            assert!(
                page.body
                    .contains("<th scope=\"row\">Trên web (đường dẫn khảo sát)</th>")
            );
        }
        if by == "channel" {
            assert!(page.body.contains("<th scope=\"row\">Trực tuyến</th>"));
        }
    }

    // Downloads: the report, the raw exports and the PAR scores, with the selection.
    let page = b
        .get(&format!("/dashboard/agencies/SO-A/downloads?{q}&lang=en"))
        .await;
    assert_officer_page(&page, 200);
    for href in [
        "/dashboard/agencies/SO-A/report.xlsx?form=sipas-2017&#38;period=2025&#38;lang=en",
        "/dashboard/agencies/SO-A/export.csv?form=sipas-2017&#38;period=2025&#38;lang=en",
        "/dashboard/agencies/SO-A/export.xlsx?form=sipas-2017&#38;period=2025&#38;lang=en",
        "/dashboard/agencies/SO-A/export.json?form=sipas-2017&#38;period=2025&#38;lang=en",
        "/dashboard/par-scores.csv?form=sipas-2017&#38;period=2025&#38;lang=en",
    ] {
        assert!(
            page.body.contains(&format!("href=\"{href}\"")),
            "{href} in {}",
            between(&page.body, "<ul class=\"links\">", "</ul>")
        );
    }
}

#[tokio::test]
async fn an_agency_officer_sees_their_subtree_and_gets_the_403_page_elsewhere() {
    let (app, _) = seeded().await;
    let mut b = signed_in(&app, "can.bo@huyen.gov.vn").await;

    // /dashboard is their agency's overview; the commune below is theirs too.
    let home = b.get("/dashboard").await;
    assert_officer_page(&home, 200);
    assert!(
        home.body
            .contains("<h1>Cơ quan HUYEN <span class=\"code\">(HUYEN)</span></h1>")
    );
    assert!(home.body.contains("Cả các cơ quan trực thuộc (trung bình)"));
    // The province above is not theirs: no link to it.
    assert!(!home.body.contains("href=\"/dashboard/agencies/TINH"));
    let xa = b.get("/dashboard/agencies/XA?period=2025").await;
    assert_officer_page(&xa, 200);
    assert!(
        xa.body
            .contains("<a href=\"/dashboard/agencies/HUYEN\">HUYEN — Cơ quan HUYEN</a>")
    );

    // A sibling, the parent, and a code that does not exist: the same 403 page, every page.
    for path in [
        "/dashboard/agencies/SO-A",
        "/dashboard/agencies/TINH/compare",
        "/dashboard/agencies/SO-B/items?lang=en",
        "/dashboard/agencies/KHONG-CO/trend",
        "/dashboard/agencies/SO-A/breakdowns?by=mode",
        "/dashboard/agencies/SO-A/downloads",
    ] {
        let page = b.get(path).await;
        assert_officer_page(&page, 403);
        let (heading, back) = if path.contains("lang=en") {
            ("<h1>Access denied</h1>", "Back to the dashboard")
        } else {
            ("<h1>Không có quyền truy cập</h1>", "Về trang làm việc")
        };
        assert!(page.body.contains(heading), "{path}: {}", page.body);
        assert!(page.body.contains(back));
        assert!(
            !page.body.contains("Cơ quan SO-A"),
            "nothing about the agency"
        );
    }

    // Their PAR scores: their subtree only, Vietnamese column names.
    let csv = b
        .get("/dashboard/par-scores.csv?form=sipas-2017&period=2025")
        .await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(csv.headers["cache-control"], "no-store");
    let mut lines = csv.body.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("ma_co_quan,loai_co_quan,ma_bieu_mau,")
    );
    let codes: Vec<&str> = lines.map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(codes, ["HUYEN", "XA"]);
}

#[tokio::test]
async fn unknown_agencies_bad_periods_and_forms_get_friendly_pages() {
    let (app, _) = seeded().await;
    let mut b = signed_in(&app, "admin@tinh.gov.vn").await;
    let cases = [
        ("/dashboard/agencies/KHONG-CO", 404, "Không tìm thấy trang"),
        (
            "/dashboard/agencies/KHONG-CO/items?lang=en",
            404,
            "Page not found",
        ),
        (
            "/dashboard/agencies/c%C3%B3%20d%E1%BA%A5u",
            404,
            "Không tìm thấy trang",
        ),
        (
            "/dashboard/agencies/SO-A?period=2025-13",
            422,
            "Kỳ báo cáo không hợp lệ",
        ),
        (
            "/dashboard/agencies/SO-A/trend?period=soon&lang=en",
            422,
            "Invalid period",
        ),
        (
            "/dashboard/agencies/SO-A/compare?period=1999",
            422,
            "Kỳ báo cáo không hợp lệ",
        ),
        (
            "/dashboard/agencies/SO-A?form=khong-co",
            422,
            "Không có biểu mẫu này",
        ),
        (
            "/dashboard/agencies/SO-A/items?form=%3Cb%3E&lang=en",
            422,
            "No such form",
        ),
        (
            "/dashboard/par-scores.csv?period=2025-Q5",
            422,
            "Kỳ báo cáo không hợp lệ",
        ),
    ];
    for (path, status, heading) in cases {
        let page = b.get(path).await;
        assert_officer_page(&page, status);
        assert!(
            page.body.contains(&format!("<h1>{heading}</h1>")),
            "{path}: {}",
            page.body
        );
        assert!(!page.body.contains("<b>"), "{path}: escaped");
    }
    // Signed out: to the sign-in page, coming back afterwards.
    let mut anonymous = Browser::of(&app);
    let page = anonymous
        .get("/dashboard/agencies/SO-A/items?lang=en")
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location(),
        "/sign-in?next=%2Fdashboard%2Fagencies%2FSO-A%2Fitems%3Flang%3Den&lang=en"
    );
    assert_eq!(anonymous.get("/dashboard/par-scores.csv").await.status, 303);
}

#[tokio::test]
async fn the_default_period_is_the_current_year_and_the_default_form_the_agencys() {
    let (app, _) = seeded().await;
    let mut b = signed_in(&app, "admin@tinh.gov.vn").await;
    let year = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap())
        .format("%Y")
        .to_string();
    let page = b.get("/dashboard/agencies/SO-A").await;
    assert_officer_page(&page, 200);
    assert!(page.body.contains(&format!(
        "<option value=\"{year}\" selected>Năm {year}</option>"
    )));
    assert!(page.body.contains(&format!(
        "Biểu mẫu sipas-2017 (phiên bản 1), kỳ Năm {year}."
    )));
    assert!(page.body.contains("<option value=\"sipas-2017\" selected>"));
    // It says in words what is published (every month through 2025-12, closed by the seed)
    // and that the months of this year not yet closed are counted only.
    assert!(
        page.body.contains("Số liệu công bố đến hết tháng"),
        "{}",
        page.body
    );
    assert!(page.body.contains("2025-12"));
    assert!(page.body.contains("Phiếu chờ công bố"));
    assert!(
        page.body
            .contains("chỉ đếm, chưa tính vào chỉ số cho đến khi tháng khóa sổ")
    );
    let en = b.get("/dashboard/agencies/SO-A?lang=en").await;
    assert!(en.body.contains("Figures published through"), "{}", en.body);
    assert!(
        en.body
            .contains("counted only, in no figure until their month closes")
    );
    let trend = b.get("/dashboard/agencies/SO-A/trend").await;
    assert_officer_page(&trend, 200);
    assert!(trend.body.contains("24 tháng gần nhất"));
    let last = year.parse::<i32>().unwrap() - 1;
    assert!(trend.body.contains(&format!("value=\"{last}-01/{year}-")));
}

#[tokio::test]
async fn the_par_scores_csv_is_the_apis_for_admins_and_the_pipeline() {
    let (app, key) = seeded().await;
    let api = app
        .client
        .get(app.url("/api/v1/par/scores?form=sipas-2017&period=2025&format=csv"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for email in ["admin@tinh.gov.vn", "par@tinh.gov.vn"] {
        let mut b = signed_in(&app, email).await;
        let en = b
            .get("/dashboard/par-scores.csv?form=sipas-2017&period=2025&lang=en")
            .await;
        assert_eq!(en.status, 200);
        assert_eq!(en.body, api, "{email}");
        assert!(
            en.headers["content-disposition"]
                .to_str()
                .unwrap()
                .contains("sipas-par-2025.csv")
        );
        let vi = b
            .get("/dashboard/par-scores.csv?form=sipas-2017&period=2025")
            .await;
        let (head, rest) = vi.body.split_once('\n').unwrap();
        assert_eq!(rest, api.split_once('\n').unwrap().1, "same rows");
        assert_eq!(head.split(',').count(), 22);
        assert!(head.contains("chi_so_sipas"));
    }
    // The landing page of administrators lists the top-level agencies and links the CSV.
    let mut b = signed_in(&app, "admin@tinh.gov.vn").await;
    let home = b.get("/dashboard?lang=en").await;
    assert_officer_page(&home, 200);
    assert!(
        home.body
            .contains("<a href=\"/dashboard/agencies/TINH?lang=en\">TINH — Cơ quan TINH</a>")
    );
    assert!(home.body.contains("id=\"par-scores\""));
}

#[tokio::test]
async fn the_xlsx_report_holds_the_overviews_figures_and_respects_the_subtree() {
    use calamine::{Data, Reader, Xlsx};
    let (app, key) = seeded().await;
    let api: serde_json::Value = app
        .client
        .get(app.url("/api/v1/results?agency=SO-A&form=sipas-2017&period=2025"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sipas = api["index"]["value"].as_f64().unwrap();
    let b = signed_in(&app, "admin@tinh.gov.vn").await;
    for (lang, sheets) in [
        (
            "",
            ["Tổng hợp", "Tiêu chí", "Xu hướng", "Nhận định, nhu cầu"],
        ),
        (
            "&lang=en",
            ["Summary", "Items", "Trend", "Perceptions, needs"],
        ),
    ] {
        let (status, headers, bytes) = b
            .download(&format!(
                "/dashboard/agencies/SO-A/report.xlsx?form=sipas-2017&period=2025{lang}"
            ))
            .await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
        assert_eq!(headers["content-type"], sipas::export::report::CONTENT_TYPE);
        let disposition = headers["content-disposition"].to_str().unwrap();
        assert!(disposition.starts_with("attachment;"), "{disposition}");
        assert!(disposition.contains(".xlsx"), "{disposition}");
        assert_eq!(headers["cache-control"], "no-store");
        let mut book: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), sheets);
        // The overview's SIPAS index (percent in the API) is in the summary sheet as a fraction.
        let summary = book.worksheet_range(sheets[0]).unwrap();
        let found = summary.cells().any(|(_, _, c)| match c {
            Data::Float(x) => (x * 100.0 - sipas).abs() < 1e-9,
            _ => false,
        });
        assert!(found, "SIPAS {sipas} not in the summary sheet");
    }
    // The raw answers: the same rows as the API's export, with a byte-order mark for Excel.
    let api_csv = app
        .client
        .get(app.url(
            "/api/v1/responses/export?agency=SO-A&form=sipas-2017&from=2025-01&to=2025-12&subtree=false&format=csv",
        ))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let (status, headers, csv) = b
        .download("/dashboard/agencies/SO-A/export.csv?form=sipas-2017&period=2025")
        .await;
    assert_eq!(status, 200);
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(&csv[..3], b"\xEF\xBB\xBF");
    assert_eq!(&csv[3..], &api_csv[..], "the API's rows");
    // k-anonymous: the rows written and those withheld (months below `suppress_below`) are
    // the 72 stored, and the download says how many it withheld.
    let withheld: usize = headers["x-sipas-withheld-rows"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&csv).lines().count() - 1 + withheld,
        72
    );
    let (status, _, _) = b
        .download("/dashboard/agencies/SO-A/export.txt?form=sipas-2017&period=2025")
        .await;
    assert_eq!(status, 422);
    // An agency officer cannot download a sibling's report or answers.
    let b = signed_in(&app, "can.bo@huyen.gov.vn").await;
    let (status, _, _) = b
        .download("/dashboard/agencies/SO-A/export.json?form=sipas-2017&period=2025")
        .await;
    assert_eq!(status, 403);
    let (status, headers, _) = b
        .download("/dashboard/agencies/SO-A/report.xlsx?form=sipas-2017&period=2025")
        .await;
    assert_eq!(status, 403);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let (status, _, _) = b
        .download("/dashboard/agencies/HUYEN/report.xlsx?form=sipas-2017&period=2025")
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_officer_goes_through_every_page_in_chromium_and_axe_finds_no_serious_violation() {
    let (app, _) = seeded().await;
    // Long addresses, shown in the header of every page and on the landing page: a phone
    // (360 px) must not scroll sideways for them.
    let admin = "nguyen.thi.phuong.thao.phong.ke.hoach.tai.chinh@so-ke-hoach-va-dau-tu.tinh.gov.vn";
    let officer = "tran.van.minh.quan.ly.thu.tuc.hanh.chinh@uy-ban-nhan-dan-huyen.tinh.gov.vn";
    account(&app, Role::Admin, None, admin).await;
    account(&app, Role::Agency, Some("HUYEN"), officer).await;
    let shots = target_path("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let args = json!({
        "base": app.address,
        "admin": {"email": admin, "password": PASSWORD},
        "officer": {"email": officer, "password": PASSWORD},
        "agency": "TINH",
        "sibling": "SO-A",
        "period": "2025",
        "other_period": "2025-H1",
        "shots": shots,
        "width": 360,
    });
    let report = browser("dashboard.mjs", args).await;
    std::fs::write(
        target_path("screenshots/dashboard-report.json"),
        serde_json::to_vec_pretty(&report).unwrap(),
    )
    .unwrap();
    let pages = report["pages"].as_object().unwrap();
    let expected: HashMap<&str, (&str, &str)> = HashMap::from([
        ("landing", ("vi", "")),
        ("overview-vi", ("vi", "Chỉ số hài lòng (SIPAS)")),
        ("overview-h1", ("vi", "Chỉ số hài lòng (SIPAS)")),
        ("overview-en", ("en", "Satisfaction index (SIPAS)")),
        ("items", ("en", "Criteria")),
        ("indicators", ("en", "Perceptions and needs")),
        ("trend", ("en", "Trend over time")),
        ("compare", ("en", "Comparison of the agencies below")),
        ("breakdowns", ("en", "Breakdowns — Response mode")),
        ("downloads", ("en", "Downloads")),
        ("officer-home", ("vi", "Chỉ số hài lòng (SIPAS)")),
        ("sibling", ("vi", "")),
    ]);
    for (name, (lang, h2)) in &expected {
        let p = &pages[*name];
        assert_eq!(p["lang"], *lang, "{name}: {p}");
        assert_eq!(p["scripts"], 0, "{name}");
        // `document.documentElement.scrollWidth <= 360`: no sideways scrolling on a phone.
        let scroll_width = p["scroll_width"].as_u64().unwrap();
        assert!(
            scroll_width <= 360,
            "{name}: horizontal scrolling at 360 px ({scroll_width} px wide)"
        );
        assert!(serious(p).is_empty(), "{name}: {p}");
        if !h2.is_empty() {
            assert!(
                p["h2"].as_array().unwrap().iter().any(|h| h == h2),
                "{name}: {h2} in {p}"
            );
        }
        assert!(Path::new(p["screenshot"].as_str().unwrap()).is_file());
    }
    assert_eq!(pages["overview-vi"]["status"], 200);
    assert_eq!(
        pages["overview-h1"]["period"], "2025-H1",
        "the period switched"
    );
    assert_eq!(
        pages["overview-en"]["period"], "2025-H1",
        "kept across the language"
    );
    assert_eq!(pages["items"]["path"], "/dashboard/agencies/TINH/items");
    assert!(pages["overview-vi"]["charts"].as_u64().unwrap() >= 1);
    assert!(pages["trend"]["charts"].as_u64().unwrap() >= 1);
    assert!(pages["compare"]["charts"].as_u64().unwrap() >= 1);
    assert_eq!(pages["sibling"]["status"], 403);
    assert_eq!(pages["sibling"]["heading"], "Không có quyền truy cập");
    assert_eq!(pages["officer-home"]["path"], "/dashboard");
    assert_eq!(pages["landing"]["path"], "/dashboard");
    assert_eq!(pages["landing"]["heading"], "Trang làm việc");
}
