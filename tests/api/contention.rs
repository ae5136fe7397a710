//! Under contention and failure: nodes starting together on a new database, write transactions
//! that read first on SQLite, an SMTP server slower than the outbox lease, and a response writer
//! that stops.

use sipas::error::ProblemCode;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::dossiers::{BATCH, dossier, register, setup};
use crate::helpers::{
    TestDatabase, assert_problem, spawn_app_for_process, spawn_app_for_process_with,
    spawn_app_supervised,
};
use crate::invitations::free_port;
use crate::nodes::{admin_key, blocking, create_province, once_each, start_two, wait_for_messages};
use crate::process::workdir;
use crate::responses::all_scales;

/// A new, empty database: both nodes migrate it, move in the forms and come up; the migration
/// table lists each migration once.
#[tokio::test]
async fn two_nodes_started_together_on_a_new_database_both_come_up() {
    let database = TestDatabase::create().await;
    let dir = workdir();
    let url = database.url_for_process(&dir);
    let nodes = start_two(&dir, &url, free_port(), |_| {}).await;
    let client = crate::helpers::http_client().build().unwrap();
    for node in &nodes {
        let ready = client
            .get(format!("{}/ready", node.address))
            .send()
            .await
            .unwrap();
        assert_eq!(ready.status().as_u16(), 200, "{:?}", node.lines());
        let forms: Value = client
            .get(format!("{}/api/v1/forms", node.address))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(forms.as_array().map(Vec::len), Some(4), "{forms}");
    }
    let db = sea_orm::Database::connect(url.as_str()).await.unwrap();
    let dup = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) - COUNT(DISTINCT version) FROM seaql_migrations",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert_eq!(dup, 0);
    db.close().await.unwrap();
    blocking(move || drop(nodes)).await;
    std::fs::remove_dir_all(dir).ok();
}

