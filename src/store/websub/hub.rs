//! Our hub's side: verified subscribers with their leases and secrets, and
//! the durable queue of feed copies pushed to them (claimed with a lease,
//! retried, finished), the same shape as the federation queue.

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use crate::store::queue::{id_list, QueueTable};
use crate::store::{from_millis, get, opt_from_millis, to_millis, Store, StoreError};

/// Someone subscribed to one of our feeds (`pending` until verified).
#[derive(Clone, Debug)]
pub struct HubSubscriber {
    pub topic: String,
    pub callback: String,
    pub has_secret: bool,
    pub state: String,
    pub lease_seconds: i64,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// One claimed delivery, with the subscriber's secret (`None` when the
/// subscriber gave none) or `subscribed == false` once it left.
#[derive(Clone, Debug)]
pub struct HubDelivery {
    pub id: i64,
    pub topic: String,
    pub callback: String,
    pub host: String,
    pub content_type: String,
    pub body: String,
    pub attempts: i64,
    pub secret: Option<String>,
    pub subscribed: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WebSubDeliveryCounts {
    pub pending: i64,
    pub done: i64,
    pub dropped: i64,
}

/// What one pruning pass removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    pub subscribers: u64,
    /// Their pending deliveries.
    pub deliveries: u64,
}

impl Store {
    /// Records a verified subscription (or its renewal): active until
    /// `now + lease_seconds`. Returns whether it is a new subscription —
    /// `false` only when it renewed one still active at `now`.
    pub async fn websub_put_subscriber(
        &self,
        topic: &str,
        callback: &str,
        secret: Option<&str>,
        lease_seconds: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let expires = now + chrono::Duration::seconds(lease_seconds);
        // Writes only (a read first would make SQLite's deferred
        // transaction fail to upgrade when another writer came between).
        let renewed = sqlx::query(
            "UPDATE websub_subscribers SET secret = $3, lease_seconds = $4, expires_at = $5, \
             updated_at = $6 WHERE topic = $1 AND callback = $2 AND state = 'active' \
             AND expires_at > $6",
        )
        .bind(topic)
        .bind(callback)
        .bind(secret)
        .bind(lease_seconds)
        .bind(to_millis(expires))
        .bind(to_millis(now))
        .execute(&self.pool)
        .await?
        .rows_affected();
        if renewed > 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO websub_subscribers (topic, callback, secret, state, lease_seconds, \
             expires_at, created_at, updated_at) VALUES ($1, $2, $3, 'active', $4, $5, $6, $6) \
             ON CONFLICT (topic, callback) DO UPDATE SET secret = $3, state = 'active', \
             lease_seconds = $4, expires_at = $5, updated_at = $6",
        )
        .bind(topic)
        .bind(callback)
        .bind(secret)
        .bind(lease_seconds)
        .bind(to_millis(expires))
        .bind(to_millis(now))
        .execute(&self.pool)
        .await?;
        Ok(true)
    }

    pub async fn websub_delete_subscriber(
        &self,
        topic: &str,
        callback: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM websub_subscribers WHERE topic = $1 AND callback = $2")
            .bind(topic)
            .bind(callback)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Every subscriber of our hub, expired ones included (for listings).
    pub async fn websub_subscribers(&self) -> Result<Vec<HubSubscriber>, StoreError> {
        let rows = sqlx::query(
            "SELECT topic, callback, secret, state, lease_seconds, expires_at, created_at \
             FROM websub_subscribers ORDER BY topic, callback",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(HubSubscriber {
                    topic: get(r, "topic")?,
                    callback: get(r, "callback")?,
                    has_secret: get::<Option<String>>(r, "secret")?.is_some(),
                    state: get(r, "state")?,
                    lease_seconds: get(r, "lease_seconds")?,
                    expires_at: opt_from_millis(get(r, "expires_at")?)?,
                    created_at: from_millis(get(r, "created_at")?)?,
                })
            })
            .collect()
    }

    /// Queues `body` for every verified, unexpired subscriber of `topic`.
    pub async fn websub_enqueue(
        &self,
        topic: &str,
        content_type: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let callbacks: Vec<String> = sqlx::query_scalar(
            "SELECT callback FROM websub_subscribers WHERE topic = $1 AND state = 'active' \
             AND expires_at > $2",
        )
        .bind(topic)
        .bind(to_millis(now))
        .fetch_all(&self.pool)
        .await?;
        for callback in &callbacks {
            insert_copy(self, topic, callback, content_type, body, now).await?;
        }
        Ok(callbacks.len() as u64)
    }

