//! The roll-ups (`score_rollups`, `dossier_rollups`): every closed month's counts are in the
//! four spans that contain it — after closings (empty months closed together, months before the
//! first closing), late entries, registrations for closed months (also racing a closing), and
//! a start that finds a database without roll-ups — and equal, bit for bit, to a rebuild's.

use serde_json::json;
use sipas::persistence::aggregates;

use crate::helpers::{TestApp, spawn_app_for_process_with, spawn_app_with, spawn_node};
use crate::process::workdir;
use crate::responses::count;
use crate::retention::{TTL, assert_same, province, published, register};

/// The loaded forms, as a rebuild needs them.
async fn forms(app: &TestApp) -> sipas::domain::forms::PublishedForms {
    sipas::startup::publish_forms(&app.db, None).await.unwrap()
}

/// Asserts that the stored aggregates are what a rebuild computes, and returns them.
async fn equal_to_a_rebuild(app: &TestApp) -> Vec<String> {
    let live = aggregates::snapshot(&app.db).await.unwrap();
    aggregates::rebuild(&app.db, &forms(app).await)
        .await
        .unwrap();
    let rebuilt = aggregates::snapshot(&app.db).await.unwrap();
    assert_eq!(live.len(), rebuilt.len(), "{live:#?}\n{rebuilt:#?}");
    for (a, b) in live.iter().zip(&rebuilt) {
        assert_eq!(a, b);
    }
    live
}

/// The dossiers of the dossier roll-ups of `span`, over every agency and channel.
fn dossiers_in(live: &[String], span: &str) -> i64 {
    live.iter()
        .filter(|l| l.starts_with("dossier-rollup ") && l.split(' ').nth(4) == Some(span))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<i64>().unwrap())
        .sum()
}

/// The responses (valid and invalid) of the score roll-ups of `span`.
async fn responses_in(app: &TestApp, live: &[String], span: &str) -> u64 {
    let forms = forms(app).await;
    live.iter()
        .filter(|l| l.starts_with("rollup ") && l.split(' ').nth(4) == Some(span))
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let form = forms.version(f[2], f[3].parse().unwrap()).unwrap();
            let counts = form.score.unpack(&crate::helpers::unhex(f[6])).unwrap();
            counts.valid + counts.invalid
        })
        .sum()
}

/// Registered dossiers completed in months `from..=to` (`YYYY-MM`), from the raw rows.
async fn registered_between(app: &TestApp, from: &str, to: &str) -> i64 {
    let mut n = 0;
    let mut month = sipas::domain::periods::Month::parse(from).unwrap();
    let to = sipas::domain::periods::Month::parse(to).unwrap();
    while month <= to {
        let start = format!("{month}-01T00:00:00+07:00");
        let end = format!("{}-01T00:00:00+07:00", month.next());
        let (start, end) = (
            chrono::DateTime::parse_from_rfc3339(&start).unwrap(),
            chrono::DateTime::parse_from_rfc3339(&end).unwrap(),
        );
        let db = &app.db;
        use sea_orm::{ConnectionTrait, Statement};
        let sql = match db.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                "SELECT COUNT(*) AS n FROM dossiers WHERE completed_at >= $1 AND completed_at < $2"
            }
            _ => "SELECT COUNT(*) AS n FROM dossiers WHERE completed_at >= ? AND completed_at < ?",
        };
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                sql,
                [
                    start.with_timezone(&chrono::Utc).into(),
                    end.with_timezone(&chrono::Utc).into(),
                ],
            ))
            .await
            .unwrap()
            .unwrap();
        n += row.try_get::<i64>("", "n").unwrap();
        month = month.next();
    }
    n
}

/// A paper questionnaire entered by the agency for its dossier `code` (of a closed month: a
/// late entry, published at once).
async fn enter_paper(app: &TestApp, admin: &str, (agency, code): (&str, &str)) {
    let path = format!("/api/v1/agencies/{agency}/responses");
    let mut body = json!({"dossier_code": code, "form_key": "sipas-2017", "mode": "paper"});
    body["collected_on"] = json!("2025-07-01");
    body["answers"] = (1..=22)
        .map(|j| (format!("s{j}"), json!(1 + j % 5)))
        .collect::<serde_json::Map<_, _>>()
        .into();
    // And the perception and needs questions, whose counts the roll-ups keep too.
    body["answers"]["p2"] = json!("late");
    body["answers"]["e1"] = json!(["attitude", "competence"]);
    let res = app.post_json(Some(admin), &path, &body).await;
    assert_eq!(res.status().as_u16(), 201, "{}", res.text().await.unwrap());
}

