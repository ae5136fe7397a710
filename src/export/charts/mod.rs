//! SVG charts of the officer pages, drawn with plotters' SVG backend: data in, an SVG string
//! out (no actix, no sea-orm, no I/O).
//!
//! Every chart is meant to be inlined in an HTML page, so it
//! - is an `<svg role="img">` labelled by its own `<title>` and `<desc>` (ids from
//!   [`ChartText::id`]), with a `viewBox` and no fixed size, so it scales to the page (360 px
//!   phones included); the page puts a data table after it as the text alternative;
//! - says everything in words and numbers, never by colour alone: each value is written beside
//!   its mark, a low-reliability value carries the word for it (and a dashed outline), a
//!   suppressed one is the word instead of a mark, the levels of a distribution are numbered;
//!   so it reads the same printed in black and white;
//! - writes text as SVG `<text>` elements in UTF-8 (Vietnamese diacritics kept as given; the
//!   browser's fonts render them). plotters escapes the text it writes; the title and
//!   description added here are escaped with [`escape`].
//!
//! Values are percentages (0–100), as the results views give them. Numbers are written with
//! [`number`] (round half-up, a decimal comma in Vietnamese).

use plotters::element::{Drawable, PointCollection};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// What a chart failed with (drawing into a string does not fail in practice).
#[derive(Debug, thiserror::Error)]
#[error("chart: {0}")]
pub struct ChartError(String);

fn failed(e: impl std::fmt::Display) -> ChartError {
    ChartError(e.to_string())
}

/// The words of a chart: its accessible name and description, and the labels it writes.
#[derive(Debug, Clone)]
pub struct ChartText {
    /// A prefix for the ids of the `<title>` and `<desc>`, unique in the page.
    pub id: String,
    pub title: String,
    pub desc: String,
    /// Written after a low-reliability value, e.g. "độ tin cậy thấp".
    pub low_reliability: String,
    /// Written instead of a suppressed value, e.g. "không công bố (n nhỏ)".
    pub suppressed: String,
    /// Written where there is no data.
    pub no_data: String,
    /// A decimal comma (Vietnamese) instead of a point.
    pub decimal_comma: bool,
}

/// Whether a number is published, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Ok,
    LowReliability,
    Suppressed,
    NoData,
}

/// One bar of [`bars`]: a value with its interval.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    /// Percent; `None` when suppressed or without data.
    pub value: Option<f64>,
    /// The interval, percent.
    pub ci: Option<(f64, f64)>,
    pub mark: Mark,
    /// Drawn stronger (the SIPAS index above its factors).
    pub emphasis: bool,
}

/// A value with its interval at one step of [`lines`].
#[derive(Debug, Clone, Copy)]
pub struct Point {
    pub value: f64,
    pub ci: Option<(f64, f64)>,
    pub mark: Mark,
}

/// One panel of [`lines`]: a series over the steps (`None` where suppressed or without data).
#[derive(Debug, Clone)]
pub struct Series {
    pub label: String,
    pub points: Vec<Option<Point>>,
}

/// One agency of [`caterpillar`], in rank order.
#[derive(Debug, Clone)]
pub struct Ranked {
    pub label: String,
    pub value: f64,
    pub ci: Option<(f64, f64)>,
    pub rank: usize,
    pub rank_low: usize,
    pub rank_high: usize,
}

/// `text` with `&`, `<`, `>`, `"` and `'` escaped, for XML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `value` rounded half-up to `decimals`, with a decimal comma when asked.
pub fn number(value: f64, decimals: usize, decimal_comma: bool) -> String {
    let scale = 10f64.powi(decimals as i32);
    // Half-up on the magnitude; the tiny nudge keeps 84.125 (stored as 84.12499…) rounding up.
    let rounded = (value.abs() * scale + 0.5 + 1e-9).floor() / scale;
    let rounded = if value < 0.0 && rounded != 0.0 {
        -rounded
    } else {
        rounded
    };
    let s = format!("{rounded:.decimals$}");
    if decimal_comma {
        s.replace('.', ",")
    } else {
        s
    }
}

