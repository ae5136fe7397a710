//! The items tab (`…/items`): every criterion with its share, interval, n, mean and status,
//! a small stacked bar of its levels, and the level counts in a second table.

use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;

use crate::domain::results::{ItemView, ResultView};
use crate::export::charts::{self, number};
use crate::state::AppState;

use super::super::super::officer::{Officer, PageError};
use super::super::format::{badge, chart_failed, chart_text, fmt_ci, fmt_value};
use super::super::request::Request;
use super::super::words::{DashboardUi, words};
use super::super::{Badge, Tab};
use super::{ResultTab, show};

/// The items tab.
struct Items;

impl ResultTab for Items {
    const TAB: Tab = Tab::Items;
    type Model = ItemsModel;

    fn model(r: &Request, subtree: bool, view: &ResultView) -> Result<ItemsModel, PageError> {
        model(r, subtree, &view.items)
    }
}

/// One criterion of the items page.
pub struct ItemRow {
    pub id: String,
    pub label: String,
    pub share: String,
    pub ci: String,
    pub n: u64,
    pub mean: String,
    pub badge: Badge,
    pub chart: String,
    pub counts: Vec<String>,
}

/// The items page's content (`templates/officer/agency_items.html`).
#[derive(Template)]
#[template(path = "officer/agency_items.html")]
struct ItemsModel {
    d: &'static DashboardUi,
    subtree_note: bool,
    levels: Vec<String>,
    rows: Vec<ItemRow>,
}

/// The rows of the criteria (the view's `items`; named apart from the handler `items`).
fn model(r: &Request, subtree: bool, criteria: &[ItemView]) -> Result<ItemsModel, PageError> {
    let levels = levels(criteria);
    let rows = criteria
        .iter()
        .enumerate()
        .map(|(i, item)| item_row(r, i, item, &levels))
        .collect::<Result<_, _>>()?;
    Ok(ItemsModel {
        d: words(r.lang),
        subtree_note: subtree,
        levels,
        rows,
    })
}

/// The answer levels seen, in order (1–5 when nothing was counted).
fn levels(criteria: &[ItemView]) -> Vec<String> {
    let mut levels: Vec<String> = criteria
        .iter()
        .filter_map(|i| i.counts.as_ref())
        .flat_map(|m| m.keys().cloned())
        .collect();
    levels.sort_by_key(|l| l.parse::<i64>().unwrap_or(i64::MAX));
    levels.dedup();
    if levels.is_empty() {
        levels = (1..=5).map(|l| l.to_string()).collect();
    }
    levels
}

/// The row of the `i`-th criterion, with its distribution chart when its counts are published.
fn item_row(
    r: &Request,
    i: usize,
    item: &ItemView,
    levels: &[String],
) -> Result<ItemRow, PageError> {
    let d = words(r.lang);
    let c = r.decimal_comma();
    let counts: Vec<(String, u64)> = levels
        .iter()
        .map(|l| {
            let n = item.counts.as_ref().and_then(|m| m.get(l)).copied();
            (l.clone(), n.unwrap_or(0))
        })
        .collect();
    let chart = match &item.counts {
        Some(_) => {
            let desc = counts
                .iter()
                .map(|(l, n)| format!("{} {l}: {n}", d.col_level))
                .collect::<Vec<_>>()
                .join("; ");
            let title = format!("{}: {}", d.distribution_chart, item.question_id);
            charts::distribution(&chart_text(r, &format!("dist-{i}"), title, &desc), &counts)
                .map_err(chart_failed(r.lang))?
        }
        None => String::new(),
    };
    Ok(ItemRow {
        id: item.question_id.clone(),
        label: item.label.clone(),
        share: fmt_value(item.share, c),
        ci: fmt_ci(item.ci.as_ref(), c),
        n: item.n,
        mean: item
            .mean
            .map_or_else(|| "—".to_owned(), |m| number(m, 2, c)),
        badge: badge(item.status, item.suppression, item.n, d),
        chart,
        counts: match &item.counts {
            Some(_) => counts.iter().map(|(_, n)| n.to_string()).collect(),
            None => levels.iter().map(|_| "—".to_owned()).collect(),
        },
    })
}

/// Every criterion of an agency: share, interval, n, mean and the distribution of the levels.
#[utoipa::path(
    tag = "pages",
    params(
        ("code" = String, Path, description = "agency code"),
        ("form" = Option<String>, Query), ("period" = Option<String>, Query),
        ("subtree" = Option<String>, Query), ("lang" = Option<String>, Query),
    ),
    responses(
        (status = 200, description = "The criteria", content_type = "text/html"),
        (status = "default", description = "Any other outcome, as an HTML page", content_type = "text/html"),
    )
)]
#[get("/dashboard/agencies/{code}/items")]
pub async fn items(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    code: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    show::<Items>(&req, &state, &officer, &code).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::domain::results::{IntervalView, NumberStatus, Suppression};

    use super::super::super::super::i18n::Lang;

    fn item(id: &str, label: &str, share: Option<f64>, n: u64, status: NumberStatus) -> ItemView {
        ItemView {
            question_id: id.to_owned(),
            label: label.to_owned(),
            share,
            ci: share.map(|s| IntervalView {
                low: s - 4.5,
                high: s + 3.25,
                level: 0.95,
            }),
            se: None,
            n,
            counts: share.map(|_| BTreeMap::from([("1".into(), 2), ("5".into(), n - 2)])),
            mean: share.map(|_| 4.5),
            status,
            suppression: (status == NumberStatus::Suppressed).then_some(Suppression::SmallN),
            agencies: None,
            pooled: None,
        }
    }

    #[test]
    fn a_published_criterion_shows_its_share_interval_n_and_vietnamese_label() {
        let criteria = [item(
            "Q1",
            "Thái độ của công chức khi tiếp nhận hồ sơ",
            Some(82.5),
            40,
            NumberStatus::Ok,
        )];
        let m = model(&Request::sample(Lang::Vi), true, &criteria).unwrap();
        assert_eq!(m.levels, ["1", "5"]);
        let row = &m.rows[0];
        assert_eq!(row.share, "82,50");
        assert_eq!(row.ci, "78,00 – 85,75");
        assert_eq!(row.counts, ["2", "38"]);
        assert!(row.badge.text.is_empty());
        let html = m.render().unwrap();
        assert!(
            html.contains("Thái độ của công chức khi tiếp nhận hồ sơ"),
            "{html}"
        );
        assert!(html.contains("<td class=\"num\">78,00 – 85,75</td><td class=\"num\">40</td>"));
        assert!(
            html.contains("Mức 1: 2; Mức 5: 38"),
            "the chart's description"
        );
        assert!(html.contains(words(Lang::Vi).scope_note_subtree));
    }

    #[test]
    fn a_suppressed_criterion_renders_as_suppressed_without_numbers() {
        let criteria = [item("Q2", "Thời gian", None, 3, NumberStatus::Suppressed)];
        let m = model(&Request::sample(Lang::En), false, &criteria).unwrap();
        let row = &m.rows[0];
        assert_eq!((row.share.as_str(), row.ci.as_str()), ("—", "—"));
        assert_eq!(row.badge.text, "Suppressed");
        assert_eq!(row.counts, ["—"; 5], "no counts: the five levels dashed");
        assert!(row.chart.is_empty());
        let html = m.render().unwrap();
        assert!(
            html.contains("<span class=\"badge suppressed\">Suppressed</span>"),
            "{html}"
        );
        assert!(!html.contains(words(Lang::En).scope_note_subtree));
    }
}
