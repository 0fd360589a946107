//! RFC 5005 history: the live feed holds the newest N stories, archive
//! pages reach every older one, and a complete page never changes.

use super::{let_the_cache_notice, original, world, World};

const PUBLIC: &str = "https://wire.example.org";

async fn page(w: &World, path: &str) -> (Vec<u8>, feed_rs::model::Feed) {
    let r = w.get(path, &[]).await;
    assert_eq!(r.status(), 200, "{path}");
    let bytes = r.bytes().await.unwrap().to_vec();
    let feed = feed_rs::parser::parse(&bytes[..]).unwrap_or_else(|e| panic!("{path}: {e}"));
    (bytes, feed)
}

/// The local path of the feed link with `rel`, if any.
fn link(feed: &feed_rs::model::Feed, rel: &str) -> Option<String> {
    feed.links
        .iter()
        .find(|l| l.rel.as_deref() == Some(rel))
        .map(|l| l.href.strip_prefix(PUBLIC).unwrap_or(&l.href).to_string())
}

async fn add_stories(w: &World, range: std::ops::RangeInclusive<u32>) {
    for n in range {
        w.add(&original(n, &format!("Port bulletin number {n}")))
            .await;
    }
}

#[tokio::test]
async fn archive_pages_reach_every_older_story_from_the_live_feed() {
    let w = world("[feeds]\nlive_items = 3\n").await;
    add_stories(&w, 1..=7).await;
    let (_, live) = page(&w, "/feeds/en.atom").await;
    let titles = |f: &feed_rs::model::Feed| -> Vec<String> {
        f.entries
            .iter()
            .map(|e| e.title.as_ref().unwrap().content.clone())
            .collect()
    };
    assert_eq!(
        titles(&live),
        [
            "Port bulletin number 7",
            "Port bulletin number 6",
            "Port bulletin number 5"
        ]
    );
    assert_eq!(link(&live, "hub"), None, "no hub configured");
    let mut seen = titles(&live);
    let mut next = link(&live, "prev-archive");
    assert_eq!(
        next.as_deref(),
        Some("/feeds/en/archive/2.atom"),
        "the newest complete page"
    );
    let mut pages = 0;
    while let Some(path) = next {
        pages += 1;
        assert!(pages <= 5, "the archive chain ends");
        let (bytes, archive) = page(&w, &path).await;
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            text.contains("<fh:archive/>"),
            "{path} is a complete archive page"
        );
        assert_eq!(link(&archive, "current").as_deref(), Some("/feeds/en.atom"));
        seen.extend(titles(&archive));
        next = link(&archive, "prev-archive");
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 7, "every story is reachable: {seen:?}");

    let (_, partial) = page(&w, "/feeds/en/archive/3.atom").await;
    assert_eq!(
        titles(&partial),
        ["Port bulletin number 7"],
        "the page being filled"
    );
    assert_eq!(w.get("/feeds/en/archive/4.atom", &[]).await.status(), 404);
    assert_eq!(w.get("/feeds/en/archive/0.atom", &[]).await.status(), 404);
    let json = w.text("/feeds/en.json").await;
    assert!(
        json.contains("\"next_url\": \"https://wire.example.org/feeds/en/archive/2.json\""),
        "{json}"
    );
}

#[tokio::test]
async fn a_complete_archive_page_keeps_its_bytes_when_new_stories_arrive() {
    let w = world("[feeds]\nlive_items = 3\n").await;
    add_stories(&w, 1..=7).await;
    let (page1, _) = page(&w, "/feeds/en/archive/1.rss").await;
    let (page2, _) = page(&w, "/feeds/en/archive/2.atom").await;
    let r = w.get("/feeds/en/archive/1.rss", &[]).await;
    assert!(r.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    let (live_before, _) = page(&w, "/feeds/en.atom").await;

    let_the_cache_notice().await;
    add_stories(&w, 8..=12).await;
    let_the_cache_notice().await;

    let (live_after, live) = page(&w, "/feeds/en.atom").await;
    assert_ne!(live_before, live_after, "the live feed moved on");
    assert_eq!(
        link(&live, "prev-archive").as_deref(),
        Some("/feeds/en/archive/4.atom")
    );
    assert_eq!(page(&w, "/feeds/en/archive/1.rss").await.0, page1);
    assert_eq!(page(&w, "/feeds/en/archive/2.atom").await.0, page2);
}

#[tokio::test]
async fn archives_and_retractions_work_on_postgresql_too() {
    let Some(db) = crate::support::postgres_url("feeds archives").await else {
        return;
    };
    let w = super::world_on(
        tempfile::tempdir().unwrap(),
        &db,
        "[feeds]\nlive_items = 3\n",
    )
    .await;
    add_stories(&w, 1..=4).await;
    let before = w.store.feed_fingerprint().await.unwrap();
    let (_, live) = page(&w, "/feeds/en.atom").await;
    assert_eq!(live.entries.len(), 3);
    assert_eq!(
        link(&live, "prev-archive").as_deref(),
        Some("/feeds/en/archive/1.atom")
    );
    let (_, first) = page(&w, "/feeds/en/archive/1.atom").await;
    assert_eq!(first.entries.len(), 3);
    assert_eq!(
        first.entries[2].title.as_ref().unwrap().content,
        "Port bulletin number 1",
        "oldest last"
    );
    let story = w.store.stories_page(None, 1, None).await.unwrap()[0].id;
    w.store
        .retract_story(story, chrono::Utc::now())
        .await
        .unwrap();
    assert_ne!(w.store.feed_fingerprint().await.unwrap(), before);
    assert_eq!(w.store.feed_story_count(None).await.unwrap(), 3);
    crate::support::drop_postgres(&db).await;
}
