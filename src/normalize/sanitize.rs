//! HTML in, safe HTML out (ammonia allowlist), and HTML → plain text.
//!
//! The allowlist keeps what an article needs (formatting, links, images,
//! lists, quotes, headings, tables, figures, and `dir`/`lang` for mixed
//! right-to-left text) and nothing that runs or restyles: no scripts,
//! styles, iframes, forms or event handlers.

use std::collections::{HashMap, HashSet};

use ammonia::{Builder, UrlRelative};
use maud::html;
use once_cell::sync::Lazy;
use regex::Regex;
use url::Url;

use super::repair::strip_controls;

const TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "bdi",
    "bdo",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "u",
    "ul",
];

/// Elements dropped with everything inside them, not just unwrapped.
const DROP_WITH_CONTENT: &[&str] = &[
    "script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math", "form",
    "button", "select", "textarea",
];

/// Sanitizes `html`; relative URLs resolve against `base` (the item's link
/// or the feed's URL). `None` when nothing visible is left.
pub fn sanitize_html(html: &str, base: &Url) -> Option<String> {
    let tag_attributes: HashMap<&str, HashSet<&str>> = [
        ("a", ["href", "title", "hreflang"].as_slice()),
        ("img", &["src", "alt", "title", "width", "height"]),
        ("td", &["colspan", "rowspan"]),
        ("th", &["colspan", "rowspan", "scope"]),
        ("blockquote", &["cite"]),
        ("q", &["cite"]),
        ("time", &["datetime"]),
        ("ol", &["start", "reversed"]),
    ]
    .into_iter()
    .map(|(tag, attrs)| (tag, attrs.iter().copied().collect()))
    .collect();
    let cleaned = Builder::default()
        .tags(TAGS.iter().copied().collect())
        .clean_content_tags(DROP_WITH_CONTENT.iter().copied().collect())
        .tag_attributes(tag_attributes)
        .generic_attributes(["dir", "lang"].into_iter().collect())
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .url_relative(UrlRelative::RewriteWithBase(base.clone()))
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true)
        .clean(&strip_controls(html))
        .to_string();
    let cleaned = cleaned.trim();
    let visible = !to_text(cleaned).trim().is_empty() || cleaned.contains("<img");
    visible.then(|| cleaned.to_string())
}

/// Plain text as HTML: for `type="text"` summaries and JSON `content_text`.
/// A blank line starts a paragraph, a line break is `<br>`.
pub fn text_to_html(text: &str) -> String {
    let paragraphs = text
        .trim()
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty());
    html! {
        @for para in paragraphs {
            p { @for (i, line) in para.split('\n').enumerate() { @if i > 0 { br; } (line) } }
        }
    }
    .into_string()
}

static BLOCK_END: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"(?i)(<br\s*/?>|</(?:p|div|li|h[1-6]|blockquote|figcaption|tr|dd|dt|pre|figure)>)")
        .expect("static regex")
});
static SPACES: Lazy<Regex> = Lazy::new(|| Regex::new(r"[ \t\u{a0}]+").expect("static regex"));

/// The text a reader sees, one line per block, entities decoded. Used for
/// titles, credit lines and language detection.
pub fn to_text(html: &str) -> String {
    let marked = BLOCK_END.replace_all(html, "$1\n");
    let stripped = Builder::empty()
        .clean_content_tags(["script", "style"].into_iter().collect())
        .clean(&strip_controls(&marked))
        .to_string();
    // The serializer escapes exactly these in text nodes.
    let decoded = stripped
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    decoded
        .lines()
        .map(|l| SPACES.replace_all(l, " ").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A plain-text title: tags dropped, entities decoded, whitespace folded.
pub fn plain_title(raw: &str) -> String {
    to_text(raw).replace('\n', " ")
}

// HTML elements publishers put in titles that their format says are plain
// text (RSS, Atom `type="text"`, JSON Feed). Only these names: a title
// about `Vec<String>` keeps its angle brackets.
static INLINE_TAG: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"(?i)</?(?:a|abbr|b|big|br|cite|code|del|dfn|em|font|i|ins|kbd|mark|p|q|s|samp|small|span|strike|strong|sub|sup|time|tt|u|var)(?:\s[^<>]*)?/?>",
    )
    .expect("static regex")
});

