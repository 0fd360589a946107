//! Ingest figures (printed, not asserted):
//! 1. parse + normalize throughput on a 50-item RSS feed, in entries/s;
//! 2. seconds to poll 1,000 unchanged feeds on loopback (the 304 path).
//!
//! Run: `cargo bench --bench ingest`. Only 127.0.0.1 is contacted.

use std::path::Path;
use std::time::{Duration, Instant};

use axum::extract::Path as UrlPath;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use wirebridge::config::Config;
use wirebridge::domain::{Lang, SourceId};
use wirebridge::ingest::poll::PollOutcome;
use wirebridge::normalize::{parse_feed, FeedContext};
use wirebridge::store::Store;

fn feed(items: usize) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\
         <channel><title>Harbor Ledger</title><link>https://harborledger.example/</link>\
         <description>Bench</description><language>en</language>",
    );
    for i in 0..items {
        out.push_str(&format!(
            "<item><guid isPermaLink=\"false\">bench-{i}</guid><title>Dock report number {i}</title>\
             <link>https://harborledger.example/news/dock-report-{i}?utm_source=rss</link>\
             <dc:creator>Marisol Okafor</dc:creator><category>Labour</category><category>Ports</category>\
             <atom:link rel=\"alternate\" hreflang=\"fr\" href=\"https://wire.example.org/fr/rapport-{i}\"/>\
             <enclosure url=\"https://harborledger.example/img/{i}.jpg\" type=\"image/jpeg\" length=\"1000\"/>\
             <pubDate>Mon, 30 Nov 2026 10:00:00 GMT</pubDate><description>&lt;p&gt;Some {i} workers in \
             Valparaíso met on Monday to discuss the night shift schedule, the pension fund and \
             the new cranes. &lt;a href=\"https://harborledger.example/x\"&gt;More&lt;/a&gt;&lt;/p&gt;\
             &lt;p&gt;Translated by Ana Example&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;\
             </description></item>"
        ));
    }
    out.push_str("</channel></rss>");
    out
}

fn bench_parse() {
    let body = feed(50);
    let source = SourceId::parse("harbor").expect("id");
    let lang = Lang::parse("en").expect("lang");
    let base = url::Url::parse("https://harborledger.example/feed").expect("url");
    let ctx = FeedContext {
        source: &source,
        fallback_language: &lang,
        base_url: &base,
        content_type: None,
    };
    // Warm up, then run for about three seconds.
    for _ in 0..20 {
        parse_feed(body.as_bytes(), &ctx).expect("parses");
    }
    let start = Instant::now();
    let mut entries = 0usize;
    while start.elapsed() < Duration::from_secs(3) {
        entries += parse_feed(body.as_bytes(), &ctx)
            .expect("parses")
            .entries
            .len();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "parse+normalize: {:.0} entries/s ({:.1} feeds of 50 items/s, {} bytes per feed)",
        entries as f64 / secs,
        entries as f64 / 50.0 / secs,
        body.len()
    );
}

async fn answer(UrlPath(n): UrlPath<u32>, headers: HeaderMap) -> impl IntoResponse {
    let etag = format!("\"v-{n}\"");
    if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [("etag", etag)], String::new());
    }
    let body = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Feed {n}</title>\
         <item><guid>f{n}</guid><title>Only item of feed {n}</title>\
         <link>https://harborledger.example/f/{n}</link></item></channel></rss>"
    );
    (StatusCode::OK, [("etag", etag)], body)
}

async fn bench_304(feeds: usize) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = axum::Router::new().route("/feed/{n}", axum::routing::get(answer));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite://{}", dir.path().join("bench.sqlite").display());
    let mut toml = format!(
        "[server]\nbind = \"127.0.0.1:0\"\npublic_url = \"https://wire.example.org\"\n\
         [database]\nurl = \"{db}\"\n[publisher]\nname = \"Bench\"\nlanguages = [\"en\"]\n\
         [fetch]\nallow_private_addresses = true\nmax_concurrent = 32\nmax_per_host = 32\n"
    );
    for n in 0..feeds {
        toml.push_str(&format!(
            "[[sources]]\nid = \"f{n}\"\nname = \"Feed {n}\"\nrole = \"outlet\"\n\
             url = \"http://{addr}/feed/{n}\"\nlanguage = \"en\"\n"
        ));
    }
    let config = Config::parse(Path::new("bench.toml"), &toml).expect("config");
    let store = Store::open(&db).await.expect("store");
    let poller = wirebridge::app::App::build(config, store)
        .expect("services")
        .poller;
    poller.sync_sources().await.expect("sync");

    let prime = Instant::now();
    let first = poller.poll_now(None, &|_| {}).await.expect("poll");
    let prime_secs = prime.elapsed().as_secs_f64();
    assert!(first.iter().all(|r| r.outcome == PollOutcome::Fetched));

    let start = Instant::now();
    let second = poller.poll_now(None, &|_| {}).await.expect("poll");
    let secs = start.elapsed().as_secs_f64();
    let not_modified = second
        .iter()
        .filter(|r| r.outcome == PollOutcome::NotModified)
        .count();
    println!(
        "poll {feeds} feeds: first pass (200, parse, store, link) {prime_secs:.2}s; \
         unchanged pass (304) {secs:.2}s = {:.0} feeds/s ({not_modified} not modified), \
         concurrency 32",
        feeds as f64 / secs
    );
}

fn main() {
    bench_parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(bench_304(1000));
}
