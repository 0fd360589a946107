//! Feed bytes → `domain::Entry`s. The only module that knows feed-rs types.
//! Sanitizes HTML, settles each entry's language, key, canonical URL,
//! authors, translators and explicit links. Does no I/O.
//!
//! The pipeline: `decode` (declared encoding → UTF-8) → `extras` (our strict
//! XML pass: the well-formedness gate and what feed-rs drops; `repair` runs
//! once if it fails) → feed-rs → `item` (one `Entry` per item).

mod credits;
mod decode;
mod extras;
mod item;
mod json_extras;
mod key;
mod language;
mod links;
mod media;
mod page;
mod repair;
mod sanitize;
mod url;

use ::url::Url;
use feed_rs::parser::{ParseErrorKind, ParseFeedError};
use serde_json::Value;

use crate::domain::{Entry, Lang, SourceId};
use decode::Shape;
use extras::{FeedExtras, ItemExtras};

pub use self::url::{canonical_url, resolve_canonical};
pub use language::detect as detect_language;
pub use page::page_alternates;
/// The lenient repair pass on its own (`parse_feed` runs it only after a
/// strict read failed): for the fuzzer and property tests, which check
/// that it never breaks a document that read.
pub use repair::repair as repair_leniently;
pub use sanitize::to_text as html_to_text;

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
    let text = decode::to_utf8(bytes);
    match decode::sniff(&text) {
        Shape::Html => Err(NormalizeError::NotAFeed(
            "the server sent an HTML page, not an RSS, Atom or JSON feed".into(),
        )),
        Shape::Other(start) => Err(NormalizeError::NotAFeed(format!(
            "the body is neither XML nor JSON (it starts with {start:?})"
        ))),
        Shape::Json => parse_json(&text, ctx),
        Shape::Xml => parse_xml(text, ctx),
    }
}

fn parse_xml(text: String, ctx: &FeedContext<'_>) -> Result<ParsedFeed, NormalizeError> {
    // Strict first; the lenient repair only when that failed, so a valid
    // feed is never rewritten.
    let (text, extras) = match extras::read_xml(&text) {
        Ok(extras) => (text, extras),
        Err(first) => {
            let repaired =
                repair::repair(&text).ok_or_else(|| NormalizeError::Unreadable(first.clone()))?;
            match extras::read_xml(&repaired) {
                Ok(extras) => {
                    tracing::debug!(source = %ctx.source, error = %first, "feed repaired leniently");
                    (repaired, extras)
                }
                Err(still) => {
                    return Err(NormalizeError::Unreadable(format!(
                        "{first}; still unreadable after repairing bare `&` and control characters: {still}"
                    )))
                }
            }
        }
    };
    if !matches!(extras.root.as_str(), "rss" | "RDF" | "feed" | "entry") {
        return Err(NormalizeError::NotAFeed(format!(
            "the root element is <{}>, not <rss>, <rdf:RDF> or <feed>",
            extras.root
        )));
    }
    let feed = run_feed_rs(text.as_bytes(), ctx)?;
    Ok(assemble(feed, extras, ctx))
}

fn parse_json(text: &str, ctx: &FeedContext<'_>) -> Result<ParsedFeed, NormalizeError> {
    let (mut doc, extras) = json_extras::read_json(text)?;
    // feed-rs wants string ids; JSON Feed 1.0 publishers often wrote numbers.
    if let Some(items) = doc.get_mut("items").and_then(Value::as_array_mut) {
        for (item, ex) in items.iter_mut().zip(&extras.items) {
            if let (Some(obj), Some(guid)) = (item.as_object_mut(), &ex.guid) {
                obj.insert("id".into(), Value::String(guid.clone()));
            }
        }
    }
    let bytes = serde_json::to_vec(&doc).map_err(|e| NormalizeError::Unreadable(e.to_string()))?;
    let feed = run_feed_rs(&bytes, ctx)?;
    Ok(assemble(feed, extras, ctx))
}

fn run_feed_rs(
    bytes: &[u8],
    ctx: &FeedContext<'_>,
) -> Result<feed_rs::model::Feed, NormalizeError> {
    // An id generator that invents nothing: feed-rs would otherwise hash
    // link+title or make a random UUID, and neither is an identity we can
    // keep (see `key`).
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(ctx.base_url.as_str()))
        .id_generator(|_, _, _| String::new())
        .build();
    parser.parse(bytes).map_err(|e| match e {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => {
            NormalizeError::NotAFeed("no RSS, Atom or JSON Feed root element".into())
        }
        ParseFeedError::JsonUnsupportedVersion(v) => {
            NormalizeError::NotAFeed(format!("unsupported JSON Feed version {v:?}"))
        }
        other => NormalizeError::Unreadable(other.to_string()),
    })
}

fn assemble(feed: feed_rs::model::Feed, extras: FeedExtras, ctx: &FeedContext<'_>) -> ParsedFeed {
    let language = extras
        .language
        .as_deref()
        .or(feed.language.as_deref())
        .and_then(|l| Lang::parse(l).ok());
    // Our pass and feed-rs see the same items in the same order; if they
    // ever disagree, positions cannot be trusted and the extras are dropped
    // rather than attached to the wrong item.
    let aligned = extras.items.len() == feed.entries.len()
        && feed
            .entries
            .iter()
            .zip(&extras.items)
            .all(|(fe, ex)| ex.guid.as_deref().is_none_or(|g| g.trim() == fe.id.trim()));
    if !aligned {
        tracing::warn!(source = %ctx.source, "feed items and extras disagree; ignoring extras");
    }
    let none = ItemExtras::default();
    let entries = feed
        .entries
        .iter()
        .enumerate()
        .map(|(i, fe)| {
            let ex = if aligned { &extras.items[i] } else { &none };
            item::build_entry(fe, ex, language.as_ref(), ctx)
        })
        .collect();
    let absolute = |u: Option<String>| {
        u.and_then(|u| ctx.base_url.join(u.trim()).ok())
            .map(String::from)
    };
    ParsedFeed {
        title: feed
            .title
            .map(|t| sanitize::plain_title(&t.content))
            .filter(|t| !t.is_empty()),
        language,
        hub: absolute(extras.hub),
        self_url: absolute(extras.self_url),
        entries,
    }
}
