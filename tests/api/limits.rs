//! Bounded costs and limits that hold (issue 16, items 3 and 4): per-route body limits checked
//! before any lookup, a body-read deadline, `/metrics` labels from a closed set, exports that
//! hold no pooled connection for a slow reader (a gate, a write timeout) and are recorded in
//! the audit log, identical breakdown scans run once; the guessing limiter never refuses a
//! valid token, keys IPv6 clients by /64 and takes the client from a trusted proxy only; and
//! sign-in attempts are limited per client address.

use sipas::error::ProblemCode;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use sipas::domain::auth::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use uuid::Uuid;

use crate::accounts::{Browser, PASSWORD, account, csrf};
use crate::helpers::{TestApp, assert_problem, spawn_app_with};

/// A token of the right shape that no dossier has.
const UNKNOWN: &str = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";

fn host(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_owned()
}

/// Opens a connection and sends `head` (request line and headers, without the blank line),
/// then the blank line and `body`.
async fn send_raw(app: &TestApp, head: &str, body: &[u8]) -> TcpStream {
    let mut tcp = TcpStream::connect(host(app)).await.unwrap();
    tcp.write_all(format!("{head}\r\nHost: {}\r\n\r\n", host(app)).as_bytes())
        .await
        .unwrap();
    tcp.write_all(body).await.unwrap();
    tcp
}

/// Reads a response head: status and the raw head text.
async fn read_head(tcp: &mut TcpStream) -> (u16, String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 4096];
    loop {
        let n = tcp.read(&mut byte).await.unwrap();
        assert!(
            n > 0,
            "closed before a response: {}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&byte[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let status = head[9..12].parse().unwrap();
            return (status, head, buf[end + 4..].to_vec());
        }
    }
}

/// The value of a header in a raw head.
fn head_value(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
    })
}

/// Reads everything until the server closes the connection (bounded, so a server that never
/// closes fails the test instead of hanging it).
async fn read_to_close(tcp: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), tcp.read_to_end(&mut out))
        .await
        .expect("the server closes the connection")
        .ok();
    out
}

// ---- bodies ----

#[tokio::test]
async fn a_large_body_to_the_citizens_endpoint_is_413_before_any_lookup() {
    // One miss is allowed, a second would be 429: a refused body must count as none.
    let app = spawn_app_with(|s| {
        s.surveys.lookup_burst = 1;
        s.surveys.lookup_period_ms = 600_000;
    })
    .await;
    let path = format!("/api/v1/surveys/{UNKNOWN}/response");
    let big = json!({"answers": {"comment": "x".repeat(1 << 20)}});
    for key in [None, Some("not-a-key")] {
        let res = app.post_json(key, &path, &big).await;
        let body = assert_problem(res, ProblemCode::PayloadTooLarge).await;
        assert!(body["detail"].as_str().unwrap().contains("65536"), "{body}");
    }
    // Without Content-Length (chunked), counted as it arrives.
    let mut chunked = Vec::new();
    for _ in 0..20 {
        chunked.extend_from_slice(format!("{:x}\r\n", 8192).as_bytes());
        chunked.extend_from_slice(&[b' '; 8192]);
        chunked.extend_from_slice(b"\r\n");
    }
    let mut tcp = send_raw(
        &app,
        &format!(
            "POST {path} HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked"
        ),
        &chunked,
    )
    .await;
    let (status, head, _) = read_head(&mut tcp).await;
    assert_eq!(status, 413, "{head}");
    // A huge Content-Length is refused without sending (or reading) the body.
    let mut tcp = send_raw(
        &app,
        &format!(
            "POST {path} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100000000"
        ),
        b"{",
    )
    .await;
    let (status, head, _) = read_head(&mut tcp).await;
    assert_eq!(status, 413, "{head}");
    assert_eq!(head_value(&head, "connection").as_deref(), Some("close"));
    // None of them was looked up: the allowance of one miss is still whole.
    let res = app.get(&format!("/api/v1/surveys/{UNKNOWN}")).await;
    assert_problem(res, ProblemCode::SurveyNotFound).await;
    let res = app
        .get(&format!("/api/v1/surveys/{}", "Z".repeat(32)))
        .await;
    assert_problem(res, ProblemCode::RateLimited).await;
}

