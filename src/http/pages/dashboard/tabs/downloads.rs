//! The downloads tab (`…/downloads`): links to the files of the chosen agency, form and period
//! — the XLSX report, the raw answers as CSV, XLSX or JSON, the PAR scores CSV. The files
//! themselves are answered in `files.rs`.

use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;

use crate::state::AppState;

use super::super::super::i18n::Lang;
use super::super::super::officer::{Officer, PageError};
use super::super::request::Request;
use super::super::words::{DashboardUi, words};
use super::super::{Link, Tab, encode_path};
use super::{AgencyTab, show};

/// The downloads tab.
struct Downloads;

impl AgencyTab for Downloads {
    const TAB: Tab = Tab::Downloads;
    /// Nothing is computed: the view is the version of the form's current definition.
    type View = u32;
    type Model = DownloadsModel;

    /// The frame offers no scope here.
    fn subtree(_: &Request) -> bool {
        false
    }

    async fn load(
        state: &AppState,
        _officer: &Officer,
        r: &Request,
        _subtree: bool,
    ) -> Result<u32, PageError> {
        Ok(state
            .forms
            .current(&r.form_key)
            .map_or(0, |f| f.definition.version()))
    }

    fn version(view: &u32) -> u32 {
        *view
    }

    fn model(r: &Request, _subtree: bool, _view: &u32) -> Result<DownloadsModel, PageError> {
        Ok(model(r))
    }
}

/// The downloads page's content (`templates/officer/agency_downloads.html`).
#[derive(Template)]
#[template(path = "officer/agency_downloads.html")]
struct DownloadsModel {
    d: &'static DashboardUi,
    report: String,
    raw: Vec<Link>,
    par: String,
}

/// The links: the report always in the page's language, the raw answers with `lang=en` only
/// in English (their Vietnamese column names are the default).
fn model(r: &Request) -> DownloadsModel {
    let lang = r.lang;
    let base = format!("/dashboard/agencies/{}", encode_path(&r.agency.code));
    let query = |with_lang: bool| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("form", &r.form_key);
        q.append_pair("period", r.period.label());
        if with_lang {
            q.append_pair("lang", r.lang_code());
        }
        q.finish()
    };
    let raw = ["csv", "xlsx", "json"]
        .iter()
        .map(|ext| Link {
            href: format!("{base}/export.{ext}?{}", query(lang == Lang::En)),
            label: ext.to_uppercase(),
            current: false,
        })
        .collect();
    DownloadsModel {
        d: words(lang),
        report: format!("{base}/report.xlsx?{}", query(true)),
        raw,
        par: format!("/dashboard/par-scores.csv?{}", query(lang == Lang::En)),
    }
}

/// Links to the files of the agency, form and period.
#[utoipa::path(
    tag = "pages",
    params(
        ("code" = String, Path, description = "agency code"),
        ("form" = Option<String>, Query), ("period" = Option<String>, Query),
        ("lang" = Option<String>, Query),
    ),
    responses(
        (status = 200, description = "The downloads", content_type = "text/html"),
        (status = "default", description = "Any other outcome, as an HTML page", content_type = "text/html"),
    )
)]
#[get("/dashboard/agencies/{code}/downloads")]
pub async fn downloads(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    code: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    show::<Downloads>(&req, &state, &officer, &code).await
}
