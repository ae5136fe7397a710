//! The frame of every agency page: the officer layout's fields ([`Chrome`]), the head with the
//! agency, its parent and the tabs, the selector form ([`Frame`]), and the page around a tab's
//! content ([`AgencyPage`], `templates/officer/agency_page.html`).

use actix_web::HttpRequest;
use askama::{FastWritable, Template};

use crate::persistence::agencies;
use crate::state::AppState;

use super::super::i18n::{Lang, OfficerUi, Ui};
use super::super::officer::{AccountBar, Officer, lang_suffix, other_language_href};
use super::period::{period_groups, this_month};
use super::request::Request;
use super::words::{DashboardUi, period_words, words};
use super::{Link, Opt, OptGroup, Select, Tab, agency_link, agency_name, encode_path};

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

/// The fields every officer page's layout needs.
pub(super) struct Chrome {
    pub(super) lang: &'static str,
    pub(super) ui: &'static Ui,
    pub(super) t: &'static OfficerUi,
    pub(super) d: &'static DashboardUi,
    pub(super) other_language_href: Option<String>,
    pub(super) account: Option<AccountBar>,
}

/// The layout's fields for the signed-in officer.
pub(super) fn chrome(req: &HttpRequest, officer: &Officer) -> Chrome {
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

/// An agency page: the layout, the frame, and the tab's content — its page model, an askama
/// template of its own (`templates/officer/agency_{tab}.html`).
#[derive(Template)]
#[template(path = "officer/agency_page.html")]
pub(super) struct AgencyPage<M: FastWritable> {
    lang: &'static str,
    ui: &'static Ui,
    t: &'static OfficerUi,
    d: &'static DashboardUi,
    other_language_href: Option<String>,
    account: Option<AccountBar>,
    /// The tab's name, in the page's title.
    tab: &'static str,
    f: Frame,
    content: M,
}

impl<M: FastWritable> AgencyPage<M> {
    pub(super) fn new(c: Chrome, tab: Tab, f: Frame, content: M) -> Self {
        AgencyPage {
            lang: c.lang,
            ui: c.ui,
            t: c.t,
            d: c.d,
            other_language_href: c.other_language_href,
            account: c.account,
            tab: tab.label(c.d),
            f,
            content,
        }
    }
}

/// The frame of an agency page. `version` is the form version the figures use; `subtree`
/// whether they include the agencies below.
pub(super) async fn frame(
    state: &AppState,
    officer: &Officer,
    r: &Request,
    tab: Tab,
    version: u32,
    subtree: bool,
) -> Frame {
    let lang = r.lang;
    Frame {
        code: r.agency.code.clone(),
        name: r.agency_name(),
        parent: parent_link(state, officer, r).await,
        tabs: tab_links(r, tab),
        action: format!(
            "/dashboard/agencies/{}{}",
            encode_path(&r.agency.code),
            tab.suffix()
        ),
        selects: selects(state, r, tab, subtree),
        hidden_lang: lang == Lang::En,
        shown_for: words(lang)
            .shown_for
            .replace("{form}", &r.form_key)
            .replace("{version}", &version.to_string())
            .replace("{period}", &period_words(r.period.label(), lang)),
    }
}

/// The tabs, the comparison only when there are agencies below.
fn tab_links(r: &Request, tab: Tab) -> Vec<Link> {
    let d = words(r.lang);
    Tab::ALL
        .iter()
        .filter(|t| **t != Tab::Compare || !r.children.is_empty())
        .map(|t| Link {
            href: r.href(*t, &[]),
            label: t.label(d).to_owned(),
            current: *t == tab,
        })
        .collect()
}

/// The parent agency, if the officer may read it.
async fn parent_link(state: &AppState, officer: &Officer, r: &Request) -> Option<Link> {
    let code = r.agency.parent_code.as_ref()?;
    match agencies::find_by_code(&state.db, code).await {
        Ok(Some(p)) if officer.may_read_agency(&p.path) => Some(agency_link(
            &p.code,
            &agency_name(&p, r.lang),
            lang_suffix(r.lang),
        )),
        _ => None,
    }
}

/// The selectors: form and period; the scope where the page offers it, the trend's step, the
/// breakdown's dimension.
fn selects(state: &AppState, r: &Request, tab: Tab, subtree: bool) -> Vec<Select> {
    let d = words(r.lang);
    let mut selects = vec![
        form_select(state, r),
        Select {
            name: "period",
            label: d.period_label,
            groups: period_groups(&r.period, this_month(), tab, r.lang),
        },
    ];
    match tab {
        Tab::Overview | Tab::Items | Tab::Indicators | Tab::Compare | Tab::Breakdowns
            if !r.children.is_empty() =>
        {
            selects.push(choice_select(
                "subtree",
                d.scope_label,
                &[("false", d.scope_own), ("true", d.scope_subtree)],
                if subtree { "true" } else { "false" },
            ));
        }
        _ => {}
    }
    if tab == Tab::Trend {
        let steps = [
            ("month", d.step_month),
            ("quarter", d.step_quarter),
            ("year", d.step_year),
        ];
        selects.push(choice_select("step", d.step_label, &steps, &r.step));
    }
    if tab == Tab::Breakdowns {
        let dimensions = [
            ("channel", d.by_channel),
            ("mode", d.by_mode),
            ("procedure_field", d.by_field),
        ];
        selects.push(choice_select("by", d.by_label, &dimensions, &r.by));
    }
    selects
}

/// The forms, each `key — title`.
fn form_select(state: &AppState, r: &Request) -> Select {
    let d = words(r.lang);
    let options = state
        .forms
        .list()
        .into_iter()
        .map(|f| Opt {
            selected: f.key == r.form_key,
            label: format!("{} — {}", f.key, f.title.localized(r.lang.code())),
            value: f.key,
        })
        .collect();
    Select {
        name: "form",
        label: d.form_label,
        groups: single_group(d.form_label, options),
    }
}

/// A selector of fixed `(value, label)` pairs.
fn choice_select(
    name: &'static str,
    label: &'static str,
    pairs: &[(&str, &str)],
    chosen: &str,
) -> Select {
    let options = pairs
        .iter()
        .map(|(v, l)| Opt {
            value: (*v).to_owned(),
            label: (*l).to_owned(),
            selected: *v == chosen,
        })
        .collect();
    Select {
        name,
        label,
        groups: single_group(label, options),
    }
}

fn single_group(label: &str, options: Vec<Opt>) -> Vec<OptGroup> {
    vec![OptGroup {
        label: label.to_owned(),
        options,
    }]
}
