//! Signing in and out of the officer pages (the landing page `/dashboard` is in `dashboard`).
//!
//! - `GET /sign-in` shows the form (Vietnamese, `?lang=en`), with `?next=` kept for afterwards.
//!   It sets the form's own cookie (`sipas_sign_in`, random, `HttpOnly`, `SameSite=Strict`); the
//!   form's hidden CSRF token is derived from it, so a sign-in cannot be posted from another
//!   site (login CSRF: signing a victim into the attacker's account). Missing or wrong → 403.
//! - `POST /sign-in` checks the e-mail address and password. Success: a new session (a fresh
//!   random token in the session cookie; a session the browser already had is ended, so a
//!   sign-in always rotates the session) and 303 to `next` — only a path on this site
//!   (`domain::accounts::safe_next`) — or `/dashboard`.
//! - `POST /sign-out` (a CSRF-checked officer form) ends the session and removes the cookie.
//!
//! **Account enumeration.** Nothing in an answer depends on whether an account exists:
//! - a wrong password, an unknown address and a disabled account all get the same page with the
//!   same message (422), and the password is checked against [`DUMMY_HASH`] when there is no
//!   account, so the argon2 work — and the time — is the same;
//! - lockout applies to every address: after `accounts.max_failed_sign_ins` failures in a row
//!   the address is locked for `accounts.lockout_minutes` (429, "too many attempts, try again
//!   in N minutes"), counted on the account when there is one and in `sign_in_throttle` (by a
//!   keyed hash of the address) when there is none, by the same rule
//!   ([`Lockout::after_failure`]). Both paths make the same queries (one read of each table,
//!   then one counter update). While locked, even the right password gets the lockout page;
//!   the argon2 work is still done, so the time does not tell either.
//! - Field errors (empty, not an address) depend on the input only.
//!
//! Argon2 runs on the blocking pool (`web::block`), at most one per CPU core at a time
//! ([`PASSWORD_SLOTS`]), so sign-ins neither stall the async workers nor let a burst of posts
//! allocate 19 MiB each without bound.
//!
//! **Per client address.** The lockout stops guessing one account's password, not one client
//! keeping argon2 busy with attempts on ever new addresses. So every attempt that would check
//! a password first counts against its client address (`app::ratelimit::SignInLimiter`,
//! `accounts.sign_in_burst` / `sign_in_period_ms`; the address as `http::client_addr` says):
//! beyond that, 429 — the form again with how long to wait, and `Retry-After` — before any
//! hashing or database work. The answer does not depend on the account either.
//!
//! [`DUMMY_HASH`]: crate::domain::accounts::DUMMY_HASH
//! [`Lockout::after_failure`]: crate::domain::accounts::Lockout::after_failure

use std::sync::LazyLock;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tokio::sync::Semaphore;

use crate::domain::accounts::{
    Email, EmailProblem, Password, SessionToken, safe_next, verify_password,
};
use crate::http::client_addr::client_key;
use crate::persistence::users::Account;
use crate::persistence::{sessions, users};
use crate::state::AppState;

use super::i18n::{Lang, OfficerUi, Ui};
use super::officer::{
    AccountBar, Cookies, Officer, OfficerForm, PageError, field, lang_suffix, page_lang,
    query_value, read_form, render, respond, security_headers,
};
use super::questionnaire::ErrorLink;

/// Password checks running at once (each holds 19 MiB for tens of milliseconds).
static PASSWORD_SLOTS: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    Semaphore::new(cores.max(1))
});

#[derive(Template)]
#[template(path = "officer/sign_in.html")]
struct SignInPage<'a> {
    lang: &'static str,
    ui: &'static Ui,
    t: &'static OfficerUi,
    other_language_href: Option<String>,
    account: Option<AccountBar>,
    action: String,
    csrf: &'a str,
    next: Option<&'a str>,
    email: &'a str,
    signed_out: bool,
    summary: Vec<ErrorLink>,
    email_error: Option<&'a str>,
    password_error: Option<&'a str>,
    lockout_note: String,
}

/// What the form shows besides its fields.
#[derive(Default)]
struct FormState<'a> {
    email: &'a str,
    next: Option<&'a str>,
    signed_out: bool,
    email_error: Option<&'a str>,
    password_error: Option<&'a str>,
    /// A message about the attempt as a whole (locked), linked to a field when there is one
    /// to correct.
    general: Option<(String, Option<&'static str>)>,
}

