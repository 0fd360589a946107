//! A feed URL answers a browser with a page and a feed reader with the
//! feed, by the `Accept` each really sends:
//! - Chromium: what the headless Chromium these tests run sent (156);
//! - Firefox: its navigation value since 128, and from 92 to 127 (MDN's
//!   list of default Accept values);
//! - feedparser: `feedparser.http.ACCEPT_HEADER` (6.0), and feedparser
//!   itself fetching the URL;
//! - newsboat: it sets no Accept, so libcurl's default `*/*`;
//! - Miniflux: `defaultAcceptHeader` in `internal/reader/fetcher/request_builder.go`.

use std::io::Read;
use std::time::Duration;

use super::{multilingual_story, world, World};

const CHROMIUM: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,image/jxl,\
image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";
const FIREFOX: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const FIREFOX_92_TO_127: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
const FEEDPARSER: &str = "application/atom+xml,application/rdf+xml,application/rss+xml,\
application/x-netcdf,application/xml;q=0.9,text/xml;q=0.2,*/*;q=0.1";
const NEWSBOAT: &str = "*/*";
const MINIFLUX: &str = "application/xml,application/atom+xml,application/rss+xml,\
application/rdf+xml,application/feed+json,text/html,*/*;q=0.9";

const BROWSERS: [(&str, &str); 3] = [
    ("Chromium", CHROMIUM),
    ("Firefox", FIREFOX),
    ("Firefox 92-127", FIREFOX_92_TO_127),
];
const READERS: [(&str, &str); 3] = [
    ("feedparser", FEEDPARSER),
    ("newsboat", NEWSBOAT),
    ("Miniflux", MINIFLUX),
];

const PATHS: [&str; 3] = ["/feeds/fr.atom", "/feeds/all.rss", "/feeds/ar.json"];

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// The feed as a client without an `Accept` gets it: body and ETag.
async fn plain(w: &World, path: &str) -> (Vec<u8>, String) {
    let r = w.get(path, &[]).await;
    assert_eq!(r.status(), 200, "{path}");
    let etag = header(&r, "etag");
    (r.bytes().await.unwrap().to_vec(), etag)
}

#[tokio::test]
async fn browsers_get_a_page_of_the_feed_and_readers_get_the_same_feed_bytes_as_before() {
    let w = world("").await;
    multilingual_story(&w, 1).await;
    for path in PATHS {
        let (feed, feed_etag) = plain(&w, path).await;
        for (reader, accept) in READERS {
            let r = w.get(path, &[("accept", accept)]).await;
            assert_eq!(r.status(), 200, "{reader} {path}");
            assert_eq!(header(&r, "vary"), "Accept-Encoding, Accept");
            assert_eq!(header(&r, "etag"), feed_etag, "{reader} {path}");
            assert!(
                !header(&r, "content-type").starts_with("text/html"),
                "{reader} {path}"
            );
            assert!(header(&r, "link").contains("rel=\"self\""), "{reader}");
            assert_eq!(
                r.bytes().await.unwrap(),
                feed,
                "{reader} {path}: the feed's bytes"
            );
        }
        for (browser, accept) in BROWSERS {
            let r = w.get(path, &[("accept", accept)]).await;
            assert_eq!(r.status(), 200, "{browser} {path}");
            assert_eq!(header(&r, "content-type"), "text/html; charset=utf-8");
            assert_eq!(header(&r, "vary"), "Accept-Encoding, Accept");
            let etag = header(&r, "etag");
            assert!(etag.starts_with('"') && etag != feed_etag, "{etag}");
            let page = r.text().await.unwrap();
            assert!(page.starts_with("<!DOCTYPE html>"), "{browser} {path}");
            let address = format!("value=\"https://wire.example.org{path}\"");
            assert!(page.contains(&address), "the subscribe address: {page}");
        }
    }
    let fr = w.get("/feeds/fr.atom", &[("accept", CHROMIUM)]).await;
    let fr = fr.text().await.unwrap();
    assert!(
        fr.contains("<h1 id=\"feed-title\">The Wire — Français</h1>"),
        "{fr}"
    );
    assert!(fr.contains("Les dockers votent la grève, partie 1"), "{fr}");
    for name in ["English", "Português (Brasil)", "العربية"] {
        assert!(fr.contains(name), "the other versions: {name}: {fr}");
    }
}

#[tokio::test]
async fn each_representation_answers_304_only_to_its_own_etag() {
    let w = world("").await;
    multilingual_story(&w, 1).await;
    let path = "/feeds/en.rss";
    let (_, feed_etag) = plain(&w, path).await;
    let page = w.get(path, &[("accept", FIREFOX)]).await;
    let page_etag = header(&page, "etag");
    let page_body = page.bytes().await.unwrap();

    let r = w
        .get(path, &[("accept", FIREFOX), ("if-none-match", &page_etag)])
        .await;
    assert_eq!(r.status(), 304, "the browser's page is still fresh");
    assert_eq!(header(&r, "etag"), page_etag);
    assert_eq!(header(&r, "vary"), "Accept-Encoding, Accept");
    let r = w
        .get(path, &[("accept", FIREFOX), ("if-none-match", &feed_etag)])
        .await;
    assert_eq!(r.status(), 200, "the feed's tag does not validate the page");
    assert_eq!(header(&r, "content-type"), "text/html; charset=utf-8");

    let r = w
        .get(path, &[("accept", MINIFLUX), ("if-none-match", &page_etag)])
        .await;
    assert_eq!(r.status(), 200, "the page's tag does not validate the feed");
    assert_eq!(header(&r, "etag"), feed_etag);
    let r = w
        .get(path, &[("accept", MINIFLUX), ("if-none-match", &feed_etag)])
        .await;
    assert_eq!(r.status(), 304);
    assert_eq!(header(&r, "etag"), feed_etag);

    // Compressed like the feed, with a tag of its own that validates too.
    let gz = w
        .get(path, &[("accept", CHROMIUM), ("accept-encoding", "gzip")])
        .await;
    assert_eq!(header(&gz, "content-encoding"), "gzip");
    let gz_etag = header(&gz, "etag");
    assert_ne!(gz_etag, page_etag);
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&gz.bytes().await.unwrap()[..])
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, page_body);
    let r = w
        .get(
            path,
            &[
                ("accept", CHROMIUM),
                ("accept-encoding", "gzip"),
                ("if-none-match", &gz_etag),
            ],
        )
        .await;
    assert_eq!(r.status(), 304);
}

#[tokio::test]
async fn feedparser_fetching_the_address_itself_reads_the_feed() {
    let w = world("").await;
    multilingual_story(&w, 1).await;
    for (path, version) in [
        ("/feeds/pt-br.atom", "atom10"),
        ("/feeds/pt-br.rss", "rss20"),
    ] {
        // Async: the server answering feedparser runs on this test's runtime.
        let run = tokio::process::Command::new("python3")
            .args([
                "-c",
                "import sys, feedparser; d = feedparser.parse(sys.argv[1]); \
                 print(d.version, int(bool(d.bozo)), len(d.entries), d.entries[0].title)",
            ])
            .arg(w.url(path))
            .env("no_proxy", "*")
            .kill_on_drop(true)
            .output();
        let out = tokio::time::timeout(Duration::from_secs(60), run)
            .await
            .expect("feedparser finished within 60 s")
            .expect("python3 with feedparser (CI installs it: see .ci/run)");
        let seen = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            seen.trim(),
            format!("{version} 0 1 Estivadores entram em greve, parte 1"),
            "{path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
