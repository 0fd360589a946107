//! The inbox, on `activitypub_federation`: the crate checks the Digest,
//! the activity's id against its actor's domain, fetches the actor through
//! our client (`RemoteActor`, cached in the store) and verifies the HTTP
//! signature with the actor's key — so the key's owner is the actor. On
//! top we refuse what the crate lets through: a signature that does not
//! cover `(request-target)`, `host`, `digest` and a date, a Date outside our
//! window, and a signature made for another server (`intake::admit`, pure,
//! before any fetch; `intake::classify` reads what the activity asks for,
//! and the fuzz target `inbox` drives both). Then each activity id
//! is processed once: Follow → follower + Accept through the durable
//! queue; Undo Follow, Block, actor Delete → follower removed; Like,
//! Announce and replies counted; anything else acknowledged and ignored.

use std::sync::Arc;

use activitypub_federation::axum::inbox::{receive_activity, ActivityData};
use activitypub_federation::config::{Data, FederationConfig};
use activitypub_federation::error::Error as ApError;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::Activity;
use axum::body::{Body, Bytes};
use axum::extract::FromRequest;
use axum::http::{HeaderMap, Method, Uri};
use chrono::Utc;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use url::Url;

use super::activity;
use super::intake::{self, Intent};
use super::remote::RemoteActor;
use super::signature::{self, Rejected};
use super::Federation;
use crate::store::{FollowerRow, StoreError};

/// Bodies above this are refused with 413 (Mastodon's own limit is 1 MiB;
/// an activity is a few KiB).
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Remote fetches one inbox POST may cause (the actor, a key document, one
/// redirect each).
const FETCHES_PER_ACTIVITY: u32 = 6;

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

/// The inboxes' shared state: our federation and the crate's configuration
/// around it (built on first use, with our client, never its own).
pub struct Inbox {
    fed: Arc<Federation>,
    ap: tokio::sync::OnceCell<FederationConfig<Arc<Federation>>>,
}

impl Inbox {
    pub fn new(fed: Arc<Federation>) -> Inbox {
        Inbox {
            fed,
            ap: tokio::sync::OnceCell::new(),
        }
    }

    pub fn federation(&self) -> &Arc<Federation> {
        &self.fed
    }

    async fn ap(&self) -> Result<&FederationConfig<Arc<Federation>>, InboxError> {
        self.ap
            .get_or_try_init(|| async {
                FederationConfig::builder()
                    .domain(super::actor::acct_host(&self.fed.config))
                    .app_data(Arc::clone(&self.fed))
                    .client(self.fed.client.clone())
                    // Plain http, explicit ports and private peers are for
                    // tests and closed networks, the same switch as ingest.
                    .debug(self.fed.config.fetch.allow_private_addresses)
                    .http_fetch_limit(FETCHES_PER_ACTIVITY)
                    .build()
                    .await
                    .map_err(|e| InboxError::Setup(e.to_string()))
            })
            .await
    }

    /// One inbox POST, as it came.
    pub async fn receive(
        &self,
        method: Method,
        uri: Uri,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<(), InboxError> {
        let fed = &self.fed;
        let lookup = |name: &str| {
            let values: Vec<&str> = headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            (!values.is_empty()).then(|| values.join(", "))
        };
        let target = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
        let ours = super::actor::acct_host(&fed.config);
        let admitted = intake::admit(method.as_str(), target, &lookup, &body, Utc::now(), &ours)?;
        let actor_id = admitted.actor;
        let deletes_itself = actor_id
            .as_deref()
            .is_some_and(|a| intake::classify(&admitted.doc, a) == Intent::DeleteActor);

        let data = self.ap().await?.to_request_data();
        let attempt = |data: Data<Arc<Federation>>| {
            let req = rebuild(&method, &uri, headers, &body);
            async move {
                let activity = ActivityData::from_request(req, &())
                    .await
                    .map_err(|_| InboxError::BadRequest("unreadable body".into()))?;
                receive_activity::<Incoming, RemoteActor, Arc<Federation>>(activity, &data).await
            }
        };
        let result = match attempt(data.reset_request_count()).await {
            // The key may have rotated since we cached it: one fresh look
            // (stale, not forgotten: if the look fails, the cached key and
            // inboxes stay for the sender's next attempt).
            Err(InboxError::Federation(ApError::ActivitySignatureInvalid)) => {
                if let Some(actor) = &actor_id {
                    fed.store.fed_expire_remote_actor(actor).await?;
                }
                attempt(data.reset_request_count()).await
            }
            other => other,
        };
        match result {
            // A deleted account's key is gone (410) unless we cached it;
            // with nothing cached we never knew it: nothing to remove.
            Err(InboxError::Federation(ApError::ObjectDeleted(_))) if deletes_itself => Ok(()),
            other => other,
        }
    }
}

/// The host of the key a request claims to be signed with (`Signature`,
/// or `Authorization: Signature …`), unverified; `None` when unsigned or
/// unreadable. One header parsed, for a request already refused.
pub fn claimed_key_host(headers: &HeaderMap) -> Option<String> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let raw = header("signature")
        .or_else(|| header("authorization").and_then(|a| a.strip_prefix("Signature ")))?;
    signature::claimed_key_host(raw)
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

    /// The crate has checked the signature and the id's domain; what the
    /// activity means is decided in `receive`. One check is ours: the key
    /// that verified belongs to an actor stored under exactly the id the
    /// activity names. The crate keeps the document it was redirected to
    /// under that document's own id, so an actor reached through any
    /// redirect (which the client already refuses across origins) is not
    /// the actor the activity claims.
    async fn verify(&self, data: &Data<Arc<Federation>>) -> Result<(), InboxError> {
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
        match dispatch(data, &self.doc, self.actor.as_str()).await {
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
    actor_id: &str,
) -> Result<Outcome, InboxError> {
    let fed = data.app_data();
    let now = Utc::now();
    let ours = |id: Option<&str>| {
        id.and_then(|i| fed.urls.username_of(i))
            .and_then(|n| fed.actor(n))
    };
    match intake::classify(doc, actor_id) {
        Intent::Follow { object } => {
            let Some(actor) = ours(object.as_deref()) else {
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
        // An Undo naming only the Follow's id: remove from every actor.
        Intent::Unfollow { target } => {
            let actor = ours(target.as_deref()).map(|a| a.username.as_str());
            unfollow(fed, actor, actor_id).await
        }
        Intent::Block { object } => match ours(object.as_deref()) {
            Some(a) => unfollow(fed, Some(&a.username), actor_id).await,
            None => Ok(Outcome::Ignored),
        },
        Intent::DeleteActor => {
            fed.store.fed_forget_remote_actor(actor_id).await?;
            unfollow(fed, None, actor_id).await
        }
        Intent::Interaction { kind, object } if fed.urls.object_of(&object).is_some() => {
            count(fed, doc, kind, actor_id, &object).await
        }
        Intent::Reply { in_reply_to } if fed.urls.object_of(&in_reply_to).is_some() => {
            count(fed, doc, "Reply", actor_id, &in_reply_to).await
        }
        Intent::Interaction { .. } | Intent::Reply { .. } | Intent::Ignored => Ok(Outcome::Ignored),
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
