//! What the daemon tells its operator about itself: Prometheus metrics
//! (counted where things happen, rendered by `/metrics`), the recorder of
//! recent inbox rejections (kept in the store for `/admin`), and the HTTP
//! timing middleware.
//!
//! The `metrics` facade keeps one recorder per process. It is installed on
//! first use by any function here, so no count is lost to start-up order and
//! tests that boot the application many times share it: read counters as
//! deltas. This module records; it never decides anything.

mod http;
mod recent;

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{counter, describe_counter, describe_histogram, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

pub use http::track_http;
pub use recent::RejectionLog;

use crate::store::{QueueStats, Store, StoreError};

/// Latency buckets (seconds): a loopback answer to a slow feed.
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// How often histogram samples are folded into their buckets when nobody
/// scrapes: the exporter keeps raw samples until then, so without upkeep an
/// unscraped daemon's memory would grow with every request.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Folds recorded histogram samples into buckets every few seconds until
/// `cancel` fires (a daemon task).
pub async fn run_upkeep_until_stopped(cancel: tokio_util::sync::CancellationToken) {
    let handle = handle();
    let mut tick = tokio::time::interval(UPKEEP_EVERY);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => handle.run_upkeep(),
        }
    }
}

/// The process's recorder, installed the first time anything asks.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        // `set_buckets` fails only on an empty list; ours is a constant.
        let builder = PrometheusBuilder::new()
            .set_buckets(BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            // Another recorder was installed by the embedding program: our
            // page then stays empty rather than stealing its counts.
            tracing::warn!("a metrics recorder was already installed; /metrics will be empty");
        }
        describe();
        handle
    })
}

fn describe() {
    describe_counter!(
        "wirebridge_polls_total",
        "Source polls by source and outcome."
    );
    describe_counter!(
        "wirebridge_entries_new_total",
        "Entries seen for the first time."
    );
    describe_counter!(
        "wirebridge_entries_updated_total",
        "Entries edited at their source."
    );
    describe_counter!(
        "wirebridge_unreadable_items_total",
        "Items of fetched feeds that we could not read at all (counted on every poll that meets them; the poll is failed)."
    );
    describe_histogram!(
        "wirebridge_poll_duration_seconds",
        "Time to poll one source."
    );
    describe_counter!(
        "wirebridge_link_decisions_total",
        "Linking decisions by the rule that decided (new_story when none did)."
    );
    describe_counter!(
        "wirebridge_feed_requests_total",
        "Feed requests by HTTP status."
    );
    describe_counter!("wirebridge_inbox_requests_total", "Inbox POSTs by outcome.");
    describe_counter!(
        "wirebridge_deliveries_total",
        "Delivery attempts by outcome."
    );
    describe_counter!(
        "wirebridge_signed_requests_total",
        "Outgoing federation requests signed, by scheme (rfc9421, cavage) and method."
    );
    describe_counter!(
        "wirebridge_signature_fallbacks_total",
        "Requests refused (401/403) in one signature scheme and sent again in the other."
    );
    describe_counter!(
        "wirebridge_signatures_received_total",
        "Signed requests received (inbox POSTs, signed GETs), by scheme and outcome."
    );
    describe_counter!(
        "wirebridge_http_requests_total",
        "HTTP requests by route and status."
    );
    describe_histogram!(
        "wirebridge_http_request_duration_seconds",
        "HTTP latency by route."
    );
}

/// One finished poll of `source`; `outcome` is `PollOutcome::metric_label`.
pub fn poll_finished(
    source: &str,
    outcome: &'static str,
    new: usize,
    updated: usize,
    elapsed: Duration,
) {
    handle();
    let source = source.to_string();
    counter!("wirebridge_polls_total", "source" => source.clone(), "outcome" => outcome)
        .increment(1);
    counter!("wirebridge_entries_new_total", "source" => source.clone()).increment(new as u64);
    counter!("wirebridge_entries_updated_total", "source" => source.clone())
        .increment(updated as u64);
    histogram!("wirebridge_poll_duration_seconds", "source" => source)
        .record(elapsed.as_secs_f64());
}

/// A fetched feed had `items` items and we could read none: the poll is
/// `failed` (an alert on failed polls catches it) and this counts what was
/// lost, so it is told apart from a network failure.
pub fn items_unreadable(source: &str, items: usize) {
    handle();
    counter!("wirebridge_unreadable_items_total", "source" => source.to_string())
        .increment(items as u64);
}

/// One entry linked; `rule` is `None` when it started a story of its own.
pub fn link_decided(rule: Option<&str>) {
    handle();
    let rule = rule.unwrap_or("new_story").to_string();
    counter!("wirebridge_link_decisions_total", "rule" => rule).increment(1);
}

