//! The pieces the report's charts share: fills, error bars read from hidden cells, and a
//! percentage axis that neither exaggerates nor flattens.

use rust_xlsxwriter::{
    ChartAxis, ChartErrorBars, ChartErrorBarsType, ChartFormat, ChartLine, ChartRange,
    ChartSolidFill, ColNum, RowNum,
};

use crate::domain::results::IntervalView;

/// A chart element's formatting: a solid fill of `color`.
pub(super) fn fill(color: &str) -> ChartFormat {
    let mut format = ChartFormat::new();
    format.set_solid_fill(ChartSolidFill::new().set_color(color));
    format
}

/// A value and its interval's bounds, the numbers a chart must show.
pub(super) fn figure_bounds(value: Option<f64>, ci: Option<&IntervalView>) -> Vec<f64> {
    value
        .into_iter()
        .chain(ci.into_iter().flat_map(|c| [c.low, c.high]))
        .collect()
}

/// A percentage axis on tens of percent around `values` (percent), at least 20 points tall:
/// an automatic one zooms into a few points and makes every wobble look dramatic, a 0–100 %
/// one flattens everything.
pub(super) fn pct_axis(axis: &mut ChartAxis, values: impl Iterator<Item = f64>) {
    axis.set_num_format("0%");
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !(lo.is_finite() && hi.is_finite()) {
        return;
    }
    let mut min = ((lo / 10.0).floor() * 10.0).clamp(0.0, 100.0);
    let mut max = ((hi / 10.0).ceil() * 10.0).clamp(0.0, 100.0);
    if max - min < 20.0 {
        min = (min - 10.0).max(0.0);
        max = (max + 10.0).min(100.0);
    }
    axis.set_min(min / 100.0)
        .set_max(max / 100.0)
        .set_major_unit(0.1);
}

/// Error bars whose lengths are the cells of columns `col` (below) and `col + 1` (above).
pub(super) fn custom_error_bars(
    sheet: &str,
    first: RowNum,
    last: RowNum,
    col: ColNum,
) -> ChartErrorBars {
    let mut bars = ChartErrorBars::new();
    bars.set_type(ChartErrorBarsType::Custom(
        ChartRange::new_from_range(sheet, first, col + 1, last, col + 1),
        ChartRange::new_from_range(sheet, first, col, last, col),
    ))
    .set_format(ChartLine::new().set_color("#404040"));
    bars
}
