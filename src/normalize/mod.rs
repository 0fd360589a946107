//! Feed bytes → `domain::Entry`s. The only module that knows feed-rs types.
//! Sanitizes HTML, settles each entry's language, key, canonical URL,
//! authors, translators and explicit links. Does no I/O.
//!
//! The pipeline: `decode` (declared or detected encoding → UTF-8) →
//! `extras` (our strict XML pass: the well-formedness gate, what feed-rs
//! drops, and how many items a lenient reader would see; `repair` runs once
//! if it fails) → feed-rs → `item` (one `Entry` per item). When feed-rs
//! cannot read the document, or reads no entries from one that has items,
//! `lenient` rewrites the variants it does not know (RSS without a version,
//! namespaced RSS and RDF, Atom 0.3) and feed-rs reads that instead. A
//! document with items of which we read none is an error, never an empty
//! success.

mod credits;
mod decode;
mod extras;
mod html_scan;
mod item;
mod json_extras;
mod key;
mod language;
mod lenient;
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

pub use self::url::{canonical_url, published_url, resolve_canonical};
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
    /// The HTTP `Content-Type` it came with (its `charset`), if any.
    pub content_type: Option<&'a str>,
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
    /// A reader would show these items; we could make nothing of them.
    #[error("feed has {items} items we could not read: {why}")]
    ItemsUnreadable { items: usize, why: String },
}

/// Parses raw bytes (any supported format, declared encoding honoured) into
/// normalized entries.
pub fn parse_feed(bytes: &[u8], ctx: &FeedContext<'_>) -> Result<ParsedFeed, NormalizeError> {
    let tld = match ctx.base_url.host() {
        Some(::url::Host::Domain(d)) => d.rsplit('.').next().map(str::to_ascii_lowercase),
        _ => None,
    };
    let decoded = decode::to_utf8(bytes, ctx.content_type, tld.as_deref());
    if decoded.charset == decode::Charset::Detected {
        tracing::debug!(source = %ctx.source, encoding = decoded.encoding.name(), "feed encoding detected");
    }
    let text = decoded.text;
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
    let items = extras.items.len();
    // Strict first: a feed feed-rs reads as it is is never rewritten.
    let strict = match run_feed_rs(text.as_bytes(), ctx) {
        Ok(feed) if !(feed.entries.is_empty() && items > 0) => {
            return Ok(assemble(feed, extras, ctx))
        }
        other => other,
    };
    let crashed = matches!(&strict, Err(NormalizeError::Unreadable(m)) if m == CRASHED);
    let why = match &strict {
        _ if extras.root == "rss" && extras.items_outside_channel == items && items > 0 => {
            "its <item>s are not inside a <channel>".to_string()
        }
        Ok(_) => format!("the parser read no entries from {}", describe(&extras)),
        Err(NormalizeError::NotAFeed(m) | NormalizeError::Unreadable(m)) => m.clone(),
        Err(e) => e.to_string(),
    };
    let Some(fixed) = lenient::rewrite(&text, &extras, crashed) else {
        return match strict {
            // Nothing a reader would show and nothing to repair: the
            // parser's own verdict stands (`NotAFeed` stays `NotAFeed`).
            Err(e) if items == 0 => Err(e),
            _ => unreadable(items, why),
        };
    };
    let fixed_extras = extras::read_xml(&fixed.text).map_err(|e| {
        NormalizeError::Unreadable(format!("{why}; the lenient pass broke it: {e}"))
    })?;
    match run_feed_rs(fixed.text.as_bytes(), ctx) {
        Ok(feed) if !(feed.entries.is_empty() && items > 0) => {
            tracing::debug!(source = %ctx.source, strict = %why, repairs = ?fixed.repairs, "feed read leniently");
            Ok(assemble(feed, fixed_extras, ctx))
        }
        Ok(_) => unreadable(
            items,
            format!("{why}, even after we {}", fixed.repairs.join(", ")),
        ),
        Err(NormalizeError::NotAFeed(m) | NormalizeError::Unreadable(m)) => unreadable(
            items,
            format!("{m} (after we {})", fixed.repairs.join(", ")),
        ),
        Err(e) => unreadable(
            items,
            format!("{e} (after we {})", fixed.repairs.join(", ")),
        ),
    }
}

/// Nothing we could read: an error naming how many items a reader would
/// have shown, or the parser's own error when there were none.
fn unreadable(items: usize, why: String) -> Result<ParsedFeed, NormalizeError> {
    Err(if items > 0 {
        NormalizeError::ItemsUnreadable { items, why }
    } else {
        NormalizeError::Unreadable(why)
    })
}

/// The document as the operator should picture it, for the error.
fn describe(extras: &FeedExtras) -> String {
    let root = match extras.root.as_str() {
        "RDF" => "<rdf:RDF>".to_string(),
        other => format!("<{other}>"),
    };
    match &extras.core_ns {
        Some(ns) => format!("this {root} in namespace {ns}"),
        None => format!("this {root}"),
    }
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
    let to_bytes = |doc: &Value| {
        serde_json::to_vec(doc).map_err(|e| NormalizeError::Unreadable(e.to_string()))
    };
    let mut result = run_feed_rs(&to_bytes(&doc)?, ctx);
    if matches!(&result, Err(NormalizeError::Unreadable(m)) if m == CRASHED) {
        lenient::space_json_addresses(&mut doc);
        result = run_feed_rs(&to_bytes(&doc)?, ctx);
    }
    let items = extras.items.len();
    match result {
        Ok(feed) if !(feed.entries.is_empty() && items > 0) => Ok(assemble(feed, extras, ctx)),
        Ok(_) => unreadable(
            items,
            "the parser read no entries from this JSON Feed".into(),
        ),
        Err(NormalizeError::NotAFeed(m) | NormalizeError::Unreadable(m)) if items > 0 => {
            unreadable(items, m)
        }
        Err(e) => Err(e),
    }
}

/// What `run_feed_rs` says when feed-rs panicked.
const CRASHED: &str = "the feed parser crashed on this document";

fn run_feed_rs(
    bytes: &[u8],
    ctx: &FeedContext<'_>,
) -> Result<feed_rs::model::Feed, NormalizeError> {
    // An id generator that invents nothing: feed-rs would otherwise hash
    // link+title or make a random UUID, and neither is an identity we can
    // keep (see `key`). No sanitizing: we sanitize once, with our own
    // allowlist, and titles must reach us as written.
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(ctx.base_url.as_str()))
        .id_generator(|_, _, _| String::new())
        .sanitize_content(false)
        .build();
    // feed-rs 3 slices strings at byte offsets in places (an author like
    // "编辑：desk@x.example" panics it); a panic in one feed must be that
    // feed's error, not a lost poll.
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parser.parse(bytes)))
        .map_err(|_| NormalizeError::Unreadable(CRASHED.into()))?;
    parsed.map_err(|e| match e {
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
            .map(|t| sanitize::title_text(&t.content, item::is_html(&t)))
            .filter(|t| !t.is_empty()),
        language,
        hub: absolute(extras.hub),
        self_url: absolute(extras.self_url),
        entries,
    }
}
