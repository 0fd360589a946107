//! Our own light pass over the raw XML: reads what feed-rs drops (item
//! `dc:language` and `xml:lang`, per-item `atom:link` with `hreflang`,
//! `dc:contributor`, RSS `<source url>`, the feed's WebSub links) and doubles
//! as the strict well-formedness gate that decides whether the lenient
//! repair pass runs (feed-rs silently drops an element with a bare `&`
//! instead of failing).
//!
//! Entities are never expanded: quick-xml reports `&name;` references and we
//! resolve only the five predefined ones and character references, so
//! billion-laughs and external (`SYSTEM`) entities stay inert text.

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::NsReader;

const ATOM: &[u8] = b"http://www.w3.org/2005/Atom";
const DC: &[u8] = b"http://purl.org/dc/elements/1.1/";
const RSS1: &[u8] = b"http://purl.org/rss/1.0/";

/// An explicit link as written, before resolution and canonicalization.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawLink {
    pub rel: String,
    pub href: String,
    pub hreflang: Option<String>,
    pub title: Option<String>,
}

/// What feed-rs drops about one item, in document order.
#[derive(Clone, Debug, Default)]
pub struct ItemExtras {
    /// The explicit guid/id, to check that position matching holds.
    pub guid: Option<String>,
    /// The item's article URL when feed-rs cannot tell it (JSON Feed `url`).
    pub url: Option<String>,
    pub language: Option<String>,
    pub links: Vec<RawLink>,
    pub contributors: Vec<String>,
    pub image: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct FeedExtras {
    /// Local name of the root element (`rss`, `RDF`, `feed`).
    pub root: String,
    pub language: Option<String>,
    pub hub: Option<String>,
    pub self_url: Option<String>,
    pub items: Vec<ItemExtras>,
}

/// Which text we are collecting, and for what.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Capture {
    Guid,
    ItemLanguage,
    FeedLanguage,
    Contributor,
}

/// Reads `xml` strictly. `Err` carries a reader-facing message with the
/// byte position, for the source's last error.
pub fn read_xml(xml: &str) -> Result<FeedExtras, String> {
    if let Some(pos) = xml.find(super::repair::is_forbidden_control) {
        return Err(format!("forbidden control character at byte {pos}"));
    }
    let mut reader = NsReader::from_str(xml);
    let mut out = FeedExtras::default();
    // Open elements: (local name, is an item/entry).
    let mut stack: Vec<(String, bool)> = Vec::new();
    let mut item_depth: Option<usize> = None;
    let mut capture: Option<(Capture, usize, String)> = None;
    loop {
        let pos = reader.buffer_position();
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| format!("malformed XML near byte {pos}: {e}"))?;
        let ns = bound(&ns);
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let local = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                let depth = stack.len();
                if depth == 0 {
                    out.root.clone_from(&local);
                }
                let in_item = item_depth.is_some();
                let is_item = !in_item
                    && ((local == "item" && (ns.is_none() || ns == Some(RSS1)))
                        || (local == "entry" && ns == Some(ATOM)));
                if is_item {
                    item_depth = Some(depth);
                    out.items.push(ItemExtras {
                        language: attr(e, b"xml:lang"),
                        ..ItemExtras::default()
                    });
                } else if item_depth.is_some_and(|d| depth == d + 1) {
                    if let Some(item) = out.items.last_mut() {
                        let what = item_child(item, ns, &local, e);
                        if let (Some(what), false) = (what, empty) {
                            capture = Some((what, depth, String::new()));
                        }
                    }
                } else if !in_item {
                    feed_child(&mut out, ns, &local, e, depth);
                    let is_lang = local == "language" && (ns.is_none() || ns == Some(DC));
                    if is_lang && !empty && depth <= 2 {
                        capture = Some((Capture::FeedLanguage, depth, String::new()));
                    }
                }
                if !empty {
                    stack.push((local, is_item));
                }
            }
            Event::End(_) => {
                let Some((_, was_item)) = stack.pop() else {
                    return Err(format!("unmatched end tag near byte {pos}"));
                };
                let depth = stack.len();
                if let Some((what, d, text)) = capture.take() {
                    if d == depth {
                        finish_capture(&mut out, what, text);
                    } else {
                        capture = Some((what, d, text));
                    }
                }
                if was_item {
                    item_depth = None;
                }
            }
            Event::Text(t) => {
                if let Some((_, _, buf)) = capture.as_mut() {
                    buf.push_str(&t.decode().map_err(|e| e.to_string())?);
                }
            }
            Event::CData(t) => {
                if let Some((_, _, buf)) = capture.as_mut() {
                    buf.push_str(&t.decode().map_err(|e| e.to_string())?);
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, _, buf)) = capture.as_mut() {
                    push_reference(buf, &r);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some((open, _)) = stack.last() {
        return Err(format!("the document ends inside <{open}>: truncated"));
    }
    if out.root.is_empty() {
        return Err("the document has no root element".into());
    }
    Ok(out)
}

fn bound<'a>(ns: &ResolveResult<'a>) -> Option<&'a [u8]> {
    match ns {
        ResolveResult::Bound(Namespace(uri)) => Some(uri),
        _ => None,
    }
}

