//! A subtree against its children's subtrees (statistics §5.4): a province's pooled total minus
//! a district's published subtree total must not give back a small department's group, even
//! when the hidden agencies below the province are several.

use serde_json::{Value, json};
use sipas::domain::auth::Role;

use crate::helpers::spawn_app_with;
use crate::results::register_many;
use crate::subtree_cells::answer_and_close;

#[tokio::test]
async fn a_province_minus_a_district_subtree_does_not_give_back_a_small_department() {
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = 3650).await;
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "T", "province", None).await;
    app.create_agency(&admin, "S", "department", Some("T"))
        .await;
    app.create_agency(&admin, "D", "district", Some("T")).await;
    for code in ["C1", "C2"] {
        app.create_agency(&admin, code, "commune", Some("D")).await;
    }
    // D answers 40; C1, C2 and S 6 each: every one of those three is hidden on its own, and
    // C1 and C2 together (12) are enough for D's subtree to publish.
    let cells: Vec<(String, String, usize)> = [("D", 40), ("C1", 6), ("C2", 6), ("S", 6)]
        .iter()
        .map(|(a, n)| ((*a).to_owned(), "online".to_owned(), *n))
        .collect();
    let tokens = register_many(
        &app,
        &admin,
        &cells,
        |_, _, _| json!({"form_key": "sipas-2017"}),
    )
    .await;
    answer_and_close(&app, &admin, &tokens).await;
    let get = |q: &str| {
        let url = format!("/api/v1/results?form=sipas-2017&period=2025-H1&aggregate=pooled&{q}");
        let (app, admin) = (&app, admin.clone());
        async move { app.get_json(&admin, &url).await }
    };
    assert_eq!(get("agency=S").await["suppressed"], true);
    let d = get("agency=D&subtree=true").await;
    let t = get("agency=T&subtree=true").await;
    let t_own = get("agency=T").await;
    let count = |r: &Value, j: usize| {
        let i = &r["items"][j];
        Some(i["share"].as_f64()? / 100.0 * i["n"].as_f64()?)
    };
    for j in 0..22 {
        if let (Some(all), Some(district)) = (count(&t, j), count(&d, j)) {
            let own = count(&t_own, j).unwrap_or(0.0);
            panic!(
                "item {j}: S's {} satisfied answers are T's {all} minus D's subtree {district} \
                 minus T's own {own}",
                (all - district - own).round()
            );
        }
    }
    // The flat rule alone would have published T: C1, C2 and S are three hidden groups of 18.
    assert_eq!(d["suppressed"], false, "D's subtree publishes: {d}");
    assert_eq!(t["index"]["value"], Value::Null, "{t}");
    // The same by channel: T's online cell minus D's is S's.
    let t = get("agency=T&subtree=true&by=channel").await;
    let d = get("agency=D&subtree=true&by=channel").await;
    let online = |r: &Value| r["breakdown"]["cells"][0].clone();
    assert_eq!(online(&d)["suppressed"], false, "{d}");
    assert_eq!(online(&t)["index"]["value"], Value::Null, "{t}");
}
