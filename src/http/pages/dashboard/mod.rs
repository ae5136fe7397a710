//! The officer's dashboard: server-rendered pages of an agency's survey results (issue 7).
//!
//! | page | what it shows |
//! |---|---|
//! | `/dashboard` | an agency officer: their agency's overview; admins and the pipeline: the top-level agencies to choose from |
//! | `/dashboard/agencies/{code}` | overview: SIPAS with interval and n, factor bars with whiskers, response rate, invalid returns, PAR points, the Decision 766 ratio, links to the agencies below |
//! | `…/items` | every criterion: share, interval, n, mean and the 1–5 distribution |
//! | `…/trend` | SIPAS and each factor per month, quarter or year, with interval bands |
//! | `…/compare` | the agencies below ranked with rank intervals (caterpillar plot); the others apart |
//! | `…/breakdowns?by=channel\|mode\|procedure_field` | the index per channel, response mode or procedure field |
//! | `…/downloads` | links to the XLSX report, the raw-answer exports and the PAR scores CSV |
//! | `/dashboard/par-scores.csv` | the PAR scores of every agency the officer may read |
//!
//! Every figure comes from `http::results_service` — the code behind `GET /api/v1/results`,
//! `/results/trend`, `/rankings` and `/par/scores` — called with the officer's [`Principal`],
//! so the numbers and the rules (an agency officer reads their own subtree: anything else is
//! the 403 page, whether it exists or not) are the API's. Unknown agencies are a 404 page,
//! a bad period or form a 422 page, in the page's language.
//!
//! Every page has GET selectors (form, period; scope, step or dimension where they apply) that
//! work without JavaScript, and keeps `?lang=en` across its links. Charts are SVG from
//! `export::charts`, inlined, each followed by a table with the same numbers.
//!
//! The default period is the **current calendar year** (Vietnam time), year to date: the
//! figures an agency is being measured on now; the selector offers the two years before, their
//! halves, quarters and months. The trend's default is the last 24 months, this one included. The default form is the agency's own (`default_form`).
//!
//! [`Principal`]: crate::domain::auth::Principal

use actix_web::http::header::{self, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;
use chrono::{Datelike, Utc};

use crate::domain::agencies::Agency;
use crate::domain::auth::Role;
use crate::domain::periods::{Month, Period};
use crate::domain::results::{
    IntervalView, NodeView, NumberStatus, RankingView, ResultView, Suppression, TrendNodeView,
    TrendView,
};
use crate::error::ApiError;
use crate::export::charts::{self, Bar, ChartText, Mark, Point, Ranked, Series, number};
use crate::http::results::{ParQuery, RankingQuery, ResultsQuery, TrendQuery};
use crate::http::results_service as service;
use crate::persistence::agencies;
use crate::state::AppState;

use super::dashboard_words::{DashboardUi, PAR_CSV_HEADER_VI, key_words, period_words, words};
use super::i18n::{Lang, OfficerUi, Ui};
use super::officer::{
    AccountBar, Officer, PageError, lang_suffix, other_language_href, page, query_value, role_label,
};

/// The pages of an agency, in the order of the tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Overview,
    Items,
    Trend,
    Compare,
    Breakdowns,
    Downloads,
}

impl Tab {
    const ALL: [Tab; 6] = [
        Tab::Overview,
        Tab::Items,
        Tab::Trend,
        Tab::Compare,
        Tab::Breakdowns,
        Tab::Downloads,
    ];

    fn suffix(self) -> &'static str {
        match self {
            Tab::Overview => "",
            Tab::Items => "/items",
            Tab::Trend => "/trend",
            Tab::Compare => "/compare",
            Tab::Breakdowns => "/breakdowns",
            Tab::Downloads => "/downloads",
        }
    }

    fn label(self, d: &DashboardUi) -> &'static str {
        match self {
            Tab::Overview => d.tab_overview,
            Tab::Items => d.tab_items,
            Tab::Trend => d.tab_trend,
            Tab::Compare => d.tab_compare,
            Tab::Breakdowns => d.tab_breakdowns,
            Tab::Downloads => d.tab_downloads,
        }
    }
}

/// A link.
pub struct Link {
    pub href: String,
    pub label: String,
    pub current: bool,
}

/// An option of a selector.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A group of options.
pub struct OptGroup {
    pub label: String,
    pub options: Vec<Opt>,
}

/// A `<select>` of the selector form.
pub struct Select {
    pub name: &'static str,
    pub label: &'static str,
    pub groups: Vec<OptGroup>,
}

/// How a number may be read: a badge (empty text for a published number).
pub struct Badge {
    pub class: &'static str,
    pub text: &'static str,
}

/// What every agency page shows around its content: the agency, the tabs, the selectors.
pub struct Frame {
    pub code: String,
    pub name: String,
    pub parent: Option<Link>,
    pub tabs: Vec<Link>,
    pub action: String,
    pub selects: Vec<Select>,
    pub hidden_lang: bool,
    /// "Form … (version …), period …".
    pub shown_for: String,
}

/// The page's request: the agency page, its selections, with the defaults applied.
struct Request {
    lang: Lang,
    agency: Agency,
    form_key: String,
    period: Period,
    /// As asked for (`None`: the page's default).
    subtree: Option<bool>,
    step: String,
    by: String,
    children: Vec<Agency>,
}

impl Request {
    /// `/dashboard/agencies/{code}{suffix}` with the form, period and language kept (and
    /// `extra` pairs).
    fn href(&self, tab: Tab, extra: &[(&str, &str)]) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("form", &self.form_key);
        q.append_pair("period", self.period.label());
        for (k, v) in extra {
            q.append_pair(k, v);
        }
        if self.lang == Lang::En {
            q.append_pair("lang", "en");
        }
        format!(
            "/dashboard/agencies/{}{}?{}",
            encode_path(&self.agency.code),
            tab.suffix(),
            q.finish()
        )
    }

    fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    fn decimal_comma(&self) -> bool {
        self.lang == Lang::Vi
    }
}

