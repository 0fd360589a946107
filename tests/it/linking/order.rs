//! Linking does not depend on arrival order: the corpus stored and linked
//! in several orders gives the same stories, the same roles and the same
//! `original_url`, as the JSON API shows them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use wirebridge::domain::Role;
use wirebridge::http::{router, App};
use wirebridge::link::EVIDENCE_THRESHOLD;

use super::eval::{self, Order};
use crate::support::{serve_app, sqlite_url};

/// Every entry's story (named by its smallest URL) and role, and every
/// story's `original_url`, read from `/api/stories`.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    entries: BTreeMap<String, (String, String)>,
    originals: BTreeMap<String, Option<String>>,
}

async fn outcome(order: Order) -> Outcome {
    let (_dir, db) = sqlite_url();
    let (store, config) = eval::ingest(&db, EVIDENCE_THRESHOLD, order).await;
    let outlets: BTreeSet<String> = config
        .sources
        .iter()
        .filter(|s| s.role == Role::Outlet)
        .map(|s| s.id.as_str().to_string())
        .collect();
    let base = serve_app(router(App::build(config, store.clone()).expect("services"))).await;
    let mut out = Outcome {
        entries: BTreeMap::new(),
        originals: BTreeMap::new(),
    };
    let mut before = String::new();
    loop {
        let body: Value = reqwest::get(format!("{base}/api/stories?limit=100&before={before}"))
            .await
            .expect("request")
            .json()
            .await
            .expect("json");
        for story in body["stories"].as_array().expect("stories") {
            let entries = story["entries"].as_array().expect("entries");
            let url = |e: &Value| e["url"].as_str().unwrap_or("").to_string();
            let key = entries.iter().map(url).min().unwrap_or_default();
            let primary_outlet = entries.iter().any(|e| {
                e["role"] != "duplicate" && outlets.contains(e["source"].as_str().unwrap_or(""))
            });
            if primary_outlet {
                let original = entries.iter().find(|e| e["role"] == "original");
                assert!(
                    original.is_some_and(|o| outlets.contains(o["source"].as_str().unwrap_or(""))),
                    "{order:?}: the outlet's entry is not the original of {key}"
                );
            }
            for e in entries {
                let role = e["role"].as_str().unwrap_or("").to_string();
                out.entries.insert(url(e), (key.clone(), role));
            }
            out.originals
                .insert(key, story["original_url"].as_str().map(str::to_string));
        }
        match body["next_before"].as_str() {
            Some(next) => before = next.to_string(),
            None => break,
        }
    }
    store.close().await;
    out
}

#[tokio::test]
async fn linking_does_not_depend_on_arrival_order() {
    let reference = outcome(Order::Published).await;
    assert!(
        reference.entries.len() >= 240,
        "{}",
        reference.entries.len()
    );
    for order in [
        Order::OriginalsFirst,
        Order::TranslationsFirst,
        Order::Shuffled(20250317),
        Order::FeedByFeed,
    ] {
        let other = outcome(order).await;
        let mut differences = Vec::new();
        for (url, seen) in &reference.entries {
            let there = other.entries.get(url);
            if there != Some(seen) {
                differences.push(format!("{url}: {seen:?} by date, {there:?} {order:?}"));
            }
        }
        for (story, original) in &reference.originals {
            if other.originals.get(story) != Some(original) {
                differences.push(format!(
                    "original_url of {story}: {original:?} by date, {:?} {order:?}",
                    other.originals.get(story)
                ));
            }
        }
        assert!(
            differences.is_empty(),
            "{} differences:\n{}",
            differences.len(),
            differences.join("\n")
        );
    }
}
