//! Officer accounts and web sign-in (issue 7, item 1): `sipas users create|list|disable` run as
//! a program; the sign-in form, its cookie and CSRF token; the session cookie's attributes; the
//! same answer for a wrong password and an unknown address; lockout and its end; tampered,
//! expired and idle cookies; CSRF on officer forms; sign-out; disabled accounts; `next`
//! addresses; logs without secrets; and an officer signing in with the keyboard in headless
//! Chromium, checked with axe-core (tests/browser/sign-in.mjs).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Output, Stdio};

use chrono::{DateTime, TimeDelta, Utc};
use reqwest::header::HeaderMap;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use sipas::domain::accounts::Password;
use sipas::domain::auth::Role;
use sipas::domain::digest::sha256_hex;

use crate::helpers::{
    TestApp, browser, spawn_app, spawn_app_for_process, spawn_app_with, target_path,
};
use crate::process::{Server, sipas, workdir};

pub(crate) const PASSWORD: &str = "Mật khẩu thật dài 2026";

/// A browser without JavaScript: keeps the cookies it is given (by hand, so that tests can see
/// and tamper with them) and does not follow redirects.
pub(crate) struct Browser {
    base: String,
    client: reqwest::Client,
    pub(crate) jar: BTreeMap<String, String>,
}

/// One response, read whole.
pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Page {
    pub(crate) fn location(&self) -> &str {
        self.headers
            .get("location")
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }

    /// The `Set-Cookie` line for `name`, if any.
    fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with(&format!("{name}=")))
    }
}

impl Browser {
    pub(crate) fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            client: crate::helpers::http_client()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar: BTreeMap::new(),
        }
    }

    pub(crate) fn of(app: &TestApp) -> Self {
        Self::new(&app.address)
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let req = if self.jar.is_empty() {
            req
        } else {
            let cookies: Vec<String> = self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
            req.header("cookie", cookies.join("; "))
        };
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        for line in headers.get_all("set-cookie") {
            let line = line.to_str().unwrap();
            let (pair, attributes) = line.split_once(';').unwrap_or((line, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_owned(), value.to_owned());
            }
        }
        let body = res.text().await.unwrap();
        Page {
            status,
            headers,
            body,
        }
    }

    /// The `Cookie` header this browser sends.
    pub(crate) fn cookie_header(&self) -> String {
        let cookies: Vec<String> = self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
        cookies.join("; ")
    }

    /// A download, read as bytes.
    pub(crate) async fn download(&self, path: &str) -> (u16, HeaderMap, Vec<u8>) {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        (status, headers, res.bytes().await.unwrap().to_vec())
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let req = self.client.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    pub(crate) async fn post(&mut self, path: &str, pairs: &[(&str, &str)]) -> Page {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(req).await
    }

    /// Opens the sign-in page and posts the form with `email` and `password` (and `next`).
    pub(crate) async fn sign_in_with(
        &mut self,
        email: &str,
        password: &str,
        next: Option<&str>,
    ) -> Page {
        let form = self.get("/sign-in").await;
        assert_eq!(form.status, 200, "{}", form.body);
        let token = csrf(&form.body);
        let mut pairs = vec![
            ("email", email),
            ("password", password),
            ("csrf_token", token.as_str()),
        ];
        if let Some(next) = next {
            pairs.push(("next", next));
        }
        self.post("/sign-in", &pairs).await
    }

    /// Signs in and asserts success; returns the session cookie's value.
    pub(crate) async fn sign_in(&mut self, email: &str, password: &str) -> String {
        let page = self.sign_in_with(email, password, None).await;
        assert_eq!(page.status, 303, "{}", page.body);
        assert_eq!(page.location(), "/dashboard");
        self.jar["sipas_session"].clone()
    }
}

