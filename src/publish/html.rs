//! A feed as a page for people: what a browser gets when it asks for a feed
//! and prefers HTML. It replaces what `feed.xsl` did in browsers (Chromium
//! is removing XSLT): the feed's title, the address to copy into a feed
//! reader, and each item with its language and its other language
//! versions. Built with maud, which escapes every value; no script, no
//! resource from elsewhere.

use chrono::SecondsFormat;
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::{feed_path, lang_name, public, FeedDoc, FeedItem, Format, Page};
use crate::config::Config;
use crate::domain::Lang;

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;\
padding:0 1rem;color:#222}.note{background:#f3f1e8;padding:.75rem 1rem;border-radius:6px}\
.note input{width:100%;box-sizing:border-box;font:inherit;padding:.2rem .4rem;margin-top:.4rem}\
article{border-top:1px solid #ddd;padding:1rem 0}h2{margin:0 0 .3rem;font-size:1.2rem}article p{margin:.3rem 0}\
.meta,.langs,.nav{color:#555;font-size:.9rem}.lang{font-weight:600}[dir=rtl]{text-align:right}";

fn dir(lang: &Lang) -> &'static str {
    if lang.is_rtl() {
        "rtl"
    } else {
        "ltr"
    }
}

/// The page for `doc`, as UTF-8 bytes.
pub(super) fn render(config: &Config, doc: &FeedDoc) -> Vec<u8> {
    let key = &doc.key;
    // An archive page is read, not subscribed to: the address to copy is
    // the live feed's.
    let live = public(config, &feed_path(&key.scope, Page::Live, key.format));
    // The page's own words are the home page's; each entry carries its
    // language and direction.
    let page_lang = config
        .publisher
        .languages
        .first()
        .map_or("en", |l| l.as_str());
    html! {
        (DOCTYPE)
        html lang=(page_lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (doc.title) }
                link rel="alternate" type=(key.format.media_type()) title=(doc.title) href=(live);
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 #feed-title { (doc.title) }
                div.note {
                    "This is a web feed (" (key.format.label()) "). "
                    "Copy its address into your feed reader to subscribe:"
                    input #subscribe type="url" readonly value=(live) aria-label="Feed address";
                }
                (nav(config, doc))
                @if doc.items.is_empty() { p { "No stories yet." } }
                @for item in &doc.items { (entry(item)) }
            }
        }
    }
    .into_string()
    .into_bytes()
}

/// The other formats of this feed, the home page, and for an archive page
/// its neighbours.
fn nav(config: &Config, doc: &FeedDoc) -> Markup {
    let key = &doc.key;
    let others = Format::ALL.into_iter().filter(|f| *f != key.format);
    html! {
        p.nav {
            "Also as "
            @for (i, f) in others.enumerate() {
                @if i > 0 { " · " }
                a href=(public(config, &feed_path(&key.scope, key.page, f))) type=(f.media_type()) { (f.label()) }
            }
            " · " a href=(public(config, "/")) { "every feed of " (config.publisher.name) }
        }
        @if let Page::Archive(n) = key.page {
            p.nav {
                "Archive page " (n) ". "
                @if let Some(p) = doc.prev_archive {
                    a href=(public(config, &feed_path(&key.scope, Page::Archive(p), key.format))) { "Older" } " · "
                }
                @if let Some(p) = doc.next_archive {
                    a href=(public(config, &feed_path(&key.scope, Page::Archive(p), key.format))) { "Newer" } " · "
                }
                a href=(public(config, &feed_path(&key.scope, Page::Live, key.format))) { "Latest" }
            }
        }
    }
}

fn entry(item: &FeedItem) -> Markup {
    let authors: Vec<&str> = item.authors.iter().map(|a| a.name.as_str()).collect();
    html! {
        article.entry lang=(item.lang) dir=(dir(&item.lang)) {
            h2 {
                @match &item.url {
                    Some(url) => a href=(url) { (item.title) },
                    None => (item.title),
                }
            }
            p.meta {
                span.lang { (lang_name(&item.lang)) }
                @if !authors.is_empty() { " · " (authors.join(", ")) }
                " · "
                time datetime=(item.published.to_rfc3339_opts(SecondsFormat::Secs, true)) {
                    (item.published.format("%Y-%m-%d"))
                }
                " · " (item.source_name)
                @if let Some(via) = &item.via { " · " a href=(via) { "Original article" } }
            }
            @if !item.alternates.is_empty() {
                p.langs dir="ltr" {
                    "Also in: "
                    @for (i, alt) in item.alternates.iter().enumerate() {
                        @if i > 0 { " · " }
                        a href=(alt.url) hreflang=(alt.lang) lang=(alt.lang) title=(alt.title) {
                            (lang_name(&alt.lang))
                        }
                    }
                }
            }
        }
    }
}
