//! The inbox: verify the HTTP signature (and that the key's owner is the
//! activity's actor) before anything is written, process each activity id
//! once, then act: Follow → follower + Accept through the durable queue;
//! Undo Follow, Block, actor Delete → follower removed; Like, Announce and
//! replies counted; anything else acknowledged and ignored.

use chrono::Utc;
use serde_json::Value;

use super::activity;
use super::remote::{key_owner, RemoteError};
use super::signature::{self, Rejected};
use super::Federation;
use crate::store::{FollowerRow, StoreError};

/// Bodies above this are refused with 413 (Mastodon's own limit is 1 MiB;
/// an activity is a few KiB).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("{0}")]
    Unauthorized(#[from] Rejected),
    #[error("not an activity: {0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What happened to an accepted activity (for logs and tests).
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Followed,
    Unfollowed,
    Counted,
    Duplicate,
    Ignored,
}

/// One inbox POST: `target` is the personal inbox's username, if any.
pub async fn receive(
    fed: &Federation,
    path_and_query: &str,
    header: &(dyn Fn(&str) -> Option<String> + Sync),
    body: &[u8],
) -> Result<Outcome, InboxError> {
    let doc: Value =
        serde_json::from_slice(body).map_err(|e| InboxError::BadRequest(e.to_string()))?;
    let pending = signature::check("POST", path_and_query, header, body, Utc::now())?;
    // A signature made for another server must not be replayable here: the
    // signed Host is ours (a proxy in front must pass Host through anyway,
    // or no signature would verify).
    let ours = super::actor::acct_host(&fed.config);
    if !header("host").is_some_and(|h| h.eq_ignore_ascii_case(&ours)) {
        return Err(Rejected::Malformed(format!("not signed for {ours}")).into());
    }
    let actor_id =
        id_of(doc.get("actor")).ok_or_else(|| InboxError::BadRequest("no actor".into()))?;
    let kind = doc.get("type").and_then(Value::as_str).unwrap_or_default();
    let object_id = id_of(doc.get("object"));

    let sender = match fed.remote.by_key(&pending.key_id, false).await {
        Ok(row) => row,
        // A deleted account's key is gone (410) unless we cached it; with
        // nothing cached we never knew it, so there is nothing to remove.
        Err(RemoteError::Fetch { .. })
            if kind == "Delete" && object_id.as_deref() == Some(&actor_id) =>
        {
            return Ok(Outcome::Ignored);
        }
        Err(e) => return Err(Rejected::Key(e.to_string()).into()),
    };
    let pem = sender.public_key_pem.clone().unwrap_or_default();
    let sender = match pending.verify(&pem) {
        Ok(()) => sender,
        // The key may have rotated since we cached it: one fresh look.
        Err(Rejected::Forged) => {
            let fresh = fed
                .remote
                .by_key(&pending.key_id, true)
                .await
                .map_err(|e| Rejected::Key(e.to_string()))?;
            pending.verify(fresh.public_key_pem.as_deref().unwrap_or_default())?;
            fresh
        }
        Err(e) => return Err(e.into()),
    };
    if key_owner(&sender) != actor_id {
        return Err(Rejected::WrongOwner {
            owner: key_owner(&sender).to_string(),
            actor: actor_id,
        }
        .into());
    }
    // Any signed contact revives a host we had given up on.
    if let Some(host) = url::Url::parse(&actor_id).ok().and_then(|u| host_of(&u)) {
        fed.store.fed_host_ok(&host).await?;
    }
    let now = Utc::now();
    let activity_id = doc
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| InboxError::BadRequest("no id".into()))?;
    if !fed.store.fed_inbox_first_seen(activity_id, now).await? {
        return Ok(Outcome::Duplicate);
    }
    let outcome = dispatch(fed, &doc, kind, &actor_id, object_id.as_deref()).await;
    if outcome.is_err() {
        // Not processed: the sender's retry must not be taken for a replay.
        fed.store.fed_inbox_forget(activity_id).await?;
    }
    outcome
}

async fn dispatch(
    fed: &Federation,
    doc: &Value,
    kind: &str,
    actor_id: &str,
    object_id: Option<&str>,
) -> Result<Outcome, InboxError> {
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
            let follower = match fed.remote.actor(actor_id).await {
                Ok(row) => row,
                Err(e) => {
                    tracing::warn!(follower = actor_id, error = %e, "cannot fetch a new follower");
                    return Err(InboxError::BadRequest(format!("cannot fetch {actor_id}")));
                }
            };
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
