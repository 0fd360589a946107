//! Our hub's delivery worker: claims due copies from the durable
//! `websub_deliveries` queue and POSTs each to its subscriber's callback
//! (address guard first), signed with `X-Hub-Signature: sha256=…` when the
//! subscriber gave a secret, under a global and a per-host limit.
//!
//! A sibling of `federation::delivery` on the shared outbox: its own table
//! (feed copies, not activities), the same `judge` of statuses, `settle`
//! of outcomes, `drive` loop and `Limits`.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::config::Config;
use crate::net::Fetcher;
use crate::outbox::{drive, judge, settle, Limits, Queue, Slot, Verdict};
use crate::store::{DeliveryStatus, HubDelivery, QueueTable, Store, StoreError};

const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

struct Worker {
    config: Arc<Config>,
    store: Store,
    fetcher: Arc<Fetcher>,
    limits: Limits,
}

/// Runs until `cancel`; requests in flight finish first.
pub async fn run(
    config: Arc<Config>,
    store: Store,
    fetcher: Arc<Fetcher>,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let worker = Arc::new(Worker {
        fetcher,
        limits: Limits::new(
            config.federation.delivery_concurrency,
            config.federation.delivery_per_host,
        ),
        config,
        store,
    });
    drive(worker, cancel).await;
    Ok(())
}

impl Queue for Worker {
    type Job = HubDelivery;
    const NAME: &'static str = "websub";

    fn limits(&self) -> &Limits {
        &self.limits
    }

    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
        busy: &[String],
    ) -> Result<Vec<HubDelivery>, StoreError> {
        self.store.websub_claim(now, lease_until, limit, busy).await
    }

    async fn release(&self, ids: &[i64]) -> Result<(), StoreError> {
        self.store.release_deliveries(QueueTable::WebSub, ids).await
    }

    fn id(job: &HubDelivery) -> i64 {
        job.id
    }

    fn host(job: &HubDelivery) -> &str {
        &job.host
    }

    async fn deliver(self: Arc<Self>, job: HubDelivery, slot: Slot) {
        self.deliver_one(job, slot).await;
    }
}

impl Worker {
    async fn deliver_one(&self, job: HubDelivery, _slot: Slot) {
        let now = Utc::now();
        let verdict = if !job.subscribed {
            Verdict::Drop("no longer subscribed".into())
        } else {
            match self.attempt(&job).await {
                Ok((status, retry_after)) => judge(status, retry_after.as_deref()),
                Err(error) => Verdict::Retry { after: None, error },
            }
        };
        let finish = settle(&verdict, job.attempts, now);
        match &verdict {
            // 410: the subscriber is gone; so is its subscription.
            Verdict::Gone => {
                if let Err(e) = self
                    .store
                    .websub_delete_subscriber(&job.topic, &job.callback)
                    .await
                {
                    tracing::warn!(error = %e, callback = job.callback, "WebSub hub: cannot remove a gone subscriber");
                }
            }
            Verdict::Retry { error, .. } if finish.status == DeliveryStatus::Dropped => {
                tracing::warn!(
                    callback = job.callback,
                    error,
                    "WebSub hub: delivery failed for days; dropped"
                );
            }
            Verdict::Retry { error, .. } => {
                tracing::info!(
                    callback = job.callback,
                    error,
                    "WebSub hub: delivery failed; will retry"
                );
            }
            Verdict::Done | Verdict::Drop(_) => {}
        }
        let outcome = self
            .store
            .finish_delivery(QueueTable::WebSub, job.id, &finish, now)
            .await;
        if let Err(e) = outcome {
            tracing::warn!(error = %e, delivery = job.id, "WebSub hub: cannot record a delivery outcome");
        }
    }

    /// One POST of the feed copy; the status and Retry-After.
    async fn attempt(&self, job: &HubDelivery) -> Result<(u16, Option<String>), String> {
        let url = Url::parse(&job.callback).map_err(|e| e.to_string())?;
        self.fetcher
            .check_target(&url)
            .await
            .map_err(|e| e.to_string())?;
        let hub = self
            .config
            .websub
            .hub
            .as_ref()
            .map(|h| h.to_string())
            .unwrap_or_default();
        let body = job.body.clone().into_bytes();
        let mut req = self
            .fetcher
            .client()
            .post(url)
            .timeout(REQUEST_TIMEOUT)
            .header("content-type", job.content_type.as_str())
            .header(
                "link",
                format!("<{hub}>; rel=\"hub\", <{}>; rel=\"self\"", job.topic),
            );
        if let Some(secret) = &job.secret {
            req = req.header("x-hub-signature", super::sign(secret, &body));
        }
        let resp = req.body(body).send().await.map_err(|e| e.to_string())?;
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok((resp.status().as_u16(), retry_after))
    }
}