/// The sign-in form's cookie secret: the browser's, or a new one (with the cookie to set).
fn form_secret(
    req: &HttpRequest,
    cookies: &Cookies,
) -> Result<(SessionToken, Option<actix_web::cookie::Cookie<'static>>), PageError> {
    if let Some(token) = req
        .cookie(cookies.sign_in)
        .and_then(|c| SessionToken::from_cookie(c.value()))
    {
        return Ok((token, None));
    }
    let token = SessionToken::generate()
        .map_err(|e| PageError::failed(page_lang(req), anyhow::anyhow!("random generator: {e}")))?;
    let cookie = cookies.build(cookies.sign_in, token.expose());
    Ok((token, Some(cookie)))
}

fn sign_in_form(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    lang: Lang,
    form: &FormState<'_>,
) -> HttpResponse {
    let cookies = Cookies::of(&state.settings);
    let (secret, set_cookie) = match form_secret(req, &cookies) {
        Ok(found) => found,
        Err(e) => return actix_web::ResponseError::error_response(&e),
    };
    let csrf = secret.csrf();
    let t = lang.officer();
    let mut summary = Vec::new();
    if let Some(e) = form.email_error {
        summary.push(ErrorLink {
            href: Some("#email".into()),
            text: e.to_owned(),
        });
    }
    if let Some(e) = form.password_error {
        summary.push(ErrorLink {
            href: Some("#password".into()),
            text: e.to_owned(),
        });
    }
    if let Some((text, target)) = &form.general {
        summary.push(ErrorLink {
            href: target.map(|id| format!("#{id}")),
            text: text.clone(),
        });
    }
    let accounts = &state.settings.accounts;
    let page = SignInPage {
        lang: lang.code(),
        ui: lang.ui(),
        t,
        other_language_href: Some(sign_in_href(form.next, lang.ui().other_language_code)),
        account: None,
        action: format!("/sign-in{}", lang_suffix(lang)),
        csrf: csrf.as_str(),
        next: form.next,
        email: form.email,
        signed_out: form.signed_out,
        summary,
        email_error: form.email_error,
        password_error: form.password_error,
        lockout_note: t
            .lockout_note
            .replace("{n}", &accounts.max_failed_sign_ins.to_string())
            .replace("{m}", &accounts.lockout_minutes.to_string()),
    };
    let mut res = respond(status, lang, render(&page));
    if let Some(cookie) = set_cookie
        && let Err(e) = res.add_cookie(&cookie)
    {
        tracing::error!(error = %e, "cannot set the sign-in form cookie");
    }
    res
}

/// The sign-in page in `lang_code`, keeping a (safe) `next`.
fn sign_in_href(next: Option<&str>, lang_code: &str) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if let Some(next) = next {
        query.append_pair("next", next);
    }
    query.append_pair("lang", lang_code);
    format!("/sign-in?{}", query.finish())
}

/// 303 to `location`, with the headers of the officer pages.
fn see_other(location: &str) -> HttpResponse {
    let mut res = HttpResponse::SeeOther();
    security_headers(&mut res);
    res.insert_header((header::LOCATION, location)).finish()
}

/// Where a sign-in goes: `next` if it is a path on this site, else the dashboard.
fn destination(next: Option<&str>, lang: Lang) -> String {
    next.and_then(safe_next)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("/dashboard{}", lang_suffix(lang)))
}

/// The sign-in form.
#[utoipa::path(
    tag = "pages",
    params(
        ("lang" = Option<String>, Query, description = "`en` for English; Vietnamese otherwise"),
        ("next" = Option<String>, Query, description = "A path on this site to open after signing in"),
    ),
    responses(
        (status = 200, description = "The sign-in form (sets the form's cookie)", content_type = "text/html"),
        (status = 303, description = "Already signed in: on to `next` or the dashboard"),
        (status = "default", description = "Any other outcome, as an HTML page", content_type = "text/html"),
    )
)]
#[get("/sign-in")]
pub async fn sign_in_page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let lang = page_lang(&req);
    let next = query_value(&req, "next");
    let next = next.as_deref().and_then(safe_next);
    if Officer::of(&req).await.is_ok() {
        return see_other(&destination(next, lang));
    }
    let form = FormState {
        next,
        signed_out: query_value(&req, "signed_out").is_some(),
        ..FormState::default()
    };
    sign_in_form(&req, &state, StatusCode::OK, lang, &form)
}

/// What a sign-in attempt came to.
enum Attempt {
    SignedIn(Account),
    /// Wrong password, no such account, or disabled: one answer for all three.
    Refused,
    Locked(DateTime<Utc>),
}

