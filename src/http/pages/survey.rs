//! The citizen survey page, `/s/{token}`: the address in the invitation e-mail and the QR code.
//! `GET` shows the dossier's questionnaire (the component of `questionnaire.rs`, with the agency,
//! the procedure field and the prefilled answers); `POST` takes the HTML form and stores it
//! through the one path every response takes, [`submit`]. Every outcome is an HTML page meant to
//! be read, marked [`HumanPage`] so that the `problems` middleware leaves it alone: thanks with
//! the receipt (200, also for an identical repeat), the form again with the errors next to the
//! questions (422), closed or already answered (410), unknown link (404), too many wrong links
//! (429), answers posted from another site (403). The JSON API keeps its problem+json.
//!
//! Form encoding (`application/x-www-form-urlencoded`, UTF-8): one field per question, named by
//! its id. A scale sends its level (`s1=4`), a single choice the option id, a multiple choice one
//! field per chosen option (`e1=a&e1=b`), yes/no `true`/`false`, text and numbers as typed; an
//! empty or absent field is unanswered. Whatever does not convert is passed on as text, for the
//! form's rules (`ValidSubmission::parse`) to reject in words. The page's `?lang=` is written
//! into the form's `action`, so the answer page comes back in the language the form was shown in.
//!
//! Security, for a page whose URL is the credential:
//! - **CSRF.** There is no cookie and no session: the token in the path is what authorises a
//!   post, so a forged cross-site post could only act on a token its author already knows —
//!   who could then post directly. Classic CSRF does not apply. Still, a browser that says a post
//!   comes from elsewhere is refused (403 page), as defence in depth against a page that has
//!   learnt a link making its visitor's browser answer: `Sec-Fetch-Site` other than
//!   `same-origin`/`none`, or, from browsers without it, an `Origin` that is neither this host
//!   nor `public_base_url`. Because of `Referrer-Policy: no-referrer`, browsers send
//!   `Origin: null` with our own form posts, so `null` proves nothing and is let through.
//!   Requests without either header (old browsers, scripts) are let through: the token decides.
//! - **`Referrer-Policy: no-referrer`**: a link followed from the page must not carry the token
//!   to another site in `Referer`.
//! - **`Cache-Control: no-store`**: no cache, shared or the browser's own, keeps a page reached
//!   with a credential, or the answers shown on it.
//! - **Framing**: `X-Frame-Options: DENY` and CSP `frame-ancestors 'none'`, so no site can lay
//!   the form under its own and have a visitor click an answer through it.
//! - **CSP** `default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'`:
//!   the pages need no script, image or font, and their one stylesheet is inline (`base.html`).
//! - **Logs**: the request span and the access log carry the route template `/s/{token}` only
//!   (`telemetry::SipasRootSpan`, `middleware::observe`); nothing here logs the path, the query,
//!   a header or the body.
//! - **Guessing**: unknown tokens count against the client's allowance of misses in
//!   `find_survey` (429 page); a valid token is always answered (`app::ratelimit`).
//! - **Size and time**: the body is read, within `limits.citizen_body_bytes` and
//!   `limits.body_read_timeout_secs`, before anything else (`http::bodies`); over either, this
//!   page's "cannot read" notice with 413 or 408.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::app::submissions::{Arrival, Entry, SubmitError, submit};
use crate::domain::dossiers::Dossier;
use crate::domain::forms::{FormDefinition, Prefill, PublishedForm, QuestionKind};
use crate::domain::submissions::{AnswerError, Mode, is_submission_key};
use crate::domain::tokens;
use crate::error::ApiError;
use crate::http::client_addr::client_address;
use crate::http::middleware::HumanPage;
use crate::http::surveys::find_survey;
use crate::persistence::dossiers::SurveyDossier;
use crate::state::AppState;

use super::i18n::{Lang, SurveyUi, Ui};
use super::questionnaire::{Fact, Filled, QuestionnaireView};

/// The largest form post read here; `http::bodies` has already held the body to
/// `limits.citizen_body_bytes` (64 KiB by default). The longest shipped form, every text field
/// full and every character percent-encoded (3 × 3 bytes), stays well below both.
const FORM_BODY_MAX: usize = 1 << 20;

/// Sent with every page of this module (see the module documentation).
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// `?lang=` of the citizen pages.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SurveyPageQuery {
    /// `en` for English (when the form has it) or `vi`; by default the dossier's language.
    pub lang: Option<String>,
}

