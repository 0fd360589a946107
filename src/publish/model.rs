//! What a feed says, independent of its format: the stories of one page of
//! one feed, one item per story per language, read from the store. The
//! three writers turn a `FeedDoc` into bytes and decide nothing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{FeedKey, Page, Scope};
use crate::config::Config;
use crate::domain::{EntryRole, Image, Lang, LinkRel, Person, Role};
use crate::store::{Store, StoreError, StoredEntry, StoryRow};

/// One page of one feed, ready to write.
#[derive(Clone, Debug)]
pub struct FeedDoc {
    pub key: FeedKey,
    pub title: String,
    /// The live feed's own URL, for `current` and the home page link.
    pub updated: DateTime<Utc>,
    pub items: Vec<FeedItem>,
    /// RFC 5005: the next older page, if any.
    pub prev_archive: Option<u32>,
    /// RFC 5005: the next newer page (archive pages only).
    pub next_archive: Option<u32>,
    /// A complete archive page (`<fh:archive/>`): its bytes never change.
    pub complete: bool,
}

/// One language version of one story.
#[derive(Clone, Debug)]
pub struct FeedItem {
    /// Stable across edits: the story and the language, never the entry.
    pub id: String,
    pub story_id: i64,
    pub lang: Lang,
    pub title: String,
    pub url: Option<String>,
    /// Sanitized HTML; right-to-left languages wrapped in `dir="rtl"`.
    pub content_html: Option<String>,
    pub summary_html: Option<String>,
    pub authors: Vec<Person>,
    pub translators: Vec<Person>,
    pub categories: Vec<String>,
    pub image: Option<Image>,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// Every other language version of the story that has a URL.
    pub alternates: Vec<Alternate>,
    /// The outlet's original article, when this version is not it.
    pub via: Option<String>,
    /// Who published this version (the source's display name).
    pub source_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alternate {
    pub lang: Lang,
    pub url: String,
    pub title: String,
}

/// Reads the page `key` names, or `None` when that archive page does not
/// exist (yet).
pub async fn load(
    store: &Store,
    config: &Config,
    key: &FeedKey,
) -> Result<Option<FeedDoc>, StoreError> {
    let lang = match &key.scope {
        Scope::All => None,
        Scope::Lang(l) => Some(l),
    };
    let n = config.feeds.live_items.max(1) as i64;
    let count = store.feed_story_count(lang).await?;
    let complete_pages = u32::try_from(count / n).unwrap_or(u32::MAX);
    let (rows, prev, next, complete) = match key.page {
        Page::Live => {
            let rows = store.stories_page(lang, n, None).await?;
            (
                rows,
                (complete_pages > 0).then_some(complete_pages),
                None,
                false,
            )
        }
        Page::Archive(k) => {
            // The page being filled exists too (the newest complete page
            // links to it), but is not an archive document yet.
            if k == 0 || k > complete_pages + 1 {
                return Ok(None);
            }
            let offset = i64::from(k - 1) * n;
            let mut rows = store.feed_stories_oldest_first(lang, offset, n).await?;
            rows.reverse();
            let complete = k <= complete_pages;
            let next = complete.then_some(k + 1);
            (rows, (k > 1).then(|| k - 1), next, complete)
        }
    };
    let items = items(store, config, &rows, lang).await?;
    let updated = items
        .iter()
        .map(|i| i.updated)
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH);
    Ok(Some(FeedDoc {
        title: feed_title(config, &key.scope),
        key: key.clone(),
        updated,
        items,
        prev_archive: prev,
        next_archive: next,
        complete,
    }))
}

pub fn feed_title(config: &Config, scope: &Scope) -> String {
    match scope {
        Scope::All => format!("{} — all languages", config.publisher.name),
        Scope::Lang(l) => format!("{} — {}", config.publisher.name, super::lang_name(l)),
    }
}

