//! Building blocks of the officer pages (the sign-in in `accounts`, the dashboard pages):
//!
//! - [`Officer`]: the extractor of a page for signed-in officers. It finds the session of the
//!   session cookie, checks its lifetimes and the account, and hands the handler the officer as
//!   a [`Principal`] with the same role and subtree rules as an API key
//!   (`officer.may_read_agency(&path)`, `officer.may_act_for_agency(&path)`). Without a live
//!   session the browser is sent (303) to `/sign-in?next=<this page>`; a cookie that is
//!   unknown, tampered with, expired or of a disabled account counts as signed out, and is
//!   removed.
//! - [`OfficerForm`]: the extractor of every form post of the officer pages: a signed-in
//!   officer, and a form body whose `csrf_token` field is the session's CSRF token (a
//!   synchronizer token: HMAC of the session token, so bound to the session and never stored).
//!   Missing or wrong → 403 page. Templates put [`Officer::csrf`] in a hidden field
//!   `csrf_token` ([`CSRF_FIELD`]).
//! - [`PageError`]: what an officer page fails with, rendered as an HTML page (marked
//!   [`HumanPage`], so the `problems` middleware leaves it alone) in the page's language.
//! - [`page`]: an officer page response with the security headers (see below), and
//!   [`AccountBar`] + `templates/officer/layout.html`: the page layout with who is signed in
//!   and the sign-out button.
//!
//! Headers of every officer page, as on the citizen page: `Cache-Control: no-store` (pages of
//! a signed-in officer must not stay in any cache), `Referrer-Policy: no-referrer`,
//! `X-Frame-Options: DENY` and CSP `frame-ancestors 'none'` (no clickjacking), a CSP that
//! allows no script at all and only the inline stylesheet, `X-Content-Type-Options: nosniff`.
//!
//! Nothing here logs a cookie, a token, a password or an e-mail address; request spans carry
//! the route template only.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;
use chrono::Utc;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::config::Settings;
use crate::domain::accounts::{CsrfToken, Email, SessionToken};
use crate::domain::auth::{Principal, Role};
use crate::http::middleware::HumanPage;
use crate::persistence::{agencies, sessions, users};
use crate::state::AppState;

use super::i18n::{Lang, OfficerUi, Ui};

/// Sent with every officer page (see the module documentation).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
/// The hidden field of every officer form that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";
/// The largest officer form body read.
pub const FORM_BODY_MAX: usize = 16 * 1024;

/// The cookies of the officer pages. With `Secure` they get the `__Host-` prefix, which makes
/// browsers refuse them unless they are `Secure`, host-only and `Path=/`: no other host (a
/// sibling subdomain) can set or overwrite them.
#[derive(Debug, Clone, Copy)]
pub struct Cookies {
    /// The session cookie.
    pub session: &'static str,
    /// The sign-in form's own cookie, which its CSRF token is bound to.
    pub sign_in: &'static str,
    pub secure: bool,
}

impl Cookies {
    pub fn of(settings: &Settings) -> Self {
        if settings.secure_cookies() {
            Self {
                session: "__Host-sipas_session",
                sign_in: "__Host-sipas_sign_in",
                secure: true,
            }
        } else {
            Self {
                session: "sipas_session",
                sign_in: "sipas_sign_in",
                secure: false,
            }
        }
    }

    /// A cookie `name=value`: `HttpOnly` (no script reads it), `SameSite=Strict` (no other site
    /// makes the browser send it), `Path=/`, `Secure` when configured; no `Max-Age`, so the
    /// browser forgets it when closed (the server enforces the lifetimes).
    pub fn build(&self, name: &'static str, value: &str) -> Cookie<'static> {
        Cookie::build(name, value.to_owned())
            .path("/")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(self.secure)
            .finish()
    }

    /// What removes the cookie `name` from the browser.
    pub fn removal(&self, name: &'static str) -> Cookie<'static> {
        let mut cookie = self.build(name, "");
        cookie.make_removal();
        cookie
    }
}

/// The language of an officer page: `?lang=en` or Vietnamese (read leniently: a page never
/// fails over its query string).
pub fn page_lang(req: &HttpRequest) -> Lang {
    Lang::from_tag(query_value(req, "lang").as_deref())
}

/// The first value of a query parameter.
pub fn query_value(req: &HttpRequest, name: &str) -> Option<String> {
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// This page's address in the other language (the other query parameters kept).
pub fn other_language_href(req: &HttpRequest, lang: Lang) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        if key != "lang" {
            query.append_pair(&key, &value);
        }
    }
    query.append_pair("lang", lang.ui().other_language_code);
    format!("{}?{}", req.path(), query.finish())
}

/// `?lang=en` to append to an address of the officer pages, or nothing for Vietnamese.
pub fn lang_suffix(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => "",
        Lang::En => "?lang=en",
    }
}

