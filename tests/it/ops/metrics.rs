//! `/metrics` read with a Prometheus text-format parser: the counters move
//! by exactly what the test did. The recorder is process-wide and other
//! tests run alongside, so per-source series use a source id of their own
//! and shared series are read as deltas.

// In tests a panic is the failure report.
#![allow(clippy::unwrap_used)]

use prometheus_parse::{Scrape, Value};

use super::{app, rss, unique, App};
use crate::support::{FeedServer, Reply, Src};

pub(super) async fn scrape(app: &App) -> Scrape {
    let resp = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = resp.text().await.unwrap();
    Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("valid exposition format")
}

/// The value of the series `name` whose labels include all of `labels`
/// (0 when the series does not exist yet).
pub(super) fn value(s: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    s.samples
        .iter()
        .filter(|x| x.metric == name)
        .filter(|x| labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v)))
        .map(|x| match &x.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            Value::Histogram(h) => h.last().map_or(0.0, |b| b.count),
            Value::Summary(_) => 0.0,
        })
        .sum()
}

#[tokio::test]
async fn a_poll_moves_the_poll_and_entry_counters_and_gauges_match_the_store() {
    let feeds = FeedServer::start().await;
    feeds.set("/notes.xml", Reply::ok("application/rss+xml", rss(3)));
    let id = unique("coastal");
    let url = feeds.url("/notes.xml");
    let app = app(
        &[Src {
            id: &id,
            url: &url,
            language: "en",
            role: "outlet",
        }],
        "",
    )
    .await;
    let before = scrape(&app).await;
    let links_before = value(
        &before,
        "wirebridge_link_decisions_total",
        &[("rule", "new_story")],
    );

    let source = crate::support::source_id(&id);
    app.poller.poll_now(Some(&source), &|_| {}).await.unwrap();
    let after = scrape(&app).await;

    let polls = &[("source", id.as_str()), ("outcome", "fetched")];
    assert_eq!(value(&before, "wirebridge_polls_total", polls), 0.0);
    assert_eq!(value(&after, "wirebridge_polls_total", polls), 1.0);
    let src = &[("source", id.as_str())];
    assert_eq!(value(&after, "wirebridge_entries_new_total", src), 3.0);
    assert_eq!(value(&after, "wirebridge_entries_updated_total", src), 0.0);
    assert_eq!(
        value(&after, "wirebridge_poll_duration_seconds", src),
        1.0,
        "one poll timed in the histogram"
    );
    assert!(
        value(
            &after,
            "wirebridge_link_decisions_total",
            &[("rule", "new_story")]
        ) >= links_before + 3.0,
        "three unrelated reports start three stories"
    );
    // Gauges are this store's, read at scrape time.
    assert_eq!(value(&after, "wirebridge_stories", &[]), 3.0);
    assert_eq!(value(&after, "wirebridge_entries", &[]), 3.0);
    assert_eq!(value(&after, "wirebridge_delivery_queue_depth", &[]), 0.0);

    // The same feed again answers with an identical body: counted apart.
    app.poller.poll_now(Some(&source), &|_| {}).await.unwrap();
    let again = scrape(&app).await;
    assert_eq!(value(&again, "wirebridge_polls_total", polls), 1.0);
    let unchanged = &[("source", id.as_str()), ("outcome", "unchanged")];
    assert_eq!(value(&again, "wirebridge_polls_total", unchanged), 1.0);
    assert_eq!(value(&again, "wirebridge_entries_new_total", src), 3.0);
}

#[tokio::test]
async fn feed_requests_are_counted_by_status_and_http_requests_are_timed_by_route() {
    let app = app(&[], "").await;
    let before = scrape(&app).await;
    let first = app
        .client
        .get(app.url("/feeds/all.atom"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let second = app
        .client
        .get(app.url("/feeds/all.atom"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 304);
    let after = scrape(&app).await;
    for status in ["200", "304"] {
        let s = &[("status", status)];
        assert!(
            value(&after, "wirebridge_feed_requests_total", s)
                >= value(&before, "wirebridge_feed_requests_total", s) + 1.0,
            "feed requests with status {status}"
        );
    }
    // Every route is timed by its pattern. (prometheus-parse drops
    // series whose label values hold braces, such as `/feeds/{file}`,
    // so the check reads a route without parameters.)
    for _ in 0..2 {
        let r = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    let timed = scrape(&app).await;
    let route = &[("route", "/healthz")];
    assert!(
        value(&timed, "wirebridge_http_request_duration_seconds", route)
            >= value(&after, "wirebridge_http_request_duration_seconds", route) + 2.0
    );
    let ok = &[("route", "/healthz"), ("method", "GET"), ("status", "200")];
    assert!(
        value(&timed, "wirebridge_http_requests_total", ok)
            >= value(&after, "wirebridge_http_requests_total", ok) + 2.0
    );
}