/// The title a reader sees, decoded exactly once. `html` titles (Atom
/// `type="html"`/`"xhtml"`) are markup: tags dropped, their entities
/// decoded. Plain-text titles were decoded by the XML layer already, so
/// `A &amp;lt; B` shows `A &lt; B`, never `A < B`; stray inline tags
/// (`Example <b>Atom</b>`, from CDATA) are dropped as every reader does.
pub fn title_text(raw: &str, html: bool) -> String {
    if html {
        return plain_title(raw);
    }
    let clean = strip_controls(raw);
    let stripped = INLINE_TAG.replace_all(&clean, "");
    stripped.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://wire.example.org/en/story").expect("static URL")
    }

    #[test]
    fn scripts_styles_iframes_and_handlers_are_gone() {
        let html = r#"<p onclick="steal()">Hi<script>alert(1)</script></p><style>p{}</style><iframe src="https://evil.example/"></iframe><img src="x.jpg" onerror="boom()" alt="A harbor">"#;
        let out = sanitize_html(html, &base()).expect("visible text");
        assert!(!out.contains("script") && !out.contains("alert"), "{out}");
        assert!(!out.contains("style") && !out.contains("iframe"), "{out}");
        assert!(
            !out.contains("onclick") && !out.contains("onerror"),
            "{out}"
        );
        assert!(
            out.contains(r#"src="https://wire.example.org/en/x.jpg""#),
            "{out}"
        );
        assert!(out.contains(r#"alt="A harbor""#), "{out}");
    }

    #[test]
    fn links_are_made_absolute_and_get_noopener() {
        let out = sanitize_html(
            r#"<a href="/fr/x">lien</a> <a href="javascript:alert(1)">bad</a>"#,
            &base(),
        )
        .expect("visible text");
        assert!(
            out.contains(r#"href="https://wire.example.org/fr/x""#),
            "{out}"
        );
        assert!(out.contains(r#"rel="noopener noreferrer""#), "{out}");
        assert!(!out.contains("javascript"), "{out}");
    }

    #[test]
    fn right_to_left_direction_survives() {
        let out = sanitize_html(r#"<p dir="rtl" lang="ar">مرحبا</p>"#, &base()).expect("text");
        assert_eq!(out, r#"<p dir="rtl" lang="ar">مرحبا</p>"#);
    }

    #[test]
    fn nothing_visible_is_none() {
        assert_eq!(sanitize_html("<script>x()</script>  ", &base()), None);
    }

    #[test]
    fn text_keeps_one_line_per_block_and_decodes_entities() {
        assert_eq!(
            to_text("<p>Fish &amp; chips&nbsp;today</p><p>Translated by <b>Ana</b></p>"),
            "Fish & chips today\nTranslated by Ana"
        );
        assert_eq!(
            plain_title("  Caf&eacute; &lt;3 <em>news</em> \n"),
            "Café <3 news"
        );
    }

    #[test]
    fn a_title_is_decoded_once_by_its_type() {
        assert_eq!(title_text("Q&A", false), "Q&A");
        assert_eq!(title_text("A &lt; B", false), "A &lt; B");
        assert_eq!(
            title_text("Example <b>Atom</b>\n  now", false),
            "Example Atom now"
        );
        assert_eq!(
            title_text("Why Vec<String> is slow", false),
            "Why Vec<String> is slow"
        );
        assert_eq!(
            title_text("Example <b>Atom</b> &amp; more", true),
            "Example Atom & more"
        );
        assert_eq!(title_text("A &lt; B", true), "A < B");
    }

    #[test]
    fn plain_text_becomes_escaped_paragraphs() {
        assert_eq!(text_to_html("a < b\n\nc"), "<p>a &lt; b</p><p>c</p>");
    }
}