/// The CSRF token in a page's form.
pub(crate) fn csrf(html: &str) -> String {
    let start = html
        .find("name=\"csrf_token\" value=\"")
        .unwrap_or_else(|| panic!("no CSRF field in {html}"))
        + "name=\"csrf_token\" value=\"".len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// Asserts the headers of an officer page and returns nothing.
pub(crate) fn assert_officer_page(page: &Page, status: u16) {
    assert_eq!(page.status, status, "{}", page.body);
    let h = &page.headers;
    assert_eq!(
        h["content-type"], "text/html; charset=utf-8",
        "{}",
        page.body
    );
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(page.body.starts_with("<!DOCTYPE html>"), "{}", page.body);
    assert!(!page.body.contains("<script"), "no JavaScript");
}

/// Asserts a redirect to the sign-in page (303).
fn assert_signed_out(page: &Page) {
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(
        page.location().starts_with("/sign-in"),
        "{}",
        page.location()
    );
}

/// Agencies TINH > HUYEN through the API; returns the admin key.
async fn agencies(app: &TestApp) -> String {
    let admin = app.create_key(Role::Admin, None).await;
    app.create_agency(&admin, "TINH", "province", None).await;
    app.create_agency(&admin, "HUYEN", "district", Some("TINH"))
        .await;
    admin
}

/// Creates an account through the command's own function (the binary is tested separately).
pub(crate) async fn account(app: &TestApp, role: Role, agency: Option<&str>, email: &str) {
    sipas::commands::users::create_user(
        &app.db,
        role,
        agency,
        email,
        Some(Password::new(PASSWORD).unwrap()),
    )
    .await
    .unwrap();
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.db
        .query_one_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

/// Sets `column` of every row of `table` to `at` (moving time instead of waiting).
async fn set_time(app: &TestApp, table: &str, column: &str, at: DateTime<Utc>) {
    use sea_orm::sea_query::{Expr, Query};
    let stmt = Query::update()
        .table(table.to_owned())
        .value(column.to_owned(), Expr::value(at))
        .to_owned();
    app.db.execute(&stmt).await.unwrap();
}

fn users_cmd(dir: &Path, url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = sipas(dir);
    cmd.arg("users").args(args).env("DATABASE_URL", url);
    let Some(input) = stdin else {
        return cmd.output().unwrap();
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn ok(out: &Output) -> (String, String) {
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert!(out.status.success(), "{stderr}");
    (stdout, stderr)
}

fn failed(out: &Output) -> String {
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert!(!out.status.success(), "accepted: {stderr}");
    assert!(out.stdout.is_empty(), "nothing on stdout when refused");
    stderr
}

#[tokio::test]
async fn users_are_created_listed_and_disabled_with_the_binary() {
    let dir = workdir();
    let (app, url) = spawn_app_for_process(&dir).await;
    let admin = agencies(&app).await;

    // PW=$(sipas users create …): standard output is the generated password, alone.
    let (stdout, stderr) = ok(&users_cmd(
        &dir,
        &url,
        &["create", "--role", "admin", "Chief@Example.GOV.vn"],
        None,
    ));
    let generated = stdout.strip_suffix('\n').expect("one line");
    assert_eq!(generated.len(), 29, "{stdout:?}");
    assert!(!generated.contains(char::is_whitespace));
    assert!(stderr.contains("shown only this once"), "{stderr}");
    assert!(!stderr.contains(generated));

    // --password-stdin: nothing on standard output; one trailing line break dropped.
    let (stdout, _) = ok(&users_cmd(
        &dir,
        &url,
        &[
            "create",
            "--role",
            "agency",
            "--agency",
            "HUYEN",
            "--password-stdin",
            "can.bo@huyen.gov.vn",
        ],
        Some(&format!("{PASSWORD}\n")),
    ));
    assert!(stdout.is_empty());
    ok(&users_cmd(
        &dir,
        &url,
        &["create", "--role", "pipeline", "par@example.gov.vn"],
        None,
    ));

    // Refused: a short password, the same address again (in other letters), a missing or
    // unknown agency, an agency for another role, something that is not an address.
    let short = failed(&users_cmd(
        &dir,
        &url,
        &["create", "--role", "admin", "--password-stdin", "x@y.vn"],
        Some("eleven char\n"),
    ));
    assert!(short.contains("12 characters"), "{short}");
    let twice = failed(&users_cmd(
        &dir,
        &url,
        &["create", "--role", "admin", "chief@example.gov.vn"],
        None,
    ));
    assert!(twice.contains("already"), "{twice}");
    failed(&users_cmd(
        &dir,
        &url,
        &["create", "--role", "agency", "a@b.vn"],
        None,
    ));
    let unknown = failed(&users_cmd(
        &dir,
        &url,
        &["create", "--role", "agency", "--agency", "NOPE", "a@b.vn"],
        None,
    ));
    assert!(unknown.contains("NOPE"), "{unknown}");
    failed(&users_cmd(
        &dir,
        &url,
        &["create", "--role", "admin", "--agency", "HUYEN", "a@b.vn"],
        None,
    ));
    failed(&users_cmd(
        &dir,
        &url,
        &["create", "--role", "admin", "not-an-address"],
        None,
    ));

    // The list: every account, no password or hash.
    let (list, _) = ok(&users_cmd(&dir, &url, &["list"], None));
    let rows: Vec<Vec<&str>> = list.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(
        rows[0],
        [
            "id",
            "email",
            "role",
            "agency",
            "created",
            "last_sign_in",
            "disabled",
            "locked_until"
        ]
    );
    assert_eq!(rows.len(), 4, "{list}");
    assert_eq!(&rows[1][1..4], ["chief@example.gov.vn", "admin", "-"]);
    assert_eq!(&rows[2][1..4], ["can.bo@huyen.gov.vn", "agency", "HUYEN"]);
    assert_eq!(&rows[3][1..4], ["par@example.gov.vn", "pipeline", "-"]);
    assert!(
        rows[1..]
            .iter()
            .all(|r| r[5] == "-" && r[6] == "-" && r[7] == "-")
    );
    assert!(!list.contains("argon2") && !list.contains(generated));

    // The generated and the given passwords both sign in.
    let mut chief = Browser::of(&app);
    chief.sign_in("chief@example.gov.vn", generated).await;
    let mut officer = Browser::of(&app);
    officer.sign_in("CAN.BO@huyen.gov.vn", PASSWORD).await;
    assert_eq!(officer.get("/dashboard").await.status, 200);
    let (list, _) = ok(&users_cmd(&dir, &url, &["list"], None));
    assert_ne!(list.lines().nth(2).unwrap().split('\t').nth(5), Some("-"));

    // Disabling (by address) ends the open session at once and stops sign-in.
    let (_, stderr) = ok(&users_cmd(
        &dir,
        &url,
        &["disable", "Can.Bo@huyen.gov.vn"],
        None,
    ));
    assert!(stderr.contains("ended 1 open session"), "{stderr}");
    assert_signed_out(&officer.get("/dashboard").await);
    let again = officer
        .sign_in_with("can.bo@huyen.gov.vn", PASSWORD, None)
        .await;
    assert_eq!(again.status, 422);
    let (_, stderr) = ok(&users_cmd(&dir, &url, &["disable", rows[2][0]], None));
    assert!(stderr.contains("already disabled"), "{stderr}");
    failed(&users_cmd(&dir, &url, &["disable", "nobody@x.vn"], None));
    let (list, _) = ok(&users_cmd(&dir, &url, &["list"], None));
    assert_ne!(list.lines().nth(2).unwrap().split('\t').nth(6), Some("-"));
    assert_eq!(chief.get("/dashboard").await.status, 200, "others go on");

    // The audit log has each action, naming accounts by id, never by address.
    let audit = app.get_json(&admin, "/api/v1/audit").await;
    let actions: Vec<(&str, &str)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .take(4)
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["subject"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("user.disabled", rows[2][0]),
            ("user.created", rows[3][0]),
            ("user.created", rows[2][0]),
            ("user.created", rows[1][0]),
        ]
    );
    assert_eq!(audit["entries"][0]["details"]["sessions_ended"], 1);
    assert_eq!(audit["entries"][2]["details"]["agency_code"], "HUYEN");
    assert_eq!(audit["entries"][0]["actor_key_id"], Value::Null);
    let text = audit.to_string();
    assert!(!text.contains('@') && !text.contains("argon2"), "{text}");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn signing_in_sets_a_strict_http_only_cookie_and_opens_the_dashboard() {
    let app = spawn_app().await;
    agencies(&app).await;
    account(&app, Role::Agency, Some("HUYEN"), "can.bo@huyen.gov.vn").await;
    let mut b = Browser::of(&app);

    // Not signed in: to the sign-in page, which comes back here afterwards.
    let page = b.get("/dashboard?lang=en").await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location(),
        "/sign-in?next=%2Fdashboard%3Flang%3Den&lang=en"
    );

    // The form, in Vietnamese by default, sets its own strict cookie.
    let form = b.get("/sign-in?next=%2Fdashboard%3Flang%3Den").await;
    assert_officer_page(&form, 200);
    assert_eq!(form.headers["content-language"], "vi");
    assert!(form.body.contains("<html lang=\"vi\">"));
    assert!(form.body.contains("<h1>Đăng nhập</h1>"), "{}", form.body);
    assert!(
        form.body
            .contains("<label for=\"email\">Địa chỉ e-mail</label>")
    );
    assert!(
        form.body
            .contains("<label for=\"password\">Mật khẩu</label>")
    );
    assert!(form.body.contains("autocomplete=\"current-password\""));
    assert!(
        form.body
            .contains("name=\"next\" value=\"&#x2f;dashboard?lang&#x3d;en\"")
            || form
                .body
                .contains("name=\"next\" value=\"/dashboard?lang=en\""),
        "{}",
        form.body
    );
    let form_cookie = form.set_cookie("sipas_sign_in").expect("the form's cookie");
    assert!(
        form_cookie.ends_with("; HttpOnly; SameSite=Strict; Path=/"),
        "{form_cookie}"
    );
    let english = b.get("/sign-in?lang=en").await;
    assert_eq!(english.headers["content-language"], "en");
    assert!(english.body.contains("<h1>Sign in</h1>"));
    assert!(
        english.set_cookie("sipas_sign_in").is_none(),
        "kept, not replaced"
    );

    // Signing in: a fresh random session cookie, HttpOnly, SameSite=Strict, Path=/, not
    // Secure over plain http, no Max-Age (gone when the browser closes); on to `next`.
    let token = csrf(&form.body);
    let signed_in = b
        .post(
            "/sign-in",
            &[
                ("email", " Can.Bo@HUYEN.gov.vn "),
                ("password", PASSWORD),
                ("csrf_token", &token),
                ("next", "/dashboard?lang=en"),
            ],
        )
        .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(signed_in.location(), "/dashboard?lang=en");
    assert_eq!(signed_in.headers["cache-control"], "no-store");
    let cookie = signed_in
        .set_cookie("sipas_session")
        .expect("a session cookie");
    let value = b.jar["sipas_session"].clone();
    assert_eq!(value.len(), 64);
    assert!(value.bytes().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(
        cookie,
        format!("sipas_session={value}; HttpOnly; SameSite=Strict; Path=/")
    );
    // Only the token's hash is stored.
    let stored: String = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT id FROM sessions",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    assert_eq!(stored.trim(), sha256_hex(value.as_bytes()));

    // The dashboard (an agency officer's: their agency's overview) says who is signed in, with
    // the sign-out button.
    let dash = b.get("/dashboard?lang=en").await;
    assert_officer_page(&dash, 200);
    assert_eq!(dash.headers["content-language"], "en");
    for text in [
        "<strong>can.bo@huyen.gov.vn</strong> (Agency officer)",
        "<h1>Cơ quan HUYEN <span class=\"code\">(HUYEN)</span></h1>",
        "action=\"/sign-out?lang=en\"",
        ">Sign out</button>",
    ] {
        assert!(dash.body.contains(text), "{text} in {}", dash.body);
    }
    assert_eq!(csrf(&dash.body).len(), 64);
    assert_ne!(
        csrf(&dash.body),
        token,
        "bound to the session, not the form"
    );
    let vi = b.get("/dashboard").await;
    assert!(vi.body.contains("</strong> (Cán bộ cơ quan)"));
    assert!(vi.body.contains(">Đăng xuất</button>"));

    // Already signed in: the sign-in page goes straight on.
    let page = b.get("/sign-in").await;
    assert_eq!((page.status, page.location()), (303, "/dashboard"));

    // Signing in again rotates the session: a new token; the old one no longer works.
    let old = value;
    let again = b
        .post(
            "/sign-in",
            &[
                ("email", "can.bo@huyen.gov.vn"),
                ("password", PASSWORD),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(again.status, 303);
    let new = b.jar["sipas_session"].clone();
    assert_ne!(new, old);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sessions").await, 1);
    let mut stale = Browser::of(&app);
    stale.jar.insert("sipas_session".into(), old);
    assert_signed_out(&stale.get("/dashboard").await);
}

#[tokio::test]
async fn behind_https_the_cookies_are_secure_and_host_prefixed() {
    let app = spawn_app_with(|s| {
        s.server.public_base_url = Some("https://sipas.example.gov.vn".into());
    })
    .await;
    account(&app, Role::Admin, None, "admin@example.gov.vn").await;
    let mut b = Browser::of(&app);
    let form = b.get("/sign-in").await;
    let form_cookie = form.set_cookie("__Host-sipas_sign_in").unwrap();
    assert!(form_cookie.ends_with("; HttpOnly; SameSite=Strict; Secure; Path=/"));
    let token = csrf(&form.body);
    let page = b
        .post(
            "/sign-in",
            &[
                ("email", "admin@example.gov.vn"),
                ("password", PASSWORD),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let cookie = page.set_cookie("__Host-sipas_session").unwrap();
    assert!(
        cookie.ends_with("; HttpOnly; SameSite=Strict; Secure; Path=/"),
        "{cookie}"
    );
    assert!(b.get("/dashboard").await.body.contains("Quản trị hệ thống"));
}

/// The body with each e-mail address replaced, for comparing answers to different addresses.
fn without(body: &str, emails: &[&str]) -> String {
    let mut longest_first = emails.to_vec();
    longest_first.sort_by_key(|e| std::cmp::Reverse(e.len()));
    longest_first
        .iter()
        .fold(body.to_owned(), |b, e| b.replace(e, "EMAIL"))
}

#[tokio::test]
async fn a_wrong_password_an_unknown_address_and_a_disabled_account_get_the_same_answer() {
    let app = spawn_app().await;
    account(&app, Role::Admin, None, "known@example.gov.vn").await;
    account(&app, Role::Admin, None, "gone@example.gov.vn").await;
    sipas::commands::users::disable_user(&app.db, "gone@example.gov.vn")
        .await
        .unwrap();
    let mut b = Browser::of(&app);
    let wrong = b
        .sign_in_with("known@example.gov.vn", "not the password", None)
        .await;
    let unknown = b
        .sign_in_with("unknown@example.gov.vn", "not the password", None)
        .await;
    let disabled = b.sign_in_with("gone@example.gov.vn", PASSWORD, None).await;
    let emails = [
        "known@example.gov.vn",
        "unknown@example.gov.vn",
        "gone@example.gov.vn",
    ];
    assert_officer_page(&wrong, 422);
    assert!(
        wrong
            .body
            .contains("Địa chỉ e-mail hoặc mật khẩu không đúng."),
        "{}",
        wrong.body
    );
    assert!(wrong.body.contains("<title>Lỗi: Đăng nhập"));
    assert!(wrong.body.contains("href=\"#email\""));
    assert!(
        wrong
            .body
            .contains("aria-invalid=\"true\" aria-describedby=\"email-error\"")
    );
    assert!(!wrong.body.contains("not the password"), "never echoed");
    for other in [&unknown, &disabled] {
        assert_eq!(other.status, wrong.status);
        assert_eq!(without(&other.body, &emails), without(&wrong.body, &emails));
        let names = |p: &Page| {
            let mut n: Vec<String> = p
                .headers
                .keys()
                .map(|k| k.as_str().to_owned())
                .filter(|k| k != "date" && k != "x-request-id")
                .collect();
            n.sort();
            n
        };
        assert_eq!(names(other), names(&wrong));
        assert!(other.set_cookie("sipas_session").is_none());
    }
    assert!(!b.jar.contains_key("sipas_session"));

    // Field errors depend on the input only.
    let token = csrf(&b.get("/sign-in?lang=en").await.body);
    let empty = b
        .post(
            "/sign-in?lang=en",
            &[("email", ""), ("password", ""), ("csrf_token", &token)],
        )
        .await;
    assert_officer_page(&empty, 422);
    assert!(empty.body.contains("Enter your e-mail address."));
    assert!(empty.body.contains("Enter your password."));
    assert!(empty.body.contains("href=\"#password\""));
    let bad = b
        .post(
            "/sign-in?lang=en",
            &[
                ("email", "no-at-sign"),
                ("password", "x"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert!(bad.body.contains("in the right form"), "{}", bad.body);
}

#[tokio::test]
async fn repeated_failures_lock_the_address_whether_or_not_it_has_an_account() {
    let app = spawn_app_with(|s| s.accounts.max_failed_sign_ins = 3).await;
    account(&app, Role::Admin, None, "known@example.gov.vn").await;
    let emails = ["known@example.gov.vn", "unknown@example.gov.vn"];
    let mut b = Browser::of(&app);
    let mut answers: Vec<Vec<(u16, String)>> = Vec::new();
    for email in emails {
        let mut seen = Vec::new();
        for password in ["wrong 1", "wrong 2", "wrong 3", PASSWORD] {
            let page = b.sign_in_with(email, password, None).await;
            seen.push((page.status, without(&page.body, &emails)));
            if page.status == 429 {
                assert_eq!(page.headers["retry-after"], "900");
                assert!(
                    page.body.contains("Xin thử lại sau 15 phút."),
                    "{}",
                    page.body
                );
            }
        }
        answers.push(seen);
    }
    let statuses: Vec<u16> = answers[0].iter().map(|(s, _)| *s).collect();
    assert_eq!(
        statuses,
        [422, 422, 429, 429],
        "the right password is refused too"
    );
    assert_eq!(
        answers[0], answers[1],
        "the same for an address without an account"
    );
    let locked_until = count(
        &app,
        "SELECT COUNT(*) FROM users WHERE locked_until IS NOT NULL",
    )
    .await;
    assert_eq!(locked_until, 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM sign_in_throttle").await,
        1
    );
    let listed = sipas::commands::users::list_users(&app.db).await.unwrap();
    let text = sipas::commands::users::format_users(&listed, Utc::now());
    assert_ne!(text.lines().nth(1).unwrap().split('\t').nth(7), Some("-"));

    // The window passes (moved in the database rather than waited for).
    let past = Utc::now() - TimeDelta::minutes(16);
    for table in ["users", "sign_in_throttle"] {
        set_time(&app, table, "locked_until", past).await;
        set_time(&app, table, "last_failed_at", past).await;
    }
    let unknown = b
        .sign_in_with("unknown@example.gov.vn", PASSWORD, None)
        .await;
    assert_eq!(unknown.status, 422, "counting again from one");
    b.sign_in("known@example.gov.vn", PASSWORD).await;
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM users WHERE failed_attempts = 0 AND locked_until IS NULL"
        )
        .await,
        1,
        "a sign-in clears the count"
    );
    // Forgotten counters are purged.
    set_time(&app, "sign_in_throttle", "last_failed_at", past).await;
    set_time(
        &app,
        "sessions",
        "expires_at",
        Utc::now() - TimeDelta::seconds(1),
    )
    .await;
    let settings = sipas::config::Settings::defaults().unwrap();
    let ended = sipas::maintenance::purge_accounts(&app.db, &settings.accounts, Utc::now())
        .await
        .unwrap();
    assert_eq!(ended, 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM sign_in_throttle").await,
        0
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sessions").await, 0);
}

#[tokio::test]
async fn concurrent_failures_are_each_counted() {
    use sipas::domain::accounts::{Email, LockoutPolicy};
    use sipas::persistence::users;
    let app = spawn_app().await;
    account(&app, Role::Admin, None, "known@example.gov.vn").await;
    let email = Email::parse("known@example.gov.vn").unwrap();
    let id = users::find_by_email(&app.db, &email)
        .await
        .unwrap()
        .unwrap()
        .id;
    let policy = LockoutPolicy {
        max_failures: 100,
        duration: TimeDelta::minutes(15),
    };
    let now = Utc::now();
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let db = app.db.clone();
        tasks.push(tokio::spawn(async move {
            users::record_failure(&db, id, now, &policy).await.unwrap();
            users::record_throttle_failure(&db, "somebody", now, &policy)
                .await
                .unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let account = users::find_by_id(&app.db, id).await.unwrap().unwrap();
    assert_eq!(account.lockout.failed_attempts, 12);
    assert_eq!(
        users::throttle(&app.db, "somebody")
            .await
            .unwrap()
            .failed_attempts,
        12
    );
}

#[tokio::test]
async fn a_tampered_unknown_expired_or_idle_cookie_counts_as_signed_out() {
    let app = spawn_app().await;
    account(&app, Role::Pipeline, None, "par@example.gov.vn").await;
    let mut b = Browser::of(&app);
    let token = b.sign_in("par@example.gov.vn", PASSWORD).await;
    assert_eq!(b.get("/dashboard").await.status, 200);

    let flipped = {
        let mut t = token.clone().into_bytes();
        t[10] = if t[10] == b'0' { b'1' } else { b'0' };
        String::from_utf8(t).unwrap()
    };
    for value in [
        flipped.as_str(),
        "abc",
        "",
        &token.to_uppercase(),
        &"0".repeat(64),
    ] {
        let mut other = Browser::of(&app);
        other.jar.insert("sipas_session".into(), value.to_owned());
        let page = other.get("/dashboard").await;
        assert_signed_out(&page);
        if !value.is_empty() {
            let removal = page
                .set_cookie("sipas_session")
                .expect("the cookie is removed");
            assert!(removal.contains("Max-Age=0"), "{removal}");
        }
    }
    assert_eq!(
        b.get("/dashboard").await.status,
        200,
        "the real one still works"
    );

    // Past its absolute lifetime: signed out, and the session is deleted.
    set_time(
        &app,
        "sessions",
        "expires_at",
        Utc::now() - TimeDelta::seconds(1),
    )
    .await;
    assert_signed_out(&b.get("/dashboard").await);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sessions").await, 0);

    // Idle for longer than allowed (30 minutes by default).
    b.sign_in("par@example.gov.vn", PASSWORD).await;
    set_time(
        &app,
        "sessions",
        "last_seen_at",
        Utc::now() - TimeDelta::minutes(31),
    )
    .await;
    assert_signed_out(&b.get("/dashboard").await);
    // A request within the idle time keeps the session going.
    b.sign_in("par@example.gov.vn", PASSWORD).await;
    set_time(
        &app,
        "sessions",
        "last_seen_at",
        Utc::now() - TimeDelta::minutes(29),
    )
    .await;
    assert_eq!(b.get("/dashboard").await.status, 200);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM sessions").await,
        1,
        "touched, not ended"
    );
    assert_eq!(b.get("/dashboard").await.status, 200);
}

#[tokio::test]
async fn officer_forms_without_the_right_csrf_token_get_a_403_page() {
    let app = spawn_app().await;
    account(&app, Role::Admin, None, "admin@example.gov.vn").await;

    // The sign-in form: no token, a wrong one, or no form cookie.
    let mut b = Browser::of(&app);
    let token = csrf(&b.get("/sign-in").await.body);
    let zeros = "0".repeat(64);
    let fields = |t: &str| {
        [
            ("email", "admin@example.gov.vn".to_owned()),
            ("password", PASSWORD.to_owned()),
            ("csrf_token", t.to_owned()),
        ]
    };
    let missing = b
        .post(
            "/sign-in",
            &[("email", "admin@example.gov.vn"), ("password", PASSWORD)],
        )
        .await;
    assert_officer_page(&missing, 403);
    assert!(
        missing.body.contains("Biểu mẫu đã hết hạn"),
        "{}",
        missing.body
    );
    assert!(missing.body.contains("href=\"/sign-in\""));
    let wrong = fields(&zeros);
    let wrong = b
        .post("/sign-in", &wrong.each_ref().map(|(k, v)| (*k, v.as_str())))
        .await;
    assert_officer_page(&wrong, 403);
    let mut cookieless = Browser::of(&app);
    let right = fields(&token);
    let no_cookie = cookieless
        .post(
            "/sign-in?lang=en",
            &right.each_ref().map(|(k, v)| (*k, v.as_str())),
        )
        .await;
    assert_officer_page(&no_cookie, 403);
    assert!(no_cookie.body.contains("This form has expired"));
    assert!(!b.jar.contains_key("sipas_session"));

    // A signed-in form (sign-out): no token, the sign-in form's token, another session's.
    b.sign_in("admin@example.gov.vn", PASSWORD).await;
    let mut other = Browser::of(&app);
    other.sign_in("admin@example.gov.vn", PASSWORD).await;
    let others = csrf(&other.get("/dashboard").await.body);
    for pairs in [
        vec![],
        vec![("csrf_token", token.as_str())],
        vec![("csrf_token", others.as_str())],
        vec![("csrf_token", "")],
    ] {
        let page = b.post("/sign-out", &pairs).await;
        assert_officer_page(&page, 403);
        assert!(page.body.contains("Biểu mẫu đã hết hạn"));
    }
    let not_a_form = b
        .client
        .post(app.url("/sign-out"))
        .header("content-type", "application/json")
        .header(
            "cookie",
            format!("sipas_session={}", b.jar["sipas_session"]),
        )
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_form.status().as_u16(), 400);
    assert_eq!(b.get("/dashboard").await.status, 200, "still signed in");
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = spawn_app().await;
    account(&app, Role::Admin, None, "admin@example.gov.vn").await;
    let mut b = Browser::of(&app);
    let token = b.sign_in("admin@example.gov.vn", PASSWORD).await;
    let dash = b.get("/dashboard?lang=en").await;
    let out = b
        .post("/sign-out?lang=en", &[("csrf_token", &csrf(&dash.body))])
        .await;
    assert_eq!(out.status, 303, "{}", out.body);
    assert_eq!(out.location(), "/sign-in?signed_out=1&lang=en");
    let removal = out.set_cookie("sipas_session").unwrap();
    assert!(removal.contains("Max-Age=0"), "{removal}");
    assert!(!b.jar.contains_key("sipas_session"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sessions").await, 0);
    let page = b.get(out.location()).await;
    assert_officer_page(&page, 200);
    assert!(page.body.contains("role=\"status\">You have signed out."));

    // The old cookie, replayed, no longer opens anything.
    let mut replay = Browser::of(&app);
    replay.jar.insert("sipas_session".into(), token);
    assert_signed_out(&replay.get("/dashboard").await);
    // Signing out when already signed out just goes to the sign-in page.
    let page = replay.post("/sign-out", &[]).await;
    assert_signed_out(&page);
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in_and_its_sessions_end() {
    let app = spawn_app().await;
    agencies(&app).await;
    account(&app, Role::Agency, Some("TINH"), "tinh@example.gov.vn").await;
    let mut first = Browser::of(&app);
    let mut second = Browser::of(&app);
    first.sign_in("tinh@example.gov.vn", PASSWORD).await;
    second.sign_in("tinh@example.gov.vn", PASSWORD).await;
    let (_, outcome) = sipas::commands::users::disable_user(&app.db, "tinh@example.gov.vn")
        .await
        .unwrap();
    assert_eq!(
        outcome,
        sipas::persistence::users::Disabled::Now { sessions_ended: 2 }
    );
    assert_signed_out(&first.get("/dashboard").await);
    assert_signed_out(&second.get("/dashboard").await);
    let page = first
        .sign_in_with("tinh@example.gov.vn", PASSWORD, None)
        .await;
    assert_officer_page(&page, 422);
    assert!(
        page.body
            .contains("Địa chỉ e-mail hoặc mật khẩu không đúng.")
    );
}

#[tokio::test]
async fn only_addresses_on_this_site_are_followed_after_sign_in() {
    let app = spawn_app().await;
    account(&app, Role::Admin, None, "admin@example.gov.vn").await;
    for (next, to) in [
        ("https://evil.example/x", "/dashboard"),
        ("//evil.example/x", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
        ("/\t/evil.example", "/dashboard"),
        ("javascript:alert(1)", "/dashboard"),
        ("/dashboard?lang=en", "/dashboard?lang=en"),
        ("/forms/sipas-2017", "/forms/sipas-2017"),
    ] {
        let mut b = Browser::of(&app);
        let page = b
            .sign_in_with("admin@example.gov.vn", PASSWORD, Some(next))
            .await;
        assert_eq!(page.status, 303, "{next}");
        assert_eq!(page.location(), to, "{next}");
    }
    // Not even put in the form.
    let mut b = Browser::of(&app);
    let form = b.get("/sign-in?next=https%3A%2F%2Fevil.example").await;
    assert!(!form.body.contains("name=\"next\""), "{}", form.body);
    assert!(!form.body.contains("evil"));
}

#[tokio::test]
async fn logs_of_signing_in_and_out_hold_no_password_cookie_token_or_address() {
    let db = crate::helpers::TestDatabase::create().await;
    let dir = workdir();
    let url = db.url_for_process(&dir);
    let mut cmd = sipas(&dir);
    cmd.env("APP_SERVER__BIND", "127.0.0.1:0")
        .env("APP_LOG__FORMAT", "json")
        .env("DATABASE_URL", &url);
    let mut server = Server::start(cmd);
    let (password, _) = ok(&users_cmd(
        &dir,
        &url,
        &["create", "--role", "admin", "secret.officer@example.gov.vn"],
        None,
    ));
    let password = password.trim();
    let mut b = Browser::new(&server.address);
    let failed = b
        .sign_in_with("secret.officer@example.gov.vn", "Wrong-Password-123", None)
        .await;
    assert_eq!(failed.status, 422);
    let token = b.sign_in("secret.officer@example.gov.vn", password).await;
    let dash = b.get("/dashboard").await;
    let form_token = csrf(&dash.body);
    let out = b.post("/sign-out", &[("csrf_token", &form_token)]).await;
    assert_eq!(out.status, 303);
    server
        .wait_for("signed out")
        .expect("the sign-out is logged");
    let (exit, log) = server.terminate();
    assert!(exit.success());
    assert!(log.iter().any(|l| l.contains("\"signed in\"")), "{log:?}");
    assert!(
        log.iter().any(|l| l.contains("/sign-in")),
        "route templates are logged"
    );
    for l in &log {
        for secret in [
            password,
            "Wrong-Password-123",
            token.as_str(),
            form_token.as_str(),
            "secret.officer",
            "sipas_session=",
        ] {
            assert!(!l.contains(secret), "leaked {secret}: {l}");
        }
    }
    std::fs::remove_dir_all(dir).ok();
}

pub(crate) fn serious(report: &Value) -> Vec<&Value> {
    report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["impact"] == "serious" || v["impact"] == "critical")
        .collect()
}

#[tokio::test]
async fn an_officer_signs_in_with_the_keyboard_in_chromium_and_axe_finds_no_serious_violation() {
    let app = spawn_app().await;
    agencies(&app).await;
    account(&app, Role::Agency, Some("HUYEN"), "can.bo@huyen.gov.vn").await;
    let args = json!({
        "url": app.url("/dashboard"),
        "email": "can.bo@huyen.gov.vn",
        "password": PASSWORD,
        "shots": target_path("browser-sign-in"),
        "width": 360,
    });
    let report = browser("sign-in.mjs", args).await;
    let saved = target_path("browser-sign-in-report.json");
    std::fs::write(&saved, serde_json::to_vec_pretty(&report).unwrap()).unwrap();

    // Opening the dashboard leads to the sign-in page, the e-mail field focused.
    let form = &report["form"];
    assert_eq!(form["status"], 200, "{form}");
    assert_eq!(form["lang"], "vi");
    assert_eq!(form["heading"], "Đăng nhập");
    assert_eq!(form["focused"], "email");
    assert_eq!(form["scripts"], 0);
    assert_eq!(form["fits_width"], true, "horizontal scrolling at 360 px");
    assert!(serious(form).is_empty(), "{form}");

    // A wrong password: the error summary, focused, linking to the e-mail field.
    let wrong = &report["wrong"];
    assert_eq!(wrong["status"], 422, "{wrong}");
    assert_eq!(wrong["focused"], "error-summary");
    assert_eq!(
        wrong["summary"],
        json!(["Địa chỉ e-mail hoặc mật khẩu không đúng."])
    );
    assert!(serious(wrong).is_empty(), "{wrong}");

    // Signed in with the keyboard: the dashboard this all started from.
    let dash = &report["dashboard"];
    assert_eq!(dash["status"], 200, "{dash}");
    assert_eq!(dash["path"], "/dashboard");
    assert_eq!(dash["heading"], "Cơ quan HUYEN (HUYEN)");
    assert_eq!(dash["fits_width"], true);
    assert!(serious(dash).is_empty(), "{dash}");

    // Signed out with the keyboard.
    let out = &report["signed_out"];
    assert_eq!(out["path"], "/sign-in");
    assert_eq!(out["status_text"], "Đã đăng xuất.");
    assert!(serious(out).is_empty(), "{out}");
    for shot in ["form", "wrong", "dashboard", "signed_out"] {
        let path = report[shot]["screenshot"].as_str().unwrap();
        assert!(Path::new(path).is_file(), "{path}");
    }
}