/// Records what a direct child of an item says; returns what text to
/// capture if its content matters.
fn item_child(
    item: &mut ItemExtras,
    ns: Option<&[u8]>,
    local: &str,
    e: &BytesStart<'_>,
) -> Option<Capture> {
    match (ns, local) {
        (None | Some(RSS1), "guid") | (Some(ATOM), "id") => Some(Capture::Guid),
        (Some(DC), "language") => Some(Capture::ItemLanguage),
        (Some(DC), "contributor") => Some(Capture::Contributor),
        (Some(ATOM), "link") => {
            if let Some(href) = attr(e, b"href") {
                item.links.push(RawLink {
                    rel: attr(e, b"rel").unwrap_or_else(|| "alternate".into()),
                    href,
                    hreflang: attr(e, b"hreflang"),
                    title: attr(e, b"title"),
                });
            }
            None
        }
        (None, "source") => {
            if let Some(href) = attr(e, b"url") {
                item.links.push(RawLink {
                    rel: "via".into(),
                    href,
                    ..RawLink::default()
                });
            }
            None
        }
        _ => None,
    }
}

/// Feed-level facts: the root's `xml:lang` and the WebSub links.
fn feed_child(
    out: &mut FeedExtras,
    ns: Option<&[u8]>,
    local: &str,
    e: &BytesStart<'_>,
    depth: usize,
) {
    if depth <= 1 && out.language.is_none() {
        out.language = attr(e, b"xml:lang");
    }
    // <feed><link>, <rss><channel><atom:link>
    if ns == Some(ATOM) && local == "link" && depth <= 2 {
        let href = attr(e, b"href");
        match attr(e, b"rel").as_deref() {
            Some("hub") if out.hub.is_none() => out.hub = href,
            Some("self") if out.self_url.is_none() => out.self_url = href,
            _ => {}
        }
    }
}

fn finish_capture(out: &mut FeedExtras, what: Capture, text: String) {
    let text = text.trim().to_string();
    if text.is_empty() {
        return;
    }
    match what {
        Capture::FeedLanguage => {
            out.language.get_or_insert(text);
        }
        Capture::Guid => {
            if let Some(item) = out.items.last_mut() {
                item.guid = Some(text);
            }
        }
        Capture::ItemLanguage => {
            if let Some(item) = out.items.last_mut() {
                item.language = Some(text);
            }
        }
        Capture::Contributor => {
            if let Some(item) = out.items.last_mut() {
                item.contributors.push(text);
            }
        }
    }
}

/// Resolves character references and the five predefined entities; any
/// other `&name;` stays literal text, never expanded.
fn push_reference(buf: &mut String, r: &BytesRef<'_>) {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        buf.push(c);
        return;
    }
    let name = String::from_utf8_lossy(r.as_ref()).into_owned();
    match quick_xml::escape::resolve_predefined_entity(&name) {
        Some(resolved) => buf.push_str(resolved),
        None => {
            buf.push('&');
            buf.push_str(&name);
            buf.push(';');
        }
    }
}

fn attr(e: &BytesStart<'_>, key: &[u8]) -> Option<String> {
    let a = e.try_get_attribute(key).ok().flatten()?;
    let raw = String::from_utf8_lossy(&a.value).into_owned();
    let value = quick_xml::escape::unescape(&raw)
        .map(|v| v.into_owned())
        .unwrap_or(raw);
    let value = value.trim().to_string();
    (!value.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_languages_links_and_contributors_are_read_in_order() {
        let xml = r#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
            <language>en-us</language>
            <atom:link rel="hub" href="https://hub.example/"/><atom:link rel="self" href="https://wire.example.org/feed"/>
            <item><guid>a</guid><dc:language>pt_BR</dc:language><dc:contributor>Ana &amp; Rui</dc:contributor>
              <atom:link rel="alternate" hreflang="de" href="https://wire.example.org/de/a"/><source url="https://harborledger.example/a">HL</source></item>
            <item><title>no guid</title></item>
        </channel></rss>"#;
        let ex = read_xml(xml).expect("well-formed");
        assert_eq!(ex.root, "rss");
        assert_eq!(ex.language.as_deref(), Some("en-us"));
        assert_eq!(ex.hub.as_deref(), Some("https://hub.example/"));
        assert_eq!(
            ex.self_url.as_deref(),
            Some("https://wire.example.org/feed")
        );
        assert_eq!(ex.items.len(), 2);
        let a = &ex.items[0];
        assert_eq!(a.guid.as_deref(), Some("a"));
        assert_eq!(a.language.as_deref(), Some("pt_BR"));
        assert_eq!(a.contributors, vec!["Ana & Rui".to_string()]);
        assert_eq!(a.links.len(), 2);
        assert_eq!(a.links[0].hreflang.as_deref(), Some("de"));
        assert_eq!(a.links[1].rel, "via");
        assert_eq!(ex.items[1].guid, None);
    }

    #[test]
    fn a_bare_ampersand_truncation_and_control_characters_fail_the_gate() {
        assert!(read_xml("<rss><channel><title>A & B</title></channel></rss>").is_err());
        assert!(read_xml("<rss><channel><item><title>A</title>").is_err());
        assert!(read_xml("<rss><channel><title>A\u{1}</title></channel></rss>").is_err());
    }

    #[test]
    fn custom_entities_stay_literal() {
        let xml = r#"<!DOCTYPE rss [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><rss><channel><item><guid>&b;&#233;</guid></item></channel></rss>"#;
        let ex = read_xml(xml).expect("inert entities are fine");
        assert_eq!(ex.items[0].guid.as_deref(), Some("&b;é"));
    }
}
