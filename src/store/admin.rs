//! What the operator looks at and the commands that look after the
//! database itself: queue and follower summaries for `/admin`, `/metrics`
//! and the `followers`/`deliveries` commands, the schema version for
//! `migrate`, and an online SQLite copy for `backup`. Read-only apart from
//! the copy, which writes only the new file.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::{get, opt_from_millis, to_millis, Backend, Store, StoreError};

/// The delivery queue at a glance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Deliveries still to send (due now or waiting for a retry).
    pub depth: i64,
    /// When the oldest delivery that is due now was queued.
    pub oldest_due: Option<DateTime<Utc>>,
}

/// One follower, for the operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowerListing {
    pub actor: String,
    pub follower: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub since: DateTime<Utc>,
}

/// One receiving host: what waits for it and how it has been answering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostQueue {
    pub host: String,
    /// Pending deliveries to it.
    pub pending: i64,
    /// The earliest next attempt among them.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The most attempts any of them has had.
    pub attempts: i64,
    /// One of the pending deliveries' last errors.
    pub last_error: Option<String>,
    /// Failing since then (`None`: healthy as far as we know).
    pub failing_since: Option<DateTime<Utc>>,
    /// Failing for days: new posts skip it.
    pub unavailable: bool,
}

/// The applied schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaVersion {
    /// The highest migration applied (`0005` → 5); 0 when none is.
    pub version: i64,
    pub description: String,
    pub applied: i64,
}

impl Store {
    /// Stories a reader can see: neither merged nor retracted.
    pub async fn live_story_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM stories WHERE merged_into IS NULL AND retracted_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn delivery_queue_stats(&self, now: DateTime<Utc>) -> Result<QueueStats, StoreError> {
        let depth: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM fed_deliveries WHERE status = 'pending'")
                .fetch_one(&self.pool)
                .await?;
        let oldest: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(created_at) FROM fed_deliveries \
             WHERE status = 'pending' AND next_attempt_at <= $1",
        )
        .bind(to_millis(now))
        .fetch_one(&self.pool)
        .await?;
        Ok(QueueStats {
            depth,
            oldest_due: opt_from_millis(oldest)?,
        })
    }

    /// `(actor, followers)` for every actor that has any.
    pub async fn follower_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT actor, COUNT(*) AS n FROM fed_followers GROUP BY actor ORDER BY actor",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((get(r, "actor")?, get(r, "n")?)))
            .collect()
    }

    /// Followers of one actor, or of all, newest first within each actor.
    pub async fn follower_listing(
        &self,
        actor: Option<&str>,
    ) -> Result<Vec<FollowerListing>, StoreError> {
        let rows = sqlx::query(
            "SELECT actor, follower, inbox, shared_inbox, created_at FROM fed_followers \
             WHERE ($1 = '' OR actor = $1) ORDER BY actor, created_at DESC, follower",
        )
        .bind(actor.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FollowerListing {
                    actor: get(r, "actor")?,
                    follower: get(r, "follower")?,
                    inbox: get(r, "inbox")?,
                    shared_inbox: get(r, "shared_inbox")?,
                    since: super::from_millis(get(r, "created_at")?)?,
                })
            })
            .collect()
    }

    /// Every host with pending deliveries or a failure on record, the
    /// unhealthy and the busiest first.
    pub async fn delivery_hosts(&self) -> Result<Vec<HostQueue>, StoreError> {
        let rows = sqlx::query(
            "SELECT q.host, q.pending, q.next_at, q.attempts, q.last_error, \
                    h.failing_since, COALESCE(h.unavailable, 0) AS unavailable \
             FROM (SELECT host, COUNT(*) AS pending, MIN(next_attempt_at) AS next_at, \
                          MAX(attempts) AS attempts, MAX(last_error) AS last_error \
                   FROM fed_deliveries WHERE status = 'pending' GROUP BY host) q \
             LEFT JOIN fed_hosts h ON h.host = q.host \
             UNION ALL \
             SELECT h.host, 0, NULL, 0, NULL, h.failing_since, h.unavailable FROM fed_hosts h \
             WHERE NOT EXISTS (SELECT 1 FROM fed_deliveries d \
                               WHERE d.host = h.host AND d.status = 'pending')",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut hosts = rows
            .iter()
            .map(|r| {
                Ok(HostQueue {
                    host: get(r, "host")?,
                    pending: get(r, "pending")?,
                    next_attempt_at: opt_from_millis(get(r, "next_at")?)?,
                    attempts: get::<Option<i64>>(r, "attempts")?.unwrap_or(0),
                    last_error: get(r, "last_error")?,
                    failing_since: opt_from_millis(get(r, "failing_since")?)?,
                    unavailable: get::<i64>(r, "unavailable")? != 0,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        hosts.sort_by(|a, b| {
            (b.unavailable, b.failing_since.is_some(), b.pending, &a.host).cmp(&(
                a.unavailable,
                a.failing_since.is_some(),
                a.pending,
                &b.host,
            ))
        });
        Ok(hosts)
    }

    /// The highest applied migration, from sqlx's own bookkeeping table.
    pub async fn schema_version(&self) -> Result<SchemaVersion, StoreError> {
        let row = sqlx::query(
            "SELECT version, description, (SELECT COUNT(*) FROM _sqlx_migrations) AS applied \
             FROM _sqlx_migrations ORDER BY version DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(SchemaVersion {
                version: get(&r, "version")?,
                description: get(&r, "description")?,
                applied: get(&r, "applied")?,
            }),
            None => Ok(SchemaVersion {
                version: 0,
                description: String::new(),
                applied: 0,
            }),
        }
    }

    /// An online, consistent copy of a SQLite database (`VACUUM INTO`:
    /// one read transaction, so writers carry on and the copy is a single
    /// moment). PostgreSQL has `pg_dump` for this: `WrongBackend`.
    pub async fn backup_sqlite(&self, to: &Path) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::WrongBackend(
                "backup copies SQLite databases; for PostgreSQL use pg_dump",
            ));
        }
        let target = to
            .to_str()
            .ok_or_else(|| StoreError::Corrupt(format!("{} is not UTF-8", to.display())))?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
