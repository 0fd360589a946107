//! RSS 2.0, written by the `rss` crate, with the namespaces readers know:
//! `dc:` for each item's language, author and translators (the crate's
//! Dublin Core extension), `atom:link` for the other language versions
//! (`hreflang`), the original (`via`), the hub and RFC 5005 history (its
//! Atom extension), and plain namespaced elements for what neither covers
//! (`atom:updated`, `fh:archive`, `media:content`). `<source url>` names
//! the original article.
//!
//! The crate writes the XML declaration; the stylesheet instruction is
//! spliced in right after it. The crate also fixes what no reader looks
//! at: element order, attribute order, `<description>` as CDATA, and empty
//! extension elements as a start and an end tag (`tests/fixtures/golden`).

use std::collections::BTreeMap;

use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::extension::{Extension, ExtensionMap};
use rss::{Category, Channel, Enclosure, Guid, Item, Source};

use super::atom::HISTORY_NS;
use super::xml::clean;
use super::{feed_path, public, FeedDoc, FeedItem, Format};
use crate::config::Config;

const NAMESPACES: [(&str, &str); 4] = [
    ("atom", "http://www.w3.org/2005/Atom"),
    ("dc", "http://purl.org/dc/elements/1.1/"),
    ("media", "http://search.yahoo.com/mrss/"),
    ("fh", HISTORY_NS),
];

/// Text from a source, without the characters XML 1.0 cannot carry.
fn text(s: &str) -> String {
    clean(s).into_owned()
}

pub(super) fn write(config: &Config, doc: &FeedDoc) -> Vec<u8> {
    let key = &doc.key;
    let this = public(config, &feed_path(&key.scope, key.page, Format::Rss));
    let mut links = vec![link("self", &this)];
    links[0].mime_type = Some(Format::Rss.media_type().to_string());
    for (rel, href) in super::history_links(config, doc, Format::Rss) {
        links.push(link(rel, &href));
    }
    let mut extensions = ExtensionMap::new();
    if doc.complete {
        add(&mut extensions, element("fh:archive", None, &[]));
    }
    let channel = Channel {
        title: text(&doc.title),
        link: public(config, "/"),
        description: text(&doc.title),
        language: match &key.scope {
            super::Scope::Lang(l) => Some(l.as_str().to_string()),
            super::Scope::All => None,
        },
        last_build_date: Some(doc.updated.to_rfc2822()),
        generator: Some("wirebridge".to_string()),
        items: doc.items.iter().map(item).collect(),
        extensions,
        atom_ext: Some(AtomExtension { links }),
        // Declared whether or not this page uses them, as before the crate.
        namespaces: NAMESPACES
            .iter()
            .map(|(p, ns)| (p.to_string(), ns.to_string()))
            .collect(),
        ..Channel::default()
    };
    // Writing into a `Vec` cannot fail.
    let body = channel.write_to(Vec::with_capacity(64 * 1024));
    debug_assert!(body.is_ok(), "writing RSS into memory failed");
    with_stylesheet(body.unwrap_or_default(), &super::xsl_href(key.page))
}

/// Puts the `xml-stylesheet` instruction (browsers apply it; feed readers
/// ignore it) after the declaration the crate wrote.
fn with_stylesheet(body: Vec<u8>, href: &str) -> Vec<u8> {
    let pi = format!("\n<?xml-stylesheet type=\"text/xsl\" href=\"{href}\"?>\n");
    let at = body
        .windows(2)
        .position(|w| w == b"?>")
        .map_or(0, |i| i + 2);
    let mut out = Vec::with_capacity(body.len() + pi.len() + 1);
    out.extend_from_slice(&body[..at]);
    out.extend_from_slice(pi.as_bytes());
    out.extend_from_slice(&body[at..]);
    out.push(b'\n');
    out
}

fn link(rel: &str, href: &str) -> Link {
    Link {
        href: text(href),
        rel: rel.to_string(),
        hreflang: None,
        mime_type: None,
        title: None,
        length: None,
    }
}

/// `<name attrs>value</name>`: an element of a namespace the crate has no
/// type for.
fn element(name: &str, value: Option<String>, attrs: &[(&str, &str)]) -> Extension {
    Extension {
        name: name.to_string(),
        value,
        attrs: attrs
            .iter()
            .map(|(k, v)| (k.to_string(), text(v)))
            .collect(),
        children: BTreeMap::new(),
    }
}