#[tokio::test]
async fn authenticated_routes_take_a_megabyte_and_the_batch_sixteen() {
    let app = spawn_app_with(|_| {}).await;
    let admin = app.create_key(Role::Admin, None).await;
    let padded = |n: usize| json!({"code": "A", "name": {"vi": "x".repeat(n)}, "kind": "other"});
    let res = app
        .post_json(Some(&admin), "/api/v1/agencies", &padded(1 << 20))
        .await;
    let body = assert_problem(res, ProblemCode::PayloadTooLarge).await;
    assert!(
        body["detail"].as_str().unwrap().contains("1048576"),
        "{body}"
    );
    // 1.5 MiB is read for a batch (and refused for what it says, not for its size).
    let batch = json!({"dossiers": [], "padding": "x".repeat(3 << 19)});
    let res = app
        .post_json(Some(&admin), "/api/v1/dossiers/batch", &batch)
        .await;
    assert_ne!(res.status().as_u16(), 413);
    assert!(res.status().is_client_error());
    // A compressed body is refused before a byte of it is decoded: 1 MiB of `x` gzips to about
    // a kilobyte (and 64 KB of zstd to 2 GB), and a decoder unpacks a whole chunk before
    // anything can count it. With a key or without, on the citizen's endpoint too.
    let gz = gzip(&serde_json::to_vec(&padded(1 << 20)).unwrap());
    assert!(gz.len() < 64 * 1024, "{}", gz.len());
    for (path, key) in [
        ("/api/v1/agencies", Some(admin.as_str())),
        (
            "/api/v1/surveys/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/response",
            None,
        ),
    ] {
        let mut req = app
            .client
            .post(app.url(path))
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(gz.clone());
        if let Some(key) = key {
            req = req.bearer_auth(key);
        }
        assert_problem(req.send().await.unwrap(), ProblemCode::UnsupportedMediaType).await;
    }
}

/// `data` gzipped: the `zip` dev-dependency deflates it inside an archive, whose entry's raw
/// deflate stream and CRC-32 are then framed as gzip (RFC 1952).
fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut archive = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut archive);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("a", options).unwrap();
        zip.write_all(data).unwrap();
        zip.finish().unwrap();
    }
    let zip = archive.into_inner();
    // The local file header: CRC-32 at 14, compressed size at 18, name and extra lengths at
    // 26 and 28, then the name, the extra field and the data.
    let le16 = |at: usize| u16::from_le_bytes([zip[at], zip[at + 1]]) as usize;
    let size = u32::from_le_bytes(zip[18..22].try_into().unwrap()) as usize;
    let start = 30 + le16(26) + le16(28);
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    out.extend_from_slice(&zip[start..start + size]);
    out.extend_from_slice(&zip[14..18]);
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

#[tokio::test]
async fn a_trickled_body_is_cut_off_with_408() {
    let app = spawn_app_with(|s| s.limits.body_read_timeout_secs = 1).await;
    let admin = app.create_key(Role::Admin, None).await;
    let requests = [
        // Read before anything else (the citizen's endpoint).
        format!(
            "POST /api/v1/surveys/{UNKNOWN}/response HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100"
        ),
        // Read by the handler (a keyed endpoint).
        format!(
            "POST /api/v1/agencies HTTP/1.1\r\nAuthorization: Bearer {admin}\r\nContent-Type: application/json\r\nContent-Length: 100"
        ),
    ];
    for head in requests {
        // Part of the body, then nothing: the server answers and closes.
        let mut tcp = send_raw(&app, &head, b"{\"answers\":").await;
        let (status, head, rest) = read_head(&mut tcp).await;
        assert_eq!(status, 408, "{head}");
        let mut body = rest;
        body.extend(read_to_close(&mut tcp).await);
        let body = String::from_utf8_lossy(&body);
        assert!(body.contains("\"code\":\"request_timeout\""), "{body}");
    }
    // The survey page keeps its own page, with the status.
    let head = format!(
        "POST /s/{UNKNOWN} HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100"
    );
    let mut tcp = send_raw(&app, &head, b"s1=4&").await;
    let (status, head, _) = read_head(&mut tcp).await;
    assert_eq!(status, 408, "{head}");
    assert!(
        head_value(&head, "content-type")
            .unwrap()
            .starts_with("text/html")
    );
}

