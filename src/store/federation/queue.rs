//! The durable delivery queue: claims with leases (SKIP LOCKED on
//! PostgreSQL), outcomes, and the receiving hosts' health.

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::{DeliveryCounts, DeliveryJob};
use crate::store::queue::{id_list, QueueTable};
use crate::store::{from_millis, get, to_millis, Store, StoreError};

impl Store {
    pub async fn fed_unavailable_hosts(&self) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT host FROM fed_hosts WHERE unavailable = 1")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Claims up to `limit` due deliveries until `lease_until` (see
    /// `claim_deliveries`), with their activity's JSON, in one read.
    pub async fn fed_claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
        busy_hosts: &[String],
    ) -> Result<Vec<DeliveryJob>, StoreError> {
        let ids = self
            .claim_deliveries(QueueTable::ActivityPub, now, lease_until, limit, busy_hosts)
            .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT d.id, d.activity_id, d.actor, d.inbox, d.host, d.attempts, a.json \
             FROM fed_deliveries d JOIN fed_activities a ON a.id = d.activity_id \
             WHERE d.id IN ({}) ORDER BY d.id",
            id_list(&ids)
        );
        let rows = sqlx::query(AssertSqlSafe(sql.as_str()))
            .fetch_all(&self.pool)
            .await?;
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
