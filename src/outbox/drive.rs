//! The loop every delivery queue runs: claim as many due jobs as there
//! are free global slots (hosts at their limit left out), start each whose
//! host still has a slot, give the rest back, and wait for a slot or a
//! pause when there is nothing to do.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::{Limits, Slot};
use crate::store::StoreError;

/// A durable delivery queue, as `drive` runs it: the ActivityPub queue and
/// the WebSub hub's differ only in what a job is, how it is claimed and
/// how one is sent.
pub trait Queue: Send + Sync + 'static {
    type Job: Send + 'static;
    /// For logs.
    const NAME: &'static str;
    fn limits(&self) -> &Limits;
    /// Up to `limit` due jobs, leased until `lease_until`, none at `busy`.
    fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
        busy: &[String],
    ) -> impl std::future::Future<Output = Result<Vec<Self::Job>, StoreError>> + Send;
    /// Gives claimed jobs back untouched.
    fn release(
        &self,
        ids: &[i64],
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;
    fn id(job: &Self::Job) -> i64;
    fn host(job: &Self::Job) -> &str;
    /// One attempt and its outcome recorded; `slot` is held throughout.
    fn deliver(
        self: Arc<Self>,
        job: Self::Job,
        slot: Slot,
    ) -> impl std::future::Future<Output = ()> + Send;
}

/// A claim outlives one request; if the process dies, the job is free
/// again when it lapses.
const LEASE: chrono::Duration = chrono::Duration::seconds(30);
/// How long an idle queue waits before it looks again.
const IDLE: Duration = Duration::from_millis(250);

/// Runs `queue` until `cancel`; jobs in flight finish first. Claims as
/// many due jobs as there are free global slots, leaving busy hosts out;
/// a job whose host filled up meanwhile is given back (see `Limits`).
pub async fn drive<Q: Queue>(queue: Arc<Q>, cancel: CancellationToken) {
    let mut inflight = JoinSet::new();
    while !cancel.is_cancelled() {
        while inflight.try_join_next().is_some() {}
        let free = queue.limits().free();
        let jobs = if free == 0 {
            Vec::new()
        } else {
            let now = Utc::now();
            let busy = queue.limits().busy_hosts();
            match queue.claim(now, now + LEASE, free, &busy).await {
                Ok(jobs) => jobs,
                Err(e) => {
                    tracing::warn!(queue = Q::NAME, error = %e, "cannot claim deliveries");
                    Vec::new()
                }
            }
        };
        if jobs.is_empty() {
            // Idle, or every slot busy: look again when one frees up (a
            // finished Create may unblock its Update) or after a pause.
            tokio::select! {
                _ = cancel.cancelled() => break,
                Some(_) = inflight.join_next(), if !inflight.is_empty() => {}
                _ = tokio::time::sleep(IDLE) => {}
            }
            continue;
        }
        let mut busy = Vec::new();
        for job in jobs {
            let Some(slot) = queue.limits().try_take(Q::host(&job)) else {
                busy.push(Q::id(&job));
                continue;
            };
            inflight.spawn(Arc::clone(&queue).deliver(job, slot));
        }
        if let Err(e) = queue.release(&busy).await {
            tracing::warn!(queue = Q::NAME, error = %e, "cannot release deliveries; their leases will lapse");
        }
    }
    while inflight.join_next().await.is_some() {}
}
