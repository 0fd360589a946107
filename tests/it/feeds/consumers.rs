//! Feeds as readers see them: Python's feedparser and jsonschema (which
//! nobody here wrote) read every feed; feed-rs follows edits, new
//! translations and retractions.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::Utc;
use serde_json::Value;

use super::{let_the_cache_notice, multilingual_story, original, version, world, World};

/// Runs tests/python/check_feeds.py on `files`. Python and its packages
/// are installed by .ci/run: missing, the test fails and says so.
fn python_reads(files: &[PathBuf]) -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(root.join("tests/python/check_feeds.py"))
        .arg(root.join("tests/fixtures/jsonfeed-1.1.schema.json"))
        .args(files)
        .output()
        .expect("python3 is needed to read the feeds (CI installs it: see .ci/run)");
    assert!(
        out.status.success(),
        "check_feeds.py failed (pip install feedparser jsonschema?): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("check_feeds.py prints JSON")
}

async fn save(w: &World, dir: &Path, path: &str) -> PathBuf {
    let bytes = w.get(path, &[]).await.bytes().await.expect("body");
    let name = path.trim_start_matches("/feeds/").replace('/', "_");
    let file = dir.join(name);
    std::fs::write(&file, &bytes).expect("write feed");
    file
}

fn alternates(entry: &Value) -> Vec<String> {
    entry["alternates"]
        .as_array()
        .expect("alternates")
        .iter()
        .map(|a| a[0].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn feedparser_reads_every_feed_cleanly_with_each_entrys_language_and_alternates() {
    let w = world("[websub]\nhub = \"https://hub.example/\"\n").await;
    multilingual_story(&w, 1).await;
    // A story only the outlet has told so far: its own version is the feed's.
    w.add(&original(2, "Harbour cranes stand idle")).await;
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for scope in ["en", "pt-br", "fr", "ar", "all"] {
        for ext in ["atom", "rss", "json"] {
            files.push(save(&w, dir.path(), &format!("/feeds/{scope}.{ext}")).await);
        }
    }
    let seen = python_reads(&files);
    let feed = |name: &str| &seen[dir.path().join(name).to_str().unwrap()];

    for file in &files {
        let r = &seen[file.to_str().unwrap()];
        if file.extension().is_some_and(|e| e == "json") {
            assert_eq!(r["schema_errors"], serde_json::json!([]), "{file:?}");
        } else {
            assert_eq!(r["bozo"], 0, "{file:?}: {}", r["bozo_exception"]);
        }
    }
    for name in ["en.atom", "en.rss"] {
        let en = feed(name);
        assert_eq!(en["language"], "en", "{name}");
        let entries = en["entries"].as_array().unwrap();
        assert_eq!(
            entries.len(),
            2,
            "{name}: one entry per story, no duplicates"
        );
        let walk_out = entries
            .iter()
            .find(|e| e["title"] == "Dockworkers walk out, part 1")
            .unwrap_or_else(|| panic!("{name}: the publisher's English version: {entries:?}"));
        assert_eq!(walk_out["language"], "en");
        assert_eq!(alternates(walk_out), ["ar", "fr", "pt-BR"], "{name}");
        assert_eq!(
            walk_out["via"], "https://harborledger.example/news/story-1",
            "{name}"
        );
        assert_eq!(
            walk_out["contributors"],
            serde_json::json!(["Bruno Tradutor"])
        );
        assert!(entries
            .iter()
            .any(|e| e["title"] == "Harbour cranes stand idle"));
    }
    assert_eq!(
        feed("en.atom")["links"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l[0] == "hub")
            .count(),
        1
    );
    let ar = &feed("ar.atom")["entries"][0];
    assert_eq!(ar["language"], "ar");
    assert!(
        ar["content"].as_str().unwrap().contains("dir=\"rtl\""),
        "{ar}"
    );
    let br = &feed("pt-br.rss")["entries"][0];
    assert_eq!(br["language"], "pt-BR");
    assert_eq!(alternates(br), ["ar", "en", "fr"]);
    let all = feed("all.atom")["entries"].as_array().unwrap();
    assert_eq!(
        all.len(),
        5,
        "four versions of story 1 and the outlet's story 2"
    );
    let json = &feed("fr.json")["items"][0];
    assert_eq!(json["language"], "fr");
    assert_eq!(json["translators"], serde_json::json!(["Bruno Tradutor"]));
    let json_alts: Vec<&str> = json["alternates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a[0].as_str().unwrap())
        .collect();
    assert_eq!(json_alts, ["ar", "en", "pt-BR"]);
}

async fn parsed(w: &World, path: &str) -> feed_rs::model::Feed {
    let bytes = w.get(path, &[]).await.bytes().await.unwrap();
    feed_rs::parser::parse(&bytes[..]).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[tokio::test]
async fn an_edit_at_the_source_changes_the_entry_and_its_updated_but_not_its_id() {
    let w = world("").await;
    multilingual_story(&w, 1).await;
    let before = parsed(&w, "/feeds/fr.atom").await;
    let etag = w.get("/feeds/fr.atom", &[]).await.headers()["etag"].clone();
    let_the_cache_notice().await;

    let mut edited = version(
        "wire-fr",
        1,
        "fr",
        "Les dockers votent la grève (mis à jour)",
    );
    edited.content = Some("<p>Nouveau paragraphe.</p>".into());
    let s = w.store.upsert_entries(&[edited], Utc::now()).await.unwrap();
    assert_eq!(s.updated, 1);
    w.linker.link_entries(&s.changed_ids).await.unwrap();
    let_the_cache_notice().await;

    let after = parsed(&w, "/feeds/fr.atom").await;
    let (b, a) = (&before.entries[0], &after.entries[0]);
    assert_eq!(a.id, b.id, "an edit keeps the entry's id");
    assert_eq!(
        a.title.as_ref().unwrap().content,
        "Les dockers votent la grève (mis à jour)"
    );
    assert!(a.updated > b.updated, "{:?} > {:?}", a.updated, b.updated);
    let r = w
        .get(
            "/feeds/fr.atom",
            &[("if-none-match", etag.to_str().unwrap())],
        )
        .await;
    assert_eq!(r.status(), 200, "the old ETag no longer matches");
}

#[tokio::test]
async fn a_new_translation_appears_in_its_feed_and_adds_alternates_to_its_siblings() {
    let w = world("").await;
    let id = w.add(&original(7, "Ferry crews join the strike")).await;
    assert_eq!(
        w.add(&version("wire-fr", 7, "fr", "Les équipages des ferries"))
            .await,
        id
    );
    let hreflangs = |f: &feed_rs::model::Feed| -> Vec<String> {
        f.entries[0]
            .links
            .iter()
            .filter_map(|l| l.href_lang.clone())
            .collect()
    };
    assert!(parsed(&w, "/feeds/pt-br.atom").await.entries.is_empty());
    assert!(!hreflangs(&parsed(&w, "/feeds/fr.atom").await).contains(&"pt-BR".to_string()));

    let_the_cache_notice().await;
    assert_eq!(
        w.add(&version("wire-br", 7, "pt-BR", "As tripulações das balsas"))
            .await,
        id
    );
    let_the_cache_notice().await;

    let br = parsed(&w, "/feeds/pt-br.atom").await;
    assert_eq!(br.entries.len(), 1);
    assert_eq!(
        br.entries[0].title.as_ref().unwrap().content,
        "As tripulações das balsas"
    );
    assert!(hreflangs(&parsed(&w, "/feeds/fr.atom").await).contains(&"pt-BR".to_string()));
}

#[tokio::test]
async fn a_retracted_story_leaves_the_live_feed() {
    let w = world("").await;
    let keep = multilingual_story(&w, 1).await;
    let gone = multilingual_story(&w, 2).await;
    assert_eq!(parsed(&w, "/feeds/en.rss").await.entries.len(), 2);
    w.store.retract_story(gone, Utc::now()).await.unwrap();
    let_the_cache_notice().await;
    for path in ["/feeds/en.rss", "/feeds/ar.atom", "/feeds/all.json"] {
        let f = parsed(&w, path).await;
        assert!(!f.entries.is_empty(), "{path}");
        assert!(
            f.entries
                .iter()
                .all(|e| e.id.contains(&format!("story/{keep}/"))),
            "{path}: only story {keep} is left"
        );
    }
}
