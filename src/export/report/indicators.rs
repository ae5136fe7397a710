//! The perception and needs sheet (methodology §3.3): one row per answer of each indicator
//! question (its code, label, count, share with its interval, the question's n, the status),
//! and for a grid row a last row with its positive share. A suppressed question keeps its n
//! and its answers' labels, with empty counts and shares beside the status text.

use rust_xlsxwriter::{RowNum, Worksheet, XlsxError};

use super::cells::{Flag, Kind};
use super::sheet::{Ctx, FIRST_ROW, HEADER_ROW};
use super::text;
use crate::domain::results::{IndicatorView, ResultView, ShareView};

// Columns: question id, question, answer code, answer, count, share, lower, upper, n, status.
const C_COUNT: u16 = 4;
const C_SHARE: u16 = 5;
const C_N: u16 = 8;
const C_STATUS: u16 = 9;

/// The sheet of `r`'s indicators.
pub(super) fn sheet(ctx: &Ctx<'_>, r: &ResultView) -> Result<Worksheet, XlsxError> {
    let t = ctx.t;
    let mut ws = Worksheet::new();
    let title = format!("{} — {} — {}", t.title_indicators, r.agency_name, r.period);
    ctx.setup(&mut ws, t.sheet_indicators, &title, 1)?;
    let headers = [
        t.id,
        t.question,
        t.answer,
        t.answer_label,
        t.count,
        t.share_of_respondents,
        t.lower,
        t.upper,
        t.n,
        t.status,
    ]
    .map(str::to_owned);
    ctx.headers(&mut ws, HEADER_ROW, &headers)?;
    ws.set_row_height(HEADER_ROW, 30)?;
    for (col, width) in [8.0, 50.0, 12.0, 40.0, 12.0, 10.0, 10.0, 10.0, 8.0, 22.0]
        .into_iter()
        .enumerate()
    {
        ws.set_column_width(super::sheet::col_num(col), width)?;
    }
    let mut row = FIRST_ROW;
    for indicator in &r.indicators {
        row = question_rows(ctx, &mut ws, row, indicator)?;
    }
    ctx.note_lines(
        &mut ws,
        row + 1,
        C_STATUS,
        150,
        &[t.indicators_note.to_owned()],
    )?;
    Ok(ws)
}

/// The rows of one question from `row`; returns the next free row.
fn question_rows(
    ctx: &Ctx<'_>,
    ws: &mut Worksheet,
    mut row: RowNum,
    q: &IndicatorView,
) -> Result<RowNum, XlsxError> {
    let f = ctx.f;
    let first = row;
    for o in &q.options {
        share_row(ctx, ws, row, q, (&o.value, &o.label), &o.share)?;
        row += 1;
    }
    if let Some(p) = &q.positive {
        let label = text::positive(ctx.lang, &p.levels);
        share_row(ctx, ws, row, q, (&p.levels.join(","), &label), &p.share)?;
        row += 1;
    }
    let question = if q.label.is_empty() {
        &q.question_id
    } else {
        &q.label
    };
    ws.write_string_with_format(first, 1, question, &f.wrap)?;
    Ok(row)
}

/// One answer's row of question `q`.
fn share_row(
    ctx: &Ctx<'_>,
    ws: &mut Worksheet,
    row: RowNum,
    q: &IndicatorView,
    (value, label): (&str, &str),
    share: &ShareView,
) -> Result<(), XlsxError> {
    let f = ctx.f;
    let flag = Flag::of(
        share.status,
        q.suppression,
        q.n,
        ctx.suppress_below,
        share.share.is_some(),
    );
    ws.write_string_with_format(row, 0, &q.question_id, &f.label)?;
    ws.write_string_with_format(row, 2, value, &f.label)?;
    ws.write_string_with_format(row, 3, label, &f.wrap)?;
    match share.count.filter(|_| flag.shown()) {
        Some(c) => ctx.count(ws, (row, C_COUNT), c)?,
        None => {
            ws.write_blank(row, C_COUNT, &f.blank(flag))?;
        }
    }
    let ci = share.ci.as_ref();
    ctx.with_interval(ws, (row, C_SHARE), share.share, ci, Kind::Pct, flag)?;
    ctx.count(ws, (row, C_N), q.n)?;
    ctx.status(ws, (row, C_STATUS), flag)
}
