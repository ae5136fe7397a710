//! The XLSX report of one agency, form and period (issue 7, downloads): a summary sheet, an
//! item sheet and a trend sheet, each with native Excel charts, built from the views the
//! results API produces ([`ResultView`], [`TrendView`]). It never sees a response, so it carries
//! exactly the published numbers: a suppressed number is an empty cell beside its status text
//! ("bị ẩn (n nhỏ)"), never a value; a low-reliability one is shaded and flagged.
//!
//! The views hold percentages (0–100); cells hold fractions formatted `0.0%`, so Excel shows,
//! sums and charts them as percentages. Labels (agency, nodes, criteria) come from the views,
//! which the domain builds in the requested language; the report's own words come from
//! `text.rs`.

mod text;

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{
    Chart, ChartAxis, ChartAxisCrossing, ChartErrorBars, ChartErrorBarsType, ChartFormat,
    ChartLegendPosition, ChartLine, ChartLineDashType, ChartMarker, ChartMarkerType, ChartRange,
    ChartSolidFill, ChartType, ColNum, DocProperties, ExcelDateTime, Format, FormatAlign,
    FormatBorder, RowNum, Workbook, Worksheet, XlsxError,
};

use self::text::Text;
use crate::domain::lang::Lang;
use crate::domain::results::{
    IntervalView, ItemView, NodeView, NumberStatus, ResultView, Suppression, TrendNodeView,
    TrendStepView, TrendView,
};

/// The media type of the report.
pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The summary, item and trend sheets' names in `lang`.
pub fn sheet_names(lang: Lang) -> [&'static str; 3] {
    let t = text::of(lang);
    [t.sheet_summary, t.sheet_items, t.sheet_trend]
}

/// Why a report could not be built. Neither is the reader's fault: the HTTP layer answers 500.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// rust_xlsxwriter refused the workbook (a value beyond Excel's limits, a bad range).
    #[error("the XLSX writer failed")]
    Xlsx(#[from] XlsxError),
    /// The trend is not of the result's agency, scope and form version.
    #[error("the trend ({trend}) is not of the result's agency and form ({result})")]
    Mismatch { result: String, trend: String },
}

/// The file name of a result's report: `sipas-{agency}-{form}-v{version}-{period}.xlsx`, with
/// anything but ASCII letters, digits, `-`, `_` and `.` replaced by `_` (a range period's `/`).
pub fn file_name(result: &ResultView) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!(
        "sipas-{}-{}-v{}-{}.xlsx",
        clean(&result.agency),
        clean(&result.form.key),
        result.form.version,
        clean(&result.period)
    )
}

/// The workbook of `result` (its summary and items) and `trend` (the steps up to it), in
/// `lang`, dated `generated_on`: the `.xlsx` bytes.
///
/// # Errors
/// [`ReportError::Mismatch`] when the trend is of another agency, scope or form version;
/// [`ReportError::Xlsx`] when the writer fails.
pub fn agency_report(
    result: &ResultView,
    trend: &TrendView,
    lang: Lang,
    generated_on: NaiveDate,
) -> Result<Vec<u8>, ReportError> {
    let key = |agency: &str, subtree: bool, form: &str, version: u32| {
        format!(
            "{agency}{} {form} v{version}",
            if subtree { " +subtree" } else { "" }
        )
    };
    let of_result = key(
        &result.agency,
        result.subtree,
        &result.form.key,
        result.form.version,
    );
    let of_trend = key(
        &trend.agency,
        trend.subtree,
        &trend.form.key,
        trend.form.version,
    );
    if of_result != of_trend {
        return Err(ReportError::Mismatch {
            result: of_result,
            trend: of_trend,
        });
    }

    let t = text::of(lang);
    let formats = Formats::new(t);
    let date = ExcelDateTime::from_ymd(
        u16::try_from(generated_on.year()).unwrap_or(1900),
        u8::try_from(generated_on.month()).unwrap_or(1),
        u8::try_from(generated_on.day()).unwrap_or(1),
    )?;
    let footer = format!(
        "&L{} · {}&R&P / &N",
        result.agency.replace('&', "&&"),
        result.period.replace('&', "&&")
    );
    let ctx = Ctx {
        lang,
        t,
        f: &formats,
        footer: &footer,
        suppress_below: result.method.thresholds.suppress_below,
    };

    let mut workbook = Workbook::new();
    workbook.set_properties(
        &DocProperties::new()
            .set_title(format!(
                "{} — {} — {}",
                t.title_summary, result.agency_name, result.period
            ))
            .set_subject(format!("{} v{}", result.form.key, result.form.version))
            .set_author("sipas")
            .set_creation_datetime(&date),
    );
    workbook.push_worksheet(summary_sheet(&ctx, result, &date)?);
    workbook.push_worksheet(items_sheet(&ctx, result)?);
    workbook.push_worksheet(trend_sheet(&ctx, result, trend)?);
    Ok(workbook.save_to_buffer()?)
}

