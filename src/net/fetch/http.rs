//! The HTTP side of a fetch: the hand-followed redirect chain (every hop
//! guarded, counted, loop-checked), the status → outcome mapping, and the
//! body read under a cap on decompressed bytes.

use std::collections::HashSet;
use std::error::Error as StdError;
use std::net::{IpAddr, SocketAddr};

use bytes::BytesMut;
use chrono::Utc;
use futures::StreamExt;
use reqwest::header::{
    HeaderValue, ACCEPT, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE,
    IF_NONE_MATCH, LAST_MODIFIED, LOCATION,
};
use reqwest::{Response, StatusCode};
use url::{Host, Url};

use super::resolver::{describe, Refused};
use super::{hints, FetchError, FetchOutcome, Fetched, Fetcher, Validators};

/// Feed formats first; generic XML/JSON next; anything as a last resort,
/// since many servers label feeds `text/html` or `application/octet-stream`.
const ACCEPT_FEEDS: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
     application/json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5";

pub async fn fetch(fetcher: &Fetcher, start: &Url, validators: &Validators) -> FetchOutcome {
    match follow(fetcher, start, validators).await {
        Ok(outcome) => outcome,
        Err(e) => FetchOutcome::Failed(e),
    }
}

async fn follow(
    fetcher: &Fetcher,
    start: &Url,
    validators: &Validators,
) -> Result<FetchOutcome, FetchError> {
    let max_redirects = fetcher.settings.max_redirects;
    let mut current = start.clone();
    let mut seen = HashSet::from([without_fragment(&current)]);
    let mut hops = 0;
    let mut every_hop_permanent = true;
    loop {
        check_target(fetcher, &current).await?;
        let response = send(fetcher, &current, validators).await?;
        let status = response.status();
        if !matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
            return finish(fetcher, response, current, hops > 0 && every_hop_permanent).await;
        }
        let next = location(&response, &current)?;
        if !seen.insert(without_fragment(&next)) {
            return Err(FetchError::RedirectLoop(next.to_string()));
        }
        hops += 1;
        if hops > max_redirects {
            return Err(FetchError::TooManyRedirects(max_redirects));
        }
        // 302/303/307 say "this time only": the scheduler keeps the old URL.
        every_hop_permanent &= matches!(
            status,
            StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
        );
        current = next;
    }
}

/// The redirect target; a 3xx without a usable Location is a plain failure.
fn location(response: &Response, current: &Url) -> Result<Url, FetchError> {
    let status = response.status().as_u16();
    let next = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| current.join(v.trim()).ok())
        .ok_or(FetchError::Status(status))?;
    // A feed may never redirect us onto the local disk or anything exotic.
    match next.scheme() {
        "http" | "https" => Ok(next),
        other => Err(FetchError::Scheme(other.to_owned())),
    }
}

fn without_fragment(url: &Url) -> Url {
    let mut url = url.clone();
    url.set_fragment(None);
    url
}

