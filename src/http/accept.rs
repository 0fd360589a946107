//! Page or feed? A feed URL answers a browser with a page and a feed reader
//! with the feed, by the request's `Accept`. The `mediatype` crate parses
//! the header (quoted strings, parameters); the choice between our two
//! representations is ours: each gets the q-value of the most specific
//! range that names it (RFC 9110 §12.5.1), and the page only wins when
//! `text/html` is preferred over every feed type, a tie going to whichever
//! range comes first. So a browser (`text/html` first, XML at 0.9) gets the
//! page; `*/*` alone (curl, newsboat), feedparser's list and Miniflux's
//! (`text/html` after the feed types at the same q) get the feed.

use axum::http::header::ACCEPT;
use axum::http::HeaderMap;
use mediatype::{names, MediaTypeList, ReadParams};

/// What a feed reader may name to get our feeds.
const FEED_TYPES: [(&str, &str); 7] = [
    ("application", "atom+xml"),
    ("application", "rss+xml"),
    ("application", "feed+json"),
    ("application", "rdf+xml"),
    ("application", "xml"),
    ("text", "xml"),
    ("application", "json"),
];

struct Range {
    ty: String,
    subty: String,
    q: f32,
    /// Position in the header(s), for ties.
    at: usize,
}

fn ranges(headers: &HeaderMap) -> Vec<Range> {
    let values = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok());
    let mut out = Vec::new();
    for (at, parsed) in values.flat_map(MediaTypeList::new).enumerate() {
        // A range we cannot read says nothing; the others still count.
        let Ok(m) = parsed else { continue };
        let q = match m.get_param(names::Q) {
            None => 1.0,
            Some(v) => match v.as_str().parse::<f32>() {
                Ok(q) if (0.0..=1.0).contains(&q) => q,
                _ => continue,
            },
        };
        let subty = match &m.suffix {
            Some(suffix) => format!("{}+{}", m.subty.as_str(), suffix.as_str()),
            None => m.subty.as_str().to_string(),
        };
        out.push(Range {
            ty: m.ty.as_str().to_ascii_lowercase(),
            subty: subty.to_ascii_lowercase(),
            q,
            at,
        });
    }
    out
}

/// The q-value and position of the most specific range naming `ty/subty`.
fn preference(ranges: &[Range], ty: &str, subty: &str) -> Option<(f32, usize)> {
    ranges
        .iter()
        .filter_map(|r| {
            let specificity = match (r.ty.as_str(), r.subty.as_str()) {
                (t, s) if t == ty && s == subty => 2,
                (t, "*") if t == ty => 1,
                ("*", "*") => 0,
                _ => return None,
            };
            Some((specificity, r))
        })
        // The most specific; among equals, the first.
        .max_by(|(a, ra), (b, rb)| a.cmp(b).then(rb.at.cmp(&ra.at)))
        .map(|(_, r)| (r.q, r.at))
}

/// Whether the client prefers an HTML page to any of our feed types.
pub fn prefers_html(headers: &HeaderMap) -> bool {
    let ranges = ranges(headers);
    let Some((html_q, html_at)) = preference(&ranges, "text", "html") else {
        return false;
    };
    html_q > 0.0
        && FEED_TYPES.iter().all(|(ty, subty)| {
            preference(&ranges, ty, subty)
                .is_none_or(|(q, at)| html_q > q || (html_q == q && html_at < at))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT, value.parse().unwrap());
        h
    }

    #[test]
    fn html_wins_only_when_preferred_over_every_feed_type() {
        for (value, html) in [
            ("text/html", true),
            ("text/html, */*", true),
            ("text/html;q=0.5, application/xml;q=0.9", false),
            ("application/atom+xml, text/html", false),
            ("text/*, application/rss+xml;q=0.5", false),
            ("text/html, text/*;q=0.5, application/rss+xml;q=0.5", true),
            ("text/*", false),
            ("*/*", false),
            ("text/html;q=0, */*", false),
            ("text/html;q=nonsense, application/xml;q=0.1", false),
            ("application/json, TEXT/HTML;q=1.0", false),
            ("text/html; charset=\"a,b\", application/xml;q=0.9", true),
            ("", false),
        ] {
            assert_eq!(prefers_html(&accept(value)), html, "{value:?}");
        }
        assert!(!prefers_html(&HeaderMap::new()), "no Accept: the feed");
    }
}