/// A path segment, percent-encoded (agency codes are restricted, but a link must never break).
fn encode_path(segment: &str) -> String {
    form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}

/// Today's month in Vietnam time.
#[allow(clippy::expect_used)]
fn this_month() -> Month {
    use crate::domain::periods::{MAX_YEAR, MIN_YEAR};
    let today = crate::domain::dossiers::vietnam_date(Utc::now());
    let year = u16::try_from(today.year()).unwrap_or(MIN_YEAR);
    // Clamped into range, so `Month::new` cannot refuse it.
    Month::new(
        year.clamp(MIN_YEAR, MAX_YEAR),
        today.month().clamp(1, 12) as u8,
    )
    .expect("a year and month in range")
}

/// The periods the pages open with: this year (and last year, the one PAR assesses), and the
/// trend's last 24 months.
pub(crate) fn opening_periods() -> Option<OpeningPeriods> {
    let now = this_month();
    Some(OpeningPeriods {
        year: default_period(Tab::Overview, now)?,
        last_year: Period::parse(&format!("{:04}", now.year().saturating_sub(1))).ok(),
        trend: default_period(Tab::Trend, now)?,
    })
}

/// The periods the pages open with ([`opening_periods`]).
#[derive(Debug, Clone)]
pub(crate) struct OpeningPeriods {
    /// This year (the overview, items, compare and breakdowns pages).
    pub year: Period,
    /// Last year, the year a PAR assessment scores.
    pub last_year: Option<Period>,
    /// The last 24 months (the trend page).
    pub trend: Period,
}

/// The default period of a page: the current year, or (trend) the last 24 months.
fn default_period(tab: Tab, now: Month) -> Option<Period> {
    if tab == Tab::Trend {
        // 24 months ending with this one: 23 months back.
        let (year, month) = if now.month() == 12 {
            (now.year() - 1, 1)
        } else {
            (now.year() - 2, now.month() + 1)
        };
        let from = Month::new(year, month)?;
        Period::range(&from.to_string(), &now.to_string()).ok()
    } else {
        Period::parse(&format!("{:04}", now.year())).ok()
    }
}

/// A period as the pages write it: a label of [`Period::parse`], or a range `YYYY-MM/YYYY-MM`.
fn parse_period(raw: &str) -> Option<Period> {
    match raw.split_once('/') {
        Some((from, to)) => Period::range(from, to).ok(),
        None => Period::parse(raw).ok(),
    }
}

/// The period options: for each of the current year and the two before, the year, its halves,
/// quarters and months (up to this month); on the trend page, the default range and the years.
fn period_groups(selected: &Period, now: Month, tab: Tab, lang: Lang) -> Vec<OptGroup> {
    let d = words(lang);
    let opt = |value: String, label: String| Opt {
        selected: value == selected.label(),
        value,
        label,
    };
    let mut groups = Vec::new();
    if tab == Tab::Trend {
        let mut options = Vec::new();
        if let Some(p) = default_period(Tab::Trend, now) {
            options.push(opt(
                p.label().to_owned(),
                format!(
                    "{} ({})",
                    d.trend_default_range,
                    period_words(p.label(), lang)
                ),
            ));
        }
        for year in (now.year() - 2..=now.year()).rev() {
            let label = format!("{year:04}");
            options.push(opt(label.clone(), period_words(&label, lang)));
        }
        groups.push(OptGroup {
            label: d.period_label.to_owned(),
            options,
        });
    } else {
        for year in (now.year() - 2..=now.year()).rev() {
            let last_month = if year == now.year() { now.month() } else { 12 };
            let mut labels = vec![format!("{year:04}")];
            labels.extend((1..=2).map(|h| format!("{year:04}-H{h}")));
            labels.extend((1..=4).map(|q| format!("{year:04}-Q{q}")));
            labels.extend((1..=last_month).map(|m| format!("{year:04}-{m:02}")));
            groups.push(OptGroup {
                label: format!("{year:04}"),
                options: labels
                    .into_iter()
                    .map(|l| {
                        let words = period_words(&l, lang);
                        opt(l, words)
                    })
                    .collect(),
            });
        }
    }
    if !groups.iter().flat_map(|g| &g.options).any(|o| o.selected) {
        groups.insert(
            0,
            OptGroup {
                label: d.period_label.to_owned(),
                options: vec![Opt {
                    value: selected.label().to_owned(),
                    label: period_words(selected.label(), lang),
                    selected: true,
                }],
            },
        );
    }
    groups
}

fn single_group(label: &str, options: Vec<Opt>) -> Vec<OptGroup> {
    vec![OptGroup {
        label: label.to_owned(),
        options,
    }]
}

/// The page error of a service error.
fn page_error(lang: Lang, e: ApiError) -> PageError {
    let d = words(lang);
    match e {
        ApiError::Forbidden | ApiError::Unauthorized => PageError::Forbidden { lang },
        ApiError::Rejected {
            code: "unknown_agency",
            ..
        } => PageError::NotFound { lang },
        ApiError::Rejected {
            code: "unknown_form",
            ..
        } => PageError::Invalid {
            lang,
            heading: d.unknown_form_title,
            text: d.unknown_form_text,
        },
        ApiError::Validation { errors, .. }
            if errors
                .iter()
                .any(|f| f.field == "agency" || f.field == "parent") =>
        {
            PageError::NotFound { lang }
        }
        ApiError::Validation { errors, .. }
            if errors
                .iter()
                .any(|f| ["period", "from", "to"].contains(&f.field.as_str())) =>
        {
            PageError::Invalid {
                lang,
                heading: d.invalid_period_title,
                text: d.invalid_period_text,
            }
        }
        ApiError::Validation { .. } | ApiError::Rejected { .. } => PageError::Invalid {
            lang,
            heading: d.invalid_title,
            text: d.invalid_text,
        },
        other => PageError::failed(lang, anyhow::anyhow!("dashboard: {other}")),
    }
}

