//! The `sipas` binary as an operator runs it: zero-config start, configuration errors, JSON logs
//! without personal data, graceful shutdown, and the CLI.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::helpers::TestDatabase;

const BIN: &str = env!("CARGO_BIN_EXE_sipas");

/// A fresh, empty working directory: what a deployment has (the forms are built into the binary).
pub fn workdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sipas-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `dir/forms` holding copies of the shipped form files named in `files`, for `forms.dir`.
pub fn forms_dir(dir: &Path, files: &[&str]) -> PathBuf {
    let forms = dir.join("forms");
    std::fs::create_dir_all(&forms).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("survey-forms");
    for name in files {
        std::fs::copy(shipped.join(name), forms.join(name)).unwrap();
    }
    forms
}

/// `sipas` with a clean environment (only PATH, retention off as in the in-process app — the
/// tests' fixed dates grow old —, and on PostgreSQL the secret every node must be given, the
/// same as the in-process app's) in `dir`.
pub fn sipas(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("APP_RETENTION__DOSSIER_MONTHS", "0")
        .stdin(Stdio::null());
    if crate::helpers::on_postgres() {
        cmd.env("APP_SECURITY__TOKEN_SECRET", crate::helpers::PG_TEST_SECRET);
    }
    cmd
}

/// A running server process and its log lines.
pub struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    log: Vec<String>,
    pub address: String,
}

impl Server {
    pub fn start(cmd: Command) -> Server {
        Self::start_with_stdout(cmd, Stdio::null())
    }

    /// Starts the server with its standard output going to `stdout` (`Stdio::piped()` to read
    /// it with [`Server::take_stdout`]).
    pub fn start_with_stdout(mut cmd: Command, stdout: Stdio) -> Server {
        let mut child = cmd.stdout(stdout).stderr(Stdio::piped()).spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            lines,
            log: Vec::new(),
            address: String::new(),
        };
        let line = server
            .wait_for("listening")
            .unwrap_or_else(|| panic!("server did not start: {:?}", server.log));
        let addr = line
            .split(|c: char| c.is_whitespace() || c == '"' || c == '=' || c == ',')
            .find(|w| w.starts_with("127.0.0.1:"))
            .unwrap_or_else(|| panic!("no address in {line}"));
        server.address = format!("http://{addr}");
        server
    }

    /// The server's standard output, when started with it piped.
    pub fn take_stdout(&mut self) -> Option<std::process::ChildStdout> {
        self.child.stdout.take()
    }

    /// Reads log lines until one contains `needle` (or the process ends / 30 s pass).
    pub fn wait_for(&mut self, needle: &str) -> Option<String> {
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(30)) {
            self.log.push(line.clone());
            if line.contains(needle) {
                return Some(line);
            }
        }
        None
    }

    pub fn terminate(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.log.push(line);
        }
        (exit, std::mem::take(&mut self.log))
    }
}