// ---- metrics ----

async fn metrics_lines(app: &TestApp) -> usize {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines().count()
}

#[tokio::test]
async fn metrics_keep_their_size_whatever_methods_and_paths_clients_make_up() {
    let app = spawn_app_with(|_| {}).await;
    let made_up = |i: usize| {
        let method = reqwest::Method::from_bytes(format!("FOO{i}X").as_bytes()).unwrap();
        let path = match i % 4 {
            0 => "/health".to_owned(),
            1 => format!("/no/such/{i}/{}", Uuid::new_v4()),
            2 => format!("/api/v1/nothing-{i}"),
            _ => format!("/s/{}/x{i}", Uuid::new_v4()),
        };
        (method, path)
    };
    let send = |i: usize| {
        let (method, path) = made_up(i);
        let req = app.client.request(method, app.url(&path));
        async move { req.send().await.unwrap().status() }
    };
    for i in 0..4 {
        send(i).await;
        app.client.get(app.url(&made_up(i).1)).send().await.unwrap();
    }
    metrics_lines(&app).await;
    let before = metrics_lines(&app).await;
    for i in 4..1_004 {
        send(i).await;
    }
    let text = app.get("/metrics").await.text().await.unwrap();
    assert_eq!(text.lines().count(), before, "{text}");
    assert!(text.contains("method=\"other\""), "{text}");
    assert!(text.contains("route=\"unmatched\""), "{text}");
    assert!(!text.contains("FOO"), "{text}");
}

// ---- the guessing limiter and client addresses ----

async fn register_one(app: &TestApp, admin: &str, code: &str) -> Value {
    let body = json!({
        "dossier_code": code,
        "agency_code": "SO",
        "completed_at": chrono::Utc::now().to_rfc3339(),
        "channel": "online",
    });
    let res = app.post_json(Some(admin), "/api/v1/dossiers", &body).await;
    assert_eq!(res.status().as_u16(), 201);
    res.json().await.unwrap()
}

async fn guess(app: &TestApp, forwarded_for: Option<&str>, i: usize) -> reqwest::Response {
    let mut req = app
        .client
        .get(app.url(&format!("/api/v1/surveys/{}{i:04}", "g".repeat(28))));
    if let Some(ff) = forwarded_for {
        req = req.header("x-forwarded-for", ff);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn a_valid_token_is_never_refused_while_its_client_is_limited() {
    let app = spawn_app_with(|s| {
        s.surveys.lookup_burst = 2;
        s.surveys.lookup_period_ms = 600_000;
    })
    .await;
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "SO", "department", None).await;
    let reg = register_one(&app, &admin, "L-1").await;
    let token = reg["survey_token"].as_str().unwrap();
    for i in 0..2 {
        assert_problem(guess(&app, None, i).await, ProblemCode::SurveyNotFound).await;
    }
    let res = guess(&app, None, 2).await;
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, ProblemCode::RateLimited).await;
    // Limited: misses are refused, the valid token is answered — by the API and the page, to
    // read and to answer.
    assert_eq!(
        app.get(&format!("/api/v1/surveys/{token}")).await.status(),
        200
    );
    assert_eq!(app.get(&format!("/s/{token}")).await.status(), 200);
    let answers = json!({"answers": {"s1": 4}});
    let res = app
        .post_json(None, &format!("/api/v1/surveys/{token}/response"), &answers)
        .await;
    assert_eq!(res.status().as_u16(), 201, "{}", res.text().await.unwrap());
    assert_problem(guess(&app, None, 3).await, ProblemCode::RateLimited).await;
}

