//! The SVG canvas every chart draws on: palette, fonts, the accessible `<svg>` wrapper with
//! its title and description, and the y range of a percentage axis.

use plotters::element::{Drawable, PointCollection};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::model::{ChartError, ChartText};
use super::text::escape;

/// The palette: text, secondary text, grid lines, the main series, a lighter one, interval
/// bands.
pub(super) const INK: RGBColor = RGBColor(26, 26, 26);
pub(super) const MUTED: RGBColor = RGBColor(74, 74, 74);
pub(super) const GRID: RGBColor = RGBColor(200, 200, 200);
pub(super) const ACCENT: RGBColor = RGBColor(11, 79, 156);
pub(super) const LIGHT: RGBColor = RGBColor(120, 160, 210);
pub(super) const BAND: RGBColor = RGBColor(190, 210, 235);
/// Levels 1–5 (PuOr: distinguishable without red–green; each segment is numbered anyway).
pub(super) const LEVELS: [RGBColor; 5] = [
    RGBColor(179, 88, 6),
    RGBColor(241, 163, 64),
    RGBColor(217, 217, 217),
    RGBColor(153, 142, 195),
    RGBColor(84, 39, 136),
];
/// The base font size, in SVG units.
pub(super) const FONT: f64 = 15.0;
/// Narrow enough that 15-unit text stays legible scaled down to a 360 px phone.
pub(super) const WIDTH: u32 = 440;

/// The drawing area of a chart: the whole SVG, in pixels from its top left corner.
pub(super) type Root<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// A text style: sans-serif at `size`, anchored at `h` and the vertical centre.
pub(super) fn font(size: f64, color: RGBColor, bold: bool, h: HPos) -> TextStyle<'static> {
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    FontDesc::new(FontFamily::SansSerif, size, style)
        .color(&color)
        .pos(Pos::new(h, VPos::Center))
}

/// Draws with `draw` on a `width × height` SVG and finishes it with the title and description.
pub(super) fn svg(
    text: &ChartText,
    (width, height): (u32, u32),
    draw: impl FnOnce(&Root<'_>) -> Result<(), ChartError>,
) -> Result<String, ChartError> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        draw(&root)?;
        root.present().map_err(failed)?;
    }
    let id = escape(&text.id);
    let opening =
        format!("<svg width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\"");
    let Some(rest) = buf.strip_prefix(&opening) else {
        return Err(ChartError("unexpected SVG header".into()));
    };
    let Some((attributes, body)) = rest.split_once('>') else {
        return Err(ChartError("unterminated SVG header".into()));
    };
    Ok(format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" \
         aria-labelledby=\"{id}-title {id}-desc\"{attributes}>\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>{body}",
        escape(&text.title),
        escape(&text.desc),
    ))
}

/// Draws one element on `root`.
pub(super) fn draw<'a, E>(root: &Root<'a>, element: E) -> Result<(), ChartError>
where
    for<'b> &'b E: PointCollection<'b, (i32, i32)>,
    E: Drawable<SVGBackend<'a>>,
{
    root.draw(&element).map_err(failed)
}

/// A y axis range covering `values` in steps of 10, at most 0–100.
pub(super) fn y_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 100.0);
    }
    let lo = ((lo / 10.0).floor() * 10.0).clamp(0.0, 90.0);
    let hi = ((hi / 10.0).ceil() * 10.0).clamp(lo + 10.0, 100.0);
    (lo, hi)
}

/// A drawing failure, as the charts' error.
fn failed(e: impl std::fmt::Display) -> ChartError {
    ChartError(e.to_string())
}
