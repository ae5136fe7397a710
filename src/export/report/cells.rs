//! How a number's cell looks: what it shows ([`Flag`]: a published figure, a low-reliability
//! one, or why it is empty), how it is written ([`Kind`]: percentage, margin, change, …) and
//! the formats of the report's cells ([`Formats`]).

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder};

use super::text::Text;
use crate::domain::results::{NumberStatus, Suppression};

/// What a number's cell shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flag {
    /// A published figure of sufficient reliability.
    Ok,
    /// A published figure of low reliability: shaded and flagged.
    Low,
    /// Suppressed: its basis is below the threshold.
    SmallN,
    /// Suppressed: it would give back a suppressed figure.
    Complementary,
    /// Nothing to show: no responses.
    NoData,
    /// The figure does not apply (an indicator switched off, a form without PAR points).
    NotApplicable,
}

impl Flag {
    /// From a view's status; a suppressed number without a stated reason is `SmallN` when its
    /// basis is below the threshold, else a complement.
    pub(super) fn of(
        status: NumberStatus,
        suppression: Option<Suppression>,
        n: u64,
        suppress_below: u64,
        has_value: bool,
    ) -> Flag {
        match (status, suppression) {
            (NumberStatus::Suppressed, Some(Suppression::SmallN)) => Flag::SmallN,
            (NumberStatus::Suppressed, Some(Suppression::Complementary)) => Flag::Complementary,
            (NumberStatus::Suppressed, None) if n < suppress_below => Flag::SmallN,
            (NumberStatus::Suppressed, None) => Flag::Complementary,
            _ if !has_value => Flag::NoData,
            (NumberStatus::LowReliability, _) => Flag::Low,
            (NumberStatus::Ok, _) => Flag::Ok,
        }
    }

    /// Whether the cell holds the number (rather than an empty cell).
    pub(super) fn shown(self) -> bool {
        matches!(self, Flag::Ok | Flag::Low)
    }

    /// The status text beside the number.
    pub(super) fn text(self, t: &Text) -> &'static str {
        match self {
            Flag::Ok => t.st_ok,
            Flag::Low => t.st_low,
            Flag::SmallN => t.st_small_n,
            Flag::Complementary => t.st_complementary,
            Flag::NoData => t.st_no_data,
            Flag::NotApplicable => t.st_not_applicable,
        }
    }
}

/// How a number is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A percentage of the view (0–100) → a fraction, `0.0%`.
    Pct,
    /// Percentage points of a margin → `±0.0%`.
    Margin,
    /// Percentage points of a change → `+0.0%`.
    Change,
    /// PAR points, a mean level: two decimals.
    Decimal,
    /// A p-value.
    P,
}

impl Kind {
    /// The cell's value of a view's number.
    pub(super) fn scale(self, v: f64) -> f64 {
        match self {
            Kind::Pct | Kind::Margin | Kind::Change => v / 100.0,
            Kind::Decimal | Kind::P => v,
        }
    }

    /// Excel's number format.
    pub(super) fn num_format(self) -> &'static str {
        match self {
            Kind::Pct => "0.0%",
            Kind::Margin => "\"±\"0.0%",
            Kind::Change => "+0.0%;-0.0%;0.0%",
            Kind::Decimal => "0.00",
            Kind::P => "0.000",
        }
    }
}

const LOW_FILL: &str = "#FFF2CC";
const LOW_FONT: &str = "#7F6000";
const HIDDEN_FILL: &str = "#EDEDED";
const HIDDEN_FONT: &str = "#595959";
const HEADER_FILL: &str = "#DDEBF7";

/// The cell formats of a report, made once per workbook.
pub(super) struct Formats {
    pub(super) title: Format,
    pub(super) header: Format,
    pub(super) section: Format,
    pub(super) label: Format,
    pub(super) text: Format,
    pub(super) wrap: Format,
    pub(super) note: Format,
    pub(super) count: Format,
    pub(super) date: Format,
}

impl Formats {
    /// The formats, with the date written the language's way.
    pub(super) fn new(t: &Text) -> Self {
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_background_color(HEADER_FILL)
                .set_border_bottom(FormatBorder::Thin),
            section: Format::new().set_bold().set_font_size(12),
            label: Format::new().set_align(FormatAlign::Top),
            text: Format::new().set_align(FormatAlign::Top),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            note: Format::new()
                .set_text_wrap()
                .set_italic()
                .set_align(FormatAlign::Top),
            count: Format::new()
                .set_num_format("#,##0")
                .set_align(FormatAlign::Top),
            date: Format::new()
                .set_num_format(t.date_format)
                .set_align(FormatAlign::Left),
        }
    }

    /// A number's format: shaded and italic when of low reliability.
    pub(super) fn number(&self, kind: Kind, flag: Flag) -> Format {
        let f = Format::new()
            .set_num_format(kind.num_format())
            .set_align(FormatAlign::Top);
        if flag == Flag::Low {
            f.set_background_color(LOW_FILL).set_italic()
        } else {
            f
        }
    }

    /// An unpublished number's empty cell: shaded when suppressed.
    pub(super) fn blank(&self, flag: Flag) -> Format {
        match flag {
            Flag::SmallN | Flag::Complementary => Format::new().set_background_color(HIDDEN_FILL),
            _ => Format::new().set_align(FormatAlign::Top),
        }
    }

    /// A status text's format.
    pub(super) fn status(&self, flag: Flag) -> Format {
        // Indented: the status column follows right-aligned numbers.
        let f = Format::new().set_indent(1).set_align(FormatAlign::Top);
        match flag {
            Flag::Ok => f,
            Flag::Low => f.set_bold().set_font_color(LOW_FONT),
            Flag::SmallN | Flag::Complementary => f.set_italic().set_font_color(HIDDEN_FONT),
            Flag::NoData | Flag::NotApplicable => f.set_font_color(HIDDEN_FONT),
        }
    }

    /// A label indented by `depth` (a component's level).
    pub(super) fn indented(&self, depth: usize) -> Format {
        self.label
            .clone()
            .set_indent(u8::try_from(depth).unwrap_or(u8::MAX))
    }
}