/// The agency of an agency officer, for display.
#[derive(Debug, Clone)]
pub struct AgencyLabel {
    pub code: String,
    pub name_vi: String,
    pub name_en: Option<String>,
}

impl AgencyLabel {
    /// `CODE — name` in `lang` (Vietnamese when there is no English name).
    pub fn display(&self, lang: Lang) -> String {
        let name = match (lang, &self.name_en) {
            (Lang::En, Some(en)) => en,
            _ => &self.name_vi,
        };
        format!("{} — {name}", self.code)
    }
}

/// A signed-in officer. Derefs to the [`Principal`] that decides what they may see, by the
/// same rules as an API key of the same role and agency. (Its `key_id` is the account's id:
/// an officer's action must not be written to the audit log as a key's.)
#[derive(Debug, Clone)]
pub struct Officer {
    pub principal: Principal,
    pub user_id: Uuid,
    pub email: Email,
    pub role: Role,
    /// The agency of an agency officer.
    pub agency: Option<AgencyLabel>,
    /// The language of the page being answered.
    pub lang: Lang,
    csrf: CsrfToken,
    session: crate::domain::accounts::SessionId,
}

impl Deref for Officer {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl Officer {
    /// The CSRF token for the hidden `csrf_token` field of every form on the page.
    pub fn csrf(&self) -> &CsrfToken {
        &self.csrf
    }

    /// The id of the session (sign-out deletes it).
    pub fn session_id(&self) -> &crate::domain::accounts::SessionId {
        &self.session
    }

    /// The header bar of the page layout: who is signed in, and the sign-out button.
    pub fn account_bar(&self) -> AccountBar {
        let t = self.lang.officer();
        AccountBar {
            email: self.email.to_string(),
            role: role_label(t, self.role),
            sign_out_action: format!("/sign-out{}", lang_suffix(self.lang)),
            csrf: self.csrf.to_string(),
        }
    }

    /// The officer of this request, resolved once per request (see the module documentation).
    pub async fn of(req: &HttpRequest) -> Result<Officer, PageError> {
        if let Some(officer) = req.extensions().get::<Officer>() {
            return Ok(officer.clone());
        }
        let lang = page_lang(req);
        let state = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| PageError::failed(lang, anyhow::anyhow!("no application state")))?;
        let cookies = Cookies::of(&state.settings);
        let Some(cookie) = req.cookie(cookies.session) else {
            return Err(PageError::sign_in_required(req, lang, None));
        };
        let removal = Some(cookies);
        let Some(token) = SessionToken::from_cookie(cookie.value()) else {
            return Err(PageError::sign_in_required(req, lang, removal));
        };
        match resolve(&state, &token, lang).await {
            Ok(Some(officer)) => {
                req.extensions_mut().insert(officer.clone());
                Ok(officer)
            }
            Ok(None) => Err(PageError::sign_in_required(req, lang, removal)),
            Err(e) => Err(PageError::failed(lang, e)),
        }
    }
}

