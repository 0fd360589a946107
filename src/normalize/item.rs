//! One feed-rs entry plus what our own pass read about it → `domain::Entry`.

use feed_rs::model::{Entry as FeedEntry, Person as FeedPerson, Text};
use url::Url;

use super::extras::ItemExtras;
use super::key::{entry_key, Body};
use super::links::{explicit_links, original_link, push_unique};
use super::sanitize::{plain_title, sanitize_html, text_to_html, title_text, to_text};
use super::url::{canonical_url, published_url};
use super::{credits, language, media, FeedContext};
use crate::domain::{Entry, Lang, Person};

pub fn build_entry(
    fe: &FeedEntry,
    extras: &ItemExtras,
    feed_language: Option<&Lang>,
    ctx: &FeedContext<'_>,
) -> Entry {
    // Our parser builder invents no ids, so an empty id means the item had
    // none (see `key`).
    let guid = Some(fe.id.trim())
        .filter(|id| !id.is_empty())
        .map(str::to_string);
    let item_base = item_base(extras, ctx.base_url);
    let url = article_url(fe, extras, guid.as_deref(), &item_base);
    let canonical = url.as_deref().and_then(canonical_url);
    let base = url
        .as_deref()
        .and_then(|u| Url::parse(u).ok())
        .unwrap_or_else(|| item_base.clone());

    let title = entry_title(fe, extras);
    let summary = fe.summary.as_ref().and_then(|t| html_of_text(t, &base));
    let content = fe.content.as_ref().and_then(|c| {
        let body = c.body.as_deref()?;
        if c.content_type.to_string().starts_with("text/plain") {
            sanitize_html(&text_to_html(body), &base)
        } else {
            sanitize_html(body, &base)
        }
    });
    let visible_text = [
        title.clone(),
        summary.as_deref().map(to_text).unwrap_or_default(),
        content.as_deref().map(to_text).unwrap_or_default(),
    ]
    .join("\n");

    let (lang, language_origin) = language::resolve(
        extras.language.as_deref(),
        feed_language,
        ctx.fallback_language,
        &visible_text,
    );

    let mut links = explicit_links(&extras.links, &item_base, canonical.as_deref());
    if let Some(original) = [content.as_deref(), summary.as_deref()]
        .into_iter()
        .flatten()
        .find_map(|html| original_link(html, canonical.as_deref()))
    {
        push_unique(&mut links, original);
    }

    let raw_content = fe.content.as_ref().and_then(|c| c.body.as_deref());
    let key = entry_key(
        guid.as_deref(),
        canonical.as_deref(),
        &Body {
            content: raw_content,
            summary: fe.summary.as_ref().map(|t| t.content.as_str()),
            published: fe.published.map(|d| d.to_rfc3339()),
            title: &title,
        },
    );

    Entry {
        source: ctx.source.clone(),
        key,
        guid,
        url,
        canonical_url: canonical,
        language: lang,
        language_origin,
        title,
        authors: people(&fe.authors),
        translators: translators(fe, extras, &visible_text),
        categories: categories(fe),
        image: media::pick_image(&fe.media, extras, content.as_deref(), &base),
        published: fe.published,
        updated: fe.updated,
        summary,
        content,
        links,
    }
}

/// The base relative links of the item resolve against: the feed's URL
/// under any `xml:base` in force.
fn item_base(extras: &ItemExtras, feed: &Url) -> Url {
    extras
        .xml_base
        .iter()
        .fold(feed.clone(), |base, b| base.join(b).unwrap_or(base))
}

