//! A small stacked bar of the answers per level (the items tab).

use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::canvas::{FONT, GRID, INK, LEVELS, MUTED, draw, font, svg};
use super::model::{ChartError, ChartText};
use super::text::number;

/// One small stacked bar of the answers per level (1–5, left to right), each segment numbered
/// with its level and, when wide enough, its share.
///
/// # Errors
/// [`ChartError`] if drawing fails.
pub fn distribution(text: &ChartText, counts: &[(String, u64)]) -> Result<String, ChartError> {
    const W: i32 = 300;
    const H: i32 = 26;
    let total: u64 = counts.iter().map(|(_, c)| c).sum();
    svg(text, (W as u32, H as u32), |root| {
        if total == 0 {
            draw(
                root,
                Text::new(
                    text.no_data.clone(),
                    (2, H / 2),
                    font(FONT - 2.0, MUTED, false, HPos::Left),
                ),
            )?;
            return Ok(());
        }
        let mut x0 = 0i32;
        let mut cumulative = 0u64;
        for (i, (level, count)) in counts.iter().enumerate() {
            cumulative += count;
            let x1 = (cumulative as f64 / total as f64 * f64::from(W)).round() as i32;
            if x1 > x0 {
                let color = LEVELS.get(i).copied().unwrap_or(GRID);
                draw(root, Rectangle::new([(x0, 0), (x1, H)], color.filled()))?;
                let share = *count as f64 / total as f64 * 100.0;
                let ink = if matches!(i, 0 | 4 | 3) { WHITE } else { INK };
                let label = if x1 - x0 >= 58 {
                    format!("{level}: {}%", number(share, 0, text.decimal_comma))
                } else if x1 - x0 >= 12 {
                    level.clone()
                } else {
                    String::new()
                };
                if !label.is_empty() {
                    draw(
                        root,
                        Text::new(
                            label,
                            ((x0 + x1) / 2, H / 2),
                            font(FONT - 3.0, ink, false, HPos::Center),
                        ),
                    )?;
                }
                x0 = x1;
            }
        }
        Ok(())
    })
}
