//! Atom 0.3 text constructs (`title`, `tagline`, `summary`, `content`,
//! `copyright`, `info`) rewritten as Atom 1.0 ones: their `mode` and MIME
//! `type` become a 1.0 `type`, their content is written out as text.

use base64::Engine;
use once_cell::sync::Lazy;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use regex::Regex;

use super::rewriter::{unescaped, Rewriter};

/// An Atom 0.3 text construct being collected until its end tag.
pub(super) struct TextConstruct {
    depth: usize,
    start: BytesStart<'static>,
    mime: String,
    mode: String,
    raw: Writer<Vec<u8>>,
    text: String,
    markup: bool,
}

impl Rewriter<'_> {
    pub(super) fn is_atom03_text(&self, e: &BytesStart<'_>, ns: Option<&[u8]>) -> bool {
        self.plan.atom03
            && self.in_core(ns)
            && matches!(
                e.local_name().as_ref(),
                b"title" | b"tagline" | b"summary" | b"content" | b"copyright" | b"info"
            )
    }

    pub(super) fn open_construct(&mut self, start: BytesStart<'static>) {
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

    pub(super) fn inside_construct(&mut self, event: Event<'_>) -> Result<(), String> {
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

// A W3C-DTF date and time whose seconds or zone may be missing.
static PARTIAL_DATE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")
        .expect("static regex")
});

/// An Atom 0.3 date as RFC 3339 wants it. Atom 0.3 allowed `issued` in
/// local time with no zone, and W3C-DTF allows leaving out the seconds;
/// feed-rs reads neither (its date option would replace its lenient date
/// parser, not extend it). No zone is read as UTC, as feedparser does.
pub(super) fn full_date(raw: &str) -> String {
    let trimmed = raw.trim();
    match PARTIAL_DATE.captures(trimmed) {
        Some(c) => format!(
            "{}{}{}",
            &c[1],
            c.get(2).map_or(":00", |m| m.as_str()),
            c.get(3).map_or("Z", |m| m.as_str())
        ),
        None => raw.to_string(),
    }
}

/// Atom 1.0 text construct types for the MIME types publishers write.
pub(super) fn atom_text_type(value: &str) -> &'static str {
    let v = value.trim().to_ascii_lowercase();
    if v == "xhtml" || v.contains("xhtml") {
        "xhtml"
    } else if v.contains("html") {
        "html"
    } else {
        "text"
    }
}
