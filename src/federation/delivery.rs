//! Delivery workers: claim due deliveries from the durable queue, POST
//! each through the guarded client (which signs every attempt afresh,
//! RFC 9421 first: `knock`) under a global and
//! a per-host limit, and record the outcome: 2xx done; 4xx other than
//! 401/408/429 dropped (410 also drops the followers behind that inbox);
//! 429 honours Retry-After; anything else retried with Mastodon-like
//! backoff for about two days, and a host failing for days is marked
//! unavailable until it contacts us again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::knock::SignAs;
use super::signature::ACTIVITY_JSON;
use super::Federation;
use crate::store::{DeliveryJob, StoreError};

/// After this many attempts a delivery is dropped: with `backoff` that
/// is about two days, Mastodon's own horizon (16 Sidekiq retries).
pub const MAX_ATTEMPTS: i64 = 17;
/// A host failing this long is marked unavailable (new posts skip it).
const UNAVAILABLE_AFTER: chrono::Duration = chrono::Duration::days(3);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// Seconds before attempt `n + 1` after `n` failures: Sidekiq's curve,
/// n⁴ + 15 + jitter·(n + 1) — 16 retries add up to about two days.
pub fn backoff(attempts: i64) -> chrono::Duration {
    let n = attempts.clamp(0, 30);
    let jitter = rand::random::<u32>() % 30;
    chrono::Duration::seconds(n.pow(4) + 15 + i64::from(jitter) * (n + 1))
}

/// What to do after one attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Done,
    Drop(String),
    Gone,
    Retry {
        after: Option<Duration>,
        error: String,
    },
}

pub fn judge(status: u16, retry_after: Option<&str>) -> Verdict {
    match status {
        200..=299 => Verdict::Done,
        410 => Verdict::Gone,
        429 => Verdict::Retry {
            after: retry_after.and_then(parse_retry_after),
            error: "429 Too Many Requests".into(),
        },
        401 | 408 => Verdict::Retry {
            after: None,
            error: format!("status {status}"),
        },
        400..=499 => Verdict::Drop(format!("status {status}")),
        _ => Verdict::Retry {
            after: None,
            error: format!("status {status}"),
        },
    }
}

fn parse_retry_after(raw: &str) -> Option<Duration> {
    if let Ok(secs) = raw.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs.min(7 * 24 * 3600)));
    }
    let at = httpdate::parse_http_date(raw.trim()).ok()?;
    at.duration_since(std::time::SystemTime::now()).ok()
}

/// A delivery queue's concurrency: a global limit and one per host. Both
/// delivery queues (ActivityPub here, the WebSub hub's) dispatch through
/// it: a claimed copy starts only when both slots are free at once, and a
/// copy whose host is full is given back rather than left waiting for its
/// host while holding a global slot — one slow host's backlog would
/// otherwise stall every other host.
pub struct Limits {
    global: Arc<Semaphore>,
    per_host: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// Both slots of one delivery in flight, released on drop.
pub struct Slot {
    _global: OwnedSemaphorePermit,
    _host: OwnedSemaphorePermit,
}

impl Limits {
    pub fn new(global: usize, per_host: usize) -> Limits {
        Limits {
            global: Arc::new(Semaphore::new(global.max(1))),
            per_host: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// How many more deliveries may start now (how many to claim).
    pub fn free(&self) -> i64 {
        self.global.available_permits() as i64
    }

    /// Hosts with every slot taken: the claim leaves them out.
    pub fn busy_hosts(&self) -> Vec<String> {
        let hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts
            .iter()
            .filter(|(_, s)| s.available_permits() == 0)
            .map(|(h, _)| h.clone())
            .collect()
    }

    /// Both slots for a delivery to `host`, or `None` without waiting.
    pub fn try_take(&self, host: &str) -> Option<Slot> {
        let host_limit = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(
                hosts
                    .entry(host.to_string())
                    .or_insert_with(|| Arc::new(Semaphore::new(self.per_host))),
            )
        };
        let host = host_limit.try_acquire_owned().ok()?;
        let global = Arc::clone(&self.global).try_acquire_owned().ok()?;
        Some(Slot {
            _global: global,
            _host: host,
        })
    }
}

/// A durable delivery queue, as `drive` runs it: the ActivityPub queue
/// here and the WebSub hub's (`websub::delivery`) differ only in what a
/// job is, how it is claimed and how one is sent.
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
        self.fed.store.fed_release_deliveries(ids).await
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
        crate::observe::delivery_finished(&verdict);
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
    ) -> Result<(), crate::store::StoreError> {
        let store = &self.fed.store;
        match verdict {
            Verdict::Done => {
                store
                    .fed_finish_delivery(job.id, "done", None, None, now)
                    .await?;
                store.fed_host_ok(&job.host).await?;
            }
            Verdict::Drop(error) => {
                tracing::info!(inbox = %job.inbox, error, "delivery refused; dropped");
                store
                    .fed_finish_delivery(job.id, "dropped", None, Some(&error), now)
                    .await?;
            }
            Verdict::Gone => {
                let removed = store.fed_drop_inbox(&job.inbox).await?;
                tracing::info!(inbox = %job.inbox, removed, "inbox gone; its followers removed");
                store
                    .fed_finish_delivery(job.id, "dropped", None, Some("410 Gone"), now)
                    .await?;
            }
            Verdict::Retry { after, error } => {
                if job.attempts + 1 >= MAX_ATTEMPTS {
                    tracing::warn!(inbox = %job.inbox, error, "delivery failed for days; dropped");
                    store
                        .fed_finish_delivery(job.id, "dropped", None, Some(&error), now)
                        .await?;
                } else {
                    let wait = after
                        .and_then(|d| chrono::Duration::from_std(d).ok())
                        .unwrap_or_else(|| backoff(job.attempts));
                    store
                        .fed_finish_delivery(job.id, "pending", Some(now + wait), Some(&error), now)
                        .await?;
                }
                let since = store.fed_host_failed(&job.host, now).await?;
                if now - since > UNAVAILABLE_AFTER {
                    tracing::warn!(host = %job.host, "host failing for days; marked unavailable");
                    store.fed_set_host_unavailable(&job.host).await?;
                }
            }
        }
        Ok(())
    }
}

/// An error with its causes, "connect failed: connection refused".
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_judged_like_mastodon_does() {
        assert_eq!(judge(202, None), Verdict::Done);
        assert_eq!(judge(410, None), Verdict::Gone);
        assert!(matches!(judge(404, None), Verdict::Drop(_)));
        assert!(matches!(judge(401, None), Verdict::Retry { .. }));
        assert!(matches!(judge(503, None), Verdict::Retry { .. }));
        assert_eq!(
            judge(429, Some("120")),
            Verdict::Retry {
                after: Some(Duration::from_secs(120)),
                error: "429 Too Many Requests".into()
            }
        );
    }

    #[test]
    fn retries_span_at_least_two_days() {
        let total: i64 = (0..MAX_ATTEMPTS - 1)
            .map(|n| backoff(n).num_seconds())
            .sum();
        assert!(total >= 2 * 24 * 3600 - 3600, "only {total} s");
        assert!(total < 4 * 24 * 3600, "{total} s");
    }
}