#[tokio::test]
async fn ipv6_clients_are_limited_by_their_64_and_proxies_name_clients_only_when_trusted() {
    let app = spawn_app_with(|s| {
        s.surveys.lookup_burst = 2;
        s.surveys.lookup_period_ms = 600_000;
        s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    // Two addresses of one /64 share an allowance; the next /64 has its own.
    let a = "2001:db8:1:2::1";
    let b = "2001:db8:1:2:ffff:ffff:ffff:ffff";
    assert_eq!(guess(&app, Some(a), 0).await.status(), 404);
    assert_eq!(guess(&app, Some(b), 1).await.status(), 404);
    assert_eq!(guess(&app, Some(a), 2).await.status(), 429);
    assert_eq!(guess(&app, Some("2001:db8:1:3::1"), 3).await.status(), 404);
    // Behind the trusted proxy, two IPv4 clients apart; a client's own header to the left of
    // the proxy's entry changes nothing.
    assert_eq!(guess(&app, Some("198.51.100.1"), 4).await.status(), 404);
    assert_eq!(guess(&app, Some("198.51.100.1"), 5).await.status(), 404);
    assert_eq!(
        guess(&app, Some("9.9.9.9, 198.51.100.1"), 6).await.status(),
        429
    );
    assert_eq!(guess(&app, Some("198.51.100.2"), 7).await.status(), 404);

    // Without trusted proxies the header is ignored: every guess is the peer's.
    let app = spawn_app_with(|s| {
        s.surveys.lookup_burst = 2;
        s.surveys.lookup_period_ms = 600_000;
    })
    .await;
    assert_eq!(guess(&app, Some("198.51.100.1"), 0).await.status(), 404);
    assert_eq!(guess(&app, Some("198.51.100.2"), 1).await.status(), 404);
    assert_eq!(guess(&app, Some("198.51.100.3"), 2).await.status(), 429);
}

// ---- sign-in ----

/// One sign-in attempt (a fresh form, a wrong password) from `forwarded_for`.
async fn sign_in_attempt(app: &TestApp, forwarded_for: &str) -> reqwest::Response {
    let form = app.client.get(app.url("/sign-in")).send().await.unwrap();
    let cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| c.starts_with("sipas_sign_in="))
        .unwrap();
    let token = csrf(&form.text().await.unwrap());
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("email", "ai.do@tinh.gov.vn"),
            ("password", "sai mật khẩu"),
            ("csrf_token", token.as_str()),
        ])
        .finish();
    let mut headers = HeaderMap::new();
    headers.insert("cookie", HeaderValue::from_str(&cookie).unwrap());
    headers.insert(
        "x-forwarded-for",
        HeaderValue::from_str(forwarded_for).unwrap(),
    );
    app.client
        .post(app.url("/sign-in"))
        .headers(headers)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_client_address() {
    let limited = |trusted: bool| {
        move |s: &mut sipas::config::Settings| {
            s.accounts.sign_in_burst = 2;
            s.accounts.sign_in_period_ms = 600_000;
            // Not the per-e-mail lockout: every attempt names one address.
            s.accounts.max_failed_sign_ins = 100;
            if trusted {
                s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
            }
        }
    };
    // Behind a trusted proxy: two clients are limited apart.
    let app = spawn_app_with(limited(true)).await;
    for _ in 0..2 {
        assert_eq!(sign_in_attempt(&app, "203.0.113.5").await.status(), 422);
    }
    let res = sign_in_attempt(&app, "203.0.113.5").await;
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&wait), "{wait}");
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Có quá nhiều lần đăng nhập từ mạng"),
        "{page}"
    );
    assert_eq!(sign_in_attempt(&app, "203.0.113.6").await.status(), 422);

    // From a peer that is not a trusted proxy, the header is ignored: no escape by spoofing.
    let app = spawn_app_with(limited(false)).await;
    assert_eq!(sign_in_attempt(&app, "203.0.113.7").await.status(), 422);
    assert_eq!(sign_in_attempt(&app, "203.0.113.8").await.status(), 422);
    assert_eq!(sign_in_attempt(&app, "203.0.113.9").await.status(), 429);
}

/// Successful sign-ins use up nothing: an office whose officers all sign in from one address
/// (one NAT) is not refused, while failures from it still are.
#[tokio::test]
async fn successful_sign_ins_from_one_address_are_not_limited() {
    let app = spawn_app_with(|s| {
        s.accounts.sign_in_burst = 2;
        s.accounts.sign_in_period_ms = 600_000;
    })
    .await;
    let email = "can.bo@tinh.gov.vn";
    crate::accounts::account(&app, Role::Admin, None, email).await;
    for _ in 0..4 {
        let mut browser = crate::accounts::Browser::new(&app.address);
        browser.sign_in(email, crate::accounts::PASSWORD).await;
    }
    // Failures still count: two allowed, the third refused.
    for status in [422, 422, 429] {
        assert_eq!(sign_in_attempt(&app, "unused").await.status(), status);
    }
}

