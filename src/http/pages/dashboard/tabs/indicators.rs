//! The perception and needs tab (`…/indicators`, methodology §3.3): every indicator question of
//! the form with its n and status, a bar per answer (its share and interval) and a table with
//! the same numbers; a grid row ends with its positive share. A suppressed question shows its
//! n and badge, no bars and dashes.

use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;

use crate::domain::results::{IndicatorView, ResultView, ShareView};
use crate::export::charts::{self, Bar};
use crate::state::AppState;

use super::super::super::officer::{Officer, PageError};
use super::super::format::{badge, chart_failed, chart_text, fmt_ci, fmt_value, mark};
use super::super::request::Request;
use super::super::words::{DashboardUi, words};
use super::super::{Badge, Tab};
use super::{ResultTab, show};

/// The indicators tab.
struct Indicators;

impl ResultTab for Indicators {
    const TAB: Tab = Tab::Indicators;
    type Model = IndicatorsModel;

    fn model(r: &Request, _: bool, view: &ResultView) -> Result<IndicatorsModel, PageError> {
        model(r, &view.indicators)
    }
}

/// One answer (or the positive share) of a question.
pub struct AnswerRow {
    pub label: String,
    pub share: String,
    pub ci: String,
    pub count: String,
    pub badge: Badge,
}

/// One question of the tab.
pub struct QuestionBlock {
    pub id: String,
    pub label: String,
    pub n: u64,
    pub badge: Badge,
    /// The bars of its shares (empty when nothing is published).
    pub chart: String,
    pub rows: Vec<AnswerRow>,
}

/// The tab's content (`templates/officer/agency_indicators.html`).
#[derive(Template)]
#[template(path = "officer/agency_indicators.html")]
struct IndicatorsModel {
    d: &'static DashboardUi,
    questions: Vec<QuestionBlock>,
}

fn model(r: &Request, views: &[IndicatorView]) -> Result<IndicatorsModel, PageError> {
    Ok(IndicatorsModel {
        d: words(r.lang),
        questions: views
            .iter()
            .map(|q| question(r, q))
            .collect::<Result<_, _>>()?,
    })
}

/// The answers of `q` as (label, share), its positive share last.
fn answers(r: &Request, q: &IndicatorView) -> Vec<(String, ShareView)> {
    let mut out: Vec<(String, ShareView)> = (q.options.iter())
        .map(|o| (o.label.clone(), o.share.clone()))
        .collect();
    if let Some(p) = &q.positive {
        let label = format!("{} {})", words(r.lang).positive_row, p.levels.join(", "));
        out.push((label, p.share.clone()));
    }
    out
}

/// The block of one question.
fn question(r: &Request, q: &IndicatorView) -> Result<QuestionBlock, PageError> {
    let d = words(r.lang);
    let c = r.decimal_comma();
    let answers = answers(r, q);
    let rows = (answers.iter())
        .map(|(label, s)| AnswerRow {
            label: label.clone(),
            share: fmt_value(s.share, c),
            ci: fmt_ci(s.ci.as_ref(), c),
            count: s.count.map_or_else(|| "—".to_owned(), |n| n.to_string()),
            badge: badge(s.status, q.suppression, q.n, d),
        })
        .collect();
    let chart = if answers.iter().any(|(_, s)| s.share.is_some()) {
        let bars: Vec<Bar> = (answers.iter())
            .map(|(label, s)| Bar {
                label: label.clone(),
                value: s.share,
                ci: s.ci.map(|ci| (ci.low, ci.high)),
                mark: mark(s.status, s.share, q.n),
                emphasis: false,
            })
            .collect();
        let text = chart_text(
            r,
            &format!("ind-{}", q.question_id),
            q.label.clone(),
            d.indicators_intro,
        );
        charts::bars(&text, &bars).map_err(chart_failed(r.lang))?
    } else {
        String::new()
    };
    Ok(QuestionBlock {
        id: q.question_id.clone(),
        label: q.label.clone(),
        n: q.n,
        badge: badge(q.status, q.suppression, q.n, d),
        chart,
        rows,
    })
}

/// Every perception and needs question of an agency: the share of each answer with its
/// interval, n and status.
#[utoipa::path(
    tag = "pages",
    params(
        ("code" = String, Path, description = "agency code"),
        ("form" = Option<String>, Query), ("period" = Option<String>, Query),
        ("subtree" = Option<String>, Query), ("lang" = Option<String>, Query),
    ),
    responses(
        (status = 200, description = "The perception and needs indicators", content_type = "text/html"),
        (status = "default", description = "Any other outcome, as an HTML page", content_type = "text/html"),
    )
)]
#[get("/dashboard/agencies/{code}/indicators")]
pub async fn indicators(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    code: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    show::<Indicators>(&req, &state, &officer, &code).await
}
