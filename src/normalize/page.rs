//! An article page's `<link rel="alternate" hreflang>` tags: the other
//! language versions a publisher declares in the page head but not in its
//! feed. A tag scan rather than a full HTML parse: only `<link>` elements
//! are read, and they are void elements whose attributes a regex covers.

use ::url::Url;
use once_cell::sync::Lazy;
use regex::Regex;

use super::url::resolve_canonical;
use crate::domain::{EntryLink, Lang, LinkRel};

/// Only the head matters, and it comes first.
const SCAN_LIMIT: usize = 512 * 1024;

static LINK_TAG: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"(?is)<link\b[^>]*>").expect("static regex"));
static ATTR: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r#"(?is)([a-z][a-z0-9_:-]*)\s*=\s*("([^"]*)"|'([^']*)'|([^\s"'>]+))"#)
        .expect("static regex")
});

/// The hreflang alternates declared in `html`, resolved against the page
/// URL and canonicalized; the page itself and `x-default` left out.
pub fn page_alternates(html: &str, page: &Url) -> Vec<EntryLink> {
    let head = match html.char_indices().nth(SCAN_LIMIT) {
        Some((i, _)) => &html[..i],
        None => html,
    };
    let own = resolve_canonical(page.as_str(), page);
    let mut out: Vec<EntryLink> = Vec::new();
    for tag in LINK_TAG.find_iter(head) {
        let mut rel = None;
        let mut href = None;
        let mut hreflang = None;
        for a in ATTR.captures_iter(tag.as_str()) {
            let value = a
                .get(3)
                .or(a.get(4))
                .or(a.get(5))
                .map(|m| decode_entities(m.as_str()));
            match a[1].to_ascii_lowercase().as_str() {
                "rel" => rel = value,
                "href" => href = value,
                "hreflang" => hreflang = value,
                _ => {}
            }
        }
        let is_alternate = rel.as_deref().is_some_and(|r| {
            r.split_ascii_whitespace()
                .any(|t| t.eq_ignore_ascii_case("alternate"))
        });
        let (Some(href), Some(tag)) = (href, hreflang) else {
            continue;
        };
        let Ok(lang) = Lang::parse(&tag) else {
            continue; // x-default and garbage
        };
        let Some(href) = resolve_canonical(&href, page) else {
            continue;
        };
        if !is_alternate || Some(&href) == own.as_ref() || out.iter().any(|l| l.href == href) {
            continue;
        }
        out.push(EntryLink {
            rel: LinkRel::Alternate,
            href,
            hreflang: Some(lang),
            title: None,
        });
    }
    out
}

fn decode_entities(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pages_hreflang_alternates_are_read_relative_and_absolute() {
        let html = r#"<!DOCTYPE html><html><head>
            <link rel="canonical" href="https://wire.example.org/fr/greve">
            <link rel="alternate" hreflang="en" href="/en/strike?utm_source=x">
            <LINK REL='alternate' HREFLANG='pt-br' HREF='https://wire.example.org/pt-br/greve'>
            <link rel="alternate" hreflang="x-default" href="/">
            <link rel="alternate" hreflang="fr" href="https://wire.example.org/fr/greve">
            <link rel="stylesheet" href="/s.css">
            <link rel="alternate" type="application/rss+xml" href="/fr/feed">
            </head><body><link rel="alternate" hreflang="de" href="/de/streik"></body></html>"#;
        let page = Url::parse("https://wire.example.org/fr/greve").unwrap();
        let found: Vec<(String, String)> = page_alternates(html, &page)
            .into_iter()
            .map(|l| (l.hreflang.unwrap().to_string(), l.href))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "en".to_string(),
                    "https://wire.example.org/en/strike".to_string()
                ),
                (
                    "pt-BR".to_string(),
                    "https://wire.example.org/pt-br/greve".to_string()
                ),
                (
                    "de".to_string(),
                    "https://wire.example.org/de/streik".to_string()
                ),
            ]
        );
    }
}