    /// Queues `body` for one subscriber of `topic` (the current copy a new
    /// subscriber gets); `false`, and nothing queued, unless that
    /// subscriber is active and unexpired at `now`.
    pub async fn websub_enqueue_one(
        &self,
        topic: &str,
        callback: &str,
        content_type: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let active: Option<i64> = sqlx::query_scalar(
            "SELECT lease_seconds FROM websub_subscribers WHERE topic = $1 AND callback = $2 \
             AND state = 'active' AND expires_at > $3",
        )
        .bind(topic)
        .bind(callback)
        .bind(to_millis(now))
        .fetch_optional(&self.pool)
        .await?;
        if active.is_none() {
            return Ok(false);
        }
        insert_copy(self, topic, callback, content_type, body, now).await?;
        Ok(true)
    }

    /// Deletes up to `limit` subscribers whose lease ended before
    /// `expired_before`, with their pending deliveries (finished ones stay
    /// as history). A subscriber renewed meanwhile is kept.
    pub async fn websub_prune_subscribers(
        &self,
        expired_before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Pruned, StoreError> {
        let cutoff = to_millis(expired_before);
        let rows = sqlx::query(
            "SELECT topic, callback FROM websub_subscribers WHERE expires_at < $1 \
             ORDER BY expires_at, topic, callback LIMIT $2",
        )
        .bind(cutoff)
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Pruned::default();
        if rows.is_empty() {
            return Ok(out);
        }
        let mut tx = self.pool.begin().await?;
        for r in &rows {
            let (topic, callback): (String, String) = (get(r, "topic")?, get(r, "callback")?);
            let gone = sqlx::query(
                "DELETE FROM websub_subscribers WHERE topic = $1 AND callback = $2 \
                 AND expires_at < $3",
            )
            .bind(&topic)
            .bind(&callback)
            .bind(cutoff)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if gone == 0 {
                continue;
            }
            out.subscribers += gone;
            out.deliveries += sqlx::query(
                "DELETE FROM websub_deliveries WHERE topic = $1 AND callback = $2 \
                 AND status = 'pending'",
            )
            .bind(&topic)
            .bind(&callback)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Claims up to `limit` due copies until `lease_until` (see
    /// `claim_deliveries`), with their subscriber's secret, in one read.
    pub async fn websub_claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
        busy_hosts: &[String],
    ) -> Result<Vec<HubDelivery>, StoreError> {
        let ids = self
            .claim_deliveries(QueueTable::WebSub, now, lease_until, limit, busy_hosts)
            .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT d.id, d.topic, d.callback, d.host, d.content_type, d.body, d.attempts, \
             s.secret, s.state FROM websub_deliveries d LEFT JOIN websub_subscribers s \
             ON s.topic = d.topic AND s.callback = d.callback WHERE d.id IN ({}) ORDER BY d.id",
            id_list(&ids)
        );
        let rows = sqlx::query(AssertSqlSafe(sql.as_str()))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(HubDelivery {
                    id: get(r, "id")?,
                    topic: get(r, "topic")?,
                    callback: get(r, "callback")?,
                    host: get(r, "host")?,
                    content_type: get(r, "content_type")?,
                    body: get(r, "body")?,
                    attempts: get(r, "attempts")?,
                    secret: get(r, "secret")?,
                    subscribed: get::<Option<String>>(r, "state")?.as_deref() == Some("active"),
                })
            })
            .collect()
    }

    /// Makes every pending delivery due now (`wirebridge websub retry`).
    pub async fn websub_retry_now(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE websub_deliveries SET next_attempt_at = $1 WHERE status = 'pending'",
        )
        .bind(to_millis(now))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    pub async fn websub_delivery_counts(&self) -> Result<WebSubDeliveryCounts, StoreError> {
        let rows =
            sqlx::query("SELECT status, COUNT(*) AS n FROM websub_deliveries GROUP BY status")
                .fetch_all(&self.pool)
                .await?;
        let mut out = WebSubDeliveryCounts::default();
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
}

/// One pending copy of `body` for `callback`, due at `now`.
async fn insert_copy(
    store: &Store,
    topic: &str,
    callback: &str,
    content_type: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let host = url::Url::parse(callback)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_default();
    sqlx::query(
        "INSERT INTO websub_deliveries (topic, callback, host, content_type, body, \
         status, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6)",
    )
    .bind(topic)
    .bind(callback)
    .bind(host)
    .bind(content_type)
    .bind(body)
    .bind(to_millis(now))
    .execute(&store.pool)
    .await?;
    Ok(())
}
