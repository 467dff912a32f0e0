//! Prometheus metrics: counters per canvas and latency histograms, written
//! in the text exposition format. Label values are bounded: canvas names are
//! the server's canvases, handler keys come from code (every 404 is the one
//! key `404`), engines and effect functions are fixed lists.

use dashmap::DashMap;
use std::fmt::Write as _;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The canvas label of requests that named no canvas of this server.
pub const NO_CANVAS: &str = "_none";

/// The handler label of every request no handler served: 404 paths are
/// chosen by clients, so they would make series without end.
pub const NOT_FOUND: &str = "404";

/// Upper bounds of the histograms' buckets, in seconds.
const BUCKETS: [f64; 14] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// A counter per canvas.
#[derive(Debug, Default)]
pub struct CanvasCounter(DashMap<String, AtomicU64>);

impl CanvasCounter {
    pub fn count(&self, canvas: &str) {
        if let Some(counter) = self.0.get(canvas) {
            counter.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.0.entry(canvas.to_string()).or_default().fetch_add(1, Ordering::Relaxed);
    }

    /// The count of one canvas.
    pub fn get(&self, canvas: &str) -> u64 {
        self.0.get(canvas).map_or(0, |counter| counter.load(Ordering::Relaxed))
    }

    /// Writes the counter, one line per canvas in name order.
    pub fn write(&self, text: &mut String, name: &str, help: &str) {
        header(text, name, "counter", help);
        let mut rows: Vec<(String, u64)> =
            self.0.iter().map(|entry| (entry.key().clone(), entry.value().load(Ordering::Relaxed))).collect();
        rows.sort();
        for (canvas, value) in rows {
            let _ = writeln!(text, "{name}{{canvas=\"{}\"}} {value}", escape(&canvas));
        }
    }
}

/// One histogram's series for one set of label values.
#[derive(Debug, Default)]
struct Series {
    /// Observations at most each bound (not cumulative; summed when written).
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

/// A histogram of durations with fixed label names.
#[derive(Debug)]
pub struct Histogram {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    series: DashMap<Vec<String>, Series>,
}

impl Histogram {
    fn new(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Histogram {
        Histogram { name, help, labels, series: DashMap::new() }
    }

    /// Records one duration; `values` go with the label names, in order.
    pub fn observe(&self, values: &[&str], took: Duration) {
        let key: Vec<String> = values.iter().map(|value| value.to_string()).collect();
        // A read lock for series seen before; the write lock only for a new one.
        let series = match self.series.get(&key) {
            Some(series) => series,
            None => self.series.entry(key).or_default().downgrade(),
        };
        let seconds = took.as_secs_f64();
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            series.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        }
        series.count.fetch_add(1, Ordering::Relaxed);
        series.sum_nanos.fetch_add(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// The observations of one set of label values.
    pub fn count(&self, values: &[&str]) -> u64 {
        let key: Vec<String> = values.iter().map(|value| value.to_string()).collect();
        self.series.get(&key).map_or(0, |series| series.count.load(Ordering::Relaxed))
    }

    fn write(&self, text: &mut String) {
        header(text, self.name, "histogram", self.help);
        let mut keys: Vec<Vec<String>> = self.series.iter().map(|entry| entry.key().clone()).collect();
        keys.sort();
        for key in keys {
            let Some(series) = self.series.get(&key) else { continue };
            let labels: Vec<String> =
                self.labels.iter().zip(&key).map(|(name, value)| format!("{name}=\"{}\"", escape(value))).collect();
            let labels = labels.join(",");
            let mut cumulative = 0;
            for (bound, bucket) in BUCKETS.iter().zip(&series.buckets) {
                cumulative += bucket.load(Ordering::Relaxed);
                let _ = writeln!(text, "{}_bucket{{{labels},le=\"{bound}\"}} {cumulative}", self.name);
            }
            let count = series.count.load(Ordering::Relaxed);
            let sum = series.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
            let _ = writeln!(text, "{}_bucket{{{labels},le=\"+Inf\"}} {count}", self.name);
            let _ = writeln!(text, "{}_sum{{{labels}}} {sum}", self.name);
            let _ = writeln!(text, "{}_count{{{labels}}} {count}", self.name);
        }
    }
}

/// The process's latency histograms. Process-wide, as runs and effects
/// happen below the server (in the engine and the effects) and a process
/// serves one server.
#[derive(Debug)]
pub struct Histograms {
    pub requests: Histogram,
    pub runs: Histogram,
    pub effects: Histogram,
}

static HISTOGRAMS: LazyLock<Histograms> = LazyLock::new(|| Histograms {
    requests: Histogram::new(
        "gloam_request_duration_seconds",
        "Time from a request's arrival to its response, per canvas and handler key (404: every request no handler served).",
        &["canvas", "handler"],
    ),
    runs: Histogram::new(
        "gloam_run_duration_seconds",
        "Runs of handlers, workers and crons, per engine that ran them.",
        &["engine"],
    ),
    effects: Histogram::new("gloam_effect_duration_seconds", "Effect calls, per function.", &["function"]),
});

pub fn histograms() -> &'static Histograms {
    &HISTOGRAMS
}

impl Histograms {
    pub fn write(&self, text: &mut String) {
        self.requests.write(text);
        self.runs.write(text);
        self.effects.write(text);
    }
}

/// `# HELP` and `# TYPE` of a metric.
pub fn header(text: &mut String, name: &str, kind: &str, help: &str) {
    let _ = write!(text, "# HELP {name} {help}\n# TYPE {name} {kind}\n");
}

/// A label value as the text format writes it.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_writes_cumulative_buckets_with_escaped_labels() {
        let histogram = Histogram::new("h_seconds", "Help.", &["handler"]);
        histogram.observe(&["GET /a\"b"], Duration::from_millis(2));
        histogram.observe(&["GET /a\"b"], Duration::from_secs(60));
        let mut text = String::new();
        histogram.write(&mut text);
        assert!(text.starts_with("# HELP h_seconds Help.\n# TYPE h_seconds histogram\n"), "{text}");
        assert!(text.contains("h_seconds_bucket{handler=\"GET /a\\\"b\",le=\"0.001\"} 0\n"), "{text}");
        assert!(text.contains("h_seconds_bucket{handler=\"GET /a\\\"b\",le=\"0.0025\"} 1\n"), "{text}");
        assert!(text.contains("h_seconds_bucket{handler=\"GET /a\\\"b\",le=\"10\"} 1\n"), "{text}");
        assert!(text.contains("h_seconds_bucket{handler=\"GET /a\\\"b\",le=\"+Inf\"} 2\n"), "{text}");
        assert!(text.contains("h_seconds_count{handler=\"GET /a\\\"b\"} 2\n"), "{text}");
        assert!(text.contains("h_seconds_sum{handler=\"GET /a\\\"b\"} 60.002\n"), "{text}");
    }

    #[test]
    fn a_counter_per_canvas_writes_a_line_per_canvas() {
        let counter = CanvasCounter::default();
        counter.count("b");
        counter.count("a");
        counter.count("b");
        let mut text = String::new();
        counter.write(&mut text, "c_total", "Help.");
        assert_eq!(
            text,
            "# HELP c_total Help.\n# TYPE c_total counter\nc_total{canvas=\"a\"} 1\nc_total{canvas=\"b\"} 2\n"
        );
    }
}
