//! The trend sheet: the SIPAS index by period with its change from the period before, then one
//! block of periods per component, a note on how changes are computed, and two line charts
//! (the index with its interval, the components).

use rust_xlsxwriter::{
    Chart, ChartLegendPosition, ChartLine, ChartLineDashType, ChartMarker, ChartMarkerType,
    ChartType, ColNum, Format, RowNum, Worksheet, XlsxError,
};

use super::cells::{Flag, Kind};
use super::chart::{custom_error_bars, figure_bounds, fill, pct_axis};
use super::sheet::{Ctx, FIRST_ROW, HEADER_ROW};
use super::text;
use crate::domain::results::{ResultView, TrendNodeView, TrendStepView, TrendView};

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

/// The first and last row of a block of periods.
type Rows = (RowNum, RowNum);

/// The trend sheet of `trend`, titled with `r`'s agency.
pub(super) fn sheet(
    ctx: &Ctx<'_>,
    r: &ResultView,
    trend: &TrendView,
) -> Result<Worksheet, XlsxError> {
    let mut ws = Worksheet::new();
    layout(ctx, &mut ws, r, trend)?;
    let steps: &[TrendStepView] = &trend.steps;
    let row = index_rows(ctx, &mut ws, steps)?;
    let index = (FIRST_ROW, row.saturating_sub(1));
    let (mut row, blocks) = component_blocks(ctx, &mut ws, steps, row)?;
    row += 1;
    let mut notes = vec![ctx.t.trend_note.to_owned()];
    // Issue 21: the steps of an agency formed by a merge that combine its predecessors.
    if let Some(h) = &trend.merged_history {
        notes.push(h.note(ctx.lang, &h.merged_from));
    }
    row = ctx.note_lines(&mut ws, row, T_P, 130, &notes)?;
    if !steps.is_empty() {
        row += 1;
        ws.insert_chart(row, 0, &index_chart(ctx, r, steps, index))?;
        // 340 px at 20 px a row.
        row += 18;
        if !blocks.is_empty() {
            ws.insert_chart(row, 0, &components_chart(ctx, steps, &blocks))?;
        }
    }
    Ok(ws)
}

/// Title, print setup, headers and column widths; the error-bar columns hidden.
fn layout(
    ctx: &Ctx<'_>,
    ws: &mut Worksheet,
    r: &ResultView,
    trend: &TrendView,
) -> Result<(), XlsxError> {
    let t = ctx.t;
    let title = format!("{} — {} — {}", t.title_trend, r.agency_name, trend.period);
    ctx.setup(ws, t.sheet_trend, &title, 1)?;
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
    ctx.headers(ws, HEADER_ROW, &headers)?;
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
    Ok(())
}

/// The index's row of each period, with its error-bar cells ("no data" when there is no
/// period); returns the next free row.
fn index_rows(
    ctx: &Ctx<'_>,
    ws: &mut Worksheet,
    steps: &[TrendStepView],
) -> Result<RowNum, XlsxError> {
    let f = ctx.f;
    let mut row = FIRST_ROW;
    for step in steps {
        ws.write_string_with_format(row, 0, &step.period, &f.label)?;
        ctx.count(ws, (row, 1), step.invited)?;
        ctx.count(ws, (row, 2), step.responses)?;
        let flag = figures(ctx, ws, row, &step.index)?;
        let (value, ci) = (step.index.value, step.index.ci.as_ref());
        ctx.error_bars(ws, (row, T_ERR), value, ci, flag)?;
        row += 1;
    }
    if steps.is_empty() {
        ws.write_string_with_format(row, 0, ctx.t.st_no_data, &f.status(Flag::NoData))?;
        row += 1;
    }
    Ok(row)
}

/// A node's figures from the value column on: value and interval, n, status, and the change
/// from the period before with its interval and p-value (empty without one). Returns its flag.
fn figures(
    ctx: &Ctx<'_>,
    ws: &mut Worksheet,
    row: RowNum,
    node: &TrendNodeView,
) -> Result<Flag, XlsxError> {
    let flag = ctx.trend_flag(node);
    let ci = node.ci.as_ref();
    ctx.with_interval(ws, (row, T_VALUE), node.value, ci, Kind::Pct, flag)?;
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

/// Below the index (from `row`), the components, one block of periods each, in the first
/// period's order. Returns the next free row and each block's rows.
fn component_blocks(
    ctx: &Ctx<'_>,
    ws: &mut Worksheet,
    steps: &[TrendStepView],
    mut row: RowNum,
) -> Result<(RowNum, Vec<Rows>), XlsxError> {
    let (t, f) = (ctx.t, ctx.f);
    let ids: Vec<(&str, &str)> = steps
        .first()
        .map(|s| {
            s.nodes
                .iter()
                .map(|n| (n.id.as_str(), n.label.as_str()))
                .collect()
        })
        .unwrap_or_default();
    let mut blocks: Vec<Rows> = Vec::new();
    if ids.is_empty() {
        return Ok((row, blocks));
    }
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
    ctx.headers(ws, row, &sub)?;
    ws.set_row_height(row, 45)?;
    row += 1;
    for component in &ids {
        let first = row;
        row = component_block(ctx, ws, steps, *component, row)?;
        blocks.push((first, row - 1));
    }
    Ok((row, blocks))
}

/// One component's (`id`, `label`) row of each period from `row`; "no data" in a period
/// without it. Returns the next free row.
fn component_block(
    ctx: &Ctx<'_>,
    ws: &mut Worksheet,
    steps: &[TrendStepView],
    (id, label): (&str, &str),
    mut row: RowNum,
) -> Result<RowNum, XlsxError> {
    let f = ctx.f;
    for step in steps {
        ws.write_string_with_format(row, 0, &step.period, &f.label)?;
        ws.write_string_with_format(row, 1, label, &f.text)?;
        ws.write_string_with_format(row, 2, id, &f.text)?;
        match step.nodes.iter().find(|n| n.id == id) {
            Some(node) => {
                figures(ctx, ws, row, node)?;
            }
            None => ctx.status(ws, (row, T_STATUS), Flag::NoData)?,
        }
        row += 1;
    }
    Ok(row)
}

/// The index by period (`rows`) with its interval as error bars, on an axis around the
/// published figures.
fn index_chart(ctx: &Ctx<'_>, r: &ResultView, steps: &[TrendStepView], rows: Rows) -> Chart {
    let t = ctx.t;
    let (first, last) = rows;
    let level = text::number(ctx.lang, r.margin_of_error.level * 100.0);
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
    chart
}

/// A line per component block; dashed once the colours run out.
fn components_chart(ctx: &Ctx<'_>, steps: &[TrendStepView], blocks: &[Rows]) -> Chart {
    let t = ctx.t;
    let mut chart = Chart::new(ChartType::Line);
    for (i, (first, last)) in blocks.iter().enumerate() {
        let color = LINE_COLORS[i % LINE_COLORS.len()];
        let dash = if i < LINE_COLORS.len() {
            ChartLineDashType::Solid
        } else {
            ChartLineDashType::Dash
        };
        chart
            .add_series()
            .set_name((t.sheet_trend, *first, 1))
            .set_categories((t.sheet_trend, *first, 0, *last, 0))
            .set_values((t.sheet_trend, *first, T_VALUE, *last, T_VALUE))
            .set_format(
                ChartLine::new()
                    .set_color(color)
                    .set_width(1.75)
                    .set_dash_type(dash),
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
    chart
}
