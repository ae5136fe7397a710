//! Response rates by invitation channel (issue 20, item 3): dossiers invited by QR code only,
//! e-mail and SMS, answered in different shares, each channel's rate over the closed months of
//! the period — nothing before its month is closed — in the API and on the Integrity tab.

use serde_json::{Value, json};
use sipas::domain::auth::Role;
use sipas::persistence::outbox;

use crate::accounts::{Browser, PASSWORD, account};
use crate::dossiers::setup;
use crate::helpers::{TestApp, spawn_app_with};
use crate::integrity::register_batch;
use crate::responses::{all_scales, form_of, response_path};

const MONTH: &str = "2025-07";

async fn channels(app: &TestApp, key: &str, agency: &str) -> Value {
    let path = format!("/api/v1/results/channels?agency={agency}&period=2025");
    let res = app.get_as(key, &path).await;
    assert_eq!(res.status().as_u16(), 200);
    res.json().await.unwrap()
}

fn channel<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == name)
        .unwrap()
}

#[tokio::test]
async fn each_invitation_channel_has_its_response_rate() {
    let app = spawn_app_with(|s| s.surveys.token_ttl_days = 3650).await;
    let admin = setup(&app).await;
    // 12 dossiers per channel; 3, 6 and 9 of them answered.
    let contact = |i: usize| match i % 3 {
        0 => json!({}),
        1 => json!({"email": format!("c{i}@example.vn")}),
        _ => json!({"phone": format!("09{i:08}")}),
    };
    let items: Vec<Value> = (0..36)
        .map(|i| {
            json!({
                "dossier_code": format!("R-{i}"),
                "agency_code": "SO",
                "completed_at": format!("{MONTH}-{:02}T09:00:00+07:00", 1 + i % 28),
                "channel": "in_person",
                "contact": contact(i),
            })
        })
        .collect();
    let regs = register_batch(&app, &admin, items).await;
    let form = form_of(&app, &regs[0]).await;
    let answered = [3, 6, 9];
    let mut done = [0; 3];
    for (i, reg) in regs.iter().enumerate() {
        if done[i % 3] < answered[i % 3] {
            done[i % 3] += 1;
            let body = json!({"answers": all_scales(&form, 4)});
            let res = app.post_json(None, &response_path(reg), &body).await;
            assert_eq!(res.status().as_u16(), 201);
        }
    }

    // Answering erased the contact of every answered dossier, phone numbers as addresses.
    assert_eq!(outbox::stored_phones(&app.db).await.unwrap(), 3);
    assert_eq!(outbox::stored_addresses(&app.db).await.unwrap(), 3 + 6);

    let open = channels(&app, &admin, "SO").await;
    assert!(
        open["channels"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["suppressed"] == true)
    );

    app.close_month(&admin, MONTH).await;
    let so_key = app.create_key(Role::Agency, Some("SO")).await;
    let closed = channels(&app, &so_key, "SO").await;
    assert!(closed["published_through"].as_str().unwrap() >= MONTH);
    for (name, x) in [("qr", 3), ("email", 6), ("sms", 9)] {
        let c = channel(&closed, name);
        assert_eq!(
            (c["registered"].clone(), c["answered"].clone()),
            (json!(12), json!(x)),
            "{c}"
        );
        let rate = c["rate"].as_f64().unwrap();
        assert!((rate - f64::from(x) / 12.0).abs() < 1e-9);
        assert!(c["ci_lower"].as_f64().unwrap() < rate && rate < c["ci_upper"].as_f64().unwrap());
    }
    let khac = app
        .get_as(&so_key, "/api/v1/results/channels?agency=KHAC&period=2025")
        .await;
    assert_eq!(khac.status().as_u16(), 403);

    account(&app, Role::Agency, Some("SO"), "so@example.vn").await;
    let mut officer = Browser::of(&app);
    officer.sign_in("so@example.vn", PASSWORD).await;
    let page = officer
        .get("/dashboard/agencies/SO/integrity?period=2025&lang=en")
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let start = page.body.find("data-channel=\"sms\"").unwrap();
    let row = &page.body[start..start + page.body[start..].find("</tr>").unwrap()];
    assert!(
        row.contains(">12<") && row.contains(">9<") && row.contains("75.0 %"),
        "{row}"
    );
}
