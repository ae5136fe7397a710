//! A subtree's breakdown cells against its members' own breakdowns (issue 18 item 5, statistics
//! §5.4 "suppression must also be checked on differences"): a member's cell that its own
//! breakdown hides must not come back as the subtree's cell minus the other members' cells,
//! by channel (from the roll-ups) and by procedure field (scanned from the answers).

use std::collections::HashMap;

use serde_json::{Value, json};
use sipas::domain::auth::Role;

use crate::helpers::{TestApp, spawn_app_with};
use crate::results::{LAST_MONTH, register_many, submit_all};

/// S1's 6 in-person questionnaires are a group below the threshold (10); everything else is
/// 30. Each agency's online dossiers are of field "A", its in-person ones of field "B".
const CELLS: [(&str, &str, usize); 4] = [
    ("S1", "online", 30),
    ("S1", "in_person", 6),
    ("S2", "online", 30),
    ("S2", "in_person", 30),
];

/// The cell `key` of `result`'s breakdown.
fn cell<'a>(result: &'a Value, key: &str) -> &'a Value {
    let cells = result["breakdown"]["cells"].as_array().unwrap();
    cells.iter().find(|c| c["key"] == key).unwrap()
}

/// The satisfied answers of every item of a cell that publishes them.
fn satisfied(cell: &Value) -> Vec<Option<f64>> {
    let items = cell["items"].as_array().unwrap();
    let count = |i: &Value| Some(i["share"].as_f64()? / 100.0 * i["n"].as_f64()?);
    items.iter().map(count).collect()
}

/// Answers every one of `tokens` (`sipas-2017`: most items at 5, every third at 2) and closes
/// 2025-H1.
pub(crate) async fn answer_and_close(
    app: &TestApp,
    admin: &str,
    tokens: &HashMap<(String, String), Vec<String>>,
) {
    let submissions = (tokens.values().flatten().enumerate())
        .map(|(i, t)| {
            let answers: serde_json::Map<String, Value> = (1..=22)
                .map(|j| (format!("s{j}"), json!(if (i + j) % 3 == 0 { 2 } else { 5 })))
                .collect();
            (t.clone(), Value::Object(answers))
        })
        .collect();
    let statuses = submit_all(app, submissions).await;
    assert!(statuses.iter().all(|s| *s == 201));
    app.close_month(admin, LAST_MONTH).await;
}

#[tokio::test]
async fn a_subtree_cell_does_not_give_back_a_members_hidden_cell_by_subtraction() {
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = 3650).await;
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "T", "province", None).await;
    for code in ["S1", "S2"] {
        app.create_agency(&admin, code, "department", Some("T"))
            .await;
    }
    let cells: Vec<(String, String, usize)> = CELLS
        .iter()
        .map(|(a, c, n)| ((*a).to_owned(), (*c).to_owned(), *n))
        .collect();
    let tokens = register_many(&app, &admin, &cells, |_, channel, _| {
        let field = if channel == "online" { "A" } else { "B" };
        json!({"form_key": "sipas-2017", "procedure_field": field})
    })
    .await;
    answer_and_close(&app, &admin, &tokens).await;

    for (by, small, large) in [
        ("channel", "in_person", "online"),
        ("procedure_field", "B", "A"),
    ] {
        let get = |who: &str| {
            let url =
                format!("/api/v1/results?agency={who}&form=sipas-2017&period=2025-H1&by={by}");
            let (app, admin) = (&app, admin.clone());
            async move { app.get_json(&admin, &url).await }
        };
        // S1's own breakdown hides its small cell, and so its large one (the total minus it).
        let s1 = get("S1").await;
        assert_eq!(cell(&s1, small)["suppressed"], true, "{by}");
        assert_eq!(cell(&s1, large)["suppressed"], true, "{by}");
        assert_eq!(s1["suppressed"], false, "{by}: S1's total stays published");
        let s2 = get("S2").await;
        assert_eq!(cell(&s2, small)["suppressed"], false, "{by}");
        // T's cells minus S2's would be S1's cells, so T's must be hidden too, in both
        // aggregates.
        for aggregate in ["pooled", "mean"] {
            let t = get(&format!("T&subtree=true&aggregate={aggregate}")).await;
            for key in [small, large] {
                let (theirs, s2_cell) = (satisfied(cell(&t, key)), satisfied(cell(&s2, key)));
                for (j, (all, s2_part)) in theirs.iter().zip(s2_cell).enumerate() {
                    if let (Some(all), Some(s2_part)) = (all, s2_part) {
                        panic!(
                            "{by} {aggregate} {key} item {j}: S1's {} satisfied answers are \
                             T's {all} minus S2's {s2_part}",
                            (all - s2_part).round()
                        );
                    }
                }
                assert_eq!(cell(&t, key)["index"]["value"], Value::Null, "{by} {key}");
            }
        }
    }
}
