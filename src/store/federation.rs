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

use super::{from_millis, get, opt_from_millis, to_millis, Backend, Store, StoreError};

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

impl Store {
    /// The actor's keys, created with `generate` if it has none yet. A key
    /// is never replaced: a concurrent first start keeps whichever won.
    pub async fn fed_actor_keys(
        &self,
        username: &str,
        generate: impl FnOnce() -> Option<(String, String)>,
        now: DateTime<Utc>,
    ) -> Result<ActorKeys, StoreError> {
        if let Some(keys) = self.fed_existing_keys(username).await? {
            return Ok(keys);
        }
        let (private_pem, public_pem) =
            generate().ok_or_else(|| StoreError::Corrupt("key generation failed".into()))?;
        sqlx::query(
            "INSERT INTO fed_actors (username, private_key_pem, public_key_pem, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (username) DO NOTHING",
        )
        .bind(username)
        .bind(private_pem)
        .bind(public_pem)
        .bind(to_millis(now))
        .execute(&self.pool)
        .await?;
        self.fed_existing_keys(username)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub async fn fed_existing_keys(&self, username: &str) -> Result<Option<ActorKeys>, StoreError> {
        let row = sqlx::query(
            "SELECT private_key_pem, public_key_pem, created_at FROM fed_actors WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(ActorKeys {
                private_pem: get(&r, "private_key_pem")?,
                public_pem: get(&r, "public_key_pem")?,
                created_at: from_millis(get(&r, "created_at")?)?,
            })
        })
        .transpose()
    }

    /// Stores (or refreshes) a follower and records the Accept, atomically.
    pub async fn fed_add_follower(
        &self,
        actor: &str,
        follower: &FollowerRow,
        follow_id: &str,
        accept: &NewActivity,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM fed_followers WHERE actor = $1 AND follower = $2")
            .bind(actor)
            .bind(&follower.follower)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO fed_followers (actor, follower, inbox, shared_inbox, follow_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(actor)
        .bind(&follower.follower)
        .bind(&follower.inbox)
        .bind(&follower.shared_inbox)
        .bind(follow_id)
        .bind(to_millis(accept.now))
        .execute(&mut *tx)
        .await?;
        insert_activity(&mut tx, accept, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes `follower` from one actor (`Some`) or from all; returns how many.
    pub async fn fed_remove_follower(
        &self,
        actor: Option<&str>,
        follower: &str,
    ) -> Result<u64, StoreError> {
        let done = match actor {
            Some(a) => {
                sqlx::query("DELETE FROM fed_followers WHERE actor = $1 AND follower = $2")
                    .bind(a)
                    .bind(follower)
                    .execute(&self.pool)
                    .await?
            }
            None => {
                sqlx::query("DELETE FROM fed_followers WHERE follower = $1")
                    .bind(follower)
                    .execute(&self.pool)
                    .await?
            }
        };
        Ok(done.rows_affected())
    }

    /// An inbox answered 410 Gone: whoever received through it is gone.
    pub async fn fed_drop_inbox(&self, inbox: &str) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM fed_followers WHERE inbox = $1 OR shared_inbox = $1")
            .bind(inbox)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn fed_followers(
        &self,
        actor: &str,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<FollowerRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT follower, inbox, shared_inbox FROM fed_followers WHERE actor = $1 \
             ORDER BY created_at DESC, follower LIMIT $2 OFFSET $3",
        )
        .bind(actor)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FollowerRow {
                    follower: get(r, "follower")?,
                    inbox: get(r, "inbox")?,
                    shared_inbox: get(r, "shared_inbox")?,
                })
            })
            .collect()
    }

    pub async fn fed_follower_count(&self, actor: &str) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM fed_followers WHERE actor = $1")
                .bind(actor)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// One inbox per receiving server: the shared inbox when it has one,
    /// leaving out hosts marked unavailable.
    pub async fn fed_delivery_inboxes(&self, actor: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT COALESCE(shared_inbox, inbox) AS target FROM fed_followers \
             WHERE actor = $1 ORDER BY target",
        )
        .bind(actor)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn fed_unavailable_hosts(&self) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT host FROM fed_hosts WHERE unavailable = 1")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn fed_post(
        &self,
        actor: &str,
        story_id: i64,
    ) -> Result<Option<PostRow>, StoreError> {
        let sql =
            format!("SELECT {POST_COLUMNS} FROM fed_posts WHERE actor = $1 AND story_id = $2");
        let row = sqlx::query(&sql)
            .bind(actor)
            .bind(story_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(PostRow::from_row).transpose()
    }

    /// Records a post with its Create and deliveries; `false` when the
    /// actor already posted this story (nothing written then).
    pub async fn fed_record_post(&self, post: &NewPost) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let now = to_millis(post.create.now);
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO fed_posts (actor, story_id, object_json, content_hash, delivered, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
             ON CONFLICT (actor, story_id) DO NOTHING RETURNING id",
        )
        .bind(&post.actor)
        .bind(post.story_id)
        .bind(&post.object_json)
        .bind(&post.content_hash)
        .bind(i64::from(post.delivered))
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            tx.rollback().await?;
            return Ok(false);
        };
        insert_activity(&mut tx, &post.create, Some(id)).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// An edit seen: the Update goes out at `due` unless another edit comes.
    pub async fn fed_update_due(&self, post_id: i64, due: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("UPDATE fed_posts SET update_due_at = $2 WHERE id = $1 AND deleted_at IS NULL")
            .bind(post_id)
            .bind(to_millis(due))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn fed_posts_due(&self, now: DateTime<Utc>) -> Result<Vec<PostRow>, StoreError> {
        let sql = format!(
            "SELECT {POST_COLUMNS} FROM fed_posts WHERE update_due_at <= $1 AND deleted_at IS NULL \
             ORDER BY update_due_at LIMIT 200"
        );
        let rows = sqlx::query(&sql)
            .bind(to_millis(now))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(PostRow::from_row).collect()
    }

    /// Replaces the shown object (Update) or withdraws it (Delete, with
    /// `deleted`), recording the activity and its deliveries atomically.
    /// `None` activity: only the stored object changes.
    pub async fn fed_revise_post(
        &self,
        post_id: i64,
        object_json: &str,
        content_hash: &str,
        deleted: bool,
        activity: Option<&NewActivity>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE fed_posts SET object_json = $2, content_hash = $3, updated_at = $4, \
             update_due_at = NULL, deleted_at = CASE WHEN $5 = 1 THEN $4 ELSE NULL END \
             WHERE id = $1 AND deleted_at IS NULL",
        )
        .bind(post_id)
        .bind(object_json)
        .bind(content_hash)
        .bind(to_millis(now))
        .bind(i64::from(deleted))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        if let Some(a) = activity {
            insert_activity(&mut tx, a, Some(post_id)).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    pub async fn fed_activity_json(&self, id: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT json FROM fed_activities WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Create activities of the actor's live posts, newest first.
    pub async fn fed_outbox(
        &self,
        actor: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(i64, Vec<String>), StoreError> {
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM fed_posts WHERE actor = $1 AND deleted_at IS NULL",
        )
        .bind(actor)
        .fetch_one(&self.pool)
        .await?;
        let items = sqlx::query_scalar(
            "SELECT a.json FROM fed_activities a JOIN fed_posts p ON p.id = a.post_id \
             WHERE p.actor = $1 AND p.deleted_at IS NULL AND a.kind = 'Create' \
             ORDER BY p.created_at DESC, p.id DESC LIMIT $2 OFFSET $3",
        )
        .bind(actor)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        Ok((total, items))
    }

    pub async fn fed_local_post_count(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM fed_posts WHERE deleted_at IS NULL")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Stories changed after `since`, oldest change first.
    pub async fn fed_changed_stories(
        &self,
        since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ChangedStory>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, first_seen_at, updated_at, retracted_at, merged_into FROM stories \
             WHERE updated_at > $1 ORDER BY updated_at, id LIMIT $2",
        )
        .bind(to_millis(since))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ChangedStory {
                    id: get(r, "id")?,
                    first_seen_at: from_millis(get(r, "first_seen_at")?)?,
                    updated_at: from_millis(get(r, "updated_at")?)?,
                    withdrawn: get::<Option<i64>>(r, "retracted_at")?.is_some()
                        || get::<Option<i64>>(r, "merged_into")?.is_some(),
                })
            })
            .collect()
    }

    /// How many live stories were first seen in `(after, before)`: a story's
    /// rank among those older than an actor, for `backfill`.
    pub async fn fed_stories_between(
        &self,
        after: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM stories WHERE first_seen_at > $1 AND first_seen_at < $2 \
             AND merged_into IS NULL AND retracted_at IS NULL",
        )
        .bind(to_millis(after))
        .bind(to_millis(before))
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn fed_state(&self, name: &str) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM fed_state WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn fed_set_state(&self, name: &str, value: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO fed_state (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Claims up to `limit` due deliveries for `lease`: none whose host has
    /// an earlier pending delivery with the same ordering key. On
    /// PostgreSQL rows another worker holds are skipped, not waited for.
    pub async fn fed_claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<DeliveryJob>, StoreError> {
        if limit <= 0 {
            return Ok(Vec::new());
        }
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE fed_deliveries SET claimed_until = $2 WHERE id IN (\
               SELECT d.id FROM fed_deliveries d WHERE d.status = 'pending' \
               AND d.next_attempt_at <= $1 AND d.claimed_until < $1 \
               AND NOT EXISTS (SELECT 1 FROM fed_deliveries e WHERE e.host = d.host \
                 AND e.ordering_key = d.ordering_key AND e.status = 'pending' AND e.id < d.id) \
               ORDER BY d.next_attempt_at, d.id LIMIT $3{lock}) \
             AND claimed_until < $1 RETURNING id"
        );
        let ids: Vec<i64> = sqlx::query_scalar(&sql)
            .bind(to_millis(now))
            .bind(to_millis(lease_until))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT d.id, d.activity_id, d.actor, d.inbox, d.host, d.attempts, a.json \
             FROM fed_deliveries d JOIN fed_activities a ON a.id = d.activity_id \
             WHERE d.id IN ({list}) ORDER BY d.id"
        );
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(DeliveryJob {
                    id: get(r, "id")?,
                    activity_id: get(r, "activity_id")?,
                    actor: get(r, "actor")?,
                    inbox: get(r, "inbox")?,
                    host: get(r, "host")?,
                    attempts: get(r, "attempts")?,
                    json: get(r, "json")?,
                })
            })
            .collect()
    }

    /// Finishes a delivery: `done`, `dropped`, or back to `pending` at `retry_at`.
    pub async fn fed_finish_delivery(
        &self,
        id: i64,
        status: &str,
        retry_at: Option<DateTime<Utc>>,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE fed_deliveries SET status = $2, attempts = attempts + 1, \
             next_attempt_at = COALESCE($3, next_attempt_at), claimed_until = 0, last_error = $4, \
             finished_at = CASE WHEN $2 = 'pending' THEN NULL ELSE $5 END WHERE id = $1",
        )
        .bind(id)
        .bind(status)
        .bind(retry_at.map(to_millis))
        .bind(error)
        .bind(to_millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn fed_delivery_counts(&self) -> Result<DeliveryCounts, StoreError> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM fed_deliveries GROUP BY status")
            .fetch_all(&self.pool)
            .await?;
        let mut out = DeliveryCounts::default();
        for r in &rows {
            let n: i64 = get(r, "n")?;
            match get::<String>(r, "status")?.as_str() {
                "pending" => out.pending = n,
                "done" => out.done = n,
                _ => out.dropped += n,
            }
        }
        Ok(out)
    }

    /// A failed attempt at `host`; returns since when it has been failing.
    pub async fn fed_host_failed(
        &self,
        host: &str,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, StoreError> {
        sqlx::query(
            "INSERT INTO fed_hosts (host, failing_since, unavailable) VALUES ($1, $2, 0) \
             ON CONFLICT (host) DO UPDATE SET failing_since = COALESCE(fed_hosts.failing_since, $2)",
        )
        .bind(host)
        .bind(to_millis(now))
        .execute(&self.pool)
        .await?;
        let since: Option<i64> =
            sqlx::query_scalar("SELECT failing_since FROM fed_hosts WHERE host = $1")
                .bind(host)
                .fetch_one(&self.pool)
                .await?;
        from_millis(since.unwrap_or(to_millis(now)))
    }

    pub async fn fed_set_host_unavailable(&self, host: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE fed_hosts SET unavailable = 1 WHERE host = $1")
            .bind(host)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A success or any signed contact: the host is healthy again.
    pub async fn fed_host_ok(&self, host: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM fed_hosts WHERE host = $1")
            .bind(host)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// `true` the first time an inbox activity id is seen.
    pub async fn fed_inbox_first_seen(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO fed_inbox_seen (activity_id, received_at) VALUES ($1, $2) \
             ON CONFLICT (activity_id) DO NOTHING",
        )
        .bind(id)
        .bind(to_millis(now))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A Like, Announce or reply to one of our objects.
    pub async fn fed_count_interaction(
        &self,
        activity_id: &str,
        kind: &str,
        actor: &str,
        object: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO fed_interactions (activity_id, kind, actor, object, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (activity_id) DO NOTHING",
        )
        .bind(activity_id)
        .bind(kind)
        .bind(actor)
        .bind(object)
        .bind(to_millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn fed_interaction_count(&self, object: &str, kind: &str) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM fed_interactions WHERE object = $1 AND kind = $2",
        )
        .bind(object)
        .bind(kind)
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn fed_remote_actor(
        &self,
        id_or_key: &str,
    ) -> Result<Option<RemoteActorRow>, StoreError> {
        let row = sqlx::query(
            "SELECT id, key_id, public_key_pem, inbox, shared_inbox, fetched_at \
             FROM fed_remote_actors WHERE id = $1 OR key_id = $1 LIMIT 1",
        )
        .bind(id_or_key)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(RemoteActorRow::from_row).transpose()
    }

    pub async fn fed_save_remote_actor(&self, a: &RemoteActorRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO fed_remote_actors (id, key_id, public_key_pem, inbox, shared_inbox, fetched_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET key_id = excluded.key_id, \
             public_key_pem = excluded.public_key_pem, inbox = excluded.inbox, \
             shared_inbox = excluded.shared_inbox, fetched_at = excluded.fetched_at",
        )
        .bind(&a.id)
        .bind(&a.key_id)
        .bind(&a.public_key_pem)
        .bind(&a.inbox)
        .bind(&a.shared_inbox)
        .bind(to_millis(a.fetched_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn fed_forget_remote_actor(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM fed_remote_actors WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
