//! The trend tab (`…/trend`): SIPAS and each factor per month, quarter or year over the period
//! (by default the last 24 months), a panel each with its interval band, then the table with
//! the change from one step to the next.

use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;

use crate::app::results as use_cases;
use crate::app::results::TrendQuery;
use crate::domain::results::{NumberStatus, TrendNodeView, TrendStepView, TrendView};
use crate::export::charts::{self, Point, Series, number};
use crate::state::AppState;

use super::super::super::officer::{Officer, PageError};
use super::super::Tab;
use super::super::format::{chart_failed, chart_text, fmt_ci, mark};
use super::super::request::{Request, label_lang, page_error};
use super::super::words::{DashboardUi, period_words, words};
use super::{AgencyTab, show};

/// The trend tab.
struct Trend;

impl AgencyTab for Trend {
    const TAB: Tab = Tab::Trend;
    type View = TrendView;
    type Model = TrendModel;

    /// With the agencies below whenever there are any: the page offers no choice.
    fn subtree(r: &Request) -> bool {
        !r.children.is_empty()
    }

    async fn load(
        state: &AppState,
        officer: &Officer,
        r: &Request,
        subtree: bool,
    ) -> Result<TrendView, PageError> {
        let (from, to) = r.period.month_range();
        let q = TrendQuery {
            agency: Some(r.agency.code.clone()),
            form: Some(r.form_key.clone()),
            from: Some(from),
            to: Some(to),
            step: Some(r.step.clone()),
            subtree: Some(subtree.to_string()),
            lang: label_lang(state, r),
            ..TrendQuery::default()
        };
        use_cases::trend(&state.results(), officer, &q)
            .await
            .map_err(|e| page_error(r.lang, e))
    }

    fn version(view: &TrendView) -> u32 {
        view.form.version
    }

    fn model(r: &Request, _subtree: bool, view: &TrendView) -> Result<TrendModel, PageError> {
        let mut m = model(r, &view.steps)?;
        if let Some(h) = &view.merged_history {
            m.merged = Some(h.note(r.lang, &period_words(&h.merged_from, r.lang)));
            for row in &mut m.rows {
                let step = view
                    .steps
                    .iter()
                    .find(|s| period_words(&s.period, r.lang) == row.period);
                if step.is_some_and(|s| h.combined_steps.contains(&s.period)) {
                    row.period.push_str(" *");
                }
            }
        }
        Ok(m)
    }
}

/// One step of the trend table.
pub struct TrendRow {
    pub period: String,
    pub responses: u64,
    pub cells: Vec<String>,
    pub change: String,
}

/// The trend page's content (`templates/officer/agency_trend.html`).
#[derive(Template)]
#[template(path = "officer/agency_trend.html")]
struct TrendModel {
    d: &'static DashboardUi,
    chart: String,
    columns: Vec<String>,
    rows: Vec<TrendRow>,
    /// For an agency formed by a merge: which steps combine its predecessors (issue 21).
    merged: Option<String>,
}

/// The chart and the table of the steps.
fn model(r: &Request, steps: &[TrendStepView]) -> Result<TrendModel, PageError> {
    let d = words(r.lang);
    let periods: Vec<String> = steps.iter().map(|s| s.period.clone()).collect();
    let series = series(steps);
    let text = chart_text(
        r,
        "trend",
        format!("{} — {}", d.trend_heading, r.agency_name()),
        d.trend_desc,
    );
    let chart = charts::lines(&text, &periods, &series).map_err(chart_failed(r.lang))?;
    Ok(TrendModel {
        d,
        chart,
        columns: series.into_iter().map(|s| s.label).collect(),
        rows: steps.iter().map(|s| trend_row(r, s)).collect(),
        merged: None,
    })
}

/// A series for SIPAS, then one per factor (the first step's labels).
fn series(steps: &[TrendStepView]) -> Vec<Series> {
    let Some(first) = steps.first() else {
        return Vec::new();
    };
    let mut series = vec![Series {
        label: first.index.label.clone(),
        points: steps.iter().map(|s| trend_point(&s.index)).collect(),
    }];
    series.extend(first.nodes.iter().enumerate().map(|(k, node)| {
        Series {
            label: node.label.clone(),
            points: steps
                .iter()
                .map(|s| s.nodes.get(k).and_then(trend_point))
                .collect(),
        }
    }));
    series
}

/// The row of a step: SIPAS and the factors, and SIPAS's change from the step before.
fn trend_row(r: &Request, s: &TrendStepView) -> TrendRow {
    let c = r.decimal_comma();
    let mut cells = vec![trend_cell(&s.index, r)];
    cells.extend(s.nodes.iter().map(|n| trend_cell(n, r)));
    TrendRow {
        period: period_words(&s.period, r.lang),
        responses: s.responses,
        cells,
        change: s.index.change.as_ref().map_or_else(
            || "—".to_owned(),
            |ch| {
                format!(
                    "{}{} ({})",
                    if ch.value > 0.0 { "+" } else { "" },
                    number(ch.value, 2, c),
                    fmt_ci(Some(&ch.ci), c)
                )
            },
        ),
    }
}

