//! The test harness: `spawn_app()` starts the real application on port 0 with the real
//! migrations, on in-memory SQLite by default or on a fresh PostgreSQL database `test_<uuid>`
//! when `TEST_DATABASE_URL` is set (dropped again when the `TestApp` is dropped).

use std::sync::LazyLock;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use sipas::config::Settings;
use sipas::domain::auth::{ApiKeySecret, Role};
use sipas::error::ProblemCode;
use sipas::persistence::api_keys::{self, NewApiKey};
use sipas::startup::Application;
use sipas::telemetry;
use uuid::Uuid;

static TRACING: LazyLock<()> = LazyLock::new(|| {
    // TEST_LOG=1 shows the application's logs; otherwise they are discarded.
    if std::env::var_os("TEST_LOG").is_some() {
        telemetry::init(sipas::config::LogFormat::Pretty, "debug", telemetry::Stderr);
    } else {
        telemetry::init(sipas::config::LogFormat::Pretty, "info", telemetry::Sink);
    }
});

/// A database for one test: its URL, and how to drop it afterwards (PostgreSQL only).
pub struct TestDatabase {
    pub url: String,
    pg: Option<PgDatabase>,
}

struct PgDatabase {
    admin_url: String,
    name: String,
}

impl TestDatabase {
    /// In-memory SQLite, or a new PostgreSQL database when `TEST_DATABASE_URL` is set.
    pub async fn create() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("test_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("TEST_DATABASE_URL must point at a reachable PostgreSQL server");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create the test database");
                admin.close().await.ok();
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(base, _)| base)
                    .expect("TEST_DATABASE_URL ends in /DBNAME");
                Self {
                    url: format!("{base}/{name}"),
                    pg: Some(PgDatabase { admin_url, name }),
                }
            }
            _ => Self {
                url: "sqlite::memory:".into(),
                pg: None,
            },
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }

    /// A file-backed URL for tests that run the binary: the PostgreSQL database, or a SQLite
    /// file inside `dir`.
    pub fn url_for_process(&self, dir: &std::path::Path) -> String {
        match &self.pg {
            Some(_) => self.url.clone(),
            None => format!("sqlite://{}/sipas.db?mode=rwc", dir.display()),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(pg) = self.pg.take() else { return };
        // Drop runs outside any runtime we may block on, so use a thread with its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(admin) = Database::connect(&pg.admin_url).await {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                            pg.name
                        ))
                        .await;
                    admin.close().await.ok();
                }
            });
        })
        .join();
    }
}

/// A running application and a client for it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The application's own pool (closing it simulates a lost database).
    pub db: DatabaseConnection,
    // Declared last so the server's pool is gone before the database is dropped (`None`: a
    // second node on another app's database, [`spawn_node`]).
    _database: Option<TestDatabase>,
}

/// The server secret of test runs on PostgreSQL, where a node refuses to start without one (on
/// SQLite the tests use what a zero-config start uses: a secret for the process, or a key file
/// beside the database file).
pub const PG_TEST_SECRET: &str = "test-secret-of-every-node-0123456789abcdef";

/// Whether the tests run on PostgreSQL (`TEST_DATABASE_URL` set).
/// A client builder for talking to the server under test. reqwest has TLS without a crypto
/// provider of its own (see Cargo.toml); the server's *ring* provider is installed first.
pub fn http_client() -> reqwest::ClientBuilder {
    sipas::sms::install_crypto_provider();
    reqwest::Client::builder()
}

/// `reqwest::get` through [`http_client`].
pub async fn http_get(url: impl reqwest::IntoUrl) -> reqwest::Result<reqwest::Response> {
    http_client().build()?.get(url).send().await
}

pub fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|url| !url.is_empty())
}

/// Settings for tests: the compiled-in defaults (no files, no environment), port 0, one worker;
/// on PostgreSQL [`PG_TEST_SECRET`].
pub fn test_settings(database_url: &str) -> Settings {
    let mut settings = Settings::defaults().expect("defaults");
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.workers = 1;
    settings.server.shutdown_timeout_secs = 1;
    settings.database.url = database_url.to_owned().into();
    settings.email.transport = sipas::config::EmailTransport::Stub;
    settings.sms.transport = sipas::config::SmsTransport::Stub;
    // The tests register dossiers on fixed dates (March 2025…), which the default retention
    // would refuse once they are 24 months old; the retention tests set it themselves.
    settings.retention.dossier_months = 0;
    if on_postgres() {
        settings.security.token_secret = Some(PG_TEST_SECRET.into());
    }
    settings
}

