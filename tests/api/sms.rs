//! SMS invitations: a real local HTTP gateway (`tests/api/sms_gateway.py`, python3's standard
//! library) that is down, then failing with 503, then recovers; every number gets exactly one
//! invitation and one reminder, each one GSM-7 SMS with its link, and is erased afterwards.
//! Also: numbers are validated and normalised, a phone number wins over an e-mail address, and
//! the default file transport writes `.sms.txt` files.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use sipas::config::SmsTransport;
use sipas::error::ProblemCode;
use sipas::persistence::outbox;

use crate::dossiers::{DOSSIERS, dossier, register, setup};
use crate::helpers::{assert_problem, spawn_app_with};
use crate::integrity::register_batch;
use crate::invitations::{fast_outbox, free_port, max_attempts, wait_until};

/// The gateway process; every request it received (`ok` false: answered 503). Killed on drop.
pub(crate) struct Gateway {
    child: Child,
    requests: Arc<Mutex<Vec<Value>>>,
}

impl Gateway {
    pub(crate) fn start(port: u16, recovered: &std::path::Path) -> Self {
        Self::start_with(port, recovered, &[])
    }

    /// With `tls` = `[certificate, key]` (PEM files), the gateway speaks HTTPS only.
    pub(crate) fn start_with(port: u16, recovered: &std::path::Path, tls: &[&Path]) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/sms_gateway.py");
        let mut child = Command::new("python3")
            .args([script, &port.to_string(), recovered.to_str().unwrap()])
            .args(tls)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 is needed for the SMS test");
        let stdout = child.stdout.take().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let sink = requests.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                sink.lock()
                    .unwrap()
                    .push(serde_json::from_str(&line).unwrap());
            }
        });
        Self { child, requests }
    }

    pub(crate) fn count(&self, ok: bool) -> usize {
        let requests = self.requests.lock().unwrap();
        requests.iter().filter(|r| r["ok"] == ok).count()
    }

    /// Delivered messages (answered 200) by number: their texts in order.
    pub(crate) fn delivered(&self) -> HashMap<String, Vec<String>> {
        let mut by_number: HashMap<String, Vec<String>> = HashMap::new();
        for r in self
            .requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r["ok"] == true)
        {
            by_number
                .entry(r["body"]["to"].as_str().unwrap().to_owned())
                .or_default()
                .push(r["body"]["text"].as_str().unwrap().to_owned());
        }
        by_number
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const N: usize = 200;

/// The `i`-th test number, written as a citizen might, and as it is stored.
fn number(i: usize) -> (String, String) {
    let national = format!("9{i:08}");
    let written = if i.is_multiple_of(2) {
        format!("0{} {} {}", &national[..2], &national[2..5], &national[5..])
    } else {
        format!("+84 {national}")
    };
    (written, format!("+84{national}"))
}

#[tokio::test]
async fn two_hundred_sms_invitations_survive_a_failing_gateway_and_the_numbers_are_erased() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let recovered = dir.path().join("recovered");
    let app = spawn_app_with(|s| {
        s.sms.transport = SmsTransport::Http;
        s.sms.url = format!("http://127.0.0.1:{port}/send");
        // A variable cargo and nextest set for every test process: the token comes from the
        // environment, never from the settings.
        s.sms
            .headers
            .insert("Authorization".into(), "Bearer ${CARGO_PKG_NAME}".into());
        s.sms.timeout_secs = 5;
        fast_outbox(&mut s.email, 10_000);
    })
    .await;
    let admin = setup(&app).await;
    let items: Vec<Value> = (0..N)
        .map(|i| {
            let mut d = dossier("SO", &format!("SMS-{i}"));
            d["contact"] = json!({"phone": number(i).0});
            d
        })
        .collect();
    let results = register_batch(&app, &admin, items).await;

    // No gateway at all: sends fail and are retried.
    let start = std::time::Instant::now();
    while max_attempts(&app).await < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no failed attempt"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Then a gateway that answers 503 for a while, then recovers.
    let gateway = Gateway::start(port, &recovered);
    wait_until("503 answers", Duration::from_secs(60), || {
        gateway.count(false) >= 2 * N
    })
    .await;
    std::fs::write(&recovered, "").unwrap();
    wait_until(
        "every invitation and reminder",
        Duration::from_secs(60),
        || {
            let delivered = gateway.delivered();
            delivered.len() == N && delivered.values().all(|texts| texts.len() >= 2)
        },
    )
    .await;
    // Time for any duplicate or extra message to show up.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let delivered = gateway.delivered();
    for (i, r) in results.iter().enumerate() {
        let url = r["survey_url"].as_str().unwrap();
        let texts = &delivered[&number(i).1];
        assert_eq!(texts.len(), 2, "one invitation and one reminder: {texts:?}");
        assert!(texts[0].starts_with("Moi ong/ba danh gia"), "{}", texts[0]);
        assert!(texts[1].starts_with("Nhac lai: "), "{}", texts[1]);
        for text in texts {
            assert!(text.ends_with(url), "{text}");
            assert!(text.chars().count() <= 160 && text.is_ascii(), "{text}");
        }
    }
    let requests = gateway.requests.lock().unwrap().clone();
    assert!(
        requests.iter().all(
            |r| r["authorization"] == "Bearer sipas" && r["content_type"] == "application/json"
        )
    );
    assert_eq!(outbox::stored_phones(&app.db).await.unwrap(), 0);
    assert_eq!(outbox::stored_addresses(&app.db).await.unwrap(), 0);
}

