//! A period that spans two versions of a form (issue 18, item 5): `sipas-2017` v1 until June
//! 2025, v2 (a copy in `forms.dir`) from July. n is one version's, so N (`invited`), the
//! response rate, the Decision 766 counts, the live counts of the open months, the sampling
//! plan and the PAR rows count that version's dossiers only — after closings, retention and a
//! rebuild, and after the upgrade that splits the counts stored before by version.

use std::path::{Path, PathBuf};

use chrono::Utc;
use serde_json::{Value, json};
use sipas::persistence::aggregates;

use crate::helpers::{TestApp, spawn_app_for_process_with, spawn_node};
use crate::process::{forms_dir, workdir};
use crate::responses::{all_scales, form_of};
use crate::results::submit_all;
use crate::retention::{TTL, assert_same, province, register, seal};

const V2: &str = "sipas-2017.v2.toml";

/// `dir/forms` with version 2 of `sipas-2017`: version 1's content under a new number.
fn with_version_2(dir: &Path) -> PathBuf {
    let forms = forms_dir(dir, &[]);
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("survey-forms/sipas-2017.v1.toml");
    let v1 = std::fs::read_to_string(shipped).unwrap();
    std::fs::write(forms.join(V2), v1.replacen("version = 1", "version = 2", 1)).unwrap();
    forms
}

/// Registers `n` dossiers of `agency` completed in `month` through `app` (whose current
/// version of the form they get; `tag` tells their codes apart) and answers the first `answered`.
async fn answered(
    (app, admin, tag): (&TestApp, &str, &str),
    (agency, month): (&str, &str),
    n: usize,
    answered: usize,
) {
    let mut submissions = Vec::new();
    for i in 0..n {
        let code = format!("{agency}-{month}-{tag}{i:03}");
        let reg = register(app, admin, agency, &code, &format!("{month}-{:02}", 1 + i)).await;
        if i < answered {
            let levels = all_scales(&form_of(app, &reg).await, 1 + (i % 5) as i64);
            submissions.push((reg["survey_token"].as_str().unwrap().to_owned(), levels));
        }
    }
    for status in submit_all(app, submissions).await {
        assert_eq!(status, 201);
    }
}

/// The member of the array `list` whose `field` is `value`.
fn member<'a>(list: &'a Value, field: &str, value: &str) -> &'a Value {
    let mut members = list.as_array().unwrap().iter();
    members.find(|m| m[field] == value).expect(value)
}

/// The two nodes' state: v1 answered in March and April 2025 (per department 15 + 13
/// dossiers, 12 + 11 answered), v2 in July and August (14 + 6, 10 + 3 answered), March to
/// August closed; September open with SO-A's 5 v2 dossiers (2 answered) and 4 v1 ones (3
/// answered, through the node that still has only v1). Returns both nodes, the database's URL
/// and the admin key.
async fn two_versions(dir: &Path) -> (TestApp, TestApp, String, String) {
    let ttl = |s: &mut sipas::config::Settings| {
        s.surveys.token_ttl_days = TTL;
        s.retention.dossier_months = 0;
        s.indicators.d766.enabled = true;
    };
    let (v1, url) = spawn_app_for_process_with(dir, ttl).await;
    let admin = province(&v1, &[("2025-03", 12, 3), ("2025-04", 11, 2)]).await;
    let forms = with_version_2(dir);
    let v2 = spawn_node(&url, |s| {
        ttl(s);
        s.forms.dir = Some(forms);
    })
    .await;
    for agency in ["SO-A", "SO-B"] {
        answered((&v2, &admin, "v2-"), (agency, "2025-07"), 14, 10).await;
        answered((&v2, &admin, "v2-"), (agency, "2025-08"), 6, 3).await;
    }
    v2.close_month(&admin, "2025-08").await;
    answered((&v2, &admin, "v2-"), ("SO-A", "2025-09"), 5, 2).await;
    answered((&v1, &admin, "v1-"), ("SO-A", "2025-09"), 4, 3).await;
    (v1, v2, url, admin)
}