/// The name of the form's hidden field that carries the submission key.
const SUBMISSION_KEY: &str = "submission_key";

#[derive(Template)]
#[template(path = "survey.html")]
struct SurveyPage<'a> {
    lang: &'static str,
    ui: &'static Ui,
    other_language_href: Option<&'a str>,
    form: QuestionnaireView,
}

/// The receipt on the thank-you page.
struct ReceiptView<'a> {
    label: &'static str,
    code: &'a str,
    note: &'static str,
}

#[derive(Template)]
#[template(path = "survey_notice.html")]
struct NoticePage<'a> {
    lang: &'static str,
    ui: &'static Ui,
    other_language_href: Option<&'a str>,
    heading: &'a str,
    text: &'a str,
    receipt: Option<ReceiptView<'a>>,
}

/// The survey of a token, as a page to answer.
#[utoipa::path(
    tag = "pages",
    params(("token" = String, Path, description = "The survey token from the link"), SurveyPageQuery),
    responses(
        (status = 200, description = "The questionnaire, ready to answer", content_type = "text/html"),
        (status = 404, description = "Unknown link", content_type = "text/html"),
        (status = 410, description = "Already answered or expired", content_type = "text/html"),
        (status = 429, description = "Too many unknown links from this address", content_type = "text/html"),
        (status = "default", description = "Any other outcome, as an HTML page", content_type = "text/html"),
    )
)]
#[get("/s/{token}")]
pub async fn survey_page(
    req: HttpRequest,
    token: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let requested = requested_lang(&req);
    let found = match find_survey(&req, &state, &token).await {
        Ok(found) => found,
        Err(e) => return lookup_failed(e, notice_lang(requested.as_deref())),
    };
    let form = match form_of(&state, &found.dossier) {
        Ok(form) => form,
        Err(e) => return failed(e, notice_lang(requested.as_deref())),
    };
    let lang = page_lang(requested.as_deref(), &found.dossier, &form.definition);
    if !found.dossier.is_open(Utc::now()) {
        return closed(&found.dossier, lang, true);
    }
    let dossier = &found.dossier;
    let filled = Filled::prefilled(&form.definition, |fact| match fact {
        Prefill::ProcedureField => dossier
            .procedure_field
            .clone()
            .or_else(|| dossier.procedure_code.clone()),
    });
    questionnaire(StatusCode::OK, &found, &form.definition, lang, &filled)
}

