//! The lenient structural pass: rewrites the feed variants real publishers
//! ship and feed-rs cannot read into the standard form it can — an `<rss>`
//! without a usable `version`, RSS 2.0 whose elements sit in a namespace
//! (`xmlns="http://backend.userland.com/rss2"`), RSS 0.90 and other RDF
//! feeds whose channel is not in the RSS 1.0 namespace, and Atom 0.3.
//! Runs only when the strict parse failed or read no entries from a
//! document that has items, so a valid feed is never rewritten. Written
//! here because feed-rs 3 has no option for any of it (its parser options
//! are the base URI, the id generator, sanitizing and the date parser),
//! and every lenient reader (feedparser, Miniflux, SimplePie) reads these.
//!
//! quick-xml events in, quick-xml events out: text, CDATA and references
//! pass through as written, so nothing is decoded twice.

use std::borrow::Cow;

use base64::Engine;
use once_cell::sync::Lazy;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::{NsReader, Writer};
use regex::Regex;

use super::extras::{FeedExtras, ATOM, ATOM03, RSS1};

/// The prefixes the rewritten core elements get, declared on the root: a
/// prefix cannot collide with a default namespace declared anywhere.
const RSS1_PREFIX: &str = "wbrss";
const ATOM_PREFIX: &str = "wbatom";

/// A rewritten document and what was done to it, for the log.
#[derive(Debug)]
pub struct Rewritten {
    pub text: String,
    pub repairs: Vec<&'static str>,
}

/// What the document needs, decided from the strict pass's view of it.
struct Plan {
    /// The namespace the feed's own elements are in as written.
    core: Option<Vec<u8>>,
    /// Move them into the standard namespace under this prefix (`""`:
    /// unqualified, for RSS 2.0).
    prefix: Option<&'static str>,
    target: Option<&'static [u8]>,
    atom03: bool,
    atom: bool,
    fix_version: bool,
    /// Space e-mail addresses off non-ASCII text in person elements.
    space_addresses: bool,
}

/// The document rewritten into a form feed-rs reads, or `None` when none
/// of our repairs applies.
/// `crashed`: feed-rs panicked on the strict document.
pub fn rewrite(xml: &str, extras: &FeedExtras, crashed: bool) -> Option<Rewritten> {
    let plan = plan(xml, extras, crashed)?;
    let mut repairs = Vec::new();
    if plan.space_addresses {
        repairs.push("spaced e-mail addresses off the names around them");
    }
    if plan.fix_version {
        repairs.push("read an <rss> without a known version as RSS 2.0");
    }
    if plan.atom03 {
        repairs.push("read Atom 0.3 as Atom 1.0");
    } else if plan.prefix.is_some() {
        repairs.push("moved the feed's elements into the standard namespace");
    }
    if plan.atom {
        repairs.push("read MIME types of Atom text constructs as text/html/xhtml");
    }
    let text = Rewriter::new(&plan).run(xml).ok()?;
    Some(Rewritten { text, repairs })
}

fn plan(xml: &str, extras: &FeedExtras, crashed: bool) -> Option<Plan> {
    let core = extras.core_ns.as_ref().map(|c| c.as_bytes().to_vec());
    let mut plan = Plan {
        core: core.clone(),
        prefix: None,
        target: None,
        atom03: false,
        atom: false,
        fix_version: false,
        // feed-rs 3 splits "Name <address>" by slicing one byte before and
        // after the address, which panics inside a multi-byte character
        // ("编辑：desk@x.example"): a space there keeps the slice on ASCII.
        space_addresses: crashed,
    };
    match extras.root.as_str() {
        "rss" => {
            // feed-rs dispatches on `version` and knows only "2.0", "0.91",
            // "0.92" and ""; publishers omit it or write "0.90", "0.93",
            // "0.94", "2.01"… RSS 2.0 reads every one of them.
            plan.fix_version = !matches!(
                root_version(xml).as_deref(),
                Some("2.0" | "0.91" | "0.92" | "")
            );
            // Elements in a namespace of their own (userland's RSS 2.0
            // namespace, or any other the root declares) are unqualified
            // RSS to every reader: feed-rs matches only unqualified names.
            if core.is_some() {
                plan.prefix = Some("");
            }
        }
        "RDF" => {
            // RSS 0.90 (`my.netscape.com/rdf/simple/0.9/`) and other RDF
            // feeds put the channel in a namespace feed-rs does not know.
            if core.is_some() && core.as_deref() != Some(RSS1) {
                plan.prefix = Some(RSS1_PREFIX);
                plan.target = Some(RSS1);
            }
        }
        "feed" | "entry" => {
            // Atom text constructs may carry a MIME type (`text/plain`,
            // Atom 0.3's default) where feed-rs wants text/html/xhtml, and
            // then fails the whole feed.
            plan.atom = true;
            plan.atom03 = core.as_deref() == Some(ATOM03);
            if core.is_some() && core.as_deref() != Some(ATOM) {
                plan.prefix = Some(ATOM_PREFIX);
                plan.target = Some(ATOM);
            }
        }
        _ => return None,
    }
    (plan.fix_version || plan.prefix.is_some() || plan.atom || plan.space_addresses).then_some(plan)
}

