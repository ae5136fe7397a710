//! The officer's dashboard: server-rendered pages of an agency's survey results (issue 7).
//!
//! | page | what it shows |
//! |---|---|
//! | `/dashboard` | an agency officer: their agency's overview; admins and the pipeline: the top-level agencies to choose from |
//! | `/dashboard/agencies/{code}` | overview: SIPAS with interval and n, factor bars with whiskers, response rate, invalid returns, PAR points, the Decision 766 ratio, links to the agencies below |
//! | `…/items` | every criterion: share, interval, n, mean and the 1–5 distribution |
//! | `…/indicators` | every perception and needs question: the share of each answer with its interval, n |
//! | `…/trend` | SIPAS and each factor per month, quarter or year, with interval bands |
//! | `…/compare` | the agencies below ranked with rank intervals (caterpillar plot); the others apart |
//! | `…/breakdowns?by=channel\|mode\|procedure_field` | the index per channel, response mode or procedure field |
//! | `…/downloads` | links to the XLSX report, the raw-answer exports and the PAR scores CSV |
//! | `…/integrity` | the integrity indicators of the period's last closed month, the agencies flagged |
//! | `/dashboard/par-scores.csv` | the PAR scores of every agency the officer may read |
//!
//! Every figure comes from the results use cases (`app::results`) — the code behind
//! `GET /api/v1/results`, `/results/trend`, `/rankings` and `/par/scores` — called with the
//! officer's [`Principal`], so the numbers and the rules (an agency officer reads their own subtree: anything else is
//! the 403 page, whether it exists or not) are the API's. Unknown agencies are a 404 page,
//! a bad period or form a 422 page, in the page's language.
//!
//! Every page has GET selectors (form, period; scope, step or dimension where they apply) that
//! work without JavaScript, and keeps `?lang=en` across its links. Charts are SVG from
//! `export::charts`, inlined, each followed by a table with the same numbers.
//!
//! The default period is the **current calendar year** (Vietnam time), year to date: the
//! figures an agency is being measured on now; the selector offers the two years before, their
//! halves, quarters and months. The trend's default is the last 24 months, this one included.
//! The default form is the agency's own (`default_form`).
//!
//! Where things are (issue 17):
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | the routes and the small types the pages share |
//! | `request.rs` | what a page was asked for (agency, form, period, scope, step, dimension) and the page of a use case's error |
//! | `period.rs` | the default periods and the period selector |
//! | `frame.rs` | the frame of every agency page: the layout's fields, the head, the tabs, the selectors |
//! | `format.rs` | numbers, intervals, badges and chart marks as the pages write them |
//! | `tabs/` | one file per tab: what it loads and its page model, a pure function of the view; `tabs/mod.rs` is the skeleton they share |
//! | `landing.rs` | `/dashboard` |
//! | `files.rs` | the downloads: the PAR scores CSV, the XLSX report, the streamed raw answers |
//! | `words.rs` | every fixed word of the pages, in Vietnamese and English |
//!
//! [`Principal`]: crate::domain::auth::Principal

mod files;
mod format;
mod frame;
mod landing;
mod period;
mod request;
// The tabs sit in `tabs/`: here, a module `items` would clash with the handler `items`
// re-exported below (the routes keep their paths `pages::dashboard::items`, …).
mod tabs;
pub mod words;

pub use files::{export_download, follow_up_csv, par_scores_csv, report_xlsx};
pub use landing::dashboard;
pub use tabs::breakdowns::breakdowns;
pub use tabs::compare::compare;
pub use tabs::downloads::downloads;
pub use tabs::indicators::indicators;
pub use tabs::integrity::integrity;
pub use tabs::items::items;
pub use tabs::overview::overview;
pub use tabs::trend::trend;

use crate::domain::agencies::Agency;

/// Every route of the dashboard (one `configure` in `http::app`, which would otherwise outgrow
/// the function size limit).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(dashboard)
        .service(par_scores_csv)
        .service(overview)
        .service(items)
        .service(indicators)
        .service(trend)
        .service(compare)
        .service(breakdowns)
        .service(downloads)
        .service(integrity)
        .service(report_xlsx)
        .service(follow_up_csv)
        .service(export_download);
}

use super::i18n::Lang;
use words::DashboardUi;

/// The pages of an agency, in the order of the tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Overview,
    Items,
    Indicators,
    Trend,
    Compare,
    Breakdowns,
    Downloads,
    Integrity,
}

impl Tab {
    const ALL: [Tab; 8] = [
        Tab::Overview,
        Tab::Items,
        Tab::Indicators,
        Tab::Trend,
        Tab::Compare,
        Tab::Breakdowns,
        Tab::Downloads,
        Tab::Integrity,
    ];

    fn suffix(self) -> &'static str {
        match self {
            Tab::Overview => "",
            Tab::Items => "/items",
            Tab::Trend => "/trend",
            Tab::Compare => "/compare",
            Tab::Breakdowns => "/breakdowns",
            Tab::Downloads => "/downloads",
            Tab::Integrity => "/integrity",
            Tab::Indicators => "/indicators",
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
            Tab::Integrity => d.tab_integrity,
            Tab::Indicators => d.tab_indicators,
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

/// A path segment, percent-encoded (agency codes are restricted, but a link must never break).
fn encode_path(segment: &str) -> String {
    form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}

/// The agency's name in the page's language.
fn agency_name(a: &Agency, lang: Lang) -> String {
    match (lang, &a.name_en) {
        (Lang::En, Some(en)) => en.clone(),
        _ => a.name_vi.clone(),
    }
}

/// `code — name`, linking to the agency's overview with `query` (`?…`, or empty) kept.
fn agency_link(code: &str, name: &str, query: &str) -> Link {
    Link {
        href: format!("/dashboard/agencies/{}{query}", encode_path(code)),
        label: format!("{code} — {name}"),
        current: false,
    }
}