const INK: RGBColor = RGBColor(26, 26, 26);
const MUTED: RGBColor = RGBColor(74, 74, 74);
const GRID: RGBColor = RGBColor(200, 200, 200);
const ACCENT: RGBColor = RGBColor(11, 79, 156);
const LIGHT: RGBColor = RGBColor(120, 160, 210);
const BAND: RGBColor = RGBColor(190, 210, 235);
/// Levels 1–5 (PuOr: distinguishable without red–green; each segment is numbered anyway).
const LEVELS: [RGBColor; 5] = [
    RGBColor(179, 88, 6),
    RGBColor(241, 163, 64),
    RGBColor(217, 217, 217),
    RGBColor(153, 142, 195),
    RGBColor(84, 39, 136),
];
const FONT: f64 = 15.0;
/// Narrow enough that 15-unit text stays legible scaled down to a 360 px phone.
const WIDTH: u32 = 440;

fn font(size: f64, color: RGBColor, bold: bool, h: HPos) -> TextStyle<'static> {
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
fn svg(
    text: &ChartText,
    (width, height): (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Result<(), ChartError>,
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

fn draw<'a, E>(
    root: &DrawingArea<SVGBackend<'a>, plotters::coord::Shift>,
    element: E,
) -> Result<(), ChartError>
where
    for<'b> &'b E: PointCollection<'b, (i32, i32)>,
    E: Drawable<SVGBackend<'a>>,
{
    root.draw(&element).map_err(failed)
}

/// The words after a value: its number, and "low reliability" when so.
fn value_words(text: &ChartText, value: Option<f64>, mark: Mark) -> String {
    match (value, mark) {
        (_, Mark::Suppressed) => text.suppressed.clone(),
        (None, _) | (_, Mark::NoData) => text.no_data.clone(),
        (Some(v), Mark::LowReliability) => {
            format!(
                "{} ({})",
                number(v, 1, text.decimal_comma),
                text.low_reliability
            )
        }
        (Some(v), Mark::Ok) => number(v, 1, text.decimal_comma),
    }
}

/// Horizontal bars from 0 to 100 with interval whiskers: each row has its label above the bar
/// and the value (with the interval) written after it.
///
/// # Errors
/// [`ChartError`] if drawing fails.
pub fn bars(text: &ChartText, bars: &[Bar]) -> Result<String, ChartError> {
    const ROW: i32 = 56;
    const EXTRA: i32 = 20;
    const TOP: i32 = 8;
    const LEFT: i32 = 8;
    const PLOT: i32 = 250;
    let x = |v: f64| LEFT + (v.clamp(0.0, 100.0) / 100.0 * f64::from(PLOT)).round() as i32;
    // Each row: its label, the bar, and its value after the bar — or on a line of its own
    // below when it would not fit beside it.
    let rows: Vec<(String, i32, bool)> = bars
        .iter()
        .map(|bar| {
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
            (words, end, fits)
        })
        .collect();
    let body: i32 = rows
        .iter()
        .map(|(_, _, fits)| if *fits { ROW } else { ROW + EXTRA })
        .sum();
    let height = (TOP + body.max(ROW) + 28) as u32;
    svg(text, (WIDTH, height), |root| {
        let axis_y = TOP + body.max(ROW);
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
        let mut y = TOP;
        for (bar, (words, end, fits)) in bars.iter().zip(&rows) {
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
            }
            let at = if *fits {
                (end + 8, mid)
            } else {
                (LEFT, bottom + 12)
            };
            draw(
                root,
                Text::new(
                    words.clone(),
                    at,
                    font(FONT - 1.0, INK, bar.emphasis, HPos::Left),
                ),
            )?;
            y += if *fits { ROW } else { ROW + EXTRA };
        }
        Ok(())
    })
}

/// An estimate of the width of `words` at `size` (proportional sans-serif, counted in
/// characters, not bytes, so Vietnamese is not overestimated).
fn text_width(words: &str, size: f64) -> i32 {
    (words.chars().count() as f64 * size * 0.56).ceil() as i32
}

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

