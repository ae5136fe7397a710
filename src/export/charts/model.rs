//! What a chart is given: its words ([`ChartText`]) and its data ([`Bar`], [`Series`] of
//! [`Point`]s, [`Ranked`] agencies), each number with its [`Mark`]; and what it fails with.

/// What a chart failed with (drawing into a string does not fail in practice).
#[derive(Debug, thiserror::Error)]
#[error("chart: {0}")]
pub struct ChartError(pub(super) String);

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
