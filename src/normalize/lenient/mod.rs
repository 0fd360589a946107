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

use once_cell::sync::Lazy;
use quick_xml::events::Event;
use quick_xml::NsReader;
use regex::Regex;

use super::extras::{FeedExtras, ATOM, ATOM03, RSS1};
use rewriter::Rewriter;

mod atom03;
mod rewriter;
#[cfg(test)]
mod tests;

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
