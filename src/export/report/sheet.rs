//! What every sheet of the report writes, through [`Ctx`]: its title and print setup, header
//! rows, figures (a number or an empty cell beside its status), counts, error-bar helper cells
//! and notes.

use rust_xlsxwriter::{ColNum, Format, RowNum, Worksheet, XlsxError};

use super::cells::{Flag, Formats, Kind};
use super::text::Text;
use crate::domain::lang::Lang;
use crate::domain::results::{IntervalView, ItemView, NodeView, TrendNodeView};

/// The sheet's title row, its header row and its first row of figures.
pub(super) const TITLE_ROW: RowNum = 0;
pub(super) const HEADER_ROW: RowNum = 1;
pub(super) const FIRST_ROW: RowNum = 2;

/// What every sheet needs.
pub(super) struct Ctx<'a> {
    pub(super) lang: Lang,
    pub(super) t: &'static Text,
    pub(super) f: &'a Formats,
    pub(super) footer: &'a str,
    pub(super) suppress_below: u64,
}

impl Ctx<'_> {
    /// What a component's cells show.
    pub(super) fn node_flag(&self, node: &NodeView) -> Flag {
        Flag::of(
            node.status,
            node.suppression,
            node.n,
            self.suppress_below,
            node.value.is_some(),
        )
    }

    /// What an item's cells show.
    pub(super) fn item_flag(&self, item: &ItemView) -> Flag {
        Flag::of(
            item.status,
            item.suppression,
            item.n,
            self.suppress_below,
            item.share.is_some(),
        )
    }

    /// What a trend step's cells show (a trend states no reason for a suppression).
    pub(super) fn trend_flag(&self, node: &TrendNodeView) -> Flag {
        Flag::of(
            node.status,
            None,
            node.n,
            self.suppress_below,
            node.value.is_some(),
        )
    }

    /// Writes a number, or an empty (shaded when suppressed) cell when it is not published.
    pub(super) fn figure(
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
    pub(super) fn with_interval(
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

    /// The status text of a flag.
    pub(super) fn status(
        &self,
        ws: &mut Worksheet,
        (row, col): (RowNum, ColNum),
        flag: Flag,
    ) -> Result<(), XlsxError> {
        ws.write_string_with_format(row, col, flag.text(self.t), &self.f.status(flag))?;
        Ok(())
    }

    /// A count, `#,##0`.
    pub(super) fn count(
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
    pub(super) fn error_bars(
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

    /// A header row.
    pub(super) fn headers(
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
    pub(super) fn setup(
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
    pub(super) fn note_lines(
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

/// A column number from an index (saturating; the report never comes near Excel's limit).
pub(super) fn col_num(col: usize) -> ColNum {
    ColNum::try_from(col).unwrap_or(ColNum::MAX)
}

/// The nodes below the root, depth first, with their depth (1 for the root's children).
pub(super) fn components(root: &NodeView) -> Vec<(usize, &NodeView)> {
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
