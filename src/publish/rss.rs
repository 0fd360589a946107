//! RSS 2.0 with the namespaces readers know: `dc:` for each item's language,
//! author and translators, `atom:link` for the other language versions
//! (`hreflang`), the hub and RFC 5005 history, `media:` for the image.
//! `<source url>` names the original article.

use super::atom::HISTORY_NS;
use super::xml::Xml;
use super::{feed_path, public, FeedDoc, FeedItem, Format};
use crate::config::Config;

pub(super) fn write(config: &Config, doc: &FeedDoc) -> Vec<u8> {
    let key = &doc.key;
    let mut x = Xml::new(Some(&super::xsl_href(key.page)));
    x.open(
        "rss",
        &[
            ("version", "2.0"),
            ("xmlns:atom", "http://www.w3.org/2005/Atom"),
            ("xmlns:dc", "http://purl.org/dc/elements/1.1/"),
            ("xmlns:media", "http://search.yahoo.com/mrss/"),
            ("xmlns:fh", HISTORY_NS),
        ],
    );
    x.open("channel", &[]);
    x.text("title", &[], &doc.title);
    x.text("link", &[], &public(config, "/"));
    x.text("description", &[], &doc.title);
    if let super::Scope::Lang(l) = &key.scope {
        x.text("language", &[], l.as_str());
    }
    x.text("lastBuildDate", &[], &doc.updated.to_rfc2822());
    x.text("generator", &[], "wirebridge");
    let this = public(config, &feed_path(&key.scope, key.page, Format::Rss));
    x.empty(
        "atom:link",
        &[
            ("rel", "self"),
            ("type", Format::Rss.media_type()),
            ("href", &this),
        ],
    );
    for (rel, href) in super::history_links(config, doc, Format::Rss) {
        x.empty("atom:link", &[("rel", rel), ("href", &href)]);
    }
    if doc.complete {
        x.empty("fh:archive", &[]);
    }
    for item in &doc.items {
        entry(&mut x, item);
    }
    x.close("channel");
    x.close("rss");
    x.finish()
}

fn entry(x: &mut Xml, item: &FeedItem) {
    x.open("item", &[]);
    x.text("title", &[], &item.title);
    if let Some(url) = &item.url {
        x.text("link", &[], url);
    }
    x.text("guid", &[("isPermaLink", "false")], &item.id);
    x.text("pubDate", &[], &item.published.to_rfc2822());
    x.text("atom:updated", &[], &super::atom::rfc3339(item.updated));
    x.text("dc:language", &[], item.lang.as_str());
    for a in &item.authors {
        x.text("dc:creator", &[], &a.name);
    }
    for t in &item.translators {
        x.text("dc:contributor", &[], &t.name);
    }
    for c in &item.categories {
        x.text("category", &[], c);
    }
    for alt in &item.alternates {
        x.empty(
            "atom:link",
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
        x.text("source", &[("url", via)], "Original article");
        x.empty("atom:link", &[("rel", "via"), ("href", via)]);
    }
    if let Some(img) = &item.image {
        let mime = img.mime.as_deref().unwrap_or("image/jpeg");
        // The length is unknown without fetching the image; RSS readers
        // accept 0 for "unknown".
        x.empty(
            "enclosure",
            &[("url", &img.url), ("type", mime), ("length", "0")],
        );
        x.empty(
            "media:content",
            &[("url", &img.url), ("medium", "image"), ("type", mime)],
        );
    }
    if let Some(c) = &item.content_html {
        x.text("description", &[], c);
    }
    x.close("item");
}