/// The article's own address as the publisher wrote it: JSON Feed `url`;
/// else the RSS `<link>`; else the first plain alternate link (not another
/// language's); else a permalink-looking guid, as RSS readers do when
/// `<link>` is missing. Read from our own pass, because feed-rs
/// re-serializes URLs (host lower-cased, escapes changed); its links are
/// the fallback only when our pass could not be matched to the items.
fn article_url(
    fe: &FeedEntry,
    extras: &ItemExtras,
    guid: Option<&str>,
    base: &Url,
) -> Option<String> {
    let same_language = |hreflang: Option<&str>| {
        hreflang.is_none()
            || hreflang.map(str::to_ascii_lowercase)
                == extras.language.as_deref().map(str::to_ascii_lowercase)
    };
    let html = |t: Option<&str>| t.is_none_or(|t| t.contains("html"));
    let written = extras
        .url
        .as_deref()
        .or(extras.link.as_deref())
        .or_else(|| {
            extras
                .links
                .iter()
                .find(|l| {
                    l.rel.eq_ignore_ascii_case("alternate")
                        && same_language(l.hreflang.as_deref())
                        && html(l.media_type.as_deref())
                })
                .map(|l| l.href.as_str())
        });
    let parsed = || {
        fe.links
            .iter()
            .find(|l| {
                matches!(l.rel.as_deref(), None | Some("alternate"))
                    && same_language(l.href_lang.as_deref())
                    && html(l.media_type.as_deref())
            })
            .map(|l| l.href.as_str())
    };
    written
        .and_then(|u| published_url(u, base))
        .or_else(|| parsed().and_then(|u| published_url(u, base)))
        .or_else(|| {
            guid.filter(|g| g.starts_with("http://") || g.starts_with("https://"))
                .and_then(|g| published_url(g, base))
        })
}

/// The title a reader sees. Inline markup written as child elements is
/// read from our pass (feed-rs stops at the first child); otherwise
/// feed-rs's text, read by its type; `dc:title` when there is no title.
fn entry_title(fe: &FeedEntry, extras: &ItemExtras) -> String {
    if let Some(raw) = extras.title.as_ref().filter(|t| t.markup) {
        return title_text(&raw.text, false);
    }
    fe.title
        .as_ref()
        .map(|t| title_text(&t.content, is_html(t)))
        .filter(|t| !t.is_empty())
        .or_else(|| extras.dc_title.as_deref().map(|t| title_text(t, false)))
        .unwrap_or_default()
}

/// Whether a feed-rs text is HTML (Atom `type="html"` / `"xhtml"`, RSS
/// `<description>`) rather than plain text.
pub fn is_html(text: &Text) -> bool {
    !text.content_type.to_string().starts_with("text/plain")
}

fn html_of_text(text: &Text, base: &Url) -> Option<String> {
    if is_html(text) {
        sanitize_html(&text.content, base)
    } else {
        sanitize_html(&text_to_html(&text.content), base)
    }
}

/// feed-rs 3 splits RSS `<author>` ("desk@x.example (Name)") into an
/// address and the rest, which keeps its parentheses; bare addresses are
/// not published.
fn person(p: &FeedPerson) -> Option<Person> {
    let raw = p.name.as_deref().unwrap_or("").trim();
    let unwrapped = match (raw.chars().next(), raw.chars().last()) {
        (Some('('), Some(')')) | (Some('<'), Some('>')) | (Some('"'), Some('"'))
            if raw.len() > 1 =>
        {
            &raw[1..raw.len() - 1]
        }
        _ => raw,
    };
    let name = plain_title(unwrapped);
    (!name.is_empty() && !looks_like_an_address(&name)).then(|| Person {
        name,
        url: p.uri.as_deref().and_then(super::url::canonical_url),
    })
}

fn looks_like_an_address(name: &str) -> bool {
    name.contains('@') && !name.contains(' ')
}

fn people(list: &[FeedPerson]) -> Vec<Person> {
    let mut out: Vec<Person> = Vec::new();
    for p in list.iter().filter_map(person) {
        if !out.iter().any(|o| o.name.eq_ignore_ascii_case(&p.name)) {
            out.push(p);
        }
    }
    out
}

/// Atom `<contributor>`, `dc:contributor`, then credits in the text.
fn translators(fe: &FeedEntry, extras: &ItemExtras, text: &str) -> Vec<Person> {
    let mut out = people(&fe.contributors);
    let named = extras
        .contributors
        .iter()
        .map(|n| plain_title(n))
        .chain(credits::translators_in(text));
    for name in named {
        if !name.is_empty() && !out.iter().any(|o| o.name.eq_ignore_ascii_case(&name)) {
            out.push(Person { name, url: None });
        }
    }
    out
}

fn categories(fe: &FeedEntry) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in &fe.categories {
        let label = c
            .label
            .as_deref()
            .filter(|l| !l.trim().is_empty())
            .unwrap_or(&c.term);
        let label = plain_title(label);
        if !label.is_empty() && !out.iter().any(|o| o.to_lowercase() == label.to_lowercase()) {
            out.push(label);
        }
    }
    out
}