/// Checks the password and updates the lockout counters (see the module documentation).
async fn attempt(state: &AppState, email: &Email, password: Password) -> anyhow::Result<Attempt> {
    let db = &state.db;
    let policy = state.settings.accounts.lockout_policy();
    let account = users::find_by_email(db, email).await?;
    let email_key = state.token_key.sign_in_key(email.as_str());
    let throttled = users::throttle(db, &email_key).await?;
    let lockout = account.as_ref().map_or(throttled, |a| a.lockout);
    let stored = account.as_ref().map(|a| a.password_hash.clone());
    let matches = {
        let _slot = PASSWORD_SLOTS.acquire().await?;
        web::block(move || verify_password(&password, stored.as_deref())).await?
    };
    let now = Utc::now();
    if let Some(until) = lockout.locked_until(now) {
        return Ok(Attempt::Locked(until));
    }
    let after = match account {
        Some(account) if matches && account.disabled_at.is_none() => {
            return Ok(Attempt::SignedIn(account));
        }
        Some(account) => {
            tracing::info!(user_id = %account.id, "sign-in refused");
            users::record_failure(db, account.id, now, &policy).await?
        }
        None => {
            tracing::info!("sign-in refused (no such account)");
            users::record_throttle_failure(db, &email_key, now, &policy).await?
        }
    };
    Ok(match after.locked_until(now) {
        Some(until) => {
            tracing::warn!("sign-in locked after repeated failures");
            Attempt::Locked(until)
        }
        None => Attempt::Refused,
    })
}

/// Starts a session for `account`: ends the browser's previous one, stores the new one, and
/// answers 303 to `to` with the new cookie.
async fn start_session(
    req: &HttpRequest,
    state: &AppState,
    account: &Account,
    to: &str,
) -> anyhow::Result<HttpResponse> {
    let cookies = Cookies::of(&state.settings);
    let db = &state.db;
    if let Some(old) = req
        .cookie(cookies.session)
        .and_then(|c| SessionToken::from_cookie(c.value()))
    {
        sessions::delete(db, &old.id()).await?;
    }
    let token = SessionToken::generate().map_err(|e| anyhow::anyhow!("random generator: {e}"))?;
    let now = Utc::now();
    let policy = state.settings.accounts.session_policy();
    sessions::create(db, &token.id(), account.id, now, &policy).await?;
    users::record_sign_in(db, account.id, now).await?;
    tracing::info!(user_id = %account.id, "signed in");
    let mut res = see_other(to);
    res.add_cookie(&cookies.build(cookies.session, token.expose()))?;
    Ok(res)
}

/// Signs in with the form's e-mail address and password.
#[utoipa::path(
    tag = "pages",
    params(("lang" = Option<String>, Query, description = "`en` for English; Vietnamese otherwise")),
    request_body(
        content = String,
        content_type = "application/x-www-form-urlencoded",
        description = "`email`, `password`, `csrf_token` (from the form), optional `next`."
    ),
    responses(
        (status = 303, description = "Signed in: the session cookie, and on to `next` or the dashboard"),
        (status = 400, description = "Not a readable form", content_type = "text/html"),
        (status = 403, description = "Missing or wrong CSRF token (or no form cookie)", content_type = "text/html"),
        (status = 422, description = "The form again: a field is missing, or the e-mail address or password is wrong (one message, whether or not the account exists)", content_type = "text/html"),
        (status = 429, description = "Too many failed sign-ins with this e-mail address, or too many attempts from this client address: the form again, with how long to wait (`Retry-After`)", content_type = "text/html"),
        (status = "default", description = "Any other outcome, as an HTML page", content_type = "text/html"),
    )
)]
#[post("/sign-in")]
pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let lang = page_lang(&req);
    let t = lang.officer();
    let body = read_form(&req, payload, lang).await?;
    if !csrf_matches(&req, &state, &body) {
        return Err(PageError::CsrfRejected { lang });
    }
    let raw_email = field(&body, "email").unwrap_or_default();
    let raw_password = field(&body, "password").unwrap_or_default();
    let next = field(&body, "next");
    let next = next.as_deref().and_then(safe_next);
    let mut form = FormState {
        email: raw_email.trim(),
        next,
        ..FormState::default()
    };
    let Some(email) = checked_fields(&mut form, t, &raw_email, &raw_password) else {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(sign_in_form(&req, &state, status, lang, &form));
    };
    let client = client_key(&req, &state.settings.server);
    if let Some(client) = client
        && let Err(secs) = state.guards.sign_in.attempt(client)
    {
        let message = t.too_many_attempts.replace("{}", &secs.to_string());
        return Ok(too_many(&req, &state, (lang, &mut form), message, secs));
    }
    let password = Password::presented(&raw_password);
    drop(raw_password);
    let outcome = attempt(&state, &email, password)
        .await
        .map_err(|e| PageError::failed(lang, e))?;
    if let (Attempt::SignedIn(_), Some(client)) = (&outcome, client) {
        state.guards.sign_in.succeeded(client);
    }
    answer_attempt(&req, &state, (lang, &mut form), outcome).await
}

