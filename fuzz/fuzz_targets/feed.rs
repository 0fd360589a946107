//! Feed bytes → `normalize::parse_feed` (RSS, Atom, JSON Feed; the repair
//! pass when the strict read fails) and the page scan for `hreflang`
//! alternates. Law: the repair pass, run on its own, never turns a feed
//! we read into one we cannot read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use url::Url;
use wirebridge::domain::{Lang, SourceId};
use wirebridge::normalize::{page_alternates, parse_feed, repair_leniently, FeedContext};

fuzz_target!(|data: &[u8]| {
    let source = SourceId::parse("fuzz").expect("a fixed id");
    let lang = Lang::parse("pt-BR").expect("a fixed tag");
    let base = Url::parse("https://wire.example.org/pt-br/feed.xml").expect("a fixed URL");
    let ctx = FeedContext {
        source: &source,
        fallback_language: &lang,
        base_url: &base,
        content_type: None,
    };
    let read = parse_feed(data, &ctx);
    if let Err(e) = &read {
        let _ = e.to_string();
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = page_alternates(text, &base);
    if let Some(repaired) = repair_leniently(text) {
        let again = parse_feed(repaired.as_bytes(), &ctx);
        if read.is_ok() {
            assert!(
                again.is_ok(),
                "repair broke a readable feed: {:?}",
                again.err()
            );
        }
        assert_eq!(
            repair_leniently(&repaired),
            None,
            "repair is not idempotent"
        );
    }
});
