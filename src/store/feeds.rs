//! The reads the republished feeds need: a cheap fingerprint of everything
//! a feed shows (so rendered feeds are cached until it moves, across
//! processes sharing one database), and stories in the fixed oldest-first
//! order that RFC 5005 archive pages are cut from.

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::stories::StoryRow;
use super::{from_millis, get, opt_from_millis, to_millis, Store, StoreError};
use crate::domain::Lang;

/// Changes whenever anything a feed shows may have changed: a story linked,
/// merged or retracted, an entry stored or edited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FeedFingerprint {
    pub stories: i64,
    pub stories_updated: Option<i64>,
    pub retracted: i64,
    pub last_retracted: Option<i64>,
    pub entries: i64,
    pub entries_changed: Option<i64>,
}

/// Stories that have a version in `lang` (any language when `None`), live
/// ones only (not merged away, not retracted).
const LIVE: &str = "s.merged_into IS NULL AND s.retracted_at IS NULL \
     AND ($1 = '' OR EXISTS (SELECT 1 FROM entries e WHERE e.story_id = s.id AND e.language = $1))";

fn story_row(row: &sqlx::any::AnyRow) -> Result<StoryRow, StoreError> {
    Ok(StoryRow {
        id: get(row, "id")?,
        first_seen_at: from_millis(get(row, "first_seen_at")?)?,
        updated_at: from_millis(get(row, "updated_at")?)?,
        retracted_at: opt_from_millis(get(row, "retracted_at")?)?,
    })
}

fn lang_param(lang: Option<&Lang>) -> String {
    lang.map(|l| l.as_str().to_string()).unwrap_or_default()
}

impl Store {
    /// One round trip of aggregates over indexed columns; the feed cache
    /// runs it at most once a second.
    pub async fn feed_fingerprint(&self) -> Result<FeedFingerprint, StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM stories) AS stories, \
             (SELECT MAX(updated_at) FROM stories) AS stories_updated, \
             (SELECT COUNT(retracted_at) FROM stories) AS retracted, \
             (SELECT MAX(retracted_at) FROM stories) AS last_retracted, \
             (SELECT COUNT(*) FROM entries) AS entries, \
             (SELECT MAX(changed_at) FROM entries) AS entries_changed",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(FeedFingerprint {
            stories: get(&row, "stories")?,
            stories_updated: get(&row, "stories_updated")?,
            retracted: get(&row, "retracted")?,
            last_retracted: get(&row, "last_retracted")?,
            entries: get(&row, "entries")?,
            entries_changed: get(&row, "entries_changed")?,
        })
    }

    /// How many live stories a feed of `lang` has.
    pub async fn feed_story_count(&self, lang: Option<&Lang>) -> Result<i64, StoreError> {
        let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM stories s WHERE {LIVE}"
        )))
        .bind(lang_param(lang))
        .fetch_one(&self.pool)
        .await?;
        Ok(n)
    }

    /// Live stories oldest first, `offset` stories in: archive pages are
    /// fixed windows of this order, so adding newer stories never moves an
    /// older page's boundaries.
    pub async fn feed_stories_oldest_first(
        &self,
        lang: Option<&Lang>,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<StoryRow>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT s.id, s.first_seen_at, s.updated_at, s.retracted_at FROM stories s \
             WHERE {LIVE} ORDER BY s.first_seen_at ASC, s.id ASC LIMIT $2 OFFSET $3"
        )))
        .bind(lang_param(lang))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(story_row).collect()
    }

    /// Marks a story retracted (the publisher withdrew it): it leaves the
    /// live feeds and the API answers 410 for it.
    pub async fn retract_story(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        let done =
            sqlx::query("UPDATE stories SET retracted_at = $1, updated_at = $1 WHERE id = $2")
                .bind(to_millis(now))
                .bind(id)
                .execute(&self.pool)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
