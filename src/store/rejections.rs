//! The last inbox rejections, shared by every process on the database so
//! `/admin` shows them whichever instance serves it and after a restart.
//! Bounded in the write itself: each batch prunes the table to the newest
//! `KEEP_REJECTIONS` rows of the last `REJECTIONS_MAX_AGE`. How often
//! batches come is the caller's (`observe::RejectionLog`) business.

use chrono::{DateTime, Utc};

use super::{from_millis, get, to_millis, Store, StoreError};

/// Rows kept, across all processes.
pub const KEEP_REJECTIONS: i64 = 200;
/// Rows older than this are pruned.
pub const REJECTIONS_MAX_AGE: chrono::TimeDelta = chrono::TimeDelta::days(7);
/// Stored characters of a reason (it may quote attacker-chosen headers).
pub const REASON_CHARS: usize = 500;
/// Stored characters of the claimed key's host.
const HOST_CHARS: usize = 255;
/// Stored characters of the kind (ours, but the column is text).
const KIND_CHARS: usize = 32;

/// One refused inbox POST.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboxRejection {
    pub at: DateTime<Utc>,
    /// `unauthorized`, `bad_request` or `too_large`.
    pub kind: String,
    /// Why, as the inbox said it (remote-controlled text: escape it).
    pub reason: String,
    /// The host of the `keyId` the request claimed to be signed with
    /// (unverified: a claim, not an identity).
    pub key_host: Option<String>,
    /// Rejections the writing process saw around this one and did not keep.
    pub suppressed: i64,
}

fn bounded(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

impl Store {
    /// Stores a batch of rejections and prunes the table to its bounds,
    /// in one transaction.
    pub async fn record_inbox_rejections(
        &self,
        batch: &[InboxRejection],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for r in batch {
            sqlx::query(
                "INSERT INTO inbox_rejections (at, kind, reason, key_host, suppressed) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(to_millis(r.at))
            .bind(bounded(&r.kind, KIND_CHARS))
            .bind(bounded(&r.reason, REASON_CHARS))
            .bind(r.key_host.as_deref().map(|h| bounded(h, HOST_CHARS)))
            .bind(r.suppressed.max(0))
            .execute(&mut *tx)
            .await?;
        }
        // Older than the window, or behind the newest KEEP_REJECTIONS
        // (a NULL cut-off, fewer rows than that, deletes nothing by age).
        sqlx::query(
            "DELETE FROM inbox_rejections WHERE at < $1 OR id <= \
             (SELECT id FROM inbox_rejections ORDER BY id DESC LIMIT 1 OFFSET $2)",
        )
        .bind(to_millis(now - REJECTIONS_MAX_AGE))
        .bind(KEEP_REJECTIONS)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The newest `limit` rejections, newest first.
    pub async fn recent_inbox_rejections(
        &self,
        limit: i64,
    ) -> Result<Vec<InboxRejection>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, kind, reason, key_host, suppressed FROM inbox_rejections \
             ORDER BY at DESC, id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(InboxRejection {
                    at: from_millis(get(r, "at")?)?,
                    kind: get(r, "kind")?,
                    reason: get(r, "reason")?,
                    key_host: get(r, "key_host")?,
                    suppressed: get(r, "suppressed")?,
                })
            })
            .collect()
    }

    /// How many rejections are stored (for tests and the operator).
    pub async fn inbox_rejection_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM inbox_rejections")
            .fetch_one(&self.pool)
            .await?)
    }
}
