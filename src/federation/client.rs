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
//! - `SignedFetch`: every GET is signed by our first actor over aws-lc-rs,
//!   so servers in authorized-fetch ("secure") mode answer. The crate's own
//!   signed fetch would sign with the `rsa` crate (RUSTSEC-2023-0071).

use std::sync::Arc;

use chrono::Utc;
use http::Extensions;
use reqwest::{Method, Request, Response};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, Middleware, Next};
use url::Url;

use super::keys::Signer;
use super::signature::sign_get;
use crate::net::Fetcher;
use crate::store::Store;

/// Activity and actor documents are a few KiB; a declared body above this
/// is refused before it is read.
pub const MAX_DOCUMENT_BYTES: u64 = 1024 * 1024;

/// The signing identity for GETs: an actor's key id and where its key is.
#[derive(Clone)]
pub struct FetchIdentity {
    pub username: String,
    pub key_id: String,
    pub store: Store,
}

/// Builds the client; `identity` is `None` when no actor is configured
/// (then GETs go unsigned).
pub fn build(fetcher: Arc<Fetcher>, identity: Option<FetchIdentity>) -> ClientWithMiddleware {
    let mut builder = ClientBuilder::new(fetcher.client().clone()).with(Guard { fetcher });
    if let Some(identity) = identity {
        builder = builder.with(SignedFetch {
            identity,
            signer: tokio::sync::OnceCell::new(),
        });
    }
    builder.build()
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

struct SignedFetch {
    identity: FetchIdentity,
    signer: tokio::sync::OnceCell<Arc<Signer>>,
}

impl SignedFetch {
    async fn signer(&self) -> anyhow::Result<Arc<Signer>> {
        let signer = self
            .signer
            .get_or_try_init(|| async {
                let keys = super::actor_keys(&self.identity.store, &self.identity.username)
                    .await
                    .map_err(|e| anyhow::anyhow!("no key to sign fetches with: {e}"))?;
                Ok::<_, anyhow::Error>(Arc::new(Signer::from_pkcs8_pem(&keys.private_pem)?))
            })
            .await?;
        Ok(Arc::clone(signer))
    }
}

#[async_trait::async_trait]
impl Middleware for SignedFetch {
    async fn handle(
        &self,
        mut req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        if req.method() == Method::GET && !req.headers().contains_key("signature") {
            let signer = self
                .signer()
                .await
                .map_err(reqwest_middleware::Error::Middleware)?;
            let url: Url = req.url().clone();
            let headers = sign_get(&signer, &self.identity.key_id, &url, Utc::now())
                .map_err(|e| reqwest_middleware::Error::Middleware(e.into()))?;
            for (name, value) in headers {
                let value = http::HeaderValue::from_str(&value)
                    .map_err(|e| reqwest_middleware::Error::Middleware(e.into()))?;
                req.headers_mut().insert(name, value);
            }
        }
        next.run(req, extensions).await
    }
}
