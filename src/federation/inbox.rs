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
//! after a fresh look (key rotation), and then each activity id is
//! processed once: Follow → follower + Accept through the durable queue;
//! Undo Follow, Block, actor Delete → follower removed; Like, Announce and
//! replies counted; anything else acknowledged and ignored.

use std::sync::Arc;

use activitypub_federation::axum::inbox::{receive_activity, ActivityData};
use activitypub_federation::config::Data;
use activitypub_federation::error::Error as ApError;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::protocol::verification::verify_domains_match;
use activitypub_federation::traits::Activity;
use axum::body::{Body, Bytes};
use axum::extract::FromRequest;
use axum::http::{HeaderMap, Method, Uri};
use chrono::Utc;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use url::Url;

use super::activity;
use super::remote::RemoteActor;
use super::signature::{self, Pending, Received, Rejected, Scheme};
use super::verify::{header, Verifier};
use super::Federation;
use crate::store::{FollowerRow, StoreError};

/// Bodies above this are refused with 413 (Mastodon's own limit is 1 MiB;
/// an activity is a few KiB).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("{0}")]
    Unauthorized(#[from] Rejected),
    #[error("{0}")]
    Federation(#[from] ApError),
    #[error("not an activity: {0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("federation is not set up: {0}")]
    Setup(String),
    #[error("{0}")]
    Forbidden(String),
}

impl InboxError {
    /// The HTTP status the sender gets.
    pub fn status(&self) -> u16 {
        match self {
            InboxError::Unauthorized(_) => 401,
            InboxError::Federation(ApError::ParseReceivedActivity { .. }) => 400,
            // A bad digest or signature, an actor we cannot fetch, an id on
            // another domain than its actor: not authenticated.
            InboxError::Federation(_) => 401,
            InboxError::BadRequest(_) => 400,
            InboxError::Forbidden(_) => 403,
            InboxError::Store(_) | InboxError::Setup(_) => 500,
        }
    }
}

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
        crate::observe::signature_received(pending.scheme, outcome);
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
            .by_actor(pending, &activity.actor, &data)
            .await?;
        activity.verify(&data).await?;
        activity.receive(&data).await
    }

    /// What the crate checks of a received activity's id before looking at
    /// its actor (`verify_url_and_domain`, private to it): same domain as
    /// the actor, https (plain http only where private peers are allowed),
    /// no explicit port in production, and not one of ours.
    fn check_ids(&self, activity: &Incoming) -> Result<(), InboxError> {
        verify_domains_match(&activity.id, &activity.actor)?;
        let fed = self.federation();
        let debug = fed.config.fetch.allow_private_addresses;
        let id = &activity.id;
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

/// Any activity, as the crate hands it over: its id and actor checked,
/// the rest kept as JSON for `dispatch`.
#[derive(Debug)]
pub struct Incoming {
    id: Url,
    actor: Url,
    doc: Value,
}

impl<'de> Deserialize<'de> for Incoming {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let doc = Value::deserialize(d)?;
        let url = |field: &str| {
            id_of(doc.get(field))
                .and_then(|s| Url::parse(&s).ok())
                .ok_or_else(|| D::Error::custom(format!("no {field} URL")))
        };
        Ok(Incoming {
            id: url("id")?,
            actor: url("actor")?,
            doc,
        })
    }
}

#[async_trait::async_trait]
impl Activity for Incoming {
    type DataType = Arc<Federation>;
    type Error = InboxError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        &self.actor
    }

    /// The signature and the id's domain are checked (by the crate, or by
    /// `receive_rfc9421`); what the activity means is decided in
    /// `receive`. Two checks are ours: the host is not blocked
    /// (`policy`), and the key
    /// that verified belongs to an actor stored under exactly the id the
    /// activity names. The crate keeps the document it was redirected to
    /// under that document's own id, so an actor reached through any
    /// redirect (which the client already refuses across origins) is not
    /// the actor the activity claims.
    async fn verify(&self, data: &Data<Arc<Federation>>) -> Result<(), InboxError> {
        if let Some(host) = host_of(&self.actor) {
            if !super::policy::allows(data.app_data(), &host) {
                return Err(InboxError::Forbidden(format!("{host} is blocked")));
            }
        }
        let known = data
            .app_data()
            .store
            .fed_remote_actor(self.actor.as_str())
            .await?;
        if known.is_none() {
            return Err(Rejected::Malformed(format!(
                "the key that signed this is not {}'s",
                self.actor
            ))
            .into());
        }
        Ok(())
    }

    async fn receive(self, data: &Data<Arc<Federation>>) -> Result<(), InboxError> {
        let fed = data.app_data();
        // Any signed contact revives a host we had given up on.
        if let Some(host) = host_of(&self.actor) {
            fed.store.fed_host_ok(&host).await?;
        }
        let id = self.id.as_str();
        if !fed.store.fed_inbox_first_seen(id, Utc::now()).await? {
            tracing::debug!(activity = id, "already processed");
            return Ok(());
        }
        let kind = self
            .doc
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let object_id = id_of(self.doc.get("object"));
        match dispatch(
            data,
            &self.doc,
            kind,
            self.actor.as_str(),
            object_id.as_deref(),
        )
        .await
        {
            Ok(outcome) => {
                tracing::debug!(activity = id, ?outcome, "inbox activity");
                Ok(())
            }
            Err(e) => {
                // Not processed: the sender's retry must not be taken for a
                // replay.
                fed.store.fed_inbox_forget(id).await?;
                Err(e)
            }
        }
    }
}