/// Answers the survey of a token from the HTML form.
#[utoipa::path(
    tag = "pages",
    params(("token" = String, Path, description = "The survey token from the link"), SurveyPageQuery),
    request_body(
        content = String,
        content_type = "application/x-www-form-urlencoded",
        description = "One field per question id: a scale's level, a single choice's option id, \
                       one field per chosen option of a multiple choice, `true`/`false`, text or \
                       a number as typed; empty or absent for unanswered."
    ),
    responses(
        (status = 200, description = "Thank-you page with the receipt (also for an identical repeat)", content_type = "text/html"),
        (status = 403, description = "Posted from another site", content_type = "text/html"),
        (status = 404, description = "Unknown link", content_type = "text/html"),
        (status = 410, description = "Answered differently before, or expired", content_type = "text/html"),
        (status = 422, description = "The questionnaire again, with the answers kept and each error next to its question", content_type = "text/html"),
        (status = 429, description = "Too many unknown links from this address", content_type = "text/html"),
        (status = "default", description = "Any other outcome, as an HTML page", content_type = "text/html"),
    )
)]
#[post("/s/{token}")]
pub async fn answer_survey(
    req: HttpRequest,
    token: web::Path<String>,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let requested = requested_lang(&req);
    let fallback = notice_lang(requested.as_deref());
    if is_cross_site(&req, &state.public_base_url) {
        let t = fallback.survey();
        return notice(
            StatusCode::FORBIDDEN,
            fallback,
            t.cross_site_title,
            t.cross_site_text,
        );
    }
    let unreadable = |status| {
        let t = fallback.survey();
        notice(status, fallback, t.unreadable_title, t.unreadable_text)
    };
    if !req
        .content_type()
        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    {
        return unreadable(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
    let body = match payload.to_bytes_limited(FORM_BODY_MAX).await {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => return unreadable(StatusCode::BAD_REQUEST),
        Err(_) => return unreadable(StatusCode::PAYLOAD_TOO_LARGE),
    };
    let found = match find_survey(&req, &state, &token).await {
        Ok(found) => found,
        Err(e) => return lookup_failed(e, fallback),
    };
    let form = match form_of(&state, &found.dossier) {
        Ok(form) => form,
        Err(e) => return failed(e, fallback),
    };
    let lang = page_lang(requested.as_deref(), &found.dossier, &form.definition);
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let answers = answers_from_form(&form.definition, &pairs);
    let entry = Entry::Link(Mode::Web);
    // The page's hidden field: a fresh key per rendering, so a resent form is a retry.
    let key = pairs
        .iter()
        .find(|(name, _)| name == SUBMISSION_KEY)
        .map(|(_, v)| v.as_str())
        .filter(|k| is_submission_key(k));
    let checked = (&state.checker(), &state.responses);
    let arrival = Arrival {
        monitor: &state.integrity,
        client: client_address(&req, &state.settings.server),
    };
    let entry = (entry, Some(arrival));
    match submit(checked, &found.dossier, (&answers, key), entry, Utc::now()).await {
        Ok(submitted) => thanks(lang, submitted.receipt()),
        Err(SubmitError::Invalid(errors)) => {
            let filled = filled_with_errors(&pairs, &errors, lang);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            questionnaire(status, &found, &form.definition, lang, &filled)
        }
        Err(SubmitError::AlreadyAnswered) => {
            let t = lang.survey();
            notice(StatusCode::GONE, lang, t.answered_title, t.answered_text)
        }
        Err(SubmitError::Closed) => closed(&found.dossier, lang, false),
        Err(SubmitError::Failed(e)) => failed(e, lang),
    }
}

/// The `lang` query parameter, read leniently: a page never fails over its query string.
fn requested_lang(req: &HttpRequest) -> Option<String> {
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(key, _)| key == "lang")
        .map(|(_, value)| value.into_owned())
}

/// The language of a page about a survey whose form is not known (yet): what was asked for;
/// every interface text exists in both languages.
fn notice_lang(requested: Option<&str>) -> Lang {
    Lang::negotiate(requested, &["vi".to_owned(), "en".to_owned()])
}

/// `?lang=` when given, else the dossier's language — either only if the form has it.
fn page_lang(requested: Option<&str>, dossier: &Dossier, form: &FormDefinition) -> Lang {
    Lang::negotiate(
        Some(requested.unwrap_or(&dossier.language)),
        form.languages(),
    )
}

/// The exact form version the dossier was registered with.
fn form_of<'a>(state: &'a AppState, dossier: &Dossier) -> Result<&'a PublishedForm, ApiError> {
    state
        .forms
        .version(&dossier.form_key, dossier.form_version)
        .map(|form| form.as_ref())
        .ok_or_else(|| {
            ApiError::Unexpected(anyhow::anyhow!(
                "dossier {} names form {} v{}, which is not loaded",
                dossier.id,
                dossier.form_key,
                dossier.form_version
            ))
        })
}

/// Whether a browser says that this post comes from another site (see the module
/// documentation).
fn is_cross_site(req: &HttpRequest, public_base_url: &str) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    match header(header::ORIGIN.as_str()) {
        None | Some("null") => false,
        Some(origin) => {
            let host = req.connection_info().host().to_owned();
            let authority = origin.split_once("://").map_or(origin, |(_, a)| a);
            let ours = public_base_url.trim_end_matches('/');
            !(authority.eq_ignore_ascii_case(&host) || origin.eq_ignore_ascii_case(ours))
        }
    }
}

/// The answers of an HTML form post, in the shape `ValidSubmission::parse` takes (see the
/// module documentation).
pub fn answers_from_form(form: &FormDefinition, pairs: &[(String, String)]) -> Map<String, Value> {
    let mut grouped: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (key, value) in pairs.iter().filter(|(key, _)| key != SUBMISSION_KEY) {
        grouped.entry(key).or_default().push(value);
    }
    grouped
        .into_iter()
        .map(|(id, values)| {
            let kind = form.question(id).map(|q| q.kind());
            let value = match (kind, values.as_slice()) {
                (Some(QuestionKind::MultipleChoice), chosen) => Value::from(
                    chosen
                        .iter()
                        .filter(|v| !v.is_empty())
                        .map(|v| Value::from(*v))
                        .collect::<Vec<_>>(),
                ),
                (_, [one]) => scalar(kind, one),
                // Several values for a one-value question: passed on as they are, to be refused.
                (_, many) => Value::from(many.iter().map(|v| Value::from(*v)).collect::<Vec<_>>()),
            };
            (id.to_owned(), value)
        })
        .collect()
}