/// The guard's check before a hop is sent. reqwest never asks the resolver
/// about IP-literal hosts, so those are judged here. Names are judged by the
/// resolver at connect time; they are also resolved here when trusted pairs
/// exist, because only here is the port known (the resolver trusts by IP).
pub(super) async fn check_target(fetcher: &Fetcher, url: &Url) -> Result<(), FetchError> {
    let policy = &fetcher.policy;
    if !policy.enabled() {
        return Ok(());
    }
    let port = url.port_or_known_default().unwrap_or(80);
    let addrs: Vec<SocketAddr> = match url.host() {
        Some(Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Some(Host::Domain(_)) if !policy.has_trusted() => return Ok(()),
        Some(Host::Domain(name)) => tokio::net::lookup_host((name, port))
            .await
            .map_err(|e| FetchError::Network(format!("cannot resolve {name}: {e}")))?
            .collect(),
        None => return Err(FetchError::Network(format!("{url} has no host"))),
    };
    if addrs.iter().any(|a| policy.refusal(*a).is_none()) {
        return Ok(());
    }
    let host = url.host_str().unwrap_or_default();
    Err(FetchError::Forbidden(format!(
        "{host}: {}",
        describe(&addrs, |a| policy.refusal(*a))
    )))
}

async fn send(
    fetcher: &Fetcher,
    url: &Url,
    validators: &Validators,
) -> Result<Response, FetchError> {
    let mut request = fetcher
        .client
        .get(url.clone())
        .header(ACCEPT, HeaderValue::from_static(ACCEPT_FEEDS));
    // Echoed byte for byte: weak tags (W/"…") and quotes are the server's.
    if let Some(value) = validators.etag.as_deref().and_then(header_value) {
        request = request.header(IF_NONE_MATCH, value);
    }
    if let Some(value) = validators.last_modified.as_deref().and_then(header_value) {
        request = request.header(IF_MODIFIED_SINCE, value);
    }
    request.send().await.map_err(|e| classify(fetcher, &e))
}

fn header_value(text: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(text).ok()
}

/// Turns the final (non-redirect) response into an outcome.
async fn finish(
    fetcher: &Fetcher,
    response: Response,
    final_url: Url,
    moved_permanently: bool,
) -> Result<FetchOutcome, FetchError> {
    let status = response.status();
    let cache = hints::from_headers(response.headers(), Utc::now());
    match status {
        StatusCode::OK => {}
        // The body of a 304 is empty by definition: nothing is read.
        StatusCode::NOT_MODIFIED => return Ok(FetchOutcome::NotModified { cache }),
        StatusCode::GONE => return Ok(FetchOutcome::Gone),
        StatusCode::TOO_MANY_REQUESTS => {
            return Ok(FetchOutcome::RateLimited { cache, status: 429 })
        }
        // A 503 that says when to return is a request to slow down; without
        // a usable Retry-After it is an ordinary failure (and backoff).
        StatusCode::SERVICE_UNAVAILABLE if cache.retry_after.is_some() => {
            return Ok(FetchOutcome::RateLimited { cache, status: 503 })
        }
        other => return Err(FetchError::Status(other.as_u16())),
    }
    let text = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let validators = Validators {
        etag: text(ETAG),
        last_modified: text(LAST_MODIFIED),
    };
    let content_type = text(CONTENT_TYPE);
    let body = read_body(fetcher, response).await?;
    Ok(FetchOutcome::Fetched(Fetched {
        body,
        content_type,
        moved_permanently_to: moved_permanently.then(|| final_url.clone()),
        final_url,
        validators,
        cache,
    }))
}

/// Reads the body, counting decompressed bytes (reqwest inflates gzip,
/// deflate and brotli inside the stream), and stops as soon as the count
/// passes the cap: a gzip bomb costs us at most the cap plus one chunk.
async fn read_body(fetcher: &Fetcher, response: Response) -> Result<bytes::Bytes, FetchError> {
    let cap = fetcher.settings.max_body_bytes;
    // reqwest drops Content-Length and Content-Encoding when it decodes, so
    // a length still present here is the length of the identity body.
    let declared = response
        .headers()
        .get(CONTENT_LENGTH)
        .filter(|_| !response.headers().contains_key(CONTENT_ENCODING))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > cap) {
        return Err(FetchError::TooLarge(cap));
    }
    let mut body = BytesMut::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| classify(fetcher, &e))?;
        if (body.len() + chunk.len()) as u64 > cap {
            return Err(FetchError::TooLarge(cap));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A reqwest error as a `FetchError`: the guard's refusal (raised inside the
/// resolver) is `Forbidden`, a connect timeout is `Timeout`, the rest is
/// `Network` with the whole cause chain, since the top-level message alone
/// ("error sending request") tells an operator nothing.
fn classify(fetcher: &Fetcher, error: &reqwest::Error) -> FetchError {
    let mut source: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return FetchError::Forbidden(refused.to_string());
        }
        source = e.source();
    }
    if error.is_timeout() {
        return FetchError::Timeout(fetcher.settings.connect_timeout);
    }
    FetchError::Network(chain(error))
}

/// "outer: inner: innermost", skipping repeats (hyper often repeats itself).
pub fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = Some(error);
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}
