//! The files of the dashboard: the PAR scores CSV, an agency's XLSX report, and its raw answers
//! streamed as CSV, XLSX or JSON — each an attachment of an officer page, whose errors stay
//! HTML pages.

use actix_web::http::header::{self, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::Utc;

use crate::app::results as use_cases;
use crate::app::results::{ParQuery, TrendQuery};
use crate::domain::results::TrendView;
use crate::export::par::par_csv;
use crate::persistence::agencies;
use crate::state::AppState;

use super::super::i18n::Lang;
use super::super::officer::{Officer, PageError, query_value};
use super::Tab;
use super::request::{label_lang, page_error, period_of, request, results};
use super::words::PAR_CSV_HEADER_VI;

/// The PAR scores of every agency the officer may read, as CSV: the content of
/// `GET /api/v1/par/scores?format=csv`, with Vietnamese column names unless `lang=en`.
#[utoipa::path(
    tag = "pages",
    params(
        ("period" = Option<String>, Query, description = "default: the current year"),
        ("form" = Option<String>, Query, description = "default: sipas-2017, or the officer's agency's form"),
        ("lang" = Option<String>, Query, description = "`en`: the API's column names"),
    ),
    responses(
        (status = 200, description = "CSV", content_type = "text/csv"),
        (status = 303, description = "Not signed in: to the sign-in page"),
        (status = "default", description = "Any other outcome, as an HTML page", content_type = "text/html"),
    )
)]
#[get("/dashboard/par-scores.csv")]
pub async fn par_scores_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
) -> Result<HttpResponse, PageError> {
    let lang = officer.lang;
    let form = match query_value(&req, "form").filter(|f| !f.is_empty()) {
        Some(f) => f,
        None => match &officer.agency {
            Some(a) => agencies::find_by_code(&state.db, &a.code)
                .await
                .map_err(|e| PageError::failed(lang, e))?
                .map_or_else(|| "sipas-2017".to_owned(), |a| a.default_form),
            None => "sipas-2017".to_owned(),
        },
    };
    let period = period_of(&req, Tab::Overview, lang)?;
    let (from, to) = period.month_range();
    let q = ParQuery {
        form: Some(form),
        from: Some(from),
        to: Some(to),
        ..ParQuery::default()
    };
    let (view, _) = use_cases::par_scores(&state.results(), &officer, &q)
        .await
        .map_err(|e| page_error(lang, e))?;
    let header: &[&str] = match lang {
        Lang::Vi => &PAR_CSV_HEADER_VI,
        Lang::En => &crate::export::par::PAR_CSV_HEADER,
    };
    let body = par_csv(&view, header).map_err(|e| PageError::failed(lang, e))?;
    let file = format!("sipas-par-{}.csv", view.period.replace('/', "_"));
    Ok(attachment("text/csv; charset=utf-8", &file, body))
}

/// The follow-up list of an open month (`app::sampling::follow_up`): for the agency's own
/// officer or an administrator, a new random draw of its unanswered dossiers on each download,
/// with Vietnamese column names unless `lang=en`.
#[utoipa::path(
    tag = "pages",
    params(
        ("code" = String, Path, description = "agency code"),
        ("month" = String, Query, description = "an open month, `YYYY-MM`"),
        ("form" = Option<String>, Query, description = "default: the agency's form"),
        ("lang" = Option<String>, Query, description = "`en`: the API's column names"),
    ),
    responses(
        (status = 200, description = "CSV", content_type = "text/csv"),
        (status = 303, description = "Not signed in: to the sign-in page"),
        (status = "default", description = "Any other outcome, as an HTML page", content_type = "text/html"),
    )
)]
#[get("/dashboard/agencies/{code}/follow-up.csv")]
pub async fn follow_up_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    code: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    use crate::app::sampling::{FollowUpQuery, follow_up};
    use crate::export::follow_up::{
        FOLLOW_UP_HEADER, FOLLOW_UP_HEADER_VI, file_name, follow_up_csv,
    };
    let lang = officer.lang;
    let q = FollowUpQuery {
        agency: Some(code.into_inner()),
        form: query_value(&req, "form"),
        version: query_value(&req, "version"),
        month: query_value(&req, "month"),
    };
    let target = state.settings.sampling.target();
    let list = follow_up(&state.results(), target, &officer, &q)
        .await
        .map_err(|e| page_error(lang, e))?;
    let header: &[&str] = match lang {
        Lang::Vi => &FOLLOW_UP_HEADER_VI,
        Lang::En => &FOLLOW_UP_HEADER,
    };
    let body = follow_up_csv(&list, header).map_err(|e| PageError::failed(lang, e))?;
    let mut res = attachment("text/csv; charset=utf-8", &file_name(&list), body);
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

