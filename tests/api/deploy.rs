//! The binary stands alone: copied into an empty directory, with no configuration and no file
//! beside it, `sipas serve` serves the four official forms (they are compiled in); `forms.dir`
//! adds forms beside them, and a configured folder that does not exist stops the start.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::process::{Server, forms_dir, workdir};

const BIN: &str = env!("CARGO_BIN_EXE_sipas");

/// A copy of the built binary in a new empty directory, and that directory.
fn installed() -> (PathBuf, PathBuf) {
    let dir = workdir();
    let bin = dir.join("sipas");
    std::fs::copy(BIN, &bin).unwrap();
    (dir, bin)
}

/// The copied binary with a clean environment (PATH only), run in `dir`: the zero-config start.
fn run(bin: &Path, dir: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::null());
    cmd
}

/// `GET /api/v1/forms`: every key listed, with its version.
async fn listed(address: &str) -> Vec<(String, u64)> {
    let res = crate::helpers::http_get(format!("{address}/api/v1/forms"))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let body: Value = res.json().await.unwrap();
    body.as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["key"].as_str().unwrap().to_owned(),
                f["version"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_binary_alone_in_an_empty_directory_serves_the_official_forms() {
    let (dir, bin) = installed();
    let entries = |d: &Path| -> Vec<String> {
        std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(entries(&dir), ["sipas"]);
    let mut cmd = run(&bin, &dir);
    cmd.args(["serve", "--bind", "127.0.0.1:0"]);
    let server = Server::start(cmd);
    let keys: Vec<String> = listed(&server.address)
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        keys,
        ["sipas-2017", "sipas-2023", "sipas-2024", "sipas-quick"]
    );
    let form = crate::helpers::http_get(format!("{}/api/v1/forms/sipas-2024", server.address))
        .await
        .unwrap();
    assert_eq!(form.status().as_u16(), 200);
    let (exit, log) = server.terminate();
    assert!(exit.success(), "{exit:?} {log:?}");
    // All it wrote is its data folder: the database and the generated key file.
    let mut written = entries(&dir);
    written.sort();
    assert_eq!(written, ["data", "sipas"]);
    assert!(dir.join("data/sipas.db").is_file());
    assert!(dir.join("data/secret.key").is_file());

    // `sipas forms check` without a path checks the built-in forms there too.
    let out = run(&bin, &dir).args(["forms", "check"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().filter(|l| l.starts_with("ok ")).count(), 4);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn forms_dir_adds_forms_beside_the_built_in_ones() {
    let (dir, bin) = installed();
    // A copy of a built-in version (the same content: accepted), a version 2 of sipas-quick
    // and a province's own form.
    let forms = forms_dir(&dir, &["sipas-2017.v1.toml"]);
    let quick = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("survey-forms/sipas-quick.v1.toml"),
    )
    .unwrap();
    std::fs::write(
        forms.join("sipas-quick.v2.toml"),
        quick.replacen("version = 1", "version = 2", 1),
    )
    .unwrap();
    let own = quick.replacen("key = \"sipas-quick\"", "key = \"minh-son-quick\"", 1);
    assert_ne!(own, quick);
    std::fs::write(forms.join("minh-son-quick.v1.toml"), own).unwrap();

    let mut cmd = run(&bin, &dir);
    cmd.args(["serve", "--bind", "127.0.0.1:0"])
        .env("APP_FORMS__DIR", &forms);
    let server = Server::start(cmd);
    let listed = listed(&server.address).await;
    assert_eq!(
        listed,
        [
            ("minh-son-quick".to_owned(), 1),
            ("sipas-2017".to_owned(), 1),
            ("sipas-2023".to_owned(), 1),
            ("sipas-2024".to_owned(), 1),
            ("sipas-quick".to_owned(), 2),
        ]
    );
    // Version 1 of sipas-quick stays retrievable.
    let v1 = crate::helpers::http_get(format!(
        "{}/api/v1/forms/sipas-quick/versions/1",
        server.address
    ))
    .await
    .unwrap();
    assert_eq!(v1.status().as_u16(), 200);
    let (exit, log) = server.terminate();
    assert!(exit.success(), "{exit:?} {log:?}");

    // A configured folder that is not there stops the start, naming the key.
    let out = run(&bin, &dir)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("APP_FORMS__DIR", dir.join("no-such-folder"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("forms.dir") && stderr.contains("no-such-folder"),
        "{stderr}"
    );
    std::fs::remove_dir_all(dir).ok();
}
