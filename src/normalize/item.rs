//! One feed-rs entry plus what our own pass read about it → `domain::Entry`.

use feed_rs::model::{Entry as FeedEntry, Person as FeedPerson, Text};
use url::Url;

use super::extras::ItemExtras;
use super::key::{entry_key, Body};
use super::links::{explicit_links, original_link, push_unique};
use super::sanitize::{plain_title, sanitize_html, text_to_html, to_text};
use super::url::resolve_canonical;
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
    let url = article_url(fe, extras, guid.as_deref(), ctx.base_url);
    let base = url
        .as_deref()
        .and_then(|u| Url::parse(u).ok())
        .unwrap_or_else(|| ctx.base_url.clone());

    let title = fe
        .title
        .as_ref()
        .map(|t| plain_title(&t.content))
        .unwrap_or_default();
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

    let mut links = explicit_links(&extras.links, ctx.base_url, url.as_deref());
    if let Some(original) = [content.as_deref(), summary.as_deref()]
        .into_iter()
        .flatten()
        .find_map(|html| original_link(html, url.as_deref()))
    {
        push_unique(&mut links, original);
    }

    let raw_content = fe.content.as_ref().and_then(|c| c.body.as_deref());
    let key = entry_key(
        guid.as_deref(),
        url.as_deref(),
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
        language: lang,
        language_origin,
        title,
        authors: people(&fe.authors),
        translators: translators(fe, extras, &visible_text),
        categories: categories(fe),
        image: media::pick_image(
            &fe.media,
            extras.image.as_deref(),
            content.as_deref(),
            &base,
        ),
        published: fe.published,
        updated: fe.updated,
        summary,
        content,
        links,
    }
}

/// The article's own address: JSON Feed `url`; else the first plain
/// alternate link (not another language's); else a permalink-looking guid,
/// as RSS readers do when `<link>` is missing.
fn article_url(
    fe: &FeedEntry,
    extras: &ItemExtras,
    guid: Option<&str>,
    base: &Url,
) -> Option<String> {
    if let Some(url) = extras.url.as_deref() {
        return resolve_canonical(url, base);
    }
    let own = fe.links.iter().find(|l| {
        matches!(l.rel.as_deref(), None | Some("alternate"))
            && (l.href_lang.is_none()
                || l.href_lang.as_deref().map(str::to_ascii_lowercase)
                    == extras.language.as_deref().map(str::to_ascii_lowercase))
            && l.media_type.as_deref().is_none_or(|t| t.contains("html"))
    });
    own.and_then(|l| resolve_canonical(&l.href, base))
        .or_else(|| {
            guid.filter(|g| g.starts_with("http://") || g.starts_with("https://"))
                .and_then(|g| resolve_canonical(g, base))
        })
}

fn html_of_text(text: &Text, base: &Url) -> Option<String> {
    if text.content_type.to_string().starts_with("text/plain") {
        sanitize_html(&text_to_html(&text.content), base)
    } else {
        sanitize_html(&text.content, base)
    }
}

/// RSS `<author>` is an email address, maybe with the name in parentheses:
/// feed-rs hands it over as a person called "author". Bare addresses are
/// not published.
fn person(p: &FeedPerson) -> Option<Person> {
    let name = if p.name == "author" {
        let email = p.email.as_deref()?.trim();
        match (email.find('('), email.rfind(')')) {
            (Some(open), Some(close)) if open < close => email[open + 1..close].trim().to_string(),
            _ if email.contains('@') => return None,
            _ => email.to_string(),
        }
    } else {
        plain_title(&p.name)
    };
    (!name.is_empty()).then(|| Person {
        name,
        url: p.uri.as_deref().and_then(super::url::canonical_url),
    })
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
