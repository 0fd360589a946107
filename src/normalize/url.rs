//! Canonical article URLs: the form two mentions of one article agree on.
//! Pure string work; never fetches anything.

use url::Url;

/// Query parameters that only say who sent the reader, never which page.
/// Matched case-insensitively; anything starting with `utm_` too.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "igshid",
    "_ga",
    "_gl",
    "ref_src",
    "ref_url",
    "yclid",
    "twclid",
    "ttclid",
    "li_fat_id",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "_hsenc",
    "_hsmi",
    "wt.mc_id",
];

/// Canonical form of an absolute `http(s)` URL: scheme and host lower case,
/// default port, fragment and tracking parameters removed, no trailing slash
/// on the path (the root `/` stays). Other parameters keep their order and
/// their original encoding. Anything else (relative, `javascript:`,
/// `mailto:`, garbage) is `None`: it is not an article address.
pub fn canonical_url(raw: &str) -> Option<String> {
    let url = Url::parse(raw.trim()).ok()?;
    canonicalize(url)
}

/// Resolves `raw` (possibly relative) against `base`, then canonicalizes.
pub fn resolve_canonical(raw: &str, base: &Url) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    canonicalize(base.join(raw).ok()?)
}

/// The address as the publisher wrote it: an absolute `http(s)` URL is
/// kept byte for byte (host case, trailing slash, tracking parameters and
/// fragment included); a relative one is resolved against `base`. Text a
/// URL cannot contain as written (whitespace, quotes, angle brackets,
/// controls) is replaced by the parsed form, which means the same address
/// and is safe to write into any markup. Non-web addresses are `None`.
pub fn published_url(raw: &str, base: &Url) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let (parsed, absolute) = match Url::parse(raw) {
        Ok(url) => (url, true),
        Err(url::ParseError::RelativeUrlWithoutBase) => (base.join(raw).ok()?, false),
        Err(_) => return None,
    };
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return None;
    }
    let clean = !raw
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>' | '`' | '\\'));
    Some(if absolute && clean {
        raw.to_string()
    } else {
        parsed.to_string()
    })
}

fn canonicalize(mut url: Url) -> Option<String> {
    // `Url::parse` already lower-cases scheme and host (punycoding IDNs) and
    // drops the scheme's default port.
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return None;
    }
    url.set_fragment(None);
    let kept: Option<String> = url.query().map(|q| {
        q.split('&')
            .filter(|pair| !pair.is_empty() && !is_tracking(pair))
            .collect::<Vec<_>>()
            .join("&")
    });
    url.set_query(kept.as_deref().filter(|q| !q.is_empty()));
    let path = url.path();
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        let trimmed = if trimmed.is_empty() { "/" } else { trimmed }.to_string();
        url.set_path(&trimmed);
    }
    Some(url.to_string())
}

fn is_tracking(pair: &str) -> bool {
    let name = pair.split('=').next().unwrap_or(pair).to_ascii_lowercase();
    name.starts_with("utm_") || TRACKING_PARAMS.contains(&name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_and_host_case_default_port_and_fragment_are_normalized() {
        assert_eq!(
            canonical_url("HTTPS://Wire.Example.ORG:443/News/Story#comments").as_deref(),
            Some("https://wire.example.org/News/Story")
        );
        assert_eq!(
            canonical_url("http://wire.example.org:80/a").as_deref(),
            Some("http://wire.example.org/a")
        );
        assert_eq!(
            canonical_url("https://wire.example.org:8443/a").as_deref(),
            Some("https://wire.example.org:8443/a")
        );
    }

    #[test]
    fn tracking_parameters_go_and_the_others_keep_their_order() {
        assert_eq!(
            canonical_url("https://harborledger.example/s?utm_source=rss&id=7&fbclid=x&UTM_Medium=y&page=2&gclid=1&mc_cid=a&mc_eid=b&igshid=c&_ga=d&ref_src=e&yclid=f&msclkid=g&dclid=h").as_deref(),
            Some("https://harborledger.example/s?id=7&page=2")
        );
        assert_eq!(
            canonical_url("https://harborledger.example/s?utm_campaign=z").as_deref(),
            Some("https://harborledger.example/s")
        );
    }

    #[test]
    fn a_kept_parameter_keeps_its_original_encoding() {
        assert_eq!(
            canonical_url("https://harborledger.example/search?q=caf%C3%A9+bar&utm_term=x")
                .as_deref(),
            Some("https://harborledger.example/search?q=caf%C3%A9+bar")
        );
    }

    #[test]
    fn the_trailing_slash_goes_but_the_root_stays() {
        assert_eq!(
            canonical_url("https://wire.example.org/fr/2024/story/").as_deref(),
            Some("https://wire.example.org/fr/2024/story")
        );
        assert_eq!(
            canonical_url("https://wire.example.org/").as_deref(),
            Some("https://wire.example.org/")
        );
        assert_eq!(
            canonical_url("https://wire.example.org").as_deref(),
            Some("https://wire.example.org/")
        );
    }

    #[test]
    fn relative_links_resolve_against_the_base() {
        let base = Url::parse("https://wire.example.org/fr/feed.xml").expect("static URL");
        assert_eq!(
            resolve_canonical("../de/artikel/?utm_source=x", &base).as_deref(),
            Some("https://wire.example.org/de/artikel")
        );
        assert_eq!(
            resolve_canonical("/ar/story#top", &base).as_deref(),
            Some("https://wire.example.org/ar/story")
        );
    }

    #[test]
    fn a_published_url_keeps_every_byte_the_publisher_wrote() {
        let base = Url::parse("https://wire.example.org/fr/feed.xml").expect("static URL");
        for raw in [
            "https://Example.org/log/0042/?utm_source=rss&id=7#top",
            "HTTPS://Wire.Example.ORG:443/News/Story/",
            "https://wire.example.org/caf%C3%A9/",
            "https://wire.example.org/café/",
        ] {
            assert_eq!(published_url(raw, &base).as_deref(), Some(raw));
        }
        assert_eq!(
            published_url("  ../de/artikel/?utm_source=x ", &base).as_deref(),
            Some("https://wire.example.org/de/artikel/?utm_source=x")
        );
        assert_eq!(
            published_url("https://wire.example.org/a b\"<x>", &base).as_deref(),
            Some("https://wire.example.org/a%20b%22%3Cx%3E")
        );
        assert_eq!(published_url("javascript:alert(1)", &base), None);
        assert_eq!(published_url("mailto:desk@wire.example.org", &base), None);
    }

    #[test]
    fn non_web_addresses_are_not_article_urls() {
        assert_eq!(canonical_url("javascript:alert(1)"), None);
        assert_eq!(canonical_url("mailto:desk@wire.example.org"), None);
        assert_eq!(canonical_url("/relative/only"), None);
        assert_eq!(canonical_url("not a url"), None);
    }
}

#[cfg(test)]
mod laws {
    use super::*;
    use proptest::prelude::*;

    /// URL-shaped text: scheme and host in any case (IDNs, IPs), ports,
    /// dot segments, repeated and trailing slashes, percent escapes,
    /// tracking and empty query pairs, fragments.
    fn url_like() -> impl Strategy<Value = String> {
        let scheme = prop::sample::select(vec!["http", "https", "HTTPS", "Http", "ftp", ""]);
        let host = prop::sample::select(vec![
            "wire.example.org",
            "WWW.Example.COM",
            "café.example",
            "xn--caf-dma.example",
            "127.0.0.1",
            "[::1]",
            "0x7f.1",
            "",
        ]);
        let port = prop::option::of(prop::sample::select(vec![80u16, 443, 8080, 0]));
        let segment = prop::sample::select(vec![
            "a",
            "News",
            ".",
            "..",
            "%2e%2e",
            "%2F",
            "",
            "статья",
            "a b",
            "%zz",
            "x;y",
            "~u",
        ]);
        let pair = prop::sample::select(vec![
            "id=7",
            "utm_source=rss",
            "UTM_Medium=x",
            "fbclid=1",
            "",
            "q=caf%C3%A9+bar",
            "a=1=2",
            "=",
            "page",
            "wt.mc_id=z",
        ]);
        (
            scheme,
            host,
            port,
            prop::collection::vec(segment, 0..6),
            prop::option::of(prop::collection::vec(pair, 0..5)),
            prop::option::of("[a-z#/?]{0,4}"),
            prop::bool::ANY,
        )
            .prop_map(|(scheme, host, port, path, query, fragment, slash)| {
                let mut s = format!("{scheme}://{host}");
                if let Some(p) = port {
                    s.push_str(&format!(":{p}"));
                }
                for seg in path {
                    s.push('/');
                    s.push_str(seg);
                }
                if slash {
                    s.push('/');
                }
                if let Some(q) = query {
                    s.push('?');
                    s.push_str(&q.join("&"));
                }
                if let Some(f) = fragment {
                    s.push('#');
                    s.push_str(&f);
                }
                s
            })
    }

    proptest! {
        #[test]
        fn canonicalisation_is_idempotent(raw in prop_oneof![url_like(), any::<String>()]) {
            if let Some(c) = canonical_url(&raw) {
                prop_assert_eq!(canonical_url(&c), Some(c.clone()));
            }
            let base = Url::parse("https://wire.example.org/fr/feed.xml").expect("static URL");
            if let Some(c) = resolve_canonical(&raw, &base) {
                prop_assert_eq!(canonical_url(&c), Some(c.clone()));
            }
        }

        #[test]
        fn a_canonical_url_keeps_no_fragment_tracking_parameter_or_trailing_slash(raw in url_like()) {
            if let Some(c) = canonical_url(&raw) {
                let u = Url::parse(&c).expect("canonical URLs parse");
                prop_assert!(u.fragment().is_none(), "{}", c);
                prop_assert!(u.path() == "/" || !u.path().ends_with('/'), "{}", c);
                for pair in u.query().unwrap_or_default().split('&') {
                    prop_assert!(pair.is_empty() || !is_tracking(pair), "{}", c);
                }
            }
        }
    }
}
