//! Numbers as the dashboard pages write them: values and intervals with two decimals (a decimal
//! comma in Vietnamese), the badge of a number that is not published as is, the mark of a
//! chart's point, and the texts every chart carries.

use crate::domain::results::{IntervalView, NodeView, NumberStatus, Suppression};
use crate::export::charts::{self, Bar, ChartText, Mark, number};

use super::super::i18n::Lang;
use super::super::officer::PageError;
use super::Badge;
use super::request::Request;
use super::words::{DashboardUi, words};

/// A value with two decimals, or a dash.
pub(super) fn fmt_value(v: Option<f64>, comma: bool) -> String {
    v.map_or_else(|| "—".to_owned(), |v| number(v, 2, comma))
}

/// An interval `low – high`, or a dash.
pub(super) fn fmt_ci(ci: Option<&IntervalView>, comma: bool) -> String {
    ci.map_or_else(
        || "—".to_owned(),
        |c| format!("{} – {}", number(c.low, 2, comma), number(c.high, 2, comma)),
    )
}

/// A percentage `12,34 %`, or a dash.
pub(super) fn fmt_pct(v: Option<f64>, comma: bool) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{} %", number(v, 2, comma)))
}

/// The badge of a number: none when published; else why not (no data, too few answers,
/// hidden to protect another number).
pub(super) fn badge(
    status: NumberStatus,
    suppression: Option<Suppression>,
    n: u64,
    d: &DashboardUi,
) -> Badge {
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

/// How a chart draws a number.
pub(super) fn mark(status: NumberStatus, value: Option<f64>, n: u64) -> Mark {
    match (status, value) {
        (_, None) if n == 0 => Mark::NoData,
        (NumberStatus::Suppressed, _) => Mark::Suppressed,
        (_, None) => Mark::NoData,
        (NumberStatus::LowReliability, Some(_)) => Mark::LowReliability,
        (NumberStatus::Ok, Some(_)) => Mark::Ok,
    }
}

/// The title, description and legend words of a chart of the page.
pub(super) fn chart_text(r: &Request, id: &str, title: String, desc: &str) -> ChartText {
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

/// A chart that could not be drawn: the 500 page.
pub(super) fn chart_failed(lang: Lang) -> impl Fn(charts::ChartError) -> PageError {
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

/// The row of a node of the index (`top`: the index itself).
pub(super) fn figure_row(node: &NodeView, top: bool, r: &Request) -> FigureRow {
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

/// The bar of a node of the index (`emphasis`: the index itself).
pub(super) fn node_bar(node: &NodeView, emphasis: bool) -> Bar {
    Bar {
        label: node.label.clone(),
        value: node.value,
        ci: node.ci.map(|c| (c.low, c.high)),
        mark: mark(node.status, node.value, node.n),
        emphasis,
    }
}
