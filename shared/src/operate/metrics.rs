//! CloudWatch metrics of every delivery, in Embedded Metric Format: one JSON
//! line on stdout that CloudWatch Logs turns into metrics (Lambda keeps a
//! line that is already JSON as it is, also with its JSON log format). The
//! names, namespace and dimensions are defined here once; the template's
//! alarms and dashboard use exactly these (a test compares them).
//!
//! - `Deliveries` (Count) by `Function` and `Outcome`: every answer, named as
//!   the log line names it (`applied`, `duplicate`, `stale`, `unauthorized`,
//!   `malformed-json`, `invalid-payload`, `storage-unavailable`, ...).
//! - `Quarantined` (Count) by `Function`: deliveries refused and kept.
//! - `Latency` (Milliseconds) by `Function`: the handler's time.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

/// The namespace when `METRICS_NAMESPACE` is not set (the template's default too).
pub const DEFAULT_NAMESPACE: &str = "WebhookReceivers";
pub const DELIVERIES: &str = "Deliveries";
pub const QUARANTINED: &str = "Quarantined";
pub const LATENCY: &str = "Latency";
pub const FUNCTION: &str = "Function";
pub const OUTCOME: &str = "Outcome";

/// Each metric with its unit and dimension set.
pub const METRICS: [(&str, &str, &[&str]); 3] = [
    (DELIVERIES, "Count", &[FUNCTION, OUTCOME]),
    (QUARANTINED, "Count", &[FUNCTION]),
    (LATENCY, "Milliseconds", &[FUNCTION]),
];

/// Where the metrics of a function go.
#[derive(Debug, Clone)]
pub struct Metrics {
    /// The `Function` dimension: the function's crate name.
    function: &'static str,
    sink: Sink,
    /// The `_aws.CloudWatchMetrics` array: the same on every line, so built
    /// once, at start-up.
    directives: String,
}

/// Stdout in Lambda; a buffer in tests.
#[derive(Debug, Clone)]
pub enum Sink {
    Stdout,
    Memory(Arc<Mutex<Vec<u8>>>),
}

impl Metrics {
    pub fn new(namespace: &str, function: &'static str, sink: Sink) -> Self {
        let directives: Vec<serde_json::Value> = METRICS
            .iter()
            .map(|(name, unit, dimensions)| {
                json!({
                    "Namespace": namespace,
                    "Dimensions": [dimensions],
                    "Metrics": [{"Name": name, "Unit": unit}],
                })
            })
            .collect();
        Metrics {
            function,
            sink,
            directives: serde_json::Value::from(directives).to_string(),
        }
    }

    /// One delivery's metrics, as one line.
    pub fn delivery(&self, outcome: &str, quarantined: bool, latency: Duration) {
        let line = self.line(outcome, quarantined, latency);
        match &self.sink {
            // One write, so the line is one log event.
            Sink::Stdout => {
                let _ = std::io::stdout().lock().write_all(line.as_bytes());
            }
            Sink::Memory(buffer) => {
                if let Ok(mut buffer) = buffer.lock() {
                    buffer.extend_from_slice(line.as_bytes());
                }
            }
        }
    }

    /// The EMF document, newline-terminated: the directive, then the values
    /// at the root.
    pub fn line(&self, outcome: &str, quarantined: bool, latency: Duration) -> String {
        let text = |value: &str| serde_json::Value::from(value).to_string();
        format!(
            "{{\"_aws\":{{\"Timestamp\":{},\"CloudWatchMetrics\":{}}},\
             \"{FUNCTION}\":{},\"{OUTCOME}\":{},\"{DELIVERIES}\":1,\"{QUARANTINED}\":{},\"{LATENCY}\":{}}}\n",
            jiff::Timestamp::now().as_millisecond(),
            self.directives,
            text(self.function),
            text(outcome),
            u8::from(quarantined),
            latency.as_secs_f64() * 1000.0,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_delivery_with_every_metric() {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let metrics = Metrics::new("Test", "occ-organization", Sink::Memory(buffer.clone()));
        metrics.delivery("invalid-payload", true, Duration::from_micros(1500));
        let text = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
        assert_eq!(text.matches('\n').count(), 1);
        let line: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(line[OUTCOME], "invalid-payload");
        assert_eq!(line[QUARANTINED], 1);
        assert_eq!(line[LATENCY], 1.5);
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0][1],
            OUTCOME
        );
    }
}
