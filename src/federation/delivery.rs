//! The ActivityPub queue on the outbox (`outbox::drive`): claim due
//! deliveries with their activity, POST each through the guarded client
//! (which signs every attempt afresh, RFC 9421 first: `knock`), and record
//! the outcome as `outbox::settle` says. On top of the shared policy: a
//! 410 also drops the followers behind that inbox, and a host failing for
//! days is marked unavailable until it contacts us again.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::knock::SignAs;
use super::signature::ACTIVITY_JSON;
use super::Federation;
use crate::outbox::{chain, drive, judge, settle, Limits, Queue, Slot, Verdict};
use crate::store::{DeliveryJob, DeliveryStatus, QueueTable, StoreError};

/// A host failing this long is marked unavailable (new posts skip it).
const UNAVAILABLE_AFTER: chrono::Duration = chrono::Duration::days(3);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

struct Worker {
    fed: Arc<Federation>,
    limits: Limits,
}

impl Queue for Worker {
    type Job = DeliveryJob;
    const NAME: &'static str = "activitypub";

    fn limits(&self) -> &Limits {
        &self.limits
    }

    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
        busy: &[String],
    ) -> Result<Vec<DeliveryJob>, StoreError> {
        self.fed
            .store
            .fed_claim_deliveries(now, lease_until, limit, busy)
            .await
    }

    async fn release(&self, ids: &[i64]) -> Result<(), StoreError> {
        self.fed
            .store
            .release_deliveries(QueueTable::ActivityPub, ids)
            .await
    }

    fn id(job: &DeliveryJob) -> i64 {
        job.id
    }

    fn host(job: &DeliveryJob) -> &str {
        &job.host
    }

    async fn deliver(self: Arc<Self>, job: DeliveryJob, slot: Slot) {
        self.deliver_one(job, slot).await;
    }
}

/// Runs delivery until `cancel`; in-flight requests finish first.
pub async fn run(fed: Arc<Federation>, cancel: CancellationToken) -> anyhow::Result<()> {
    let worker = Arc::new(Worker {
        limits: Limits::new(
            fed.config.federation.delivery_concurrency,
            fed.config.federation.delivery_per_host,
        ),
        fed,
    });
    drive(worker, cancel).await;
    Ok(())
}

impl Worker {
    #[tracing::instrument(name = "deliver", skip_all, fields(inbox_host = %job.host, delivery = job.id))]
    async fn deliver_one(&self, job: DeliveryJob, _slot: Slot) {
        let verdict = match self.attempt(&job).await {
            Ok((status, retry_after)) => judge(status, retry_after.as_deref()),
            Err(error) => Verdict::Retry { after: None, error },
        };
        crate::observe::delivery_finished(verdict.metric_label());
        if let Err(e) = self.record(&job, verdict, Utc::now()).await {
            tracing::warn!(error = %e, delivery = job.id, "cannot record a delivery outcome");
        }
    }

    /// One POST signed by the job's actor; the status and Retry-After, or
    /// why it never got one.
    async fn attempt(&self, job: &DeliveryJob) -> Result<(u16, Option<String>), String> {
        let url = Url::parse(&job.inbox).map_err(|e| e.to_string())?;
        // The federation client checks the address guard, then signs
        // (double-knocking when the host refuses RFC 9421).
        let resp = self
            .fed
            .client
            .post(url)
            .timeout(REQUEST_TIMEOUT)
            .header("content-type", ACTIVITY_JSON)
            .with_extension(SignAs(job.actor.clone()))
            .body(job.json.clone().into_bytes())
            .send()
            .await
            .map_err(|e| chain(&e))?;
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok((resp.status().as_u16(), retry_after))
    }

    async fn record(
        &self,
        job: &DeliveryJob,
        verdict: Verdict,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let store = &self.fed.store;
        let finish = settle(&verdict, job.attempts, now);
        match &verdict {
            Verdict::Done => store.fed_host_ok(&job.host).await?,
            Verdict::Drop(error) => {
                tracing::info!(inbox = %job.inbox, error, "delivery refused; dropped");
            }
            Verdict::Gone => {
                let removed = store.fed_drop_inbox(&job.inbox).await?;
                tracing::info!(inbox = %job.inbox, removed, "inbox gone; its followers removed");
            }
            Verdict::Retry { error, .. } => {
                if finish.status == DeliveryStatus::Dropped {
                    tracing::warn!(inbox = %job.inbox, error, "delivery failed for days; dropped");
                }
                let since = store.fed_host_failed(&job.host, now).await?;
                if now - since > UNAVAILABLE_AFTER {
                    tracing::warn!(host = %job.host, "host failing for days; marked unavailable");
                    store.fed_set_host_unavailable(&job.host).await?;
                }
            }
        }
        store
            .finish_delivery(QueueTable::ActivityPub, job.id, &finish, now)
            .await
    }
}
