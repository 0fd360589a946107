//! An entry's URL leaves exactly as its publisher wrote it — host case,
//! trailing slash and tracking parameters included — in every feed we
//! publish, the JSON API and federated posts; the canonical form is only
//! how we find a story, by any way of writing its URL.

use serde_json::Value;
use url::Url;
use wirebridge::domain::{Lang, SourceId};
use wirebridge::normalize::{parse_feed, FeedContext};

use super::world::{world, World};

/// As the publisher wrote it: a server may answer `/0042` (no slash) with
/// another page or a 404.
const WRITTEN: &str = "https://Example.org/log/0042/?utm_source=rss&utm_medium=feed";
/// A relative link, resolved against the feed's URL and nothing more.
const RELATIVE_RESOLVED: &str = "https://wire.example.org/en/log/0043/";

fn xml_escaped(url: &str) -> String {
    url.replace('&', "&amp;")
}

/// Normalizes a feed of the English desk and stores it, as a poll does.
async fn ingest(w: &World) {
    let feed = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel>\
         <title>The Wire</title><link>https://wire.example.org/en/</link><language>en</language>\
         <item><guid isPermaLink=\"false\">log-42</guid><title>Lighthouse keepers log the storm</title>\
         <link>{}</link><pubDate>Mon, 30 Nov 2026 10:00:00 GMT</pubDate>\
         <description>Waves broke over the north light for six hours.</description></item>\
         <item><guid isPermaLink=\"false\">log-43</guid><title>Ferry crews count the damage</title>\
         <link>log/0043/</link><pubDate>Mon, 30 Nov 2026 11:00:00 GMT</pubDate>\
         <description>Two gangways were torn away at the island pier.</description></item>\
         </channel></rss>",
        xml_escaped(WRITTEN)
    );
    let source = SourceId::parse("wire-en").unwrap();
    let lang = Lang::parse("en").unwrap();
    let base = Url::parse("https://wire.example.org/en/feed").unwrap();
    let ctx = FeedContext {
        source: &source,
        fallback_language: &lang,
        base_url: &base,
        content_type: Some("application/rss+xml; charset=utf-8"),
    };
    let parsed = parse_feed(feed.as_bytes(), &ctx).expect("a feed");
    assert_eq!(parsed.entries[0].url.as_deref(), Some(WRITTEN));
    w.add(&parsed.entries).await;
}

async fn body(w: &World, path: &str) -> String {
    let r = w
        .http
        .get(format!("{}{path}", w.base))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.expect("body")
}

#[tokio::test]
async fn feeds_the_api_and_federated_posts_carry_each_entrys_url_byte_for_byte() {
    let w = world("").await;
    ingest(&w).await;

    for path in ["/feeds/en.rss", "/feeds/en.atom", "/feeds/all.rss"] {
        let xml = body(&w, path).await;
        for url in [WRITTEN, RELATIVE_RESOLVED] {
            assert!(xml.contains(&xml_escaped(url)), "{path} lacks {url}: {xml}");
        }
        assert!(
            !xml.contains("https://example.org/log/0042"),
            "{path} rewrote the URL: {xml}"
        );
    }
    let json: Value = serde_json::from_str(&body(&w, "/feeds/en.json").await).unwrap();
    let urls: Vec<&str> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["url"].as_str())
        .collect();
    assert!(
        urls.contains(&WRITTEN) && urls.contains(&RELATIVE_RESOLVED),
        "{urls:?}"
    );

    let api: Value = serde_json::from_str(&body(&w, "/api/stories").await).unwrap();
    let urls: Vec<&str> = api["stories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["entries"].as_array().unwrap().iter())
        .filter_map(|e| e["url"].as_str())
        .collect();
    assert!(
        urls.contains(&WRITTEN) && urls.contains(&RELATIVE_RESOLVED),
        "{urls:?}"
    );

    w.plan().await;
    let (status, outbox) = w.get_ap("/users/wire/outbox?page=1").await;
    assert_eq!(status, 200);
    let objects: Vec<&Value> = outbox["orderedItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["object"])
        .collect();
    let urls: Vec<&str> = objects.iter().filter_map(|o| o["url"].as_str()).collect();
    assert!(
        urls.contains(&WRITTEN) && urls.contains(&RELATIVE_RESOLVED),
        "{urls:?}"
    );
    let storm = objects
        .iter()
        .find(|o| o["url"] == WRITTEN)
        .and_then(|o| o["content"].as_str())
        .unwrap();
    assert!(
        storm.contains(&format!("href=\"{}\"", xml_escaped(WRITTEN))),
        "{storm}"
    );
}

#[tokio::test]
async fn a_story_is_found_by_any_way_of_writing_its_url() {
    let w = world("").await;
    ingest(&w).await;
    let mut stories = Vec::new();
    for variant in [
        WRITTEN,
        "https://example.org/log/0042",
        "https://EXAMPLE.org/log/0042/",
        "http://www.example.org/log/0042/?utm_campaign=winter#comments",
    ] {
        let r = w
            .http
            .get(format!("{}/api/translations", w.base))
            .query(&[("url", variant)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{variant}");
        let doc: Value = r.json().await.unwrap();
        assert_eq!(doc["story"]["entries"][0]["url"], WRITTEN, "{variant}");
        stories.push(doc["story"]["id"].clone());
    }
    stories.dedup();
    assert_eq!(stories.len(), 1, "one story, whichever URL: {stories:?}");
}
