//! `Entry`: one item of one source, normalized. Produced by `normalize`,
//! kept by `store`, read by `link`, `publish` and `federation`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Lang, SourceId};

/// The stable identity of an item within its source.
///
/// Precedence (see `normalize::key`): the feed's guid/id, else the canonical
/// link, else a hash of the item's body. Never feed-rs's invented id, and
/// never the title, so that a title edit is an update, not a new item.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EntryKey(String);

impl EntryKey {
    pub fn from_guid(guid: &str) -> Self {
        EntryKey(format!("guid:{}", guid.trim()))
    }
    pub fn from_url(canonical_url: &str) -> Self {
        EntryKey(format!("url:{canonical_url}"))
    }
    pub fn from_body_hash(hex: &str) -> Self {
        EntryKey(format!("hash:{hex}"))
    }
    /// Rebuilds a key read back from the store.
    pub fn from_stored(raw: String) -> Self {
        EntryKey(raw)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// What an explicit link of an entry says about the page it points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkRel {
    /// Another language version (`hreflang` set) or another representation.
    Alternate,
    /// `rel="canonical"`.
    Canonical,
    /// `rel="via"`, RSS `<source url>`: where the item came from.
    Via,
    /// The "Original article" link found in the content.
    Original,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryLink {
    pub rel: LinkRel,
    /// Canonical form of the target URL.
    pub href: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hreflang: Option<Lang>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime: Option<String>,
}

/// Where an entry's language came from, most to least trustworthy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LangOrigin {
    Entry,
    Feed,
    Config,
    Detected,
}

impl LangOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            LangOrigin::Entry => "entry",
            LangOrigin::Feed => "feed",
            LangOrigin::Config => "config",
            LangOrigin::Detected => "detected",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "entry" => LangOrigin::Entry,
            "feed" => LangOrigin::Feed,
            "config" => LangOrigin::Config,
            "detected" => LangOrigin::Detected,
            _ => return None,
        })
    }
}

/// One normalized item. Every HTML field is already sanitized.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub source: SourceId,
    pub key: EntryKey,
    /// The item's guid/id as the feed gave it, if it gave one.
    pub guid: Option<String>,
    /// The article's URL exactly as the publisher wrote it (resolved
    /// against the feed's address only when relative): what every feed,
    /// the API and federated posts give readers to follow. Many servers
    /// answer a rewritten URL with another page or a 404.
    pub url: Option<String>,
    /// The matching form of `url` (tracking parameters, fragment, default
    /// port and trailing slash removed; scheme and host lower-cased): keys,
    /// look-ups and linking only, never shown to a reader.
    pub canonical_url: Option<String>,
    pub language: Lang,
    pub language_origin: LangOrigin,
    pub title: String,
    /// Sanitized HTML.
    pub summary: Option<String>,
    /// Sanitized HTML.
    pub content: Option<String>,
    pub authors: Vec<Person>,
    pub translators: Vec<Person>,
    pub categories: Vec<String>,
    pub image: Option<Image>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    /// Every explicit link: hreflang alternates, canonical, via, original.
    pub links: Vec<EntryLink>,
}

impl Entry {
    /// A stable hash of everything a reader would see. A change of this hash
    /// is an edit: the store counts a revision, the feeds and the fediverse
    /// react to it. SHA-256 over a fixed serialization, so it is stable
    /// across processes, versions and machines (never std's hasher).
    pub fn content_hash(&self) -> String {
        // The canonical form, not the published one: a link that differs
        // only in tracking parameters or a trailing slash is not an edit
        // (and entries stored before the published URL was kept keep their
        // hash; the store refreshes their `url` without a revision).
        let visible = (
            &self.canonical_url,
            self.language.as_str(),
            &self.title,
            &self.summary,
            &self.content,
            &self.authors,
            &self.translators,
            &self.categories,
            &self.image,
            &self.published,
            &self.links,
        );
        let bytes = serde_json::to_vec(&visible).unwrap_or_default();
        hex::encode(Sha256::digest(&bytes))
    }

    /// Links to other language versions: alternates that carry `hreflang`.
    pub fn translation_links(&self) -> impl Iterator<Item = &EntryLink> {
        self.links
            .iter()
            .filter(|l| l.rel == LinkRel::Alternate && l.hreflang.is_some())
    }
}
