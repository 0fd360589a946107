//! Who we are and who we talk to: our actors' keys, followers, remote
//! actors cached for their keys, inbox de-duplication and interactions.

use chrono::{DateTime, Utc};

use super::{insert_activity, ActorKeys, FollowerRow, NewActivity, RemoteActorRow};
use crate::store::{from_millis, get, to_millis, Store, StoreError};

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

    pub async fn fed_inbox_forget(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM fed_inbox_seen WHERE activity_id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
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

    /// Marks a cached actor stale: the next look fetches it again, and if
    /// that fails the cached key and inboxes are still there.
    pub async fn fed_expire_remote_actor(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE fed_remote_actors SET fetched_at = 0 WHERE id = $1")
            .bind(id)
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
