//! The feed routes: `/feeds/{lang}.{fmt}`, `/feeds/{lang}/archive/{n}.{fmt}`
//! and the browser stylesheet. Bytes come rendered and compressed from
//! `publish::Feeds`; this file only speaks HTTP: the feed or its page for
//! people by `Accept` (`accept`), conditional GET (ETag and Last-Modified
//! → 304, each representation with its own ETag), `Accept-Encoding`
//! negotiation, caching headers.

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::{Path, State};
use axum::http::header::{
    ACCEPT, ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG,
    IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LINK, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;

use super::{App, AppError};
use crate::publish::{
    feed_path, lang_name, FeedKey, Feeds, Format, Page, Rendered, Scope, FEED_XSL,
};

const LIVE_CACHE: &str = "public, max-age=300";
/// A complete archive page never changes.
const ARCHIVE_CACHE: &str = "public, max-age=604800, immutable";

pub fn routes() -> Router<App> {
    Router::new()
        .route("/", get(super::home::home))
        .route("/feeds/feed.xsl", get(stylesheet))
        .route("/feeds/{file}", get(live))
        .route("/feeds/{lang}/archive/{file}", get(archive))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/xsl; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        FEED_XSL,
    )
}

async fn live(
    State(feeds): State<Feeds>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some((lang, ext)) = file.rsplit_once('.') else {
        return not_found(&feeds, &format!("`{file}` is not a feed name"));
    };
    serve(&feeds, lang, Page::Live, ext, &headers).await
}

