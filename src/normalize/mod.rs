//! Feed bytes → `domain::Entry`s. The only module that knows feed-rs types.
//! Sanitizes HTML, settles each entry's language, key, canonical URL,
//! authors, translators and explicit links. Does no I/O.

use url::Url;

use crate::domain::{Entry, Lang, SourceId};

/// What `parse_feed` needs to know about the source.
#[derive(Clone, Debug)]
pub struct FeedContext<'a> {
    pub source: &'a SourceId,
    /// The source's configured language: used when neither the item nor the
    /// feed says.
    pub fallback_language: &'a Lang,
    /// The URL the feed was fetched from, to resolve relative links.
    pub base_url: &'a Url,
}

#[derive(Clone, Debug)]
pub struct ParsedFeed {
    pub title: Option<String>,
    pub language: Option<Lang>,
    /// WebSub: `rel="hub"` and `rel="self"` of the feed, if advertised.
    pub hub: Option<String>,
    pub self_url: Option<String>,
    pub entries: Vec<Entry>,
}

#[derive(Debug, thiserror::Error)]
pub enum NormalizeError {
    #[error("not a feed: {0}")]
    NotAFeed(String),
    #[error("unreadable feed: {0}")]
    Unreadable(String),
}

/// Parses raw bytes (any supported format, declared encoding honoured) into
/// normalized entries.
pub fn parse_feed(bytes: &[u8], ctx: &FeedContext<'_>) -> Result<ParsedFeed, NormalizeError> {
    let _ = (bytes, ctx);
    Err(NormalizeError::Unreadable("not implemented yet".into()))
}

/// Canonical form of an article URL: scheme and host lower case, default
/// port, fragment and tracking parameters removed, no trailing slash.
pub fn canonical_url(raw: &str) -> Option<String> {
    Url::parse(raw).ok().map(|u| u.to_string())
}
