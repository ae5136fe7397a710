//! The compare tab (`…/compare`, only for an agency with agencies below): the agencies below
//! ranked with their rank intervals (a caterpillar plot and its table), the others listed apart
//! with why they are not ranked.

use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;

use crate::app::results as use_cases;
use crate::app::results::RankingQuery;
use crate::domain::results::{NotRankedView, RankedView, RankingView};
use crate::export::charts::{self, Ranked, number};
use crate::state::AppState;

use super::super::super::officer::{Officer, PageError};
use super::super::format::{badge, chart_failed, chart_text, fmt_ci, fmt_value};
use super::super::request::{Request, label_lang, page_error};
use super::super::words::{DashboardUi, words};
use super::super::{Badge, Link, Tab, agency_link};
use super::{AgencyTab, show};

/// The compare tab.
struct Compare;

impl AgencyTab for Compare {
    const TAB: Tab = Tab::Compare;
    type View = RankingView;
    type Model = CompareModel;

    /// Each agency on its own unless asked otherwise.
    fn subtree(r: &Request) -> bool {
        r.subtree.unwrap_or(false)
    }

    async fn load(
        state: &AppState,
        officer: &Officer,
        r: &Request,
        subtree: bool,
    ) -> Result<RankingView, PageError> {
        let (from, to) = r.period.month_range();
        let q = RankingQuery {
            parent: Some(r.agency.code.clone()),
            form: Some(r.form_key.clone()),
            from: Some(from),
            to: Some(to),
            subtree: Some(subtree.to_string()),
            lang: label_lang(state, r),
            ..RankingQuery::default()
        };
        use_cases::ranking(&state.results(), officer, &q)
            .await
            .map_err(|e| page_error(r.lang, e))
    }

    fn version(view: &RankingView) -> u32 {
        view.form.version
    }

    fn model(r: &Request, _subtree: bool, view: &RankingView) -> Result<CompareModel, PageError> {
        model(r, &view.ranked, &view.not_ranked)
    }
}

/// A ranked agency of the comparison.
pub struct RankRow {
    pub rank: usize,
    pub interval: String,
    pub agency: Link,
    pub value: String,
    pub ci: String,
    pub n: u64,
}

/// An agency left out of the ranking.
pub struct ApartRow {
    pub agency: Link,
    pub value: String,
    pub ci: String,
    pub n: u64,
    pub badge: Badge,
}

/// The compare page's content (`templates/officer/agency_compare.html`).
#[derive(Template)]
#[template(path = "officer/agency_compare.html")]
struct CompareModel {
    d: &'static DashboardUi,
    chart: String,
    ranked: Vec<RankRow>,
    apart: Vec<ApartRow>,
}

/// The ranked agencies (chart and rows) and those apart.
fn model(
    r: &Request,
    ranked: &[RankedView],
    not_ranked: &[NotRankedView],
) -> Result<CompareModel, PageError> {
    let d = words(r.lang);
    let c = r.decimal_comma();
    let query = r.overview_query();
    let ranked_rows = ranked
        .iter()
        .map(|a| RankRow {
            rank: a.rank,
            interval: format!("{}–{}", a.rank_low, a.rank_high),
            agency: agency_link(&a.agency_code, &a.agency_name, &query),
            value: number(a.value, 2, c),
            ci: fmt_ci(a.ci.as_ref(), c),
            n: a.n,
        })
        .collect();
    let apart = not_ranked
        .iter()
        .map(|a| ApartRow {
            agency: agency_link(&a.agency_code, &a.agency_name, &query),
            value: fmt_value(a.value, c),
            ci: fmt_ci(a.ci.as_ref(), c),
            n: a.n,
            badge: badge(a.status, None, a.n, d),
        })
        .collect();
    Ok(CompareModel {
        d,
        chart: caterpillar(r, ranked)?,
        ranked: ranked_rows,
        apart,
    })
}

