//! Our own light pass over the raw XML: reads what feed-rs drops or
//! rewrites (item `dc:language` and `xml:lang`, per-item `atom:link` with
//! `hreflang`, `dc:contributor`, `dc:title`, RSS `<source url>`, links and
//! titles exactly as written, standalone `media:thumbnail`, the feed's
//! WebSub links), counts the items a lenient reader would see, and doubles
//! as the strict well-formedness gate that decides whether the repair pass
//! runs (feed-rs silently drops an element with a bare `&` instead of
//! failing).
//!
//! Entities are never expanded: quick-xml reports `&name;` references and we
//! resolve only the five predefined ones and character references, so
//! billion-laughs and external (`SYSTEM`) entities stay inert text.

mod item;
#[cfg(test)]
mod tests;

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::NsReader;

use item::{finish_capture, item_child, Capture};

pub const ATOM: &[u8] = b"http://www.w3.org/2005/Atom";
/// Atom 0.3, the pre-standard draft old blog platforms still serve.
pub const ATOM03: &[u8] = b"http://purl.org/atom/ns#";
pub const DC: &[u8] = b"http://purl.org/dc/elements/1.1/";
pub const RSS1: &[u8] = b"http://purl.org/rss/1.0/";
/// RSS 0.90 (Netscape's RDF-based first version).
pub const RSS090: &[u8] = b"http://my.netscape.com/rdf/simple/0.9/";
pub const MEDIA: &[u8] = b"http://search.yahoo.com/mrss/";
pub const RDF: &[u8] = b"http://www.w3.org/1999/02/22-rdf-syntax-ns#";

/// An explicit link as written, before resolution and canonicalization.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawLink {
    pub rel: String,
    pub href: String,
    pub hreflang: Option<String>,
    pub title: Option<String>,
    /// `type`, to tell an HTML alternate from a feed or a media file.
    pub media_type: Option<String>,
}

/// An item's `<title>` as written: its text (every descendant's, entities
/// decoded once by the XML layer) and whether it held child elements —
/// inline markup feed-rs would cut the title short at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawTitle {
    pub text: String,
    pub markup: bool,
}

