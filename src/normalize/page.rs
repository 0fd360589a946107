//! An article page's `<link rel="alternate" hreflang>` tags: the other
//! language versions a publisher declares in the page head but not in its
//! feed. Read with the HTML tokenizer (`html_scan`), so a `<link>` inside a
//! comment or a script is not taken.

use ::url::Url;

use super::html_scan::{attr, scan, Piece};
use super::url::resolve_canonical;
use crate::domain::{EntryLink, Lang, LinkRel};

/// Only the head matters, and it comes first.
const SCAN_LIMIT: usize = 512 * 1024;

/// The hreflang alternates declared in `html`, resolved against the page
/// URL and canonicalized; the page itself and `x-default` left out.
pub fn page_alternates(html: &str, page: &Url) -> Vec<EntryLink> {
    let head = match html.char_indices().nth(SCAN_LIMIT) {
        Some((i, _)) => &html[..i],
        None => html,
    };
    let own = resolve_canonical(page.as_str(), page);
    let mut out: Vec<EntryLink> = Vec::new();
    scan(head, |piece| {
        let Piece::Start(tag) = piece else { return };
        if &*tag.name != "link" {
            return;
        }
        let is_alternate = attr(tag, "rel").is_some_and(|r| {
            r.split_ascii_whitespace()
                .any(|t| t.eq_ignore_ascii_case("alternate"))
        });
        let (Some(href), Some(hreflang)) = (attr(tag, "href"), attr(tag, "hreflang")) else {
            return;
        };
        let Ok(lang) = Lang::parse(hreflang) else {
            return; // x-default and garbage
        };
        let Some(href) = resolve_canonical(href, page) else {
            return;
        };
        if !is_alternate || Some(&href) == own.as_ref() || out.iter().any(|l| l.href == href) {
            return;
        }
        out.push(EntryLink {
            rel: LinkRel::Alternate,
            href,
            hreflang: Some(lang),
            title: None,
        });
    });
    out
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

    #[test]
    fn a_link_in_a_comment_or_a_script_is_not_an_alternate() {
        let html = r#"<html><head>
            <!-- <link rel="alternate" hreflang="de" href="/de/alt"> -->
            <script>document.write('<link rel="alternate" hreflang="es" href="/es/x">');</script>
            <noscript><link rel="alternate" hreflang="it" href="/it/x"></noscript>
            <link rel=alternate hreflang=en href="/en/strike?a=1&amp;b=2">
            </head></html>"#;
        let page = Url::parse("https://wire.example.org/fr/greve").unwrap();
        let found: Vec<String> = page_alternates(html, &page)
            .into_iter()
            .map(|l| l.href)
            .collect();
        assert_eq!(found, ["https://wire.example.org/en/strike?a=1&b=2"]);
    }
}