/// An attachment of an officer page: the security headers, marked [`HumanPage`] so that an
/// error stays an HTML page.
///
/// [`HumanPage`]: crate::http::middleware::HumanPage
fn attachment(content_type: &str, file: &str, body: Vec<u8>) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    super::super::officer::security_headers(&mut res);
    let mut res = res
        .insert_header((CONTENT_TYPE, content_type.to_owned()))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ))
        .body(body);
    res.extensions_mut()
        .insert(crate::http::middleware::HumanPage);
    res
}

/// The XLSX report of an agency, form and period (`export::report`): the overview's figures,
/// the items, and the trend of the two years up to the period's end by quarter, of the same
/// form version.
#[utoipa::path(
    tag = "pages",
    params(
        ("code" = String, Path, description = "agency code"),
        ("form" = Option<String>, Query), ("period" = Option<String>, Query),
        ("lang" = Option<String>, Query, description = "`en`: an English workbook"),
    ),
    responses(
        (status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 303, description = "Not signed in: to the sign-in page"),
        (status = "default", description = "Any other outcome, as an HTML page", content_type = "text/html"),
    )
)]
#[get("/dashboard/agencies/{code}/report.xlsx")]
pub async fn report_xlsx(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    code: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    use crate::export::report;
    let r = request(&req, &state, &officer, &code, Tab::Overview).await?;
    let lang = r.lang;
    let subtree = r.subtree_or_default();
    let result = results(&state, &officer, &r, subtree, None).await?;
    let end = r.period.last();
    let q = TrendQuery {
        agency: Some(r.agency.code.clone()),
        form: Some(r.form_key.clone()),
        from: Some(format!("{:04}-01", end.year().saturating_sub(1))),
        to: Some(end.to_string()),
        step: Some("quarter".to_owned()),
        subtree: Some(subtree.to_string()),
        lang: label_lang(&state, &r),
        version: Some(result.form.version.to_string()),
        ..TrendQuery::default()
    };
    let steps: TrendView = use_cases::trend(&state.results(), &officer, &q)
        .await
        .map_err(|e| page_error(lang, e))?;
    let today = crate::domain::dossiers::vietnam_date(Utc::now());
    let body = report::agency_report(&result, &steps, lang, today)
        .map_err(|e| PageError::failed(lang, e))?;
    Ok(attachment(
        report::CONTENT_TYPE,
        &report::file_name(&result),
        body,
    ))
}

/// The anonymous answers of the page's agency, form and period as CSV (with a byte-order mark,
/// for Excel), XLSX or JSON: `GET /api/v1/responses/export` for the signed-in officer, with
/// Vietnamese column names unless `lang=en`.
#[utoipa::path(
    tag = "pages",
    params(
        ("code" = String, Path, description = "agency code"),
        ("ext" = String, Path, description = "`csv`, `xlsx` or `json`"),
        ("form" = Option<String>, Query), ("period" = Option<String>, Query),
        ("lang" = Option<String>, Query),
    ),
    responses(
        (status = 200, description = "The rows, streamed, as an attachment"),
        (status = 303, description = "Not signed in: to the sign-in page"),
        (status = "default", description = "Any other outcome, as an HTML page", content_type = "text/html"),
    )
)]
#[get("/dashboard/agencies/{code}/export.{ext}")]
pub async fn export_download(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    use crate::app::export::Exporter;
    use crate::app::export::request::{ExportQuery, prepare};
    use crate::http::export::respond;
    let (code, ext) = path.into_inner();
    let r = request(&req, &state, &officer, &code, Tab::Downloads).await?;
    let lang = r.lang;
    let (from, to) = r.period.month_range();
    let q = ExportQuery {
        agency: Some(r.agency.code.clone()),
        form: Some(r.form_key.clone()),
        from: Some(from),
        to: Some(to),
        subtree: Some(r.subtree_or_default().to_string()),
        bom: Some((ext == "csv").to_string()),
        format: Some(ext),
        lang: Some(r.lang_code().to_owned()),
        ..ExportQuery::default()
    };
    let prepared = prepare(&state.results(), &officer, &q, None)
        .await
        .map_err(|e| page_error(lang, e))?;
    let mut res = respond(&req, &state, Exporter::Officer(officer.user_id), prepared)
        .await
        .map_err(|e| page_error(lang, e))?;
    if !res.status().is_success() {
        // 503 `export_busy`: a problem like the API's, completed by the `problems` middleware.
        return Ok(res);
    }
    human_page_headers(&mut res);
    Ok(res)
}

/// The headers of an officer page on a streamed export, marked [`HumanPage`].
///
/// [`HumanPage`]: crate::http::middleware::HumanPage
fn human_page_headers(res: &mut HttpResponse) {
    let headers = res.headers_mut();
    for (name, value) in [
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::CONTENT_SECURITY_POLICY,
            super::super::officer::CONTENT_SECURITY_POLICY,
        ),
    ] {
        headers.insert(name, header::HeaderValue::from_static(value));
    }
    res.extensions_mut()
        .insert(crate::http::middleware::HumanPage);
}
