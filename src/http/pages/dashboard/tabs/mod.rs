//! The tabs of an agency page, one file each, and the skeleton they share ([`show`]): read the
//! request (the signed-in officer, the agency with their rights, form, period and the other
//! selections), load the figures, build the frame, build the tab's page model — a pure
//! function of the view, which unit tests check without HTTP — and render it in the frame.

pub(super) mod breakdowns;
pub(super) mod compare;
pub(super) mod downloads;
pub(super) mod indicators;
pub(super) mod integrity;
pub(super) mod items;
pub(super) mod overview;
pub(super) mod trend;

use actix_web::{HttpRequest, HttpResponse};
use askama::FastWritable;

use crate::domain::results::ResultView;
use crate::state::AppState;

use super::super::officer::{Officer, PageError, page};
use super::Tab;
use super::frame::{AgencyPage, chrome, frame};
use super::request::{Request, request};

/// One tab of an agency page: what it loads and the page model it makes of it.
pub(super) trait AgencyTab {
    /// Which tab (its address, its name, its selectors).
    const TAB: Tab;
    /// What the tab shows figures of (a result, a trend, a ranking).
    type View;
    /// The page model: the askama template of the tab's content.
    type Model: FastWritable;

    /// Whether the figures include the agencies below: as asked for, else when there are any.
    fn subtree(r: &Request) -> bool {
        r.subtree_or_default()
    }

    /// Loads the figures (the API's, with the officer's rights).
    async fn load(
        state: &AppState,
        officer: &Officer,
        r: &Request,
        subtree: bool,
    ) -> Result<Self::View, PageError>;

    /// The form version the figures use (the frame says it).
    fn version(view: &Self::View) -> u32;

    /// The page model of the view (pure: no database, no HTTP).
    fn model(r: &Request, subtree: bool, view: &Self::View) -> Result<Self::Model, PageError>;
}

/// A tab that shows one result as `GET /api/v1/results` gives it (no breakdown): only its page
/// model is its own.
pub(super) trait ResultTab {
    const TAB: Tab;
    type Model: FastWritable;

    /// The page model of the result (pure).
    fn model(r: &Request, subtree: bool, view: &ResultView) -> Result<Self::Model, PageError>;
}

impl<T: ResultTab> AgencyTab for T {
    const TAB: Tab = <T as ResultTab>::TAB;
    type View = ResultView;
    type Model = <T as ResultTab>::Model;

    async fn load(
        state: &AppState,
        officer: &Officer,
        r: &Request,
        subtree: bool,
    ) -> Result<ResultView, PageError> {
        super::request::results(state, officer, r, subtree, None).await
    }

    fn version(view: &ResultView) -> u32 {
        view.form.version
    }

    fn model(r: &Request, subtree: bool, view: &ResultView) -> Result<Self::Model, PageError> {
        <T as ResultTab>::model(r, subtree, view)
    }
}

/// Answers the tab `T` of the agency `code`.
pub(super) async fn show<T: AgencyTab>(
    req: &HttpRequest,
    state: &AppState,
    officer: &Officer,
    code: &str,
) -> Result<HttpResponse, PageError> {
    let r = request(req, state, officer, code, T::TAB).await?;
    let subtree = T::subtree(&r);
    let view = T::load(state, officer, &r, subtree).await?;
    let f = frame(state, officer, &r, T::TAB, T::version(&view), subtree).await;
    let model = T::model(&r, subtree, &view)?;
    let page_view = AgencyPage::new(chrome(req, officer), T::TAB, f, model);
    Ok(page(r.lang, &page_view))
}
