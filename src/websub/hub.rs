//! Our own hub (`websub.hub = "builtin"`): subscribe and unsubscribe
//! requests for our live feeds, verification of intent by a GET to the
//! callback (through the address guard) with lease bounds, the current
//! feed queued for a new subscriber, `hub.mode=denied` for a topic that is
//! not ours, and the task that notices a feed changed and queues a copy for
//! every subscriber (and, now and then, prunes expired subscribers).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::config::Config;
use crate::net::Fetcher;
use crate::publish::websub::live_feeds;
use crate::publish::{feed_path, public, FeedKey, Feeds};
use crate::store::{Pruned, Store, StoreError};

/// Lease bounds: at least a day, at most ten, five when not asked.
pub const MIN_LEASE_SECONDS: i64 = 24 * 3600;
pub const MAX_LEASE_SECONDS: i64 = 10 * 24 * 3600;
pub const DEFAULT_LEASE_SECONDS: i64 = 5 * 24 * 3600;
/// The spec caps secrets at 200 bytes.
const MAX_SECRET_BYTES: usize = 200;
const LOOK_EVERY: Duration = Duration::from_secs(1);
/// A challenge echo is short: a callback streaming more is not read.
const MAX_ECHO_BYTES: usize = 1024;
/// A subscriber is pruned this long after its lease ended (a renewal may
/// be on its way), by `watch` every `PRUNE_EVERY`, at most `PRUNE_BATCH`
/// at a time.
pub const PRUNE_GRACE: chrono::Duration = chrono::Duration::seconds(24 * 3600);
const PRUNE_EVERY: Duration = Duration::from_secs(600);
const PRUNE_BATCH: i64 = 500;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HubRequestError {
    #[error("hub.mode must be subscribe or unsubscribe")]
    Mode,
    #[error("hub.topic must be an absolute http(s) URL")]
    Topic,
    #[error("hub.callback must be an absolute http(s) URL")]
    Callback,
    #[error("hub.secret must be 1 to 200 bytes")]
    Secret,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Subscribe,
    Unsubscribe,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Subscribe => "subscribe",
            Mode::Unsubscribe => "unsubscribe",
        }
    }
}

/// A well-formed request, not yet verified.
#[derive(Clone, Debug)]
pub struct HubRequest {
    pub mode: Mode,
    pub topic: String,
    pub callback: Url,
    pub secret: Option<String>,
    /// Already within the bounds.
    pub lease_seconds: i64,
}

pub struct Hub {
    config: Arc<Config>,
    store: Store,
    /// The feed cache: which feeds are topics, and a new subscriber's copy.
    feeds: Feeds,
    fetcher: Arc<Fetcher>,
    /// Verifications in flight: a flood of subscribe requests must not
    /// become a flood of outbound GETs.
    verifying: Arc<Semaphore>,
}

/// Verifications in flight at once; past that, requests are turned away.
const MAX_VERIFYING: usize = 16;

/// Every live feed's public URL: the topics one may subscribe to.
pub fn topics(config: &Config) -> Vec<(FeedKey, String)> {
    live_feeds(config)
        .into_iter()
        .map(|k| {
            let url = public(config, &feed_path(&k.scope, k.page, k.format));
            (k, url)
        })
        .collect()
}

impl Hub {
    pub fn new(config: Arc<Config>, feeds: Feeds, fetcher: Arc<Fetcher>) -> Hub {
        Hub {
            config,
            store: feeds.store().clone(),
            feeds,
            fetcher,
            verifying: Arc::new(Semaphore::new(MAX_VERIFYING)),
        }
    }