/// What the test compares before and after: results, breakdowns, PAR rows and plans.
const PATHS: [&str; 8] = [
    "/api/v1/results?agency=SO-A&form=sipas-2017&period=2025",
    "/api/v1/results?agency=SO-A&form=sipas-2017&period=2025&version=1",
    "/api/v1/results?agency=TINH&form=sipas-2017&period=2025&subtree=true&by=channel",
    "/api/v1/results/trend?agency=SO-A&form=sipas-2017&period=2025&step=month",
    "/api/v1/par/scores?form=sipas-2017&period=2025",
    "/api/v1/sampling?agency=SO-A&period=2025",
    "/api/v1/sampling?agency=SO-A&period=2025&version=1",
    "/api/v1/sampling?agency=SO-B&period=2025-Q3",
];

async fn figures(app: &TestApp, admin: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for path in PATHS {
        let res = app.get_as(admin, path).await;
        assert_eq!(res.status().as_u16(), 200, "GET {path}");
        out.push((path.to_owned(), res.bytes().await.unwrap().to_vec()));
    }
    out
}

fn json_of(figures: &[(String, Vec<u8>)], i: usize) -> Value {
    serde_json::from_slice(&figures[i].1).unwrap()
}

/// N, n and what follows from them for SO-A: v2 (the newest with answers) by default, v1 asked.
fn assert_one_version_each(f: &[(String, Vec<u8>)]) {
    let (v2, v1) = (json_of(f, 0), json_of(f, 1));
    assert_eq!(v2["form"]["version"], 2, "{v2}");
    assert_eq!(
        (&v2["invited"], &v2["responses"]),
        (&json!(20), &json!(13)),
        "{v2}"
    );
    assert_eq!(v2["response_rate"], 65.0);
    assert_eq!(
        (&v2["d766"]["D"], &v2["d766"]["D_rated"]),
        (&json!(20), &json!(13))
    );
    let open = &v2["open_months"];
    assert_eq!(
        (&open["invited"], &open["received"]),
        (&json!(5), &json!(2)),
        "{v2}"
    );
    assert_eq!(v2["pending"], 2);
    assert_eq!(v1["form"]["version"], 1);
    assert_eq!(
        (&v1["invited"], &v1["responses"]),
        (&json!(28), &json!(23)),
        "{v1}"
    );
    assert_eq!(v1["d766"]["D"], 28);
    let open = &v1["open_months"];
    assert_eq!(
        (&open["invited"], &open["received"]),
        (&json!(4), &json!(3)),
        "{v1}"
    );

    // The subtree and its channel cells: both departments' v2 dossiers.
    let tree = json_of(f, 2);
    assert_eq!(tree["invited"], 40, "{tree}");
    let cells: u64 = tree["breakdown"]["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["invited"].as_u64().unwrap())
        .sum();
    assert_eq!(cells, 40, "{tree}");
    // A month of the trend before v2 has none of v1's dossiers.
    let trend = json_of(f, 3);
    let step = |m: &str| member(&trend["steps"], "period", m);
    let (q1, q3) = (step("2025-03"), step("2025-07"));
    assert_eq!(
        (&q1["invited"], &q3["invited"]),
        (&json!(0), &json!(14)),
        "{trend}"
    );

    let par = json_of(f, 4);
    let so_a = member(&par["scores"], "agency_code", "SO-A");
    assert_eq!(
        (&so_a["form_version"], &so_a["invited"], &so_a["D"]),
        (&json!(2), &json!(20), &json!(20))
    );

    // The plans: one version each, its dossiers of every month of the period against its
    // questionnaires (Yamane for 25: ceil(25 / 1.0625) = 24).
    let (plan, plan_v1, q3) = (json_of(f, 5), json_of(f, 6), json_of(f, 7));
    assert_eq!(plan["form_version"], 2, "{plan}");
    assert_eq!(
        (&plan["registered"], &plan["received"]),
        (&json!(25), &json!(15)),
        "{plan}"
    );
    assert_eq!(plan["target"]["yamane"], 24);
    assert_eq!(plan_v1["form_version"], 1);
    assert_eq!(
        (&plan_v1["registered"], &plan_v1["received"]),
        (&json!(32), &json!(26))
    );
    assert_eq!(
        (&q3["registered"], &q3["received"]),
        (&json!(20), &json!(13)),
        "{q3}"
    );
}

/// Asserts that a rebuild stores the same aggregates and serves the same figures.
async fn same_after_a_rebuild(app: &TestApp, admin: &str, forms: &Path) {
    let (stored, before) = (
        aggregates::snapshot(&app.db).await.unwrap(),
        figures(app, admin).await,
    );
    let loaded = sipas::startup::publish_forms(&app.db, Some(forms))
        .await
        .unwrap();
    aggregates::rebuild(&app.db, &loaded).await.unwrap();
    assert_eq!(aggregates::snapshot(&app.db).await.unwrap(), stored);
    assert_same(&before, &figures(app, admin).await);
}

#[tokio::test]
async fn n_and_every_count_beside_it_are_of_one_form_version_when_a_period_spans_two() {
    let dir = workdir();
    // The first node owns the test's database: it lives to the end.
    let (_v1, app, _, admin) = two_versions(&dir).await;
    let before = figures(&app, &admin).await;
    assert_one_version_each(&before);
    same_after_a_rebuild(&app, &admin, &dir.join("forms")).await;

    // September's follow-up list draws from its plan's version only: the 3 unanswered v2
    // dossiers (Yamane 5 for N = 5, 2 back), or with `version=1` the 1 unanswered v1 one.
    for (query, tag, drawn) in [("", "-v2-", 3), ("&version=1", "-v1-", 1)] {
        let path = format!("/api/v1/sampling/follow-up?agency=SO-A&month=2025-09{query}");
        let res = app.get_as(&admin, &path).await;
        assert_eq!(res.status().as_u16(), 200, "{path}");
        let text = res.text().await.unwrap();
        let codes: Vec<&str> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap())
            .collect();
        assert_eq!(codes.len(), drawn, "{path}: {text}");
        assert!(codes.iter().all(|c| c.contains(tag)), "{path}: {text}");
    }

    // Retention deletes March and April (v1): their counts keep their version.
    seal(&app).await;
    let applied = sipas::app::retention::apply(&app.db, 19, Utc::now())
        .await
        .unwrap();
    assert_eq!(applied.deleted, 2 * (15 + 13));
    assert_same(&before, &figures(&app, &admin).await);
    same_after_a_rebuild(&app, &admin, &dir.join("forms")).await;
}

