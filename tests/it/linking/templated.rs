//! Distinct articles stay distinct whatever their shape: templated items
//! that differ only in their figures (a numbered series, a daily bulletin,
//! a live count) are not duplicates of each other.

use chrono::{Duration, TimeZone, Utc};
use wirebridge::config::Config;
use wirebridge::domain::{Entry, EntryKey, EntryRole, Lang, LangOrigin, SourceId};
use wirebridge::linker::Linker;
use wirebridge::store::Store;

use crate::support::sqlite_url;

const FEEDS: usize = 200;
const ITEMS: usize = 50;

fn config(db: &str) -> Config {
    let mut toml = format!(
        "[server]\nbind = \"127.0.0.1:0\"\npublic_url = \"https://wire.example.org\"\n\
         [database]\nurl = \"{db}\"\n[publisher]\nname = \"The Wire\"\nlanguages = [\"en\"]\n"
    );
    for f in 0..FEEDS {
        toml.push_str(&format!(
            "[[sources]]\nid = \"gauge-{f:03}\"\nname = \"Gauge {f}\"\nrole = \"outlet\"\n\
             url = \"https://gauge-{f:03}.example/feed.xml\"\nlanguage = \"en\"\n"
        ));
    }
    Config::parse(std::path::Path::new("templated.toml"), &toml).expect("config")
}

/// Item `i` of feed `f`: one sentence for every item of every feed, only
/// the figures differ (and they differ everywhere).
fn item(f: usize, i: usize) -> Entry {
    let start = Utc
        .with_ymd_and_hms(2025, 3, 1, 0, 0, 0)
        .single()
        .expect("date");
    let url = format!("https://gauge-{f:03}.example/bulletins/{i}");
    let n = f * ITEMS + i;
    let level = format!("{}.{:02}", 1 + n % 7, n % 100);
    let flow = 1_000 + n;
    let barges = 10 + (n * 7) % 89;
    Entry {
        source: SourceId::parse(&format!("gauge-{f:03}")).expect("id"),
        key: EntryKey::from_url(&url),
        guid: None,
        url: Some(url.clone()),
        canonical_url: Some(url),
        language: Lang::parse("en").expect("lang"),
        language_origin: LangOrigin::Feed,
        title: format!("River bulletin no. {}", i + 1),
        summary: None,
        content: Some(format!(
            "<p>The river at the upper gauge stood at {level} metres this morning, with {flow} \
             cubic metres a second flowing past the station and {barges} barges waiting at the \
             lock for the water to fall.</p>"
        )),
        authors: Vec::new(),
        translators: Vec::new(),
        categories: Vec::new(),
        image: None,
        published: Some(start + Duration::minutes((i * FEEDS + f) as i64)),
        updated: None,
        links: Vec::new(),
    }
}

#[tokio::test]
async fn ten_thousand_templated_items_differing_only_in_figures_stay_distinct() {
    let (_dir, db) = sqlite_url();
    let config = config(&db);
    let store = Store::open(&db).await.expect("store");
    wirebridge::ingest::poll::register_sources(&store, &config)
        .await
        .expect("sources");
    let linker = Linker::new(store.clone(), &config);
    let now = Utc::now();
    let started = std::time::Instant::now();
    for i in 0..ITEMS {
        // One poll round: every feed publishes its next bulletin.
        let round: Vec<Entry> = (0..FEEDS).map(|f| item(f, i)).collect();
        let summary = store.upsert_entries(&round, now).await.expect("upsert");
        assert_eq!(summary.changed_ids.len(), FEEDS);
        linker
            .link_entries(&summary.changed_ids)
            .await
            .expect("link");
    }
    eprintln!(
        "linked {} templated items in {:.1?}",
        FEEDS * ITEMS,
        started.elapsed()
    );
    let mut stories = std::collections::BTreeSet::new();
    let mut duplicates = Vec::new();
    for s in &config.sources {
        for e in store
            .entries_of_source(&s.id, 1_000)
            .await
            .expect("entries")
        {
            let link = e.link.expect("every item is linked");
            stories.insert(link.story_id);
            if link.role == EntryRole::Duplicate {
                duplicates.push(format!("{:?} ({:?})", e.entry.url, link.why));
            }
        }
    }
    assert!(
        duplicates.is_empty(),
        "{} items folded as duplicates, e.g. {:?}",
        duplicates.len(),
        &duplicates[..duplicates.len().min(5)]
    );
    assert_eq!(stories.len(), FEEDS * ITEMS, "every item is its own story");
}
