//! The score aggregates: updated with every published response (once its month is closed) and
//! registered dossier, and equal, bit for bit, to a rebuild from the raw rows.

use serde_json::{Value, json};
use sipas::persistence::aggregates;

use crate::dossiers::setup;
use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use crate::responses::{form_of, registered, response_path, scale_questions};

/// The month the dossiers of [`answered_dossiers`] are completed in: an ended month, which can
/// be closed to publish their answers (with links that live long enough to answer them).
pub const MONTH: &str = "2025-05";

fn app_with_long_links() -> impl FnOnce(&mut sipas::config::Settings) {
    |s| s.surveys.token_ttl_days = 3650
}

/// Registers `n` dossiers of agency SO completed in [`MONTH`] over the three channels and
/// answers most of them with varied levels; returns how many were answered. The answers are
/// pending until the month is closed.
pub async fn answered_dossiers(app: &TestApp, admin: &str, n: usize) -> usize {
    let channels = ["in_person", "online", "postal"];
    let mut answered = 0;
    for i in 0..n {
        let reg = registered(
            app,
            admin,
            &format!("SC-{i}"),
            json!({
                "channel": channels[i % 3],
                "completed_at": format!("{MONTH}-{:02}T10:00:00+07:00", 1 + i % 28),
            }),
        )
        .await;
        if i % 5 == 4 {
            continue; // unanswered
        }
        let form = form_of(app, &reg).await;
        let answers: serde_json::Map<String, Value> = scale_questions(&form)
            .into_iter()
            .enumerate()
            // Varied levels, some items skipped.
            .filter(|(j, _)| (i + j) % 7 != 0)
            .map(|(j, id)| (id, json!(1 + (i * 3 + j * 2) % 5)))
            .collect();
        let res = app
            .post_json(None, &response_path(&reg), &json!({"answers": answers}))
            .await;
        assert_eq!(res.status().as_u16(), 201);
        answered += 1;
    }
    answered
}

#[tokio::test]
async fn aggregates_follow_every_response_and_a_rebuild_is_bit_identical() {
    let app = spawn_app_with(app_with_long_links()).await;
    let admin = setup(&app).await;
    let answered = answered_dossiers(&app, &admin, 40).await;
    assert_eq!(answered, 32);
    assert_eq!(app.count_answers().await, answered as u64);

    let settings = crate::helpers::test_settings("sqlite::memory:");
    let forms = sipas::startup::publish_forms(&app.db, settings.forms.dir.as_deref())
        .await
        .unwrap();
    let valid = |live: &[String]| -> u64 {
        live.iter()
            .filter(|l| l.starts_with("rollup ") && l.split(' ').nth(4) == Some(MONTH))
            .map(|l| {
                // `rollup AGENCY FORM VERSION SPAN CHANNEL HEX`, the month's span.
                let f: Vec<&str> = l.split(' ').collect();
                let form = forms.version(f[2], f[3].parse().unwrap()).unwrap();
                form.score
                    .unpack(&crate::helpers::unhex(f[6]))
                    .unwrap()
                    .valid
            })
            .sum()
    };
    // The month is open: its answers are in no roll-up yet.
    assert_eq!(valid(&aggregates::snapshot(&app.db).await.unwrap()), 0);
    // Closing it folds every one of them in.
    let closed = app.close_month(&admin, MONTH).await;
    assert_eq!(closed["published"], answered);

    let live = aggregates::snapshot(&app.db).await.unwrap();
    let rollups: Vec<&String> = live.iter().filter(|l| l.starts_with("rollup ")).collect();
    let counts: Vec<&String> = live.iter().filter(|l| l.starts_with("dossiers")).collect();
    assert_eq!(rollups.len(), 12, "four spans per channel: {live:#?}");
    assert_eq!(counts.len(), 3, "{live:#?}");
    assert_eq!(valid(&live), answered as u64);
    let registered: u64 = counts
        .iter()
        .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(registered, 40);

    let report = aggregates::rebuild(&app.db, &forms).await.unwrap();
    assert_eq!(report.responses, answered as u64);
    assert_eq!(report.dossiers, 40);
    assert_eq!(aggregates::snapshot(&app.db).await.unwrap(), live);
}

#[tokio::test]
async fn a_rebuild_counts_dossiers_in_vietnamese_months_at_the_boundaries() {
    let app = spawn_app().await;
    let admin = setup(&app).await;
    // 16:59:59 UTC on the last day is still March in Vietnam; 17:00:00 is April; the year turns
    // likewise; fractions of a second and other offsets are the same instants.
    for (i, at) in [
        "2026-03-31T16:59:59Z",
        "2026-03-31T17:00:00Z",
        "2026-03-31T23:59:59.999999+07:00",
        "2026-04-01T00:00:00+07:00",
        "2025-12-31T16:59:59.5Z",
        "2025-12-31T17:00:00Z",
        "2026-02-28T12:00:00-05:00",
    ]
    .iter()
    .enumerate()
    {
        let channel = ["in_person", "online"][i % 2];
        registered(
            &app,
            &admin,
            &format!("B-{i}"),
            json!({"completed_at": at, "channel": channel}),
        )
        .await;
    }
    let live = aggregates::snapshot(&app.db).await.unwrap();
    let months: Vec<&str> = live
        .iter()
        .filter(|l| l.starts_with("dossiers"))
        // dossiers AGENCY FORM VERSION MONTH CHANNEL COUNT
        .map(|l| l.split(' ').nth(4).unwrap())
        .collect();
    for month in ["2025-12", "2026-01", "2026-03", "2026-04"] {
        assert!(months.contains(&month), "{month} in {live:#?}");
    }
    let settings = crate::helpers::test_settings("sqlite::memory:");
    let forms = sipas::startup::publish_forms(&app.db, settings.forms.dir.as_deref())
        .await
        .unwrap();
    let report = aggregates::rebuild(&app.db, &forms).await.unwrap();
    assert_eq!(report.dossiers, 7);
    assert_eq!(aggregates::snapshot(&app.db).await.unwrap(), live);
}