async fn archive(
    State(feeds): State<Feeds>,
    Path((lang, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let page = file
        .rsplit_once('.')
        .and_then(|(n, ext)| Some((n.parse::<u32>().ok()?, ext)));
    let Some((n, ext)) = page else {
        return not_found(&feeds, &format!("`{file}` is not an archive page name"));
    };
    serve(&feeds, &lang, Page::Archive(n), ext, &headers).await
}

async fn serve(feeds: &Feeds, lang: &str, page: Page, ext: &str, headers: &HeaderMap) -> Response {
    let Some(scope) = Scope::parse(lang, &feeds.config()) else {
        return not_found(
            feeds,
            &format!("there is no feed for the language `{lang}`"),
        );
    };
    let Some(format) = Format::parse(ext) else {
        return not_found(feeds, &format!("`{ext}` is not a feed format"));
    };
    let key = FeedKey {
        scope,
        page,
        format,
    };
    match feeds.get(&key).await {
        Ok(Some(r)) => respond(&key, &r, headers),
        Ok(None) => not_found(feeds, &format!("{key} does not exist (yet)")),
        Err(e) => AppError::internal("rendering a feed", format!("{key}: {e}")).into_response(),
    }
}

fn respond(key: &FeedKey, r: &Arc<Rendered>, req: &HeaderMap) -> Response {
    // The feed, or its page for people for a browser: each with its own
    // bytes, ETags and type; the same freshness and Last-Modified.
    let page = super::accept::prefers_html(req);
    let (bodies, etag_values, etag, content_type) = if page {
        let html = &r.html;
        let ct = "text/html; charset=utf-8";
        (
            [&html.body, &html.gzip, &html.br],
            &html.etag_values,
            &html.etag,
            ct,
        )
    } else {
        let ct = media_type(key.format, req);
        ([&r.body, &r.gzip, &r.br], &r.etag_values, &r.etag, ct)
    };
    // Every header value was made when the page was rendered: the hot path
    // only clones them (reference-counted bytes).
    let encoding = negotiate(req);
    let i = match encoding {
        Encoding::Identity => 0,
        Encoding::Gzip => 1,
        Encoding::Br => 2,
    };
    let mut h = HeaderMap::with_capacity(8);
    h.insert(ETAG, etag_values[i].clone());
    h.insert(LAST_MODIFIED, r.last_modified_value.clone());
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static(if r.complete {
            ARCHIVE_CACHE
        } else {
            LIVE_CACHE
        }),
    );
    h.insert(VARY, HeaderValue::from_static("Accept-Encoding, Accept"));
    // WebSub discovery (self, hub) is for feed readers.
    if let (false, Some(link)) = (page, &r.link_value) {
        h.insert(LINK, link.clone());
    }
    if not_modified(req, etag, r) {
        return (StatusCode::NOT_MODIFIED, h).into_response();
    }
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    match encoding {
        Encoding::Br => {
            h.insert(CONTENT_ENCODING, HeaderValue::from_static("br"));
        }
        Encoding::Gzip => {
            h.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        Encoding::Identity => {}
    }
    (StatusCode::OK, h, bodies[i].clone()).into_response()
}

/// A client that names `text/html` without preferring it to our feeds
/// (Miniflux lists it after them) gets RSS and Atom as `application/xml`,
/// as every such client did before the page existed; a browser shown the
/// XML that way would apply `feed.xsl`.
fn media_type(format: Format, req: &HeaderMap) -> &'static str {
    let browser = req
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    match format {
        Format::Atom | Format::Rss if browser => "application/xml; charset=utf-8",
        Format::Rss => "application/rss+xml; charset=utf-8",
        Format::Atom => "application/atom+xml; charset=utf-8",
        Format::Json => "application/feed+json; charset=utf-8",
    }
}

/// The opaque part of a tag, with `W/` and our encoding suffix removed:
/// If-None-Match uses the weak comparison (RFC 9110 §13.1.2).
fn opaque(tag: &str) -> &str {
    let t = tag.trim();
    let t = t.strip_prefix("W/").unwrap_or(t).trim_matches('"');
    t.strip_suffix("-gz")
        .or_else(|| t.strip_suffix("-br"))
        .unwrap_or(t)
}

/// If-None-Match (lists, `*`, weak tags) against `etag`, the identity tag
/// of the representation being answered, wins over If-Modified-Since,
/// which is only looked at when there is no If-None-Match.
fn not_modified(req: &HeaderMap, etag: &str, r: &Rendered) -> bool {
    let ours = opaque(etag);
    let mut inm = req.get_all(IF_NONE_MATCH).iter().peekable();
    if inm.peek().is_some() {
        return inm
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim() == "*" || opaque(t) == ours);
    }
    req.get(IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
        .is_some_and(|since| SystemTime::from(r.last_modified) <= since)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Br,
    Gzip,
    Identity,
}

/// The best encoding the client accepts: brotli before gzip when their
/// q-values tie, identity when neither is acceptable.
fn negotiate(req: &HeaderMap) -> Encoding {
    let mut best = (Encoding::Identity, 0.0_f32);
    for value in req.get_all(ACCEPT_ENCODING).iter() {
        let Ok(value) = value.to_str() else { continue };
        for part in value.split(',') {
            let mut bits = part.split(';');
            let name = bits.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = bits
                .filter_map(|b| b.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let enc = match name.as_str() {
                "br" => Encoding::Br,
                "gzip" | "x-gzip" => Encoding::Gzip,
                _ => continue,
            };
            let better = q > best.1 || (q == best.1 && q > 0.0 && enc == Encoding::Br);
            if q > 0.0 && better {
                best = (enc, q);
            }
        }
    }
    best.0
}

/// A 404 a person can act on: which feeds exist.
fn not_found(feeds: &Feeds, why: &str) -> Response {
    let config = feeds.config();
    let mut body = format!("Not found: {why}.\n\nFeeds of {}:\n", config.publisher.name);
    for lang in &config.publisher.languages {
        let scope = Scope::Lang(lang.clone());
        let paths: Vec<String> = Format::ALL
            .iter()
            .map(|f| feed_path(&scope, Page::Live, *f))
            .collect();
        body.push_str(&format!(
            "  {} ({}): {}\n",
            lang,
            lang_name(lang),
            paths.join("  ")
        ));
    }
    let paths: Vec<String> = Format::ALL
        .iter()
        .map(|f| feed_path(&Scope::All, Page::Live, *f))
        .collect();
    body.push_str(&format!("  all languages: {}\n", paths.join("  ")));
    body.push_str("Language tags match in any case: /feeds/pt-br.atom works.\n");
    (
        StatusCode::NOT_FOUND,
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        Bytes::from(body),
    )
        .into_response()
}