async fn items(
    store: &Store,
    config: &Config,
    rows: &[StoryRow],
    lang: Option<&Lang>,
) -> Result<Vec<FeedItem>, StoreError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut by_story: HashMap<i64, Vec<StoredEntry>> = HashMap::new();
    for m in store.story_members(&ids).await? {
        if let Some(l) = &m.link {
            by_story.entry(l.story_id).or_default().push(m);
        }
    }
    let mut out = Vec::new();
    for story in rows {
        let members = by_story.remove(&story.id).unwrap_or_default();
        let versions = versions(config, &members);
        let via = original_url(config, &members);
        for v in versions
            .iter()
            .filter(|v| lang.is_none_or(|l| *l == v.entry.language))
        {
            out.push(item(config, story, v, &versions, via.as_deref()));
        }
    }
    Ok(out)
}

/// One entry per language: the publisher's own version first, then a
/// non-duplicate, then the earliest stored. Ordered by the publisher's
/// language preference.
fn versions<'a>(config: &Config, members: &'a [StoredEntry]) -> Vec<&'a StoredEntry> {
    let rank = |e: &StoredEntry| {
        let publisher = config
            .source(&e.entry.source)
            .is_some_and(|s| s.role == Role::Publisher);
        let duplicate = e
            .link
            .as_ref()
            .is_some_and(|l| l.role == EntryRole::Duplicate);
        (!publisher, duplicate, e.id)
    };
    let mut best: HashMap<&Lang, &StoredEntry> = HashMap::new();
    for m in members {
        let slot = best.entry(&m.entry.language).or_insert(m);
        if rank(m) < rank(slot) {
            *slot = m;
        }
    }
    let prefs = &config.publisher.languages;
    let mut chosen: Vec<&StoredEntry> = best.into_values().collect();
    chosen.sort_by_key(|e| {
        let pos = prefs.iter().position(|l| *l == e.entry.language);
        (pos.unwrap_or(prefs.len()), e.entry.language.clone())
    });
    chosen
}

/// The outlet's article: an outlet member's URL, else the "original" or
/// `via` link a publisher's version names.
fn original_url(config: &Config, members: &[StoredEntry]) -> Option<String> {
    let from_outlet = members.iter().find(|e| {
        config
            .source(&e.entry.source)
            .is_some_and(|s| s.role == Role::Outlet)
            && e.link
                .as_ref()
                .is_some_and(|l| l.role == EntryRole::Original)
    });
    from_outlet.and_then(|e| e.entry.url.clone()).or_else(|| {
        members.iter().find_map(|e| {
            e.entry
                .links
                .iter()
                .find(|l| matches!(l.rel, LinkRel::Original | LinkRel::Via))
                .map(|l| l.href.clone())
        })
    })
}

fn item(
    config: &Config,
    story: &StoryRow,
    v: &StoredEntry,
    versions: &[&StoredEntry],
    via: Option<&str>,
) -> FeedItem {
    let e = &v.entry;
    let rtl = |html: &String| {
        if e.language.is_rtl() {
            format!("<div dir=\"rtl\" lang=\"{}\">{html}</div>", e.language)
        } else {
            html.clone()
        }
    };
    let alternates = versions
        .iter()
        .filter(|o| o.entry.language != e.language)
        .filter_map(|o| {
            Some(Alternate {
                lang: o.entry.language.clone(),
                url: o.entry.url.clone()?,
                title: o.entry.title.clone(),
            })
        })
        .collect();
    let updated = [Some(story.updated_at), Some(v.changed_at), e.updated]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(story.updated_at);
    let host = config.server.public_url.host_str().unwrap_or("localhost");
    FeedItem {
        id: format!("tag:{host},2026:story/{}/{}", story.id, e.language),
        story_id: story.id,
        lang: e.language.clone(),
        title: e.title.clone(),
        url: e.url.clone(),
        content_html: e.content.as_ref().or(e.summary.as_ref()).map(rtl),
        summary_html: e.summary.as_ref().filter(|_| e.content.is_some()).map(rtl),
        authors: e.authors.clone(),
        translators: e.translators.clone(),
        categories: e.categories.clone(),
        image: e.image.clone(),
        published: e.published.unwrap_or(v.first_seen_at),
        updated,
        alternates,
        // Not a link to the item itself, in whatever form either was written.
        via: via
            .filter(|o| {
                e.canonical_url.is_none() || crate::normalize::canonical_url(o) != e.canonical_url
            })
            .map(str::to_string),
        source_name: config
            .source(&e.source)
            .map_or_else(|| e.source.to_string(), |s| s.name.clone()),
    }
}
