//! Server-rendered HTML pages (askama templates in `templates/`): no JavaScript needed, no
//! external fonts or CDNs, Vietnamese by default with `?lang=en`. The form preview is here; the
//! citizen survey page (`/s/{token}`) is in `survey`; the officer pages' building blocks
//! (signed-in extractor, CSRF, layout) in `officer`, signing in and out in `accounts`, the
//! results pages of the officer's dashboard in `dashboard`.

pub mod accounts;
pub mod dashboard;
// The dashboard's words moved into its folder; the old path stays for the other pages.
pub use dashboard::words as dashboard_words;
pub mod i18n;
pub mod officer;
pub mod questionnaire;
pub mod survey;

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use crate::error::ApiError;
use crate::http::forms::form_not_found;
use crate::state::AppState;
use i18n::{Lang, Ui};
use questionnaire::{Filled, QuestionnaireView};

/// `?lang=…&version=…` of the preview page.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PreviewQuery {
    /// `en` for English; anything else (or nothing) gives Vietnamese.
    pub lang: Option<String>,
    /// A specific version; the newest published one by default.
    pub version: Option<u32>,
}

#[derive(Template)]
#[template(path = "form_preview.html")]
struct FormPreviewPage {
    lang: &'static str,
    ui: &'static Ui,
    other_language_href: String,
    form: QuestionnaireView,
}

/// The questionnaire as a citizen will see it (read-only preview).
#[utoipa::path(
    tag = "pages",
    params(("key" = String, Path, description = "form key"), PreviewQuery),
    responses((status = 200, description = "HTML page", content_type = "text/html"))
)]
#[get("/forms/{key}")]
pub async fn form_page(
    state: web::Data<AppState>,
    key: web::Path<String>,
    query: web::Query<PreviewQuery>,
) -> Result<HttpResponse, ApiError> {
    let form = match query.version {
        Some(v) => state.forms.version(&key, v),
        None => state.forms.current(&key),
    }
    .ok_or_else(|| form_not_found(&key))?;
    let definition = &form.definition;
    let lang = Lang::negotiate(query.lang.as_deref(), definition.languages());
    let ui = lang.ui();
    let today = chrono::Local::now().date_naive().to_string();
    let mut other = format!("/forms/{}?lang={}", key, ui.other_language_code);
    if let Some(v) = query.version {
        other.push_str(&format!("&version={v}"));
    }
    let page = FormPreviewPage {
        lang: lang.code(),
        ui,
        other_language_href: other,
        form: QuestionnaireView::new(definition, lang, &today, None, &Filled::default()),
    };
    html(lang, page.render())
}

/// A rendered page with its language, or a 500 if the template failed.
fn html(lang: Lang, rendered: askama::Result<String>) -> Result<HttpResponse, ApiError> {
    let body = rendered.map_err(|e| ApiError::Unexpected(anyhow::Error::new(e)))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_LANGUAGE, lang.code()))
        .body(body))
}
