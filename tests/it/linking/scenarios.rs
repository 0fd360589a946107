//! Small stories told end to end: entries stored and linked, then read
//! back through the real HTTP API.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use serde_json::Value;
use wirebridge::domain::{Entry, EntryKey, EntryLink, LinkRel};
use wirebridge::http::{router, App};
use wirebridge::linker::Linker;
use wirebridge::store::Store;

use crate::support::{config, lang, sample_entry, serve_app, sqlite_url, WIRE_SOURCES};

struct World {
    store: Store,
    linker: Arc<Linker>,
    base: String,
    _dir: tempfile::TempDir,
}

async fn world() -> World {
    let (dir, db) = sqlite_url();
    let cfg = config(&db, WIRE_SOURCES);
    let store = Store::open(&db).await.expect("store");
    wirebridge::ingest::poll::register_sources(&store, &cfg)
        .await
        .expect("sources");
    let app = App::build(cfg, store.clone()).expect("services");
    let linker = Arc::clone(&app.linker);
    let app = router(app);
    let base = serve_app(app).await;
    World {
        store,
        linker,
        base,
        _dir: dir,
    }
}

impl World {
    async fn add(&self, e: &Entry) -> i64 {
        let s = self
            .store
            .upsert_entries(std::slice::from_ref(e), Utc::now())
            .await
            .expect("upsert");
        let out = self
            .linker
            .link_entries(&s.changed_ids)
            .await
            .expect("link");
        out.first().map(|o| o.story_id).unwrap_or(-1)
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let r = reqwest::get(format!("{}{}", self.base, path))
            .await
            .expect("request");
        let status = r.status().as_u16();
        let bytes = r.bytes().await.expect("body");
        (status, serde_json::from_slice(&bytes).expect("json body"))
    }
}

/// An entry of `source` in `language` at `url`, with its own text.
fn entry(source: &str, n: u32, language: &str, url: &str, text: &str) -> Entry {
    let mut e = sample_entry(source, n, language);
    e.url = Some(url.to_string());
    e.canonical_url = wirebridge::normalize::canonical_url(url);
    e.key = EntryKey::from_url(url);
    e.guid = None;
    e.links.clear();
    e.image = None;
    e.title = format!("{text} ({language})");
    e.content = Some(format!("<p>{text}</p>"));
    e.summary = None;
    e
}

fn original(href: &str) -> EntryLink {
    EntryLink {
        rel: LinkRel::Original,
        href: href.into(),
        hreflang: None,
        title: None,
    }
}

fn alternate(href: &str, tag: &str) -> EntryLink {
    EntryLink {
        rel: LinkRel::Alternate,
        href: href.into(),
        hreflang: Some(lang(tag)),
        title: None,
    }
}

const OUTLET_URL: &str = "https://harborledger.example/news/pilots-strike";

