//! The strict pass over real-shaped XML: what it reads, counts and refuses.

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

#[test]
fn links_and_titles_are_kept_as_written_and_dc_title_is_read() {
    let xml = r#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/"><channel>
        <item><title>Example <b>Atom</b></title><link> https://Example.org/log/0042/?utm_source=rss&amp;x=1 </link>
          <media:group><media:thumbnail url="https://example.org/t.jpg"/></media:group><media:title>Quay</media:title></item>
        <item><dc:title>Only <i>DC</i></dc:title><title>Plain</title></item>
    </channel></rss>"#;
    let ex = read_xml(xml).expect("well-formed");
    let a = &ex.items[0];
    let title = a.title.as_ref().expect("title");
    assert_eq!((title.text.as_str(), title.markup), ("Example Atom", true));
    assert_eq!(
        a.link.as_deref(),
        Some("https://Example.org/log/0042/?utm_source=rss&x=1")
    );
    assert_eq!(a.thumbnail.as_deref(), Some("https://example.org/t.jpg"));
    assert_eq!(a.media_title.as_deref(), Some("Quay"));
    let b = &ex.items[1];
    assert_eq!(b.dc_title.as_deref(), Some("Only DC"));
    assert_eq!(b.title.as_ref().map(|t| t.markup), Some(false));
}

#[test]
fn items_of_every_flavour_are_counted_with_the_feeds_namespace() {
    let count = |xml: &str| {
        let ex = read_xml(xml).expect("well-formed");
        (ex.items.len(), ex.core_ns, ex.items_outside_channel)
    };
    assert_eq!(
        count(
            r#"<rss xmlns="http://backend.userland.com/rss2"><channel><item/><item/></channel></rss>"#
        ),
        (2, Some("http://backend.userland.com/rss2".into()), 0)
    );
    assert_eq!(
        count(
            r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel/><item/></rdf:RDF>"#
        ),
        (1, Some("http://my.netscape.com/rdf/simple/0.9/".into()), 0)
    );
    assert_eq!(
        count(r#"<feed xmlns="http://purl.org/atom/ns#"><entry/><entry/><entry/></feed>"#),
        (3, Some("http://purl.org/atom/ns#".into()), 0)
    );
    assert_eq!(count(r#"<rss><item/><item/></rss>"#), (2, None, 2));
    // An element merely named `item` in another vocabulary is no entry.
    assert_eq!(
        count(r#"<rss><channel><x:item xmlns:x="urn:x"/></channel></rss>"#),
        (0, None, 0)
    );
}