/// A y axis range covering `values` in steps of 10, at most 0–100.
fn y_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
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

/// Small multiples: one panel per series (the SIPAS index first, then each factor), each a line
/// over the steps with its interval as a band, every point labelled with its value. Steps
/// without a published value break the line.
///
/// # Errors
/// [`ChartError`] if drawing fails.
pub fn lines(text: &ChartText, steps: &[String], series: &[Series]) -> Result<String, ChartError> {
    const PANEL: i32 = 190;
    const LEFT: i32 = 40;
    const RIGHT: i32 = 34;
    let height = (PANEL * series.len().max(1) as i32 + 8) as u32;
    let n = steps.len().max(1);
    let plot_w = WIDTH as i32 - LEFT - RIGHT;
    let x = |i: usize| {
        if n == 1 {
            LEFT + plot_w / 2
        } else {
            LEFT + (i as f64 / (n - 1) as f64 * f64::from(plot_w)).round() as i32
        }
    };
    // Label every step when they fit, else every k-th.
    let every = (n * 64).div_ceil(plot_w as usize).max(1);
    svg(text, (WIDTH, height), |root| {
        for (p, s) in series.iter().enumerate() {
            let top = PANEL * p as i32 + 8;
            let (plot_top, plot_bottom) = (top + 30, top + PANEL - 40);
            let (lo, hi) = y_range(s.points.iter().flatten().flat_map(|pt| {
                let (l, h) = pt.ci.unwrap_or((pt.value, pt.value));
                [pt.value, l, h]
            }));
            let y = |v: f64| {
                plot_bottom
                    - ((v - lo) / (hi - lo) * f64::from(plot_bottom - plot_top)).round() as i32
            };
            draw(
                root,
                Text::new(
                    s.label.clone(),
                    (8, top + 10),
                    font(FONT, INK, p == 0, HPos::Left),
                ),
            )?;
            let mut tick = lo;
            while tick <= hi + 1e-9 {
                let ty = y(tick);
                draw(
                    root,
                    PathElement::new(vec![(LEFT, ty), (LEFT + plot_w, ty)], GRID.stroke_width(1)),
                )?;
                draw(
                    root,
                    Text::new(
                        number(tick, 0, false),
                        (LEFT - 6, ty),
                        font(FONT - 3.0, MUTED, false, HPos::Right),
                    ),
                )?;
                tick += if hi - lo > 40.0 { 20.0 } else { 10.0 };
            }
            for (i, step) in steps.iter().enumerate() {
                if i % every == 0 || i + 1 == n {
                    draw(
                        root,
                        Text::new(
                            step.clone(),
                            (x(i), plot_bottom + 16),
                            font(FONT - 3.0, MUTED, false, HPos::Center),
                        ),
                    )?;
                }
            }
            // Bands and lines over runs of consecutive published points.
            let mut runs: Vec<Vec<(usize, Point)>> = Vec::new();
            let mut run = Vec::new();
            for (i, pt) in s.points.iter().enumerate() {
                match pt {
                    Some(pt) => run.push((i, *pt)),
                    None if !run.is_empty() => runs.push(std::mem::take(&mut run)),
                    None => {}
                }
            }
            if !run.is_empty() {
                runs.push(run);
            }
            for run in &runs {
                let upper: Vec<(i32, i32)> = run
                    .iter()
                    .map(|(i, pt)| (x(*i), y(pt.ci.map_or(pt.value, |c| c.1))))
                    .collect();
                let lower = run
                    .iter()
                    .rev()
                    .map(|(i, pt)| (x(*i), y(pt.ci.map_or(pt.value, |c| c.0))));
                let band: Vec<(i32, i32)> = upper.iter().copied().chain(lower).collect();
                if run.len() > 1 {
                    draw(root, Polygon::new(band, BAND.filled()))?;
                } else if let Some((i, pt)) = run.first()
                    && let Some((l, h)) = pt.ci
                {
                    draw(
                        root,
                        PathElement::new(vec![(x(*i), y(l)), (x(*i), y(h))], LIGHT.stroke_width(6)),
                    )?;
                }
                let line: Vec<(i32, i32)> =
                    run.iter().map(|(i, pt)| (x(*i), y(pt.value))).collect();
                draw(root, PathElement::new(line, ACCENT.stroke_width(2)))?;
            }
            for (i, pt) in s.points.iter().enumerate() {
                let Some(pt) = pt else { continue };
                let (px, py) = (x(i), y(pt.value));
                if pt.mark == Mark::LowReliability {
                    draw(root, Circle::new((px, py), 4, WHITE.filled()))?;
                    draw(root, Circle::new((px, py), 4, ACCENT.stroke_width(2)))?;
                } else {
                    draw(root, Circle::new((px, py), 4, ACCENT.filled()))?;
                }
                if i % every == 0 || i + 1 == n {
                    let mut label = number(pt.value, 1, text.decimal_comma);
                    if pt.mark == Mark::LowReliability {
                        label.push('*');
                    }
                    draw(
                        root,
                        Text::new(
                            label,
                            (px, py - 12),
                            font(FONT - 3.0, INK, false, HPos::Center),
                        ),
                    )?;
                }
            }
            if s.points.iter().all(Option::is_none) {
                draw(
                    root,
                    Text::new(
                        text.no_data.clone(),
                        (LEFT + plot_w / 2, (plot_top + plot_bottom) / 2),
                        font(FONT - 1.0, MUTED, false, HPos::Center),
                    ),
                )?;
            }
        }
        Ok(())
    })
}

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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn text(title: &str) -> ChartText {
        ChartText {
            id: "c1".into(),
            title: title.into(),
            desc: "Mô tả <b>".into(),
            low_reliability: "độ tin cậy thấp".into(),
            suppressed: "không công bố".into(),
            no_data: "chưa có dữ liệu".into(),
            decimal_comma: true,
        }
    }

    /// The SVG is one well-formed element: balanced tags, no raw `<` or `&` in text.
    fn well_formed(svg: &str) {
        assert!(svg.starts_with("<svg class=\"chart\""), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"), "{svg}");
        let opened = svg.matches("<text").count();
        assert_eq!(opened, svg.matches("</text>").count());
        for (i, _) in svg.match_indices('&') {
            let rest = &svg[i..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#39;"]
                    .iter()
                    .any(|e| rest.starts_with(e)),
                "raw & at {i}: {}",
                &rest[..rest.len().min(20)]
            );
        }
        assert!(!svg.contains("<script"), "{svg}");
        let opening = &svg[..svg.find('>').unwrap()];
        assert!(!opening.contains("width="), "no fixed size: {opening}");
    }

    #[test]
    fn numbers_round_half_up_with_a_decimal_comma_in_vietnamese() {
        assert_eq!(number(84.125, 2, true), "84,13");
        assert_eq!(number(84.125, 2, false), "84.13");
        assert_eq!(number(84.04, 1, false), "84.0");
        assert_eq!(number(99.95, 1, false), "100.0");
        assert_eq!(number(-0.25, 1, false), "-0.3");
        assert_eq!(number(-0.01, 1, false), "0.0");
        assert_eq!(number(50.0, 0, true), "50");
    }

    #[test]
    fn bars_keep_vietnamese_words_escape_text_and_write_every_value() {
        let svg = bars(
            &text("Chỉ số hài lòng & các yếu tố <2025>"),
            &[
                Bar {
                    label: "Chỉ số hài lòng về sự phục vụ hành chính".into(),
                    value: Some(84.125),
                    ci: Some((80.0, 88.25)),
                    mark: Mark::Ok,
                    emphasis: true,
                },
                Bar {
                    label: "Tiếp cận dịch vụ \"A\" <script>alert(1)</script>".into(),
                    value: Some(70.0),
                    ci: Some((55.0, 85.0)),
                    mark: Mark::LowReliability,
                    emphasis: false,
                },
                Bar {
                    label: "Thủ tục hành chính".into(),
                    value: None,
                    ci: None,
                    mark: Mark::Suppressed,
                    emphasis: false,
                },
            ],
        )
        .unwrap();
        well_formed(&svg);
        // Diacritics survive as UTF-8 text (NFC as given), in the chart and its title.
        assert!(
            svg.contains(">\nChỉ số hài lòng về sự phục vụ hành chính\n</text>"),
            "{svg}"
        );
        assert!(svg.contains("Thủ tục hành chính"));
        assert!(svg.contains(
            "<title id=\"c1-title\">Chỉ số hài lòng &amp; các yếu tố &lt;2025&gt;</title>"
        ));
        assert!(svg.contains("<desc id=\"c1-desc\">Mô tả &lt;b&gt;</desc>"));
        assert!(svg.contains("role=\"img\" aria-labelledby=\"c1-title c1-desc\""));
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(svg.contains("&quot;A&quot;"));
        // Every value in words: numbers, the low-reliability word, the suppression word.
        assert!(svg.contains("84,1 [80,0–88,3]"), "{svg}");
        assert!(svg.contains("70,0 (độ tin cậy thấp) [55,0–85,0]"), "{svg}");
        assert!(svg.contains(">\nkhông công bố\n</text>"), "{svg}");
    }

    #[test]
    fn a_distribution_numbers_its_levels() {
        let counts: Vec<(String, u64)> = [5u64, 5, 10, 40, 40]
            .iter()
            .enumerate()
            .map(|(i, c)| ((i + 1).to_string(), *c))
            .collect();
        let svg = distribution(&text("Phân bố"), &counts).unwrap();
        well_formed(&svg);
        assert!(svg.contains(">\n4: 40%\n</text>"), "{svg}");
        assert!(svg.contains(">\n5: 40%\n</text>"), "{svg}");
        assert!(
            svg.contains(">\n1\n</text>"),
            "narrow segments keep their level: {svg}"
        );
        assert_eq!(svg.matches("<rect").count(), 1 + 5, "background + 5 levels");
        let empty = distribution(&text("x"), &[("1".into(), 0)]).unwrap();
        assert!(empty.contains("chưa có dữ liệu"));
    }

    #[test]
    fn lines_draw_a_panel_per_series_with_bands_and_labelled_points() {
        let steps: Vec<String> = ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let pt = |v: f64| {
            Some(Point {
                value: v,
                ci: Some((v - 5.0, v + 5.0)),
                mark: Mark::Ok,
            })
        };
        let series = vec![
            Series {
                label: "Chỉ số SIPAS".into(),
                points: vec![pt(80.0), pt(82.5), None, pt(85.0)],
            },
            Series {
                label: "Công chức".into(),
                points: vec![None, None, None, None],
            },
        ];
        let svg = lines(&text("Xu hướng"), &steps, &series).unwrap();
        well_formed(&svg);
        assert!(svg.contains(">\nChỉ số SIPAS\n</text>"));
        assert!(svg.contains(">\n82,5\n</text>"), "{svg}");
        assert!(svg.contains(">\n2025-Q3\n</text>"));
        // One band for the run of two points; the lone point gets a bar.
        assert_eq!(svg.matches("<polygon").count(), 1, "{svg}");
        assert!(svg.contains("chưa có dữ liệu"));
    }

    #[test]
    fn a_caterpillar_writes_ranks_and_values() {
        let rows = vec![
            Ranked {
                label: "SO-TP".into(),
                value: 91.0,
                ci: Some((88.0, 94.0)),
                rank: 1,
                rank_low: 1,
                rank_high: 2,
            },
            Ranked {
                label: "SO-YT".into(),
                value: 72.25,
                ci: Some((65.0, 79.5)),
                rank: 2,
                rank_low: 1,
                rank_high: 2,
            },
        ];
        let svg = caterpillar(&text("Xếp hạng"), &rows).unwrap();
        well_formed(&svg);
        assert!(svg.contains(">\n1 (1–2). SO-TP\n</text>"), "{svg}");
        assert!(svg.contains(">\n72,3\n</text>"), "{svg}");
    }
}