/// Reads the agency (with the officer's rights), the selections and their defaults.
async fn request(
    req: &HttpRequest,
    state: &AppState,
    officer: &Officer,
    code: &str,
    tab: Tab,
) -> Result<Request, PageError> {
    let lang = officer.lang;
    let d = words(lang);
    let agency = service::readable_agency(state, officer, "agency", code)
        .await
        .map_err(|e| page_error(lang, e))?;
    let form_key = query_value(req, "form")
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| agency.default_form.clone());
    if state.forms.current(&form_key).is_none() {
        return Err(PageError::Invalid {
            lang,
            heading: d.unknown_form_title,
            text: d.unknown_form_text,
        });
    }
    let period = match query_value(req, "period").filter(|p| !p.is_empty()) {
        Some(raw) => parse_period(&raw),
        None => default_period(tab, this_month()),
    }
    .ok_or(PageError::Invalid {
        lang,
        heading: d.invalid_period_title,
        text: d.invalid_period_text,
    })?;
    let subtree = match query_value(req, "subtree").as_deref() {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    };
    let step = match query_value(req, "step").as_deref() {
        Some(s @ ("month" | "quarter" | "year")) => s.to_owned(),
        _ => "quarter".to_owned(),
    };
    let by = match query_value(req, "by").as_deref() {
        Some(s @ ("channel" | "mode" | "procedure_field")) => s.to_owned(),
        _ => "channel".to_owned(),
    };
    let children = agencies::list_children(&state.db, Some(&agency))
        .await
        .map_err(|e| PageError::failed(lang, e))?;
    Ok(Request {
        lang,
        agency,
        form_key,
        period,
        subtree,
        step,
        by,
        children,
    })
}

/// The agency's name in the page's language.
fn agency_name(a: &Agency, lang: Lang) -> String {
    match (lang, &a.name_en) {
        (Lang::En, Some(en)) => en.clone(),
        _ => a.name_vi.clone(),
    }
}

/// The frame of an agency page. `version` is the form version the figures use.
async fn frame(
    state: &AppState,
    officer: &Officer,
    r: &Request,
    tab: Tab,
    version: u32,
    subtree: bool,
) -> Frame {
    let lang = r.lang;
    let d = words(lang);
    let mut extra: Vec<(&str, &str)> = Vec::new();
    if matches!(
        tab,
        Tab::Overview | Tab::Items | Tab::Compare | Tab::Breakdowns
    ) && r.subtree.is_some()
    {
        extra.push(("subtree", if subtree { "true" } else { "false" }));
    }
    let tabs = Tab::ALL
        .iter()
        .filter(|t| **t != Tab::Compare || !r.children.is_empty())
        .map(|t| Link {
            href: r.href(*t, &[]),
            label: t.label(d).to_owned(),
            current: *t == tab,
        })
        .collect();
    // The parent, if the officer may read it.
    let parent = match &r.agency.parent_code {
        Some(code) => match agencies::find_by_code(&state.db, code).await {
            Ok(Some(p)) if officer.may_read_agency(&p.path) => Some(Link {
                href: format!(
                    "/dashboard/agencies/{}{}",
                    encode_path(&p.code),
                    lang_suffix(lang)
                ),
                label: format!("{} — {}", p.code, agency_name(&p, lang)),
                current: false,
            }),
            _ => None,
        },
        None => None,
    };
    let mut selects = vec![
        Select {
            name: "form",
            label: d.form_label,
            groups: single_group(
                d.form_label,
                state
                    .forms
                    .list()
                    .into_iter()
                    .map(|f| Opt {
                        selected: f.key == r.form_key,
                        label: format!("{} — {}", f.key, f.title.localized(lang.code())),
                        value: f.key,
                    })
                    .collect(),
            ),
        },
        Select {
            name: "period",
            label: d.period_label,
            groups: period_groups(&r.period, this_month(), tab, lang),
        },
    ];
    let opts = |pairs: &[(&str, &str)], chosen: &str| -> Vec<Opt> {
        pairs
            .iter()
            .map(|(v, l)| Opt {
                value: (*v).to_owned(),
                label: (*l).to_owned(),
                selected: *v == chosen,
            })
            .collect()
    };
    match tab {
        Tab::Overview | Tab::Items | Tab::Compare | Tab::Breakdowns if !r.children.is_empty() => {
            selects.push(Select {
                name: "subtree",
                label: d.scope_label,
                groups: single_group(
                    d.scope_label,
                    opts(
                        &[("false", d.scope_own), ("true", d.scope_subtree)],
                        if subtree { "true" } else { "false" },
                    ),
                ),
            });
        }
        _ => {}
    }
    if tab == Tab::Trend {
        selects.push(Select {
            name: "step",
            label: d.step_label,
            groups: single_group(
                d.step_label,
                opts(
                    &[
                        ("month", d.step_month),
                        ("quarter", d.step_quarter),
                        ("year", d.step_year),
                    ],
                    &r.step,
                ),
            ),
        });
    }
    if tab == Tab::Breakdowns {
        selects.push(Select {
            name: "by",
            label: d.by_label,
            groups: single_group(
                d.by_label,
                opts(
                    &[
                        ("channel", d.by_channel),
                        ("mode", d.by_mode),
                        ("procedure_field", d.by_field),
                    ],
                    &r.by,
                ),
            ),
        });
    }
    Frame {
        code: r.agency.code.clone(),
        name: agency_name(&r.agency, lang),
        parent,
        tabs,
        action: format!(
            "/dashboard/agencies/{}{}",
            encode_path(&r.agency.code),
            tab.suffix()
        ),
        selects,
        hidden_lang: lang == Lang::En,
        shown_for: d
            .shown_for
            .replace("{form}", &r.form_key)
            .replace("{version}", &version.to_string())
            .replace("{period}", &period_words(r.period.label(), lang)),
    }
}

