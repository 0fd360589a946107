//! Atom 1.0 (RFC 4287) with RFC 5005 history and WebSub links: each entry
//! carries its own `xml:lang`, an `alternate` link per other language
//! version with `hreflang`, and the original as `rel="via"`.

use chrono::{DateTime, SecondsFormat, Utc};

use super::xml::Xml;
use super::{feed_path, public, FeedDoc, FeedItem, Format, Page};
use crate::config::Config;
use crate::domain::Person;

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
pub(super) const HISTORY_NS: &str = "http://purl.org/syndication/history/1.0";

pub(super) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(super) fn write(config: &Config, doc: &FeedDoc) -> Vec<u8> {
    let key = &doc.key;
    let mut x = Xml::new(Some(&super::xsl_href(key.page)));
    let lang = match &key.scope {
        super::Scope::Lang(l) => Some(l.as_str()),
        super::Scope::All => None,
    };
    let mut root = vec![("xmlns", ATOM_NS), ("xmlns:fh", HISTORY_NS)];
    if let Some(l) = lang {
        root.push(("xml:lang", l));
    }
    x.open("feed", &root);
    let live = public(config, &feed_path(&key.scope, Page::Live, Format::Atom));
    // One logical feed: archive pages share the live feed's id.
    x.text("id", &[], &live);
    x.text("title", &[], &doc.title);
    x.text("updated", &[], &rfc3339(doc.updated));
    let this = public(config, &feed_path(&key.scope, key.page, Format::Atom));
    x.empty(
        "link",
        &[
            ("rel", "self"),
            ("type", Format::Atom.media_type()),
            ("href", &this),
        ],
    );
    let home = public(config, "/");
    x.empty(
        "link",
        &[("rel", "alternate"), ("type", "text/html"), ("href", &home)],
    );
    for (rel, href) in super::history_links(config, doc, Format::Atom) {
        x.empty("link", &[("rel", rel), ("href", &href)]);
    }
    if doc.complete {
        x.empty("fh:archive", &[]);
    }
    x.open("author", &[]);
    x.text("name", &[], &config.publisher.name);
    x.close("author");
    x.text(
        "generator",
        &[("version", env!("CARGO_PKG_VERSION"))],
        "wirebridge",
    );
    for item in &doc.items {
        entry(&mut x, item);
    }
    x.close("feed");
    x.finish()
}

fn entry(x: &mut Xml, item: &FeedItem) {
    x.open("entry", &[("xml:lang", item.lang.as_str())]);
    x.text("id", &[], &item.id);
    x.text("title", &[], &item.title);
    x.text("updated", &[], &rfc3339(item.updated));
    x.text("published", &[], &rfc3339(item.published));
    if let Some(url) = &item.url {
        x.empty(
            "link",
            &[
                ("rel", "alternate"),
                ("type", "text/html"),
                ("hreflang", item.lang.as_str()),
                ("href", url),
            ],
        );
    }
    for alt in &item.alternates {
        x.empty(
            "link",
            &[
                ("rel", "alternate"),
                ("type", "text/html"),
                ("hreflang", alt.lang.as_str()),
                ("title", &alt.title),
                ("href", &alt.url),
            ],
        );
    }
    if let Some(via) = &item.via {
        x.empty("link", &[("rel", "via"), ("href", via)]);
    }
    if let Some(img) = &item.image {
        let mime = img.mime.as_deref().unwrap_or("image/jpeg");
        let mut attrs = vec![
            ("rel", "enclosure"),
            ("type", mime),
            ("href", img.url.as_str()),
        ];
        if let Some(alt) = &img.alt {
            attrs.push(("title", alt));
        }
        x.empty("link", &attrs);
    }
    people(x, "author", &item.authors);
    people(x, "contributor", &item.translators);
    for c in &item.categories {
        x.empty("category", &[("term", c)]);
    }
    if let Some(s) = &item.summary_html {
        x.text("summary", &[("type", "html")], s);
    }
    if let Some(c) = &item.content_html {
        x.text("content", &[("type", "html")], c);
    }
    x.close("entry");
}

fn people(x: &mut Xml, tag: &str, people: &[Person]) {
    for p in people {
        x.open(tag, &[]);
        x.text("name", &[], &p.name);
        if let Some(url) = &p.url {
            x.text("uri", &[], url);
        }
        x.close(tag);
    }
}
