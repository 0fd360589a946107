//! Raw bytes → UTF-8 text plus a first guess at what the document is.
//!
//! Everything downstream (feed-rs, our own XML pass, the repair passes)
//! reads the same UTF-8 string, so the encoding is settled exactly once,
//! here: a BOM; else what the HTTP `charset` and the XML declaration say,
//! as long as the bytes agree; else UTF-8 when the bytes are UTF-8; else
//! `chardetng` (the detector Firefox uses) guesses, with the feed host's
//! top-level domain as its hint. Detection never overrides a declaration
//! the bytes agree with: a guess is only a guess.

use std::borrow::Cow;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
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

/// Where the encoding we decoded with came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charset {
    Bom,
    Http,
    Declaration,
    /// Nothing usable was declared and the bytes are UTF-8.
    Utf8,
    Detected,
}

#[derive(Debug)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static Encoding,
    pub charset: Charset,
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
/// `content_type` is the HTTP header, `tld` the feed host's top-level
/// domain (a hint for detection).
pub fn to_utf8(bytes: &[u8], content_type: Option<&str>, tld: Option<&str>) -> Decoded {
    let (text, encoding, charset) = match Encoding::for_bom(bytes) {
        Some((enc, bom_len)) => {
            let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
            (text, enc, Charset::Bom)
        }
        None => decode_unmarked(bytes, content_type.and_then(http_charset), tld),
    };
    let text = match XML_DECL.find(&text) {
        Some(decl) => text[decl.end()..].to_string(),
        None => text.into_owned(),
    };
    Decoded {
        text,
        encoding,
        charset,
    }
}

fn decode_unmarked<'b>(
    bytes: &'b [u8],
    http: Option<&'static Encoding>,
    tld: Option<&str>,
) -> (Cow<'b, str>, &'static Encoding, Charset) {
    let declared = declared_encoding(bytes);
    // Valid UTF-8 is UTF-8 when anyone says so, when nobody says anything,
    // and against a header of ISO-8859-1 / windows-1252 alone: that label
    // is the web server's default far more often than the publisher's word,
    // and legacy text with accents is practically never valid UTF-8.
    let utf8 = std::str::from_utf8(bytes).ok();
    if let Some(text) = utf8 {
        let said_utf8 = http == Some(UTF_8) || declared == Some(UTF_8);
        let server_default = http == Some(WINDOWS_1252) && declared.is_none();
        if said_utf8 || server_default || (http.is_none() && declared.is_none()) || bytes.is_ascii()
        {
            let how = match (http, declared) {
                (Some(e), _) if e == UTF_8 => Charset::Http,
                (_, Some(e)) if e == UTF_8 => Charset::Declaration,
                _ => Charset::Utf8,
            };
            return (Cow::Borrowed(text), UTF_8, how);
        }
    }
    // The header wins over the declaration (RFC 7303), except a header of
    // windows-1252 / ISO-8859-1 against a declaration of something else:
    // that header is usually the web server's default, not the publisher's
    // word, while the declaration was written with the document.
    let mut order = vec![(http, Charset::Http), (declared, Charset::Declaration)];
    if http == Some(WINDOWS_1252) && declared.is_some_and(|d| d != WINDOWS_1252) {
        order.reverse();
    }
    for (enc, how) in order {
        let Some(enc) = enc.filter(|e| *e != UTF_8) else {
            continue;
        };
        // A declaration the bytes contradict (malformed sequences) is not
        // believed; single-byte encodings never fail, so they stand.
        if let Some(text) = enc.decode_without_bom_handling_and_without_replacement(bytes) {
            return (text, enc, how);
        }
    }
    let guess = detect(bytes, tld);
    let (text, _) = guess.decode_without_bom_handling(bytes);
    (text, guess, Charset::Detected)
}

/// chardetng's guess for bytes nothing trustworthy labels.
fn detect(bytes: &[u8], tld: Option<&str>) -> &'static Encoding {
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    // chardetng panics on a TLD that is not one lower-case ASCII label.
    let tld = tld.filter(|t| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    });
    detector.guess(tld.map(str::as_bytes), Utf8Detection::Allow)
}

/// The `charset` parameter of a Content-Type header, if it names an
/// encoding we know. UTF-16 without a BOM cannot be told from its bytes'
/// order, so such a label is ignored like an unknown one.
fn http_charset(content_type: &str) -> Option<&'static Encoding> {
    let label = content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(|c| c == '"' || c == '\''))
    })?;
    Encoding::for_label(label.as_bytes()).filter(|e| e.is_ascii_compatible())
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
        assert_eq!(
            to_utf8(bytes, None, None).text,
            "\n<rss><t>Café €</t></rss>"
        );
    }

    #[test]
    fn a_utf16_bom_wins_over_everything() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "<rss>é</rss>".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(to_utf8(&bytes, None, None).text, "<rss>é</rss>");
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