/// The officer whose session `token` is, if the session is live and the account enabled. An
/// ended session is deleted on the way.
async fn resolve(
    state: &AppState,
    token: &SessionToken,
    lang: Lang,
) -> anyhow::Result<Option<Officer>> {
    let db = &state.db;
    let id = token.id();
    let Some(session) = sessions::find(db, &id).await? else {
        return Ok(None);
    };
    let policy = state.settings.accounts.session_policy();
    let now = Utc::now();
    if !policy.is_live(session.expires_at, session.last_seen_at, now) {
        sessions::delete(db, &id).await?;
        return Ok(None);
    }
    let account = match users::find_by_id(db, session.user_id).await? {
        Some(account) if account.disabled_at.is_none() => account,
        _ => {
            sessions::delete(db, &id).await?;
            return Ok(None);
        }
    };
    let agency = match &account.scope {
        Some(scope) => agencies::find_by_id(db, scope.id)
            .await?
            .map(|a| AgencyLabel {
                code: a.code,
                name_vi: a.name_vi,
                name_en: a.name_en,
            }),
        None => None,
    };
    if policy.touch_due(session.last_seen_at, now)
        && let Err(err) = sessions::touch(db, &id, now).await
    {
        // A late last-seen time only shortens the idle lifetime; not worth failing the page.
        tracing::warn!(error = %err, user_id = %account.id, "cannot record the session's last use");
    }
    Ok(Some(Officer {
        principal: Principal {
            key_id: account.id,
            role: account.role,
            scope: account.scope.clone(),
        },
        user_id: account.id,
        email: account.email,
        role: account.role,
        agency,
        lang,
        csrf: token.csrf(),
        session: id,
    }))
}

impl FromRequest for Officer {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Officer::of(&req).await })
    }
}

/// A form post of the officer pages: the signed-in officer and the form, after the CSRF check
/// (see the module documentation). `T` is read from the `application/x-www-form-urlencoded`
/// body; it may ignore the `csrf_token` field.
pub struct OfficerForm<T> {
    pub officer: Officer,
    pub form: T,
}

impl<T: DeserializeOwned + 'static> FromRequest for OfficerForm<T> {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = web::Payload::from_request(&req, payload).into_inner();
        Box::pin(async move {
            let officer = Officer::of(&req).await?;
            let lang = officer.lang;
            let payload = payload.map_err(|_| PageError::Unreadable { lang })?;
            let body = read_form(&req, payload, lang).await?;
            let presented = field(&body, CSRF_FIELD);
            if !presented.is_some_and(|p| officer.csrf().matches(&p)) {
                return Err(PageError::CsrfRejected { lang });
            }
            let form =
                serde_urlencoded::from_bytes(&body).map_err(|_| PageError::Unreadable { lang })?;
            Ok(OfficerForm { officer, form })
        })
    }
}

/// The body of a form post: `application/x-www-form-urlencoded`, at most [`FORM_BODY_MAX`].
pub async fn read_form(
    req: &HttpRequest,
    payload: web::Payload,
    lang: Lang,
) -> Result<web::Bytes, PageError> {
    if !req
        .content_type()
        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    {
        return Err(PageError::Unreadable { lang });
    }
    match payload.to_bytes_limited(FORM_BODY_MAX).await {
        Ok(Ok(body)) => Ok(body),
        _ => Err(PageError::Unreadable { lang }),
    }
}

/// The first value of a field of a form body.
pub fn field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The role in words.
pub fn role_label(t: &OfficerUi, role: Role) -> &'static str {
    match role {
        Role::Admin => t.role_admin,
        Role::Agency => t.role_agency,
        Role::Pipeline => t.role_pipeline,
    }
}

/// The header bar of a signed-in page (`templates/officer/layout.html`).
pub struct AccountBar {
    pub email: String,
    pub role: &'static str,
    pub sign_out_action: String,
    pub csrf: String,
}

/// What an officer page fails with. Each renders an HTML page in the page's language.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in (or the session ended): 303 to the sign-in page, which comes back to
    /// `next` afterwards; `clear` removes a stale session cookie (of these names).
    SignInRequired {
        lang: Lang,
        next: Option<String>,
        clear: Option<Cookies>,
    },
    /// A form post without the right CSRF token: 403.
    CsrfRejected { lang: Lang },
    /// A form post that is not a readable form (content type, size, fields): 400.
    Unreadable { lang: Lang },
    /// The officer may not see this (an agency outside their subtree): 403. Say nothing about
    /// whether it exists.
    Forbidden { lang: Lang },
    /// Nothing here (for officers who may know): 404.
    NotFound { lang: Lang },
    /// A choice in the address that means nothing (a period, a form): 422, saying which.
    Invalid {
        lang: Lang,
        heading: &'static str,
        text: &'static str,
    },
    /// Anything else: 500; the cause is logged, never shown.
    Failed { lang: Lang, cause: anyhow::Error },
}

