//! The inbox. Which scheme a POST is signed in is read from its headers
//! (`signature`), and our policy for it checked first: what it must cover,
//! the window, the digest, a signature made for another server.
//!
//! - Cavage goes through `activitypub_federation`: the crate checks the
//!   Digest, the activity's id against its actor's domain, fetches the
//!   actor through our client (`RemoteActor`, cached in the store) and
//!   verifies the signature with the actor's key — so the key's owner is
//!   the actor.
//! - RFC 9421, which the crate does not know, takes the same steps here:
//!   the id checks the crate keeps to itself, the actor looked up the
//!   crate's way, the RSA check with its key (`verify::Verifier`).
//!
//! Either way a signature that fails with a cached key is tried once more
//! after a fresh look (key rotation); what the activity then means is
//! `activities`.

use std::sync::Arc;

use activitypub_federation::axum::inbox::{receive_activity, ActivityData};
use activitypub_federation::config::Data;
use activitypub_federation::error::Error as ApError;
use activitypub_federation::protocol::verification::verify_domains_match;
use activitypub_federation::traits::Activity;
use axum::body::{Body, Bytes};
use axum::extract::FromRequest;
use axum::http::{HeaderMap, Method, Uri};
use chrono::Utc;
use serde_json::Value;

mod activities;

pub use super::error::InboxError;
use super::remote::RemoteActor;
use super::signature::{self, Pending, Received, Rejected, Scheme};
use super::verify::{header, Verifier};
use super::Federation;

pub use activities::Incoming;

/// Bodies above this are refused with 413 (Mastodon's own limit is 1 MiB;
/// an activity is a few KiB).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// What happened to an accepted activity (for logs).
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Followed,
    Unfollowed,
    Counted,
    Ignored,
}

/// The inboxes' shared state: the verifier (our federation and the
/// crate's configuration around it).
pub struct Inbox {
    verifier: Arc<Verifier>,
}

impl Inbox {
    pub fn new(fed: Arc<Federation>) -> Inbox {
        Inbox::with_verifier(Arc::new(Verifier::new(fed)))
    }

    pub fn with_verifier(verifier: Arc<Verifier>) -> Inbox {
        Inbox { verifier }
    }

    pub fn federation(&self) -> &Arc<Federation> {
        self.verifier.federation()
    }

    /// One inbox POST, as it came.
    pub async fn receive(
        &self,
        method: Method,
        uri: Uri,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<(), InboxError> {
        let fed = self.federation();
        let doc: Value =
            serde_json::from_slice(&body).map_err(|e| InboxError::BadRequest(e.to_string()))?;
        let lookup = |name: &str| header(headers, name);
        let target = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
        let pending = signature::check(
            &Received {
                method: method.as_str(),
                origin: fed.urls.origin(),
                target,
                lookup: &lookup,
                body: &body,
            },
            Utc::now(),
        )?;
        // A signature made for another server must not be replayable here:
        // the Host is ours (a proxy in front must pass Host through anyway,
        // or no signature would verify).
        let ours = super::actor::acct_host(&fed.config);
        if !lookup("host").is_some_and(|h| h.eq_ignore_ascii_case(&ours)) {
            return Err(Rejected::Malformed(format!("not signed for {ours}")).into());
        }
        let actor_id = id_of(doc.get("actor"));
        let deletes_itself = doc.get("type").and_then(Value::as_str) == Some("Delete")
            && actor_id.is_some()
            && id_of(doc.get("object")) == actor_id;

        let result = match pending.scheme {
            Scheme::Cavage => {
                self.receive_cavage(&method, &uri, headers, &body, actor_id.as_deref())
                    .await
            }
            Scheme::Rfc9421 => self.receive_rfc9421(&pending, doc).await,
        };
        let outcome = if result.is_ok() {
            "verified"
        } else {
            "refused"
        };
        crate::observe::signature_received(pending.scheme.label(), outcome);
        match result {
            // A deleted account's key is gone (410) unless we cached it;
            // with nothing cached we never knew it: nothing to remove.
            Err(InboxError::Federation(ApError::ObjectDeleted(_))) if deletes_itself => Ok(()),
            other => other,
        }
    }

    /// Cavage: the crate's `receive_activity`, once more after a fresh look
    /// at the actor when the cached key fails.
    async fn receive_cavage(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &Bytes,
        actor_id: Option<&str>,
    ) -> Result<(), InboxError> {
        let attempt = |data: Data<Arc<Federation>>| {
            let req = rebuild(method, uri, headers, body);
            async move {
                let activity = ActivityData::from_request(req, &())
                    .await
                    .map_err(|_| InboxError::BadRequest("unreadable body".into()))?;
                receive_activity::<Incoming, RemoteActor, Arc<Federation>>(activity, &data).await
            }
        };
        match attempt(self.verifier.data().await?).await {
            // Stale, not forgotten: if the look fails, the cached key and
            // inboxes stay for the sender's next attempt.
            Err(InboxError::Federation(ApError::ActivitySignatureInvalid)) => {
                if let Some(actor) = actor_id {
                    self.federation()
                        .store
                        .fed_expire_remote_actor(actor)
                        .await?;
                }
                attempt(self.verifier.data().await?).await
            }
            other => other,
        }
    }

    /// RFC 9421: the steps of the crate's `receive_activity`, with our
    /// signature check in place of its cavage one.
    async fn receive_rfc9421(&self, pending: &Pending, doc: Value) -> Result<(), InboxError> {
        let activity: Incoming = serde_json::from_value(doc)
            .map_err(|err| ApError::ParseReceivedActivity { err, id: None })?;
        self.check_ids(&activity)?;
        let data = self.verifier.data().await?;
        self.verifier
            .by_actor(pending, activity.actor(), &data)
            .await?;
        activity.verify(&data).await?;
        activity.receive(&data).await
    }

    /// What the crate checks of a received activity's id before looking at
    /// its actor (`verify_url_and_domain`, private to it): same domain as
    /// the actor, https (plain http only where private peers are allowed),
    /// no explicit port in production, and not one of ours.
    fn check_ids(&self, activity: &Incoming) -> Result<(), InboxError> {
        verify_domains_match(activity.id(), activity.actor())?;
        let fed = self.federation();
        let debug = fed.config.fetch.allow_private_addresses;
        let id = activity.id();
        let refuse = |why: &'static str| Err(ApError::UrlVerificationError(why).into());
        match id.scheme() {
            "https" => {}
            "http" if debug => {}
            _ => return refuse("Http urls are only allowed in debug mode"),
        }
        if !debug && id.port().is_some() {
            return refuse("Explicit port is not allowed");
        }
        if host_of(id).as_deref() == Some(super::actor::acct_host(&fed.config).as_str()) {
            return refuse("Activity was sent from local instance");
        }
        Ok(())
    }
}

/// The host of the key a request claims to be signed with (either
/// scheme), unverified; `None` when unsigned or unreadable. For a request
/// already refused.
pub fn claimed_key_host(headers: &HeaderMap) -> Option<String> {
    signature::claimed_key_host(&|name: &str| header(headers, name))
}

fn rebuild(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> axum::http::Request<Body> {
    let mut req = axum::http::Request::new(Body::from(body.clone()));
    *req.method_mut() = method.clone();
    *req.uri_mut() = uri.clone();
    *req.headers_mut() = headers.clone();
    req
}

/// An id given as a string or as an object with an `id`.
pub fn id_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

pub fn host_of(url: &url::Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    })
}
