//! Small multiples of lines with interval bands (the trend tab).

use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::canvas::{
    ACCENT, BAND, FONT, GRID, INK, LIGHT, MUTED, Root, WIDTH, draw, font, svg, y_range,
};
use super::model::{ChartError, ChartText, Mark, Point, Series};
use super::text::number;

/// The height of one panel.
const PANEL: i32 = 190;
/// Room for the y axis's numbers on the left, and for a last point's label on the right.
const LEFT: i32 = 40;
const RIGHT: i32 = 34;

/// Small multiples: one panel per series (the SIPAS index first, then each factor), each a line
/// over the steps with its interval as a band, every point labelled with its value. Steps
/// without a published value break the line.
///
/// # Errors
/// [`ChartError`] if drawing fails.
pub fn lines(text: &ChartText, steps: &[String], series: &[Series]) -> Result<String, ChartError> {
    let height = (PANEL * series.len().max(1) as i32 + 8) as u32;
    let xs = Steps::new(steps.len());
    svg(text, (WIDTH, height), |root| {
        for (p, s) in series.iter().enumerate() {
            panel(root, text, (steps, &xs), p, s)?;
        }
        Ok(())
    })
}

/// The x axis shared by the panels: where each of the `n` steps goes, and which are labelled.
struct Steps {
    n: usize,
    plot_w: i32,
    /// Label every step when they fit, else every `every`-th (and the last).
    every: usize,
}

impl Steps {
    /// The axis of `steps` steps.
    fn new(steps: usize) -> Steps {
        let n = steps.max(1);
        let plot_w = WIDTH as i32 - LEFT - RIGHT;
        let every = (n * 64).div_ceil(plot_w as usize).max(1);
        Steps { n, plot_w, every }
    }

    /// The x of step `i`; a single step in the middle.
    fn x(&self, i: usize) -> i32 {
        if self.n == 1 {
            LEFT + self.plot_w / 2
        } else {
            LEFT + (i as f64 / (self.n - 1) as f64 * f64::from(self.plot_w)).round() as i32
        }
    }

    /// Whether step `i` is labelled (its name below the axis, its value above its point).
    fn labelled(&self, i: usize) -> bool {
        i.is_multiple_of(self.every) || i + 1 == self.n
    }
}

/// The y axis of one panel: `lo`–`hi` percent between `top` and `bottom`.
struct Scale {
    lo: f64,
    hi: f64,
    top: i32,
    bottom: i32,
}

impl Scale {
    /// The range around `s`'s values and intervals, in the panel whose top is at `top`.
    fn of(s: &Series, top: i32) -> Scale {
        let (lo, hi) = y_range(s.points.iter().flatten().flat_map(|pt| {
            let (l, h) = pt.ci.unwrap_or((pt.value, pt.value));
            [pt.value, l, h]
        }));
        Scale {
            lo,
            hi,
            top: top + 30,
            bottom: top + PANEL - 40,
        }
    }

    /// The y of a value.
    fn y(&self, v: f64) -> i32 {
        self.bottom
            - ((v - self.lo) / (self.hi - self.lo) * f64::from(self.bottom - self.top)).round()
                as i32
    }
}

/// Panel `p`: the series' name, its grid, the steps' names, bands and lines, points and their
/// values; "no data" when nothing is published.
fn panel(
    root: &Root<'_>,
    text: &ChartText,
    (steps, xs): (&[String], &Steps),
    p: usize,
    s: &Series,
) -> Result<(), ChartError> {
    let top = PANEL * p as i32 + 8;
    let scale = Scale::of(s, top);
    draw(
        root,
        Text::new(
            s.label.clone(),
            (8, top + 10),
            font(FONT, INK, p == 0, HPos::Left),
        ),
    )?;
    grid(root, xs, &scale)?;
    step_names(root, steps, xs, &scale)?;
    for run in runs(&s.points) {
        band_and_line(root, xs, &scale, &run)?;
    }
    points(root, text, xs, &scale, s)?;
    if s.points.iter().all(Option::is_none) {
        draw(
            root,
            Text::new(
                text.no_data.clone(),
                (LEFT + xs.plot_w / 2, (scale.top + scale.bottom) / 2),
                font(FONT - 1.0, MUTED, false, HPos::Center),
            ),
        )?;
    }
    Ok(())
}

/// Horizontal grid lines every 10 points (20 on a tall range), numbered on the left.
fn grid(root: &Root<'_>, xs: &Steps, scale: &Scale) -> Result<(), ChartError> {
    let mut tick = scale.lo;
    while tick <= scale.hi + 1e-9 {
        let ty = scale.y(tick);
        draw(
            root,
            PathElement::new(
                vec![(LEFT, ty), (LEFT + xs.plot_w, ty)],
                GRID.stroke_width(1),
            ),
        )?;
        draw(
            root,
            Text::new(
                number(tick, 0, false),
                (LEFT - 6, ty),
                font(FONT - 3.0, MUTED, false, HPos::Right),
            ),
        )?;
        tick += if scale.hi - scale.lo > 40.0 {
            20.0
        } else {
            10.0
        };
    }
    Ok(())
}

/// The labelled steps' names below the axis.
fn step_names(
    root: &Root<'_>,
    steps: &[String],
    xs: &Steps,
    scale: &Scale,
) -> Result<(), ChartError> {
    for (i, step) in steps.iter().enumerate() {
        if xs.labelled(i) {
            draw(
                root,
                Text::new(
                    step.clone(),
                    (xs.x(i), scale.bottom + 16),
                    font(FONT - 3.0, MUTED, false, HPos::Center),
                ),
            )?;
        }
    }
    Ok(())
}

/// The runs of consecutive published points, with their steps.
fn runs(points: &[Option<Point>]) -> Vec<Vec<(usize, Point)>> {
    let mut runs: Vec<Vec<(usize, Point)>> = Vec::new();
    let mut run = Vec::new();
    for (i, pt) in points.iter().enumerate() {
        match pt {
            Some(pt) => run.push((i, *pt)),
            None if !run.is_empty() => runs.push(std::mem::take(&mut run)),
            None => {}
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

/// A run's interval band (a bar for a single point) and its line.
fn band_and_line(
    root: &Root<'_>,
    xs: &Steps,
    scale: &Scale,
    run: &[(usize, Point)],
) -> Result<(), ChartError> {
    let (x, y) = (|i: usize| xs.x(i), |v: f64| scale.y(v));
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
    let line: Vec<(i32, i32)> = run.iter().map(|(i, pt)| (x(*i), y(pt.value))).collect();
    draw(root, PathElement::new(line, ACCENT.stroke_width(2)))
}

/// Each published point (hollow when of low reliability) and, on labelled steps, its value
/// (starred when of low reliability).
fn points(
    root: &Root<'_>,
    text: &ChartText,
    xs: &Steps,
    scale: &Scale,
    s: &Series,
) -> Result<(), ChartError> {
    for (i, pt) in s.points.iter().enumerate() {
        let Some(pt) = pt else { continue };
        let (px, py) = (xs.x(i), scale.y(pt.value));
        if pt.mark == Mark::LowReliability {
            draw(root, Circle::new((px, py), 4, WHITE.filled()))?;
            draw(root, Circle::new((px, py), 4, ACCENT.stroke_width(2)))?;
        } else {
            draw(root, Circle::new((px, py), 4, ACCENT.filled()))?;
        }
        if xs.labelled(i) {
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
    Ok(())
}
