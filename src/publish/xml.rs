//! A small layer over quick-xml's writer for the Atom feed: element helpers
//! that escape text and attributes, and the removal of characters XML 1.0
//! cannot carry (a stray control character in a source's title must not
//! make a whole feed unreadable), which the RSS writer applies too.

use std::borrow::Cow;

use quick_xml::events::{BytesDecl, BytesEnd, BytesPI, BytesStart, BytesText, Event};
use quick_xml::Writer;

pub(super) struct Xml {
    w: Writer<Vec<u8>>,
}

/// Writing into a `Vec` cannot fail; quick-xml's `io::Result`s are dropped
/// in one place, here.
fn done(r: std::io::Result<()>) {
    debug_assert!(r.is_ok(), "writing XML into memory failed");
}

impl Xml {
    /// The XML declaration and, when given, an `xml-stylesheet` instruction
    /// (browsers apply it; feed readers ignore it).
    pub(super) fn new(stylesheet: Option<&str>) -> Xml {
        let mut w = Writer::new(Vec::with_capacity(64 * 1024));
        done(w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None))));
        if let Some(href) = stylesheet {
            let pi = format!("xml-stylesheet type=\"text/xsl\" href=\"{href}\"");
            done(w.write_event(Event::Text(BytesText::from_escaped("\n"))));
            done(w.write_event(Event::PI(BytesPI::new(pi))));
        }
        done(w.write_event(Event::Text(BytesText::from_escaped("\n"))));
        Xml { w }
    }

    pub(super) fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let start = start(name, attrs);
        done(self.w.write_event(Event::Start(start)));
    }

    pub(super) fn close(&mut self, name: &str) {
        done(self.w.write_event(Event::End(BytesEnd::new(name))));
        done(
            self.w
                .write_event(Event::Text(BytesText::from_escaped("\n"))),
        );
    }

    pub(super) fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        done(self.w.write_event(Event::Empty(start(name, attrs))));
    }

    /// `<name attrs>text</name>`, the text escaped.
    pub(super) fn text(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        done(self.w.write_event(Event::Start(start(name, attrs))));
        done(
            self.w
                .write_event(Event::Text(BytesText::new(&clean(text)))),
        );
        done(self.w.write_event(Event::End(BytesEnd::new(name))));
    }

    pub(super) fn finish(self) -> Vec<u8> {
        self.w.into_inner()
    }
}

fn start<'a>(name: &'a str, attrs: &[(&str, &str)]) -> BytesStart<'a> {
    let mut start = BytesStart::new(name);
    for (k, v) in attrs {
        start.push_attribute((*k, clean(v).as_ref()));
    }
    start
}

/// Drops the characters XML 1.0 forbids (C0 controls except tab, newline
/// and carriage return; U+FFFE and U+FFFF).
pub(super) fn clean(s: &str) -> Cow<'_, str> {
    let bad = |c: char| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    };
    if s.chars().any(bad) {
        Cow::Owned(s.chars().filter(|c| !bad(*c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_dropped_and_markup_is_escaped() {
        let mut x = Xml::new(None);
        x.text("title", &[("title", "a \"b\" <c>")], "Tom\u{1} & <Jerry>");
        let out = String::from_utf8(x.finish()).unwrap();
        assert!(
            out.contains(
                "<title title=\"a &quot;b&quot; &lt;c&gt;\">Tom &amp; &lt;Jerry&gt;</title>"
            ),
            "{out}"
        );
    }
}
