//! The landing page `/dashboard`: an agency officer's own overview; for administrators and the
//! pipeline, who is signed in and the top-level agencies to choose from.

use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;

use crate::domain::auth::Role;
use crate::persistence::agencies;
use crate::state::AppState;

use super::super::i18n::{Lang, OfficerUi, Ui};
use super::super::officer::{AccountBar, Officer, PageError, lang_suffix, page, role_label};
use super::frame::chrome;
use super::period::this_month;
use super::tabs::{overview::Overview, show};
use super::words::DashboardUi;
use super::{Link, agency_link, agency_name};

#[derive(Template)]
#[template(path = "officer/dashboard.html")]
struct ChoosePage {
    lang: &'static str,
    ui: &'static Ui,
    t: &'static OfficerUi,
    d: &'static DashboardUi,
    other_language_href: Option<String>,
    account: Option<AccountBar>,
    email: String,
    role: &'static str,
    agency: String,
    agencies: Vec<Link>,
    par_href: String,
}

/// The landing page: an agency officer's own overview; for others, the agencies to choose.
#[utoipa::path(
    tag = "pages",
    params(("lang" = Option<String>, Query, description = "`en` for English; Vietnamese otherwise")),
    responses(
        (status = 200, description = "The officer's agency overview, or the agencies to choose from", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the sign-in page"),
        (status = "default", description = "Any other outcome, as an HTML page", content_type = "text/html"),
    )
)]
#[get("/dashboard")]
pub async fn dashboard(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
) -> Result<HttpResponse, PageError> {
    let lang = officer.lang;
    if let (Role::Agency, Some(agency)) = (officer.role, &officer.agency) {
        let code = agency.code.clone();
        return show::<Overview>(&req, &state, &officer, &code).await;
    }
    let t = lang.officer();
    let c = chrome(&req, &officer);
    let top = agencies::list_children(&state.db, None)
        .await
        .map_err(|e| PageError::failed(lang, e))?;
    let agencies = top
        .iter()
        .map(|a| agency_link(&a.code, &agency_name(a, lang), lang_suffix(lang)))
        .collect();
    let agency = match &officer.agency {
        Some(agency) => agency.display(lang),
        None => t.every_agency.to_owned(),
    };
    let view = ChoosePage {
        lang: c.lang,
        ui: c.ui,
        t: c.t,
        d: c.d,
        other_language_href: c.other_language_href,
        account: c.account,
        email: officer.email.to_string(),
        role: role_label(t, officer.role),
        agency,
        agencies,
        par_href: format!(
            "/dashboard/par-scores.csv?period={}{}",
            this_month().year(),
            if lang == Lang::En { "&lang=en" } else { "" }
        ),
    };
    Ok(page(lang, &view))
}