async fn dispatch(
    data: &Data<Arc<Federation>>,
    doc: &Value,
    kind: &str,
    actor_id: &str,
    object_id: Option<&str>,
) -> Result<Outcome, InboxError> {
    let fed = data.app_data();
    let now = Utc::now();
    let ours = |id: Option<&str>| {
        id.and_then(|i| fed.urls.username_of(i))
            .and_then(|n| fed.actor(n))
    };
    match kind {
        "Follow" => {
            let Some(actor) = ours(object_id) else {
                return Ok(Outcome::Ignored);
            };
            // Fetched and cached a moment ago to verify the signature.
            let follower = ObjectId::<RemoteActor>::parse(actor_id)
                .map_err(|e| InboxError::BadRequest(e.to_string()))?
                .dereference(data)
                .await?
                .row;
            let Some(inbox) = follower.inbox.clone() else {
                return Err(InboxError::BadRequest("follower has no inbox".into()));
            };
            let targets = activity::with_hosts(vec![inbox.clone()], &[]);
            let Some(target) = targets.into_iter().next() else {
                return Err(InboxError::BadRequest("follower inbox is not a URL".into()));
            };
            let accept = activity::accept(&fed.urls, &actor.username, doc, target, now);
            let row = FollowerRow {
                follower: actor_id.to_string(),
                inbox,
                shared_inbox: follower.shared_inbox,
            };
            let follow_id = doc.get("id").and_then(Value::as_str).unwrap_or_default();
            fed.store
                .fed_add_follower(&actor.username, &row, follow_id, &accept)
                .await?;
            tracing::info!(actor = %actor.username, follower = actor_id, "new follower");
            Ok(Outcome::Followed)
        }
        "Undo" => {
            let inner = doc.get("object");
            let inner_type = inner.and_then(|o| o.get("type")).and_then(Value::as_str);
            if inner_type.is_some() && inner_type != Some("Follow") {
                return Ok(Outcome::Ignored);
            }
            // An Undo naming only the Follow's id: remove from every actor.
            let target = inner.and_then(|o| id_of(o.get("object")));
            let actor = ours(target.as_deref()).map(|a| a.username.as_str());
            unfollow(fed, actor, actor_id).await
        }
        "Block" => {
            let actor = ours(object_id).map(|a| a.username.as_str());
            match actor {
                Some(a) => unfollow(fed, Some(a), actor_id).await,
                None => Ok(Outcome::Ignored),
            }
        }
        "Delete" if object_id == Some(actor_id) => {
            fed.store.fed_forget_remote_actor(actor_id).await?;
            unfollow(fed, None, actor_id).await
        }
        "Like" | "Announce" => match object_id.filter(|o| fed.urls.object_of(o).is_some()) {
            Some(object) => count(fed, doc, kind, actor_id, object).await,
            None => Ok(Outcome::Ignored),
        },
        "Create" => {
            let reply_to = doc
                .get("object")
                .and_then(|o| id_of(o.get("inReplyTo")))
                .filter(|o| fed.urls.object_of(o).is_some());
            match reply_to {
                Some(object) => count(fed, doc, "Reply", actor_id, &object).await,
                None => Ok(Outcome::Ignored),
            }
        }
        _ => Ok(Outcome::Ignored),
    }
}

async fn unfollow(
    fed: &Federation,
    actor: Option<&str>,
    follower: &str,
) -> Result<Outcome, InboxError> {
    let removed = fed.store.fed_remove_follower(actor, follower).await?;
    tracing::info!(follower, removed, "follower removed");
    Ok(Outcome::Unfollowed)
}

async fn count(
    fed: &Federation,
    doc: &Value,
    kind: &str,
    actor: &str,
    object: &str,
) -> Result<Outcome, InboxError> {
    let id = doc.get("id").and_then(Value::as_str).unwrap_or_default();
    fed.store
        .fed_count_interaction(id, kind, actor, object, Utc::now())
        .await?;
    Ok(Outcome::Counted)
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
