//! `stories`, `link` and `unlink`: what the linker made of the entries, and
//! the operator's corrections to it.

use std::collections::HashMap;

use anyhow::Context;
use comfy_table::{presets, Table};

use crate::config::Config;
use crate::domain::when::relative;
use crate::domain::{EntryRole, Lang};
use crate::linker::{LinkOutcome, Linker};
use crate::store::{Store, StoredEntry};

const TITLE_WIDTH: usize = 56;

async fn open(config: &Config) -> anyhow::Result<Store> {
    Store::open(&config.database.url).await.with_context(|| {
        format!(
            "cannot open the database {}",
            crate::config::mask_url(&config.database.url)
        )
    })
}

/// `wirebridge stories [--lang L] [--limit N]`: recent stories, newest first,
/// with the languages they are available in and why entries were linked.
pub async fn list(config: Config, lang: Option<&str>, limit: i64) -> anyhow::Result<()> {
    let lang = lang.map(Lang::parse).transpose().context("--lang")?;
    let store = open(&config).await?;
    let rows = store.stories_page(lang.as_ref(), limit, None).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut members: HashMap<i64, Vec<StoredEntry>> = HashMap::new();
    for m in store.story_members(&ids).await? {
        if let Some(l) = &m.link {
            members.entry(l.story_id).or_default().push(m);
        }
    }
    let prefs = &config.publisher.languages;
    let now = chrono::Utc::now();
    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED);
    table.set_header([
        "story",
        "first seen",
        "languages",
        "title",
        "entries",
        "linked by",
    ]);
    for row in &rows {
        let entries = members.remove(&row.id).unwrap_or_default();
        table.add_row([
            row.id.to_string(),
            relative(row.first_seen_at, now),
            languages(&entries, prefs),
            shorten(&title(&entries, prefs), TITLE_WIDTH),
            entries.len().to_string(),
            rules(&entries),
        ]);
    }
    println!("{table}");
    println!("{} stories", rows.len());
    Ok(())
}

/// `wirebridge link URL URL`.
pub async fn link(config: Config, a: &str, b: &str) -> anyhow::Result<()> {
    let store = open(&config).await?;
    let linker = Linker::new(store, &config);
    let out = linker.link_urls(a, b).await?;
    report(&out, "linked");
    Ok(())
}

/// `wirebridge unlink URL`.
pub async fn unlink(config: Config, url: &str) -> anyhow::Result<()> {
    let store = open(&config).await?;
    let linker = Linker::new(store, &config);
    let out = linker.unlink_url(url).await?;
    report(&out, "unlinked");
    Ok(())
}

fn report(out: &LinkOutcome, what: &str) {
    println!(
        "{what}: entry {} is now in story {} (kept on later polls)",
        out.entry_id, out.story_id
    );
}

/// Languages in the publisher's order, then any others; duplicates once.
fn languages(entries: &[StoredEntry], prefs: &[Lang]) -> String {
    let mut langs: Vec<&Lang> = entries.iter().map(|e| &e.entry.language).collect();
    langs.sort_by_key(|l| {
        (
            prefs.iter().position(|p| p == *l).unwrap_or(prefs.len()),
            l.as_str(),
        )
    });
    langs.dedup();
    langs
        .iter()
        .map(|l| l.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The original's title, else the first in the publisher's language order.
fn title(entries: &[StoredEntry], prefs: &[Lang]) -> String {
    entries
        .iter()
        .min_by_key(|e| {
            let original = e
                .link
                .as_ref()
                .is_some_and(|l| l.role == EntryRole::Original);
            let pos = prefs
                .iter()
                .position(|p| *p == e.entry.language)
                .unwrap_or(prefs.len());
            (!original, pos)
        })
        .map(|e| e.entry.title.clone())
        .unwrap_or_default()
}

fn rules(entries: &[StoredEntry]) -> String {
    let mut rules: Vec<&str> = entries
        .iter()
        .filter_map(|e| e.link.as_ref().and_then(|l| l.rule.as_deref()))
        .collect();
    rules.sort_unstable();
    rules.dedup();
    rules.join(", ")
}

fn shorten(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let cut: String = text.chars().take(width - 1).collect();
    format!("{cut}…")
}
