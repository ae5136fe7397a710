//! In-process Prometheus metrics: request counts and latency histograms by method, route
//! template and status (recorded by `http::middleware`, labels from `http::metrics`), plus build
//! information and a few counters of costly work (breakdown scans, exports). Rendered by
//! `GET /metrics`.
//!
//! Every label comes from a closed set, so no client can grow the output: the method is one
//! of `http::metrics::METHODS` or `other`, the route the matched route template or `unmatched`
//! (never a path), the status a three-digit number.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Series {
    count: u64,
    sum_secs: f64,
    /// Non-cumulative counts per bucket; the last slot is +Inf.
    buckets: [u64; BUCKETS.len() + 1],
}

/// The registry. Cheap to update from every request.
pub struct Metrics {
    start_time: f64,
    series: Mutex<RequestSeries>,
    /// Scans of the responses for breakdowns by mode and procedure field.
    breakdown_scans: AtomicU64,
    /// Exports computed (identical concurrent exports are computed once).
    exports_computed: AtomicU64,
    /// Exports refused because `limits.export_concurrency` were in progress.
    exports_busy: AtomicU64,
    /// Exports cut off because their client took nothing for `limits.export_write_timeout_secs`.
    exports_cut: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            start_time: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or_default(),
            series: Mutex::new(BTreeMap::new()),
            breakdown_scans: AtomicU64::new(0),
            exports_computed: AtomicU64::new(0),
            exports_busy: AtomicU64::new(0),
            exports_cut: AtomicU64::new(0),
        }
    }
}

impl Metrics {
    /// Counts a scan of the responses for breakdowns.
    pub fn breakdown_scanned(&self) {
        self.breakdown_scans.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an export computed.
    pub fn export_computed(&self) {
        self.exports_computed.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an export refused as busy.
    pub fn export_busy(&self) {
        self.exports_busy.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an export cut off for a client that stopped reading.
    pub fn export_cut(&self) {
        self.exports_cut.fetch_add(1, Ordering::Relaxed);
    }

    /// Records one finished request. `method` is an `http::metrics::method_label`, `route` a
    /// template (or `http::metrics::UNMATCHED`), never a concrete path.
    pub fn observe(&self, method: &'static str, route: &str, status: u16, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let slot = BUCKETS
            .iter()
            .position(|&le| secs <= le)
            .unwrap_or(BUCKETS.len());
        let Ok(mut map) = self.series.lock() else {
            return;
        };
        let s = map.entry((method, route.to_owned(), status)).or_default();
        s.count += 1;
        s.sum_secs += secs;
        s.buckets[slot] += 1;
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_process(&mut out);
        self.render_counters(&mut out);
        let Ok(map) = self.series.lock() else {
            return out;
        };
        render_request_counts(&mut out, &map);
        render_request_durations(&mut out, &map);
        out
    }

    /// The build's version and the process's start time.
    fn render_process(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP sipas_build_info Build information.");
        let _ = writeln!(out, "# TYPE sipas_build_info gauge");
        let _ = writeln!(
            out,
            "sipas_build_info{{version=\"{}\",rustc=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION"),
            option_env!("SIPAS_RUSTC_VERSION").unwrap_or("unknown")
        );
        let _ = writeln!(
            out,
            "# HELP process_start_time_seconds Start time of the process since the Unix epoch."
        );
        let _ = writeln!(out, "# TYPE process_start_time_seconds gauge");
        let _ = writeln!(out, "process_start_time_seconds {}", self.start_time);
    }

    /// The counters of costly work: breakdown scans, exports computed, refused and cut off.
    fn render_counters(&self, out: &mut String) {
        for (name, help, value) in [
            (
                "sipas_breakdown_scans_total",
                "Scans of the responses for breakdowns by mode and procedure field (identical \
                 concurrent requests share one).",
                &self.breakdown_scans,
            ),
            (
                "sipas_exports_computed_total",
                "Exports computed (identical concurrent exports share one).",
                &self.exports_computed,
            ),
            (
                "sipas_exports_busy_total",
                "Exports refused with 503 export_busy: limits.export_concurrency in progress.",
                &self.exports_busy,
            ),
            (
                "sipas_exports_cut_total",
                "Exports cut off: the client took nothing for limits.export_write_timeout_secs.",
                &self.exports_cut,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
        }
    }
}

/// The requests answered, by method, route and status.
type RequestSeries = BTreeMap<(&'static str, String, u16), Series>;

/// `http_requests_total`: the requests answered, by method, route and status.
fn render_request_counts(out: &mut String, map: &RequestSeries) {
    let _ = writeln!(out, "# HELP http_requests_total HTTP requests answered.");
    let _ = writeln!(out, "# TYPE http_requests_total counter");
    for ((method, route, status), s) in map.iter() {
        let _ = writeln!(
            out,
            "http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {}",
            escape(route),
            s.count
        );
    }
}

/// `http_request_duration_seconds`: the histogram of answer times, by method, route and status.
fn render_request_durations(out: &mut String, map: &RequestSeries) {
    let _ = writeln!(
        out,
        "# HELP http_request_duration_seconds Time to answer HTTP requests."
    );
    let _ = writeln!(out, "# TYPE http_request_duration_seconds histogram");
    for ((method, route, status), s) in map.iter() {
        let labels = format!(
            "method=\"{method}\",route=\"{}\",status=\"{status}\"",
            escape(route)
        );
        let mut cumulative = 0;
        for (i, le) in BUCKETS.iter().enumerate() {
            cumulative += s.buckets[i];
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
            s.count
        );
        let _ = writeln!(
            out,
            "http_request_duration_seconds_sum{{{labels}}} {}",
            s.sum_secs
        );
        let _ = writeln!(
            out,
            "http_request_duration_seconds_count{{{labels}}} {}",
            s.count
        );
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative_and_counts_match() {
        let m = Metrics::default();
        m.observe("GET", "/health", 200, Duration::from_micros(100));
        m.observe("GET", "/health", 200, Duration::from_millis(30));
        m.observe("GET", "/health", 200, Duration::from_secs(20));
        let text = m.render();
        assert!(
            text.contains("http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 3")
        );
        assert!(text.contains("le=\"0.0005\"} 1"));
        assert!(text.contains("le=\"0.05\"} 2"));
        assert!(text.contains("le=\"10\"} 2"));
        assert!(text.contains("le=\"+Inf\"} 3"));
        assert!(text.contains("sipas_build_info{"));
    }
}
