//! What we posted: one post per (actor, story) with its activities, the
//! outbox, and the planner's view of changed stories and its watermark.

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::{insert_activity, ChangedStory, NewActivity, NewPost, PostRow, POST_COLUMNS};
use crate::store::{from_millis, get, to_millis, Store, StoreError};

impl Store {
    pub async fn fed_post(
        &self,
        actor: &str,
        story_id: i64,
    ) -> Result<Option<PostRow>, StoreError> {
        let sql =
            format!("SELECT {POST_COLUMNS} FROM fed_posts WHERE actor = $1 AND story_id = $2");
        let row = sqlx::query(AssertSqlSafe(sql.as_str()))
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
        let rows = sqlx::query(AssertSqlSafe(sql.as_str()))
            .bind(to_millis(now))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(PostRow::from_row).collect()
    }

    /// Replaces the shown object (Update, only while one is due: a second
    /// process finding the same due post changes nothing) or withdraws it
    /// (Delete, with `deleted`), recording the activity and its deliveries
    /// atomically. `None` activity: only the stored object changes.
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
             WHERE id = $1 AND deleted_at IS NULL AND ($5 = 1 OR update_due_at IS NOT NULL)",
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
}