#[tokio::test]
async fn rollups_hold_every_closed_month_in_its_four_spans_and_equal_a_rebuild() {
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = TTL).await;
    // Answers in January and March; February and December 2024 only registered dossiers.
    let admin = province(&app, &[("2025-01", 3, 1), ("2025-03", 4, 2)]).await;
    register(&app, &admin, "SO-A", "DEC-1", "2024-12-10").await;
    register(&app, &admin, "SO-B", "FEB-1", "2025-02-10").await;
    register(&app, &admin, "SO-B", "MAY-1", "2025-05-10").await;
    let live = equal_to_a_rebuild(&app).await;
    assert!(!live.iter().any(|l| l.starts_with("rollup ")), "{live:#?}");

    // The months before January close with it (empty, December 2024 included: the first start
    // closed only the months whose links expired), then February (empty) with March.
    let closed = app.close_month(&admin, "2025-03").await;
    let closed = closed["closed"].as_array().unwrap();
    assert_eq!(
        closed[closed.len() - 4..],
        [
            json!("2024-12"),
            json!("2025-01"),
            json!("2025-02"),
            json!("2025-03")
        ]
    );
    let live = equal_to_a_rebuild(&app).await;
    assert_eq!(dossiers_in(&live, "2024"), 1);
    assert_eq!(dossiers_in(&live, "2025-02"), 1);
    assert_eq!(dossiers_in(&live, "2025-Q1"), 2 * (4 + 6) + 1);
    assert_eq!(dossiers_in(&live, "2025"), dossiers_in(&live, "2025-Q1"));
    assert_eq!(dossiers_in(&live, "2025-05"), 0, "an open month");
    assert_eq!(responses_in(&app, &live, "2025-01").await, 2 * 3);
    assert_eq!(responses_in(&app, &live, "2025-Q1").await, 2 * (3 + 4));
    assert_eq!(responses_in(&app, &live, "2025-H1").await, 2 * (3 + 4));

    // A registration for a closed month, and a late paper entry of a closed month.
    register(&app, &admin, "SO-A", "FEB-2", "2025-02-11").await;
    enter_paper(&app, &admin, ("SO-A", "SO-A-2025-03-004")).await;
    let live = equal_to_a_rebuild(&app).await;
    assert_eq!(dossiers_in(&live, "2025-02"), 2);
    assert_eq!(dossiers_in(&live, "2025"), 2 * (4 + 6) + 2);
    assert_eq!(responses_in(&app, &live, "2025-03").await, 2 * 4 + 1);
    assert_eq!(responses_in(&app, &live, "2025").await, 2 * (3 + 4) + 1);

    // June closes with the empty April and May (which has a registration).
    let closed = app.close_month(&admin, "2025-06").await;
    assert_eq!(closed["closed"], json!(["2025-04", "2025-05", "2025-06"]));
    let live = equal_to_a_rebuild(&app).await;
    assert_eq!(dossiers_in(&live, "2025-Q2"), 1);
    assert_eq!(
        dossiers_in(&live, "2025"),
        registered_between(&app, "2025-01", "2025-06").await
    );
    assert_eq!(
        responses_in(&app, &live, "2025").await,
        count(&app, "SELECT COUNT(*) FROM responses").await as u64
    );
    // And again after the rebuild: nothing moves.
    assert_eq!(equal_to_a_rebuild(&app).await, live);
}

#[tokio::test]
async fn registrations_racing_a_closing_are_counted_once() {
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = TTL).await;
    let admin = province(&app, &[("2025-04", 2, 1)]).await;
    for round in 0..3 {
        let month = format!("2025-0{}", 5 + round);
        let registrations = (0..24).map(|i| {
            let (app, admin, month) = (&app, &admin, &month);
            async move {
                let agency = ["SO-A", "SO-B"][i % 2];
                let day = format!("{month}-{:02}", 1 + i % 28);
                register(app, admin, agency, &format!("R{round}-{i:02}0"), &day).await;
            }
        });
        let (_, closed) = tokio::join!(
            futures_util::future::join_all(registrations),
            app.close_month(&admin, &month)
        );
        assert_eq!(closed["published_through"], json!(month));
        let live = equal_to_a_rebuild(&app).await;
        assert_eq!(dossiers_in(&live, &month), 24, "{month}");
    }
}

