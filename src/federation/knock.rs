//! Signing every outgoing federation request, RFC 9421 first
//! ("double-knocking", as the SWICG report on HTTP signatures describes
//! it): a request the host refuses with 401 or 403 is signed again in the
//! other scheme and sent once more, and the scheme that got through is
//! remembered per host in the store (`fed_signature_schemes`), so every
//! instance on the database starts with it. A memory older than
//! `REMEMBER_FOR` is ignored: a host that upgraded is offered RFC 9421
//! again.
//!
//! A reqwest-middleware layer of the federation client: deliveries name
//! the actor that signs them with a `SignAs` extension; a GET without one
//! (the crate's fetches of actors, keys and objects) is signed by the
//! instance actor. Every attempt is signed afresh over aws-lc-rs. It must
//! not decide what a delivery's status means; that is the queue's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use http::{Extensions, StatusCode};
use reqwest::{Method, Request, Response};
use reqwest_middleware::{Middleware, Next};

use super::keys::Signer;
use super::signature::{self, Scheme};
use super::{instance, Urls};
use crate::store::Store;

/// How long a host's accepted scheme is trusted.
pub const REMEMBER_FOR: chrono::Duration = chrono::Duration::days(7);

/// The actor of ours that signs a request (by username). Without it a GET
/// is signed by the instance actor and anything else goes unsigned.
#[derive(Clone, Debug)]
pub struct SignAs(pub String);

/// A signed GET refused in both schemes: the host wants someone else, or
/// nobody. "Unauthenticated", not a fault of the host or of ours.
#[derive(Debug, thiserror::Error)]
#[error("{url} answered {status} to our signed fetch in both schemes (unauthenticated)")]
pub struct Unauthenticated {
    pub url: String,
    pub status: u16,
}

/// The signing layer: our keys, loaded once each, and the store that
/// remembers schemes.
pub struct Signing {
    store: Store,
    urls: Urls,
    signers: Mutex<HashMap<String, Arc<Signer>>>,
}

impl Signing {
    pub fn new(store: Store, urls: Urls) -> Signing {
        Signing {
            store,
            urls,
            signers: Mutex::new(HashMap::new()),
        }
    }

    async fn signer(&self, name: &str) -> anyhow::Result<Arc<Signer>> {
        if let Some(s) = self
            .signers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
        {
            return Ok(Arc::clone(s));
        }
        let keys = super::actor_keys(&self.store, name)
            .await
            .map_err(|e| anyhow::anyhow!("no key to sign with: {e}"))?;
        let signer = Arc::new(Signer::from_pkcs8_pem(&keys.private_pem)?);
        self.signers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), Arc::clone(&signer));
        Ok(signer)
    }

    fn key_id(&self, name: &str) -> String {
        if name == instance::KEY_NAME {
            self.urls.instance_key_id()
        } else {
            self.urls.key_id(name)
        }
    }

    /// What the store knows of `host`; a store error is logged and taken
    /// for "nothing known" (RFC 9421 first, as for a new host).
    async fn known(&self, host: &str) -> Option<(Scheme, DateTime<Utc>)> {
        match self.store.fed_signature_scheme(host).await {
            Ok(row) => row.and_then(|(s, at)| Some((Scheme::parse(&s)?, at))),
            Err(e) => {
                tracing::warn!(host, error = %e, "cannot read the host's signature scheme");
                None
            }
        }
    }

    /// `host` accepted `used`: written when it is news or the memory had
    /// lapsed — at most once per host and `REMEMBER_FOR`, not per request.
    /// A success never extends a memory that still holds: a cavage-only
    /// host must be offered RFC 9421 again once it lapses.
    async fn learnt(&self, host: &str, used: Scheme, known: Option<(Scheme, DateTime<Utc>)>) {
        let now = Utc::now();
        let news = known.is_none_or(|(s, at)| s != used || now - at > REMEMBER_FOR);
        if !news {
            return;
        }
        if let Err(e) = self
            .store
            .fed_remember_signature_scheme(host, used.label(), now)
            .await
        {
            tracing::warn!(host, error = %e, "cannot remember the host's signature scheme");
        }
    }

    /// `req` with `name`'s signature in `scheme` added.
    async fn signed(
        &self,
        mut req: Request,
        name: &str,
        scheme: Scheme,
    ) -> anyhow::Result<Request> {
        let signer = self.signer(name).await?;
        let body = req.body().and_then(|b| b.as_bytes()).map(<[u8]>::to_vec);
        let headers = signature::sign(
            scheme,
            &signer,
            &self.key_id(name),
            req.method().as_str(),
            req.url(),
            body.as_deref(),
            Utc::now(),
        )?;
        for (name, value) in headers {
            // reqwest writes Host from the URL, exactly as signed.
            if name != "host" {
                req.headers_mut()
                    .insert(name, http::HeaderValue::from_str(&value)?);
            }
        }
        crate::observe::signed_request(scheme.label(), req.method().as_str());
        Ok(req)
    }
}

/// What a host says when it does not accept a signature.
fn refused(status: StatusCode) -> bool {
    status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN
}

/// The client's signing layer (see the module doc).
pub struct SigningLayer(pub Arc<Signing>);

#[async_trait::async_trait]
impl Middleware for SigningLayer {
    async fn handle(
        &self,
        req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let signing = &self.0;
        let name = match extensions.get::<SignAs>() {
            Some(SignAs(name)) => name.clone(),
            None if req.method() == Method::GET => instance::KEY_NAME.to_string(),
            None => return next.run(req, extensions).await,
        };
        let is_get = req.method() == Method::GET;
        let url = req.url().to_string();
        let host = signature::authority(req.url());
        let known = signing.known(&host).await;
        let first = known
            .filter(|(_, at)| Utc::now() - *at <= REMEMBER_FOR)
            .map_or(Scheme::Rfc9421, |(s, _)| s);
        let spare = req.try_clone();
        let req = signing
            .signed(req, &name, first)
            .await
            .map_err(reqwest_middleware::Error::Middleware)?;
        let resp = next.clone().run(req, extensions).await?;
        if !refused(resp.status()) {
            signing.learnt(&host, first, known).await;
            return Ok(resp);
        }
        let Some(spare) = spare else {
            return Ok(resp);
        };
        let second = first.other();
        tracing::debug!(
            host,
            status = resp.status().as_u16(),
            from = first.label(),
            to = second.label(),
            "signature refused; knocking again"
        );
        crate::observe::signature_fallback(first.label(), second.label());
        let req = signing
            .signed(spare, &name, second)
            .await
            .map_err(reqwest_middleware::Error::Middleware)?;
        let resp = next.run(req, extensions).await?;
        if !refused(resp.status()) {
            signing.learnt(&host, second, known).await;
        } else if is_get {
            return Err(reqwest_middleware::Error::Middleware(
                Unauthenticated {
                    url,
                    status: resp.status().as_u16(),
                }
                .into(),
            ));
        }
        Ok(resp)
    }
}
