//! HTTP timing middleware: every request counted and timed by its route
//! pattern (never the raw path, so `/objects/{id}` stays one series), and
//! the two families operators watch by name — feed requests by status
//! (200 vs 304 shows whether readers use conditional GETs) and inbox POSTs
//! by outcome — read off the same responses.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use metrics::{counter, histogram, Counter, Histogram};

/// The metric handles one (route, method, status) records into.
struct Handles {
    duration: Histogram,
    requests: Counter,
    /// Feed requests by status, or inbox POSTs by outcome, when it is one.
    family: Option<Counter>,
}

type HandleKey = (&'static str, &'static str, u16);

/// `axum::middleware::from_fn(track_http)`.
///
/// Label values are `&'static str` (interned route patterns, a fixed list
/// of methods and statuses) and the handles for each combination are
/// registered once, so counting a request is one map lookup and a few
/// atomic adds: the feed's 304 path is measured against nginx
/// (`benches/feeds.sh`).
pub async fn track_http(req: Request, next: Next) -> Response {
    super::handle();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| intern(p.as_str()));
    let method = method_label(req.method());
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16();
    let elapsed = started.elapsed().as_secs_f64();
    static HANDLES: OnceLock<RwLock<HashMap<HandleKey, Arc<Handles>>>> = OnceLock::new();
    let map = HANDLES.get_or_init(Default::default);
    let key = (route, method, status);
    let found = map
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key)
        .cloned();
    let handles = match found {
        Some(h) => h,
        None => {
            let h = Arc::new(register(route, method, status));
            map.write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key, Arc::clone(&h));
            h
        }
    };
    handles.duration.record(elapsed);
    handles.requests.increment(1);
    if let Some(family) = &handles.family {
        family.increment(1);
    }
    response
}

fn register(route: &'static str, method: &'static str, status: u16) -> Handles {
    let family = if route.starts_with("/feeds/") && route != "/feeds/feed.xsl" {
        Some(counter!("wirebridge_feed_requests_total", "status" => status_label(status)))
    } else if method == "POST" && route.ends_with("inbox") {
        Some(counter!("wirebridge_inbox_requests_total", "outcome" => inbox_outcome(status)))
    } else {
        None
    };
    Handles {
        duration: histogram!("wirebridge_http_request_duration_seconds", "route" => route),
        requests: counter!(
            "wirebridge_http_requests_total",
            "route" => route,
            "method" => method,
            "status" => status_label(status)
        ),
        family,
    }
}

/// Route patterns are few and fixed (the router's), so each is leaked once
/// and shared by every request after.
fn intern(route: &str) -> &'static str {
    static ROUTES: OnceLock<RwLock<HashSet<&'static str>>> = OnceLock::new();
    let routes = ROUTES.get_or_init(Default::default);
    if let Some(r) = routes.read().unwrap_or_else(|e| e.into_inner()).get(route) {
        return r;
    }
    let mut w = routes.write().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = w.get(route) {
        return r;
    }
    let leaked: &'static str = Box::leak(route.to_string().into_boxed_str());
    w.insert(leaked);
    leaked
}

fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

fn status_label(status: u16) -> &'static str {
    match status {
        200 => "200",
        201 => "201",
        202 => "202",
        204 => "204",
        301 => "301",
        302 => "302",
        303 => "303",
        304 => "304",
        307 => "307",
        308 => "308",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        405 => "405",
        406 => "406",
        410 => "410",
        413 => "413",
        415 => "415",
        429 => "429",
        500 => "500",
        502 => "502",
        503 => "503",
        s if s < 200 => "1xx",
        s if s < 300 => "2xx",
        s if s < 400 => "3xx",
        s if s < 500 => "4xx",
        _ => "5xx",
    }
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