/// The results of the page's agency, form and period (the API's `GET /api/v1/results`).
async fn results(
    state: &AppState,
    officer: &Officer,
    r: &Request,
    subtree: bool,
    by: Option<&str>,
) -> Result<ResultView, PageError> {
    let (from, to) = r.period.month_range();
    let q = ResultsQuery {
        agency: Some(r.agency.code.clone()),
        form: Some(r.form_key.clone()),
        from: Some(from),
        to: Some(to),
        subtree: Some(subtree.to_string()),
        by: by.map(str::to_owned),
        lang: label_lang(state, r),
        ..ResultsQuery::default()
    };
    service::result(state, officer, &q)
        .await
        .map_err(|e| page_error(r.lang, e))
}

/// `lang=en` for the labels when the form has English, else Vietnamese.
fn label_lang(state: &AppState, r: &Request) -> Option<String> {
    let has_en = state
        .forms
        .current(&r.form_key)
        .is_some_and(|f| f.definition.languages().iter().any(|l| l == "en"));
    Some(
        if r.lang == Lang::En && has_en {
            "en"
        } else {
            "vi"
        }
        .to_owned(),
    )
}

// ---- formatting -------------------------------------------------------------------------

fn fmt_value(v: Option<f64>, comma: bool) -> String {
    v.map_or_else(|| "—".to_owned(), |v| number(v, 2, comma))
}

fn fmt_ci(ci: Option<&IntervalView>, comma: bool) -> String {
    ci.map_or_else(
        || "—".to_owned(),
        |c| format!("{} – {}", number(c.low, 2, comma), number(c.high, 2, comma)),
    )
}

fn badge(status: NumberStatus, suppression: Option<Suppression>, n: u64, d: &DashboardUi) -> Badge {
    match (status, suppression) {
        (NumberStatus::Ok, _) => Badge {
            class: "",
            text: "",
        },
        (NumberStatus::LowReliability, _) => Badge {
            class: "badge low",
            text: d.badge_low,
        },
        (NumberStatus::Suppressed, _) if n == 0 => Badge {
            class: "badge none",
            text: d.no_data,
        },
        (NumberStatus::Suppressed, Some(Suppression::Complementary)) => Badge {
            class: "badge suppressed",
            text: d.badge_complementary,
        },
        (NumberStatus::Suppressed, _) => Badge {
            class: "badge suppressed",
            text: d.badge_suppressed,
        },
    }
}

fn mark(status: NumberStatus, value: Option<f64>, n: u64) -> Mark {
    match (status, value) {
        (_, None) if n == 0 => Mark::NoData,
        (NumberStatus::Suppressed, _) => Mark::Suppressed,
        (_, None) => Mark::NoData,
        (NumberStatus::LowReliability, Some(_)) => Mark::LowReliability,
        (NumberStatus::Ok, Some(_)) => Mark::Ok,
    }
}

fn chart_text(r: &Request, id: &str, title: String, desc: &str) -> ChartText {
    let d = words(r.lang);
    ChartText {
        id: id.to_owned(),
        title,
        desc: desc.to_owned(),
        low_reliability: d.badge_low.to_lowercase(),
        suppressed: d.badge_suppressed.to_lowercase(),
        no_data: d.no_data.to_lowercase(),
        decimal_comma: r.decimal_comma(),
    }
}

fn chart_failed(lang: Lang) -> impl Fn(charts::ChartError) -> PageError {
    move |e| PageError::failed(lang, e)
}

/// One row of an index table.
pub struct FigureRow {
    pub name: String,
    pub value: String,
    pub ci: String,
    pub n: u64,
    pub badge: Badge,
    pub top: bool,
}

/// The overview's line on the months not yet closed: their live counts, or a dash.
fn open_months(d: &DashboardUi, view: &ResultView, pct: &dyn Fn(Option<f64>) -> String) -> String {
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
                .replace("{rate}", &pct(o.response_rate))
        },
    )
}

fn figure_row(node: &NodeView, top: bool, r: &Request) -> FigureRow {
    let c = r.decimal_comma();
    FigureRow {
        name: node.label.clone(),
        value: fmt_value(node.value, c),
        ci: fmt_ci(node.ci.as_ref(), c),
        n: node.n,
        badge: badge(node.status, node.suppression, node.n, words(r.lang)),
        top,
    }
}

fn node_bar(node: &NodeView, emphasis: bool) -> Bar {
    Bar {
        label: node.label.clone(),
        value: node.value,
        ci: node.ci.map(|c| (c.low, c.high)),
        mark: mark(node.status, node.value, node.n),
        emphasis,
    }
}

// ---- pages ------------------------------------------------------------------------------

/// The fields every officer page's layout needs.
struct Chrome {
    lang: &'static str,
    ui: &'static Ui,
    t: &'static OfficerUi,
    d: &'static DashboardUi,
    other_language_href: Option<String>,
    account: Option<AccountBar>,
}

fn chrome(req: &HttpRequest, officer: &Officer) -> Chrome {
    let lang = officer.lang;
    Chrome {
        lang: lang.code(),
        ui: lang.ui(),
        t: lang.officer(),
        d: words(lang),
        other_language_href: Some(other_language_href(req, lang)),
        account: Some(officer.account_bar()),
    }
}

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

