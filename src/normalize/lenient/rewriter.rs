//! The event-by-event rewrite the plan asks for: the feed's own elements
//! renamed into the standard namespace, root attributes fixed, addresses
//! spaced; Atom 0.3 text constructs are handed to `atom03`.

use std::borrow::Cow;

use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::{NsReader, Writer};

use super::atom03::{atom_text_type, TextConstruct};
use super::{space_addresses, Plan, ATOM};

pub(super) struct Rewriter<'p> {
    pub(super) plan: &'p Plan,
    out: Writer<Vec<u8>>,
    pub(super) names: Vec<String>,
    pub(super) construct: Option<TextConstruct>,
}

impl<'p> Rewriter<'p> {
    pub(super) fn new(plan: &'p Plan) -> Self {
        Rewriter {
            plan,
            out: Writer::new(Vec::new()),
            names: Vec::new(),
            construct: None,
        }
    }

    pub(super) fn run(mut self, xml: &str) -> Result<String, String> {
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
                Event::Text(t) if self.plan.atom03 && self.in_atom03_date() => {
                    let raw = String::from_utf8_lossy(t.as_ref()).into_owned();
                    let date = super::atom03::full_date(&raw);
                    self.write(Event::Text(BytesText::from_escaped(date)))?;
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

    /// Whether the innermost open element is an Atom 0.3 date (already
    /// renamed: `issued` is `published`, `modified` is `updated`).
    fn in_atom03_date(&self) -> bool {
        let local = self
            .names
            .last()
            .map_or("", |n| n.rsplit(':').next().unwrap_or(n));
        matches!(local, "published" | "updated" | "created")
    }

    pub(super) fn write(&mut self, event: Event<'_>) -> Result<(), String> {
        self.out.write_event(event).map_err(|e| e.to_string())
    }

    pub(super) fn in_core(&self, ns: Option<&[u8]>) -> bool {
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
    pub(super) fn rename<'n>(&self, local: &'n str) -> &'n str {
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
}

pub(super) fn unescaped(a: &Attribute<'_>) -> String {
    let raw = String::from_utf8_lossy(&a.value);
    quick_xml::escape::unescape(&raw)
        .map(Cow::into_owned)
        .unwrap_or_else(|_| raw.into_owned())
}
