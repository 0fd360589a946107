//! Linking a batch is linking its entries one by one: the corpus stored
//! in publication order, then linked either entry by entry or as one batch
//! (the poller's way), gives the same stories, roles and rules.

use std::collections::BTreeMap;
use std::path::Path;

use wirebridge::config::Config;
use wirebridge::domain::Entry;
use wirebridge::linker::Linker;
use wirebridge::normalize::{parse_feed, FeedContext};
use wirebridge::store::Store;

use crate::support::sqlite_url;

/// The corpus's sources as a configuration, and every entry of its feeds
/// in publication order.
fn corpus(db: &str) -> (Config, Vec<Entry>) {
    let dir = super::eval::corpus_dir();
    let raw: toml::Value =
        toml::from_str(&std::fs::read_to_string(dir.join("sources.toml")).expect("sources"))
            .expect("sources.toml");
    let sources = raw["sources"].as_array().expect("[[sources]]");
    let mut text = format!(
        "[server]\nbind = \"127.0.0.1:0\"\npublic_url = \"https://wire.example.org\"\n\
         [database]\nurl = \"{db}\"\n[publisher]\nname = \"The Wire\"\n\
         languages = [\"en\", \"pt-BR\", \"de\", \"fr\", \"ar\", \"es\"]\n"
    );
    for s in sources {
        let field = |k: &str| s[k].as_str().expect(k).to_string();
        text.push_str(&format!(
            "[[sources]]\nid = \"{}\"\nname = \"{}\"\nrole = \"{}\"\nurl = \"file://{}\"\nlanguage = \"{}\"\n",
            field("id"),
            field("id"),
            field("role"),
            dir.join(field("file")).display(),
            field("language"),
        ));
        if let Some(p) = s.get("url_pattern").and_then(|p| p.as_str()) {
            text.push_str(&format!("url_pattern = \"{p}\"\n"));
        }
    }
    let config = Config::parse(Path::new("corpus.toml"), &text).expect("config");
    let mut entries = Vec::new();
    for (s, raw) in config.sources.iter().zip(sources) {
        let bytes = std::fs::read(s.url.to_file_path().expect("file")).expect("feed");
        let base = url::Url::parse(raw["feed_url"].as_str().expect("feed_url")).expect("url");
        let ctx = FeedContext {
            source: &s.id,
            fallback_language: &s.language,
            base_url: &base,
            content_type: None,
        };
        entries.extend(parse_feed(&bytes, &ctx).expect("corpus feed").entries);
    }
    entries.sort_by_key(|e| e.published);
    (config, entries)
}

/// Each entry (by source and key) with its story's smallest member, its
/// role and the rule that placed it: the stories as a reader sees them,
/// whatever their ids.
async fn stories(by_batch: bool) -> BTreeMap<String, (String, String, String)> {
    let (_dir, db) = sqlite_url();
    let (config, entries) = corpus(&db);
    let store = Store::open(&db).await.expect("store");
    wirebridge::ingest::poll::register_sources(&store, &config)
        .await
        .expect("sources");
    let mut ids = Vec::new();
    for e in &entries {
        let s = store
            .upsert_entries(std::slice::from_ref(e), chrono::Utc::now())
            .await
            .expect("upsert");
        ids.extend(s.changed_ids);
    }
    let linker = Linker::new(store.clone(), &config);
    if by_batch {
        linker.link_entries(&ids).await.expect("batch");
    } else {
        for id in &ids {
            linker.link_entry(*id).await.expect("one");
        }
    }
    let mut all = Vec::new();
    for s in &config.sources {
        all.extend(
            store
                .entries_of_source(&s.id, 100_000)
                .await
                .expect("entries"),
        );
    }
    let name =
        |e: &wirebridge::store::StoredEntry| format!("{} {}", e.entry.source, e.entry.key.as_str());
    let mut first: BTreeMap<i64, String> = BTreeMap::new();
    for e in &all {
        let story = e.link.as_ref().expect("linked").story_id;
        let n = name(e);
        let slot = first.entry(story).or_insert_with(|| n.clone());
        if n < *slot {
            *slot = n;
        }
    }
    all.iter()
        .map(|e| {
            let l = e.link.as_ref().expect("linked");
            (
                name(e),
                (
                    first[&l.story_id].clone(),
                    l.role.as_str().to_string(),
                    l.rule.clone().unwrap_or_default(),
                ),
            )
        })
        .collect()
}

#[tokio::test]
async fn linking_the_corpus_as_one_batch_gives_the_stories_of_linking_it_entry_by_entry() {
    let one_by_one = stories(false).await;
    let batched = stories(true).await;
    assert!(one_by_one.len() > 100, "the whole corpus");
    let differ: Vec<_> = one_by_one
        .iter()
        .filter(|(k, v)| batched.get(*k) != Some(v))
        .map(|(k, v)| (k, v, batched.get(k)))
        .collect();
    assert!(differ.is_empty(), "{differ:#?}");
    let stories = one_by_one
        .values()
        .map(|v| &v.0)
        .collect::<std::collections::BTreeSet<_>>();
    assert!(
        stories.len() > 20 && stories.len() < one_by_one.len(),
        "stories formed"
    );
}