#[derive(Template)]
#[template(path = "officer/agency_overview.html")]
struct OverviewPage {
    lang: &'static str,
    ui: &'static Ui,
    t: &'static OfficerUi,
    d: &'static DashboardUi,
    other_language_href: Option<String>,
    account: Option<AccountBar>,
    f: Frame,
    subtree_note: bool,
    sipas: FigureRow,
    ci_words: String,
    chart: String,
    rows: Vec<FigureRow>,
    facts: Vec<(&'static str, String)>,
    children: Vec<Link>,
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
        return overview_of(&req, &state, &officer, &code).await;
    }
    let t = lang.officer();
    let c = chrome(&req, &officer);
    let top = agencies::list_children(&state.db, None)
        .await
        .map_err(|e| PageError::failed(lang, e))?;
    let agencies = top
        .iter()
        .map(|a| Link {
            href: format!(
                "/dashboard/agencies/{}{}",
                encode_path(&a.code),
                lang_suffix(lang)
            ),
            label: format!("{} — {}", a.code, agency_name(a, lang)),
            current: false,
        })
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
    overview_of(&req, &state, &officer, &code).await
}

async fn overview_of(
    req: &HttpRequest,
    state: &AppState,
    officer: &Officer,
    code: &str,
) -> Result<HttpResponse, PageError> {
    let r = request(req, state, officer, code, Tab::Overview).await?;
    let lang = r.lang;
    let d = words(lang);
    let subtree = r.subtree.unwrap_or(!r.children.is_empty());
    let view = results(state, officer, &r, subtree, None).await?;
    let f = frame(
        state,
        officer,
        &r,
        Tab::Overview,
        view.form.version,
        subtree,
    )
    .await;
    let c = r.decimal_comma();
    let mut bars = vec![node_bar(&view.index, true)];
    bars.extend(view.index.children.iter().map(|n| node_bar(n, false)));
    let chart = charts::bars(
        &chart_text(
            &r,
            "factors",
            format!("{} — {}", d.factors_heading, f.name),
            d.factors_desc,
        ),
        &bars,
    )
    .map_err(chart_failed(lang))?;
    let mut rows = vec![figure_row(&view.index, true, &r)];
    rows.extend(view.index.children.iter().map(|n| figure_row(n, false, &r)));
    let pct =
        |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| format!("{} %", number(v, 2, c)));
    let par = if !view.par.eligible {
        d.par_not_eligible.to_owned()
    } else {
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
    };
    let d766_counts = d
        .d766_counts
        .replace("{dis}", &view.d766.d_dis.to_string())
        .replace("{d}", &view.d766.d.to_string());
    let d766 = match (view.d766.enabled, view.d766.value) {
        (true, Some(v)) => format!("{} % ({d766_counts})", number(v, 2, c)),
        (true, None) => format!("— ({d766_counts})"),
        (false, _) => format!("{} ({d766_counts})", d.d766_off),
    };
    let published = view
        .published_through
        .clone()
        .unwrap_or_else(|| d.nothing_published.to_owned());
    let facts = vec![
        (d.published_through, published),
        (d.pending_label, open_months(d, &view, &pct)),
        (d.invited, view.invited.to_string()),
        (d.responses, view.responses.to_string()),
        (d.response_rate, pct(view.response_rate)),
        (d.invalid_returns, view.invalid_returns.to_string()),
        (
            d.margin,
            view.margin_of_error
                .worst_case
                .map_or_else(|| "—".to_owned(), |m| format!("± {}", number(m, 2, c))),
        ),
        (d.par_points, par),
        (d.d766, d766),
    ];
    let children = r
        .children
        .iter()
        .map(|a| Link {
            href: format!(
                "/dashboard/agencies/{}?form={}&period={}{}",
                encode_path(&a.code),
                encode_path(&r.form_key),
                encode_path(r.period.label()),
                if lang == Lang::En { "&lang=en" } else { "" }
            ),
            label: format!("{} — {}", a.code, agency_name(a, lang)),
            current: false,
        })
        .collect();
    let ch = chrome(req, officer);
    let level = view.index.ci.map_or(95.0, |ci| ci.level * 100.0);
    let page_view = OverviewPage {
        lang: ch.lang,
        ui: ch.ui,
        t: ch.t,
        d: ch.d,
        other_language_href: ch.other_language_href,
        account: ch.account,
        subtree_note: subtree,
        sipas: figure_row(&view.index, true, &r),
        ci_words: d.ci_words.replace("{level}", &number(level, 0, c)),
        chart,
        rows,
        facts,
        children,
        f,
    };
    Ok(page(lang, &page_view))
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

#[derive(Template)]
#[template(path = "officer/agency_items.html")]
struct ItemsPage {
    lang: &'static str,
    ui: &'static Ui,
    t: &'static OfficerUi,
    d: &'static DashboardUi,
    other_language_href: Option<String>,
    account: Option<AccountBar>,
    f: Frame,
    subtree_note: bool,
    levels: Vec<String>,
    rows: Vec<ItemRow>,
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
    let r = request(&req, &state, &officer, &code, Tab::Items).await?;
    let lang = r.lang;
    let d = words(lang);
    let subtree = r.subtree.unwrap_or(!r.children.is_empty());
    let view = results(&state, &officer, &r, subtree, None).await?;
    let f = frame(&state, &officer, &r, Tab::Items, view.form.version, subtree).await;
    let c = r.decimal_comma();
    let mut levels: Vec<String> = view
        .items
        .iter()
        .filter_map(|i| i.counts.as_ref())
        .flat_map(|m| m.keys().cloned())
        .collect();
    levels.sort_by_key(|l| l.parse::<i64>().unwrap_or(i64::MAX));
    levels.dedup();
    if levels.is_empty() {
        levels = (1..=5).map(|l| l.to_string()).collect();
    }
    let mut rows = Vec::new();
    for (i, item) in view.items.iter().enumerate() {
        let counts: Vec<(String, u64)> = levels
            .iter()
            .map(|l| {
                (
                    l.clone(),
                    item.counts
                        .as_ref()
                        .and_then(|m| m.get(l))
                        .copied()
                        .unwrap_or(0),
                )
            })
            .collect();
        let chart = match &item.counts {
            Some(_) => {
                let desc = counts
                    .iter()
                    .map(|(l, n)| format!("{} {l}: {n}", d.col_level))
                    .collect::<Vec<_>>()
                    .join("; ");
                charts::distribution(
                    &chart_text(
                        &r,
                        &format!("dist-{i}"),
                        format!("{}: {}", d.distribution_chart, item.question_id),
                        &desc,
                    ),
                    &counts,
                )
                .map_err(chart_failed(lang))?
            }
            None => String::new(),
        };
        rows.push(ItemRow {
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
        });
    }
    let ch = chrome(&req, &officer);
    let view = ItemsPage {
        lang: ch.lang,
        ui: ch.ui,
        t: ch.t,
        d: ch.d,
        other_language_href: ch.other_language_href,
        account: ch.account,
        f,
        subtree_note: subtree,
        levels,
        rows,
    };
    Ok(page(lang, &view))
}

