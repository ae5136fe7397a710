//! Several app nodes: two `sipas serve` processes on one database share the e-mail outbox
//! through its lease, so every invitation reaches a real SMTP server (aiosmtpd) exactly once.
//!
//! It runs on PostgreSQL (`TEST_DATABASE_URL`) and, by default, on one SQLite file that both
//! processes open (WAL mode; writers wait on each other through the busy timeout), because
//! the claim is the same conditional UPDATE on both backends. The nodes' JSON logs tell which
//! node sent which outbox row. A second test forces the one interleaving that timing alone
//! rarely produces: a row sent by one node while another was about to claim it.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use sea_orm::TransactionTrait;
use serde_json::{Value, json};
use sipas::domain::dossiers::EmailAddress;
use sipas::domain::invitations::Recipient;
use sipas::persistence::outbox;
use uuid::Uuid;

use crate::dossiers::{BATCH, dossier, register, setup};
use crate::helpers::{TestDatabase, spawn_app_for_process};
use crate::invitations::{SmtpSink, free_port};
use crate::process::{sipas, workdir};

const DOSSIERS: usize = 200;
/// Dossiers per batch request; the batches alternate between the nodes.
const PER_BATCH: usize = 25;

/// A running `sipas serve` process and every line it logged (JSON); killed on drop.
pub(crate) struct Node {
    child: Child,
    pub(crate) address: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Node {
    /// Starts `cmd` and waits until it logs its address. Blocking: call it off the runtime.
    pub(crate) fn start(mut cmd: Command) -> Node {
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start sipas");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        // The guard exists from here on, so a failed start still kills the process.
        let mut node = Node {
            child,
            address: String::new(),
            log,
        };
        let start = Instant::now();
        loop {
            let listening = node
                .lines()
                .into_iter()
                .find(|l| l.contains("sipas is listening"));
            if let Some(line) = listening {
                let parsed: Value = serde_json::from_str(&line).unwrap();
                node.address = format!("http://{}", parsed["fields"]["address"].as_str().unwrap());
                return node;
            }
            let exited = node.child.try_wait().unwrap();
            assert!(
                exited.is_none() && start.elapsed() < Duration::from_secs(60),
                "sipas did not start ({exited:?}): {:?}",
                node.lines()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(crate) fn lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// The outbox rows this node reported as sent, with the kind of message.
    pub(crate) fn sent(&self) -> Vec<(String, String)> {
        self.lines()
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["fields"]["message"] == "e-mail sent")
            .map(|v| {
                let field = |k: &str| v["fields"][k].as_str().unwrap_or_default().to_owned();
                (field("outbox_id"), field("kind"))
            })
            .collect()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `sipas serve` on `url`, sending through the SMTP server on `smtp_port`, polling often and in
/// small rounds so that the two nodes compete for the same rows.
pub(crate) fn serve(dir: &Path, url: &str, smtp_port: u16) -> Command {
    let mut cmd = sipas(dir);
    cmd.args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", url)
        .env("APP_LOG__FORMAT", "json")
        .env("APP_SERVER__WORKERS", "1")
        .env("APP_SERVER__SHUTDOWN_TIMEOUT_SECS", "1")
        .env("APP_EMAIL__TRANSPORT", "smtp")
        .env("APP_EMAIL__SMTP_HOST", "127.0.0.1")
        .env("APP_EMAIL__SMTP_PORT", smtp_port.to_string())
        .env("APP_EMAIL__SMTP_TLS", "none")
        .env("APP_EMAIL__SMTP_TIMEOUT_SECS", "10")
        .env("APP_EMAIL__POLL_INTERVAL_MS", "50")
        .env("APP_EMAIL__BATCH_SIZE", "5")
        .env("APP_EMAIL__RETRY_BASE_MS", "200")
        .env("APP_EMAIL__RETRY_MAX_MS", "1000")
        .env("APP_EMAIL__MAX_ATTEMPTS", "100");
    // The reminder stays at its default (3 days): any second message is a duplicate.
    cmd
}

/// Runs blocking work (process calls, waiting on a child) off the shared test runtime.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// An admin key and two `sipas serve` nodes on `url` (sending mail to `smtp_port`), with the
/// agency SO created.
async fn two_nodes(dir: &Path, url: &str, smtp_port: u16) -> (String, [Node; 2]) {
    // `keys create` applies the migrations first, so the two nodes start on a ready schema.
    let admin = admin_key(dir, url).await;
    // Both nodes start at once: they publish the forms one after the other (the start lock).
    let nodes = start_two(dir, url, smtp_port, |_| {}).await;
    create_province(&nodes[0], &admin).await;
    (admin, nodes)
}

/// Two `sipas serve` processes started at the same moment on `url`, with `tune` applied to
/// each command.
pub(crate) async fn start_two(
    dir: &std::path::Path,
    url: &str,
    smtp_port: u16,
    tune: impl Fn(&mut Command),
) -> [Node; 2] {
    let start = || {
        let mut cmd = serve(dir, url, smtp_port);
        tune(&mut cmd);
        blocking(move || Node::start(cmd))
    };
    let (a, b) = tokio::join!(start(), start());
    [a, b]
}

/// A new admin key through the command line (which migrates the database first).
pub(crate) async fn admin_key(dir: &Path, url: &str) -> String {
    let (dir, url) = (dir.to_path_buf(), url.to_owned());
    let out = blocking(move || {
        sipas(&dir)
            .args(["keys", "create", "--role", "admin"])
            .env("DATABASE_URL", url)
            .output()
            .unwrap()
    })
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Creates the agency SO through `node`.
pub(crate) async fn create_province(node: &Node, admin: &str) {
    let res = crate::helpers::http_client()
        .build()
        .unwrap()
        .post(format!("{}/api/v1/agencies", node.address))
        .bearer_auth(admin)
        .json(&json!({"code": "SO", "name": {"vi": "Sở Nội vụ"}, "kind": "province"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
}

/// Waits (two minutes at most) until `total()` messages have arrived, then `settle` longer for
/// any duplicate to show up.
pub(crate) async fn wait_for_messages(
    total: impl Fn() -> usize,
    expected: usize,
    settle: Duration,
) {
    let start = Instant::now();
    while total() < expected {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "only {} of {expected} invitations arrived",
            total()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(settle).await;
}

/// Messages per recipient; fails when anyone got more than one.
pub(crate) fn once_each(recipients: impl IntoIterator<Item = String>) -> BTreeMap<String, usize> {
    let mut received: BTreeMap<String, usize> = BTreeMap::new();
    for to in recipients {
        *received.entry(to).or_default() += 1;
    }
    let twice: Vec<_> = received.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    received
}

#[tokio::test]
async fn two_nodes_share_the_outbox_and_send_every_invitation_once() {
    let database = TestDatabase::create().await;
    let dir = workdir();
    let url = database.url_for_process(&dir);

    let smtp_port = free_port();
    let smtp = blocking(move || SmtpSink::start(smtp_port)).await;
    let start = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", smtp_port))
        .await
        .is_err()
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "aiosmtpd does not listen (pip install aiosmtpd)"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let (admin, nodes) = two_nodes(&dir, &url, smtp_port).await;
    let client = crate::helpers::http_client().build().unwrap();

    // Registrations alternate between the nodes while both workers are already sending.
    let addresses: Vec<String> = (0..DOSSIERS)
        .map(|i| format!("citizen{i}@example.vn"))
        .collect();
    for (n, chunk) in addresses.chunks(PER_BATCH).enumerate() {
        let items: Vec<Value> = chunk
            .iter()
            .map(|email| {
                let mut d = dossier("SO", &format!("NODES-{email}"));
                d["contact"] = json!({"email": email});
                d
            })
            .collect();
        let node = &nodes[n % nodes.len()];
        let res: Value = client
            .post(format!("{}{BATCH}", node.address))
            .bearer_auth(&admin)
            .json(&json!({"dossiers": items}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let results = res["results"].as_array().expect("batch results");
        assert!(
            results.len() == chunk.len() && results.iter().all(|r| r["status"] == 201),
            "{res}"
        );
    }

    // Many more polling rounds on both nodes: time for any duplicate to show up.
    wait_for_messages(|| smtp.total(), DOSSIERS, Duration::from_secs(2)).await;
    let received = once_each(smtp.received.lock().unwrap().iter().map(|message| {
        let to = message
            .lines()
            .find_map(|l| l.strip_prefix("To: "))
            .unwrap_or_else(|| panic!("no To: header in {message}"));
        to.trim().to_owned()
    }));
    let expected: HashSet<&str> = addresses.iter().map(String::as_str).collect();
    let got: HashSet<&str> = received.keys().map(String::as_str).collect();
    assert_eq!(got, expected, "every citizen gets exactly one message");

    // The nodes' own accounts agree: each row was sent once, by one node, as an invitation.
    let sent: Vec<Vec<(String, String)>> = nodes.iter().map(Node::sent).collect();
    let mut rows = HashSet::new();
    for (id, kind) in sent.iter().flatten() {
        assert_eq!(kind, "invitation", "row {id}");
        assert!(rows.insert(id.clone()), "row {id} was sent twice");
    }
    assert_eq!(rows.len(), DOSSIERS);
    // Which node sends what is up to timing, so that both sent some is reported, not asserted.
    println!(
        "{}: invitations sent per node: {:?}",
        if database.is_postgres() {
            "PostgreSQL"
        } else {
            "SQLite file"
        },
        sent.iter().map(Vec::len).collect::<Vec<_>>()
    );

    blocking(move || drop((nodes, smtp))).await;
    std::fs::remove_dir_all(dir).ok();
}

/// The interleaving behind a duplicate, made deterministic: node B picks its candidates, then
/// node A claims the same row, sends the invitation and schedules the reminder before B's claim
/// runs (here B's claim waits on A's open transaction). B must not claim the row again: its
/// reminder is not due for days.
#[tokio::test]
async fn a_row_another_node_sent_meanwhile_is_not_claimed_again() {
    let dir = workdir();
    // A SQLite file (not the one-connection in-memory database) so that B runs beside A.
    let (app, _url) = spawn_app_for_process(&dir).await;
    let admin = setup(&app).await;
    let registered = register(&app, &admin, &dossier("SO", "NODES-RACE"), 201).await;
    let dossier_id: Uuid = registered["dossier_id"].as_str().unwrap().parse().unwrap();
    // Queued for a minute from now, so the app's own worker leaves it alone; both nodes below
    // work at that time.
    let due = Utc::now() + TimeDelta::minutes(1);
    outbox::insert_many(
        &app.db,
        &[outbox::NewInvitation {
            dossier_id,
            to: Recipient::Email(EmailAddress::parse("race@example.vn").unwrap()),
            expires_at: due + TimeDelta::days(30),
        }],
        due,
    )
    .await
    .unwrap();
    let lease = TimeDelta::minutes(5);

    // Node A claims the row and, in the same still-open transaction, reports it sent.
    let a = app.db.begin().await.unwrap();
    let claimed = outbox::claim_due(&a, due, lease, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    outbox::invitation_sent(&a, claimed[0].id, due, Some(due + TimeDelta::days(3)))
        .await
        .unwrap();
    // Node B's round: it still sees the row due and unleased, and its claim waits for A.
    let b = tokio::spawn({
        let db = app.db.clone();
        async move { outbox::claim_due(&db, due, lease, 10).await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    a.commit().await.unwrap();
    let again = b.await.unwrap();
    assert!(
        again.is_empty(),
        "claimed again after it was sent: {:?}",
        again.iter().map(|c| c.kind).collect::<Vec<_>>()
    );
    drop(app);
    std::fs::remove_dir_all(dir).ok();
}

/// Exactly once across processes: for each of a few dossiers, 100 concurrent submissions (two
/// different bodies, alternating between two `sipas serve` nodes on one database) store exactly
/// one response; everyone gets the one receipt (201/200) or 409.
#[tokio::test]
async fn two_nodes_store_one_response_per_dossier_under_concurrent_submissions() {
    const DOSSIERS_HERE: usize = 4;
    const REQUESTS: usize = 100;
    let database = TestDatabase::create().await;
    let dir = workdir();
    let url = database.url_for_process(&dir);
    // No invitations are sent: no SMTP server is needed.
    let (admin, nodes) = two_nodes(&dir, &url, free_port()).await;
    let client = crate::helpers::http_client().build().unwrap();
    let form: Value = client
        .get(format!("{}/api/v1/forms/sipas-2017", nodes[1].address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Two clients, each retrying its own attempt (its own submission key): the winner's retries
    // get its receipt, the other's get 409.
    let bodies = [(5, "client-five-0123456789"), (2, "client-two-0123456789")].map(
        |(level, key)| {
            json!({"answers": crate::responses::all_scales(&form, level), "submission_key": key})
        },
    );

    for d in 0..DOSSIERS_HERE {
        let reg: Value = client
            .post(format!("{}/api/v1/dossiers", nodes[d % 2].address))
            .bearer_auth(&admin)
            .json(&dossier("SO", &format!("TWO-{d}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = reg["survey_token"].as_str().unwrap().to_owned();
        let tasks: Vec<_> = (0..REQUESTS)
            .map(|i| {
                let url = format!("{}/api/v1/surveys/{token}/response", nodes[i % 2].address);
                let (client, body) = (client.clone(), bodies[(i / 2) % 2].clone());
                tokio::spawn(async move {
                    let res = client.post(url).json(&body).send().await.unwrap();
                    let status = res.status().as_u16();
                    (i, status, res.json::<Value>().await.unwrap())
                })
            })
            .collect();
        let mut created = Vec::new();
        let mut receipts = HashSet::new();
        for task in tasks {
            let (i, status, body) = task.await.unwrap();
            match status {
                201 => created.push(i),
                200 => {}
                409 => {
                    assert_eq!(body["code"], "already_answered");
                    continue;
                }
                other => panic!("dossier {d}, request {i}: {other} {body}"),
            }
            receipts.insert(body["receipt"].as_str().unwrap().to_owned());
        }
        assert_eq!(created.len(), 1, "dossier {d}: exactly one 201");
        assert_eq!(receipts.len(), 1, "dossier {d}: one receipt");
    }

    let db = sea_orm::Database::connect(url.as_str()).await.unwrap();
    let count = |sql: &'static str| {
        let db = db.clone();
        async move {
            use sea_orm::ConnectionTrait;
            db.query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                sql,
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap()
        }
    };
    // Stored, pending while their month is open.
    assert_eq!(
        count("SELECT (SELECT COUNT(*) FROM responses) + (SELECT COUNT(*) FROM pending_responses)")
            .await,
        DOSSIERS_HERE as i64
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM dossiers WHERE answered").await,
        DOSSIERS_HERE as i64
    );
    db.close().await.unwrap();
    blocking(move || drop(nodes)).await;
    std::fs::remove_dir_all(dir).ok();
}
