//! The breakdowns tab (`…/breakdowns?by=channel|mode|procedure_field`): the index per channel,
//! response mode or procedure field — bars, then the table with each group's factors.

use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;

use crate::domain::results::{CellView, ResultView};
use crate::export::charts::{self, Bar};
use crate::state::AppState;

use super::super::super::dashboard_words::{DashboardUi, key_words, words};
use super::super::super::officer::{Officer, PageError};
use super::super::format::{badge, chart_failed, chart_text, fmt_ci, fmt_value, node_bar};
use super::super::request::{Request, results};
use super::super::{Badge, Tab};
use super::{AgencyTab, show};

/// The breakdowns tab.
struct Breakdowns;

impl AgencyTab for Breakdowns {
    const TAB: Tab = Tab::Breakdowns;
    type View = ResultView;
    type Model = BreakdownsModel;

    async fn load(
        state: &AppState,
        officer: &Officer,
        r: &Request,
        subtree: bool,
    ) -> Result<ResultView, PageError> {
        results(state, officer, r, subtree, Some(&r.by)).await
    }

    fn version(view: &ResultView) -> u32 {
        view.form.version
    }

    fn model(r: &Request, subtree: bool, view: &ResultView) -> Result<BreakdownsModel, PageError> {
        let factors = view.index.children.iter().map(|n| n.label.clone());
        let cells = view.breakdown.as_ref().map_or(&[][..], |b| &b.cells);
        model(r, subtree, factors.collect(), cells)
    }
}

/// One cell of a breakdown.
pub struct CellRow {
    pub key: String,
    pub responses: u64,
    pub invited: String,
    pub value: String,
    pub ci: String,
    pub badge: Badge,
    pub factors: Vec<String>,
}

/// The breakdowns page's content (`templates/officer/agency_breakdowns.html`).
#[derive(Template)]
#[template(path = "officer/agency_breakdowns.html")]
struct BreakdownsModel {
    d: &'static DashboardUi,
    subtree_note: bool,
    heading: String,
    chart: String,
    factors: Vec<String>,
    rows: Vec<CellRow>,
}

/// The cells of the breakdown by `r.by`; `factors` are the names of the index's factors.
fn model(
    r: &Request,
    subtree: bool,
    factors: Vec<String>,
    cells: &[CellView],
) -> Result<BreakdownsModel, PageError> {
    let d = words(r.lang);
    let c = r.decimal_comma();
    let dimension = match r.by.as_str() {
        "mode" => d.by_mode,
        "procedure_field" => d.by_field,
        _ => d.by_channel,
    };
    let heading = format!("{} — {dimension}", d.breakdowns_heading);
    let rows = cells
        .iter()
        .map(|cell| CellRow {
            key: key_name(r, &cell.key),
            responses: cell.responses,
            invited: cell
                .invited
                .map_or_else(|| "—".to_owned(), |i| i.to_string()),
            value: fmt_value(cell.index.value, c),
            ci: fmt_ci(cell.index.ci.as_ref(), c),
            badge: badge(cell.index.status, cell.index.suppression, cell.index.n, d),
            factors: cell
                .index
                .children
                .iter()
                .map(|n| fmt_value(n.value, c))
                .collect(),
        })
        .collect();
    Ok(BreakdownsModel {
        d,
        subtree_note: subtree,
        chart: chart(r, &heading, cells)?,
        heading,
        factors,
        rows,
    })
}

/// A cell's name in the page's language (a cell without a key: "unknown").
fn key_name(r: &Request, key: &Option<String>) -> String {
    match key {
        Some(k) => key_words(k, r.lang),
        None => words(r.lang).unknown_key.to_owned(),
    }
}

/// A bar per cell (nothing without cells).
fn chart(r: &Request, heading: &str, cells: &[CellView]) -> Result<String, PageError> {
    if cells.is_empty() {
        return Ok(String::new());
    }
    let bars: Vec<Bar> = cells
        .iter()
        .map(|cell| Bar {
            label: key_name(r, &cell.key),
            ..node_bar(&cell.index, false)
        })
        .collect();
    let text = chart_text(
        r,
        "breakdown",
        heading.to_owned(),
        words(r.lang).breakdowns_desc,
    );
    charts::bars(&text, &bars).map_err(chart_failed(r.lang))
}

/// The index by channel, response mode or procedure field.
#[utoipa::path(
    tag = "pages",
    params(
        ("code" = String, Path, description = "agency code"),
        ("by" = Option<String>, Query, description = "`channel` (default), `mode` or `procedure_field`"),
        ("form" = Option<String>, Query), ("period" = Option<String>, Query),
        ("subtree" = Option<String>, Query), ("lang" = Option<String>, Query),
    ),
    responses(
        (status = 200, description = "The breakdown", content_type = "text/html"),
        (status = "default", description = "Any other outcome, as an HTML page", content_type = "text/html"),
    )
)]
#[get("/dashboard/agencies/{code}/breakdowns")]
pub async fn breakdowns(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    code: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    show::<Breakdowns>(&req, &state, &officer, &code).await
}