/// The database as the version before stored it: the three count tables without the version.
async fn as_before_the_versions(app: &TestApp) {
    use sea_orm::ConnectionTrait;
    for (table, at) in [
        ("dossier_counts", "period_month"),
        ("retained_dossier_counts", "period_month"),
        ("dossier_rollups", "span"),
    ] {
        // `dossier_counts` had an unused `revision` then.
        let revision = if table == "dossier_counts" {
            ", CAST(0 AS BIGINT) AS revision"
        } else {
            ""
        };
        let sql = format!(
            "CREATE TABLE old_{table} AS SELECT agency_id, form_key, {at}, channel, \
             CAST(SUM(dossiers) AS BIGINT) AS dossiers{revision} FROM {table} \
             GROUP BY agency_id, form_key, {at}, channel"
        );
        app.db.execute_unprepared(&sql).await.unwrap();
        app.db
            .execute_unprepared(&format!("DROP TABLE {table}"))
            .await
            .unwrap();
        let rename = format!("ALTER TABLE old_{table} RENAME TO {table}");
        app.db.execute_unprepared(&rename).await.unwrap();
    }
    app.db
        .execute_unprepared(
            "DELETE FROM seaql_migrations \
             WHERE version = 'm20261208_003001_dossier_counts_by_version'",
        )
        .await
        .unwrap();
}

/// The upgrade splits the stored counts by version: the stored dossiers by their own, those
/// retention deleted by the version their agency-month's questionnaires used — the figures and
/// the aggregates come out as they were.
#[tokio::test]
async fn the_upgrade_splits_the_counts_stored_before_by_version() {
    let dir = workdir();
    let (_v1, app, url, admin) = two_versions(&dir).await;
    seal(&app).await;
    sipas::app::retention::apply(&app.db, 19, Utc::now())
        .await
        .unwrap();
    let (stored, before) = (
        aggregates::snapshot(&app.db).await.unwrap(),
        figures(&app, &admin).await,
    );
    as_before_the_versions(&app).await;

    let forms = dir.join("forms");
    let node = spawn_node(&url, |s| {
        s.surveys.token_ttl_days = TTL;
        s.retention.dossier_months = 0;
        s.indicators.d766.enabled = true;
        s.forms.dir = Some(forms.clone());
    })
    .await;
    assert_eq!(aggregates::snapshot(&node.db).await.unwrap(), stored);
    assert_same(&before, &figures(&node, &admin).await);
    same_after_a_rebuild(&node, &admin, &forms).await;
}