/// What feed-rs drops about one item, in document order.
#[derive(Clone, Debug, Default)]
pub struct ItemExtras {
    /// The explicit guid/id, to check that position matching holds.
    pub guid: Option<String>,
    /// The item's article URL when feed-rs cannot tell it (JSON Feed `url`).
    pub url: Option<String>,
    /// The RSS / RDF `<link>` text as written (feed-rs re-serializes it).
    pub link: Option<String>,
    /// The `xml:base` values in force at the item, outermost first.
    pub xml_base: Vec<String>,
    pub language: Option<String>,
    pub links: Vec<RawLink>,
    pub contributors: Vec<String>,
    pub image: Option<String>,
    pub title: Option<RawTitle>,
    pub dc_title: Option<String>,
    /// The first `media:thumbnail`, and `media:description` (else
    /// `media:title`) as its alt text: feed-rs 3 keeps them only beside a
    /// `media:content`.
    pub thumbnail: Option<String>,
    pub media_description: Option<String>,
    pub media_title: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct FeedExtras {
    /// Local name of the root element (`rss`, `RDF`, `feed`).
    pub root: String,
    /// The namespace of the feed's own elements as written (the root's, or
    /// for RDF the channel's), `None` when unqualified.
    pub core_ns: Option<String>,
    /// RSS items that sit outside any `<channel>`.
    pub items_outside_channel: usize,
    pub language: Option<String>,
    pub hub: Option<String>,
    pub self_url: Option<String>,
    pub items: Vec<ItemExtras>,
}

/// Reads `xml` strictly. `Err` carries a reader-facing message with the
/// byte position, for the source's last error.
pub fn read_xml(xml: &str) -> Result<FeedExtras, String> {
    if let Some(pos) = xml.find(super::repair::is_forbidden_control) {
        return Err(format!("forbidden control character at byte {pos}"));
    }
    let mut reader = NsReader::from_str(xml);
    let mut out = FeedExtras::default();
    let mut core: Option<Vec<u8>> = None;
    let mut core_seen = false;
    // Open elements: (local name, is an item/entry).
    let mut stack: Vec<(String, bool)> = Vec::new();
    let mut bases: Vec<(usize, String)> = Vec::new();
    let mut item_depth: Option<usize> = None;
    let mut in_channel = 0usize;
    let mut capture: Option<Capture> = None;
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
                if let Some(c) = capture.as_mut() {
                    c.markup = true;
                }
                if let Some(base) = attr(e, b"xml:base") {
                    bases.push((depth, base));
                }
                if depth == 0 {
                    out.root.clone_from(&local);
                    if local != "RDF" {
                        core = ns.map(<[u8]>::to_vec);
                        core_seen = true;
                    }
                } else if depth == 1 && !core_seen && ns != Some(RDF) {
                    // RDF: the channel's namespace is the feed's own.
                    core = ns.map(<[u8]>::to_vec);
                    core_seen = true;
                }
                let in_item = item_depth.is_some();
                let is_item = !in_item && is_item(&out.root, &local, ns, core.as_deref(), depth);
                if is_item {
                    if out.root == "rss" && in_channel == 0 {
                        out.items_outside_channel += 1;
                    }
                    // An empty `<item/>` has no end tag to close it.
                    item_depth = (!empty).then_some(depth);
                    out.items.push(ItemExtras {
                        language: attr(e, b"xml:lang"),
                        xml_base: bases.iter().map(|(_, b)| b.clone()).collect(),
                        ..ItemExtras::default()
                    });
                } else if let Some(d) = item_depth {
                    if let Some(item) = out.items.last_mut() {
                        let what = item_child(item, ns, &local, e, depth == d + 1);
                        if let (Some(what), false, None) = (what, empty, &capture) {
                            capture = Some(Capture::new(what, depth));
                        }
                    }
                } else {
                    feed_child(&mut out, ns, &local, e, depth);
                    let is_lang = local == "language" && (ns.is_none() || ns == Some(DC));
                    if is_lang && !empty && depth <= 2 {
                        capture = Some(Capture::new(item::What::FeedLanguage, depth));
                    }
                }
                if local == "channel" && !empty {
                    in_channel += 1;
                }
                if empty {
                    bases.retain(|(d, _)| *d < depth);
                } else {
                    stack.push((local, is_item));
                }
            }
            Event::End(_) => {
                let Some((local, was_item)) = stack.pop() else {
                    return Err(format!("unmatched end tag near byte {pos}"));
                };
                let depth = stack.len();
                bases.retain(|(d, _)| *d < depth);
                if local == "channel" {
                    in_channel = in_channel.saturating_sub(1);
                }
                if let Some(c) = capture.take() {
                    if c.depth == depth {
                        finish_capture(&mut out, c);
                    } else {
                        capture = Some(c);
                    }
                }
                if was_item {
                    item_depth = None;
                }
            }
            Event::Text(t) => {
                if let Some(c) = capture.as_mut() {
                    c.text.push_str(&t.decode().map_err(|e| e.to_string())?);
                }
            }
            Event::CData(t) => {
                if let Some(c) = capture.as_mut() {
                    c.text.push_str(&t.decode().map_err(|e| e.to_string())?);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(c) = capture.as_mut() {
                    push_reference(&mut c.text, &r);
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
    out.core_ns = core.map(|c| String::from_utf8_lossy(&c).into_owned());
    Ok(out)
}

/// Whether an element is one entry to a lenient reader: an `<item>` of any
/// RSS flavour (unqualified, RSS 1.0 or 0.90, or in whatever namespace the
/// feed put its own elements), an Atom 1.0 or 0.3 `<entry>`, or a lone
/// Atom entry document's root.
fn is_item(root: &str, local: &str, ns: Option<&[u8]>, core: Option<&[u8]>, depth: usize) -> bool {
    match (root, local) {
        ("rss" | "RDF", "item") => {
            ns.is_none() || ns == Some(RSS1) || ns == Some(RSS090) || (ns.is_some() && ns == core)
        }
        ("feed", "entry") => ns == Some(ATOM) || ns == Some(ATOM03) || ns == core,
        ("entry", "entry") => depth == 0,
        _ => false,
    }
}

fn bound<'a>(ns: &ResolveResult<'a>) -> Option<&'a [u8]> {
    match ns {
        ResolveResult::Bound(Namespace(uri)) => Some(uri),
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

pub(super) fn attr(e: &BytesStart<'_>, key: &[u8]) -> Option<String> {
    let a = e.try_get_attribute(key).ok().flatten()?;
    let raw = String::from_utf8_lossy(&a.value).into_owned();
    let value = quick_xml::escape::unescape(&raw)
        .map(|v| v.into_owned())
        .unwrap_or(raw);
    let value = value.trim().to_string();
    (!value.is_empty()).then_some(value)
}
