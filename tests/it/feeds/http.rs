//! What a feed reader's HTTP stack relies on: 304s, HEAD, compression,
//! content types, case-insensitive languages and a helpful 404.

use std::io::Read;

use super::{multilingual_story, world};

#[tokio::test]
async fn a_reader_that_sends_the_etag_back_gets_a_304_in_every_form_the_header_allows() {
    let w = world("").await;
    multilingual_story(&w, 1).await;
    let first = w.get("/feeds/en.atom", &[]).await;
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    assert!(
        etag.starts_with('"') && !etag.starts_with("W/"),
        "strong: {etag}"
    );
    let last_modified = first.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(first.headers()["cache-control"], "public, max-age=300");

    let weak = format!("W/{etag}");
    let list = format!("\"nope\", {etag}, \"other\"");
    for inm in [etag.as_str(), weak.as_str(), list.as_str(), "*"] {
        let r = w.get("/feeds/en.atom", &[("if-none-match", inm)]).await;
        assert_eq!(r.status(), 304, "If-None-Match: {inm}");
        assert_eq!(r.headers()["etag"].to_str().unwrap(), etag);
        assert!(r.bytes().await.unwrap().is_empty());
    }
    let r = w
        .get("/feeds/en.atom", &[("if-none-match", "\"stale\"")])
        .await;
    assert_eq!(r.status(), 200, "a different tag gets the feed");

    let r = w
        .get("/feeds/en.atom", &[("if-modified-since", &last_modified)])
        .await;
    assert_eq!(r.status(), 304, "If-Modified-Since: {last_modified}");
    let r = w
        .get(
            "/feeds/en.atom",
            &[("if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT")],
        )
        .await;
    assert_eq!(r.status(), 200, "older than the feed");
    let r = w
        .get(
            "/feeds/en.atom",
            &[
                ("if-none-match", "\"stale\""),
                ("if-modified-since", &last_modified),
            ],
        )
        .await;
    assert_eq!(r.status(), 200, "If-None-Match wins over If-Modified-Since");
}

#[tokio::test]
async fn head_answers_the_headers_of_get_without_a_body() {
    let w = world("").await;
    multilingual_story(&w, 1).await;
    let get = w.get("/feeds/fr.rss", &[]).await;
    let body_len = get.bytes().await.unwrap().len();
    let head = w.client.head(w.url("/feeds/fr.rss")).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers()["content-type"],
        "application/rss+xml; charset=utf-8"
    );
    assert_eq!(
        head.headers()["content-length"].to_str().unwrap(),
        body_len.to_string()
    );
    assert!(head.headers().contains_key("etag"));
    assert!(head.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn gzip_and_brotli_are_negotiated_and_decompress_to_the_same_feed() {
    let w = world("").await;
    multilingual_story(&w, 1).await;
    let plain = w.get("/feeds/all.json", &[]).await;
    assert_eq!(
        plain.headers()["content-type"],
        "application/feed+json; charset=utf-8"
    );
    assert_eq!(plain.headers()["vary"], "Accept-Encoding, Accept");
    assert!(!plain.headers().contains_key("content-encoding"));
    let plain = plain.bytes().await.unwrap().to_vec();

    let gz = w
        .get("/feeds/all.json", &[("accept-encoding", "gzip, deflate")])
        .await;
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    assert_eq!(gz.headers()["vary"], "Accept-Encoding, Accept");
    let gz_etag = gz.headers()["etag"].to_str().unwrap().to_string();
    let gz = gz.bytes().await.unwrap();
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, plain);

    let br = w
        .get("/feeds/all.json", &[("accept-encoding", "gzip;q=0.8, br")])
        .await;
    assert_eq!(br.headers()["content-encoding"], "br");
    let br = br.bytes().await.unwrap();
    assert!(br.len() < plain.len() / 2, "brotli actually compresses");
    let mut out = Vec::new();
    brotli::Decompressor::new(&br[..], 4096)
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, plain);

    let r = w
        .get(
            "/feeds/all.json",
            &[("accept-encoding", "br;q=0, gzip;q=0")],
        )
        .await;
    assert!(!r.headers().contains_key("content-encoding"), "identity");

    // The compressed variant's tag validates too.
    let r = w
        .get(
            "/feeds/all.json",
            &[("accept-encoding", "gzip"), ("if-none-match", &gz_etag)],
        )
        .await;
    assert_eq!(r.status(), 304);
}

#[tokio::test]
async fn a_language_matches_in_any_case_and_an_unknown_one_lists_the_feeds() {
    let w = world("").await;
    multilingual_story(&w, 1).await;
    for path in [
        "/feeds/pt-br.atom",
        "/feeds/PT-BR.atom",
        "/feeds/pt-BR.atom",
    ] {
        let r = w.get(path, &[]).await;
        assert_eq!(r.status(), 200, "{path}");
        let body = r.text().await.unwrap();
        assert!(body.contains("Estivadores entram em greve"), "{path}");
    }
    for (path, why) in [
        ("/feeds/xx.atom", "`xx`"),
        ("/feeds/es.rss", "`es`"),
        ("/feeds/en.pdf", "`pdf`"),
    ] {
        let r = w.get(path, &[]).await;
        assert_eq!(r.status(), 404, "{path}");
        let body = r.text().await.unwrap();
        assert!(body.contains(why), "{path}: {body}");
        assert!(body.contains("/feeds/pt-BR.atom"), "{body}");
        assert!(body.contains("Português (Brasil)"), "{body}");
        assert!(body.contains("/feeds/all.json"), "{body}");
    }
}

#[tokio::test]
async fn each_format_has_its_media_type_and_the_stylesheet_is_served() {
    let w = world("").await;
    for (path, ct) in [
        ("/feeds/en.atom", "application/atom+xml; charset=utf-8"),
        ("/feeds/en.rss", "application/rss+xml; charset=utf-8"),
        ("/feeds/en.json", "application/feed+json; charset=utf-8"),
    ] {
        let r = w.get(path, &[]).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], ct, "{path}");
    }
    // A browser gets the feed's page (`negotiation.rs`); a reader that
    // names text/html after the feed types (Miniflux) gets the XML as
    // application/xml, as before the page existed, and JSON as JSON.
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    for path in ["/feeds/en.atom", "/feeds/en.json"] {
        let r = w.get(path, &[("accept", browser)]).await;
        assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    }
    let names_html = "application/atom+xml,application/feed+json,text/html";
    let r = w.get("/feeds/en.atom", &[("accept", names_html)]).await;
    assert_eq!(
        r.headers()["content-type"],
        "application/xml; charset=utf-8"
    );
    let r = w.get("/feeds/en.json", &[("accept", names_html)]).await;
    assert_eq!(
        r.headers()["content-type"],
        "application/feed+json; charset=utf-8"
    );
    let xsl = w.get("/feeds/feed.xsl", &[]).await;
    assert_eq!(xsl.status(), 200);
    assert!(xsl.text().await.unwrap().contains("xsl:stylesheet"));
}
