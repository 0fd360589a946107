//! The feed variants real publishers ship that a strict RSS/Atom parser
//! refuses or reads as empty: Atom 0.3, `<rss>` without a version, RSS 0.90,
//! RSS 1.0 with prefixed elements, RSS 2.0 in a namespace — each read as a
//! feed reader shows it — and a feed whose items nobody could place, which
//! is an error rather than an empty success.

use wirebridge::domain::Lang;
use wirebridge::normalize::NormalizeError;

use super::{fixture, names, parse, parse_bytes};

fn date(d: Option<chrono::DateTime<chrono::Utc>>) -> Option<String> {
    d.map(|d| d.to_rfc3339())
}

#[test]
fn an_atom_0_3_feed_is_read_with_its_dates_links_and_content_modes() {
    let feed = parse("atom03.xml", "fr");
    assert_eq!(feed.title.as_deref(), Some("Lighthouse Notes & Logbook"));
    assert_eq!(feed.language.as_ref().map(Lang::as_str), Some("en"));
    assert_eq!(feed.entries.len(), 3);

    let fog = &feed.entries[0];
    assert_eq!(fog.title, "Fog signal repaired");
    assert_eq!(
        fog.guid.as_deref(),
        Some("tag:lighthouse.example,2005:notes.12")
    );
    assert_eq!(
        fog.url.as_deref(),
        Some("https://lighthouse.example/2005/03/fog-signal")
    );
    // `issued` is the publication date, `modified` the last change.
    assert_eq!(
        date(fog.published).as_deref(),
        Some("2005-03-14T07:00:00+00:00")
    );
    assert_eq!(
        date(fog.updated).as_deref(),
        Some("2005-03-14T09:30:00+00:00")
    );
    // mode="escaped": the text is the HTML.
    assert_eq!(
        fog.content.as_deref(),
        Some("<p>The compressor for the fog horn runs again after two silent nights.</p>")
    );

    let log = &feed.entries[1];
    assert_eq!(log.title, "Example Atom keeper's log");
    // Relative, under the feed's xml:base; the trailing slash stays.
    assert_eq!(
        log.url.as_deref(),
        Some("https://lighthouse.example/2005/03/keepers-log/")
    );
    assert_eq!(
        date(log.published).as_deref(),
        Some("2005-03-07T18:45:00+00:00")
    );
    // mode="base64" plain text, and inline XHTML content.
    assert_eq!(
        log.summary.as_deref(),
        Some("<p>Seals on the south rocks, three pups counted.</p>")
    );
    let content = log.content.as_deref().expect("xhtml content");
    assert!(
        content.contains("Three grey seal pups") && content.contains("<em>mother</em>"),
        "{content}"
    );

    let relief = &feed.entries[2];
    assert_eq!(relief.title, "Q&A with the relief keeper");
    assert_eq!(
        relief.url.as_deref(),
        Some("https://Lighthouse.example/2005/02/relief-keeper/?from=atom")
    );
    assert_eq!(names(&relief.authors), vec!["Jonas Vik"]);
    // Atom 0.3 let `issued` go without a zone, W3C-DTF lets a time go
    // without seconds: read as UTC, and as :00.
    assert_eq!(
        date(relief.published).as_deref(),
        Some("2005-02-28T12:00:00+00:00")
    );
    assert_eq!(
        date(relief.updated).as_deref(),
        Some("2005-03-01T07:15:00+00:00")
    );
    assert_eq!(
        relief.content.as_deref(),
        Some("<p>Plain words about the relief rota and the long walk out.</p>")
    );
}

#[test]
fn an_rss_without_a_version_is_read_as_rss_2_0() {
    let feed = parse("rss-no-version.xml", "fr");
    assert_eq!(feed.title.as_deref(), Some("Allotment Society Bulletin"));
    assert_eq!(feed.language.as_ref().map(Lang::as_str), Some("en-GB"));
    let got: Vec<(&str, Option<&str>, Option<String>)> = feed
        .entries
        .iter()
        .map(|e| (e.title.as_str(), e.url.as_deref(), date(e.published)))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "Water butts delivered",
                Some("https://allotments.example/news/water-butts"),
                Some("2019-04-06T09:15:00+00:00".to_string())
            ),
            (
                "Seed swap moved indoors",
                Some("https://allotments.example/news/seed-swap"),
                Some("2019-03-24T09:00:00+00:00".to_string())
            ),
        ]
    );
    assert_eq!(feed.entries[0].key.as_str(), "guid:allot-2019-041");
    assert_eq!(
        feed.entries[1].summary.as_deref(),
        Some("Rain is forecast, so the swap happens in the pavilion.")
    );
}

