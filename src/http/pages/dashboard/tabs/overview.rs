//! The overview tab (`/dashboard/agencies/{code}`): SIPAS with its interval and n, the factor
//! bars with whiskers and their table, the figures (responses, rate, invalid returns, margin of
//! error, PAR points, the Decision 766 ratio), and links to the agencies below.

use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;

use crate::app::sampling::plan_of;
use crate::domain::periods::Month;
use crate::domain::results::{NodeView, ResultView};
use crate::export::charts::{self, number};
use crate::state::AppState;

use super::super::super::i18n::Lang;
use super::super::super::officer::{Officer, PageError};
use super::super::format::{
    FigureRow, chart_failed, chart_text, figure_row, fmt_ci, fmt_pct, node_bar,
};
use super::super::period::this_month;
use super::super::request::{Request, results};
use super::super::words::{DashboardUi, words};
use super::super::{Link, Tab, agency_link, agency_name, encode_path};
use super::{AgencyTab, show};

/// The overview tab.
pub(in super::super) struct Overview;

impl AgencyTab for Overview {
    const TAB: Tab = Tab::Overview;
    type View = ResultView;
    type Model = OverviewModel;

    async fn load(
        state: &AppState,
        officer: &Officer,
        r: &Request,
        subtree: bool,
    ) -> Result<ResultView, PageError> {
        results(state, officer, r, subtree, None).await
    }

    fn version(view: &ResultView) -> u32 {
        view.form.version
    }

    fn model(r: &Request, subtree: bool, view: &ResultView) -> Result<OverviewModel, PageError> {
        model(r, subtree, view)
    }
}