// An address glued to a non-ASCII character on either side.
static GLUED_BEFORE: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"([^\x00-\x7F])([A-Za-z0-9._%+-]+@)").expect("static regex"));
static GLUED_AFTER: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})([^\x00-\x7F])").expect("static regex")
});

/// `text` with a space between an e-mail address and non-ASCII text
/// touching it.
pub fn space_addresses(text: &str) -> Cow<'_, str> {
    match GLUED_BEFORE.replace_all(text, "$1 $2") {
        Cow::Borrowed(_) => GLUED_AFTER.replace_all(text, "$1 $2"),
        Cow::Owned(once) => Cow::Owned(GLUED_AFTER.replace_all(&once, "$1 $2").into_owned()),
    }
}

/// The same for a JSON Feed's author names (feed-rs parses them alike).
pub fn space_json_addresses(doc: &mut serde_json::Value) {
    fn names(v: &mut serde_json::Value) {
        for key in ["author", "authors"] {
            let people = match v.get_mut(key) {
                Some(serde_json::Value::Array(list)) => list.iter_mut().collect::<Vec<_>>(),
                Some(one) => vec![one],
                None => continue,
            };
            for person in people {
                if let Some(serde_json::Value::String(name)) = person.get_mut("name") {
                    *name = space_addresses(name).into_owned();
                }
            }
        }
    }
    names(doc);
    if let Some(serde_json::Value::Array(items)) = doc.get_mut("items") {
        items.iter_mut().for_each(names);
    }
}

/// The root `<rss>`'s `version`, `None` when absent.
fn root_version(xml: &str) -> Option<String> {
    let mut reader = NsReader::from_str(xml);
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) => {
                return super::extras::attr(&e, b"version").or_else(|| {
                    // `attr` drops empty values; an empty `version` is known.
                    e.try_get_attribute("version")
                        .ok()
                        .flatten()
                        .map(|_| String::new())
                });
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// An Atom 0.3 text construct being collected until its end tag.
struct TextConstruct {
    depth: usize,
    start: BytesStart<'static>,
    mime: String,
    mode: String,
    raw: Writer<Vec<u8>>,
    text: String,
    markup: bool,
}

struct Rewriter<'p> {
    plan: &'p Plan,
    out: Writer<Vec<u8>>,
    names: Vec<String>,
    construct: Option<TextConstruct>,
}

impl<'p> Rewriter<'p> {
    fn new(plan: &'p Plan) -> Self {
        Rewriter {
            plan,
            out: Writer::new(Vec::new()),
            names: Vec::new(),
            construct: None,
        }
    }

    fn run(mut self, xml: &str) -> Result<String, String> {
        let mut reader = NsReader::from_str(xml);
        loop {
            let (ns, event) = reader.read_resolved_event().map_err(|e| e.to_string())?;
            let ns = match ns {
                ResolveResult::Bound(Namespace(uri)) => Some(uri),
                _ => None,
            };
            if self.construct.is_some() {
                self.inside_construct(event)?;
                continue;
            }
            match event {
                Event::Start(e) => {
                    let start = self.start(&e, ns);
                    if self.is_atom03_text(&e, ns) {
                        self.open_construct(start);
                    } else {
                        self.names
                            .push(String::from_utf8_lossy(start.name().as_ref()).into_owned());
                        self.write(Event::Start(start))?;
                    }
                }
                Event::Empty(e) => {
                    let start = self.start(&e, ns);
                    self.write(Event::Empty(start))?;
                }
                Event::End(_) => {
                    let name = self.names.pop().ok_or("unmatched end tag")?;
                    self.write(Event::End(BytesEnd::new(name)))?;
                }
                Event::Text(t) if self.plan.space_addresses && self.in_person() => {
                    // Addresses hold no `&` or `<`: the escaped text can be
                    // spaced as it is.
                    let raw = String::from_utf8_lossy(t.as_ref()).into_owned();
                    let spaced = space_addresses(&raw).into_owned();
                    self.write(Event::Text(BytesText::from_escaped(spaced)))?;
                }
                Event::Eof => break,
                other => self.write(other)?,
            }
        }
        String::from_utf8(self.out.into_inner()).map_err(|e| e.to_string())
    }