// ---- exports ----

/// An agency `S` with `n` responses in 2025-02, published; returns the admin key and its id.
async fn export_seed(app: &TestApp, n: usize) -> (Uuid, String) {
    let (admin_id, admin) = app.create_key_with_id(Role::Admin, None).await;
    app.create_agency(&admin, "S", "department", None).await;
    crate::export::insert_responses(app, "S", "2025-02", n).await;
    app.close_month(&admin, "2025-02").await;
    (admin_id, admin)
}

const EXPORT: &str =
    "/api/v1/responses/export?agency=S&form=sipas-2017&period=2025-02&version=1&format=json";

/// Asks for the export over a raw connection and reads only the response head: the body is
/// left in the socket, so the server soon cannot write more.
async fn stalled_export(app: &TestApp, admin: &str) -> (TcpStream, String) {
    let mut tcp = send_raw(
        app,
        &format!("GET {EXPORT} HTTP/1.1\r\nAuthorization: Bearer {admin}"),
        b"",
    )
    .await;
    let (status, head, _) = read_head(&mut tcp).await;
    assert_eq!(status, 200, "{head}");
    (tcp, head)
}

fn exports_settings(s: &mut sipas::config::Settings) {
    s.results.suppress_below = 1;
    s.limits.export_concurrency = 2;
    // A request that waits for a pooled connection fails fast rather than after 10 s.
    s.database.acquire_timeout_secs = 2;
    s.database.max_connections = 2;
}

#[tokio::test]
async fn slow_export_readers_hold_no_pooled_connection_and_one_too_many_is_told_to_wait() {
    let app = spawn_app_with(exports_settings).await;
    // About 10 MB of JSON: far more than the sockets' buffers take.
    let (_, admin) = export_seed(&app, 20_000).await;
    let (first, head) = stalled_export(&app, &admin).await;
    let length: u64 = head_value(&head, "content-length")
        .unwrap()
        .parse()
        .unwrap();
    assert!(length > 4 << 20, "{length}");
    let (second, _) = stalled_export(&app, &admin).await;

    let res = app.get_as(&admin, EXPORT).await;
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1);
    assert_problem(res, ProblemCode::ExportBusy).await;
    // The pool is free: requests that need the database are answered.
    for path in ["/api/v1/agencies", "/api/v1/audit", "/ready"] {
        let res = app.get_as(&admin, path).await;
        assert_eq!(res.status().as_u16(), 200, "{path}");
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("sipas_exports_busy_total 1"), "{metrics}");

    // The readers go away: their places come back.
    drop((first, second));
    let mut status = 0;
    for _ in 0..100 {
        let res = app.get_as(&admin, EXPORT).await;
        status = res.status().as_u16();
        if status == 200 {
            let rows: Vec<Value> = res.json().await.unwrap();
            assert_eq!(rows.len(), 20_000);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_export_whose_client_stops_reading_is_cut_off() {
    let app = spawn_app_with(|s| {
        exports_settings(s);
        s.limits.export_write_timeout_secs = 1;
    })
    .await;
    let (_, admin) = export_seed(&app, 20_000).await;
    let (mut tcp, head) = stalled_export(&app, &admin).await;
    let length: usize = head_value(&head, "content-length")
        .unwrap()
        .parse()
        .unwrap();
    // Far longer than the write timeout: the server gives up on this client meanwhile.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let got = read_to_close(&mut tcp).await;
    assert!(got.len() < length, "{} of {length}", got.len());
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("sipas_exports_cut_total 1"), "{metrics}");
    // Its place is free again.
    assert_eq!(app.get_as(&admin, EXPORT).await.status(), 200);
}

#[tokio::test]
async fn exports_are_recorded_in_the_audit_log_without_answers() {
    let app = spawn_app_with(exports_settings).await;
    let (admin_id, admin) = export_seed(&app, 30).await;
    let res = app
        .get_as(&admin, &EXPORT.replace("format=json", "format=csv"))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    res.bytes().await.unwrap();
    account(&app, Role::Admin, None, "quan.tri@tinh.gov.vn").await;
    let mut officer = Browser::of(&app);
    officer.sign_in("quan.tri@tinh.gov.vn", PASSWORD).await;
    let (status, _, _) = officer
        .download("/dashboard/agencies/S/export.json?form=sipas-2017&period=2025-02")
        .await;
    assert_eq!(status, 200);

    let log = app.get_json(&admin, "/api/v1/audit").await;
    let exported: Vec<&Value> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "responses.exported")
        .collect();
    assert_eq!(exported.len(), 2, "{log}");
    let (by_officer, by_key) = (exported[0], exported[1]);
    assert_eq!(by_key["subject"], "S");
    assert_eq!(by_key["actor_key_id"], json!(admin_id));
    assert_eq!(
        by_key["details"],
        json!({
            "subtree": false, "form_key": "sipas-2017", "form_version": 1,
            "from": "2025-02", "to": "2025-02", "format": "csv", "part": "rows", "rows": 30,
            "user_id": null,
        })
    );
    assert!(by_officer["actor_key_id"].is_null(), "{by_officer}");
    assert!(by_officer["details"]["user_id"].is_string(), "{by_officer}");
    assert_eq!(by_officer["details"]["format"], "json");
    assert_eq!(by_officer["details"]["rows"], 30);
    // Codes and counts only: no answer, no procedure field.
    assert!(!log.to_string().contains("Đất đai"));
}