/// A test that fails before [`Server::terminate`] must not leave its server running (holding
/// a port, and on PostgreSQL connections to a database being dropped).
impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[tokio::test]
async fn zero_config_start_serves_and_stops_gracefully() {
    let db = TestDatabase::create().await;
    let dir = workdir();
    let mut cmd = sipas(&dir);
    cmd.args(["serve", "--bind", "127.0.0.1:0"]);
    if db.is_postgres() {
        cmd.env("DATABASE_URL", &db.url);
    }
    let server = Server::start(cmd);
    let health = crate::helpers::http_get(format!("{}/health", server.address))
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let ready = crate::helpers::http_get(format!("{}/ready", server.address))
        .await
        .unwrap();
    assert_eq!(ready.status().as_u16(), 200);
    if !db.is_postgres() {
        assert!(
            dir.join("data/sipas.db").is_file(),
            "data/sipas.db was not created"
        );
    }
    let (exit, log) = server.terminate();
    assert!(exit.success(), "exit status {exit:?}; log: {log:?}");
    assert!(
        log.iter().any(|l| l.contains("closing the database pool")),
        "{log:?}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn json_logs_carry_request_ids_but_no_paths_or_tokens() {
    let db = TestDatabase::create().await;
    let dir = workdir();
    let mut cmd = sipas(&dir);
    cmd.env("APP_SERVER__BIND", "127.0.0.1:0")
        .env("APP_LOG__FORMAT", "json")
        .env("DATABASE_URL", db.url_for_process(&dir));
    let mut server = Server::start(cmd);
    let secret = "TOKENabcdef0123456789SECRET";
    // The citizen page carries the token in its path too, and its answers in the body.
    let client = crate::helpers::http_client().build().unwrap();
    let page = format!("{}/s/{secret}?lang=en&email=a@b.vn", server.address);
    assert_eq!(client.get(&page).send().await.unwrap().status(), 404);
    let posted = client
        .post(&page)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("comment=a%40b.vn")
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 404);
    let res = crate::helpers::http_get(format!(
        "{}/api/v1/surveys/{secret}?email=a@b.vn",
        server.address
    ))
    .await
    .unwrap();
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let line = server
        .wait_for(&request_id)
        .expect("a log line with the request id");
    let (exit, log) = server.terminate();
    assert!(exit.success());
    let parsed: serde_json::Value = serde_json::from_str(&line).expect("log lines are JSON");
    assert!(
        parsed["fields"]["status"].is_number() || parsed["span"].is_object(),
        "{parsed}"
    );
    assert!(
        log.iter().any(|l| l.contains("/s/{token}")),
        "the page requests are logged by route template: {log:?}"
    );
    for l in &log {
        serde_json::from_str::<serde_json::Value>(l).unwrap_or_else(|_| panic!("not JSON: {l}"));
        assert!(!l.contains(secret) && !l.contains("a@b.vn"), "leaked: {l}");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn an_invalid_setting_stops_the_start_with_one_line() {
    let dir = workdir();
    for (var, value, key) in [
        ("APP_SERVER__BIND", "not-an-address", "server.bind"),
        ("DATABASE_URL", "mysql://user:pw@host/db", "database.url"),
        ("APP_LOG__FORMAT", "xml", "log.format"),
        (
            "APP_SERVER__SHUTDOWN_TIMEOUT_SECS",
            "soon",
            "server.shutdown_timeout_secs",
        ),
    ] {
        let out = sipas(&dir).env(var, value).output().unwrap();
        assert!(!out.status.success(), "{var}={value} was accepted");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(
            stderr.trim().lines().count(),
            1,
            "one line expected: {stderr}"
        );
        assert!(
            stderr.contains(key),
            "{var}: `{stderr}` does not name {key}"
        );
        assert!(
            !stderr.contains("panicked") && !stderr.contains(":pw@"),
            "{stderr}"
        );
    }
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn migrate_subcommands_work_on_the_configured_database() {
    let db = TestDatabase::create().await;
    let dir = workdir();
    let url = db.url_for_process(&dir);
    for args in [&["migrate"][..], &["migrate", "up"], &["migrate", "status"]] {
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
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["migrate", "--help"],
        &["demo", "--help"],
    ] {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("Usage:"), "{args:?}: {text}");
    }
}

#[tokio::test]
async fn editing_a_published_form_without_a_new_version_stops_the_server() {
    let db = TestDatabase::create().await;
    let dir = workdir();
    let url = db.url_for_process(&dir);
    // A province's own version 2 of sipas-quick, in forms.dir beside the built-in forms.
    let forms = forms_dir(&dir, &["sipas-quick.v1.toml"]);
    let v1 = std::fs::read_to_string(forms.join("sipas-quick.v1.toml")).unwrap();
    std::fs::remove_file(forms.join("sipas-quick.v1.toml")).unwrap();
    let v2 = v1.replacen("version = 1", "version = 2", 1);
    std::fs::write(forms.join("sipas-quick.v2.toml"), &v2).unwrap();
    let serve = || {
        let mut cmd = sipas(&dir);
        cmd.args(["serve", "--bind", "127.0.0.1:0"])
            .env("DATABASE_URL", &url)
            .env("APP_FORMS__DIR", &forms);
        cmd
    };
    let (exit, log) = Server::start(serve()).terminate();
    assert!(exit.success(), "{exit:?} {log:?}");

    // Version 2 is published now: an edit without a new version stops the next start.
    std::fs::write(
        forms.join("sipas-quick.v2.toml"),
        v2.replacen("Rất hài lòng", "Rất rất hài lòng", 1),
    )
    .unwrap();
    let out = serve().output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("sipas-quick.v2.toml")
            && stderr.contains("already published")
            && stderr.contains("new `version`"),
        "{stderr}"
    );

    // So does a copy of a built-in version with other content: a folder cannot override it.
    std::fs::write(forms.join("sipas-quick.v2.toml"), &v2).unwrap();
    std::fs::write(
        forms.join("sipas-quick.v1.toml"),
        v1.replacen("Rất hài lòng", "Rất rất hài lòng", 1),
    )
    .unwrap();
    let out = serve().output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("sipas-quick.v1.toml")
            && stderr.contains("built into sipas")
            && stderr.contains("new `version`"),
        "{stderr}"
    );
    std::fs::remove_dir_all(dir).ok();
}
