//! Sample planning through the API on both backends (methodology §5): the target from the
//! registered dossiers, what came back, the shortfall and the margin achieved; and the
//! follow-up list of an open month, for the agency itself only.

use std::collections::HashSet;

use serde_json::{Value, json};
use sipas::domain::auth::Role;
use sipas::error::ProblemCode;

use crate::helpers::{TestApp, assert_problem, spawn_app_with};
use crate::results::{LAST_MONTH, register_many, submit_all};

/// Registers `n` online dossiers of `agency` (completed in `month` when given, else over
/// 2025-H1) and answers the first `answered`; returns the dossier codes in order.
async fn dossiers(
    app: &TestApp,
    admin: &str,
    (agency, month): (&str, Option<&str>),
    n: usize,
    answered: usize,
) -> Vec<String> {
    let cells = [(agency.to_owned(), "online".to_owned(), n)];
    let extra = |_: &str, _: &str, i: usize| match month {
        Some(m) => json!({"completed_at": format!("{m}-{:02}T10:00:00+07:00", 1 + i % 28)}),
        None => json!({}),
    };
    let tokens = register_many(app, admin, &cells, extra).await;
    let submissions = tokens[&(agency.to_owned(), "online".to_owned())]
        .iter()
        .take(answered)
        .map(|t| {
            let answers: serde_json::Map<String, Value> =
                (1..=22).map(|j| (format!("s{j}"), json!(4))).collect();
            (t.clone(), Value::Object(answers))
        })
        .collect();
    for status in submit_all(app, submissions).await {
        assert_eq!(status, 201);
    }
    (0..n).map(|i| format!("{agency}-online-{i}")).collect()
}

async fn app_with_agencies() -> (TestApp, String) {
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = 3650).await;
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "T", "province", None).await;
    for code in ["S", "S2"] {
        app.create_agency(&admin, code, "department", Some("T"))
            .await;
    }
    (app, admin)
}

#[tokio::test]
async fn the_plan_gives_target_received_margin_and_shortfall() {
    let (app, admin) = app_with_agencies().await;
    dossiers(&app, &admin, ("S", None), 120, 40).await;
    let url = "/api/v1/sampling?agency=S&period=2025-H1";
    // Open months count live.
    let open = app.get_json(&admin, url).await;
    assert_eq!(
        (open["registered"].as_u64(), open["received"].as_u64()),
        (Some(120), Some(40))
    );
    app.close_month(&admin, LAST_MONTH).await;
    let p = app.get_json(&admin, url).await;
    assert_eq!(p["form_key"], "sipas-2017");
    assert_eq!(p["period"], "2025-H1");
    assert_eq!(p["registered"], 120);
    assert_eq!(p["received"], 40);
    // Yamane: ceil(120 / (1 + 120 · 0.05²)) = ceil(92.3) = 93.
    assert_eq!(p["target"]["yamane"], 93);
    assert_eq!(p["shortfall"]["yamane"], 53);
    let cochran = p["target"]["cochran"].as_u64().unwrap();
    let n0 = 1.959963984540054_f64.powi(2) * 0.25 / 0.0025;
    assert_eq!(cochran, (n0 * 120.0 / (119.0 + n0)).ceil() as u64);
    assert_eq!(p["enough"], false);
    let z = 1.959963984540054;
    let margin = 100.0 * z * (0.25_f64 / 40.0).sqrt() * (80.0_f64 / 119.0).sqrt();
    assert!(
        (p["achieved_margin"].as_f64().unwrap() - margin).abs() < 1e-9,
        "{p}"
    );
    assert_eq!(p["published_through"], LAST_MONTH);
    // An agency key of another agency reads nothing; the parent reads its child's plan.
    let s2 = app.create_key(Role::Agency, Some("S2")).await;
    assert_problem(app.get_as(&s2, url).await, ProblemCode::Forbidden).await;
    let t = app.create_key(Role::Agency, Some("T")).await;
    assert_eq!(app.get_json(&t, url).await["registered"], 120);
}