impl PageError {
    /// Sign-in required; a `GET` page is come back to afterwards.
    pub fn sign_in_required(req: &HttpRequest, lang: Lang, clear: Option<Cookies>) -> Self {
        let next = (req.method() == actix_web::http::Method::GET)
            .then(|| req.uri().path_and_query().map(|pq| pq.as_str().to_owned()))
            .flatten()
            .filter(|n| crate::domain::accounts::safe_next(n).is_some());
        PageError::SignInRequired { lang, next, clear }
    }

    pub fn failed(lang: Lang, cause: impl Into<anyhow::Error>) -> Self {
        PageError::Failed {
            lang,
            cause: cause.into(),
        }
    }

    fn lang(&self) -> Lang {
        match self {
            PageError::SignInRequired { lang, .. }
            | PageError::CsrfRejected { lang }
            | PageError::Unreadable { lang }
            | PageError::Forbidden { lang }
            | PageError::NotFound { lang }
            | PageError::Invalid { lang, .. }
            | PageError::Failed { lang, .. } => *lang,
        }
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::SignInRequired { .. } => f.write_str("sign-in required"),
            PageError::CsrfRejected { .. } => f.write_str("missing or wrong CSRF token"),
            PageError::Unreadable { .. } => f.write_str("unreadable form"),
            PageError::Forbidden { .. } => f.write_str("forbidden"),
            PageError::NotFound { .. } => f.write_str("not found"),
            PageError::Invalid { .. } => f.write_str("invalid choice"),
            PageError::Failed { cause, .. } => write!(f, "officer page failed: {cause:#}"),
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignInRequired { .. } => StatusCode::SEE_OTHER,
            PageError::CsrfRejected { .. } | PageError::Forbidden { .. } => StatusCode::FORBIDDEN,
            PageError::Unreadable { .. } => StatusCode::BAD_REQUEST,
            PageError::NotFound { .. } => StatusCode::NOT_FOUND,
            PageError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            PageError::Failed { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let lang = self.lang();
        let t = lang.officer();
        let status = self.status_code();
        let sign_in = format!("/sign-in{}", lang_suffix(lang));
        let back = Some((
            format!("/dashboard{}", lang_suffix(lang)),
            super::dashboard_words::words(lang).back_to_dashboard,
        ));
        let (heading, text, link) = match self {
            PageError::SignInRequired { next, clear, .. } => {
                let mut query = form_urlencoded::Serializer::new(String::new());
                if let Some(next) = next {
                    query.append_pair("next", next);
                }
                if lang == Lang::En {
                    query.append_pair("lang", "en");
                }
                let query = query.finish();
                let location = if query.is_empty() {
                    "/sign-in".to_owned()
                } else {
                    format!("/sign-in?{query}")
                };
                let mut res = HttpResponse::SeeOther();
                res.insert_header((header::LOCATION, location))
                    .insert_header((header::CACHE_CONTROL, "no-store"));
                if let Some(cookies) = clear {
                    res.cookie(cookies.removal(cookies.session));
                }
                let mut res = res.finish();
                res.extensions_mut().insert(HumanPage);
                return res;
            }
            PageError::CsrfRejected { .. } => (
                t.form_expired_title,
                t.form_expired_text,
                Some((sign_in, t.back_to_sign_in)),
            ),
            PageError::Unreadable { .. } => (
                t.unreadable_title,
                t.unreadable_text,
                Some((sign_in, t.back_to_sign_in)),
            ),
            PageError::Forbidden { .. } => (t.forbidden_title, t.forbidden_text, back),
            PageError::NotFound { .. } => (t.not_found_title, t.not_found_text, back),
            PageError::Invalid { heading, text, .. } => (*heading, *text, back),
            PageError::Failed { .. } => (t.failed_title, t.failed_text, None),
        };
        let page = NoticePage {
            lang: lang.code(),
            ui: lang.ui(),
            t,
            other_language_href: None,
            account: None,
            heading,
            text,
            link: link.as_ref().map(|(href, label)| (href.as_str(), *label)),
        };
        respond(status, lang, render(&page))
    }
}

#[derive(Template)]
#[template(path = "officer/notice.html")]
struct NoticePage<'a> {
    lang: &'static str,
    ui: &'static Ui,
    t: &'static OfficerUi,
    other_language_href: Option<String>,
    account: Option<AccountBar>,
    heading: &'a str,
    text: &'a str,
    link: Option<(&'a str, &'a str)>,
}