const TITLE_ROW: RowNum = 0;
const HEADER_ROW: RowNum = 1;
const FIRST_ROW: RowNum = 2;

/// What a number's cell shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flag {
    Ok,
    Low,
    SmallN,
    Complementary,
    NoData,
    NotApplicable,
}

impl Flag {
    /// From a view's status; a suppressed number without a stated reason is `SmallN` when its
    /// basis is below the threshold, else a complement.
    fn of(
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

    fn shown(self) -> bool {
        matches!(self, Flag::Ok | Flag::Low)
    }

    fn text(self, t: &Text) -> &'static str {
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
enum Kind {
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
    fn scale(self, v: f64) -> f64 {
        match self {
            Kind::Pct | Kind::Margin | Kind::Change => v / 100.0,
            Kind::Decimal | Kind::P => v,
        }
    }

    fn num_format(self) -> &'static str {
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

struct Formats {
    title: Format,
    header: Format,
    section: Format,
    label: Format,
    text: Format,
    wrap: Format,
    note: Format,
    count: Format,
    date: Format,
}

impl Formats {
    fn new(t: &Text) -> Self {
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

    fn number(&self, kind: Kind, flag: Flag) -> Format {
        let f = Format::new()
            .set_num_format(kind.num_format())
            .set_align(FormatAlign::Top);
        if flag == Flag::Low {
            f.set_background_color(LOW_FILL).set_italic()
        } else {
            f
        }
    }

    fn blank(&self, flag: Flag) -> Format {
        match flag {
            Flag::SmallN | Flag::Complementary => Format::new().set_background_color(HIDDEN_FILL),
            _ => Format::new().set_align(FormatAlign::Top),
        }
    }

    fn status(&self, flag: Flag) -> Format {
        // Indented: the status column follows right-aligned numbers.
        let f = Format::new().set_indent(1).set_align(FormatAlign::Top);
        match flag {
            Flag::Ok => f,
            Flag::Low => f.set_bold().set_font_color(LOW_FONT),
            Flag::SmallN | Flag::Complementary => f.set_italic().set_font_color(HIDDEN_FONT),
            Flag::NoData | Flag::NotApplicable => f.set_font_color(HIDDEN_FONT),
        }
    }

    fn indented(&self, depth: usize) -> Format {
        self.label
            .clone()
            .set_indent(u8::try_from(depth).unwrap_or(u8::MAX))
    }
}

/// What every sheet needs.
struct Ctx<'a> {
    lang: Lang,
    t: &'static Text,
    f: &'a Formats,
    footer: &'a str,
    suppress_below: u64,
}

impl Ctx<'_> {
    fn node_flag(&self, node: &NodeView) -> Flag {
        Flag::of(
            node.status,
            node.suppression,
            node.n,
            self.suppress_below,
            node.value.is_some(),
        )
    }

    fn item_flag(&self, item: &ItemView) -> Flag {
        Flag::of(
            item.status,
            item.suppression,
            item.n,
            self.suppress_below,
            item.share.is_some(),
        )
    }

    fn trend_flag(&self, node: &TrendNodeView) -> Flag {
        Flag::of(
            node.status,
            None,
            node.n,
            self.suppress_below,
            node.value.is_some(),
        )
    }

    /// Writes a number, or an empty (shaded when suppressed) cell when it is not published.
    fn figure(
        &self,
        ws: &mut Worksheet,
        (row, col): (RowNum, ColNum),
        value: Option<f64>,
        kind: Kind,
        flag: Flag,
    ) -> Result<(), XlsxError> {
        match value.filter(|_| flag.shown()) {
            Some(v) => {
                ws.write_number_with_format(row, col, kind.scale(v), &self.f.number(kind, flag))
            }
            None => ws.write_blank(row, col, &self.f.blank(flag)),
        }?;
        Ok(())
    }

    /// A value with its interval (`col`, `col + 1`, `col + 2`).
    fn with_interval(
        &self,
        ws: &mut Worksheet,
        (row, col): (RowNum, ColNum),
        value: Option<f64>,
        ci: Option<&IntervalView>,
        kind: Kind,
        flag: Flag,
    ) -> Result<(), XlsxError> {
        self.figure(ws, (row, col), value, kind, flag)?;
        self.figure(ws, (row, col + 1), ci.map(|c| c.low), kind, flag)?;
        self.figure(ws, (row, col + 2), ci.map(|c| c.high), kind, flag)
    }

    fn status(
        &self,
        ws: &mut Worksheet,
        (row, col): (RowNum, ColNum),
        flag: Flag,
    ) -> Result<(), XlsxError> {
        ws.write_string_with_format(row, col, flag.text(self.t), &self.f.status(flag))?;
        Ok(())
    }

    fn count(
        &self,
        ws: &mut Worksheet,
        (row, col): (RowNum, ColNum),
        n: u64,
    ) -> Result<(), XlsxError> {
        // Counts stay far below 2^53: exact as f64.
        ws.write_number_with_format(row, col, n as f64, &self.f.count)?;
        Ok(())
    }

    /// The error-bar helper cells of a chart: `value − low` and `high − value`, as fractions.
    fn error_bars(
        &self,
        ws: &mut Worksheet,
        (row, col): (RowNum, ColNum),
        value: Option<f64>,
        ci: Option<&IntervalView>,
        flag: Flag,
    ) -> Result<(), XlsxError> {
        match (value.filter(|_| flag.shown()), ci) {
            (Some(v), Some(c)) => {
                ws.write_number(row, col, ((v - c.low) / 100.0).max(0.0))?;
                ws.write_number(row, col + 1, ((c.high - v) / 100.0).max(0.0))?;
            }
            _ => {
                ws.write_blank(row, col, &Format::new())?;
                ws.write_blank(row, col + 1, &Format::new())?;
            }
        }
        Ok(())
    }

    fn headers(
        &self,
        ws: &mut Worksheet,
        row: RowNum,
        headers: &[String],
    ) -> Result<(), XlsxError> {
        for (col, h) in headers.iter().enumerate() {
            ws.write_string_with_format(row, col_num(col), h, &self.f.header)?;
        }
        Ok(())
    }

    /// Name, title, print setup (landscape A4, one page wide, the header row on every page),
    /// frozen header rows.
    fn setup(
        &self,
        ws: &mut Worksheet,
        name: &str,
        title: &str,
        freeze_cols: ColNum,
    ) -> Result<(), XlsxError> {
        ws.set_name(name)?;
        ws.write_string_with_format(TITLE_ROW, 0, title, &self.f.title)?;
        ws.set_row_height(TITLE_ROW, 22)?;
        ws.set_freeze_panes(FIRST_ROW, freeze_cols)?;
        ws.set_landscape();
        ws.set_paper_size(9);
        ws.set_print_fit_to_pages(1, 0);
        ws.set_repeat_rows(HEADER_ROW, HEADER_ROW)?;
        ws.set_footer(self.footer);
        Ok(())
    }

    /// Sentences in one merged, wrapped row each, `cols` wide (`width` characters).
    fn note_lines(
        &self,
        ws: &mut Worksheet,
        mut row: RowNum,
        last_col: ColNum,
        width: usize,
        lines: &[String],
    ) -> Result<RowNum, XlsxError> {
        for line in lines {
            ws.merge_range(row, 0, row, last_col, line, &self.f.note)?;
            // Merged cells do not grow with their text: size the row for it.
            let wrapped = line.chars().count().div_ceil(width.max(1)).max(1);
            ws.set_row_height(row, 15.0 * wrapped as f64)?;
            row += 1;
        }
        Ok(row)
    }
}

fn col_num(col: usize) -> ColNum {
    ColNum::try_from(col).unwrap_or(ColNum::MAX)
}

/// The nodes below the root, depth first, with their depth (1 for the root's children).
fn components(root: &NodeView) -> Vec<(usize, &NodeView)> {
    fn walk<'a>(node: &'a NodeView, depth: usize, out: &mut Vec<(usize, &'a NodeView)>) {
        for child in &node.children {
            out.push((depth, child));
            walk(child, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(root, 1, &mut out);
    out
}

/// A chart element's formatting: a solid fill of `color`.
fn fill(color: &str) -> ChartFormat {
    let mut format = ChartFormat::new();
    format.set_solid_fill(ChartSolidFill::new().set_color(color));
    format
}

/// A value and its interval's bounds, the numbers a chart must show.
fn figure_bounds(value: Option<f64>, ci: Option<&IntervalView>) -> Vec<f64> {
    value
        .into_iter()
        .chain(ci.into_iter().flat_map(|c| [c.low, c.high]))
        .collect()
}

/// A percentage axis on tens of percent around `values` (percent), at least 20 points tall:
/// an automatic one zooms into a few points and makes every wobble look dramatic, a 0–100 %
/// one flattens everything.
fn pct_axis(axis: &mut ChartAxis, values: impl Iterator<Item = f64>) {
    axis.set_num_format("0%");
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !(lo.is_finite() && hi.is_finite()) {
        return;
    }
    let mut min = ((lo / 10.0).floor() * 10.0).clamp(0.0, 100.0);
    let mut max = ((hi / 10.0).ceil() * 10.0).clamp(0.0, 100.0);
    if max - min < 20.0 {
        min = (min - 10.0).max(0.0);
        max = (max + 10.0).min(100.0);
    }
    axis.set_min(min / 100.0)
        .set_max(max / 100.0)
        .set_major_unit(0.1);
}

fn custom_error_bars(sheet: &str, first: RowNum, last: RowNum, col: ColNum) -> ChartErrorBars {
    let mut bars = ChartErrorBars::new();
    bars.set_type(ChartErrorBarsType::Custom(
        ChartRange::new_from_range(sheet, first, col + 1, last, col + 1),
        ChartRange::new_from_range(sheet, first, col, last, col),
    ))
    .set_format(ChartLine::new().set_color("#404040"));
    bars
}

// Summary columns: label, value, lower, upper, n, status; then the chart's hidden error bars.
const S_VALUE: ColNum = 1;
const S_N: ColNum = 4;
const S_STATUS: ColNum = 5;
const S_ERR: ColNum = 6;
const S_CHART: ColNum = 8;

fn summary_sheet(
    ctx: &Ctx<'_>,
    r: &ResultView,
    date: &ExcelDateTime,
) -> Result<Worksheet, XlsxError> {
    let (t, f, lang) = (ctx.t, ctx.f, ctx.lang);
    let mut ws = Worksheet::new();
    let title = format!("{} — {} — {}", t.title_summary, r.agency_name, r.period);
    ctx.setup(&mut ws, t.sheet_summary, &title, 0)?;
    ctx.headers(
        &mut ws,
        HEADER_ROW,
        &[
            t.measure,
            t.value,
            t.lower,
            t.upper,
            t.n,
            t.status,
            t.error_below,
            t.error_above,
        ]
        .map(str::to_owned),
    )?;
    for (col, width) in [
        (0, 46.0),
        (1, 13.0),
        (2, 13.0),
        (3, 13.0),
        (4, 10.0),
        (5, 24.0),
    ] {
        ws.set_column_width(col, width)?;
    }
    ws.set_column_width(S_ERR, 12)?;
    ws.set_column_width(S_ERR + 1, 12)?;
    ws.set_column_hidden(S_ERR)?;
    ws.set_column_hidden(S_ERR + 1)?;

    let mut row = FIRST_ROW;
    let mut label = |ws: &mut Worksheet, text: &str| -> Result<RowNum, XlsxError> {
        ws.write_string_with_format(row, 0, text, &f.label)?;
        row += 1;
        Ok(row - 1)
    };

    let at = label(&mut ws, t.agency)?;
    ws.write_string_with_format(
        at,
        S_VALUE,
        format!("{} ({})", r.agency_name, r.agency),
        &f.text,
    )?;
    if r.subtree {
        let at = label(&mut ws, t.scope)?;
        ws.write_string_with_format(at, S_VALUE, t.scope_subtree, &f.text)?;
    }
    if let Some(n) = r.agencies_with_data {
        let at = label(&mut ws, t.agencies_with_data)?;
        ctx.count(&mut ws, (at, S_VALUE), n as u64)?;
    }
    if let Some(n) = r.agencies_in_mean {
        let at = label(&mut ws, t.agencies_in_mean)?;
        ctx.count(&mut ws, (at, S_VALUE), n as u64)?;
    }
    let at = label(&mut ws, t.form)?;
    ws.write_string_with_format(
        at,
        S_VALUE,
        format!(
            "{}, {} {} ({} {})",
            r.form.key, t.version, r.form.version, t.edition, r.form.edition
        ),
        &f.text,
    )?;
    let at = label(&mut ws, t.period)?;
    ws.write_string_with_format(at, S_VALUE, &r.period, &f.text)?;
    let at = label(&mut ws, t.generated_on)?;
    ws.write_datetime_with_format(at, S_VALUE, date, &f.date)?;

    let at = label(&mut ws, t.invited)?;
    ctx.count(&mut ws, (at, S_VALUE), r.invited)?;
    let at = label(&mut ws, t.responses)?;
    ctx.count(&mut ws, (at, S_VALUE), r.responses)?;
    let at = label(&mut ws, t.invalid_returns)?;
    ctx.count(&mut ws, (at, S_VALUE), r.invalid_returns)?;
    let at = label(&mut ws, t.response_rate)?;
    let flag = if r.response_rate.is_some() {
        Flag::Ok
    } else {
        Flag::NoData
    };
    ctx.figure(&mut ws, (at, S_VALUE), r.response_rate, Kind::Pct, flag)?;
    if flag != Flag::Ok {
        ctx.status(&mut ws, (at, S_STATUS), flag)?;
    }

    let index_flag = ctx.node_flag(&r.index);
    let moe = &r.margin_of_error;
    let at = label(&mut ws, &text::margin(lang, moe.level, true))?;
    let flag = if moe.worst_case.is_some() {
        Flag::Ok
    } else {
        Flag::NoData
    };
    ctx.figure(&mut ws, (at, S_VALUE), moe.worst_case, Kind::Margin, flag)?;
    if flag != Flag::Ok {
        ctx.status(&mut ws, (at, S_STATUS), flag)?;
    }
    let at = label(&mut ws, &text::margin(lang, moe.level, false))?;
    let flag = match (moe.at_index, index_flag.shown()) {
        (Some(_), _) => Flag::Ok,
        (None, false) => index_flag,
        (None, true) => Flag::NoData,
    };
    ctx.figure(&mut ws, (at, S_VALUE), moe.at_index, Kind::Margin, flag)?;
    if flag != Flag::Ok {
        ctx.status(&mut ws, (at, S_STATUS), flag)?;
    }

    let at = label(&mut ws, t.sipas)?;
    ws.write_string_with_format(at, 0, t.sipas, &f.label.clone().set_bold())?;
    ctx.with_interval(
        &mut ws,
        (at, S_VALUE),
        r.index.value,
        r.index.ci.as_ref(),
        Kind::Pct,
        index_flag,
    )?;
    ctx.count(&mut ws, (at, S_N), r.index.n)?;
    ctx.status(&mut ws, (at, S_STATUS), index_flag)?;

    let par = &r.par;
    let par_applies = par.eligible && par.max_points.is_some();
    let at = label(&mut ws, t.par_points)?;
    let flag = match (par_applies, par.points) {
        (false, _) => Flag::NotApplicable,
        (true, Some(_)) => index_flag,
        // No points: the index is hidden (say why) or missing.
        (true, None) if !index_flag.shown() => index_flag,
        (true, None) => Flag::NoData,
    };
    ctx.with_interval(
        &mut ws,
        (at, S_VALUE),
        par.points,
        par.ci.as_ref(),
        Kind::Decimal,
        flag,
    )?;
    ctx.status(&mut ws, (at, S_STATUS), flag)?;
    let at = label(&mut ws, t.par_max)?;
    match par.max_points.filter(|_| par.eligible) {
        Some(m) => {
            ws.write_number_with_format(at, S_VALUE, m, &f.number(Kind::Decimal, Flag::Ok))?;
        }
        None => ctx.status(&mut ws, (at, S_STATUS), Flag::NotApplicable)?,
    }

    let d = &r.d766;
    let at = label(&mut ws, t.d766)?;
    let flag = match (d.value, d.enabled) {
        (Some(_), _) => Flag::Ok,
        (None, false) => Flag::NotApplicable,
        (None, true) => Flag::NoData,
    };
    ctx.figure(&mut ws, (at, S_VALUE), d.value, Kind::Pct, flag)?;
    ctx.count(&mut ws, (at, S_N), d.d)?;
    if flag != Flag::Ok {
        ctx.status(&mut ws, (at, S_STATUS), flag)?;
    }
    let at = label(&mut ws, t.d766_rated)?;
    ctx.count(&mut ws, (at, S_VALUE), d.d_rated)?;
    let at = label(&mut ws, t.d766_dissatisfied)?;
    ctx.count(&mut ws, (at, S_VALUE), d.d_dis)?;

    // The component indices, indented by depth, and their chart.
    row += 1;
    ws.write_string_with_format(row, 0, t.components, &f.section)?;
    row += 1;
    let nodes = components(&r.index);
    let first = row;
    for (depth, node) in &nodes {
        let flag = ctx.node_flag(node);
        let name = if node.label.is_empty() {
            node.id.clone()
        } else {
            node.label.clone()
        };
        ws.write_string_with_format(row, 0, name, &f.indented(depth - 1))?;
        ctx.with_interval(
            &mut ws,
            (row, S_VALUE),
            node.value,
            node.ci.as_ref(),
            Kind::Pct,
            flag,
        )?;
        ctx.count(&mut ws, (row, S_N), node.n)?;
        ctx.status(&mut ws, (row, S_STATUS), flag)?;
        ctx.error_bars(&mut ws, (row, S_ERR), node.value, node.ci.as_ref(), flag)?;
        row += 1;
    }
    if let Some(last) = row.checked_sub(1).filter(|&l| l >= first) {
        let mut chart = Chart::new(ChartType::Bar);
        let level = text::number(lang, r.margin_of_error.level * 100.0);
        chart
            .add_series()
            .set_name(t.series_index)
            .set_categories((t.sheet_summary, first, 0, last, 0))
            .set_values((t.sheet_summary, first, S_VALUE, last, S_VALUE))
            .set_format(&mut fill("#2F5597"))
            .set_x_error_bars(&custom_error_bars(t.sheet_summary, first, last, S_ERR));
        chart
            .title()
            .set_name(&format!("{} ({level}%)", t.chart_components));
        chart
            .x_axis()
            .set_min(0.0)
            .set_max(1.0)
            .set_num_format("0%");
        chart
            .y_axis()
            .set_reverse()
            .set_crossing(ChartAxisCrossing::Max);
        chart.legend().set_hidden();
        chart.show_hidden_data();
        chart.set_alt_text(t.chart_components);
        chart.set_width(640).set_height(
            u32::try_from(90 + 34 * nodes.len())
                .unwrap_or(u32::MAX)
                .max(300),
        );
        ws.insert_chart(HEADER_ROW, S_CHART, &chart)?;
    }

    row += 1;
    ws.write_string_with_format(row, 0, t.method, &f.section)?;
    row += 1;
    let mut lines = text::method_lines(
        lang,
        &r.method,
        &r.form.key,
        Some((d.rule, d.enabled)),
        par_applies.then_some(par.edition.as_str()),
    );
    lines.push(t.privacy_note.to_owned());
    ctx.note_lines(&mut ws, row, S_STATUS, 110, &lines)?;
    ws.set_selected(true);
    Ok(ws)
}

// Item columns: id, factor, wording, share, lower, upper, n, the levels' counts and shares,
// the mean level, the status.
const I_SHARE: ColNum = 3;
const I_N: ColNum = 6;
const I_LEVELS: ColNum = 7;

/// Level colours, most dissatisfied first.
const LEVEL_COLORS: [&str; 7] = [
    "#C00000", "#ED7D31", "#BFBFBF", "#70AD47", "#375623", "#1F4E79", "#7030A0",
];

fn items_sheet(ctx: &Ctx<'_>, r: &ResultView) -> Result<Worksheet, XlsxError> {
    let (t, f, lang) = (ctx.t, ctx.f, ctx.lang);
    let mut ws = Worksheet::new();
    let title = format!("{} — {} — {}", t.title_items, r.agency_name, r.period);
    ctx.setup(&mut ws, t.sheet_items, &title, 1)?;

    let mut levels: Vec<String> = r
        .items
        .iter()
        .filter_map(|i| i.counts.as_ref())
        .flat_map(|c| c.keys().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if levels.is_empty() {
        levels = (1..=5).map(|l| l.to_string()).collect();
    }
    levels.sort_by_key(|l| l.parse::<i64>().unwrap_or(i64::MAX));
    let k = col_num(levels.len());
    let shares_col = I_LEVELS + k;
    let mean_col = shares_col + k;
    let status_col = mean_col + 1;

    let mut headers: Vec<String> = [t.id, t.factor, t.criterion, t.share, t.lower, t.upper, t.n]
        .map(str::to_owned)
        .to_vec();
    headers.extend(levels.iter().map(|l| text::level_count(lang, l)));
    headers.extend(levels.iter().map(|l| text::level_share(lang, l)));
    headers.push(t.mean_level.to_owned());
    headers.push(t.status.to_owned());
    ctx.headers(&mut ws, HEADER_ROW, &headers)?;
    ws.set_row_height(HEADER_ROW, 30)?;
    for (col, width) in [
        (0, 8.0),
        (1, 28.0),
        (2, 60.0),
        (3, 12.0),
        (4, 12.0),
        (5, 12.0),
        (6, 8.0),
    ] {
        ws.set_column_width(col, width)?;
    }
    for col in I_LEVELS..mean_col {
        ws.set_column_width(col, 10)?;
    }
    ws.set_column_width(mean_col, 10)?;
    ws.set_column_width(status_col, 22)?;

    // The node that lists each item.
    let mut factor_of: HashMap<&str, &str> = HashMap::new();
    for (_, node) in components(&r.index) {
        for item in &node.items {
            factor_of.insert(item.as_str(), node.label.as_str());
        }
    }

    let mut row = FIRST_ROW;
    for item in &r.items {
        let flag = ctx.item_flag(item);
        ws.write_string_with_format(row, 0, &item.question_id, &f.label)?;
        ws.write_string_with_format(
            row,
            1,
            factor_of
                .get(item.question_id.as_str())
                .copied()
                .unwrap_or(""),
            &f.wrap,
        )?;
        let wording = if item.label.is_empty() {
            &item.question_id
        } else {
            &item.label
        };
        ws.write_string_with_format(row, 2, wording, &f.wrap)?;
        // Not every reader grows rows to wrapped text on opening: size them.
        let lines = |text: &str, width: usize| text.chars().count().div_ceil(width).max(1);
        let factor = factor_of
            .get(item.question_id.as_str())
            .copied()
            .unwrap_or("");
        let height = lines(wording, 56).max(lines(factor, 26));
        ws.set_row_height(row, 15.0 * height as f64)?;
        ctx.with_interval(
            &mut ws,
            (row, I_SHARE),
            item.share,
            item.ci.as_ref(),
            Kind::Pct,
            flag,
        )?;
        ctx.count(&mut ws, (row, I_N), item.n)?;
        let counts = item.counts.as_ref().filter(|_| flag.shown());
        let answered: u64 = counts.map_or(0, |c| c.values().sum());
        for (i, level) in levels.iter().enumerate() {
            let count = counts.map(|c| c.get(level).copied().unwrap_or(0));
            let col = I_LEVELS + col_num(i);
            match count {
                Some(c) => ctx.count(&mut ws, (row, col), c)?,
                None => {
                    ws.write_blank(row, col, &f.blank(flag))?;
                }
            }
            let share = count
                .filter(|_| answered > 0)
                .map(|c| 100.0 * c as f64 / answered as f64);
            ctx.figure(
                &mut ws,
                (row, shares_col + col_num(i)),
                share,
                Kind::Pct,
                flag,
            )?;
        }
        ctx.figure(&mut ws, (row, mean_col), item.mean, Kind::Decimal, flag)?;
        ctx.status(&mut ws, (row, status_col), flag)?;
        row += 1;
    }

    if let Some(last) = row.checked_sub(1).filter(|&l| l >= FIRST_ROW) {
        let mut chart = Chart::new(ChartType::BarPercentStacked);
        for (i, level) in levels.iter().enumerate() {
            let col = I_LEVELS + col_num(i);
            let color = if levels.len() == 5 {
                LEVEL_COLORS[i]
            } else {
                LEVEL_COLORS[i % LEVEL_COLORS.len()]
            };
            chart
                .add_series()
                .set_name(&text::level(lang, level))
                .set_categories((t.sheet_items, FIRST_ROW, 0, last, 0))
                .set_values((t.sheet_items, FIRST_ROW, col, last, col))
                .set_format(&mut fill(color))
                .set_gap(40);
        }
        chart.title().set_name(t.chart_items);
        chart.x_axis().set_num_format("0%");
        chart
            .y_axis()
            .set_reverse()
            .set_crossing(ChartAxisCrossing::Max);
        chart.legend().set_position(ChartLegendPosition::Bottom);
        chart.set_alt_text(t.chart_items);
        chart.set_width(900).set_height(
            u32::try_from(110 + 20 * r.items.len())
                .unwrap_or(u32::MAX)
                .max(320),
        );
        ws.insert_chart(row + 1, 0, &chart)?;
    }
    Ok(ws)
}

// Trend columns: period, dossiers (or component label), responses (or its code), value,
// lower, upper, n, status, change, its lower and upper bounds, p; then the index's hidden
// error bars.
const T_VALUE: ColNum = 3;
const T_N: ColNum = 6;
const T_STATUS: ColNum = 7;
const T_CHANGE: ColNum = 8;
const T_P: ColNum = 11;
const T_ERR: ColNum = 12;

/// Component colours of the trend chart.
const LINE_COLORS: [&str; 8] = [
    "#2F5597", "#C55A11", "#548235", "#7030A0", "#BF9000", "#00B0F0", "#FF0000", "#404040",
];

fn trend_row(
    ctx: &Ctx<'_>,
    ws: &mut Worksheet,
    row: RowNum,
    node: &TrendNodeView,
) -> Result<Flag, XlsxError> {
    let flag = ctx.trend_flag(node);
    ctx.with_interval(
        ws,
        (row, T_VALUE),
        node.value,
        node.ci.as_ref(),
        Kind::Pct,
        flag,
    )?;
    ctx.count(ws, (row, T_N), node.n)?;
    ctx.status(ws, (row, T_STATUS), flag)?;
    match &node.change {
        Some(c) => {
            let f = ctx.f.number(Kind::Change, Flag::Ok);
            ws.write_number_with_format(row, T_CHANGE, Kind::Change.scale(c.value), &f)?;
            ws.write_number_with_format(row, T_CHANGE + 1, Kind::Change.scale(c.ci.low), &f)?;
            ws.write_number_with_format(row, T_CHANGE + 2, Kind::Change.scale(c.ci.high), &f)?;
            ws.write_number_with_format(row, T_P, c.p_value, &ctx.f.number(Kind::P, Flag::Ok))?;
        }
        None => {
            for col in T_CHANGE..=T_P {
                ws.write_blank(row, col, &Format::new())?;
            }
        }
    }
    Ok(flag)
}

fn trend_sheet(ctx: &Ctx<'_>, r: &ResultView, trend: &TrendView) -> Result<Worksheet, XlsxError> {
    let (t, f, lang) = (ctx.t, ctx.f, ctx.lang);
    let mut ws = Worksheet::new();
    let title = format!("{} — {} — {}", t.title_trend, r.agency_name, trend.period);
    ctx.setup(&mut ws, t.sheet_trend, &title, 1)?;
    let headers = [
        t.period,
        t.dossiers,
        t.responses,
        t.sipas,
        t.lower,
        t.upper,
        t.n,
        t.status,
        t.change,
        t.change_lower,
        t.change_upper,
        t.p_value,
        t.error_below,
        t.error_above,
    ]
    .map(str::to_owned);
    ctx.headers(&mut ws, HEADER_ROW, &headers)?;
    ws.set_row_height(HEADER_ROW, 45)?;
    for (col, width) in [
        (0, 16.0),
        (1, 40.0),
        (2, 12.0),
        (3, 12.0),
        (4, 12.0),
        (5, 12.0),
        (6, 8.0),
        (7, 22.0),
        (8, 16.0),
        (9, 12.0),
        (10, 12.0),
        (11, 9.0),
        (12, 12.0),
        (13, 12.0),
    ] {
        ws.set_column_width(col, width)?;
    }
    ws.set_column_hidden(T_ERR)?;
    ws.set_column_hidden(T_ERR + 1)?;

    let steps: &[TrendStepView] = &trend.steps;
    let mut row = FIRST_ROW;
    for step in steps {
        ws.write_string_with_format(row, 0, &step.period, &f.label)?;
        ctx.count(&mut ws, (row, 1), step.invited)?;
        ctx.count(&mut ws, (row, 2), step.responses)?;
        let flag = trend_row(ctx, &mut ws, row, &step.index)?;
        ctx.error_bars(
            &mut ws,
            (row, T_ERR),
            step.index.value,
            step.index.ci.as_ref(),
            flag,
        )?;
        row += 1;
    }
    if steps.is_empty() {
        ws.write_string_with_format(row, 0, t.st_no_data, &f.status(Flag::NoData))?;
        row += 1;
    }
    let index_rows = (FIRST_ROW, row.saturating_sub(1));

    // The components, one block of steps each, in the first step's order.
    let ids: Vec<(&str, &str)> = steps
        .first()
        .map(|s| {
            s.nodes
                .iter()
                .map(|n| (n.id.as_str(), n.label.as_str()))
                .collect()
        })
        .unwrap_or_default();
    let mut blocks: Vec<(RowNum, RowNum)> = Vec::new();
    if !ids.is_empty() {
        row += 1;
        ws.write_string_with_format(row, 0, t.components_by_period, &f.section)?;
        row += 1;
        let sub = [
            t.period,
            t.component,
            t.code,
            t.value,
            t.lower,
            t.upper,
            t.n,
            t.status,
            t.change,
            t.change_lower,
            t.change_upper,
            t.p_value,
        ]
        .map(str::to_owned);
        ctx.headers(&mut ws, row, &sub)?;
        ws.set_row_height(row, 45)?;
        row += 1;
        for (id, label) in &ids {
            let first = row;
            for step in steps {
                ws.write_string_with_format(row, 0, &step.period, &f.label)?;
                ws.write_string_with_format(row, 1, *label, &f.text)?;
                ws.write_string_with_format(row, 2, *id, &f.text)?;
                match step.nodes.iter().find(|n| n.id == *id) {
                    Some(node) => {
                        trend_row(ctx, &mut ws, row, node)?;
                    }
                    None => ctx.status(&mut ws, (row, T_STATUS), Flag::NoData)?,
                }
                row += 1;
            }
            blocks.push((first, row - 1));
        }
    }
    row += 1;
    row = ctx.note_lines(&mut ws, row, T_P, 130, &[t.trend_note.to_owned()])?;

    if !steps.is_empty() {
        let (first, last) = index_rows;
        let level = text::number(lang, r.margin_of_error.level * 100.0);
        let mut chart = Chart::new(ChartType::Line);
        chart
            .add_series()
            .set_name((t.sheet_trend, HEADER_ROW, T_VALUE))
            .set_categories((t.sheet_trend, first, 0, last, 0))
            .set_values((t.sheet_trend, first, T_VALUE, last, T_VALUE))
            .set_format(ChartLine::new().set_color(LINE_COLORS[0]).set_width(2.25))
            .set_marker(
                ChartMarker::new()
                    .set_type(ChartMarkerType::Circle)
                    .set_size(7)
                    .set_format(&mut fill(LINE_COLORS[0])),
            )
            .set_y_error_bars(&custom_error_bars(t.sheet_trend, first, last, T_ERR));
        chart
            .title()
            .set_name(&format!("{} ({level}%)", t.chart_trend));
        let bounds = steps
            .iter()
            .filter(|s| ctx.trend_flag(&s.index).shown())
            .flat_map(|s| figure_bounds(s.index.value, s.index.ci.as_ref()));
        pct_axis(chart.y_axis(), bounds);
        chart.legend().set_hidden();
        chart.show_hidden_data();
        chart.set_alt_text(t.chart_trend);
        chart.set_width(720).set_height(340);
        row += 1;
        ws.insert_chart(row, 0, &chart)?;
        // 340 px at 20 px a row.
        row += 18;

        if !blocks.is_empty() {
            let mut chart = Chart::new(ChartType::Line);
            for (i, (first, last)) in blocks.iter().enumerate() {
                let color = LINE_COLORS[i % LINE_COLORS.len()];
                chart
                    .add_series()
                    .set_name((t.sheet_trend, *first, 1))
                    .set_categories((t.sheet_trend, *first, 0, *last, 0))
                    .set_values((t.sheet_trend, *first, T_VALUE, *last, T_VALUE))
                    .set_format(
                        ChartLine::new()
                            .set_color(color)
                            .set_width(1.75)
                            .set_dash_type(if i < LINE_COLORS.len() {
                                ChartLineDashType::Solid
                            } else {
                                ChartLineDashType::Dash
                            }),
                    )
                    .set_marker(
                        ChartMarker::new()
                            .set_type(ChartMarkerType::Circle)
                            .set_size(5)
                            .set_format(&mut fill(color)),
                    );
            }
            chart.title().set_name(t.chart_trend_components);
            let bounds = steps
                .iter()
                .flat_map(|s| &s.nodes)
                .filter(|n| ctx.trend_flag(n).shown())
                .flat_map(|n| n.value);
            pct_axis(chart.y_axis(), bounds);
            chart.legend().set_position(ChartLegendPosition::Bottom);
            chart.set_alt_text(t.chart_trend_components);
            chart
                .set_width(720)
                .set_height(u32::try_from(340 + 18 * blocks.len()).unwrap_or(u32::MAX));
            ws.insert_chart(row, 0, &chart)?;
        }
    }
    Ok(ws)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