/// Files `ext` under its prefix and local name, as the crate expects.
fn add(map: &mut ExtensionMap, ext: Extension) {
    let (prefix, local) = ext.name.split_once(':').unwrap_or(("", &ext.name));
    let (prefix, local) = (prefix.to_string(), local.to_string());
    map.entry(prefix)
        .or_default()
        .entry(local)
        .or_default()
        .push(ext);
}

fn item(item: &FeedItem) -> Item {
    let mut extensions = ExtensionMap::new();
    let updated = super::atom::rfc3339(item.updated);
    add(&mut extensions, element("atom:updated", Some(updated), &[]));
    let mut enclosure = None;
    if let Some(img) = &item.image {
        let mime = img.mime.as_deref().unwrap_or("image/jpeg");
        // The length is unknown without fetching the image; RSS readers
        // accept 0 for "unknown".
        enclosure = Some(Enclosure {
            url: text(&img.url),
            length: "0".to_string(),
            mime_type: text(mime),
        });
        let attrs = [
            ("url", img.url.as_str()),
            ("medium", "image"),
            ("type", mime),
        ];
        add(&mut extensions, element("media:content", None, &attrs));
    }
    let mut links: Vec<Link> = item
        .alternates
        .iter()
        .map(|alt| Link {
            hreflang: Some(alt.lang.as_str().to_string()),
            mime_type: Some("text/html".to_string()),
            title: Some(text(&alt.title)),
            ..link("alternate", &alt.url)
        })
        .collect();
    if let Some(via) = &item.via {
        links.push(link("via", via));
    }
    Item {
        title: Some(text(&item.title)),
        link: item.url.as_deref().map(text),
        description: item.content_html.as_deref().map(text),
        categories: item
            .categories
            .iter()
            .map(|c| Category {
                name: text(c),
                domain: None,
            })
            .collect(),
        enclosure,
        guid: Some(Guid {
            value: text(&item.id),
            permalink: false,
        }),
        pub_date: Some(item.published.to_rfc2822()),
        source: item.via.as_deref().map(|via| Source {
            url: text(via),
            title: Some("Original article".to_string()),
        }),
        extensions,
        atom_ext: (!links.is_empty()).then_some(AtomExtension { links }),
        dublin_core_ext: Some(DublinCoreExtension {
            languages: vec![item.lang.as_str().to_string()],
            creators: item.authors.iter().map(|a| text(&a.name)).collect(),
            contributors: item.translators.iter().map(|t| text(&t.name)).collect(),
            ..DublinCoreExtension::default()
        }),
        ..Item::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stylesheet_instruction_follows_the_declaration() {
        let body = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss/>".to_vec();
        let out = String::from_utf8(with_stylesheet(body, "feed.xsl")).unwrap();
        assert_eq!(
            out,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
             <?xml-stylesheet type=\"text/xsl\" href=\"feed.xsl\"?>\n<rss/>\n"
        );
    }

    #[test]
    fn content_that_ends_a_cdata_section_and_control_characters_read_back_intact() {
        let lang = crate::domain::Lang::parse("fr").unwrap();
        let at = chrono::DateTime::UNIX_EPOCH;
        let story = FeedItem {
            id: "tag:x,2026:story/1/fr".into(),
            story_id: 1,
            lang,
            title: "Q&A \u{1}<b>".into(),
            url: Some("https://wire.example.org/fr/1".into()),
            content_html: Some("<p>a ]]> b &amp; c\u{b}</p>".into()),
            summary_html: None,
            authors: vec![],
            translators: vec![],
            categories: vec!["grève".into()],
            image: None,
            published: at,
            updated: at,
            alternates: vec![],
            via: None,
            source_name: "wire-fr".into(),
        };
        let channel = Channel {
            items: vec![item(&story)],
            ..Channel::default()
        };
        let bytes = channel.write_to(Vec::new()).unwrap();
        let back = Channel::read_from(&bytes[..]).expect("well-formed");
        let read = &back.items[0];
        assert_eq!(read.description.as_deref(), Some("<p>a ]]> b &amp; c</p>"));
        assert_eq!(read.title.as_deref(), Some("Q&A <b>"));
        let dc = read.dublin_core_ext.as_ref().expect("dc:");
        assert_eq!(dc.languages, ["fr"]);
    }
}
