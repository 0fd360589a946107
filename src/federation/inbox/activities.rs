//! What an accepted activity means: `Incoming` (any activity, as the crate
//! hands it over) and its `Activity` impl — our last checks (the host is
//! not blocked, the key's actor is stored under exactly the named id),
//! then each activity id processed once and dispatched: Follow → a
//! follower and an Accept through the durable queue; Undo Follow, Block,
//! actor Delete → follower removed; Like, Announce and replies counted;
//! anything else acknowledged and ignored. Verification happens before,
//! in `inbox`.

use std::sync::Arc;

use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::Activity;
use chrono::Utc;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use url::Url;

use super::{host_of, id_of, InboxError, Outcome};
use crate::federation::remote::RemoteActor;
use crate::federation::signature::Rejected;
use crate::federation::{activity, Federation};
use crate::store::FollowerRow;

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
            if !crate::federation::policy::allows(data.app_data(), &host) {
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
