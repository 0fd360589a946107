//! Republishing: the only code that writes RSS 2.0, Atom 1.0 and JSON Feed
//! 1.1. `model` reads one page of one feed from the store, `atom`, `rss`
//! and `json` write it, `cache` keeps the rendered (and pre-compressed)
//! bytes until the store's content changes, `websub` pings the hub then.
//!
//! RSS is written with the `rss` crate (its Dublin Core and Atom
//! extensions, plain namespaced elements for `fh:` and `media:`, the
//! `xml-stylesheet` instruction spliced in after its declaration). Atom
//! stays on quick-xml: `atom_syndication` has no `xml:lang` on an entry,
//! and the combined feed mixes languages, so each entry must carry its own.
//! JSON Feed is a `serde_json` map: the format is small, and the crates for
//! it have no room for our `_wirebridge` extension objects. `html` is the
//! same page for people, for browsers that ask for HTML.

mod atom;
mod cache;
mod html;
mod json;
mod model;
mod rss;
pub mod websub;
mod xml;

use std::fmt;

pub use cache::{Encoded, Feeds, Rendered};
pub use model::{feed_title, load, Alternate, FeedDoc, FeedItem};

use crate::config::Config;
use crate::domain::Lang;

/// The stylesheet a browser applies to our RSS and Atom XML. Browsers that
/// prefer HTML get `html`'s page instead; it stays for a client shown the
/// XML, and because every XML feed names it (removing that instruction
/// would change every feed's bytes).
pub const FEED_XSL: &str = include_str!("../../assets/feed.xsl");
/// Where the stylesheet is served, relative to the site root.
pub const FEED_XSL_PATH: &str = "/feeds/feed.xsl";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Atom, Format::Rss, Format::Json];

    pub fn parse(ext: &str) -> Option<Format> {
        match ext.to_ascii_lowercase().as_str() {
            "rss" => Some(Format::Rss),
            "atom" => Some(Format::Atom),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    pub fn ext(self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
            Format::Json => "json",
        }
    }

    /// The registered media type, as autodiscovery links name it.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml",
            Format::Atom => "application/atom+xml",
            Format::Json => "application/feed+json",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Format::Rss => "RSS",
            Format::Atom => "Atom",
            Format::Json => "JSON Feed",
        }
    }
}

/// Which stories a feed carries.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every language version of every story.
    All,
    /// One of the publisher's languages.
    Lang(Lang),
}

impl Scope {
    /// Resolves the `{lang}` of a feed URL, case-insensitively, against the
    /// publisher's languages (only those are feeds).
    pub fn parse(raw: &str, config: &Config) -> Option<Scope> {
        if raw.eq_ignore_ascii_case("all") {
            return Some(Scope::All);
        }
        config
            .publisher
            .languages
            .iter()
            .find(|l| l.matches_ignore_case(raw))
            .map(|l| Scope::Lang(l.clone()))
    }

    pub fn slug(&self) -> &str {
        match self {
            Scope::All => "all",
            Scope::Lang(l) => l.as_str(),
        }
    }
}

/// A live feed or one of its RFC 5005 archive pages (1 = oldest).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Page {
    Live,
    Archive(u32),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FeedKey {
    pub scope: Scope,
    pub page: Page,
    pub format: Format,
}

impl fmt::Display for FeedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&feed_path(&self.scope, self.page, self.format))
    }
}

/// `/feeds/fr.atom`, `/feeds/fr/archive/3.atom`.
pub fn feed_path(scope: &Scope, page: Page, format: Format) -> String {
    match page {
        Page::Live => format!("/feeds/{}.{}", scope.slug(), format.ext()),
        Page::Archive(n) => format!("/feeds/{}/archive/{n}.{}", scope.slug(), format.ext()),
    }
}

/// An absolute URL under `server.public_url` (which may have a path).
pub fn public(config: &Config, path: &str) -> String {
    format!(
        "{}{path}",
        config.server.public_url.as_str().trim_end_matches('/')
    )
}

/// A language's name in that language, for people choosing a feed.
pub fn lang_name(lang: &Lang) -> String {
    const NAMES: &[(&str, &str)] = &[
        ("en", "English"),
        ("pt-BR", "Português (Brasil)"),
        ("pt-PT", "Português (Portugal)"),
        ("pt", "Português"),
        ("de", "Deutsch"),
        ("fr", "Français"),
        ("ar", "العربية"),
        ("es", "Español"),
        ("it", "Italiano"),
        ("nl", "Nederlands"),
        ("pl", "Polski"),
        ("tr", "Türkçe"),
        ("ru", "Русский"),
        ("uk", "Українська"),
        ("fa", "فارسی"),
        ("he", "עברית"),
        ("ur", "اردو"),
        ("ja", "日本語"),
        ("zh", "中文"),
        ("ko", "한국어"),
        ("hi", "हिन्दी"),
    ];
    let exact = NAMES.iter().find(|(tag, _)| *tag == lang.as_str());
    let primary = NAMES.iter().find(|(tag, _)| *tag == lang.primary());
    exact
        .or(primary)
        .map_or_else(|| lang.as_str().to_string(), |(_, name)| name.to_string())
}

/// The stylesheet's URL relative to a feed, so it resolves on whatever
/// origin (and path prefix) served the feed.
fn xsl_href(page: Page) -> String {
    match page {
        Page::Live => "feed.xsl".to_string(),
        Page::Archive(_) => "../../feed.xsl".to_string(),
    }
}

/// The links every format carries besides `self`: the WebSub hub, and the
/// RFC 5005 `current` / `prev-archive` / `next-archive`.
fn history_links(config: &Config, doc: &FeedDoc, format: Format) -> Vec<(&'static str, String)> {
    let scope = &doc.key.scope;
    let mut links = Vec::new();
    if let Some(hub) = &config.websub.hub {
        links.push(("hub", hub.to_string()));
    }
    if doc.key.page != Page::Live {
        links.push((
            "current",
            public(config, &feed_path(scope, Page::Live, format)),
        ));
    }
    if let Some(n) = doc.prev_archive {
        let path = feed_path(scope, Page::Archive(n), format);
        links.push(("prev-archive", public(config, &path)));
    }
    if let Some(n) = doc.next_archive {
        let path = feed_path(scope, Page::Archive(n), format);
        links.push(("next-archive", public(config, &path)));
    }
    links
}

/// Writes a feed page in one format.
pub fn render(config: &Config, doc: &FeedDoc) -> Vec<u8> {
    match doc.key.format {
        Format::Atom => atom::write(config, doc),
        Format::Rss => rss::write(config, doc),
        Format::Json => json::write(config, doc),
    }
}
