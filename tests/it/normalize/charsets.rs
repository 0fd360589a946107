//! Feeds in a legacy encoding that nobody declared (or declared wrong) are
//! read as text, not mojibake: the bytes are detected with chardetng. A
//! declaration the bytes agree with is honoured as before.

use super::{fixture, parse_as};

const BASE: &str = "https://news.example/feed.xml";

/// The channel title and first headline of each fixture
/// (tests/fixtures/feeds/make_charset_fixtures.py wrote them).
const UNDECLARED: &[(&str, &str, &str)] = &[
    (
        "charset-euc-jp.xml",
        "港湾ニュース",
        "港湾労働者が残業代の未払いに抗議してストライキを決議",
    ),
    (
        "charset-shift_jis.xml",
        "港町だより",
        "灯台の霧笛が修理され、二晩ぶりに鳴り響いた",
    ),
    (
        "charset-euc-kr.xml",
        "항구 소식",
        "항만 노동자들이 미지급 초과근무 수당에 항의하며 파업을 결의했다",
    ),
    (
        "charset-gb2312.xml",
        "港口新闻",
        "港口工人投票决定罢工，抗议拖欠加班费",
    ),
    (
        "charset-koi8-r.xml",
        "Портовые новости",
        "Портовые рабочие проголосовали за забастовку",
    ),
    (
        "charset-tis-620.xml",
        "ข่าวท่าเรือ",
        "คนงานท่าเรือลงมติหยุดงานประท้วงค่าล่วงเวลาที่ค้างจ่าย",
    ),
    (
        "charset-windows-1255.xml",
        "חדשות הנמל",
        "עובדי הנמל הצביעו בעד שביתה בגלל שעות נוספות שלא שולמו",
    ),
];

#[test]
fn undeclared_legacy_encodings_are_detected() {
    for (file, channel, headline) in UNDECLARED {
        let feed = parse_as(&fixture(file), "en", BASE, Some("application/rss+xml"))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(feed.title.as_deref(), Some(*channel), "{file}");
        assert_eq!(feed.entries.len(), 2, "{file}");
        assert_eq!(feed.entries[0].title, *headline, "{file}");
        let summary = feed.entries[1].summary.as_deref().unwrap_or("");
        assert!(!summary.contains('\u{FFFD}'), "{file}: {summary}");
    }
}

#[test]
fn a_declaration_or_header_the_bytes_contradict_is_not_believed() {
    // The XML declaration says UTF-8; the bytes are Shift_JIS.
    let feed =
        parse_as(&fixture("charset-sjis-declared-utf8.xml"), "en", BASE, None).expect("parses");
    assert_eq!(
        feed.entries[0].title,
        "造船所の見学会に千人を超える市民が集まった"
    );
    // The header says UTF-8; the bytes are EUC-KR.
    let feed = parse_as(
        &fixture("charset-euc-kr.xml"),
        "en",
        BASE,
        Some("application/rss+xml; charset=utf-8"),
    )
    .expect("parses");
    assert_eq!(feed.title.as_deref(), Some("항구 소식"));
}

#[test]
fn a_header_or_declaration_the_bytes_agree_with_is_honoured() {
    // KOI8-R bytes named by the header: read as KOI8-R, not guessed.
    let koi8 = fixture("charset-koi8-r.xml");
    let feed = parse_as(&koi8, "en", BASE, Some("text/xml; charset=\"KOI8-R\"")).expect("parses");
    assert_eq!(feed.title.as_deref(), Some("Портовые новости"));

    // A server's default `charset=ISO-8859-1` does not overrule the
    // document's own declaration of windows-1251.
    let (body, _, _) = encoding_rs::WINDOWS_1251.encode(
        "<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss version=\"2.0\"><channel>\
         <title>Новости порта</title><item><guid>a</guid><title>Паром вернулся</title></item>\
         </channel></rss>",
    );
    let feed = parse_as(&body, "en", BASE, Some("text/xml; charset=ISO-8859-1")).expect("parses");
    assert_eq!(feed.entries[0].title, "Паром вернулся");

    // UTF-8 bytes stay UTF-8 under that same server default.
    let utf8 = "<rss version=\"2.0\"><channel><title>Café</title></channel></rss>";
    let feed = parse_as(
        utf8.as_bytes(),
        "en",
        BASE,
        Some("text/xml; charset=iso-8859-1"),
    )
    .expect("parses");
    assert_eq!(feed.title.as_deref(), Some("Café"));
}
