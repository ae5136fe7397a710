//! SMS invitations over HTTPS: a real local gateway (`sms_gateway.py`) speaking TLS with a
//! certificate from a private CA made here with the `openssl` CLI. The server checks the
//! gateway's certificate: without the CA in `sms.ca_file` the handshake fails, no request (no
//! number) reaches the gateway and the message waits for a retry; with it, the invitation is
//! delivered. (That `http://` is refused for a gateway on another machine is a unit test of
//! `config::sms`.)

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::json;
use sipas::config::SmsTransport;

use crate::dossiers::{dossier, register, setup};
use crate::helpers::spawn_app_with;
use crate::invitations::{fast_outbox, free_port, max_attempts, wait_until};
use crate::sms::Gateway;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the openssl CLI is needed for the HTTPS gateway test (.ci/run installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A private CA and a server certificate for 127.0.0.1 signed by it: (CA, certificate, key).
fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let ca = [
        &["req", "-x509"][..],
        &ec,
        &["-keyout", "ca.key", "-out", "ca.pem"],
    ];
    openssl(
        dir,
        &[
            ca.concat(),
            vec!["-days", "2", "-subj", "/CN=sipas test CA"],
        ]
        .concat(),
    );
    let csr = [&["req"][..], &ec, &["-keyout", "gw.key", "-out", "gw.csr"]];
    openssl(
        dir,
        &[csr.concat(), vec!["-subj", "/CN=127.0.0.1"]].concat(),
    );
    std::fs::write(
        dir.join("gw.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "gw.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "gw.ext",
            "-out",
            "gw.pem",
        ],
    );
    (dir.join("ca.pem"), dir.join("gw.pem"), dir.join("gw.key"))
}

#[tokio::test]
async fn sms_reach_an_https_gateway_only_through_a_certificate_it_trusts() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates(dir.path());
    let recovered = dir.path().join("recovered");
    std::fs::write(&recovered, "").unwrap();
    let port = free_port();
    let gateway = Gateway::start_with(port, &recovered, &[&cert, &key]);
    let app_trusting = |ca_file: Option<PathBuf>| {
        spawn_app_with(move |s| {
            s.sms.transport = SmsTransport::Http;
            s.sms.url = format!("https://127.0.0.1:{port}/send");
            s.sms.ca_file = ca_file.map_or(String::new(), |p| p.display().to_string());
            s.sms.timeout_secs = 5;
            fast_outbox(&mut s.email, 10_000);
        })
    };
    let phoned = |code: &str, phone: &str| {
        let mut d = dossier("SO", code);
        d["contact"] = json!({ "phone": phone });
        d
    };

    // The system's roots only: the private CA is unknown, so no request gets through.
    let untrusting = app_trusting(None).await;
    let admin = setup(&untrusting).await;
    register(&untrusting, &admin, &phoned("TLS-1", "0911 111 111"), 201).await;
    let start = std::time::Instant::now();
    while max_attempts(&untrusting).await < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no failed attempt"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(gateway.count(true) + gateway.count(false), 0);

    // With the CA in sms.ca_file the invitation is delivered, over TLS.
    let trusting = app_trusting(Some(ca)).await;
    let admin = setup(&trusting).await;
    let reg = register(&trusting, &admin, &phoned("TLS-2", "+84 922 222 222"), 201).await;
    wait_until("the invitation over https", Duration::from_secs(30), || {
        gateway.delivered().contains_key("+84922222222")
    })
    .await;
    let delivered = gateway.delivered();
    let text = &delivered["+84922222222"][0];
    assert!(
        text.ends_with(reg["survey_url"].as_str().unwrap()),
        "{text}"
    );
    assert!(!delivered.contains_key("+84911111111"), "{delivered:?}");
}