/// One delivery attempt judged (`Verdict::metric_label`).
pub fn delivery_finished(outcome: &'static str) {
    handle();
    counter!("wirebridge_deliveries_total", "outcome" => outcome).increment(1);
}

/// One outgoing request signed in `scheme` (`Scheme::label`).
pub fn signed_request(scheme: &'static str, method: &str) {
    handle();
    let method = if method.eq_ignore_ascii_case("GET") {
        "GET"
    } else {
        "POST"
    };
    counter!("wirebridge_signed_requests_total", "scheme" => scheme, "method" => method)
        .increment(1);
}

/// A request refused in `from` and sent again in `to`.
pub fn signature_fallback(from: &'static str, to: &'static str) {
    handle();
    counter!("wirebridge_signature_fallbacks_total", "from" => from, "to" => to).increment(1);
}

/// A signed request received: `verified` or `refused`.
pub fn signature_received(scheme: &'static str, outcome: &'static str) {
    handle();
    counter!("wirebridge_signatures_received_total", "scheme" => scheme, "outcome" => outcome)
        .increment(1);
}

/// The text page: every recorded series, then gauges read from this
/// instance's store now. The gauges are written per scrape rather than
/// kept in the process-wide recorder: two stores in one process (tests,
/// an embedding program) must not overwrite each other's numbers.
pub async fn render(store: &Store) -> Result<String, StoreError> {
    let handle = handle();
    let now = chrono::Utc::now();
    let QueueStats { depth, oldest_due } = store.delivery_queue_stats(now).await?;
    let age = oldest_due.map_or(Duration::ZERO, |t| (now - t).to_std().unwrap_or_default());
    let followers: Vec<(String, f64)> = store
        .follower_counts()
        .await?
        .into_iter()
        .map(|(actor, n)| (actor, n as f64))
        .collect();
    let gauges = [
        Gauge::one(
            "wirebridge_stories",
            "Live stories (not merged, not retracted).",
            store.live_story_count().await? as f64,
        ),
        Gauge::one(
            "wirebridge_entries",
            "Entries stored.",
            store.entry_count().await? as f64,
        ),
        Gauge::one(
            "wirebridge_delivery_queue_depth",
            "Deliveries waiting to be sent.",
            depth as f64,
        ),
        Gauge::one(
            "wirebridge_delivery_oldest_due_age_seconds",
            "How long the oldest due delivery has waited since it was queued (0: none due).",
            age.as_secs_f64(),
        ),
        Gauge {
            name: "wirebridge_followers",
            help: "Followers per actor.",
            label: "actor",
            values: followers,
        },
    ];
    handle.run_upkeep();
    let mut text = handle.render();
    for g in &gauges {
        g.write(&mut text);
    }
    Ok(text)
}

/// A gauge read at scrape time, with at most one label.
struct Gauge {
    name: &'static str,
    help: &'static str,
    label: &'static str,
    /// `(label value, value)`; the label value is empty for a lone series.
    values: Vec<(String, f64)>,
}

impl Gauge {
    fn one(name: &'static str, help: &'static str, value: f64) -> Gauge {
        Gauge {
            name,
            help,
            label: "",
            values: vec![(String::new(), value)],
        }
    }

    fn write(&self, out: &mut String) {
        use std::fmt::Write;
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} gauge", self.name);
        for (label, value) in &self.values {
            if self.label.is_empty() {
                let _ = writeln!(out, "{} {value}", self.name);
            } else {
                let _ = writeln!(
                    out,
                    "{}{{{}=\"{}\"}} {value}",
                    self.name,
                    self.label,
                    escape_label(label)
                );
            }
        }
    }
}

/// Label values escape `\`, `"` and newlines (exposition format 0.0.4).
fn escape_label(raw: &str) -> String {
    raw.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_cannot_break_out_of_their_quotes() {
        assert_eq!(escape_label(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape_label("x\ny"), "x\\ny");
    }

    #[test]
    fn a_labelled_gauge_writes_one_line_per_value() {
        let g = Gauge {
            name: "wirebridge_followers",
            help: "Followers per actor.",
            label: "actor",
            values: vec![("wire".into(), 3.0), ("wire_fr".into(), 1.0)],
        };
        let mut out = String::new();
        g.write(&mut out);
        assert_eq!(
            out,
            "# HELP wirebridge_followers Followers per actor.\n# TYPE wirebridge_followers gauge\n\
             wirebridge_followers{actor=\"wire\"} 3\nwirebridge_followers{actor=\"wire_fr\"} 1\n"
        );
    }
}
