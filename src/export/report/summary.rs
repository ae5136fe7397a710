//! The summary sheet: what the report is of (agency, form, period), the participation, the
//! margins of error, the SIPAS index with its PAR points and the Decision 766 ratio, the
//! component indices with their chart, and the method note.

use rust_xlsxwriter::{
    Chart, ChartAxisCrossing, ChartType, ColNum, ExcelDateTime, Format, RowNum, Worksheet,
    XlsxError,
};

use super::cells::{Flag, Kind};
use super::chart::{custom_error_bars, fill};
use super::sheet::{Ctx, FIRST_ROW, HEADER_ROW, components};
use super::{method, text};
use crate::domain::results::ResultView;

// Summary columns: label, value, lower, upper, n, status; then the chart's hidden error bars.
const S_VALUE: ColNum = 1;
const S_N: ColNum = 4;
const S_STATUS: ColNum = 5;
const S_ERR: ColNum = 6;
const S_CHART: ColNum = 8;

/// The summary sheet of `r`, dated `date`; the sheet selected on opening.
pub(super) fn sheet(
    ctx: &Ctx<'_>,
    r: &ResultView,
    date: &ExcelDateTime,
) -> Result<Worksheet, XlsxError> {
    let mut s = Summary {
        ctx,
        ws: Worksheet::new(),
        row: FIRST_ROW,
    };
    layout(ctx, &mut s.ws, r)?;
    identity(&mut s, r, date)?;
    participation(&mut s, r)?;
    let index_flag = ctx.node_flag(&r.index);
    margins(&mut s, r, index_flag)?;
    index(&mut s, r, index_flag)?;
    par(&mut s, r, index_flag)?;
    d766(&mut s, r)?;
    component_rows(&mut s, r)?;
    method_note(&mut s, r)?;
    s.ws.set_selected(true);
    Ok(s.ws)
}

/// The summary sheet being written: its worksheet and the next free row.
struct Summary<'c, 'a> {
    ctx: &'c Ctx<'a>,
    ws: Worksheet,
    row: RowNum,
}

impl Summary<'_, '_> {
    /// Writes `text` as the label of the next row; returns that row.
    fn label(&mut self, text: &str) -> Result<RowNum, XlsxError> {
        self.label_with(text, &self.ctx.f.label)
    }

    /// [`Summary::label`] in `format`.
    fn label_with(&mut self, text: &str, format: &Format) -> Result<RowNum, XlsxError> {
        let at = self.row;
        self.ws.write_string_with_format(at, 0, text, format)?;
        self.row += 1;
        Ok(at)
    }

    /// A labelled row of text.
    fn text_row(&mut self, label: &str, value: &str) -> Result<(), XlsxError> {
        let at = self.label(label)?;
        self.ws
            .write_string_with_format(at, S_VALUE, value, &self.ctx.f.text)?;
        Ok(())
    }

    /// A labelled row of a count.
    fn count_row(&mut self, label: &str, n: u64) -> Result<(), XlsxError> {
        let at = self.label(label)?;
        self.ctx.count(&mut self.ws, (at, S_VALUE), n)
    }

    /// A labelled figure, with its status when it is not a plain published one; returns its
    /// row.
    fn figure_row(
        &mut self,
        label: &str,
        value: Option<f64>,
        kind: Kind,
        flag: Flag,
    ) -> Result<RowNum, XlsxError> {
        let at = self.label(label)?;
        self.ctx
            .figure(&mut self.ws, (at, S_VALUE), value, kind, flag)?;
        if flag != Flag::Ok {
            self.ctx.status(&mut self.ws, (at, S_STATUS), flag)?;
        }
        Ok(at)
    }
}