    /// A slot for one verification, or `None` when too many are running.
    pub fn verification_slot(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.verifying).try_acquire_owned().ok()
    }

    /// Reads the form of a subscribe or unsubscribe request.
    pub fn parse(&self, form: &[(String, String)]) -> Result<HubRequest, HubRequestError> {
        let field = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let mode = match field("hub.mode") {
            Some("subscribe") => Mode::Subscribe,
            Some("unsubscribe") => Mode::Unsubscribe,
            _ => return Err(HubRequestError::Mode),
        };
        // Whether it is one of ours is decided after the 202 (a `denied`
        // request to the callback); a topic that is not a URL is malformed.
        let topic = field("hub.topic")
            .filter(|t| {
                Url::parse(t)
                    .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            })
            .ok_or(HubRequestError::Topic)?
            .to_string();
        let callback = field("hub.callback")
            .and_then(|c| Url::parse(c).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or(HubRequestError::Callback)?;
        let secret = match field("hub.secret") {
            None => None,
            Some(s) if s.is_empty() || s.len() > MAX_SECRET_BYTES => {
                return Err(HubRequestError::Secret)
            }
            Some(s) => Some(s.to_string()),
        };
        let lease_seconds = field("hub.lease_seconds")
            .and_then(|l| l.trim().parse::<i64>().ok())
            .unwrap_or(DEFAULT_LEASE_SECONDS)
            .clamp(MIN_LEASE_SECONDS, MAX_LEASE_SECONDS);
        Ok(HubRequest {
            mode,
            topic,
            callback,
            secret,
            lease_seconds,
        })
    }

    /// The live feed `topic` names, if it is one of ours.
    fn feed_of(&self, topic: &str) -> Option<FeedKey> {
        topics(&self.feeds.config())
            .into_iter()
            .find(|(_, url)| url == topic)
            .map(|(key, _)| key)
    }

    /// What follows a 202: a subscription to a topic we do not publish is
    /// denied (WebSub §5.2), anything else goes to verification of intent.
    /// Returns whether the request took effect.
    pub async fn handle(&self, req: &HubRequest) -> anyhow::Result<bool> {
        if req.mode == Mode::Subscribe && self.feed_of(&req.topic).is_none() {
            let reason = format!(
                "not a topic of this hub: it serves only the live feeds of {}",
                self.config.server.public_url
            );
            self.deny(req, &reason).await;
            return Ok(false);
        }
        self.verify(req).await
    }

    /// Tells the callback its subscription is refused: a GET with
    /// `hub.mode=denied`, the topic and the reason (address guard first).
    /// Nothing is stored; the answer does not matter.
    async fn deny(&self, req: &HubRequest, reason: &str) {
        let mut url = req.callback.clone();
        url.query_pairs_mut()
            .append_pair("hub.mode", "denied")
            .append_pair("hub.topic", &req.topic)
            .append_pair("hub.reason", reason);
        if let Err(e) = self.fetcher.check_target(&url).await {
            tracing::info!(callback = %req.callback, error = %e, "WebSub hub: callback refused by the guard");
            return;
        }
        let sent = self
            .fetcher
            .client()
            .get(url)
            .timeout(self.config.fetch.timeout)
            .send()
            .await;
        tracing::info!(
            callback = %req.callback,
            topic = req.topic,
            answered = sent.as_ref().is_ok_and(|r| r.status().is_success()),
            "WebSub hub: subscription denied (not our topic)"
        );
    }

    /// Verification of intent: GET the callback with a fresh challenge; only
    /// an echo (2xx, the challenge as the body) makes the request take
    /// effect. Returns whether it did. A new subscriber (not the renewal of
    /// an active subscription) is then sent the topic's current feed.
    pub async fn verify(&self, req: &HubRequest) -> anyhow::Result<bool> {
        let challenge = hex::encode(rand::random::<[u8; 16]>());
        let mut url = req.callback.clone();
        url.query_pairs_mut()
            .append_pair("hub.mode", req.mode.as_str())
            .append_pair("hub.topic", &req.topic)
            .append_pair("hub.challenge", &challenge)
            .append_pair("hub.lease_seconds", &req.lease_seconds.to_string());
        if let Err(e) = self.fetcher.check_target(&url).await {
            tracing::info!(callback = %req.callback, error = %e, "WebSub hub: callback refused by the guard");
            return Ok(false);
        }
        let echoed = match self
            .fetcher
            .client()
            .get(url)
            .timeout(self.config.fetch.timeout)
            .send()
            .await
        {
            Ok(resp) if resp.status().is_success() => {
                read_capped(resp, MAX_ECHO_BYTES).await.as_deref() == Some(challenge.as_bytes())
            }
            Ok(_) | Err(_) => false,
        };
        if !echoed {
            tracing::info!(callback = %req.callback, mode = req.mode.as_str(), "WebSub hub: intent not verified");
            return Ok(false);
        }
        let now = Utc::now();
        match req.mode {
            Mode::Subscribe => {
                let new = self
                    .store
                    .websub_put_subscriber(
                        &req.topic,
                        req.callback.as_str(),
                        req.secret.as_deref(),
                        req.lease_seconds,
                        now,
                    )
                    .await?;
                // The subscription stands even if its first copy cannot be
                // queued; the next change reaches it.
                if new {
                    if let Err(e) = self.queue_current(req, now).await {
                        tracing::warn!(callback = %req.callback, error = %e, "WebSub hub: cannot queue the current feed");
                    }
                }
            }
            Mode::Unsubscribe => {
                self.store
                    .websub_delete_subscriber(&req.topic, req.callback.as_str())
                    .await?;
            }
        }
        tracing::info!(callback = %req.callback, topic = req.topic, mode = req.mode.as_str(), "WebSub hub: verified");
        Ok(true)
    }

    /// Queues the topic's current feed for the subscriber of `req`, through
    /// the delivery queue (so it is retried and signed like any copy).
    async fn queue_current(
        &self,
        req: &HubRequest,
        now: chrono::DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let Some(key) = self.feed_of(&req.topic) else {
            return Ok(());
        };
        let Some(page) = self.feeds.get(&key).await? else {
            return Ok(());
        };
        let body = String::from_utf8_lossy(&page.body);
        self.store
            .websub_enqueue_one(
                &req.topic,
                req.callback.as_str(),
                key.format.media_type(),
                &body,
                now,
            )
            .await?;
        Ok(())
    }
}

