//! HTTP timing middleware: every request counted and timed by its route
//! pattern (never the raw path, so `/objects/{id}` stays one series), and
//! the two families operators watch by name — feed requests by status
//! (200 vs 304 shows whether readers use conditional GETs) and inbox POSTs
//! by outcome — read off the same responses.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use metrics::{counter, histogram};

/// `axum::middleware::from_fn(track_http)`.
pub async fn track_http(req: Request, next: Next) -> Response {
    super::handle();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().clone();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16();
    histogram!("wirebridge_http_request_duration_seconds", "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    counter!(
        "wirebridge_http_requests_total",
        "route" => route.clone(),
        "method" => method.to_string(),
        "status" => status.to_string()
    )
    .increment(1);
    if route.starts_with("/feeds/") && route != "/feeds/feed.xsl" {
        counter!("wirebridge_feed_requests_total", "status" => status.to_string()).increment(1);
    }
    if method == Method::POST && route.ends_with("inbox") {
        counter!("wirebridge_inbox_requests_total", "outcome" => inbox_outcome(status))
            .increment(1);
    }
    response
}

fn inbox_outcome(status: u16) -> &'static str {
    match status {
        200..=299 => "accepted",
        401 | 403 => "unauthorized",
        400..=499 => "bad_request",
        _ => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::inbox_outcome;

    #[test]
    fn inbox_statuses_become_outcomes_a_dashboard_can_group() {
        assert_eq!(inbox_outcome(202), "accepted");
        assert_eq!(inbox_outcome(401), "unauthorized");
        assert_eq!(inbox_outcome(400), "bad_request");
        assert_eq!(inbox_outcome(413), "bad_request");
        assert_eq!(inbox_outcome(500), "error");
    }
}