#[test]
fn an_rss_0_90_feed_is_read() {
    let feed = parse("rss090.rdf", "en");
    assert_eq!(feed.title.as_deref(), Some("Tram Timetable Changes"));
    let got: Vec<(&str, &str, &str)> = feed
        .entries
        .iter()
        .map(|e| {
            (
                e.title.as_str(),
                e.url.as_deref().unwrap_or(""),
                e.key.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "Line 5 diverted at Market Square",
                "https://trams.example/notices/line-5-diversion",
                "url:https://trams.example/notices/line-5-diversion"
            ),
            (
                "Night service on line 9 extended",
                "https://trams.example/notices/line-9-nights",
                "url:https://trams.example/notices/line-9-nights"
            ),
        ]
    );
    // RSS 0.90 has no dates at all.
    assert!(feed.entries.iter().all(|e| e.published.is_none()));
}

#[test]
fn an_rss_1_0_feed_with_prefixed_elements_and_a_dc_title_is_read() {
    let feed = parse("rss1-prefixed.rdf", "fr");
    assert_eq!(feed.title.as_deref(), Some("Hill Observatory Open Nights"));
    assert_eq!(feed.entries.len(), 2);
    let perseids = &feed.entries[0];
    assert_eq!(perseids.title, "Perseids watch on the lawn");
    assert_eq!(
        perseids.url.as_deref(),
        Some("https://observatory.example/nights/perseids")
    );
    assert_eq!(
        date(perseids.published).as_deref(),
        Some("2021-08-12T19:30:00+00:00")
    );
    assert_eq!(names(&perseids.authors), vec!["Ilse Brandt"]);
    assert_eq!(perseids.language.as_str(), "en");
    let saturn = &feed.entries[1];
    assert_eq!(saturn.title, "Saturn at opposition", "from dc:title");
    assert_eq!(
        date(saturn.published).as_deref(),
        Some("2021-08-02T20:00:00+00:00")
    );
}

#[test]
fn an_rss_2_0_feed_with_a_default_namespace_on_its_root_is_read() {
    let feed = parse("rss2-namespaced.xml", "en");
    assert_eq!(feed.title.as_deref(), Some("Ferry Line Status"));
    assert_eq!(feed.entries.len(), 2);
    let cancelled = &feed.entries[0];
    assert_eq!(cancelled.title, "Morning crossing cancelled");
    assert_eq!(
        cancelled.url.as_deref(),
        Some("https://ferries.example/status/2023-11-02-morning")
    );
    assert_eq!(
        cancelled.key.as_str(),
        "guid:https://ferries.example/status/2023-11-02-morning"
    );
    assert_eq!(
        date(cancelled.published).as_deref(),
        Some("2023-11-02T06:10:00+00:00")
    );
    assert_eq!(names(&cancelled.authors), vec!["Harbour office"]);
    assert_eq!(
        cancelled.summary.as_deref(),
        Some("A gale warning keeps the 07:00 boat in port.")
    );
    assert_eq!(feed.entries[1].title, "Timetable for the winter season");
}

#[test]
fn a_feed_whose_items_we_cannot_read_is_an_error_naming_how_many() {
    match parse_bytes(&fixture("items-outside-channel.xml"), "en") {
        Err(NormalizeError::ItemsUnreadable { items, why }) => {
            assert_eq!(items, 2);
            assert!(why.contains("<channel>"), "{why}");
        }
        other => panic!("expected ItemsUnreadable, got {other:?}"),
    }
    let err = parse_bytes(&fixture("items-outside-channel.xml"), "en").expect_err("unreadable");
    assert!(
        err.to_string()
            .starts_with("feed has 2 items we could not read: "),
        "{err}"
    );
}

#[test]
fn a_feed_without_items_is_empty_not_an_error() {
    let feed = parse_bytes(
        br#"<rss version="2.0"><channel><title>Nothing yet</title></channel></rss>"#,
        "en",
    )
    .expect("an empty feed is a feed");
    assert!(feed.entries.is_empty());
    let feed = parse_bytes(
        br#"<rss><channel><title>Nothing yet</title></channel></rss>"#,
        "en",
    )
    .expect("an empty feed without a version is a feed too");
    assert_eq!(feed.title.as_deref(), Some("Nothing yet"));
}