/// The overview's content (`templates/officer/agency_overview.html`).
#[derive(Template)]
#[template(path = "officer/agency_overview.html")]
pub(in super::super) struct OverviewModel {
    d: &'static DashboardUi,
    subtree_note: bool,
    sipas: FigureRow,
    ci_words: String,
    chart: String,
    rows: Vec<FigureRow>,
    facts: Vec<(&'static str, String)>,
    /// Links to the follow-up lists of the period's open months (own officer or admin).
    follow_up: Vec<Link>,
    children: Vec<Link>,
}

/// The overview of a result.
fn model(r: &Request, subtree: bool, view: &ResultView) -> Result<OverviewModel, PageError> {
    let d = words(r.lang);
    let mut rows = vec![figure_row(&view.index, true, r)];
    rows.extend(view.index.children.iter().map(|n| figure_row(n, false, r)));
    let level = view.index.ci.map_or(95.0, |ci| ci.level * 100.0);
    let query = r.overview_query();
    let children = r
        .children
        .iter()
        .map(|a| agency_link(&a.code, &agency_name(a, r.lang), &query))
        .collect();
    Ok(OverviewModel {
        d,
        subtree_note: subtree,
        sipas: figure_row(&view.index, true, r),
        ci_words: d
            .ci_words
            .replace("{level}", &number(level, 0, r.decimal_comma())),
        chart: factor_chart(r, &view.index)?,
        rows,
        facts: facts(r, view),
        follow_up: follow_up_links(r, view),
        children,
    })
}

/// The index and its factors as bars.
fn factor_chart(r: &Request, index: &NodeView) -> Result<String, PageError> {
    let d = words(r.lang);
    let mut bars = vec![node_bar(index, true)];
    bars.extend(index.children.iter().map(|n| node_bar(n, false)));
    let text = chart_text(
        r,
        "factors",
        format!("{} — {}", d.factors_heading, r.agency_name()),
        d.factors_desc,
    );
    charts::bars(&text, &bars).map_err(chart_failed(r.lang))
}

/// The figures besides the index, as `(term, value)`.
fn facts(r: &Request, view: &ResultView) -> Vec<(&'static str, String)> {
    let d = words(r.lang);
    let c = r.decimal_comma();
    let published = view
        .published_through
        .clone()
        .unwrap_or_else(|| d.nothing_published.to_owned());
    let mut facts = vec![
        (d.published_through, published),
        (d.pending_label, open_months(d, view, c)),
        (d.invited, view.invited.to_string()),
        (d.responses, view.responses.to_string()),
        (d.response_rate, fmt_pct(view.response_rate, c)),
        (d.invalid_returns, view.invalid_returns.to_string()),
        (
            d.margin,
            view.margin_of_error
                .worst_case
                .map_or_else(|| "—".to_owned(), |m| format!("± {}", number(m, 2, c))),
        ),
        (d.par_points, par_points(d, view, c)),
        (d.d766, d766(d, view, c)),
    ];
    // Sample planning is per agency: a subtree's mean has no one target.
    if !view.subtree {
        facts.push((d.sample_label, sample(r, view)));
    }
    facts
}

/// "Đủ mẫu" or "chưa đủ mẫu" with the counts (methodology §5).
fn sample(r: &Request, view: &ResultView) -> String {
    let d = words(r.lang);
    let plan = plan_of(view, r.period.label(), r.sampling);
    let text = if plan.enough {
        d.sample_enough
    } else {
        d.sample_short
    };
    text.replace("{n}", &plan.received.to_string())
        .replace("{target}", &plan.target.yamane.to_string())
        .replace("{short}", &plan.shortfall.yamane.to_string())
        .replace("{cochran}", &plan.target.cochran.to_string())
}

/// The follow-up lists of the period's open months up to this month, for the agency's own
/// officer or an administrator, when the agency's own dossiers are shown.
fn follow_up_links(r: &Request, view: &ResultView) -> Vec<Link> {
    let Some(open) = view
        .open_months
        .as_ref()
        .filter(|_| r.follows_up && !view.subtree)
    else {
        return Vec::new();
    };
    let (Some(mut month), Some(last)) = (Month::parse(&open.from), Month::parse(&open.to)) else {
        return Vec::new();
    };
    let last = last.min(this_month());
    let mut links = Vec::new();
    while month <= last {
        let href = format!(
            "/dashboard/agencies/{}/follow-up.csv?form={}&version={}&month={month}{}",
            encode_path(&r.agency.code),
            encode_path(&r.form_key),
            view.form.version,
            if r.lang == Lang::En { "&lang=en" } else { "" }
        );
        let label = words(r.lang)
            .follow_up_link
            .replace("{month}", &month.to_string());
        links.push(Link {
            href,
            label,
            current: false,
        });
        month = month.next();
    }
    links
}

/// The PAR points with their maximum and interval, or why there are none.
fn par_points(d: &DashboardUi, view: &ResultView, c: bool) -> String {
    if !view.par.eligible {
        return d.par_not_eligible.to_owned();
    }
    match (view.par.points, view.par.max_points) {
        (Some(p), Some(max)) => format!(
            "{} ({}; {})",
            number(p, 2, c),
            d.par_of.replace("{max}", &number(max, 2, c)),
            fmt_ci(view.par.ci.as_ref(), c)
        ),
        (None, Some(max)) => format!("— ({})", d.par_of.replace("{max}", &number(max, 2, c))),
        _ => "—".to_owned(),
    }
}

/// The Decision 766 ratio with its counts, or that it is off.
fn d766(d: &DashboardUi, view: &ResultView, c: bool) -> String {
    let counts = d
        .d766_counts
        .replace(
            "{dis}",
            &view
                .d766
                .d_dis
                .map_or_else(|| "—".to_owned(), |n| n.to_string()),
        )
        .replace("{d}", &view.d766.d.to_string());
    match (view.d766.enabled, view.d766.value) {
        (true, Some(v)) => format!("{} % ({counts})", number(v, 2, c)),
        (true, None) => format!("— ({counts})"),
        (false, _) => format!("{} ({counts})", d.d766_off),
    }
}

/// The line on the months not yet closed: their live counts, or a dash.
fn open_months(d: &DashboardUi, view: &ResultView, c: bool) -> String {
    view.open_months.as_ref().map_or_else(
        || "—".to_owned(),
        |o| {
            let months = if o.from == o.to {
                o.from.clone()
            } else {
                format!("{}–{}", o.from, o.to)
            };
            d.pending
                .replace("{months}", &months)
                .replace("{n}", &o.received.to_string())
                .replace("{d}", &o.invited.to_string())
                .replace("{rate}", &fmt_pct(o.response_rate, c))
        },
    )
}

/// An agency's overview.
#[utoipa::path(
    tag = "pages",
    params(
        ("code" = String, Path, description = "agency code"),
        ("form" = Option<String>, Query, description = "form key; default: the agency's form"),
        ("period" = Option<String>, Query, description = "`YYYY`, `YYYY-Hn`, `YYYY-Qn`, `YYYY-MM` or `YYYY-MM/YYYY-MM`; default: the current year"),
        ("subtree" = Option<String>, Query, description = "`true`: with the agencies below (default when there are any)"),
        ("lang" = Option<String>, Query, description = "`en` for English; Vietnamese otherwise"),
    ),
    responses(
        (status = 200, description = "The overview", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the sign-in page"),
        (status = "default", description = "403 outside the officer's agencies, 404 unknown agency, 422 bad period or form: HTML pages", content_type = "text/html"),
    )
)]
#[get("/dashboard/agencies/{code}")]
pub async fn overview(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    code: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    show::<Overview>(&req, &state, &officer, &code).await
}
