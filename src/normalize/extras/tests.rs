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
