//! Raw bytes → UTF-8 text plus a first guess at what the document is.
//!
//! Everything downstream (feed-rs, our own XML pass, the repair pass) reads
//! the same UTF-8 string, so the declared encoding is honoured exactly once,
//! here: BOM first, then the XML declaration's `encoding`, else UTF-8.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8};
use once_cell::sync::Lazy;
use regex::Regex;

/// What the document looks like before any real parsing.
#[derive(Debug, PartialEq, Eq)]
pub enum Shape {
    Xml,
    Json,
    /// An HTML page (a doctype or root `<html>`): a site's front page, a
    /// login wall or an error page served instead of the feed.
    Html,
    /// Neither markup nor JSON; carries what it starts with, for the error.
    Other(String),
}

static XML_DECL: Lazy<Regex> =
    Lazy::new(|| Regex::new(r#"^\s*<\?xml[^>]*?\?>"#).expect("static regex"));
static DECL_ENCODING: Lazy<Regex> =
    Lazy::new(|| Regex::new(r#"encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']"#).expect("static regex"));
// Comments and processing instructions may precede the doctype or root.
static HTML_START: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"(?is)^\s*(?:<\?[^>]*>\s*|<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])")
        .expect("static regex")
});

/// Decodes `bytes` to UTF-8 and drops the XML declaration, whose `encoding`
/// would otherwise make a second decoder misread the already-decoded text.
/// Malformed sequences become U+FFFD rather than failing the whole feed.
pub fn to_utf8(bytes: &[u8]) -> String {
    let (encoding, body) = match Encoding::for_bom(bytes) {
        Some((enc, bom_len)) => (enc, &bytes[bom_len..]),
        None => (declared_encoding(bytes).unwrap_or(UTF_8), bytes),
    };
    let (text, _) = encoding.decode_without_bom_handling(body);
    match XML_DECL.find(&text) {
        Some(decl) => text[decl.end()..].to_string(),
        None => text.into_owned(),
    }
}

/// The encoding named in an ASCII-compatible XML declaration, if any.
fn declared_encoding(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(512)];
    let head: Cow<'_, str> = String::from_utf8_lossy(head);
    let decl = XML_DECL.find(&head)?;
    let label = DECL_ENCODING.captures(decl.as_str())?.get(1)?.as_str();
    let enc = Encoding::for_label(label.as_bytes())?;
    // A declaration read from ASCII bytes cannot truly mean UTF-16 (that
    // comes with a BOM); trust the bytes over the label.
    (enc.is_ascii_compatible()).then_some(enc)
}

pub fn sniff(text: &str) -> Shape {
    if HTML_START.is_match(text) {
        return Shape::Html;
    }
    match text.trim_start().chars().next() {
        Some('<') => Shape::Xml,
        Some('{') => Shape::Json,
        Some(_) => Shape::Other(text.trim_start().chars().take(24).collect()),
        None => Shape::Other(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_latin1_declaration_is_honoured_and_then_dropped() {
        let bytes =
            b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<rss><t>Caf\xe9 \x80</t></rss>";
        assert_eq!(to_utf8(bytes), "\n<rss><t>Café €</t></rss>");
    }

    #[test]
    fn a_utf16_bom_wins_over_everything() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "<rss>é</rss>".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(to_utf8(&bytes), "<rss>é</rss>");
    }

    #[test]
    fn html_pages_json_and_junk_are_told_apart() {
        assert_eq!(sniff("<!DOCTYPE html><html><body>"), Shape::Html);
        assert_eq!(sniff("<!-- hi -->\n<HTML lang=en>"), Shape::Html);
        assert_eq!(sniff("  <rss version=\"2.0\">"), Shape::Xml);
        assert_eq!(sniff("{\"version\": 1}"), Shape::Json);
        assert_eq!(sniff("Forbidden"), Shape::Other("Forbidden".into()));
    }
}