/// Whether the form's CSRF token is the one derived from the browser's sign-in form cookie.
fn csrf_matches(req: &HttpRequest, state: &AppState, body: &[u8]) -> bool {
    let cookies = Cookies::of(&state.settings);
    let form_secret = req
        .cookie(cookies.sign_in)
        .and_then(|c| SessionToken::from_cookie(c.value()));
    match (form_secret, field(body, super::officer::CSRF_FIELD)) {
        (Some(secret), Some(presented)) => secret.csrf().matches(&presented),
        _ => false,
    }
}

/// The e-mail address, when both fields are filled in and the address is one; otherwise
/// `None`, with the fields' errors set on `form`.
fn checked_fields(
    form: &mut FormState<'_>,
    t: &'static OfficerUi,
    raw_email: &str,
    raw_password: &str,
) -> Option<Email> {
    let email = Email::parse(raw_email);
    if let Err(problem) = &email {
        form.email_error = Some(match problem {
            EmailProblem::Missing => t.email_missing,
            EmailProblem::Invalid => t.email_invalid,
        });
    }
    if raw_password.is_empty() {
        form.password_error = Some(t.password_missing);
    }
    email.ok().filter(|_| form.password_error.is_none())
}

/// The form again, 429 with `message` and `Retry-After: retry_after_secs`.
fn too_many(
    req: &HttpRequest,
    state: &AppState,
    (lang, form): (Lang, &mut FormState<'_>),
    message: String,
    retry_after_secs: u64,
) -> HttpResponse {
    form.general = Some((message, None));
    let mut res = sign_in_form(req, state, StatusCode::TOO_MANY_REQUESTS, lang, form);
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    res
}

/// The answer to a checked password: a new session, the form again with the one message for a
/// wrong address or password (422), or the lockout (429).
async fn answer_attempt(
    req: &HttpRequest,
    state: &AppState,
    (lang, form): (Lang, &mut FormState<'_>),
    outcome: Attempt,
) -> Result<HttpResponse, PageError> {
    let t = lang.officer();
    match outcome {
        Attempt::SignedIn(account) => {
            start_session(req, state, &account, &destination(form.next, lang))
                .await
                .map_err(|e| PageError::failed(lang, e))
        }
        Attempt::Refused => {
            form.email_error = Some(t.wrong_credentials);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(sign_in_form(req, state, status, lang, form))
        }
        Attempt::Locked(until) => {
            let secs = (until - Utc::now()).num_seconds().max(1);
            let minutes = (secs + 59) / 60;
            let message = t.locked.replace("{}", &minutes.to_string());
            Ok(too_many(
                req,
                state,
                (lang, form),
                message,
                minutes.unsigned_abs() * 60,
            ))
        }
    }
}

/// No fields besides the CSRF token.
#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// Ends the session and removes the cookie; on to the sign-in page.
#[utoipa::path(
    tag = "pages",
    params(("lang" = Option<String>, Query, description = "`en` for English; Vietnamese otherwise")),
    request_body(
        content = String,
        content_type = "application/x-www-form-urlencoded",
        description = "`csrf_token` (from the page)."
    ),
    responses(
        (status = 303, description = "Signed out (or not signed in): on to the sign-in page"),
        (status = 403, description = "Missing or wrong CSRF token", content_type = "text/html"),
        (status = "default", description = "Any other outcome, as an HTML page", content_type = "text/html"),
    )
)]
#[post("/sign-out")]
pub async fn sign_out(
    state: web::Data<AppState>,
    post: OfficerForm<NoFields>,
) -> Result<HttpResponse, PageError> {
    let officer = post.officer;
    let lang = officer.lang;
    sessions::delete(&state.db, officer.session_id())
        .await
        .map_err(|e| PageError::failed(lang, e))?;
    tracing::info!(user_id = %officer.user_id, "signed out");
    let cookies = Cookies::of(&state.settings);
    let to = match lang {
        Lang::Vi => "/sign-in?signed_out=1",
        Lang::En => "/sign-in?signed_out=1&lang=en",
    };
    let mut res = see_other(to);
    res.add_cookie(&cookies.removal(cookies.session))
        .map_err(|e| PageError::failed(lang, e))?;
    Ok(res)
}
