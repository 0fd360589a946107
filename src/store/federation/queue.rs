//! The durable delivery queue: claims with leases (SKIP LOCKED on
//! PostgreSQL), outcomes, and the receiving hosts' health.

use chrono::{DateTime, Utc};

use super::{DeliveryCounts, DeliveryJob};
use crate::store::{from_millis, get, to_millis, Backend, Store, StoreError};

impl Store {
    pub async fn fed_unavailable_hosts(&self) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT host FROM fed_hosts WHERE unavailable = 1")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Claims up to `limit` due deliveries for `lease`: none whose host
    /// still has an earlier activity with the same ordering key pending
    /// (copies of one activity to one host go in parallel). On
    /// PostgreSQL rows another worker holds are skipped, not waited for.
    pub async fn fed_claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
        busy_hosts: &[String],
    ) -> Result<Vec<DeliveryJob>, StoreError> {
        if limit <= 0 {
            return Ok(Vec::new());
        }
        // Hosts already at their concurrency limit are left for later, so
        // their backlog never holds the slots other hosts could use.
        let skip = super::super::skip_hosts("d.host", busy_hosts, 4);
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE fed_deliveries SET claimed_until = $2 WHERE id IN (\
               SELECT d.id FROM fed_deliveries d WHERE d.status = 'pending' \
               AND d.next_attempt_at <= $1 AND d.claimed_until < $1 {skip}\
               AND NOT EXISTS (SELECT 1 FROM fed_deliveries e WHERE e.host = d.host \
                 AND e.ordering_key = d.ordering_key AND e.status = 'pending' \
                 AND e.activity_id <> d.activity_id AND e.id < d.id) \
               ORDER BY d.next_attempt_at, d.id LIMIT $3{lock}) \
             AND claimed_until < $1 RETURNING id"
        );
        let mut query = sqlx::query_scalar(&sql)
            .bind(to_millis(now))
            .bind(to_millis(lease_until))
            .bind(limit);
        for host in busy_hosts {
            query = query.bind(host);
        }
        let ids: Vec<i64> = query.fetch_all(&self.pool).await?;
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

    /// Gives claimed deliveries back untouched (their host was busy).
    pub async fn fed_release_deliveries(&self, ids: &[i64]) -> Result<(), StoreError> {
        super::super::release_deliveries(&self.pool, "fed_deliveries", ids).await
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
        super::super::finish_delivery(
            &self.pool,
            "fed_deliveries",
            id,
            status,
            retry_at,
            error,
            now,
        )
        .await
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
}
