//! The item sheet: one row per criterion (its factor, wording, share satisfied with its
//! interval, the count and share of each answer level, the mean level, the status), and a
//! stacked bar chart of the levels.

use std::collections::{BTreeSet, HashMap};

use rust_xlsxwriter::{
    Chart, ChartAxisCrossing, ChartLegendPosition, ChartType, ColNum, RowNum, Worksheet, XlsxError,
};

use super::cells::{Flag, Kind};
use super::chart::fill;
use super::sheet::{Ctx, FIRST_ROW, HEADER_ROW, col_num, components};
use super::text;
use crate::domain::results::{ItemView, ResultView};

// Item columns: id, factor, wording, share, lower, upper, n, the levels' counts and shares,
// the mean level, the status.
const I_SHARE: ColNum = 3;
const I_N: ColNum = 6;
const I_LEVELS: ColNum = 7;

/// Level colours, most dissatisfied first.
const LEVEL_COLORS: [&str; 7] = [
    "#C00000", "#ED7D31", "#BFBFBF", "#70AD47", "#375623", "#1F4E79", "#7030A0",
];

/// The item sheet of `r`.
pub(super) fn sheet(ctx: &Ctx<'_>, r: &ResultView) -> Result<Worksheet, XlsxError> {
    let t = ctx.t;
    let mut ws = Worksheet::new();
    let title = format!("{} — {} — {}", t.title_items, r.agency_name, r.period);
    ctx.setup(&mut ws, t.sheet_items, &title, 1)?;
    let cols = Columns::of(r);
    layout(ctx, &mut ws, &cols)?;
    let factor_of = factors(r);
    let mut row = FIRST_ROW;
    for item in &r.items {
        let factor = factor_of
            .get(item.question_id.as_str())
            .copied()
            .unwrap_or("");
        item_row(ctx, &mut ws, row, (item, factor), &cols)?;
        row += 1;
    }
    if let Some(last) = row.checked_sub(1).filter(|&l| l >= FIRST_ROW) {
        ws.insert_chart(row + 1, 0, &levels_chart(ctx, r, &cols.levels, last))?;
    }
    Ok(ws)
}

/// The answer levels seen in the items, and the columns that follow their counts.
struct Columns {
    /// The levels, lowest first (1 to 5 when no item has counts).
    levels: Vec<String>,
    /// The first level's share.
    shares: ColNum,
    mean: ColNum,
    status: ColNum,
}

impl Columns {
    /// The columns of `r`'s items.
    fn of(r: &ResultView) -> Columns {
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
        let shares = I_LEVELS + k;
        let mean = shares + k;
        Columns {
            levels,
            shares,
            mean,
            status: mean + 1,
        }
    }
}

/// Headers and column widths.
fn layout(ctx: &Ctx<'_>, ws: &mut Worksheet, cols: &Columns) -> Result<(), XlsxError> {
    let (t, lang) = (ctx.t, ctx.lang);
    let mut headers: Vec<String> = [t.id, t.factor, t.criterion, t.share, t.lower, t.upper, t.n]
        .map(str::to_owned)
        .to_vec();
    headers.extend(cols.levels.iter().map(|l| text::level_count(lang, l)));
    headers.extend(cols.levels.iter().map(|l| text::level_share(lang, l)));
    headers.push(t.mean_level.to_owned());
    headers.push(t.status.to_owned());
    ctx.headers(ws, HEADER_ROW, &headers)?;
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
    for col in I_LEVELS..cols.mean {
        ws.set_column_width(col, 10)?;
    }
    ws.set_column_width(cols.mean, 10)?;
    ws.set_column_width(cols.status, 22)?;
    Ok(())
}

/// The label of the node that lists each item, by question id.
fn factors(r: &ResultView) -> HashMap<&str, &str> {
    let mut factor_of: HashMap<&str, &str> = HashMap::new();
    for (_, node) in components(&r.index) {
        for item in &node.items {
            factor_of.insert(item.as_str(), node.label.as_str());
        }
    }
    factor_of
}

/// One item's row, under its `factor`'s label.
fn item_row(
    ctx: &Ctx<'_>,
    ws: &mut Worksheet,
    row: RowNum,
    (item, factor): (&ItemView, &str),
    cols: &Columns,
) -> Result<(), XlsxError> {
    let f = ctx.f;
    let flag = ctx.item_flag(item);
    ws.write_string_with_format(row, 0, &item.question_id, &f.label)?;
    ws.write_string_with_format(row, 1, factor, &f.wrap)?;
    let wording = if item.label.is_empty() {
        &item.question_id
    } else {
        &item.label
    };
    ws.write_string_with_format(row, 2, wording, &f.wrap)?;
    // Not every reader grows rows to wrapped text on opening: size them.
    let lines = |text: &str, width: usize| text.chars().count().div_ceil(width).max(1);
    let height = lines(wording, 56).max(lines(factor, 26));
    ws.set_row_height(row, 15.0 * height as f64)?;
    let ci = item.ci.as_ref();
    ctx.with_interval(ws, (row, I_SHARE), item.share, ci, Kind::Pct, flag)?;
    ctx.count(ws, (row, I_N), item.n)?;
    level_cells(ctx, ws, row, (item, flag), cols)?;
    ctx.figure(ws, (row, cols.mean), item.mean, Kind::Decimal, flag)?;
    ctx.status(ws, (row, cols.status), flag)
}

/// The count and the share of each answer level (empty when the item is not published).
fn level_cells(
    ctx: &Ctx<'_>,
    ws: &mut Worksheet,
    row: RowNum,
    (item, flag): (&ItemView, Flag),
    cols: &Columns,
) -> Result<(), XlsxError> {
    let counts = item.counts.as_ref().filter(|_| flag.shown());
    let answered: u64 = counts.map_or(0, |c| c.values().sum());
    for (i, level) in cols.levels.iter().enumerate() {
        let count = counts.map(|c| c.get(level).copied().unwrap_or(0));
        let col = I_LEVELS + col_num(i);
        match count {
            Some(c) => ctx.count(ws, (row, col), c)?,
            None => {
                ws.write_blank(row, col, &ctx.f.blank(flag))?;
            }
        }
        let share = count
            .filter(|_| answered > 0)
            .map(|c| 100.0 * c as f64 / answered as f64);
        let at = (row, cols.shares + col_num(i));
        ctx.figure(ws, at, share, Kind::Pct, flag)?;
    }
    Ok(())
}

/// The distribution of the levels per item (rows up to `last`), as 100 % stacked bars.
fn levels_chart(ctx: &Ctx<'_>, r: &ResultView, levels: &[String], last: RowNum) -> Chart {
    let t = ctx.t;
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
            .set_name(&text::level(ctx.lang, level))
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
    chart
}