/// Title, print setup, headers and column widths; the error-bar columns hidden.
fn layout(ctx: &Ctx<'_>, ws: &mut Worksheet, r: &ResultView) -> Result<(), XlsxError> {
    let t = ctx.t;
    let title = format!("{} — {} — {}", t.title_summary, r.agency_name, r.period);
    ctx.setup(ws, t.sheet_summary, &title, 0)?;
    ctx.headers(
        ws,
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
    Ok(())
}

/// What the report is of: agency (and scope), form, period, and the day it was made.
fn identity(
    s: &mut Summary<'_, '_>,
    r: &ResultView,
    date: &ExcelDateTime,
) -> Result<(), XlsxError> {
    let t = s.ctx.t;
    s.text_row(t.agency, &format!("{} ({})", r.agency_name, r.agency))?;
    if r.subtree {
        s.text_row(t.scope, t.scope_subtree)?;
    }
    if let Some(n) = r.agencies_with_data {
        s.count_row(t.agencies_with_data, n as u64)?;
    }
    if let Some(n) = r.agencies_in_mean {
        s.count_row(t.agencies_in_mean, n as u64)?;
    }
    s.text_row(
        t.form,
        &format!(
            "{}, {} {} ({} {})",
            r.form.key, t.version, r.form.version, t.edition, r.form.edition
        ),
    )?;
    s.text_row(t.period, &r.period)?;
    let at = s.label(t.generated_on)?;
    s.ws.write_datetime_with_format(at, S_VALUE, date, &s.ctx.f.date)?;
    Ok(())
}

/// Dossiers invited, valid and invalid responses, and the response rate.
fn participation(s: &mut Summary<'_, '_>, r: &ResultView) -> Result<(), XlsxError> {
    let t = s.ctx.t;
    s.count_row(t.invited, r.invited)?;
    s.count_row(t.responses, r.responses)?;
    s.count_row(t.invalid_returns, r.invalid_returns)?;
    let flag = if r.response_rate.is_some() {
        Flag::Ok
    } else {
        Flag::NoData
    };
    s.figure_row(t.response_rate, r.response_rate, Kind::Pct, flag)?;
    Ok(())
}

/// The worst-case margin of error and the one at the index's value (hidden with the index).
fn margins(s: &mut Summary<'_, '_>, r: &ResultView, index_flag: Flag) -> Result<(), XlsxError> {
    let lang = s.ctx.lang;
    let moe = &r.margin_of_error;
    let flag = if moe.worst_case.is_some() {
        Flag::Ok
    } else {
        Flag::NoData
    };
    let label = text::margin(lang, moe.level, true);
    s.figure_row(&label, moe.worst_case, Kind::Margin, flag)?;
    let flag = match (moe.at_index, index_flag.shown()) {
        (Some(_), _) => Flag::Ok,
        (None, false) => index_flag,
        (None, true) => Flag::NoData,
    };
    let label = text::margin(lang, moe.level, false);
    s.figure_row(&label, moe.at_index, Kind::Margin, flag)?;
    Ok(())
}

/// The SIPAS index, in bold, with its interval, basis and status.
fn index(s: &mut Summary<'_, '_>, r: &ResultView, index_flag: Flag) -> Result<(), XlsxError> {
    let (ctx, t) = (s.ctx, s.ctx.t);
    let at = s.label_with(t.sipas, &ctx.f.label.clone().set_bold())?;
    ctx.with_interval(
        &mut s.ws,
        (at, S_VALUE),
        r.index.value,
        r.index.ci.as_ref(),
        Kind::Pct,
        index_flag,
    )?;
    ctx.count(&mut s.ws, (at, S_N), r.index.n)?;
    ctx.status(&mut s.ws, (at, S_STATUS), index_flag)
}

/// The PAR Index points with their interval, and the maximum points; "not applicable" for a
/// form without them.
fn par(s: &mut Summary<'_, '_>, r: &ResultView, index_flag: Flag) -> Result<(), XlsxError> {
    let (ctx, t) = (s.ctx, s.ctx.t);
    let par = &r.par;
    let par_applies = par.eligible && par.max_points.is_some();
    let flag = match (par_applies, par.points) {
        (false, _) => Flag::NotApplicable,
        (true, Some(_)) => index_flag,
        // No points: the index is hidden (say why) or missing.
        (true, None) if !index_flag.shown() => index_flag,
        (true, None) => Flag::NoData,
    };
    let at = s.label(t.par_points)?;
    ctx.with_interval(
        &mut s.ws,
        (at, S_VALUE),
        par.points,
        par.ci.as_ref(),
        Kind::Decimal,
        flag,
    )?;
    ctx.status(&mut s.ws, (at, S_STATUS), flag)?;
    let at = s.label(t.par_max)?;
    match par.max_points.filter(|_| par.eligible) {
        Some(m) => {
            let format = ctx.f.number(Kind::Decimal, Flag::Ok);
            s.ws.write_number_with_format(at, S_VALUE, m, &format)?;
        }
        None => ctx.status(&mut s.ws, (at, S_STATUS), Flag::NotApplicable)?,
    }
    Ok(())
}

/// The Decision 766 ratio with its basis D, and the dossiers rated and dissatisfied.
fn d766(s: &mut Summary<'_, '_>, r: &ResultView) -> Result<(), XlsxError> {
    let t = s.ctx.t;
    let d = &r.d766;
    let flag = match (d.value, d.enabled) {
        (Some(_), _) => Flag::Ok,
        (None, false) => Flag::NotApplicable,
        (None, true) => Flag::NoData,
    };
    let at = s.label(t.d766)?;
    s.ctx
        .figure(&mut s.ws, (at, S_VALUE), d.value, Kind::Pct, flag)?;
    s.ctx.count(&mut s.ws, (at, S_N), d.d)?;
    if flag != Flag::Ok {
        s.ctx.status(&mut s.ws, (at, S_STATUS), flag)?;
    }
    s.count_row(t.d766_rated, d.d_rated)?;
    match d.d_dis {
        Some(n) => s.count_row(t.d766_dissatisfied, n),
        // A small group's count: hidden, with the reason.
        None => {
            let at = s.label(t.d766_dissatisfied)?;
            s.ctx.status(&mut s.ws, (at, S_STATUS), Flag::SmallN)
        }
    }
}

/// The component indices, indented by depth, with their error-bar cells; then their chart.
fn component_rows(s: &mut Summary<'_, '_>, r: &ResultView) -> Result<(), XlsxError> {
    let (ctx, f) = (s.ctx, s.ctx.f);
    s.row += 1;
    s.ws.write_string_with_format(s.row, 0, ctx.t.components, &f.section)?;
    s.row += 1;
    let nodes = components(&r.index);
    let first = s.row;
    for (depth, node) in &nodes {
        let (ws, row) = (&mut s.ws, s.row);
        let flag = ctx.node_flag(node);
        let name = if node.label.is_empty() {
            node.id.clone()
        } else {
            node.label.clone()
        };
        ws.write_string_with_format(row, 0, name, &f.indented(depth - 1))?;
        let ci = node.ci.as_ref();
        ctx.with_interval(ws, (row, S_VALUE), node.value, ci, Kind::Pct, flag)?;
        ctx.count(ws, (row, S_N), node.n)?;
        ctx.status(ws, (row, S_STATUS), flag)?;
        ctx.error_bars(ws, (row, S_ERR), node.value, ci, flag)?;
        s.row += 1;
    }
    if let Some(last) = s.row.checked_sub(1).filter(|&l| l >= first) {
        let chart = components_chart(ctx, r, (first, last), nodes.len());
        s.ws.insert_chart(HEADER_ROW, S_CHART, &chart)?;
    }
    Ok(())
}

/// A bar per component (`rows`, `count` of them) with its interval as error bars, on a 0–100 %
/// axis, read top to bottom.
fn components_chart(ctx: &Ctx<'_>, r: &ResultView, rows: (RowNum, RowNum), count: usize) -> Chart {
    let t = ctx.t;
    let (first, last) = rows;
    let mut chart = Chart::new(ChartType::Bar);
    let level = text::number(ctx.lang, r.margin_of_error.level * 100.0);
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
    chart
        .set_width(640)
        .set_height(u32::try_from(90 + 34 * count).unwrap_or(u32::MAX).max(300));
    chart
}

/// The method note and the privacy note, below the components.
fn method_note(s: &mut Summary<'_, '_>, r: &ResultView) -> Result<(), XlsxError> {
    let (ctx, t) = (s.ctx, s.ctx.t);
    s.row += 1;
    s.ws.write_string_with_format(s.row, 0, t.method, &ctx.f.section)?;
    s.row += 1;
    let par_applies = r.par.eligible && r.par.max_points.is_some();
    let mut lines = method::lines(
        ctx.lang,
        &r.method,
        &r.form.key,
        Some((r.d766.rule, r.d766.enabled)),
        par_applies.then_some(r.par.edition.as_str()),
    );
    lines.push(t.privacy_note.to_owned());
    s.row = ctx.note_lines(&mut s.ws, s.row, S_STATUS, 110, &lines)?;
    Ok(())
}