#[derive(Template)]
#[template(path = "officer/agency_trend.html")]
struct TrendPage {
    lang: &'static str,
    ui: &'static Ui,
    t: &'static OfficerUi,
    d: &'static DashboardUi,
    other_language_href: Option<String>,
    account: Option<AccountBar>,
    f: Frame,
    chart: String,
    columns: Vec<String>,
    rows: Vec<TrendRow>,
}

/// One step of the trend table.
pub struct TrendRow {
    pub period: String,
    pub responses: u64,
    pub cells: Vec<String>,
    pub change: String,
}

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
    let r = request(&req, &state, &officer, &code, Tab::Trend).await?;
    let lang = r.lang;
    let d = words(lang);
    let subtree = !r.children.is_empty();
    let (from, to) = r.period.month_range();
    let q = TrendQuery {
        agency: Some(r.agency.code.clone()),
        form: Some(r.form_key.clone()),
        from: Some(from),
        to: Some(to),
        step: Some(r.step.clone()),
        subtree: Some(subtree.to_string()),
        lang: label_lang(&state, &r),
        ..TrendQuery::default()
    };
    let view: TrendView = service::trend(&state, &officer, &q)
        .await
        .map_err(|e| page_error(lang, e))?;
    let f = frame(&state, &officer, &r, Tab::Trend, view.form.version, subtree).await;
    let steps: Vec<String> = view.steps.iter().map(|s| s.period.clone()).collect();
    let mut series = Vec::new();
    let mut columns = Vec::new();
    if let Some(first) = view.steps.first() {
        columns.push(first.index.label.clone());
        series.push(Series {
            label: first.index.label.clone(),
            points: view.steps.iter().map(|s| trend_point(&s.index)).collect(),
        });
        for (k, node) in first.nodes.iter().enumerate() {
            columns.push(node.label.clone());
            series.push(Series {
                label: node.label.clone(),
                points: view
                    .steps
                    .iter()
                    .map(|s| s.nodes.get(k).and_then(trend_point))
                    .collect(),
            });
        }
    }
    let chart = charts::lines(
        &chart_text(
            &r,
            "trend",
            format!("{} — {}", d.trend_heading, f.name),
            d.trend_desc,
        ),
        &steps,
        &series,
    )
    .map_err(chart_failed(lang))?;
    let c = r.decimal_comma();
    let rows = view
        .steps
        .iter()
        .map(|s| {
            let mut cells = vec![trend_cell(&s.index, &r)];
            cells.extend(s.nodes.iter().map(|n| trend_cell(n, &r)));
            TrendRow {
                period: period_words(&s.period, lang),
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
        })
        .collect();
    let ch = chrome(&req, &officer);
    let page_view = TrendPage {
        lang: ch.lang,
        ui: ch.ui,
        t: ch.t,
        d: ch.d,
        other_language_href: ch.other_language_href,
        account: ch.account,
        f,
        chart,
        columns,
        rows,
    };
    Ok(page(lang, &page_view))
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

#[derive(Template)]
#[template(path = "officer/agency_compare.html")]
struct ComparePage {
    lang: &'static str,
    ui: &'static Ui,
    t: &'static OfficerUi,
    d: &'static DashboardUi,
    other_language_href: Option<String>,
    account: Option<AccountBar>,
    f: Frame,
    chart: String,
    ranked: Vec<RankRow>,
    apart: Vec<ApartRow>,
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
    let r = request(&req, &state, &officer, &code, Tab::Compare).await?;
    let lang = r.lang;
    let d = words(lang);
    let subtree = r.subtree.unwrap_or(false);
    let (from, to) = r.period.month_range();
    let q = RankingQuery {
        parent: Some(r.agency.code.clone()),
        form: Some(r.form_key.clone()),
        from: Some(from),
        to: Some(to),
        subtree: Some(subtree.to_string()),
        lang: label_lang(&state, &r),
        ..RankingQuery::default()
    };
    let view: RankingView = service::ranking(&state, &officer, &q)
        .await
        .map_err(|e| page_error(lang, e))?;
    let f = frame(
        &state,
        &officer,
        &r,
        Tab::Compare,
        view.form.version,
        subtree,
    )
    .await;
    let c = r.decimal_comma();
    let link = |code: &str, name: &str| Link {
        href: format!(
            "/dashboard/agencies/{}?form={}&period={}{}",
            encode_path(code),
            encode_path(&r.form_key),
            encode_path(r.period.label()),
            if lang == Lang::En { "&lang=en" } else { "" }
        ),
        label: format!("{code} — {name}"),
        current: false,
    };
    let rows: Vec<Ranked> = view
        .ranked
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
    let chart = if rows.is_empty() {
        String::new()
    } else {
        charts::caterpillar(
            &chart_text(
                &r,
                "ranking",
                format!("{} — {}", d.compare_heading, f.name),
                d.compare_chart_desc,
            ),
            &rows,
        )
        .map_err(chart_failed(lang))?
    };
    let ranked = view
        .ranked
        .iter()
        .map(|a| RankRow {
            rank: a.rank,
            interval: format!("{}–{}", a.rank_low, a.rank_high),
            agency: link(&a.agency_code, &a.agency_name),
            value: number(a.value, 2, c),
            ci: fmt_ci(a.ci.as_ref(), c),
            n: a.n,
        })
        .collect();
    let apart = view
        .not_ranked
        .iter()
        .map(|a| ApartRow {
            agency: link(&a.agency_code, &a.agency_name),
            value: fmt_value(a.value, c),
            ci: fmt_ci(a.ci.as_ref(), c),
            n: a.n,
            badge: badge(a.status, None, a.n, d),
        })
        .collect();
    let ch = chrome(&req, &officer);
    let page_view = ComparePage {
        lang: ch.lang,
        ui: ch.ui,
        t: ch.t,
        d: ch.d,
        other_language_href: ch.other_language_href,
        account: ch.account,
        f,
        chart,
        ranked,
        apart,
    };
    Ok(page(lang, &page_view))
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

#[derive(Template)]
#[template(path = "officer/agency_breakdowns.html")]
struct BreakdownsPage {
    lang: &'static str,
    ui: &'static Ui,
    t: &'static OfficerUi,
    d: &'static DashboardUi,
    other_language_href: Option<String>,
    account: Option<AccountBar>,
    f: Frame,
    subtree_note: bool,
    heading: String,
    chart: String,
    factors: Vec<String>,
    rows: Vec<CellRow>,
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
    let r = request(&req, &state, &officer, &code, Tab::Breakdowns).await?;
    let lang = r.lang;
    let d = words(lang);
    let subtree = r.subtree.unwrap_or(!r.children.is_empty());
    let view = results(&state, &officer, &r, subtree, Some(&r.by)).await?;
    let f = frame(
        &state,
        &officer,
        &r,
        Tab::Breakdowns,
        view.form.version,
        subtree,
    )
    .await;
    let c = r.decimal_comma();
    let dimension = match r.by.as_str() {
        "mode" => d.by_mode,
        "procedure_field" => d.by_field,
        _ => d.by_channel,
    };
    let cells = view.breakdown.map(|b| b.cells).unwrap_or_default();
    let key_name = |k: &Option<String>| match k {
        Some(k) => key_words(k, lang),
        None => d.unknown_key.to_owned(),
    };
    let bars: Vec<Bar> = cells
        .iter()
        .map(|cell| Bar {
            label: key_name(&cell.key),
            ..node_bar(&cell.index, false)
        })
        .collect();
    let chart = if bars.is_empty() {
        String::new()
    } else {
        charts::bars(
            &chart_text(
                &r,
                "breakdown",
                format!("{} — {dimension}", d.breakdowns_heading),
                d.breakdowns_desc,
            ),
            &bars,
        )
        .map_err(chart_failed(lang))?
    };
    let factors = view
        .index
        .children
        .iter()
        .map(|n| n.label.clone())
        .collect();
    let rows = cells
        .iter()
        .map(|cell| CellRow {
            key: key_name(&cell.key),
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
    let ch = chrome(&req, &officer);
    let page_view = BreakdownsPage {
        lang: ch.lang,
        ui: ch.ui,
        t: ch.t,
        d: ch.d,
        other_language_href: ch.other_language_href,
        account: ch.account,
        f,
        subtree_note: subtree,
        heading: format!("{} — {dimension}", d.breakdowns_heading),
        chart,
        factors,
        rows,
    };
    Ok(page(lang, &page_view))
}

#[derive(Template)]
#[template(path = "officer/agency_downloads.html")]
struct DownloadsPage {
    lang: &'static str,
    ui: &'static Ui,
    t: &'static OfficerUi,
    d: &'static DashboardUi,
    other_language_href: Option<String>,
    account: Option<AccountBar>,
    f: Frame,
    report: String,
    raw: Vec<Link>,
    par: String,
}

/// Links to the files of the agency, form and period.
#[utoipa::path(
    tag = "pages",
    params(
        ("code" = String, Path, description = "agency code"),
        ("form" = Option<String>, Query), ("period" = Option<String>, Query),
        ("lang" = Option<String>, Query),
    ),
    responses(
        (status = 200, description = "The downloads", content_type = "text/html"),
        (status = "default", description = "Any other outcome, as an HTML page", content_type = "text/html"),
    )
)]
#[get("/dashboard/agencies/{code}/downloads")]
pub async fn downloads(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    code: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let r = request(&req, &state, &officer, &code, Tab::Downloads).await?;
    let lang = r.lang;
    let version = state
        .forms
        .current(&r.form_key)
        .map_or(0, |f| f.definition.version());
    let f = frame(&state, &officer, &r, Tab::Downloads, version, false).await;
    let base = format!("/dashboard/agencies/{}", encode_path(&r.agency.code));
    let query = |with_lang: bool| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("form", &r.form_key);
        q.append_pair("period", r.period.label());
        if with_lang {
            q.append_pair("lang", r.lang_code());
        }
        q.finish()
    };
    let raw = ["csv", "xlsx", "json"]
        .iter()
        .map(|ext| Link {
            href: format!("{base}/export.{ext}?{}", query(lang == Lang::En)),
            label: ext.to_uppercase(),
            current: false,
        })
        .collect();
    let mut par = form_urlencoded::Serializer::new(String::new());
    par.append_pair("form", &r.form_key);
    par.append_pair("period", r.period.label());
    if lang == Lang::En {
        par.append_pair("lang", "en");
    }
    let ch = chrome(&req, &officer);
    let view = DownloadsPage {
        lang: ch.lang,
        ui: ch.ui,
        t: ch.t,
        d: ch.d,
        other_language_href: ch.other_language_href,
        account: ch.account,
        f,
        report: format!("{base}/report.xlsx?{}", query(true)),
        raw,
        par: format!("/dashboard/par-scores.csv?{}", par.finish()),
    };
    Ok(page(lang, &view))
}

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
    let period = match query_value(&req, "period").filter(|p| !p.is_empty()) {
        Some(raw) => parse_period(&raw),
        None => default_period(Tab::Overview, this_month()),
    }
    .ok_or(PageError::Invalid {
        lang,
        heading: words(lang).invalid_period_title,
        text: words(lang).invalid_period_text,
    })?;
    let (from, to) = period.month_range();
    let q = ParQuery {
        form: Some(form),
        from: Some(from),
        to: Some(to),
        ..ParQuery::default()
    };
    let (view, _) = service::par_scores(&state, &officer, &q)
        .await
        .map_err(|e| page_error(lang, e))?;
    let header: &[&str] = match lang {
        Lang::Vi => &PAR_CSV_HEADER_VI,
        Lang::En => &crate::http::results::PAR_CSV_HEADER,
    };
    let body = service::par_csv(&view, header).map_err(|e| PageError::failed(lang, e))?;
    let file = format!("sipas-par-{}.csv", view.period.replace('/', "_"));
    Ok(attachment("text/csv; charset=utf-8", &file, body))
}