#[tokio::test]
async fn the_follow_up_list_draws_unanswered_dossiers_for_the_agency_only() {
    let (app, admin) = app_with_agencies().await;
    // 400 dossiers completed in March 2025, 150 answered: the target is 200, 50 are missing,
    // and at 150 of 400 answering, ceil(50 · 400 / 150) = 134 should be asked.
    let codes = dossiers(&app, &admin, ("S", Some("2025-03")), 400, 150).await;
    let answered: HashSet<&String> = codes.iter().take(150).collect();
    let url = "/api/v1/sampling/follow-up?agency=S&month=2025-03";
    let s = app.create_key(Role::Agency, Some("S")).await;
    let draw = |key: String| {
        let app = &app;
        async move {
            let res = app.get_as(&key, url).await;
            assert_eq!(res.status().as_u16(), 200);
            assert_eq!(res.headers()["cache-control"], "no-store");
            let text = res.text().await.unwrap();
            let mut lines = text.lines();
            assert_eq!(
                lines.next(),
                Some("dossier_code,completed_on,channel,procedure_code,link_valid_until")
            );
            lines
                .map(|l| l.split(',').next().unwrap().to_owned())
                .collect::<Vec<String>>()
        }
    };
    let first = draw(s.clone()).await;
    assert_eq!(first.len(), 134);
    let distinct: HashSet<&String> = first.iter().collect();
    assert_eq!(distinct.len(), 134);
    for code in &first {
        assert!(codes.contains(code) && !answered.contains(code), "{code}");
    }
    // A new random draw each time, from the same pool; an administrator may draw too.
    let second = draw(admin.clone()).await;
    assert_eq!(second.len(), 134);
    assert_ne!(first, second);

    // Not the parent, not another agency, not the pipeline.
    let t = app.create_key(Role::Agency, Some("T")).await;
    let s2 = app.create_key(Role::Agency, Some("S2")).await;
    let pipeline = app.create_key(Role::Pipeline, None).await;
    for key in [&t, &s2, &pipeline] {
        assert_problem(app.get_as(key, url).await, ProblemCode::Forbidden).await;
    }
    // A closed month has no follow-up list.
    app.close_month(&admin, "2025-03").await;
    let body = assert_problem(app.get_as(&s, url).await, ProblemCode::ValidationFailed).await;
    assert_eq!(body["errors"][0]["field"], "month");
    assert_eq!(body["errors"][0]["code"], "month_closed");
}

#[tokio::test]
async fn the_overview_says_whether_the_sample_is_enough_and_links_the_follow_up_list() {
    use crate::accounts::{Browser, PASSWORD, account};
    let (app, admin) = app_with_agencies().await;
    dossiers(&app, &admin, ("S", Some("2025-03")), 400, 150).await;
    dossiers(&app, &admin, ("S2", Some("2025-03")), 40, 40).await;
    account(&app, Role::Agency, Some("S"), "so@tinh.gov.vn").await;
    account(&app, Role::Agency, Some("T"), "tinh@tinh.gov.vn").await;
    let mut own = Browser::of(&app);
    own.sign_in("so@tinh.gov.vn", PASSWORD).await;
    let page = own
        .get("/dashboard/agencies/S?form=sipas-2017&period=2025-03")
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("Chưa đủ mẫu: 150 phiếu, mục tiêu 200, còn thiếu 50"),
        "{}",
        page.body
    );
    // The list is of the version the page shows.
    let link =
        "/dashboard/agencies/S/follow-up.csv?form=sipas-2017&#38;version=1&#38;month=2025-03";
    assert!(page.body.contains(link), "{}", page.body);
    let csv = own
        .get("/dashboard/agencies/S/follow-up.csv?form=sipas-2017&month=2025-03")
        .await;
    assert_eq!(csv.status, 200);
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next(),
        Some("ma_ho_so,ngay_hoan_thanh,kenh,ma_thu_tuc,lien_ket_hieu_luc_den")
    );
    assert_eq!(lines.count(), 134);
    // S2: every dossier answered.
    let mut parent = Browser::of(&app);
    parent.sign_in("tinh@tinh.gov.vn", PASSWORD).await;
    let page = parent
        .get("/dashboard/agencies/S2?form=sipas-2017&period=2025-03")
        .await;
    assert!(
        page.body.contains("Đủ mẫu: 40 phiếu, mục tiêu 37"),
        "{}",
        page.body
    );
    // The parent sees S's plan but neither the link nor the list.
    let page = parent
        .get("/dashboard/agencies/S?form=sipas-2017&period=2025-03")
        .await;
    assert!(page.body.contains("Chưa đủ mẫu"));
    assert!(!page.body.contains("follow-up.csv"));
    let csv = parent
        .get("/dashboard/agencies/S/follow-up.csv?form=sipas-2017&month=2025-03")
        .await;
    assert_eq!(csv.status, 403);
}
