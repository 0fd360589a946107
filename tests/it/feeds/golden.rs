//! Every feed of a fixed store, byte for byte: the demo's six bundled
//! feeds stored at a fixed time and linked, then each language's and the
//! combined feed read in RSS, Atom and JSON Feed (live and archive pages)
//! through the real routes and compared with `tests/fixtures/golden/`.
//! A refactor of the writers must change no byte it did not mean to; when
//! a change is meant, `WIREBRIDGE_BLESS=1 cargo test golden` rewrites the
//! files and the diff shows what changed.

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use wirebridge::config::Config;
use wirebridge::http::{router, App};
use wirebridge::normalize::{parse_feed, FeedContext};
use wirebridge::store::Store;

use crate::support::{serve_app, sqlite_url};

/// Linking stamps a story with the time it happened (a story's `updated`):
/// every date of this run is written as `{now}`, every other date stays.
fn mask_run_times(body: &str, started: chrono::DateTime<Utc>) -> String {
    static DATES: once_cell::sync::Lazy<regex::Regex> = once_cell::sync::Lazy::new(|| {
        regex::Regex::new(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)|[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d (?:[+-]\d{4}|GMT|UT)",
        )
        .expect("date pattern")
    });
    DATES
        .replace_all(body, |c: &regex::Captures<'_>| {
            let text = &c[0];
            let at = chrono::DateTime::parse_from_rfc3339(text)
                .or_else(|_| chrono::DateTime::parse_from_rfc2822(text));
            match at {
                Ok(at) if at >= started => "{now}".to_string(),
                _ => text.to_string(),
            }
        })
        .into_owned()
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden")
}

/// The demo configuration on a temporary database, with two stories per
/// page so that archive pages exist too.
fn demo_config(db: &str) -> Config {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml");
    let text = std::fs::read_to_string(&path)
        .expect("demo config")
        .replace("sqlite://data/demo.sqlite", db)
        .replace("[publisher]", "[feeds]\nlive_items = 2\n\n[publisher]");
    Config::parse(&path, &text).expect("demo config parses")
}

#[tokio::test]
async fn every_feed_of_a_fixed_store_is_byte_identical_to_its_golden_file() {
    let started = Utc::now() - chrono::Duration::minutes(1);
    let (_dir, db) = sqlite_url();
    let config = demo_config(&db);
    let store = Store::open(&db).await.expect("store");
    wirebridge::ingest::poll::register_sources(&store, &config)
        .await
        .expect("sources");
    let at = Utc
        .with_ymd_and_hms(2026, 3, 5, 12, 0, 0)
        .single()
        .expect("time");
    for source in &config.sources {
        let file = source.url.to_file_path().expect("a bundled file");
        let bytes = std::fs::read(&file).expect("demo feed");
        let parsed = parse_feed(
            &bytes,
            &FeedContext {
                source: &source.id,
                fallback_language: &source.language,
                base_url: &source.url,
                content_type: None,
            },
        )
        .expect("demo feed parses");
        store
            .upsert_entries(&parsed.entries, at)
            .await
            .expect("upsert");
    }
    let app = App::build(config, store).expect("services");
    app.linker.link_unlinked().await.expect("link");

    let mut paths = Vec::new();
    for scope in ["all", "en", "pt-br", "de", "fr", "ar"] {
        for ext in ["rss", "atom", "json"] {
            paths.push(format!("/feeds/{scope}.{ext}"));
            paths.push(format!("/feeds/{scope}/archive/1.{ext}"));
        }
    }
    let base = serve_app(router(app)).await;
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let bless = std::env::var_os("WIREBRIDGE_BLESS").is_some();
    let mut differ = Vec::new();
    for path in &paths {
        let resp = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("get");
        assert_eq!(resp.status(), 200, "{path}");
        // The port of this run's server is the one thing that varies.
        let body = resp
            .text()
            .await
            .expect("body")
            .replace(&base, "http://wire.test");
        let body = mask_run_times(&body, started);
        let name = path.trim_start_matches("/feeds/").replace('/', "_");
        let file = golden_dir().join(&name);
        if bless {
            std::fs::create_dir_all(golden_dir()).expect("golden dir");
            std::fs::write(&file, &body).expect("bless");
        } else {
            let want = std::fs::read_to_string(&file).unwrap_or_else(|e| {
                panic!("{}: {e} (WIREBRIDGE_BLESS=1 writes it)", file.display())
            });
            if want != body {
                differ.push(name);
            }
        }
    }
    assert!(
        differ.is_empty(),
        "feeds differ from their golden files: {differ:?} (if meant, rerun with WIREBRIDGE_BLESS=1 and review the diff)"
    );
}
