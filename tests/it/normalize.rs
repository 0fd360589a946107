//! normalize tests: the fixture feeds under `tests/fixtures/feeds/` through
//! the real parser, asserting what a reader or the operator would notice.

mod charsets;
mod titles;
mod variants;

use std::time::Instant;

use url::Url;
use wirebridge::domain::{Entry, Lang, LangOrigin, LinkRel, SourceId};
use wirebridge::normalize::{parse_feed, FeedContext, NormalizeError, ParsedFeed};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/feeds/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

fn parse_bytes(bytes: &[u8], fallback: &str) -> Result<ParsedFeed, NormalizeError> {
    parse_as(
        bytes,
        fallback,
        "https://wire.example.org/feeds/test.xml",
        None,
    )
}

/// Parses as if fetched from `base` with the HTTP `content_type`.
fn parse_as(
    bytes: &[u8],
    fallback: &str,
    base: &str,
    content_type: Option<&str>,
) -> Result<ParsedFeed, NormalizeError> {
    let source = SourceId::parse("test-source").expect("valid id");
    let lang = Lang::parse(fallback).expect("valid tag");
    let base = Url::parse(base).expect("valid URL");
    let ctx = FeedContext {
        source: &source,
        fallback_language: &lang,
        base_url: &base,
        content_type,
    };
    parse_feed(bytes, &ctx)
}

