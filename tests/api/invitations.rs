//! Invitations and reminders through a real SMTP server (`python3 -m aiosmtpd`, Debian package
//! python3-aiosmtpd), which is down at first: every invitation still arrives exactly once, one
//! reminder follows unless the survey was answered, and the addresses are erased afterwards.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use sipas::config::{EmailTransport, SmtpTls};
use sipas::persistence::{dossiers as store, outbox};

use crate::dossiers::{BATCH, dossier, setup};
use crate::helpers::spawn_app_with;

/// An aiosmtpd process printing every message it receives; killed on drop.
pub struct SmtpSink {
    child: Child,
    pub received: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    pub fn start(port: u16) -> Self {
        let mut child = Command::new("python3")
            .args([
                "-u",
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 is needed for the SMTP test");
        let stdout = child.stdout.take().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = received.clone();
        std::thread::spawn(move || {
            let mut current = String::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("------------ END MESSAGE") {
                    sink.lock().unwrap().push(std::mem::take(&mut current));
                } else {
                    current.push_str(&line);
                    current.push('\n');
                }
            }
        });
        Self { child, received }
    }

    pub fn to(&self, address: &str) -> usize {
        let header = format!("To: {address}\n");
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.contains(&header))
            .count()
    }

    pub fn total(&self) -> usize {
        self.received.lock().unwrap().len()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub async fn max_attempts(app: &crate::helpers::TestApp) -> i64 {
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT MAX(attempts) FROM outbox",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<Option<i32>>(0)
        .unwrap()
        .map(i64::from)
        .unwrap_or(0)
}

/// An outbox that polls every 100 ms, retries after 200–400 ms up to `max_attempts`, and
/// reminds after 3 seconds.
pub fn fast_outbox(email: &mut sipas::config::EmailSettings, max_attempts: u32) {
    email.poll_interval_ms = 100;
    email.retry_base_ms = 200;
    email.retry_max_ms = 400;
    email.max_attempts = max_attempts;
    email.reminder_delay_secs = 3;
}

pub async fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn invitations_arrive_exactly_once_after_the_smtp_server_comes_up() {
    let available = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        available,
        "the SMTP test needs aiosmtpd: apt-get install python3-aiosmtpd (or pip install aiosmtpd)"
    );
    let port = free_port();
    let app = spawn_app_with(|s| {
        s.email.transport = EmailTransport::Smtp;
        s.email.smtp_host = "127.0.0.1".into();
        s.email.smtp_port = port;
        s.email.smtp_tls = SmtpTls::None;
        s.email.smtp_timeout_secs = 5;
        fast_outbox(&mut s.email, 100);
    })
    .await;
    let admin = setup(&app).await;
    let addresses = ["a1@example.vn", "a2@example.vn", "a3@example.vn"];
    let mut items: Vec<Value> = addresses
        .iter()
        .enumerate()
        .map(|(i, email)| {
            let mut d = dossier("SO", &format!("M-{i}"));
            d["contact"] = json!({"email": email});
            d
        })
        .collect();
    items.push(dossier("SO", "M-no-contact"));
    let res: Value = app
        .post_json(Some(&admin), BATCH, &json!({"dossiers": items}))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        res["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == 201),
        "{res}"
    );
    // Registering the same dossiers again queues nothing more.
    let again: Value = app
        .post_json(Some(&admin), BATCH, &json!({"dossiers": items}))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        again["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == 200)
    );

    // The server is down: sends fail and are retried.
    let start = Instant::now();
    while max_attempts(&app).await < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "no failed attempts recorded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let smtp = SmtpSink::start(port);
    wait_until("three invitations", Duration::from_secs(20), || {
        smtp.total() >= 3
    })
    .await;
    // The third citizen answers before the reminder is due.
    let third: uuid::Uuid = res["results"][2]["dossier_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    store::mark_answered(&app.db, third).await.unwrap();
    for address in addresses {
        assert_eq!(smtp.to(address), 1, "one invitation to {address}");
    }
    wait_until("two reminders", Duration::from_secs(20), || {
        smtp.total() >= 5
    })
    .await;
    // Time for any duplicate or extra reminder to show up.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.to(addresses[0]), 2);
    assert_eq!(smtp.to(addresses[1]), 2);
    assert_eq!(smtp.to(addresses[2]), 1, "no reminder after an answer");
    assert_eq!(smtp.total(), 5);

    let messages = smtp.received.lock().unwrap().clone();
    let first = &messages[0];
    assert!(first.contains("multipart/alternative"), "{first}");
    let survey_url = res["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["survey_url"].as_str().unwrap().to_owned())
        .find(|url| messages.iter().any(|m| m.contains(url.as_str())));
    assert!(survey_url.is_some(), "the link is in the message: {first}");

    // Every address is erased once nothing more will be sent.
    assert_eq!(outbox::stored_addresses(&app.db).await.unwrap(), 0);
}
