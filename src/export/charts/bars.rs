//! Horizontal bars with interval whiskers (the overview and breakdown tabs).

use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::canvas::{ACCENT, FONT, GRID, INK, LIGHT, MUTED, Root, WIDTH, draw, font, svg};
use super::model::{Bar, ChartError, ChartText, Mark};
use super::text::{number, text_width, value_words};

/// The height of a row: label, bar, and the value beside the bar.
const ROW: i32 = 56;
/// What a row grows by when its value goes on a line of its own.
const EXTRA: i32 = 20;
const TOP: i32 = 8;
const LEFT: i32 = 8;
/// The width of the 0–100 scale.
const PLOT: i32 = 250;

/// Horizontal bars from 0 to 100 with interval whiskers: each row has its label above the bar
/// and the value (with the interval) written after it.
///
/// # Errors
/// [`ChartError`] if drawing fails.
pub fn bars(text: &ChartText, bars: &[Bar]) -> Result<String, ChartError> {
    let rows: Vec<RowText> = bars.iter().map(|bar| RowText::of(text, bar)).collect();
    let body: i32 = rows.iter().map(RowText::height).sum();
    let height = (TOP + body.max(ROW) + 28) as u32;
    svg(text, (WIDTH, height), |root| {
        axis(root, TOP + body.max(ROW))?;
        let mut y = TOP;
        for (bar, row) in bars.iter().zip(&rows) {
            bar_row(root, bar, row, y)?;
            y += row.height();
        }
        Ok(())
    })
}

/// The x of a value on the scale.
fn x(v: f64) -> i32 {
    LEFT + (v.clamp(0.0, 100.0) / 100.0 * f64::from(PLOT)).round() as i32
}

/// The words of a row's value, where its marks end, and whether the words fit after them (else
/// they go on a line of their own below).
struct RowText {
    words: String,
    end: i32,
    fits: bool,
}

impl RowText {
    /// The value's words (with its interval), after the bar or its whisker.
    fn of(text: &ChartText, bar: &Bar) -> RowText {
        let mut words = value_words(text, bar.value, bar.mark);
        let mut end = LEFT;
        if let (Some(v), Mark::Ok | Mark::LowReliability) = (bar.value, bar.mark) {
            end = x(v);
            if let Some((low, high)) = bar.ci {
                words = format!(
                    "{words} [{}–{}]",
                    number(low, 1, text.decimal_comma),
                    number(high, 1, text.decimal_comma)
                );
                end = end.max(x(high));
            }
        }
        let fits = end + 8 + text_width(&words, FONT - 1.0) <= WIDTH as i32 - 4;
        RowText { words, end, fits }
    }

    /// The row's height: one line more when the value goes below.
    fn height(&self) -> i32 {
        if self.fits { ROW } else { ROW + EXTRA }
    }
}

/// The grid lines at 0, 25, 50, 75 and 100, numbered below the rows (at `axis_y`).
fn axis(root: &Root<'_>, axis_y: i32) -> Result<(), ChartError> {
    for tick in [0.0, 25.0, 50.0, 75.0, 100.0] {
        let tx = x(tick);
        draw(
            root,
            PathElement::new(vec![(tx, TOP + 20), (tx, axis_y)], GRID.stroke_width(1)),
        )?;
        draw(
            root,
            Text::new(
                number(tick, 0, false),
                (tx, axis_y + 14),
                font(FONT - 2.0, MUTED, false, HPos::Center),
            ),
        )?;
    }
    Ok(())
}

/// One row from `y`: the label, the bar (if published) and the value's words.
fn bar_row(root: &Root<'_>, bar: &Bar, row: &RowText, y: i32) -> Result<(), ChartError> {
    draw(
        root,
        Text::new(
            bar.label.clone(),
            (LEFT, y + 11),
            font(FONT, INK, bar.emphasis, HPos::Left),
        ),
    )?;
    let (top, bottom) = (y + 24, y + 46);
    let mid = (top + bottom) / 2;
    if let (Some(v), Mark::Ok | Mark::LowReliability) = (bar.value, bar.mark) {
        bar_marks(root, bar, v, (top, bottom))?;
    }
    let at = if row.fits {
        (row.end + 8, mid)
    } else {
        (LEFT, bottom + 12)
    };
    draw(
        root,
        Text::new(
            row.words.clone(),
            at,
            font(FONT - 1.0, INK, bar.emphasis, HPos::Left),
        ),
    )
}

/// A published value's bar between `top` and `bottom`: dashed outline when of low reliability,
/// and its interval's whisker.
fn bar_marks(
    root: &Root<'_>,
    bar: &Bar,
    v: f64,
    (top, bottom): (i32, i32),
) -> Result<(), ChartError> {
    let mid = (top + bottom) / 2;
    let color = if bar.emphasis { ACCENT } else { LIGHT };
    let bar_end = x(v);
    draw(
        root,
        Rectangle::new([(LEFT, top), (bar_end, bottom)], color.filled()),
    )?;
    if bar.mark == Mark::LowReliability {
        // A dashed outline: unsure, also in black and white.
        let mut dx = LEFT;
        while dx < bar_end {
            let to = (dx + 6).min(bar_end);
            for yy in [top, bottom] {
                draw(
                    root,
                    PathElement::new(vec![(dx, yy), (to, yy)], INK.stroke_width(2)),
                )?;
            }
            dx += 10;
        }
    }
    if let Some((low, high)) = bar.ci {
        let (l, h) = (x(low), x(high));
        let whisker = INK.stroke_width(2);
        draw(root, PathElement::new(vec![(l, mid), (h, mid)], whisker))?;
        draw(
            root,
            PathElement::new(vec![(l, top + 3), (l, bottom - 3)], whisker),
        )?;
        draw(
            root,
            PathElement::new(vec![(h, top + 3), (h, bottom - 3)], whisker),
        )?;
    }
    Ok(())
}
