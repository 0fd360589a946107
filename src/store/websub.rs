//! WebSub bookkeeping. Subscriber side (here): one subscription per source
//! to the hub its feed advertises, with the secret that signs what the hub
//! pushes and the lease it granted. Hub side (`hub`): who subscribed to our
//! feeds, and the durable queue of feed copies pushed to them.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::AssertSqlSafe;

use super::{from_millis, get, opt_from_millis, to_millis, Store, StoreError};

mod hub;

pub use hub::{HubDelivery, HubSubscriber, Pruned, WebSubDeliveryCounts};

/// A subscription's life: `wanted` (advertised, not yet asked), `pending`
/// (asked, waiting for the hub's verification), `active` (verified, with a
/// lease), `unsubscribing` (source removed; asked to stop), `denied`.
pub const WANTED: &str = "wanted";
pub const PENDING: &str = "pending";
pub const ACTIVE: &str = "active";
pub const UNSUBSCRIBING: &str = "unsubscribing";
pub const DENIED: &str = "denied";

/// One of our subscriptions to an outlet's hub.
#[derive(Clone, Debug)]
pub struct Subscription {
    /// Random; names the callback `/websub/callback/{id}`.
    pub id: String,
    pub source_id: String,
    pub hub: String,
    pub topic: String,
    pub secret: String,
    pub state: String,
    pub lease_seconds: Option<i64>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub updated_at: DateTime<Utc>,
}

fn random_hex(bytes: usize) -> String {
    let raw: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    hex::encode(raw)
}

fn subscription(r: &AnyRow) -> Result<Subscription, StoreError> {
    Ok(Subscription {
        id: get(r, "id")?,
        source_id: get(r, "source_id")?,
        hub: get(r, "hub")?,
        topic: get(r, "topic")?,
        secret: get(r, "secret")?,
        state: get(r, "state")?,
        lease_seconds: get(r, "lease_seconds")?,
        expires_at: opt_from_millis(get(r, "expires_at")?)?,
        last_error: get(r, "last_error")?,
        updated_at: from_millis(get(r, "updated_at")?)?,
    })
}

const COLUMNS: &str =
    "id, source_id, hub, topic, secret, state, lease_seconds, expires_at, last_error, updated_at";

impl Store {
    /// A poll found `hub` and `topic` (rel="self") in the source's feed.
    /// New, or a different hub or topic than before: a fresh subscription
    /// (new callback id and secret) is wanted. Otherwise nothing changes.
    pub async fn websub_note_advertised(
        &self,
        source_id: &str,
        hub: &str,
        topic: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        if let Some(s) = self.websub_subscription_of(source_id).await? {
            if s.hub == hub && s.topic == topic && s.state != DENIED {
                return Ok(false);
            }
            sqlx::query("DELETE FROM websub_subscriptions WHERE id = $1")
                .bind(&s.id)
                .execute(&self.pool)
                .await?;
        }
        sqlx::query(
            "INSERT INTO websub_subscriptions (id, source_id, hub, topic, secret, state, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(random_hex(16))
        .bind(source_id)
        .bind(hub)
        .bind(topic)
        .bind(random_hex(24))
        .bind(WANTED)
        .bind(to_millis(now))
        .execute(&self.pool)
        .await?;
        Ok(true)
    }

    pub async fn websub_subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM websub_subscriptions ORDER BY source_id");
        let rows = sqlx::query(AssertSqlSafe(sql.as_str()))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(subscription).collect()
    }

    pub async fn websub_subscription(&self, id: &str) -> Result<Option<Subscription>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM websub_subscriptions WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql.as_str()))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(subscription).transpose()
    }

    pub async fn websub_subscription_of(
        &self,
        source_id: &str,
    ) -> Result<Option<Subscription>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM websub_subscriptions WHERE source_id = $1");
        let row = sqlx::query(AssertSqlSafe(sql.as_str()))
            .bind(source_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(subscription).transpose()
    }

    /// Moves a subscription to `state`; `lease_seconds` and `expires_at`
    /// are kept when `None`.
    pub async fn websub_set_state(
        &self,
        id: &str,
        state: &str,
        lease: Option<(i64, DateTime<Utc>)>,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE websub_subscriptions SET state = $2, \
             lease_seconds = COALESCE($3, lease_seconds), expires_at = COALESCE($4, expires_at), \
             last_error = $5, updated_at = $6 WHERE id = $1",
        )
        .bind(id)
        .bind(state)
        .bind(lease.map(|(s, _)| s))
        .bind(lease.map(|(_, at)| to_millis(at)))
        .bind(error)
        .bind(to_millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Why the last request to the hub failed; the state is left as it is
    /// (a verification may have moved it meanwhile).
    pub async fn websub_note_error(&self, id: &str, error: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE websub_subscriptions SET last_error = $2 WHERE id = $1")
            .bind(id)
            .bind(error)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn websub_delete_subscription(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM websub_subscriptions WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether the source's hub pushes to us now (a verified, unexpired
    /// lease): its polls may then be spaced out.
    pub async fn websub_pushed(
        &self,
        source_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM websub_subscriptions WHERE source_id = $1 \
             AND state = $2 AND expires_at > $3",
        )
        .bind(source_id)
        .bind(ACTIVE)
        .bind(to_millis(now))
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }
}