/// The caterpillar plot of the ranked agencies (nothing when none is ranked).
fn caterpillar(r: &Request, ranked: &[RankedView]) -> Result<String, PageError> {
    if ranked.is_empty() {
        return Ok(String::new());
    }
    let d = words(r.lang);
    let rows: Vec<Ranked> = ranked
        .iter()
        .map(|a| Ranked {
            label: a.agency_code.clone(),
            value: a.value,
            ci: a.ci.map(|c| (c.low, c.high)),
            rank: a.rank,
            rank_low: a.rank_low,
            rank_high: a.rank_high,
        })
        .collect();
    let text = chart_text(
        r,
        "ranking",
        format!("{} — {}", d.compare_heading, r.agency_name()),
        d.compare_chart_desc,
    );
    charts::caterpillar(&text, &rows).map_err(chart_failed(r.lang))
}

/// The agencies below ranked with their rank intervals.
#[utoipa::path(
    tag = "pages",
    params(
        ("code" = String, Path, description = "agency code (the parent)"),
        ("form" = Option<String>, Query), ("period" = Option<String>, Query),
        ("subtree" = Option<String>, Query, description = "`true`: each agency with those below it"),
        ("lang" = Option<String>, Query),
    ),
    responses(
        (status = 200, description = "The comparison", content_type = "text/html"),
        (status = "default", description = "Any other outcome, as an HTML page", content_type = "text/html"),
    )
)]
#[get("/dashboard/agencies/{code}/compare")]
pub async fn compare(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    code: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    show::<Compare>(&req, &state, &officer, &code).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::domain::results::{IntervalView, NumberStatus};

    use super::super::super::super::i18n::Lang;

    fn ranked(rank: usize, code: &str, name: &str, value: f64) -> RankedView {
        RankedView {
            rank,
            rank_low: rank,
            rank_high: rank + 1,
            agency_code: code.to_owned(),
            agency_name: name.to_owned(),
            value,
            ci: Some(IntervalView {
                low: value - 3.0,
                high: value + 3.0,
                level: 0.95,
            }),
            se: 1.5,
            n: 72,
            status: NumberStatus::Ok,
        }
    }

    #[test]
    fn ranked_agencies_link_to_their_overview_and_the_others_say_why_they_are_apart() {
        let ranked = [
            ranked(1, "SO-A", "Sở Tư pháp", 88.25),
            ranked(2, "SO-B", "Sở Xây dựng", 71.0),
        ];
        let apart = [NotRankedView {
            agency_code: "SO-NHO".to_owned(),
            agency_name: "Sở Ngoại vụ".to_owned(),
            value: None,
            ci: None,
            n: 6,
            status: NumberStatus::Suppressed,
        }];
        let m = model(&Request::sample(Lang::Vi), &ranked, &apart).unwrap();
        let first = &m.ranked[0];
        assert_eq!(first.interval, "1–2");
        assert_eq!(first.agency.label, "SO-A — Sở Tư pháp");
        assert_eq!(
            first.agency.href,
            "/dashboard/agencies/SO-A?form=sipas-2017&period=2025"
        );
        assert_eq!(
            (first.value.as_str(), first.ci.as_str()),
            ("88,25", "85,25 – 91,25")
        );
        assert_eq!(m.apart[0].badge.text, words(Lang::Vi).badge_suppressed);
        assert!(m.chart.contains("<svg"));
        let html = m.render().unwrap();
        assert!(html.contains(">SO-NHO — Sở Ngoại vụ</a>"), "{html}");
        assert!(
            html.contains("<td class=\"num\">72</td>"),
            "n of the ranked"
        );
        let en = model(&Request::sample(Lang::En), &[], &apart).unwrap();
        assert!(en.chart.is_empty(), "nothing ranked: no chart");
        assert!(en.apart[0].agency.href.ends_with("&lang=en"));
        assert!(en.render().unwrap().contains("id=\"nothing-ranked\""));
    }
}
