//! A caterpillar plot of agencies in rank order (the compare tab).

use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::canvas::{ACCENT, FONT, GRID, INK, MUTED, WIDTH, draw, font, svg, y_range};
use super::model::{ChartError, ChartText, Ranked};
use super::text::number;

/// A caterpillar plot: agencies in rank order, each a point with its interval, labelled with
/// its rank interval on the left and its value on the right.
///
/// # Errors
/// [`ChartError`] if drawing fails.
pub fn caterpillar(text: &ChartText, rows: &[Ranked]) -> Result<String, ChartError> {
    const ROW: i32 = 32;
    const TOP: i32 = 12;
    const LEFT: i32 = 150;
    const RIGHT: i32 = 56;
    let plot_w = WIDTH as i32 - LEFT - RIGHT;
    let height = (TOP + ROW * rows.len().max(1) as i32 + 30) as u32;
    let (lo, hi) = y_range(rows.iter().flat_map(|r| {
        let (l, h) = r.ci.unwrap_or((r.value, r.value));
        [r.value, l, h]
    }));
    let x = |v: f64| LEFT + ((v - lo) / (hi - lo) * f64::from(plot_w)).round() as i32;
    svg(text, (WIDTH, height), |root| {
        let bottom = TOP + ROW * rows.len().max(1) as i32;
        let mut tick = lo;
        while tick <= hi + 1e-9 {
            let tx = x(tick);
            draw(
                root,
                PathElement::new(vec![(tx, TOP), (tx, bottom)], GRID.stroke_width(1)),
            )?;
            draw(
                root,
                Text::new(
                    number(tick, 0, false),
                    (tx, bottom + 14),
                    font(FONT - 3.0, MUTED, false, HPos::Center),
                ),
            )?;
            tick += if hi - lo > 40.0 { 20.0 } else { 10.0 };
        }
        for (i, r) in rows.iter().enumerate() {
            let y = TOP + ROW * i as i32 + ROW / 2;
            let ranks = if r.rank_low == r.rank_high {
                format!("{}", r.rank)
            } else {
                format!("{} ({}–{})", r.rank, r.rank_low, r.rank_high)
            };
            draw(
                root,
                Text::new(
                    format!("{ranks}. {}", r.label),
                    (8, y),
                    font(FONT, INK, false, HPos::Left),
                ),
            )?;
            if let Some((l, h)) = r.ci {
                draw(
                    root,
                    PathElement::new(vec![(x(l), y), (x(h), y)], INK.stroke_width(2)),
                )?;
            }
            draw(root, Circle::new((x(r.value), y), 5, ACCENT.filled()))?;
            draw(
                root,
                Text::new(
                    number(r.value, 1, text.decimal_comma),
                    (WIDTH as i32 - 8, y),
                    font(FONT, INK, false, HPos::Right),
                ),
            )?;
        }
        Ok(())
    })
}
