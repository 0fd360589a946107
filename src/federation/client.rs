//! The one outbound client for federation, given to
//! `activitypub_federation` for every actor fetch and used by our delivery
//! workers for every POST: the ingest fetcher's reqwest client (address
//! guard in its DNS resolver, no proxy, no automatic redirects, connect
//! timeout, TLS), wrapped with two reqwest-middleware layers of ours:
//!
//! - `Guard`: the address guard for URLs whose host is an IP literal
//!   (reqwest skips the DNS hook for those), a cap on a declared body
//!   size (the crate also stops reading at 1 MiB), and no redirect to
//!   another origin: the crate follows one `Location` and then trusts the
//!   document found there for the URL it was asked for, so a redirect from
//!   `a.example` to `b.example` would let b's key speak for a's actor (the
//!   class of Mastodon's CVE-2024-23832).
//! - `knock::SigningLayer`: every GET is signed by the instance actor and
//!   every delivery by its actor, RFC 9421 first and cavage when the host
//!   refuses it (`knock`), over aws-lc-rs, so servers in authorized-fetch
//!   ("secure") mode answer. The crate's own signed fetch would sign with
//!   the `rsa` crate (RUSTSEC-2023-0071), in cavage only.

use std::sync::Arc;

use http::Extensions;
use reqwest::{Request, Response};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, Middleware, Next};

use super::knock::{Signing, SigningLayer};
use crate::net::Fetcher;

/// Activity and actor documents are a few KiB; a declared body above this
/// is refused before it is read.
pub const MAX_DOCUMENT_BYTES: u64 = 1024 * 1024;

/// Builds the client: the guard outside (it sees each request once), the
/// signing layer inside (it may send a request twice).
pub fn build(fetcher: Arc<Fetcher>, signing: Arc<Signing>) -> ClientWithMiddleware {
    ClientBuilder::new(fetcher.client().clone())
        .with(Guard { fetcher })
        .with(SigningLayer(signing))
        .build()
}

struct Guard {
    fetcher: Arc<Fetcher>,
}

#[async_trait::async_trait]
impl Middleware for Guard {
    async fn handle(
        &self,
        req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        if !matches!(req.url().scheme(), "http" | "https") {
            return Err(refused(format!("{} is not an http(s) URL", req.url())));
        }
        self.fetcher
            .check_target(req.url())
            .await
            .map_err(|e| refused(e.to_string()))?;
        let asked = req.url().clone();
        let resp = next.run(req, extensions).await?;
        if let Some(location) = resp.headers().get(http::header::LOCATION) {
            let target = location.to_str().ok().and_then(|l| asked.join(l).ok());
            match target {
                Some(to) if to.origin() == asked.origin() => {}
                _ => {
                    return Err(refused(format!(
                        "{asked} redirects to another origin ({})",
                        String::from_utf8_lossy(location.as_bytes())
                    )))
                }
            }
        }
        if resp.content_length().unwrap_or(0) > MAX_DOCUMENT_BYTES {
            return Err(refused(format!(
                "{} declares {} bytes; the limit is {MAX_DOCUMENT_BYTES}",
                resp.url(),
                resp.content_length().unwrap_or(0)
            )));
        }
        Ok(resp)
    }
}

fn refused(why: String) -> reqwest_middleware::Error {
    reqwest_middleware::Error::Middleware(anyhow::anyhow!(why))
}
