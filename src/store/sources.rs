//! Source polling state: validators, schedule, health. Survives restarts so
//! a restart neither re-polls everything at once nor forgets validators.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::AssertSqlSafe;

use super::{from_millis, get, opt_from_millis, to_millis, Store, StoreError};
use crate::domain::SourceId;

/// Everything the poller remembers about one source between polls.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceState {
    pub id: SourceId,
    /// The URL configured by the operator.
    pub url: String,
    /// Where the feed lives now, after a permanent redirect was verified.
    pub effective_url: Option<String>,
    /// Validators exactly as the server sent them.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// SHA-256 of the last body parsed, so an identical 200 creates nothing.
    pub body_hash: Option<String>,
    pub title: Option<String>,
    pub next_poll_at: DateTime<Utc>,
    pub consecutive_failures: i64,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    /// 410 seen: no longer polled.
    pub gone: bool,
}

impl SourceState {
    /// The URL to fetch: the verified new home, else the configured one.
    pub fn fetch_url(&self) -> &str {
        self.effective_url.as_deref().unwrap_or(&self.url)
    }

    fn from_row(row: &AnyRow) -> Result<Self, StoreError> {
        let id: String = get(row, "id")?;
        Ok(SourceState {
            id: SourceId::parse(&id).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            url: get(row, "url")?,
            effective_url: get(row, "effective_url")?,
            etag: get(row, "etag")?,
            last_modified: get(row, "last_modified")?,
            body_hash: get(row, "body_hash")?,
            title: get(row, "title")?,
            next_poll_at: from_millis(get(row, "next_poll_at")?)?,
            consecutive_failures: get(row, "consecutive_failures")?,
            last_error: get(row, "last_error")?,
            last_attempt_at: opt_from_millis(get(row, "last_attempt_at")?)?,
            last_success_at: opt_from_millis(get(row, "last_success_at")?)?,
            gone: get::<i64>(row, "gone")? != 0,
        })
    }
}

const SOURCE_COLUMNS: &str = "id, url, effective_url, etag, last_modified, body_hash, title, \
     next_poll_at, consecutive_failures, last_error, last_attempt_at, last_success_at, gone";

impl Store {
    /// Makes the stored sources match the configuration: a new source gets a
    /// row due at `first_poll_at(id)`; a source whose configured URL changed
    /// starts afresh (validators, redirect and gone flag forgotten, due now);
    /// known sources keep their state. Sources no longer configured keep
    /// their rows (their entries stay) but are not returned by
    /// `configured` filtering in the poller.
    pub async fn sync_sources(
        &self,
        configured: &[(SourceId, String, DateTime<Utc>)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for (id, url, first_poll_at) in configured {
            sqlx::query(
                "INSERT INTO sources (id, url, next_poll_at, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(id.as_str())
            .bind(url.as_str())
            .bind(to_millis(*first_poll_at))
            .bind(to_millis(now))
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE sources SET url = $2, effective_url = NULL, etag = NULL, \
                 last_modified = NULL, body_hash = NULL, gone = 0, consecutive_failures = 0, \
                 next_poll_at = $3 WHERE id = $1 AND url <> $2",
            )
            .bind(id.as_str())
            .bind(url.as_str())
            .bind(to_millis(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn source_states(&self) -> Result<Vec<SourceState>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {SOURCE_COLUMNS} FROM sources ORDER BY id"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(SourceState::from_row).collect()
    }

    pub async fn source_state(&self, id: &SourceId) -> Result<SourceState, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {SOURCE_COLUMNS} FROM sources WHERE id = $1"
        )))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        SourceState::from_row(&row)
    }

    /// Writes back everything the poller decided about one source.
    pub async fn save_source_state(&self, s: &SourceState) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE sources SET effective_url = $2, etag = $3, last_modified = $4, \
             body_hash = $5, title = $6, next_poll_at = $7, consecutive_failures = $8, \
             last_error = $9, last_attempt_at = $10, last_success_at = $11, gone = $12 \
             WHERE id = $1",
        )
        .bind(s.id.as_str())
        .bind(s.effective_url.as_deref())
        .bind(s.etag.as_deref())
        .bind(s.last_modified.as_deref())
        .bind(s.body_hash.as_deref())
        .bind(s.title.as_deref())
        .bind(to_millis(s.next_poll_at))
        .bind(s.consecutive_failures)
        .bind(s.last_error.as_deref())
        .bind(s.last_attempt_at.map(to_millis))
        .bind(s.last_success_at.map(to_millis))
        .bind(i64::from(s.gone))
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

/// The answer to a lease request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    Taken,
    /// Someone else holds it (or the source is not due): who, until when,
    /// and when the source is next due.
    Held {
        owner: Option<String>,
        until: Option<DateTime<Utc>>,
        next_poll_at: DateTime<Utc>,
    },
}

impl Store {
    /// Takes the poll lease of a source for `owner` until `until`, if no one
    /// else holds an unexpired lease and — when `due_only` — the source is
    /// due. One atomic UPDATE on both backends: of several processes asking
    /// at once, exactly one gets `Taken`; the others learn who holds it,
    /// until when, and when the source is next due.
    pub async fn claim_source(
        &self,
        id: &SourceId,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        due_only: bool,
    ) -> Result<Claim, StoreError> {
        let done = sqlx::query(
            "UPDATE sources SET lease_owner = $2, lease_until = $3 \
             WHERE id = $1 AND (lease_until IS NULL OR lease_until < $4 OR lease_owner = $2) \
             AND ($5 = 0 OR next_poll_at <= $4)",
        )
        .bind(id.as_str())
        .bind(owner)
        .bind(to_millis(until))
        .bind(to_millis(now))
        .bind(i64::from(due_only))
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(Claim::Taken);
        }
        self.lease_of(id).await
    }

    /// Moves an overdue source's next poll to `at`, if it is still overdue
    /// (touching nothing else another instance may have saved meanwhile).
    pub async fn postpone_overdue(
        &self,
        id: &SourceId,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE sources SET next_poll_at = $2 WHERE id = $1 AND next_poll_at < $3")
            .bind(id.as_str())
            .bind(to_millis(at))
            .bind(to_millis(now))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Takes over the lease `dead` holds (a process known to be gone).
    pub async fn take_over_source(
        &self,
        id: &SourceId,
        dead: &str,
        owner: &str,
        until: DateTime<Utc>,
    ) -> Result<Claim, StoreError> {
        let done = sqlx::query(
            "UPDATE sources SET lease_owner = $3, lease_until = $4 WHERE id = $1 AND lease_owner = $2",
        )
        .bind(id.as_str())
        .bind(dead)
        .bind(owner)
        .bind(to_millis(until))
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(Claim::Taken);
        }
        self.lease_of(id).await
    }

    async fn lease_of(&self, id: &SourceId) -> Result<Claim, StoreError> {
        let row: Option<(Option<String>, Option<i64>, i64)> = sqlx::query_as(
            "SELECT lease_owner, lease_until, next_poll_at FROM sources WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let (owner, until, next) = row.ok_or(StoreError::NotFound)?;
        Ok(Claim::Held {
            owner,
            until: until.map(from_millis).transpose()?,
            next_poll_at: from_millis(next)?,
        })
    }

    /// Gives a lease back (only the holder can).
    pub async fn release_source(&self, id: &SourceId, owner: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sources SET lease_owner = NULL, lease_until = NULL \
             WHERE id = $1 AND lease_owner = $2",
        )
        .bind(id.as_str())
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