#[tokio::test]
async fn numbers_are_checked_and_a_phone_wins_over_an_address() {
    let dir = tempfile::tempdir().unwrap();
    let sms_dir = dir.path().join("outbox");
    let app = spawn_app_with(|s| {
        s.sms.transport = SmsTransport::File;
        s.sms.file_dir = sms_dir.clone();
        s.email.poll_interval_ms = 100;
    })
    .await;
    let admin = setup(&app).await;
    let mut bad = dossier("SO", "P-bad");
    bad["contact"] = json!({"phone": "024 3825 1234"});
    let res = app.post_json(Some(&admin), DOSSIERS, &bad).await;
    let body = assert_problem(res, ProblemCode::InvalidPhone).await;
    assert_eq!(body["errors"][0]["field"], "contact.phone", "{body}");

    let mut both = dossier("SO", "P-both");
    both["contact"] = json!({"phone": "+84 (0)98 765 4321", "email": "a@example.vn"});
    let reg = register(&app, &admin, &both, 201).await;
    let backend = app.db.get_database_backend();
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT channel, email FROM outbox",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "channel").unwrap(), "sms");
    assert_eq!(row.try_get::<Option<String>>("", "email").unwrap(), None);

    // The file transport writes the message as a .sms.txt file.
    let start = std::time::Instant::now();
    let file = loop {
        let found = std::fs::read_dir(&sms_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().ends_with(".sms.txt"));
        if let Some(file) = found {
            break file;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no .sms.txt file"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let content = std::fs::read_to_string(file).unwrap();
    assert!(
        content.starts_with("To: +84987654321\n\nMoi ong/ba"),
        "{content}"
    );
    assert!(
        content.contains(reg["survey_url"].as_str().unwrap()),
        "{content}"
    );
}

/// The server as a process, at log level `debug` (more than production's `info`): neither a
/// refused number nor a sent one appears in any log line, in any of its written forms.
#[tokio::test]
async fn phone_numbers_never_reach_the_logs() {
    use crate::helpers::TestDatabase;
    use crate::process::{Server, sipas, workdir};
    let db = TestDatabase::create().await;
    let dir = workdir();
    let url = db.url_for_process(&dir);
    let run = |args: &[&str]| {
        let out = sipas(&dir)
            .args(args)
            .env("DATABASE_URL", &url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    run(&["migrate"]);
    let admin = run(&["keys", "create", "--role", "admin"])
        .trim()
        .to_owned();
    let mut cmd = sipas(&dir);
    cmd.env("APP_SERVER__BIND", "127.0.0.1:0")
        .env("APP_LOG__LEVEL", "debug")
        .env("APP_EMAIL__POLL_INTERVAL_MS", "100")
        .env("DATABASE_URL", &url);
    let server = Server::start(cmd);
    let client = crate::helpers::http_client().build().unwrap();
    let post = |path: &str, body: Value| {
        client
            .post(format!("{}{path}", server.address))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    let agency = json!({"code": "SO", "name": {"vi": "Sở Thử"}, "kind": "department"});
    assert_eq!(
        post("/api/v1/agencies", agency).await.unwrap().status(),
        201
    );
    let completed = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let mut good = json!({"dossier_code": "P-1", "agency_code": "SO",
        "completed_at": completed, "channel": "online", "contact": {"phone": "0912 345 678"}});
    assert_eq!(post(DOSSIERS, good.clone()).await.unwrap().status(), 201);
    good["dossier_code"] = json!("P-2");
    good["contact"] = json!({"phone": "024 3825 1234"});
    assert_eq!(post(DOSSIERS, good).await.unwrap().status(), 422);
    // The invitation is written by the default file transport, then the server stops.
    let outbox = dir.join("data/outbox");
    let start = std::time::Instant::now();
    while !std::fs::read_dir(&outbox).is_ok_and(|mut d| d.next().is_some()) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no .sms.txt file"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (exit, log) = server.terminate();
    assert!(exit.success());
    // The worker logged the sending (by outbox id), and the refused request was logged.
    assert!(log.iter().any(|l| l.contains("SMS sent")), "{log:?}");
    assert!(log.iter().any(|l| l.contains("422")), "{log:?}");
    for line in &log {
        for form in ["912345678", "912 345 678", "38251234", "3825 1234"] {
            assert!(!line.contains(form), "a number in the log: {line}");
        }
    }
    std::fs::remove_dir_all(dir).ok();
}