fn parse(name: &str, fallback: &str) -> ParsedFeed {
    parse_bytes(&fixture(name), fallback).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn names(people: &[wirebridge::domain::Person]) -> Vec<&str> {
    people.iter().map(|p| p.name.as_str()).collect()
}

fn link_to(entry: &Entry, rel: LinkRel) -> Vec<&str> {
    entry
        .links
        .iter()
        .filter(|l| l.rel == rel)
        .map(|l| l.href.as_str())
        .collect()
}

#[test]
fn an_outlet_rss_feed_yields_clean_entries_with_the_links_as_published() {
    let feed = parse("harbor-ledger-rss2.xml", "en");
    assert_eq!(feed.title.as_deref(), Some("Harbor Ledger — Labor & Ports"));
    assert_eq!(feed.language.as_ref().map(Lang::as_str), Some("en-US"));
    assert_eq!(
        feed.hub.as_deref(),
        Some("https://hub.harborledger.example/")
    );
    assert_eq!(
        feed.self_url.as_deref(),
        Some("https://harborledger.example/feed/")
    );
    assert_eq!(feed.entries.len(), 2);

    let strike = &feed.entries[0];
    assert_eq!(strike.key.as_str(), "guid:hl-2024-0501");
    assert_eq!(strike.guid.as_deref(), Some("hl-2024-0501"));
    // What readers follow is what the publisher wrote; the canonical form
    // is only for matching.
    assert_eq!(
        strike.url.as_deref(),
        Some("https://HarborLedger.example/2024/05/dockworkers-strike/?utm_source=rss&utm_medium=feed&fbclid=abc123")
    );
    assert_eq!(
        strike.canonical_url.as_deref(),
        Some("https://harborledger.example/2024/05/dockworkers-strike")
    );
    assert_eq!(
        (strike.language.as_str(), strike.language_origin),
        ("en-US", LangOrigin::Feed)
    );
    assert_eq!(names(&strike.authors), vec!["Rosa Whitfield"]);
    assert_eq!(strike.categories, vec!["Labor", "Ports"]);
    let image = strike.image.as_ref().expect("the enclosure image");
    assert_eq!(image.url, "https://harborledger.example/img/cranes.jpg");
    assert_eq!(image.mime.as_deref(), Some("image/jpeg"));
    assert_eq!(
        strike.published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2024-05-01T08:30:00+00:00")
    );

    let content = strike.content.as_deref().expect("content:encoded");
    let summary = strike.summary.as_deref().expect("description");
    for html in [content, summary] {
        assert!(
            !html.contains("<script") && !html.contains("track()"),
            "{html}"
        );
        assert!(
            !html.contains("iframe") && !html.contains("onmouseover"),
            "{html}"
        );
    }
    // Relative links in the content resolve against the article's URL.
    assert!(
        content.contains(r#"href="https://harborledger.example/2024/04/overtime-ledger""#),
        "{content}"
    );

    let ferry = &feed.entries[1];
    assert_eq!(ferry.guid, None);
    assert_eq!(
        ferry.url.as_deref(),
        Some("https://harborledger.example/2024/04/ferry-fares/?gclid=xyz&page=2#comments")
    );
    assert_eq!(
        ferry.canonical_url.as_deref(),
        Some("https://harborledger.example/2024/04/ferry-fares?page=2")
    );
    assert_eq!(
        ferry.key.as_str(),
        "url:https://harborledger.example/2024/04/ferry-fares?page=2"
    );
    assert_eq!(names(&ferry.authors), vec!["Tomas Brandt"]);
}

#[test]
fn rss_1_0_and_0_91_feeds_are_read() {
    let rdf = parse("wire-rdf.xml", "fr");
    assert_eq!(rdf.title.as_deref(), Some("The Wire (RDF)"));
    let tide = &rdf.entries[0];
    assert_eq!(tide.title, "Volunteers repair the tide gauges");
    assert_eq!(
        tide.url.as_deref(),
        Some("https://wire.example.org/en/tide-gauges/")
    );
    assert_eq!(
        tide.key.as_str(),
        "url:https://wire.example.org/en/tide-gauges"
    );
    assert_eq!(
        (tide.language.as_str(), tide.language_origin),
        ("en", LangOrigin::Feed)
    );
    assert_eq!(names(&tide.authors), vec!["Ines Moreau"]);
    assert!(tide.published.is_some());

    let classic = parse("wire-091.xml", "fr");
    let bus = &classic.entries[0];
    assert_eq!(bus.title, "Night buses return to the east side");
    assert_eq!(
        bus.key.as_str(),
        "url:https://wire.example.org/en/night-buses"
    );
    assert_eq!(bus.language.as_str(), "en");
}

#[test]
fn a_french_atom_entry_links_its_translations_translators_and_original() {
    let feed = parse("wire-fr.atom", "en");
    assert_eq!(feed.language.as_ref().map(Lang::as_str), Some("fr"));
    assert_eq!(feed.hub.as_deref(), Some("https://hub.wire.example.org/"));
    assert_eq!(
        feed.self_url.as_deref(),
        Some("https://wire.example.org/fr/feed.atom")
    );

    let greve = &feed.entries[0];
    assert_eq!(
        greve.title,
        "Les dockers votent la grève & réclament leurs heures"
    );
    assert_eq!(
        (greve.language.as_str(), greve.language_origin),
        ("fr", LangOrigin::Entry)
    );
    assert_eq!(
        greve.url.as_deref(),
        Some("https://wire.example.org/fr/greve-des-dockers/")
    );
    assert_eq!(
        greve.canonical_url.as_deref(),
        Some("https://wire.example.org/fr/greve-des-dockers")
    );

    let alternates: Vec<(&str, &str)> = greve
        .translation_links()
        .map(|l| {
            (
                l.hreflang.as_ref().map_or("", Lang::as_str),
                l.href.as_str(),
            )
        })
        .collect();
    assert_eq!(
        alternates,
        vec![
            ("en", "https://wire.example.org/en/dockworkers-strike"),
            ("de", "https://wire.example.org/de/hafenstreik"),
            ("pt-BR", "https://wire.example.org/pt-br/greve-portuaria"),
            ("ar", "https://wire.example.org/ar/idrab-al-mina"),
        ]
    );
    let original = "https://harborledger.example/2024/05/dockworkers-strike";
    assert_eq!(link_to(greve, LinkRel::Via), vec![original]);
    assert_eq!(link_to(greve, LinkRel::Original), vec![original]);
    assert_eq!(names(&greve.translators), vec!["Odile Fave", "Marc Lenoir"]);
    assert_eq!(names(&greve.authors), vec!["Rosa Whitfield"]);
    assert_eq!(greve.categories, vec!["Travail", "Ports"]);
    let content = greve.content.as_deref().expect("content");
    assert!(
        !content.contains("<script") && !content.contains("alert"),
        "{content}"
    );
    assert_eq!(
        greve.summary.as_deref(),
        Some("<p>Les grutiers du terminal nord arrêteront le travail vendredi.</p>")
    );

    // The second entry says nothing itself: it inherits the feed's language.
    let marees = &feed.entries[1];
    assert_eq!(
        (marees.language.as_str(), marees.language_origin),
        ("fr", LangOrigin::Feed)
    );
    assert!(marees.translation_links().next().is_none());
}

#[test]
fn a_pt_br_json_feed_keeps_its_region_and_its_credits() {
    let feed = parse("wire-pt-br.json", "en");
    assert_eq!(feed.language.as_ref().map(Lang::as_str), Some("pt-BR"));
    assert_eq!(feed.hub.as_deref(), Some("https://hub.wire.example.org/"));
    let greve = &feed.entries[0];
    assert_eq!(
        (greve.language.as_str(), greve.language_origin),
        ("pt-BR", LangOrigin::Entry)
    );
    assert_eq!(
        greve.url.as_deref(),
        Some("https://wire.example.org/pt-br/greve-portuaria?utm_source=json")
    );
    assert_eq!(
        greve.canonical_url.as_deref(),
        Some("https://wire.example.org/pt-br/greve-portuaria")
    );
    assert_eq!(names(&greve.authors), vec!["Rosa Whitfield"]);
    assert_eq!(
        names(&greve.translators),
        vec!["Beatriz Nunes", "Caio Ramos"]
    );
    let original = "https://harborledger.example/2024/05/dockworkers-strike";
    assert_eq!(link_to(greve, LinkRel::Via), vec![original]);
    assert_eq!(link_to(greve, LinkRel::Original), vec![original]);
    let langs: Vec<&str> = greve
        .translation_links()
        .filter_map(|l| l.hreflang.as_ref().map(Lang::as_str))
        .collect();
    assert_eq!(langs, vec!["en", "fr"]);
    assert_eq!(
        greve.image.as_ref().map(|i| i.url.as_str()),
        Some("https://wire.example.org/img/guindastes.jpg")
    );
    assert_eq!(greve.categories, vec!["Trabalho", "Portos"]);
    assert_eq!(
        greve.published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2024-05-02T13:00:00+00:00")
    );
}

#[test]
fn a_json_feed_1_0_with_a_numeric_id_and_plain_text_is_read() {
    let feed = parse("wire-10.json", "en");
    let note = &feed.entries[0];
    assert_eq!(note.key.as_str(), "guid:1042");
    assert_eq!(names(&note.authors), vec!["The Wire desk"]);
    assert_eq!(
        note.content.as_deref(),
        Some("<p>We now mark every correction at the top of the article.</p><p>Readers asked for it.</p>")
    );
    assert_eq!(
        (note.language.as_str(), note.language_origin),
        ("en", LangOrigin::Config)
    );
}

#[test]
fn an_arabic_feed_keeps_rtl_text_credits_and_the_original_link() {
    let feed = parse("wire-ar.xml", "en");
    let item = &feed.entries[0];
    assert_eq!(item.title, "عمال الميناء يصوتون على الإضراب");
    assert_eq!(item.language.as_str(), "ar");
    assert!(item.language.is_rtl());
    assert_eq!(names(&item.translators), vec!["ليلى حداد", "سامي نور"]);
    assert_eq!(
        link_to(item, LinkRel::Original),
        vec!["https://harborledger.example/2024/05/dockworkers-strike"]
    );
    let hreflangs: Vec<&str> = item
        .translation_links()
        .filter_map(|l| l.hreflang.as_ref().map(Lang::as_str))
        .collect();
    assert_eq!(hreflangs, vec!["en", "fr"]);
    assert!(item
        .summary
        .as_deref()
        .is_some_and(|s| s.contains(r#"dir="rtl""#)));
    assert_eq!(item.categories, vec!["عمل"]);
}

#[test]
fn a_german_item_language_contributor_and_source_are_read() {
    let feed = parse("wire-de.xml", "en");
    let item = &feed.entries[0];
    assert_eq!(
        (item.language.as_str(), item.language_origin),
        ("de-AT", LangOrigin::Entry)
    );
    // dc:contributor and the credit line name Jonas once, plus Petra.
    assert_eq!(names(&item.translators), vec!["Jonas Weber", "Petra Lang"]);
    let original = "https://harborledger.example/2024/05/dockworkers-strike";
    assert_eq!(link_to(item, LinkRel::Via), vec![original]);
    assert_eq!(link_to(item, LinkRel::Original), vec![original]);
    let image = item.image.as_ref().expect("the media:thumbnail");
    assert_eq!(image.url, "https://wire.example.org/img/kraene-klein.jpg");
    assert_eq!(image.alt.as_deref(), Some("Kräne im Morgennebel"));
}

#[test]
fn a_declared_latin1_feed_comes_out_as_correct_text() {
    let feed = parse("latin1.xml", "en");
    assert_eq!(feed.title.as_deref(), Some("Le Journal du Quai"));
    let item = &feed.entries[0];
    assert_eq!(item.title, "Fête du port : la grève déjà célèbre");
    assert!(
        item.summary
            .as_deref()
            .is_some_and(|s| s.contains("équipages") && s.contains("3 000 €")),
        "{:?}",
        item.summary
    );
    assert_eq!(item.language.as_str(), "fr");
}

#[test]
fn an_item_without_guid_or_link_gets_a_stable_body_key_that_survives_a_title_edit() {
    let bytes = fixture("no-guid.xml");
    let first = parse_bytes(&bytes, "en").expect("parses");
    let again = parse_bytes(&bytes, "en").expect("parses");
    let key = &first.entries[0].key;
    assert!(key.as_str().starts_with("hash:"), "{key:?}");
    assert_eq!(key, &again.entries[0].key, "same bytes, same key");
    assert_eq!(first.entries[0].guid, None);
    assert_eq!(first.entries[0].url, None);

    let text = String::from_utf8(bytes).expect("utf-8 fixture");
    let retitled = text.replace(
        "Fog delays morning ferries",
        "Thick fog delays the morning ferries",
    );
    let edited = parse_bytes(retitled.as_bytes(), "en").expect("parses");
    assert_eq!(
        &edited.entries[0].key, key,
        "a title edit is not a new item"
    );
    assert_ne!(
        edited.entries[0].content_hash(),
        first.entries[0].content_hash()
    );

    let rewritten = text.replace("forty minutes", "an hour");
    let changed = parse_bytes(rewritten.as_bytes(), "en").expect("parses");
    assert_ne!(&changed.entries[0].key, key);
}

#[test]
fn every_fixture_gives_the_same_keys_twice() {
    for name in [
        "harbor-ledger-rss2.xml",
        "wire-rdf.xml",
        "wire-091.xml",
        "wire-fr.atom",
        "wire-pt-br.json",
        "wire-10.json",
        "wire-ar.xml",
        "wire-de.xml",
        "no-guid.xml",
    ] {
        let keys = |feed: ParsedFeed| feed.entries.into_iter().map(|e| e.key).collect::<Vec<_>>();
        let first = keys(parse(name, "en"));
        assert!(!first.is_empty(), "{name}");
        assert_eq!(first, keys(parse(name, "en")), "{name}");
    }
}

#[test]
fn a_bare_ampersand_is_repaired_instead_of_losing_the_title() {
    let feed = parse("broken-ampersand.xml", "en");
    assert_eq!(feed.title.as_deref(), Some("Harbor Ledger — Fish & Ships"));
    let item = &feed.entries[0];
    assert_eq!(item.title, "Cod & haddock prices fall");
    assert_eq!(
        item.url.as_deref(),
        Some("https://harborledger.example/2024/05/fish-prices?a=1&b=2")
    );
    assert!(item
        .summary
        .as_deref()
        .is_some_and(|s| s.contains("cod &amp; haddock") && s.contains('—')));
}

#[test]
fn stray_control_characters_are_dropped() {
    let feed = parse("control-chars.xml", "en");
    assert_eq!(feed.title.as_deref(), Some("Harbor Ledger Wire Desk"));
    let item = &feed.entries[0];
    assert_eq!(item.title, "Pilots union signs new contract");
    assert_eq!(item.key.as_str(), "guid:hl-2024-0503");
}

#[test]
fn billion_laughs_stay_unexpanded_and_cheap() {
    let started = Instant::now();
    let feed = parse("billion-laughs.xml", "en");
    assert!(
        started.elapsed().as_secs() < 5,
        "took {:?}",
        started.elapsed()
    );
    let item = &feed.entries[0];
    assert!(
        item.title.len() < 64,
        "expanded title: {} bytes",
        item.title.len()
    );
    assert!(!item.title.contains("lollol"));
    assert!(item.summary.as_deref().is_none_or(|s| s.len() < 200));
}

#[test]
fn an_external_entity_is_never_read() {
    let feed = parse("xxe.xml", "en");
    let item = &feed.entries[0];
    let everything = format!("{} {:?} {:?}", item.title, item.summary, feed.title);
    assert!(!everything.contains("root:"), "{everything}");
    assert!(!everything.contains("/bin/"), "{everything}");
}

#[test]
fn an_html_page_is_not_a_feed() {
    match parse_bytes(&fixture("html-page.html"), "en") {
        Err(NormalizeError::NotAFeed(msg)) => assert!(msg.contains("HTML"), "{msg}"),
        other => panic!("expected NotAFeed, got {other:?}"),
    }
    match parse_bytes(br#"{"status": "ok"}"#, "en") {
        Err(NormalizeError::NotAFeed(msg)) => assert!(msg.contains("JSON Feed"), "{msg}"),
        other => panic!("expected NotAFeed, got {other:?}"),
    }
    match parse_bytes(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>", "en") {
        Err(NormalizeError::NotAFeed(msg)) => assert!(msg.contains("<svg>"), "{msg}"),
        other => panic!("expected NotAFeed, got {other:?}"),
    }
}

#[test]
fn truncated_xml_is_unreadable_with_a_clear_message() {
    match parse_bytes(&fixture("truncated.xml"), "en") {
        Err(NormalizeError::Unreadable(msg)) => {
            assert!(
                msg.contains("truncated") || msg.contains("malformed"),
                "{msg}"
            )
        }
        other => panic!("expected Unreadable, got {other:?}"),
    }
    match parse_bytes(
        b"<rss version=\"2.0\"><channel><title>x</chanel></rss>",
        "en",
    ) {
        Err(NormalizeError::Unreadable(msg)) => assert!(!msg.is_empty()),
        other => panic!("expected Unreadable, got {other:?}"),
    }
}

#[test]
fn an_undeclared_feed_in_a_plainly_different_language_is_detected() {
    let feed = br#"<rss version="2.0"><channel><title>Mixed</title><item><guid>m1</guid>
        <title>Os estivadores do porto entram em greve</title>
        <description>Os trabalhadores do porto anunciaram hoje uma greve por tempo indeterminado contra o atraso dos salarios, e os representantes disseram que as negociacoes chegaram a um impasse.</description>
        </item></channel></rss>"#;
    let parsed = parse_bytes(feed, "en").expect("parses");
    let item = &parsed.entries[0];
    assert_eq!(
        (item.language.as_str(), item.language_origin),
        ("pt", LangOrigin::Detected)
    );
    // Configured as pt-BR, the same text keeps the configured region.
    let parsed = parse_bytes(feed, "pt-BR").expect("parses");
    let item = &parsed.entries[0];
    assert_eq!(
        (item.language.as_str(), item.language_origin),
        ("pt-BR", LangOrigin::Config)
    );
}