/// A value with its interval (and a low-reliability note), or why there is none.
fn trend_cell(n: &TrendNodeView, r: &Request) -> String {
    let d = words(r.lang);
    let c = r.decimal_comma();
    match (n.value, n.status) {
        (Some(v), status) => {
            let mut s = format!("{} ({})", number(v, 2, c), fmt_ci(n.ci.as_ref(), c));
            if status == NumberStatus::LowReliability {
                s.push_str(&format!(" — {}", d.badge_low));
            }
            s
        }
        (None, _) if n.n == 0 => d.no_data.to_owned(),
        (None, _) => d.badge_suppressed.to_owned(),
    }
}

fn trend_point(n: &TrendNodeView) -> Option<Point> {
    n.value.map(|v| Point {
        value: v,
        ci: n.ci.map(|c| (c.low, c.high)),
        mark: mark(n.status, n.value, n.n),
    })
}

/// SIPAS and each factor over months, quarters or years.
#[utoipa::path(
    tag = "pages",
    params(
        ("code" = String, Path, description = "agency code"),
        ("form" = Option<String>, Query), ("period" = Option<String>, Query, description = "the whole range; default: the last 24 months"),
        ("step" = Option<String>, Query, description = "`month`, `quarter` (default) or `year`"),
        ("lang" = Option<String>, Query),
    ),
    responses(
        (status = 200, description = "The trend", content_type = "text/html"),
        (status = "default", description = "Any other outcome, as an HTML page", content_type = "text/html"),
    )
)]
#[get("/dashboard/agencies/{code}/trend")]
pub async fn trend(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    code: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    show::<Trend>(&req, &state, &officer, &code).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::domain::results::{ChangeView, IntervalView};

    use super::super::super::super::i18n::Lang;

    fn node(label: &str, value: Option<f64>, n: u64, status: NumberStatus) -> TrendNodeView {
        TrendNodeView {
            id: label.to_owned(),
            label: label.to_owned(),
            value,
            ci: value.map(|v| IntervalView {
                low: v - 2.0,
                high: v + 2.0,
                level: 0.95,
            }),
            se: None,
            n,
            status,
            change: None,
        }
    }

    fn step(period: &str, index: TrendNodeView, factor: TrendNodeView) -> TrendStepView {
        TrendStepView {
            period: period.to_owned(),
            invited: 100,
            responses: index.n,
            index,
            nodes: vec![factor],
            indicators: Vec::new(),
        }
    }

    #[test]
    fn each_step_shows_values_with_intervals_the_change_and_why_a_value_is_missing() {
        let mut second = node("Chỉ số SIPAS", Some(81.0), 60, NumberStatus::Ok);
        second.change = Some(ChangeView {
            value: 3.5,
            se: 1.0,
            ci: IntervalView {
                low: 1.5,
                high: 5.5,
                level: 0.95,
            },
            p_value: 0.01,
        });
        let steps = [
            step(
                "2025-Q1",
                node("Chỉ số SIPAS", Some(77.5), 12, NumberStatus::LowReliability),
                node("Tiếp cận dịch vụ", None, 4, NumberStatus::Suppressed),
            ),
            step(
                "2025-Q2",
                second,
                node("Tiếp cận dịch vụ", None, 0, NumberStatus::Suppressed),
            ),
        ];
        let m = model(&Request::sample(Lang::Vi), &steps).unwrap();
        assert_eq!(m.columns, ["Chỉ số SIPAS", "Tiếp cận dịch vụ"]);
        let d = words(Lang::Vi);
        assert_eq!(m.rows[0].period, "Quý I/2025");
        assert_eq!(
            m.rows[0].cells,
            [
                format!("77,50 (75,50 – 79,50) — {}", d.badge_low),
                d.badge_suppressed.to_owned()
            ]
        );
        assert_eq!(m.rows[0].change, "—");
        assert_eq!(
            m.rows[1].cells[1], d.no_data,
            "n = 0: no data, not suppressed"
        );
        assert_eq!(m.rows[1].change, "+3,50 (1,50 – 5,50)");
        let html = m.render().unwrap();
        assert!(
            html.contains("<th scope=\"col\">Tiếp cận dịch vụ</th>"),
            "{html}"
        );
        assert!(html.contains("<td class=\"num\">60</td>"), "the step's n");
        assert!(html.contains("<svg"), "the chart");
    }
}
