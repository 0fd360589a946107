//! An entry's explicit links: hreflang alternates, canonical, via (from
//! Atom/`atom:link`, RSS `<source url>`, JSON Feed `external_url`), and the
//! "Original article" link found in the content. Every href canonicalized.

use html5ever::tokenizer::Tag;
use once_cell::sync::Lazy;
use regex::Regex;
use url::Url;

use super::extras::RawLink;
use super::html_scan::{attr, fold_spaces, scan, Piece};
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

/// Elements that start or end a line of text: a label on an earlier line
/// is still the last one read, unless text came in between.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "figure",
    "figcaption",
    "table",
    "tr",
    "dd",
    "dt",
    "dl",
    "pre",
    "hr",
    "section",
    "article",
];

/// The "original article" link in sanitized `html`: an anchor whose text
/// says so, else an anchor right after such a label or after "Source:".
/// Read with the HTML tokenizer (`html_scan`), so an anchor inside a
/// comment or a script is not taken.
pub fn original_link(html: &str, own_url: Option<&str>) -> Option<EntryLink> {
    let mut finder = Finder {
        own_url,
        ..Finder::default()
    };
    scan(html, |piece| match piece {
        Piece::Start(tag) => finder.start(tag),
        Piece::End(name) => finder.end(name),
        Piece::Text(text) => finder.text(text),
    });
    finder.close();
    let (href, text) = finder.by_text.or(finder.by_label)?;
    Some(EntryLink {
        rel: LinkRel::Original,
        href,
        hreflang: None,
        title: (!text.is_empty()).then_some(text),
    })
}

#[derive(Default)]
struct Finder<'u> {
    own_url: Option<&'u str>,
    /// The text of the line being read, and of the last line that had any.
    line: String,
    previous_line: String,
    /// The anchor being read.
    open: Option<Anchor>,
    /// The first anchor whose text names the original, with that text.
    by_text: Option<(String, String)>,
    /// The first anchor right after a label, with its text.
    by_label: Option<(String, String)>,
}

struct Anchor {
    /// Canonical.
    href: String,
    labelled: bool,
    text: String,
}

impl Finder<'_> {
    fn start(&mut self, tag: &Tag) {
        match &*tag.name {
            "a" => {
                // Anchors do not nest: a new one ends the last.
                self.close();
                let href = attr(tag, "href").and_then(super::url::canonical_url);
                self.open = href
                    .filter(|h| self.own_url != Some(h.as_str()))
                    .map(|href| Anchor {
                        href,
                        labelled: self.after_label(),
                        text: String::new(),
                    });
            }
            "br" => self.break_line(),
            name if BLOCKS.contains(&name) => self.break_line(),
            _ => {}
        }
    }

    fn end(&mut self, name: &str) {
        match name {
            "a" => self.close(),
            "br" => self.break_line(),
            name if BLOCKS.contains(&name) => self.break_line(),
            _ => {}
        }
    }

    fn text(&mut self, text: &str) {
        self.line.push_str(text);
        if let Some(a) = &mut self.open {
            a.text.push_str(text);
        }
    }

    fn break_line(&mut self) {
        let line = fold_spaces(&self.line);
        if !line.is_empty() {
            self.previous_line = line;
        }
        self.line.clear();
    }

    /// Whether the last line read so far ends with a label.
    fn after_label(&self) -> bool {
        let current = fold_spaces(&self.line);
        let line = if current.is_empty() {
            &self.previous_line
        } else {
            &current
        };
        // The last few words are enough for a label.
        let from = line.char_indices().rev().nth(47).map_or(0, |(i, _)| i);
        let tail = &line[from..];
        SOURCE_LABEL.is_match(tail) || ends_with_label(tail)
    }

    fn close(&mut self) {
        let Some(a) = self.open.take() else { return };
        let text = fold_spaces(&a.text);
        if self.by_text.is_none() && ORIGINAL_LABEL.is_match(&text) {
            self.by_text = Some((a.href.clone(), text.clone()));
        }
        if self.by_label.is_none() && a.labelled {
            self.by_label = Some((a.href, text));
        }
    }
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

    #[test]
    fn an_anchor_in_a_comment_or_a_script_string_is_not_the_original() {
        let html = r#"<!-- <p><a href="https://old.example/a">Original article</a></p> -->
            <script>var s = '<a href="https://js.example/b">Original article</a>';</script>
            <p>Source: <a href="https://h.example/a?x=1&amp;y=2">Harbor Ledger</a></p>"#;
        let link = original_link(html, None).expect("found");
        assert_eq!(link.href, "https://h.example/a?x=1&y=2");
        assert_eq!(link.title.as_deref(), Some("Harbor Ledger"));
    }
}
