//! The republished feeds, end to end: stories stored and linked, then read
//! through the real routes by a real HTTP client, by Python's feedparser
//! and jsonschema, and by headless Chromium; browsers and feed readers
//! told apart by the `Accept` each sends.

mod browser;
mod consumers;
mod golden;
mod history;
mod http;
mod negotiation;
mod websub;

use std::path::Path;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use wirebridge::config::Config;
use wirebridge::domain::{Entry, EntryKey, EntryLink, LinkRel};
use wirebridge::http::{router, App};
use wirebridge::linker::Linker;
use wirebridge::store::Store;

use crate::support::{config_toml, sample_entry, serve_app, sqlite_url, WIRE_SOURCES};

pub struct World {
    pub store: Store,
    pub linker: Arc<Linker>,
    pub base: String,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// The test config plus `extra` TOML (`[feeds]`, `[websub]`, actors).
pub fn feeds_config(db: &str, extra: &str) -> Config {
    let text = format!("{}\n{extra}", config_toml(db, WIRE_SOURCES));
    Config::parse(Path::new("test.toml"), &text).expect("test config")
}

pub async fn world(extra: &str) -> World {
    let (dir, db) = sqlite_url();
    world_on(dir, &db, extra).await
}

/// A world on the database at `db` (`dir` keeps a SQLite file alive).
pub async fn world_on(dir: tempfile::TempDir, db: &str, extra: &str) -> World {
    let cfg = feeds_config(db, extra);
    let store = Store::open(db).await.expect("store");
    wirebridge::ingest::poll::register_sources(&store, &cfg)
        .await
        .expect("sources");
    let app = App::build(cfg, store.clone()).expect("services");
    let linker = Arc::clone(&app.linker);
    let app = router(app);
    let base = serve_app(app).await;
    // No automatic decompression: the tests look at the bytes as sent.
    let client = reqwest::Client::builder()
        .no_proxy()
        .no_gzip()
        .no_brotli()
        .no_deflate()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .expect("client");
    World {
        store,
        linker,
        base,
        client,
        _dir: dir,
    }
}

impl World {
    /// Stores and links one entry; returns its story id.
    pub async fn add(&self, e: &Entry) -> i64 {
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

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET without automatic decompression: the bytes as sent.
    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut req = self.client.get(self.url(path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("request")
    }

    pub async fn text(&self, path: &str) -> String {
        let r = self.get(path, &[]).await;
        assert_eq!(r.status(), 200, "{path}");
        r.text().await.expect("body")
    }
}

/// The feed cache re-reads the store at most once a second.
pub async fn let_the_cache_notice() {
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
}

/// One language version of story `n`: the publisher's article at
/// `https://wire.example.org/{lang}/story-{n}`, pointing at the outlet's
/// original, with its own title.
pub fn version(source: &str, n: u32, language: &str, title: &str) -> Entry {
    let url = format!(
        "https://wire.example.org/{}/story-{n}",
        language.to_ascii_lowercase()
    );
    let mut e = sample_entry(source, n, language);
    e.key = EntryKey::from_url(&url);
    e.guid = None;
    e.canonical_url = Some(url.clone());
    e.url = Some(url);
    e.title = title.to_string();
    e.content = Some(format!("<p>{title}: the full text.</p>"));
    e.published = Utc
        .timestamp_opt(1_780_000_000 + i64::from(n) * 3600, 0)
        .single();
    e.links = vec![EntryLink {
        rel: LinkRel::Original,
        href: format!("https://harborledger.example/news/story-{n}"),
        hreflang: None,
        title: None,
    }];
    e
}

/// The outlet's original of story `n`, in English.
pub fn original(n: u32, title: &str) -> Entry {
    let url = format!("https://harborledger.example/news/story-{n}");
    let mut e = sample_entry("harbor", n, "en");
    e.key = EntryKey::from_url(&url);
    e.guid = None;
    e.canonical_url = Some(url.clone());
    e.url = Some(url);
    e.title = title.to_string();
    e.translators.clear();
    e.links.clear();
    e.content = Some(format!("<p>{title}, as first reported.</p>"));
    e.published = Utc
        .timestamp_opt(1_779_990_000 + i64::from(n) * 3600, 0)
        .single();
    e
}

/// What story `n` is about, in English (outlet and publisher), French,
/// Brazilian Portuguese and Arabic: distinct topics, so that linking keeps
/// the stories apart.
const TOPICS: &[[&str; 5]] = &[
    [
        "Dockworkers vote to strike",
        "Dockworkers walk out",
        "Les dockers votent la grève",
        "Estivadores entram em greve",
        "عمال الموانئ يضربون",
    ],
    [
        "Rail unions sign a new contract with the operator",
        "Train crews win their contract",
        "Les cheminots signent un accord salarial",
        "Ferroviários assinam novo acordo",
        "نقابات السكك الحديدية توقع عقدا جديدا",
    ],
    [
        "Teachers march on the ministry over pay",
        "Teachers rally for wages",
        "Les enseignants manifestent pour les salaires",
        "Professores marcham por salários",
        "المعلمون يتظاهرون من أجل الأجور",
    ],
];

/// A story told in four languages plus the outlet's original; `n` from 1
/// to 3.
pub async fn multilingual_story(w: &World, n: u32) -> i64 {
    let [orig, en, fr, br, ar] = TOPICS[(n as usize - 1) % TOPICS.len()];
    let id = w.add(&original(n, &format!("{orig}, part {n}"))).await;
    for (src, l, title) in [
        ("wire-en", "en", format!("{en}, part {n}")),
        ("wire-fr", "fr", format!("{fr}, partie {n}")),
        ("wire-br", "pt-BR", format!("{br}, parte {n}")),
        ("wire-ar", "ar", format!("{ar}، الجزء {n}")),
    ] {
        let sid = w.add(&version(src, n, l, &title)).await;
        assert_eq!(sid, id, "{l} version joins story {n}");
    }
    id
}

#[tokio::test]
async fn a_reloaded_configuration_reaches_feeds_already_rendered() {
    let w = world("").await;
    w.add(&sample_entry("wire-en", 1, "en")).await;
    let (_dir, db) = sqlite_url();
    let cfg = feeds_config(&db, "");
    let live = wirebridge::config::Live::from(cfg);
    let feeds = App::build(live.clone(), w.store.clone())
        .expect("services")
        .feeds;
    let key = wirebridge::publish::FeedKey {
        scope: wirebridge::publish::Scope::All,
        page: wirebridge::publish::Page::Live,
        format: wirebridge::publish::Format::Json,
    };
    let source_of = |body: &[u8]| {
        let doc: serde_json::Value = serde_json::from_slice(body).expect("json feed");
        doc["items"][0]["_wirebridge"]["source"]
            .as_str()
            .expect("source")
            .to_string()
    };
    let before = feeds.get(&key).await.expect("render").expect("feed");
    assert_eq!(source_of(&before.body), "wire-en");
    // SIGHUP brings the same file with the source renamed: the cached page
    // is not served again.
    let text = config_toml(&db, WIRE_SOURCES)
        .replace("name = \"wire-en\"", "name = \"The Wire in English\"");
    let renamed = Config::parse(Path::new("test.toml"), &text).expect("config");
    live.set(Arc::new(renamed));
    let after = feeds.get(&key).await.expect("render").expect("feed");
    assert_eq!(source_of(&after.body), "The Wire in English");
    assert_ne!(before.etag, after.etag);
}

#[tokio::test]
async fn the_home_page_is_kept_between_changes_and_shows_a_new_story_at_once() {
    let w = world("").await;
    w.add(&sample_entry("wire-en", 1, "en")).await;
    let first = w.text("/").await;
    assert!(first.contains("Story number 1"), "{first}");
    assert_eq!(w.text("/").await, first, "unchanged store, same page");
    w.add(&sample_entry("wire-en", 2, "en")).await;
    let second = w.text("/").await;
    assert!(
        second.contains("Story number 2"),
        "a cached page must not hide a new story: {second}"
    );
}