#[tokio::test]
async fn a_translation_arriving_days_later_joins_its_story_and_any_url_finds_it() {
    let w = world().await;
    let mut orig = entry(
        "harbor",
        1,
        "en",
        OUTLET_URL,
        "Pilots strike in the northern port",
    );
    orig.published = Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).single();
    let s1 = w.add(&orig).await;

    let mut fr = entry(
        "wire-fr",
        2,
        "fr",
        "https://wire.example.org/fr/greve-des-pilotes",
        "Grève des pilotes",
    );
    fr.published = orig.published.map(|p| p + Duration::days(3));
    fr.links.push(original(OUTLET_URL));
    assert_eq!(w.add(&fr).await, s1, "joins the outlet's story");

    let mut br = entry(
        "wire-br",
        3,
        "pt-BR",
        "https://wire.example.org/pt-br/greve-dos-pilotos",
        "Greve dos pilotos",
    );
    br.links.push(alternate(
        "https://wire.example.org/fr/greve-des-pilotes",
        "fr",
    ));
    assert_eq!(w.add(&br).await, s1, "hreflang to a member joins too");

    for url in [
        "https://wire.example.org/pt-br/greve-dos-pilotos",
        "https://harborledger.example/news/pilots-strike?utm_source=x&utm_medium=rss",
        "http://www.harborledger.example/news/pilots-strike/",
    ] {
        let (status, body) = w
            .get(&format!("/api/translations?url={}", urlencode(url)))
            .await;
        assert_eq!(status, 200, "{url}: {body}");
        let story = &body["story"];
        assert_eq!(story["original_url"], OUTLET_URL);
        let langs: Vec<&str> = story["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| e["language"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(
            langs,
            ["en", "pt-BR", "fr"],
            "original first, then the publisher's order"
        );
        assert_eq!(story["entries"][0]["role"], "original");
        assert_eq!(story["entries"][1]["role"], "translation");
    }
    let (status, _) = w
        .get("/api/translations?url=https%3A%2F%2Fnowhere.example%2Fx")
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_same_item_in_two_feeds_is_a_duplicate_in_the_same_story() {
    let w = world().await;
    let a = entry(
        "wire-en",
        1,
        "en",
        "https://wire.example.org/en/ferry-fares",
        "Ferry fares rise again this winter",
    );
    let s = w.add(&a).await;
    let mut b = a.clone();
    b.source = crate::support::source_id("harbor");
    assert_eq!(w.add(&b).await, s);
    let (_, body) = w.get("/api/stories").await;
    let stories = body["stories"].as_array().expect("stories");
    assert_eq!(stories.len(), 1);
    let roles: Vec<&str> = stories[0]["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["role"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(roles, ["original", "duplicate"]);
}

#[tokio::test]
async fn a_story_never_holds_two_articles_of_one_language_from_one_source() {
    let w = world().await;
    let en = entry(
        "harbor",
        1,
        "en",
        OUTLET_URL,
        "Pilots strike in the northern port",
    );
    let s = w.add(&en).await;
    let fr1 = {
        let mut e = entry(
            "wire-fr",
            2,
            "fr",
            "https://wire.example.org/fr/greve",
            "Grève des pilotes du port",
        );
        e.links.push(original(OUTLET_URL));
        e
    };
    assert_eq!(w.add(&fr1).await, s);
    // A second, different French article wrongly pointing at the same
    // original: it must not become a second French version.
    let fr2 = {
        let mut e = entry(
            "wire-fr",
            3,
            "fr",
            "https://wire.example.org/fr/tarifs-ferries",
            "Les tarifs des ferries augmentent",
        );
        e.links.push(original(OUTLET_URL));
        e
    };
    assert_ne!(w.add(&fr2).await, s);
}

#[tokio::test]
async fn the_operators_link_and_unlink_hold_across_later_polls() {
    let w = world().await;
    let en = entry(
        "harbor",
        1,
        "en",
        OUTLET_URL,
        "Pilots strike in the northern port",
    );
    let de = entry(
        "wire-de",
        2,
        "de",
        "https://wire.example.org/de/lotsenstreik",
        "Lotsenstreik im Nordhafen",
    );
    let s_en = w.add(&en).await;
    let s_de = w.add(&de).await;
    assert_ne!(s_en, s_de, "nothing links them yet");

    let linked = w
        .linker
        .link_urls(OUTLET_URL, "https://wire.example.org/de/lotsenstreik")
        .await
        .expect("link");
    assert_eq!(linked.story_id, s_en);

    // The German entry is edited at the source: still linked.
    let mut edited = de.clone();
    edited.title = "Lotsenstreik im Nordhafen geht weiter".into();
    assert_eq!(w.add(&edited).await, s_en);

    // Unlinked: alone, and an edit does not bring it back.
    let alone = w
        .linker
        .unlink_url("https://wire.example.org/de/lotsenstreik")
        .await
        .expect("unlink");
    assert_ne!(alone.story_id, s_en);
    let mut again = edited.clone();
    again.links.push(original(OUTLET_URL));
    assert_eq!(w.add(&again).await, alone.story_id);
}

#[tokio::test]
async fn stories_are_paged_newest_first_and_filtered_by_language() {
    let w = world().await;
    for n in 0..5u32 {
        let mut e = entry(
            "wire-en",
            n,
            "en",
            &format!("https://wire.example.org/en/s{n}"),
            &format!("English story number {n} about harbour {n}{n}"),
        );
        e.published = Utc.with_ymd_and_hms(2026, 11, 1 + n, 9, 0, 0).single();
        w.add(&e).await;
    }
    let mut br = entry(
        "wire-br",
        9,
        "pt-BR",
        "https://wire.example.org/pt-br/s9",
        "Uma história brasileira sobre o porto",
    );
    br.published = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).single();
    w.add(&br).await;

    let (status, page1) = w.get("/api/stories?limit=2").await;
    assert_eq!(status, 200);
    assert_eq!(page1["stories"].as_array().expect("stories").len(), 2);
    let next = page1["next_before"]
        .as_str()
        .expect("a next page")
        .to_string();
    let (_, page2) = w.get(&format!("/api/stories?limit=10&before={next}")).await;
    assert_eq!(page2["stories"].as_array().expect("stories").len(), 4);

    let (_, br_only) = w.get("/api/stories?lang=pt-br").await;
    let only = br_only["stories"].as_array().expect("stories");
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["entries"][0]["language"], "pt-BR");

    let (status, err) = w.get("/api/stories?lang=not%20a%20language").await;
    assert_eq!(status, 400);
    assert!(err["error"].as_str().unwrap_or("").contains("lang"));
    let (status, _) = w.get("/api/stories?limit=100000").await;
    assert_eq!(status, 400);
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn an_rss_source_feed_url_is_not_taken_for_the_original_article() {
    let w = world().await;
    let mut br = entry(
        "wire-br",
        1,
        "pt-BR",
        "https://wire.example.org/pt-br/barcas",
        "As tarifas das barcas sobem de novo neste inverno",
    );
    let via = |href: &str| EntryLink {
        rel: LinkRel::Via,
        href: href.into(),
        hreflang: None,
        title: None,
    };
    br.links.push(via("https://harborledger.example/feed.xml"));
    let mut de = entry(
        "wire-de",
        2,
        "de",
        "https://wire.example.org/de/faehren",
        "Die Fährpreise steigen in diesem Winter erneut",
    );
    de.links.push(via("https://harborledger.example/feed.xml"));
    let s_br = w.add(&br).await;
    assert_ne!(w.add(&de).await, s_br, "a shared feed URL links nothing");
    let (_, body) = w
        .get("/api/translations?url=https%3A%2F%2Fwire.example.org%2Fpt-br%2Fbarcas")
        .await;
    assert_eq!(body["story"]["original_url"], Value::Null);
}