/// Starts the application on a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the application on a database that the `sipas` binary, run in `dir`, can open too (a
/// SQLite file in `dir`, or the test's PostgreSQL database). Returns the app and that URL.
pub async fn spawn_app_for_process(dir: &std::path::Path) -> (TestApp, String) {
    spawn_app_for_process_with(dir, |_| {}).await
}

/// [`spawn_app_for_process`] after letting the test adjust the settings.
pub async fn spawn_app_for_process_with(
    dir: &std::path::Path,
    adjust: impl FnOnce(&mut Settings),
) -> (TestApp, String) {
    let database = TestDatabase::create().await;
    let url = database.url_for_process(dir);
    let app = spawn_app_on(Some(database), &url, adjust).await;
    (app, url)
}

/// Starts the application after letting the test adjust the settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let database = TestDatabase::create().await;
    let url = database.url.clone();
    spawn_app_on(Some(database), &url, adjust).await
}

async fn spawn_app_on(
    database: Option<TestDatabase>,
    url: &str,
    adjust: impl FnOnce(&mut Settings),
) -> TestApp {
    spawn_supervised(database, url, adjust).await.0
}

/// The server's own end: what `run_until_stopped` returned, and the response writer.
pub struct Supervised {
    pub run: tokio::task::JoinHandle<anyhow::Result<()>>,
    pub writer: sipas::persistence::responses::ResponseWriter,
}

/// [`spawn_app_with`], keeping the server's end and its response writer.
pub async fn spawn_app_supervised(adjust: impl FnOnce(&mut Settings)) -> (TestApp, Supervised) {
    let database = TestDatabase::create().await;
    let url = database.url.clone();
    spawn_supervised(Some(database), &url, adjust).await
}

async fn spawn_supervised(
    database: Option<TestDatabase>,
    url: &str,
    adjust: impl FnOnce(&mut Settings),
) -> (TestApp, Supervised) {
    LazyLock::force(&TRACING);
    let mut settings = test_settings(url);
    adjust(&mut settings);
    let app = Application::build(settings).await.expect("build the app");
    let address = format!("http://{}", app.local_addr());
    let db = app.db().clone();
    let writer = app.response_writer();
    let run = tokio::spawn(app.run_until_stopped());
    let app = TestApp {
        address,
        client: http_client()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        db,
        _database: database,
    };
    (app, Supervised { run, writer })
}

/// Starts the application with `settings` on `db`, an open connection to `database` that the
/// test prepared (an in-memory SQLite database exists only inside that connection).
pub async fn spawn_app_on_db(
    database: TestDatabase,
    db: DatabaseConnection,
    settings: Settings,
) -> TestApp {
    LazyLock::force(&TRACING);
    let app = Application::build_with_db(settings, db)
        .await
        .expect("build the app");
    let address = format!("http://{}", app.local_addr());
    let db = app.db().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: http_client()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        db,
        _database: Some(database),
    }
}