fn scalar(kind: Option<QuestionKind>, text: &str) -> Value {
    let trimmed = text.trim();
    match kind {
        Some(QuestionKind::Text) => Value::from(text),
        _ if trimmed.is_empty() => Value::Null,
        Some(QuestionKind::Scale) => trimmed
            .parse::<i64>()
            .map_or_else(|_| Value::from(text), Value::from),
        Some(QuestionKind::Number) => trimmed
            .parse::<i64>()
            .map(Value::from)
            .ok()
            .or_else(|| {
                let float = trimmed.parse::<f64>().ok()?;
                serde_json::Number::from_f64(float).map(Value::Number)
            })
            .unwrap_or_else(|| Value::from(text)),
        Some(QuestionKind::YesNo) => match trimmed {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::from(text),
        },
        Some(QuestionKind::SingleChoice | QuestionKind::MultipleChoice) | None => Value::from(text),
    }
}

/// The citizen's answers as sent, with each error next to its question; errors about the
/// questionnaire as a whole (`answers`) go to the top.
fn filled_with_errors(pairs: &[(String, String)], errors: &[AnswerError], lang: Lang) -> Filled {
    let mut values: HashMap<String, Vec<String>> = HashMap::new();
    for (key, value) in pairs {
        values.entry(key.clone()).or_default().push(value.clone());
    }
    let mut filled = Filled {
        values,
        ..Filled::default()
    };
    for e in errors {
        let message = e.message(lang).to_owned();
        if e.question == "answers" {
            filled.general.push(message);
        } else {
            filled
                .errors
                .entry(e.question.clone())
                .and_modify(|m| {
                    m.push(' ');
                    m.push_str(&message);
                })
                .or_insert(message);
        }
    }
    filled
}

/// The questionnaire page (fresh, or sent back with errors).
fn questionnaire(
    status: StatusCode,
    found: &SurveyDossier,
    form: &FormDefinition,
    lang: Lang,
    filled: &Filled,
) -> HttpResponse {
    let ui = lang.ui();
    let today = chrono::Local::now().date_naive().to_string();
    // Relative: the form posts back to this very address, token included, with the language.
    let action = format!("?lang={}", lang.code());
    let mut view = QuestionnaireView::new(form, lang, &today, Some(action), filled);
    view.submission_key = tokens::fresh_submission_key().ok();
    let agency = match (lang, &found.agency_name_en) {
        (Lang::En, Some(en)) => en.clone(),
        _ => found.agency_name_vi.clone(),
    };
    view.about.push(Fact {
        label: ui.agency,
        value: agency,
    });
    if let Some(field) = &found.dossier.procedure_field {
        view.about.push(Fact {
            label: ui.procedure_field,
            value: field.clone(),
        });
    }
    let other = format!("?lang={}", ui.other_language_code);
    let has_other = form.languages().iter().any(|l| l == ui.other_language_code);
    let page = SurveyPage {
        lang: lang.code(),
        ui,
        other_language_href: has_other.then_some(other.as_str()),
        form: view,
    };
    respond(status, lang, render(&page))
}

fn thanks(lang: Lang, receipt: &str) -> HttpResponse {
    let t = lang.survey();
    let page = NoticePage {
        lang: lang.code(),
        ui: lang.ui(),
        other_language_href: None,
        heading: t.thanks_title,
        text: t.thanks_text,
        receipt: Some(ReceiptView {
            label: t.receipt_label,
            code: receipt,
            note: t.receipt_note,
        }),
    };
    respond(StatusCode::OK, lang, render(&page))
}

/// 410: answered, or past its expiry. `offer_other_language` on a `GET`, where following the
/// language link shows the same page.
fn closed(dossier: &Dossier, lang: Lang, offer_other_language: bool) -> HttpResponse {
    let t = lang.survey();
    let (heading, text) = if dossier.answered {
        (t.answered_title, t.answered_text)
    } else {
        (t.expired_title, t.expired_text)
    };
    let other = format!("?lang={}", lang.ui().other_language_code);
    let page = NoticePage {
        lang: lang.code(),
        ui: lang.ui(),
        other_language_href: offer_other_language.then_some(other.as_str()),
        heading,
        text,
        receipt: None,
    };
    respond(StatusCode::GONE, lang, render(&page))
}