// ---- single flights ----

#[tokio::test]
async fn identical_breakdowns_asked_at_once_scan_the_responses_once() {
    let app = spawn_app_with(|s| {
        s.surveys.token_ttl_days = 3650;
    })
    .await;
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "SO", "department", None).await;
    for i in 0..12 {
        let body = json!({
            "dossier_code": format!("B-{i}"),
            "agency_code": "SO",
            "completed_at": "2025-03-10T09:30:00+07:00",
            "channel": if i % 2 == 0 { "online" } else { "in_person" },
        });
        let reg: Value = app
            .post_json(Some(&admin), "/api/v1/dossiers", &body)
            .await
            .json()
            .await
            .unwrap();
        let path = format!(
            "/api/v1/surveys/{}/response",
            reg["survey_token"].as_str().unwrap()
        );
        let answers: serde_json::Map<String, Value> = (1..=22)
            .map(|q| (format!("s{q}"), json!(1 + (q + i) % 5)))
            .collect();
        let mode = if i % 3 == 0 { "kiosk" } else { "web" };
        let res = app
            .post_json(None, &path, &json!({"answers": answers, "mode": mode}))
            .await;
        assert_eq!(res.status().as_u16(), 201);
    }
    app.close_month(&admin, "2025-03").await;
    let scans = || async {
        let text = app.get("/metrics").await.text().await.unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("sipas_breakdown_scans_total "))
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    let before = scans().await;
    let path = "/api/v1/results?agency=SO&form=sipas-2017&period=2025-Q1&by=mode";
    let asks = (0..8).map(|_| {
        let req = app.client.get(app.url(path)).bearer_auth(&admin);
        tokio::spawn(async move { req.send().await.unwrap().json::<Value>().await.unwrap() })
    });
    let mut views = Vec::new();
    for ask in asks.collect::<Vec<_>>() {
        views.push(ask.await.unwrap());
    }
    assert!(views.iter().all(|v| v == &views[0]), "{views:?}");
    assert_eq!(scans().await - before, 1);
}

#[tokio::test]
async fn costly_work_is_counted_in_metrics_from_the_start() {
    // The counters exist before anything happens, so an alert can be written on them.
    let app = spawn_app_with(|_| {}).await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for name in [
        "sipas_breakdown_scans_total 0",
        "sipas_exports_computed_total 0",
        "sipas_exports_busy_total 0",
        "sipas_exports_cut_total 0",
    ] {
        assert!(metrics.contains(name), "{name}: {metrics}");
    }
}