#[tokio::test]
async fn a_start_without_rollups_rebuilds_them_and_the_results_stay_the_same() {
    let dir = workdir();
    let adjust = |s: &mut sipas::config::Settings| s.surveys.token_ttl_days = TTL;
    let (app, url) = spawn_app_for_process_with(&dir, adjust).await;
    let admin = province(&app, &[("2025-02", 4, 1), ("2025-03", 3, 2)]).await;
    app.close_month(&admin, "2025-03").await;
    let figures = published(&app, &admin).await;
    let live = aggregates::snapshot(&app.db).await.unwrap();
    assert!(live.iter().any(|l| l.starts_with("rollup ")), "{live:#?}");
    assert!(
        live.iter().any(|l| l.starts_with("dossier-rollup ")),
        "{live:#?}"
    );

    // As after the upgrade that dropped the buckets: answers, no roll-up.
    for table in ["score_rollups", "dossier_rollups"] {
        use sea_orm::ConnectionTrait;
        app.db
            .execute_unprepared(&format!("DELETE FROM {table}"))
            .await
            .unwrap();
    }
    let node = spawn_node(&url, adjust).await;
    assert_eq!(aggregates::snapshot(&node.db).await.unwrap(), live);
    assert_same(&figures, &published(&node, &admin).await);

    // Dossiers of closed months without their roll-ups are found too.
    use sea_orm::ConnectionTrait;
    let emptied = app
        .db
        .execute_unprepared("DELETE FROM dossier_rollups")
        .await
        .unwrap();
    assert!(emptied.rows_affected() > 0);
    let again = spawn_node(&url, adjust).await;
    assert_eq!(aggregates::snapshot(&again.db).await.unwrap(), live);
}

/// An upgrade from roll-ups without the answers to the perception and needs questions: the
/// migration that brings them drops the roll-ups stored before, and the next start rebuilds
/// them from the responses, with the indicators, bit for bit as the live updates stored them.
#[tokio::test]
async fn roll_ups_from_before_the_indicators_are_rebuilt_with_them_at_the_next_start() {
    use sea_orm::{ConnectionTrait, Statement};
    let dir = workdir();
    let adjust = |s: &mut sipas::config::Settings| s.surveys.token_ttl_days = TTL;
    let (app, url) = spawn_app_for_process_with(&dir, adjust).await;
    let (admin, tokens) = crate::indicators::setup(&app, "sipas-2017", &[("S1", 12)]).await;
    let submissions = (tokens["S1"].iter().enumerate())
        .map(|(i, t)| (t.clone(), crate::indicators::answers_2017(i)))
        .collect();
    crate::indicators::publish(&app, &admin, submissions).await;
    let path = "/api/v1/results?agency=S1&form=sipas-2017&period=2025";
    let before = app.get_json(&admin, path).await;
    assert_eq!(crate::indicators::indicator(&before, "p1")["n"], 12);
    let live = aggregates::snapshot(&app.db).await.unwrap();

    // The roll-ups as the previous version stored them: the same counts without the answers
    // to the indicator questions; and the migration not yet applied.
    let forms = forms(&app).await;
    let backend = app.db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            "UPDATE score_rollups SET counts = $1 WHERE span = $2"
        }
        _ => "UPDATE score_rollups SET counts = ? WHERE span = ?",
    };
    for line in live.iter().filter(|l| l.starts_with("rollup ")) {
        let f: Vec<&str> = line.split(' ').collect();
        let shape = &forms.version(f[2], f[3].parse().unwrap()).unwrap().score;
        let mut counts = shape.unpack(&crate::helpers::unhex(f[6])).unwrap();
        counts.options = Default::default();
        let values = [counts.pack().into(), f[4].into()];
        let stmt = Statement::from_sql_and_values(backend, sql, values);
        assert_eq!(app.db.execute_raw(stmt).await.unwrap().rows_affected(), 1);
    }
    app.db
        .execute_unprepared(
            "DELETE FROM seaql_migrations WHERE version = 'm20261207_003001_rollups_count_answers'",
        )
        .await
        .unwrap();
    assert_ne!(aggregates::snapshot(&app.db).await.unwrap(), live);

    let node = spawn_node(&url, adjust).await;
    assert_eq!(aggregates::snapshot(&node.db).await.unwrap(), live);
    assert_eq!(node.get_json(&admin, path).await, before);
}
