//! URL canonicalisation and its friends: `canonical_url` (law: idempotent),
//! `resolve_canonical` against two bases, the loose form links are matched
//! in, the article test, a declared URL shape, and the way back from one of
//! our ActivityPub ids. Input: a URL, or `PATTERN\nURL` to try a shape.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use url::Url;
use wirebridge::federation::Urls;
use wirebridge::link::{looks_like_an_article, loose_url, UrlPattern};
use wirebridge::normalize::{canonical_url, resolve_canonical};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (pattern, raw) = match text.split_once('\n') {
        Some((p, u)) => (Some(p), u),
        None => (None, text),
    };
    let mut canonical = vec![canonical_url(raw)];
    for base in [
        "https://wire.example.org/fr/feed.xml",
        "http://xn--caf-dma.example:8080/a/b/?q=1#f",
    ] {
        let base = Url::parse(base).expect("a fixed base");
        canonical.push(resolve_canonical(raw, &base));
    }
    for c in canonical.into_iter().flatten() {
        assert_eq!(
            canonical_url(&c).as_deref(),
            Some(c.as_str()),
            "not idempotent"
        );
        let loose = loose_url(&c);
        let _ = looks_like_an_article(&loose);
    }
    static SHAPE: OnceLock<UrlPattern> = OnceLock::new();
    let shape = SHAPE.get_or_init(|| {
        UrlPattern::parse("https://wire.example.org/{lang}/{slug}").expect("a fixed pattern")
    });
    let _ = shape.key(raw);
    if let Some(Ok(p)) = pattern.map(UrlPattern::parse) {
        let _ = p.key(raw);
    }
    let urls = Urls::new(&Url::parse("https://wire.example.org/").expect("fixed"));
    let _ = urls.username_of(raw);
    let _ = urls.object_of(raw);
});