/// A page with a heading and one paragraph.
fn notice(status: StatusCode, lang: Lang, heading: &str, text: &str) -> HttpResponse {
    let page = NoticePage {
        lang: lang.code(),
        ui: lang.ui(),
        other_language_href: None,
        heading,
        text,
        receipt: None,
    };
    respond(status, lang, render(&page))
}

/// The token was not found (404), the client is guessing (429), or the lookup failed.
fn lookup_failed(error: ApiError, lang: Lang) -> HttpResponse {
    let t: &SurveyUi = lang.survey();
    match error {
        ApiError::NotFound { .. } => notice(
            StatusCode::NOT_FOUND,
            lang,
            t.not_found_title,
            t.not_found_text,
        ),
        ApiError::RateLimited { retry_after_secs } => {
            let text = t
                .rate_limited_text
                .replace("{}", &retry_after_secs.to_string());
            let mut res = notice(
                StatusCode::TOO_MANY_REQUESTS,
                lang,
                t.rate_limited_title,
                &text,
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            res
        }
        other => failed(other, lang),
    }
}

/// 500 (503 when the service is unavailable); the cause is logged here, never shown.
fn failed(error: ApiError, lang: Lang) -> HttpResponse {
    let status = match error {
        ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    tracing::error!(error = ?error, "citizen survey page failed");
    let t = lang.survey();
    notice(status, lang, t.failed_title, t.failed_text)
}

/// The rendered page, or a bare one if the template failed (logged).
fn render(page: &impl Template) -> String {
    page.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot render a citizen survey page");
        "<!DOCTYPE html><html lang=\"vi\"><meta charset=\"utf-8\"><title>SIPAS</title>\
         <p>Hệ thống đang gặp sự cố. Xin thử lại sau. / Something went wrong. Please try again later.</p>"
            .to_owned()
    })
}

/// An HTML page with the headers of a page reached with a credential.
fn respond(status: StatusCode, lang: Lang, body: String) -> HttpResponse {
    let mut res = HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_LANGUAGE, lang.code()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            HeaderName::from_static("content-security-policy"),
            CONTENT_SECURITY_POLICY,
        ))
        .body(body);
    res.extensions_mut().insert(HumanPage);
    res
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form(key: &str) -> FormDefinition {
        crate::domain::forms::shipped(key)
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn form_fields_become_typed_answers() {
        let f = form("sipas-2017");
        let answers = answers_from_form(
            &f,
            &pairs(&[
                ("s1", "4"),
                ("s2", ""),
                ("s3", "four"),
                ("p1", "once"),
                ("e1", "facilities"),
                ("e1", "attitude"),
                ("g1", " Đất đai "),
                ("comment", ""),
                ("d_gender", "male"),
                ("d_gender", "female"),
                ("zz", "1"),
            ]),
        );
        assert_eq!(
            Value::Object(answers),
            json!({
                "s1": 4, "s2": null, "s3": "four", "p1": "once",
                "e1": ["facilities", "attitude"], "g1": " Đất đai ", "comment": "",
                "d_gender": ["male", "female"], "zz": "1",
            })
        );
    }

    #[test]
    fn numbers_and_yes_no_convert_or_stay_text() {
        assert_eq!(scalar(Some(QuestionKind::Number), " 42 "), json!(42));
        assert_eq!(scalar(Some(QuestionKind::Number), "2.5"), json!(2.5));
        assert_eq!(scalar(Some(QuestionKind::Number), "NaN"), json!("NaN"));
        assert_eq!(scalar(Some(QuestionKind::Number), ""), Value::Null);
        assert_eq!(scalar(Some(QuestionKind::YesNo), "true"), json!(true));
        assert_eq!(scalar(Some(QuestionKind::YesNo), "false"), json!(false));
        assert_eq!(scalar(Some(QuestionKind::YesNo), "yes"), json!("yes"));
    }

    #[test]
    fn a_form_post_that_parses_is_a_valid_submission() {
        use crate::domain::submissions::{ValidSubmission, ValidityRules};
        let f = form("sipas-2017");
        let answers = answers_from_form(
            &f,
            &pairs(&[("s1", "5"), ("e1", "facilities"), ("g1", "Đất đai")]),
        );
        let valid =
            ValidSubmission::parse(&f, &answers, Mode::Web, ValidityRules::default()).unwrap();
        assert_eq!(valid.answers["s1"], json!(5));
        assert_eq!(valid.answers["e1"], json!(["facilities"]));
    }
}