/// An attachment of an officer page: the security headers, marked [`HumanPage`] so that an
/// error stays an HTML page.
///
/// [`HumanPage`]: crate::http::middleware::HumanPage
fn attachment(content_type: &str, file: &str, body: Vec<u8>) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    super::officer::security_headers(&mut res);
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
    use crate::export::report::{self, Language};
    let r = request(&req, &state, &officer, &code, Tab::Overview).await?;
    let lang = r.lang;
    let subtree = r.subtree.unwrap_or(!r.children.is_empty());
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
    let steps: TrendView = service::trend(&state, &officer, &q)
        .await
        .map_err(|e| page_error(lang, e))?;
    let language = match lang {
        Lang::En => Language::En,
        Lang::Vi => Language::Vi,
    };
    let today = crate::domain::dossiers::vietnam_date(Utc::now());
    let body = report::agency_report(&result, &steps, language, today)
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
    use crate::http::export::{ExportQuery, Exporter, prepare, respond};
    let (code, ext) = path.into_inner();
    let r = request(&req, &state, &officer, &code, Tab::Downloads).await?;
    let lang = r.lang;
    let (from, to) = r.period.month_range();
    let q = ExportQuery {
        agency: Some(r.agency.code.clone()),
        form: Some(r.form_key.clone()),
        from: Some(from),
        to: Some(to),
        subtree: Some(r.subtree.unwrap_or(!r.children.is_empty()).to_string()),
        bom: Some((ext == "csv").to_string()),
        format: Some(ext),
        lang: Some(r.lang_code().to_owned()),
        ..ExportQuery::default()
    };
    let prepared = prepare(&state, &officer, &q, None)
        .await
        .map_err(|e| page_error(lang, e))?;
    let mut res = respond(&req, &state, Exporter::Officer(officer.user_id), prepared)
        .await
        .map_err(|e| page_error(lang, e))?;
    if !res.status().is_success() {
        // 503 `export_busy`: a problem like the API's, completed by the `problems` middleware.
        return Ok(res);
    }
    let headers = res.headers_mut();
    for (name, value) in [
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::CONTENT_SECURITY_POLICY,
            super::officer::CONTENT_SECURITY_POLICY,
        ),
    ] {
        headers.insert(name, header::HeaderValue::from_static(value));
    }
    res.extensions_mut()
        .insert(crate::http::middleware::HumanPage);
    Ok(res)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn periods_default_to_the_current_year_and_the_trend_to_24_months() {
        let now = Month::new(2026, 12).unwrap();
        assert_eq!(default_period(Tab::Overview, now).unwrap().label(), "2026");
        assert_eq!(
            default_period(Tab::Trend, now).unwrap().label(),
            "2025-01/2026-12"
        );
        let march = Month::new(2026, 3).unwrap();
        assert_eq!(
            default_period(Tab::Trend, march).unwrap().label(),
            "2024-04/2026-03",
            "24 months ending with this one"
        );
        assert_eq!(
            parse_period("2025-01/2026-12").unwrap().first().to_string(),
            "2025-01"
        );
        assert_eq!(parse_period("2025-q3").unwrap().label(), "2025-Q3");
        assert!(parse_period("2025-13").is_none());
        assert!(parse_period("soon").is_none());
    }

    #[test]
    fn the_period_selector_offers_three_years_and_keeps_an_odd_choice() {
        let now = Month::new(2026, 3).unwrap();
        let p = Period::parse("2025-Q3").unwrap();
        let groups = period_groups(&p, now, Tab::Overview, Lang::Vi);
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[0].options.len(), 1 + 2 + 4 + 3, "2026: up to March");
        assert_eq!(groups[1].options.len(), 1 + 2 + 4 + 12);
        let selected: Vec<&Opt> = groups
            .iter()
            .flat_map(|g| &g.options)
            .filter(|o| o.selected)
            .collect();
        assert_eq!(selected.len(), 1);
        assert_eq!(selected[0].label, "Quý III/2025");
        let old = Period::parse("2019").unwrap();
        let groups = period_groups(&old, now, Tab::Overview, Lang::En);
        assert_eq!(groups[0].options[0].value, "2019");
        assert!(groups[0].options[0].selected);
    }
}