/// SQLite: a write transaction that reads first, while another connection commits a write in
/// between, neither fails. A deferred transaction would hold a read snapshot that the other
/// commit made stale, and SQLite refuses its first write at once ("database is locked") instead
/// of waiting; `begin_write` takes the write lock at `BEGIN`, so the other writer waits.
#[tokio::test]
async fn a_write_transaction_that_reads_first_waits_instead_of_failing() {
    if crate::helpers::on_postgres() {
        return;
    }
    let dir = workdir();
    let (app, url) = spawn_app_for_process(&dir).await;
    let other = sea_orm::Database::connect(url.as_str()).await.unwrap();
    let sql = |s: &str| Statement::from_string(sea_orm::DatabaseBackend::Sqlite, s.to_owned());
    app.db
        .execute_raw(sql("CREATE TABLE counter (n INTEGER)"))
        .await
        .unwrap();
    app.db
        .execute_raw(sql("INSERT INTO counter VALUES (0)"))
        .await
        .unwrap();

    let txn = sipas::persistence::begin_write(&app.db).await.unwrap();
    txn.query_one_raw(sql("SELECT n FROM counter"))
        .await
        .unwrap();
    let meanwhile = tokio::spawn(async move {
        other
            .execute_raw(sql("UPDATE counter SET n = n + 10"))
            .await
            .map(drop)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    txn.execute_raw(sql("UPDATE counter SET n = n + 1"))
        .await
        .expect("the transaction's own write");
    txn.commit().await.unwrap();
    meanwhile.await.unwrap().expect("the other write waited");
    let n = app
        .db
        .query_one_raw(sql("SELECT n FROM counter"))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert_eq!(n, 11);
    drop(app);
    std::fs::remove_dir_all(dir).ok();
}

/// An SMTP server (aiosmtpd) that takes `delay` seconds to accept each message and prints each
/// one it accepted; killed on drop.
struct SlowSmtp {
    child: Child,
    received: Arc<Mutex<Vec<String>>>,
}

const SLOW_SMTP: &str = r#"
import asyncio, sys, time
from aiosmtpd.controller import Controller

class Slow:
    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(float(sys.argv[2]))
        for to in envelope.rcpt_tos:
            print("TO " + to, flush=True)
        return "250 OK"

Controller(Slow(), hostname="127.0.0.1", port=int(sys.argv[1])).start()
print("LISTENING", flush=True)
while True:
    time.sleep(3600)
"#;

impl SlowSmtp {
    fn start(port: u16, delay_secs: f64) -> Self {
        let mut child = Command::new("python3")
            .args([
                "-u",
                "-c",
                SLOW_SMTP,
                &port.to_string(),
                &delay_secs.to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        assert_eq!(
            lines.next().and_then(Result::ok).as_deref(),
            Some("LISTENING"),
            "the slow SMTP server did not start (pip install aiosmtpd)"
        );
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = received.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if let Some(to) = line.strip_prefix("TO ") {
                    sink.lock().unwrap().push(to.to_owned());
                }
            }
        });
        Self { child, received }
    }

    fn total(&self) -> usize {
        self.received.lock().unwrap().len()
    }
}

impl Drop for SlowSmtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Each message takes the SMTP server longer than the outbox lease. Without renewing, the lease
/// of a row being sent (and of the rows waiting behind it in the same round) runs out, the other
/// node claims them and sends them too. With it, every address gets one message.
#[tokio::test]
async fn a_smtp_server_slower_than_the_lease_causes_no_duplicate() {
    const ADDRESSES: usize = 8;
    let database = TestDatabase::create().await;
    let dir = workdir();
    let url = database.url_for_process(&dir);
    let smtp_port = free_port();
    let smtp = blocking(move || SlowSmtp::start(smtp_port, 1.5)).await;
    let nodes = start_two(&dir, &url, smtp_port, |cmd| {
        cmd.env("APP_EMAIL__LEASE_SECS", "1");
    })
    .await;
    let admin = admin_key(&dir, &url).await;
    create_province(&nodes[0], &admin).await;
    let client = crate::helpers::http_client().build().unwrap();
    let items: Vec<Value> = (0..ADDRESSES)
        .map(|i| {
            let mut d = dossier("SO", &format!("SLOW-{i}"));
            d["contact"] = json!({"email": format!("slow{i}@example.vn")});
            d
        })
        .collect();
    let res = client
        .post(format!("{}{BATCH}", nodes[1].address))
        .bearer_auth(&admin)
        .json(&json!({"dossiers": items}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);

    // Longer than a send and several leases: time for a duplicate to arrive.
    wait_for_messages(|| smtp.total(), ADDRESSES, Duration::from_secs(4)).await;
    let received = once_each(smtp.received.lock().unwrap().iter().cloned());
    assert_eq!(received.len(), ADDRESSES, "{received:?}");
    blocking(move || drop((nodes, smtp))).await;
    std::fs::remove_dir_all(dir).ok();
}

/// A registered dossier `code` of agency SO: its survey token, and a complete answer to it with
/// a submission key (so that sending it again tells whether it was stored).
async fn a_survey(app: &crate::helpers::TestApp, code: &str) -> (String, Value) {
    let admin = setup(app).await;
    a_survey_of(app, &admin, code).await
}

/// [`a_survey`] with the admin key already made.
async fn a_survey_of(app: &crate::helpers::TestApp, admin: &str, code: &str) -> (String, Value) {
    let registered = register(app, admin, &dossier("SO", code), 201).await;
    let token = registered["survey_token"].as_str().unwrap().to_owned();
    let form: Value = app
        .get("/api/v1/forms/sipas-2017")
        .await
        .json()
        .await
        .unwrap();
    let key = format!("{}-0123456789", code.to_lowercase());
    (
        token,
        json!({"answers": all_scales(&form, 4), "submission_key": key}),
    )
}

fn answer_path(token: &str) -> String {
    format!("/api/v1/surveys/{token}/response")
}

/// The response writer stops (as a crash of its task would): `/ready` answers 503 at once,
/// a submission gets 503 `not_ready` instead of waiting, and the server stops with an error
/// after the configured delay, so the process exits non-zero for its supervisor to restart it.
#[tokio::test]
async fn a_stopped_writer_makes_ready_503_and_the_server_end_with_an_error() {
    let (app, server) = spawn_app_supervised(|s| s.responses.exit_delay_secs = 3).await;
    let (token, body) = a_survey(&app, "WRITER-GONE").await;
    assert_eq!(app.get("/ready").await.status().as_u16(), 200);

    server.writer.abort();
    let start = Instant::now();
    while server.writer.is_running() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the writer still runs"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_problem(app.get("/ready").await, ProblemCode::NotReady).await;
    let res = app.post_json(None, &answer_path(&token), &body).await;
    assert_problem(res, ProblemCode::NotReady).await;

    let ended = tokio::time::timeout(Duration::from_secs(60), server.run)
        .await
        .expect("the server stops")
        .unwrap();
    let err = ended.expect_err("the server ends with an error");
    assert!(err.to_string().contains("writer"), "{err}");
}

/// The writer task runs but cannot finish a batch (another connection holds the database's
/// write lock): once that has lasted longer than a submission waits, `/ready` answers 503 — a
/// load balancer stops sending answers that would only time out — and 200 again when the batch
/// is through; the answer sent meanwhile is stored, and sending it again gets its receipt.
#[tokio::test]
async fn a_writer_stuck_behind_a_lock_makes_ready_503_until_it_is_through() {
    let dir = workdir();
    let (app, url) = spawn_app_for_process_with(&dir, |s| s.responses.writer_wait_secs = 1).await;
    let (token, body) = a_survey(&app, "WRITER-STUCK").await;
    assert_eq!(app.get("/ready").await.status().as_u16(), 200);

    // Another client holds the write lock (SQLite) or locks the dossiers (PostgreSQL).
    let other = sea_orm::Database::connect(&url).await.unwrap();
    let lock = sipas::persistence::begin_write(&other).await.unwrap();
    if other.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        lock.execute_unprepared("LOCK TABLE dossiers IN EXCLUSIVE MODE")
            .await
            .unwrap();
    } else {
        lock.execute_unprepared("UPDATE agencies SET code = code")
            .await
            .unwrap();
    }
    let url_submit = format!("{}{}", app.address, answer_path(&token));
    let (client, sent) = (app.client.clone(), body.clone());
    let submitted = tokio::spawn(async move { client.post(url_submit).json(&sent).send().await });

    let start = Instant::now();
    let stalled = loop {
        let res = app.get("/ready").await;
        if res.status().as_u16() == 503 {
            break assert_problem(res, ProblemCode::NotReady).await;
        }
        assert!(
            start.elapsed() < Duration::from_secs(8),
            "/ready stayed 200"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        stalled["detail"].as_str().unwrap().contains("one batch"),
        "{stalled}"
    );
    assert_problem(submitted.await.unwrap().unwrap(), ProblemCode::NotReady).await;

    lock.commit().await.unwrap();
    let start = Instant::now();
    while app.get("/ready").await.status().as_u16() != 200 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "/ready stayed 503"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let again = app.post_json(None, &answer_path(&token), &body).await;
    assert_eq!(
        again.status().as_u16(),
        200,
        "the answer was stored meanwhile"
    );
    other.close().await.ok();
    std::fs::remove_dir_all(dir).ok();
}

/// Statements that make every later COMMIT that inserted an answer fail (a deferred constraint
/// checked only at COMMIT), on SQLite and on PostgreSQL.
const REFUSE_COMMITS: [&str; 3] = [
    "CREATE TABLE commit_guard_parent (id INTEGER PRIMARY KEY)",
    "CREATE TABLE commit_guard (x INTEGER REFERENCES commit_guard_parent (id) \
     DEFERRABLE INITIALLY DEFERRED)",
    "CREATE TRIGGER commit_guard_t AFTER INSERT ON pending_responses \
     BEGIN INSERT INTO commit_guard (x) VALUES (1); END",
];
const REFUSE_COMMITS_PG: [&str; 2] = [
    "CREATE FUNCTION commit_guard_f() RETURNS trigger LANGUAGE plpgsql AS \
     $$ BEGIN RAISE EXCEPTION 'commit refused'; END $$",
    "CREATE CONSTRAINT TRIGGER commit_guard_t AFTER INSERT ON pending_responses \
     DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION commit_guard_f()",
];

/// A batch whose COMMIT fails (here a deferred constraint; a full disk or an I/O error alike)
/// stores nothing and answers no 201: every submission of it gets 500, no dossier is left
/// answered, and the writer goes on — once COMMITs succeed again, the same answers are stored,
/// once each. On a SQLite file this is the writer's synchronous lane, whose connection must not
/// stay inside the failed transaction.
#[tokio::test]
async fn a_batch_whose_commit_fails_stores_nothing_and_answers_no_201() {
    let dir = workdir();
    let (app, url) = spawn_app_for_process_with(&dir, |_| {}).await;
    let admin = setup(&app).await;
    let mut surveys = Vec::new();
    for i in 0..8 {
        surveys.push(a_survey_of(&app, &admin, &format!("COMMIT-FAILS-{i}")).await);
    }
    let other = sea_orm::Database::connect(&url).await.unwrap();
    let backend = other.get_database_backend();
    let refuse: &[&str] = if backend == sea_orm::DatabaseBackend::Postgres {
        &REFUSE_COMMITS_PG
    } else {
        &REFUSE_COMMITS
    };
    for sql in refuse {
        other.execute_unprepared(sql).await.unwrap();
    }
    let answered = || async {
        other
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT COUNT(*) AS n FROM dossiers WHERE answered",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap()
    };

    let send_all = || {
        let sends = surveys.iter().map(|(token, body)| {
            let (client, url) = (
                app.client.clone(),
                format!("{}{}", app.address, answer_path(token)),
            );
            let body = body.clone();
            async move { client.post(url).json(&body).send().await.unwrap() }
        });
        futures_util::future::join_all(sends)
    };
    for res in send_all().await {
        assert_problem(res, ProblemCode::Internal).await;
    }
    assert_eq!(app.count_answers().await, 0);
    assert_eq!(answered().await, 0);

    let drop_guard = if backend == sea_orm::DatabaseBackend::Postgres {
        "DROP TRIGGER commit_guard_t ON pending_responses"
    } else {
        "DROP TRIGGER commit_guard_t"
    };
    other.execute_unprepared(drop_guard).await.unwrap();
    for res in send_all().await {
        assert_eq!(res.status().as_u16(), 201);
    }
    assert_eq!(app.count_answers().await, 8);
    assert_eq!(answered().await, 8);
    other.close().await.ok();
    std::fs::remove_dir_all(dir).ok();
}
