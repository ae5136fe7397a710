//! The breakdowns tab (`…/breakdowns?by=channel|mode|procedure_field`): the index per channel,
//! response mode or procedure field — bars, then the table with each group's factors.

use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;

use crate::domain::results::{CellView, ResultView};
use crate::export::charts::{self, Bar};
use crate::state::AppState;

use super::super::super::officer::{Officer, PageError};
use super::super::format::{badge, chart_failed, chart_text, fmt_ci, fmt_value, node_bar};
use super::super::request::{Request, results};
use super::super::words::{DashboardUi, key_words, words};
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::domain::results::{IntervalView, NodeView, NumberStatus, Suppression};

    use super::super::super::super::i18n::Lang;

    fn node(value: Option<f64>, n: u64, status: NumberStatus) -> NodeView {
        NodeView {
            id: "sipas".to_owned(),
            label: "SIPAS".to_owned(),
            value,
            ci: value.map(|v| IntervalView {
                low: v - 1.25,
                high: v + 1.25,
                level: 0.95,
            }),
            se: None,
            moe: None,
            n,
            complete: true,
            status,
            suppression: (status == NumberStatus::Suppressed).then_some(Suppression::Complementary),
            items: Vec::new(),
            agencies: None,
            pooled: None,
            children: vec![],
        }
    }

    fn cell(key: Option<&str>, index: NodeView) -> CellView {
        CellView {
            key: key.map(str::to_owned),
            invited: Some(90),
            responses: index.n,
            invalid_returns: 0,
            suppressed: index.value.is_none(),
            index,
            items: Vec::new(),
        }
    }

    #[test]
    fn cells_are_named_in_vietnamese_and_a_hidden_one_says_why() {
        let mut r = Request::sample(Lang::Vi);
        r.by = "mode".to_owned();
        let cells = [
            cell(Some("web"), node(Some(80.5), 48, NumberStatus::Ok)),
            cell(Some("kiosk"), node(None, 7, NumberStatus::Suppressed)),
            cell(None, node(None, 0, NumberStatus::Suppressed)),
        ];
        let m = model(&r, false, vec!["Tiếp cận dịch vụ".to_owned()], &cells).unwrap();
        let d = words(Lang::Vi);
        assert_eq!(
            m.heading,
            format!("{} — {}", d.breakdowns_heading, d.by_mode)
        );
        assert_eq!(m.rows[0].key, key_words("web", Lang::Vi));
        assert_eq!(
            (m.rows[0].value.as_str(), m.rows[0].ci.as_str()),
            ("80,50", "79,25 – 81,75")
        );
        assert_eq!(m.rows[1].value, "—");
        assert_eq!(m.rows[1].badge.text, d.badge_complementary);
        assert_eq!(m.rows[2].key, d.unknown_key);
        assert_eq!(m.rows[2].badge.text, d.no_data, "n = 0: no data");
        let html = m.render().unwrap();
        assert!(
            html.contains("<th scope=\"col\">Tiếp cận dịch vụ</th>"),
            "{html}"
        );
        assert!(html.contains(&format!(
            "<span class=\"badge suppressed\">{}</span>",
            d.badge_complementary
        )));
        let empty = model(&r, true, Vec::new(), &[]).unwrap();
        assert!(empty.chart.is_empty());
        assert!(
            empty
                .render()
                .unwrap()
                .contains(&format!("<p>{}</p>", d.no_data))
        );
    }
}