/// The rendered page, or a bare one if the template failed (logged).
pub fn render(page: &impl Template) -> String {
    page.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot render an officer page");
        "<!DOCTYPE html><html lang=\"vi\"><meta charset=\"utf-8\"><title>SIPAS</title>\
         <p>Hệ thống đang gặp sự cố. Xin thử lại sau. / Something went wrong. Please try again later.</p>"
            .to_owned()
    })
}

/// An officer page: HTML with the headers of the module documentation, marked [`HumanPage`].
pub fn respond(status: StatusCode, lang: Lang, body: String) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    security_headers(&mut res);
    let mut res = res
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_LANGUAGE, lang.code()))
        .body(body);
    res.extensions_mut().insert(HumanPage);
    res
}

/// A rendered officer page with status 200.
pub fn page(lang: Lang, page: &impl Template) -> HttpResponse {
    respond(StatusCode::OK, lang, render(page))
}

/// The security headers of every officer response, redirects included.
pub fn security_headers(res: &mut actix_web::HttpResponseBuilder) {
    res.insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ));
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn cookies_are_http_only_strict_and_host_prefixed_when_secure() {
        let mut settings = Settings::defaults().unwrap();
        let plain = Cookies::of(&settings);
        assert_eq!(plain.session, "sipas_session");
        let c = plain.build(plain.session, "abc").to_string();
        assert_eq!(c, "sipas_session=abc; HttpOnly; SameSite=Strict; Path=/");
        settings.server.public_base_url = Some("https://sipas.example.gov.vn".into());
        let secure = Cookies::of(&settings);
        let c = secure.build(secure.session, "abc").to_string();
        assert_eq!(
            c,
            "__Host-sipas_session=abc; HttpOnly; SameSite=Strict; Secure; Path=/"
        );
        let gone = secure.removal(secure.session).to_string();
        assert!(
            gone.contains("Max-Age=0") && gone.contains("Secure"),
            "{gone}"
        );
    }

    #[test]
    fn the_other_language_keeps_the_rest_of_the_query() {
        let req = TestRequest::get()
            .uri("/sign-in?next=%2Fdashboard%3Fx%3D1&lang=en")
            .to_http_request();
        assert_eq!(page_lang(&req), Lang::En);
        assert_eq!(
            other_language_href(&req, Lang::En),
            "/sign-in?next=%2Fdashboard%3Fx%3D1&lang=vi"
        );
        let req = TestRequest::get().uri("/dashboard").to_http_request();
        assert_eq!(other_language_href(&req, Lang::Vi), "/dashboard?lang=en");
    }

    #[test]
    fn sign_in_required_comes_back_to_get_pages_only() {
        let req = TestRequest::get()
            .uri("/dashboard?lang=en")
            .to_http_request();
        let PageError::SignInRequired { next, .. } =
            PageError::sign_in_required(&req, Lang::En, None)
        else {
            panic!()
        };
        assert_eq!(next.as_deref(), Some("/dashboard?lang=en"));
        let res = PageError::sign_in_required(&req, Lang::En, None).error_response();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            res.headers().get(header::LOCATION).unwrap(),
            "/sign-in?next=%2Fdashboard%3Flang%3Den&lang=en"
        );
        let post = TestRequest::post().uri("/sign-out").to_http_request();
        let res = PageError::sign_in_required(&post, Lang::Vi, None).error_response();
        assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/sign-in");
    }
}