/// Starts another node of the application on the database at `url` (from
/// [`spawn_app_for_process`], whose app must outlive this one), with adjusted settings.
pub async fn spawn_node(url: &str, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(None, url, adjust).await
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// GET with `Authorization: Bearer key`.
    pub async fn get_as(&self, key: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(key)
            .send()
            .await
            .expect("request")
    }

    /// GET with a key, expecting 200 and JSON.
    pub async fn get_json(&self, key: &str, path: &str) -> Value {
        let res = self.get_as(key, path).await;
        assert_eq!(res.status().as_u16(), 200, "GET {path}");
        res.json().await.expect("JSON body")
    }

    /// Closes `month` (`YYYY-MM`) and every earlier open month with the admin key `admin`
    /// (`POST /api/v1/months/{month}/close`): their answers are published. Returns the body.
    pub async fn close_month(&self, admin: &str, month: &str) -> Value {
        let path = format!("/api/v1/months/{month}/close");
        let res = self.post_json(Some(admin), &path, &json!({})).await;
        assert_eq!(res.status().as_u16(), 200, "closing {month}");
        res.json().await.expect("JSON body")
    }

    /// Answers stored, published or pending: rows of `responses` and `pending_responses`.
    pub async fn count_answers(&self) -> u64 {
        use sea_orm::{ConnectionTrait, Statement};
        let mut total = 0;
        for table in ["responses", "pending_responses"] {
            let sql = format!("SELECT COUNT(*) AS n FROM {table}");
            let row = self
                .db
                .query_one_raw(Statement::from_string(self.db.get_database_backend(), sql))
                .await
                .expect("count")
                .expect("a row");
            total += row.try_get::<i64>("", "n").expect("n") as u64;
        }
        total
    }

    /// POST a JSON body, with `Authorization: Bearer key` when a key is given.
    pub async fn post_json(
        &self,
        key: Option<&str>,
        path: &str,
        body: &Value,
    ) -> reqwest::Response {
        self.post_raw(
            key,
            path,
            "application/json",
            serde_json::to_vec(body).unwrap(),
        )
        .await
    }

    /// POST raw bytes with a content type.
    pub async fn post_raw(
        &self,
        key: Option<&str>,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body);
        if let Some(key) = key {
            req = req.bearer_auth(key);
        }
        req.send().await.expect("request")
    }

    /// Creates an agency through the API and asserts the 201.
    pub async fn create_agency(
        &self,
        key: &str,
        code: &str,
        kind: &str,
        parent: Option<&str>,
    ) -> Value {
        let mut body =
            json!({"code": code, "name": {"vi": format!("Cơ quan {code}")}, "kind": kind});
        if let Some(parent) = parent {
            body["parent_code"] = json!(parent);
        }
        let res = self.post_json(Some(key), "/api/v1/agencies", &body).await;
        assert_eq!(res.status().as_u16(), 201, "creating {code}");
        res.json().await.expect("JSON body")
    }

    /// Stores a key directly through the persistence layer; returns its id and the key.
    pub async fn create_key_with_id(&self, role: Role, agency: Option<&str>) -> (Uuid, String) {
        let agency_id = match agency {
            Some(code) => Some(
                sipas::persistence::agencies::find_by_code(&self.db, code)
                    .await
                    .unwrap()
                    .unwrap_or_else(|| panic!("no agency {code}"))
                    .id,
            ),
            None => None,
        };
        let secret = ApiKeySecret::generate().unwrap();
        let id = api_keys::insert(
            &self.db,
            NewApiKey {
                hash: secret.hash(),
                role,
                agency_id,
                label: None,
            },
        )
        .await
        .unwrap();
        (id, secret.expose().to_owned())
    }

    /// Stores a key directly through the persistence layer and returns it.
    pub async fn create_key(&self, role: Role, agency: Option<&str>) -> String {
        self.create_key_with_id(role, agency).await.1
    }
}

/// Asserts that `res` is an RFC 9457 problem with `code`, sent with the status the code always
/// has, and returns its body.
pub async fn assert_problem(res: reqwest::Response, code: ProblemCode) -> serde_json::Value {
    let status = code.status().expect("a problem code with a fixed status");
    assert_eq!(res.status().as_u16(), status, "status");
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let header_id = res
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body: serde_json::Value = res.json().await.expect("problem body is JSON");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["code"], code.as_str(), "{body}");
    for member in ["type", "title", "detail", "instance", "request_id"] {
        assert!(
            body[member].as_str().is_some_and(|s| !s.is_empty()),
            "problem member `{member}` missing in {body}"
        );
    }
    assert_eq!(body["request_id"].as_str(), header_id.as_deref());
    body
}

/// Runs a script of `tests/browser/` in Debian's headless Chromium with `args` (JSON) and
/// returns the JSON it prints. Off the test's runtime thread, which must keep serving the app
/// meanwhile.
pub async fn browser(script: &'static str, args: Value) -> Value {
    tokio::task::spawn_blocking(move || {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let out = std::process::Command::new("node")
            .current_dir(root.join("tests/browser"))
            .arg(script)
            .arg(args.to_string())
            .output()
            .expect("node must be installed (scripts/test installs the browser-test packages)");
        assert!(
            out.status.success(),
            "browser run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("the script prints JSON")
    })
    .await
    .unwrap()
}

/// A path under `target/` for screenshots and reports.
pub fn target_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join(name)
}

/// The bytes of hexadecimal text (as `aggregates::snapshot` prints a roll-up's packed counts).
pub fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}
