//! The lenient second chance: repairs the breakage real feeds ship with, the
//! way lenient readers do. Only run after a strict parse failed, so a valid
//! feed is never rewritten.

use std::borrow::Cow;

use once_cell::sync::Lazy;
use regex::Regex;

// An `&` that starts a reference: `&name;`, `&#123;` or `&#x1F;`. Matched
// against the whole rest of the text: the pattern is anchored, so it reads
// only as far as a reference could go. (A fixed byte window once cut a
// Cyrillic or Arabic headline inside a character and crashed the pass.)
static REFERENCE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"^&(?:[A-Za-z_][A-Za-z0-9._-]*|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
        .expect("static regex")
});

/// Whether `c` is forbidden in an XML 1.0 document (C0 controls other than
/// tab, newline and carriage return).
pub fn is_forbidden_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}')
}

/// Escapes every `&` that does not start a reference and drops forbidden
/// control characters. Returns `None` when there was nothing to repair.
pub fn repair(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut changed = false;
    for (i, c) in text.char_indices() {
        if is_forbidden_control(c) {
            changed = true;
        } else if c == '&' && !REFERENCE.is_match(&text[i..]) {
            out.push_str("&amp;");
            changed = true;
        } else {
            out.push(c);
        }
    }
    changed.then_some(out)
}

/// Drops forbidden control characters from text that reached us anyway
/// (JSON strings, CDATA): they are invisible at best and break XML output.
pub fn strip_controls(text: &str) -> Cow<'_, str> {
    if text.chars().any(is_forbidden_control) {
        Cow::Owned(text.chars().filter(|c| !is_forbidden_control(*c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_ampersand_is_escaped_but_references_are_left_alone() {
        assert_eq!(
            repair("<t>Fish & Chips &amp; more &#233; &#xE9; &nbsp;</t>").as_deref(),
            Some("<t>Fish &amp; Chips &amp; more &#233; &#xE9; &nbsp;</t>")
        );
        assert_eq!(
            repair("<a href=\"x?a=1&b=2\"/>").as_deref(),
            Some("<a href=\"x?a=1&amp;b=2\"/>")
        );
    }

    #[test]
    fn control_characters_go_but_tabs_and_newlines_stay() {
        assert_eq!(repair("a\u{1}b\u{b}c\td\ne").as_deref(), Some("abc\td\ne"));
    }

    #[test]
    fn a_bare_ampersand_before_multibyte_text_is_escaped_without_a_panic() {
        // Every offset of a two- and three-byte script after the `&`, so a
        // window of any width ends inside a character somewhere.
        for pad in 0..8 {
            let filler = "я".repeat(pad);
            let text = format!("<t>{filler}Новости & мир: Ελλάδα & κόσμος & عالم & 世界</t>");
            let fixed = repair(&text).expect("bare ampersands need repair");
            assert_eq!(fixed.matches("&amp;").count(), 4);
            assert!(fixed.contains("Новости &amp; мир"));
        }
    }

    #[test]
    fn a_clean_document_needs_no_repair() {
        assert_eq!(repair("<t>Fish &amp; Chips</t>\n"), None);
    }
}

#[cfg(test)]
mod laws {
    use super::*;
    use crate::domain::{Lang, SourceId};
    use crate::normalize::{extras::read_xml, parse_feed, FeedContext};
    use proptest::prelude::*;

    /// Text as real headlines carry it: several scripts, bare `&`, real
    /// references, control characters, quotes and `>` — but no `<` and no
    /// undefined entity, so a lenient reader can always make sense of it.
    fn headline() -> impl Strategy<Value = String> {
        let token = prop::sample::select(vec![
            "Новости",
            " & ",
            "&",
            "мир",
            "Ελλάδα",
            "عالم",
            "世界",
            "Fish",
            "&amp;",
            "&#233;",
            "&#x1F600;",
            "&lt;",
            "\u{1}",
            "\u{b}",
            "\u{1f}",
            "\t",
            "\n",
            ">",
            "\"",
            "'",
            " ",
            "&&",
            "&#",
            "&;",
            "R&D",
            "a&b=c",
        ]);
        prop::collection::vec(token, 1..12).prop_map(|t| t.concat())
    }

    fn rss(titles: &[String]) -> String {
        let items: String = titles
            .iter()
            .enumerate()
            .map(|(i, t)| format!("<item><guid>g{i}</guid><title>{t}</title></item>"))
            .collect();
        format!("<rss version=\"2.0\"><channel><title>T</title>{items}</channel></rss>")
    }

    fn read(doc: &str) -> Result<usize, String> {
        let source = SourceId::parse("laws").expect("static id");
        let lang = Lang::parse("en").expect("static tag");
        let base = ::url::Url::parse("https://wire.example.org/feed").expect("static URL");
        let ctx = FeedContext {
            source: &source,
            fallback_language: &lang,
            base_url: &base,
            content_type: None,
        };
        parse_feed(doc.as_bytes(), &ctx)
            .map(|f| f.entries.len())
            .map_err(|e| e.to_string())
    }

    proptest! {
        /// What it gives back has nothing left to repair: no control
        /// character, no `&` that does not start a reference.
        #[test]
        fn repair_is_complete_and_idempotent(text in prop_oneof![headline(), any::<String>()]) {
            if let Some(fixed) = repair(&text) {
                prop_assert!(!fixed.chars().any(is_forbidden_control));
                prop_assert_eq!(repair(&fixed), None);
            }
        }

        /// A feed broken only by bare `&` and control characters reads,
        /// every item kept.
        #[test]
        fn a_feed_broken_by_bare_ampersands_and_controls_reads_after_repair(
            titles in prop::collection::vec(headline(), 1..4)
        ) {
            prop_assert_eq!(read(&rss(&titles)), Ok(titles.len()));
        }

        /// Repair never breaks a document that read: `&` inside CDATA and
        /// comments is legal there, and escaping it keeps the document
        /// well formed (the strict reader and the whole pipeline agree).
        #[test]
        fn repair_never_makes_a_readable_document_unreadable(
            titles in prop::collection::vec(headline(), 1..4),
            cdata in prop::bool::ANY,
        ) {
            let wrapped: Vec<String> = titles
                .iter()
                .map(|t| {
                    let t = t.replace(is_forbidden_control, "");
                    if cdata {
                        format!("<![CDATA[{}]]><!-- {} -->", t.replace("]]>", ""), t.replace("--", ""))
                    } else {
                        t.replace('&', "&amp;")
                    }
                })
                .collect();
            let doc = rss(&wrapped);
            prop_assume!(read_xml(&doc).is_ok());
            if let Some(fixed) = repair(&doc) {
                prop_assert!(read_xml(&fixed).is_ok(), "{}", fixed);
                prop_assert_eq!(read(&fixed), Ok(titles.len()));
            }
            prop_assert_eq!(read(&doc), Ok(titles.len()));
        }
    }
}
