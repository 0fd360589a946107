//! Federation state: our actors' keys, followers, posts (one per actor and
//! story), the activities we sent and the durable delivery queue, plus the
//! inbox's bookkeeping (remote actors' keys, seen activity ids, counted
//! interactions, receiving hosts' health) and the planner's watermark.
//!
//! A post, its activity and its deliveries are written in one transaction:
//! a crash either leaves all of them or none, and the `UNIQUE (actor,
//! story_id)` key makes a second process's attempt a no-op.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use super::{from_millis, get, opt_from_millis, to_millis, StoreError};

mod people;
mod posts;
mod queue;
mod schemes;

/// An actor's key pair and birth date (stories older than it are backfill).
#[derive(Clone, Debug)]
pub struct ActorKeys {
    pub private_pem: String,
    pub public_pem: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct FollowerRow {
    pub follower: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
}

#[derive(Clone, Debug)]
pub struct PostRow {
    pub id: i64,
    pub actor: String,
    pub story_id: i64,
    pub object_json: String,
    pub content_hash: String,
    pub delivered: bool,
    pub created_at: DateTime<Utc>,
    pub update_due_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl PostRow {
    fn from_row(row: &AnyRow) -> Result<Self, StoreError> {
        Ok(PostRow {
            id: get(row, "id")?,
            actor: get(row, "actor")?,
            story_id: get(row, "story_id")?,
            object_json: get(row, "object_json")?,
            content_hash: get(row, "content_hash")?,
            delivered: get::<i64>(row, "delivered")? != 0,
            created_at: from_millis(get(row, "created_at")?)?,
            update_due_at: opt_from_millis(get(row, "update_due_at")?)?,
            deleted_at: opt_from_millis(get(row, "deleted_at")?)?,
        })
    }
}

const POST_COLUMNS: &str = "id, actor, story_id, object_json, content_hash, delivered, \
     created_at, update_due_at, deleted_at";

/// An activity to record, with the inboxes it goes to.
#[derive(Clone, Debug)]
pub struct NewActivity {
    pub id: String,
    pub actor: String,
    pub kind: String,
    pub json: String,
    /// Deliveries with the same key go to one host in id order (an
    /// object's Create before its Update before its Delete).
    pub ordering_key: String,
    /// `(inbox URL, host)`.
    pub inboxes: Vec<(String, String)>,
    pub now: DateTime<Utc>,
}

/// A new post: the object as shown, its Create, and whether followers get it.
#[derive(Clone, Debug)]
pub struct NewPost {
    pub actor: String,
    pub story_id: i64,
    pub object_json: String,
    pub content_hash: String,
    pub delivered: bool,
    pub create: NewActivity,
}

/// A story as the planner sees it.
#[derive(Clone, Debug)]
pub struct ChangedStory {
    pub id: i64,
    pub first_seen_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Retracted by the operator or merged into another story: withdraw.
    pub withdrawn: bool,
}

/// A claimed delivery, ready to sign and send.
#[derive(Clone, Debug)]
pub struct DeliveryJob {
    pub id: i64,
    pub activity_id: String,
    pub actor: String,
    pub inbox: String,
    pub host: String,
    pub attempts: i64,
    pub json: String,
}

#[derive(Clone, Debug)]
pub struct RemoteActorRow {
    pub id: String,
    pub key_id: Option<String>,
    pub public_key_pem: Option<String>,
    pub inbox: Option<String>,
    pub shared_inbox: Option<String>,
    pub fetched_at: DateTime<Utc>,
}

impl RemoteActorRow {
    fn from_row(row: &AnyRow) -> Result<Self, StoreError> {
        Ok(RemoteActorRow {
            id: get(row, "id")?,
            key_id: get(row, "key_id")?,
            public_key_pem: get(row, "public_key_pem")?,
            inbox: get(row, "inbox")?,
            shared_inbox: get(row, "shared_inbox")?,
            fetched_at: from_millis(get(row, "fetched_at")?)?,
        })
    }
}

/// Delivery counts by status, for tests and `/metrics`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryCounts {
    pub pending: i64,
    pub done: i64,
    pub dropped: i64,
}

async fn insert_activity(
    tx: &mut Transaction<'_, Any>,
    a: &NewActivity,
    post_id: Option<i64>,
) -> Result<(), StoreError> {
    let now = to_millis(a.now);
    sqlx::query(
        "INSERT INTO fed_activities (id, actor, kind, post_id, json, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&a.id)
    .bind(&a.actor)
    .bind(&a.kind)
    .bind(post_id)
    .bind(&a.json)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    // Due at once (0, not `now`: a planner may decide with another clock).
    for (inbox, host) in &a.inboxes {
        sqlx::query(
            "INSERT INTO fed_deliveries (activity_id, actor, inbox, host, ordering_key, status, \
             next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6) \
             ON CONFLICT (activity_id, inbox) DO NOTHING",
        )
        .bind(&a.id)
        .bind(&a.actor)
        .bind(inbox)
        .bind(host)
        .bind(&a.ordering_key)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