    /// Whether the innermost open element names a person as RSS does.
    fn in_person(&self) -> bool {
        let local = self
            .names
            .last()
            .map_or("", |n| n.rsplit(':').next().unwrap_or(n));
        matches!(
            local,
            "author" | "managingEditor" | "webMaster" | "creator" | "owner"
        )
    }

    fn write(&mut self, event: Event<'_>) -> Result<(), String> {
        self.out.write_event(event).map_err(|e| e.to_string())
    }

    fn in_core(&self, ns: Option<&[u8]>) -> bool {
        self.plan.prefix.is_some() && ns.is_some() && ns == self.plan.core.as_deref()
    }

    /// The start tag as it should be written: renamed into the standard
    /// namespace when it is one of the feed's own elements, attributes
    /// adjusted.
    fn start(&self, e: &BytesStart<'_>, ns: Option<&[u8]>) -> BytesStart<'static> {
        let local = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
        let core = self.in_core(ns);
        let name = match (core, self.plan.prefix) {
            (true, Some("")) => local.clone(),
            (true, Some(prefix)) => format!("{prefix}:{}", self.rename(&local)),
            _ => String::from_utf8_lossy(e.name().as_ref()).into_owned(),
        };
        let root = self.names.is_empty();
        // (Atom 0.3 text constructs are rewritten whole, from their raw
        // `type` and `mode`, in `close_construct`.)
        let atom_text = self.plan.atom
            && !(self.plan.atom03 && core)
            && (core || ns == Some(ATOM))
            && matches!(local.as_str(), "title" | "subtitle" | "summary" | "rights");
        let mut out = BytesStart::new(name);
        for a in e.attributes().flatten() {
            let key = a.key.as_ref();
            let value = unescaped(&a);
            // The default namespace of RSS 2.0 elements made unqualified
            // must go, or they would still be in it.
            if key == b"xmlns"
                && self.plan.prefix == Some("")
                && Some(value.as_bytes()) == self.plan.core.as_deref()
            {
                continue;
            }
            if root && self.plan.fix_version && key == b"version" {
                continue;
            }
            if atom_text && key == b"type" {
                out.push_attribute(("type", atom_text_type(&value)));
                continue;
            }
            out.push_attribute(Attribute {
                key: a.key,
                value: Cow::Owned(a.value.into_owned()),
            });
        }
        if root {
            if self.plan.fix_version {
                out.push_attribute(("version", "2.0"));
            }
            if let (Some(prefix), Some(target)) = (self.plan.prefix, self.plan.target) {
                let key = format!("xmlns:{prefix}");
                out.push_attribute((key.as_str(), String::from_utf8_lossy(target).as_ref()));
            }
        }
        out
    }

    /// Atom 0.3 names for what Atom 1.0 calls otherwise; everything else
    /// keeps its name.
    fn rename<'n>(&self, local: &'n str) -> &'n str {
        if !self.plan.atom03 {
            return local;
        }
        match local {
            // Atom 0.3 `modified` is the last change, Atom 1.0 `updated`.
            "modified" => "updated",
            // `issued` is the publication date, Atom 1.0 `published`.
            "issued" => "published",
            "tagline" => "subtitle",
            "copyright" => "rights",
            // A person's home page was `url`, Atom 1.0 says `uri`.
            "url" => "uri",
            other => other,
        }
    }

    fn is_atom03_text(&self, e: &BytesStart<'_>, ns: Option<&[u8]>) -> bool {
        self.plan.atom03
            && self.in_core(ns)
            && matches!(
                e.local_name().as_ref(),
                b"title" | b"tagline" | b"summary" | b"content" | b"copyright" | b"info"
            )
    }

    fn open_construct(&mut self, start: BytesStart<'static>) {
        let attr = |key: &[u8]| {
            start
                .try_get_attribute(key)
                .ok()
                .flatten()
                .map(|a| unescaped(&a).trim().to_ascii_lowercase())
        };
        let mime = attr(b"type").unwrap_or_else(|| "text/plain".into());
        let mode = attr(b"mode").unwrap_or_else(|| "xml".into());
        self.construct = Some(TextConstruct {
            depth: self.names.len(),
            start,
            mime,
            mode,
            raw: Writer::new(Vec::new()),
            text: String::new(),
            markup: false,
        });
    }

    fn inside_construct(&mut self, event: Event<'_>) -> Result<(), String> {
        let Some(c) = self.construct.as_mut() else {
            return Ok(());
        };
        let io = |e: std::io::Error| e.to_string();
        match &event {
            Event::Start(_) => {
                c.markup = true;
                self.names.push(String::new());
            }
            Event::Empty(_) => c.markup = true,
            Event::End(_) => {
                if self.names.len() == c.depth {
                    let c = self.construct.take().ok_or("lost text construct")?;
                    return self.close_construct(c);
                }
                self.names.pop();
            }
            Event::Text(t) => c.text.push_str(&t.decode().map_err(|e| e.to_string())?),
            Event::CData(t) => c.text.push_str(&t.decode().map_err(|e| e.to_string())?),
            Event::GeneralRef(r) => {
                if let Ok(Some(ch)) = r.resolve_char_ref() {
                    c.text.push(ch);
                } else {
                    let name = String::from_utf8_lossy(r.as_ref()).into_owned();
                    match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(s) => c.text.push_str(s),
                        None => c.text.push_str(&format!("&{name};")),
                    }
                }
            }
            Event::Eof => return Err("the document ends inside a text construct".into()),
            _ => {}
        }
        c.raw.write_event(event).map_err(io)
    }

    /// Writes an Atom 0.3 text construct as Atom 1.0: `mode` and a MIME
    /// `type` become a 1.0 `type` and the content is written as text.
    fn close_construct(&mut self, c: TextConstruct) -> Result<(), String> {
        let html_type = c.mime.contains("html");
        let (kind, body) = match c.mode.as_str() {
            // `mode="escaped"`: the text is the (HTML or plain) content.
            "escaped" => (if html_type { "html" } else { "text" }, c.text),
            // `mode="base64"`: binary content; only text kinds are kept.
            "base64" => {
                let packed: String = c.text.split_whitespace().collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(packed.as_bytes())
                    .unwrap_or_default();
                let text = String::from_utf8_lossy(&bytes).into_owned();
                (if html_type { "html" } else { "text" }, text)
            }
            // `mode="xml"` (the default): inline markup is the content's
            // HTML, written out; plain text stays text.
            _ if c.markup => (
                "html",
                String::from_utf8_lossy(&c.raw.into_inner()).into_owned(),
            ),
            _ => (if html_type { "html" } else { "text" }, c.text),
        };
        // A picture or other binary kind has no text a reader could show.
        if !(c.mime.starts_with("text/") || html_type) {
            return Ok(());
        }
        let name = String::from_utf8_lossy(c.start.name().as_ref()).into_owned();
        let name = match name.split_once(':') {
            Some((prefix, local)) => format!("{prefix}:{}", self.rename(local)),
            None => self.rename(&name).to_string(),
        };
        let mut start = BytesStart::new(name.clone());
        for a in c.start.attributes().flatten() {
            if !matches!(a.key.as_ref(), b"type" | b"mode") {
                start.push_attribute(a);
            }
        }
        start.push_attribute(("type", kind));
        self.write(Event::Start(start))?;
        self.write(Event::Text(BytesText::new(&body)))?;
        self.write(Event::End(BytesEnd::new(name)))
    }
}

fn unescaped(a: &Attribute<'_>) -> String {
    let raw = String::from_utf8_lossy(&a.value);
    quick_xml::escape::unescape(&raw)
        .map(Cow::into_owned)
        .unwrap_or_else(|_| raw.into_owned())
}

/// Atom 1.0 text construct types for the MIME types publishers write.
fn atom_text_type(value: &str) -> &'static str {
    let v = value.trim().to_ascii_lowercase();
    if v == "xhtml" || v.contains("xhtml") {
        "xhtml"
    } else if v.contains("html") {
        "html"
    } else {
        "text"
    }
}

#[cfg(test)]
mod tests;
