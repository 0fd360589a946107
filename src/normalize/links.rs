//! An entry's explicit links: hreflang alternates, canonical, via (from
//! Atom/`atom:link`, RSS `<source url>`, JSON Feed `external_url`), and the
//! "Original article" link found in the content. Every href canonicalized.

use once_cell::sync::Lazy;
use regex::Regex;
use url::Url;

use super::extras::RawLink;
use super::sanitize::to_text;
use super::url::resolve_canonical;
use crate::domain::{EntryLink, Lang, LinkRel};

/// Turns the explicit links as written into entry links. Links to the entry
/// itself, and rels that say nothing about other versions (`self`,
/// `enclosure`, `replies`…), are left out.
pub fn explicit_links(raw: &[RawLink], base: &Url, own_url: Option<&str>) -> Vec<EntryLink> {
    let mut out: Vec<EntryLink> = Vec::new();
    for link in raw {
        let rel = match link.rel.to_ascii_lowercase().as_str() {
            "alternate" => LinkRel::Alternate,
            "canonical" => LinkRel::Canonical,
            "via" => LinkRel::Via,
            _ => continue,
        };
        let Some(href) = resolve_canonical(&link.href, base) else {
            continue;
        };
        let hreflang = link.hreflang.as_deref().and_then(|l| Lang::parse(l).ok());
        // The plain alternate is the entry's own URL; a canonical equal to
        // it says nothing new either.
        if own_url == Some(href.as_str()) && rel != LinkRel::Via {
            continue;
        }
        push_unique(
            &mut out,
            EntryLink {
                rel,
                href,
                hreflang,
                title: link.title.clone(),
            },
        );
    }
    out
}

pub fn push_unique(links: &mut Vec<EntryLink>, link: EntryLink) {
    if !links
        .iter()
        .any(|l| l.rel == link.rel && l.href == link.href)
    {
        links.push(link);
    }
}

// On sanitized HTML: attributes are double-quoted, `&` is `&amp;`.
static ANCHOR: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r#"(?is)<a\s[^>]*?href="([^"]+)"[^>]*>(.*?)</a>"#).expect("static regex")
});

/// Labels that name the original article, as anchor text or just before it.
static ORIGINAL_LABEL: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"(?i)(?:original\s+article|read\s+the\s+original|originally\s+published|article\s+original|article\s+d['’]origine|originalartikel|originalbeitrag|zum\s+original|artigo\s+original|mat[ée]ria\s+original|art[íi]culo\s+original|المقال\s+الأصلي|المقالة\s+الأصلية|النص\s+الأصلي)",
    )
    .expect("static regex")
});

// "Source:" / "Quelle:" / "Fonte:" / "Fuente:" / "المصدر:" right before a
// link: weaker than an explicit "original article", used only without one.
static SOURCE_LABEL: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"(?i)(?:\bsource|\bquelle|\bfonte|\bfuente|المصدر|\boriginal)\s*[:：]?\s*[—–-]?\s*$",
    )
    .expect("static regex")
});

/// The "original article" link in sanitized `html`: an anchor whose text
/// says so, else an anchor right after such a label or after "Source:".
pub fn original_link(html: &str, own_url: Option<&str>) -> Option<EntryLink> {
    let mut by_text = None;
    let mut by_label = None;
    for caps in ANCHOR.captures_iter(html) {
        let (Some(whole), Some(href), Some(inner)) = (caps.get(0), caps.get(1), caps.get(2)) else {
            continue;
        };
        let href = href.as_str().replace("&amp;", "&");
        let Some(href) = super::url::canonical_url(&href) else {
            continue;
        };
        if own_url == Some(href.as_str()) {
            continue;
        }
        let text = to_text(inner.as_str());
        if by_text.is_none() && ORIGINAL_LABEL.is_match(&text) {
            by_text = Some((href.clone(), text.clone()));
        }
        let before = to_text(window_before(html, whole.start()));
        let last_line = before.lines().last().unwrap_or("");
        let tail: String = last_line
            .chars()
            .rev()
            .take(48)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if by_label.is_none() && (SOURCE_LABEL.is_match(&tail) || ends_with_label(&tail)) {
            by_label = Some((href, text));
        }
    }
    let (href, text) = by_text.or(by_label)?;
    Some(EntryLink {
        rel: LinkRel::Original,
        href,
        hreflang: None,
        title: (!text.is_empty()).then_some(text),
    })
}

/// The few hundred bytes before `at`: enough for a label, and keeps the
/// scan linear in the number of anchors.
fn window_before(html: &str, at: usize) -> &str {
    let mut from = at.saturating_sub(400);
    while !html.is_char_boundary(from) {
        from += 1;
    }
    &html[from..at]
}

fn ends_with_label(tail: &str) -> bool {
    ORIGINAL_LABEL.find_iter(tail).last().is_some_and(|m| {
        tail[m.end()..]
            .trim_matches(|c: char| c.is_whitespace() || ":：—–-".contains(c))
            .is_empty()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://wire.example.org/fr/feed.atom").expect("static URL")
    }

    #[test]
    fn alternates_keep_hreflang_and_self_links_are_dropped() {
        let raw = vec![
            RawLink {
                rel: "alternate".into(),
                href: "/fr/greve".into(),
                ..RawLink::default()
            },
            RawLink {
                rel: "alternate".into(),
                href: "/pt-br/greve/?utm_source=x".into(),
                hreflang: Some("pt-br".into()),
                ..RawLink::default()
            },
            RawLink {
                rel: "via".into(),
                href: "https://HarborLedger.example/strike#top".into(),
                ..RawLink::default()
            },
            RawLink {
                rel: "replies".into(),
                href: "/c".into(),
                ..RawLink::default()
            },
        ];
        let links = explicit_links(&raw, &base(), Some("https://wire.example.org/fr/greve"));
        assert_eq!(links.len(), 2, "{links:?}");
        assert_eq!(links[0].href, "https://wire.example.org/pt-br/greve");
        assert_eq!(links[0].hreflang.as_ref().map(Lang::as_str), Some("pt-BR"));
        assert_eq!(links[1].rel, LinkRel::Via);
        assert_eq!(links[1].href, "https://harborledger.example/strike");
    }

    #[test]
    fn anchor_text_naming_the_original_wins_over_a_source_label() {
        let html = r#"<p>Source: <a href="https://harborledger.example/">Harbor Ledger</a> — <a href="https://harborledger.example/strike?utm_medium=rss">Original article</a></p>"#;
        let link = original_link(html, None).expect("found");
        assert_eq!(link.href, "https://harborledger.example/strike");
        assert_eq!(link.rel, LinkRel::Original);
    }

    #[test]
    fn labels_in_other_languages_are_understood() {
        for html in [
            r#"<p><a href="https://h.example/a">Article original</a></p>"#,
            r#"<p>Originalartikel: <a href="https://h.example/a">Harbor Ledger</a></p>"#,
            r#"<p><a href="https://h.example/a">Artigo original</a></p>"#,
            r#"<p dir="rtl"><a href="https://h.example/a">المقال الأصلي</a></p>"#,
            r#"<p>Source : <a href="https://h.example/a">Harbor Ledger</a></p>"#,
        ] {
            assert_eq!(
                original_link(html, None).map(|l| l.href).as_deref(),
                Some("https://h.example/a"),
                "{html}"
            );
        }
    }

    #[test]
    fn an_ordinary_link_is_not_the_original() {
        assert!(original_link(
            r#"<p>See <a href="https://h.example/a">our report</a>.</p>"#,
            None
        )
        .is_none());
    }
}