/// Deletes subscribers whose lease ended over `PRUNE_GRACE` before `now`,
/// with their pending deliveries (a bounded batch; `watch` calls it every
/// `PRUNE_EVERY`).
pub async fn prune(store: &Store, now: chrono::DateTime<Utc>) -> Result<Pruned, StoreError> {
    store
        .websub_prune_subscribers(now - PRUNE_GRACE, PRUNE_BATCH)
        .await
}

/// The body, or `None` past `cap` bytes or on a broken stream.
async fn read_capped(mut resp: reqwest::Response, cap: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.ok()? {
        out.extend_from_slice(&chunk);
        if out.len() > cap {
            return None;
        }
    }
    Some(out)
}

/// Watches the live feeds and queues a copy of each one that changed for
/// its subscribers. The first look only learns the current state: a
/// restart is not a change. Prunes expired subscribers every
/// `PRUNE_EVERY`.
pub async fn watch(feeds: Feeds, cancel: CancellationToken) -> anyhow::Result<()> {
    let mut seen: HashMap<FeedKey, String> = HashMap::new();
    let mut first = true;
    let mut pruned_at: Option<Instant> = None;
    loop {
        match look(&feeds, &mut seen, first).await {
            Ok(_) => first = false,
            Err(e) => tracing::warn!(error = %e, "WebSub hub: cannot read the feeds"),
        }
        if pruned_at.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            pruned_at = Some(Instant::now());
            match prune(feeds.store(), Utc::now()).await {
                Ok(p) if p.subscribers > 0 => tracing::info!(
                    subscribers = p.subscribers,
                    deliveries = p.deliveries,
                    "WebSub hub: pruned subscribers whose lease ended"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "WebSub hub: cannot prune subscribers"),
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            _ = tokio::time::sleep(LOOK_EVERY) => {}
        }
    }
}

/// One look; returns how many deliveries were queued.
pub async fn look(
    feeds: &Feeds,
    seen: &mut HashMap<FeedKey, String>,
    baseline: bool,
) -> anyhow::Result<u64> {
    let mut queued = 0;
    for (key, topic) in topics(&feeds.config()) {
        let Some(page) = feeds.get(&key).await? else {
            continue;
        };
        let before = seen.insert(key.clone(), page.etag.clone());
        if baseline || before.as_deref() == Some(page.etag.as_str()) {
            continue;
        }
        let body = String::from_utf8_lossy(&page.body);
        queued += feeds
            .store()
            .websub_enqueue(&topic, key.format.media_type(), &body, Utc::now())
            .await?;
    }
    Ok(queued)
}
