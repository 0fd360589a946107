//! WebSub publishing: a daemon task that notices when a live feed's bytes
//! change and tells the configured hub (`hub.mode=publish`, `hub.url=`).
//! Bounded (one ping per changed feed, each within the fetch timeout),
//! logged, and never fatal: a hub that is down costs a log line.

use std::collections::HashMap;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use url::Url;

use super::{feed_path, public, FeedKey, Feeds, Format, Page, Scope};
use crate::config::Config;

/// How often the task looks for a change (the cache itself re-reads the
/// store at most once a second).
const LOOK_EVERY: Duration = Duration::from_secs(1);

/// Every live feed: each publisher language and `all`, in every format.
pub fn live_feeds(config: &Config) -> Vec<FeedKey> {
    let scopes = std::iter::once(Scope::All).chain(
        config
            .publisher
            .languages
            .iter()
            .map(|l| Scope::Lang(l.clone())),
    );
    scopes
        .flat_map(|scope| {
            Format::ALL.into_iter().map(move |format| FeedKey {
                scope: scope.clone(),
                page: Page::Live,
                format,
            })
        })
        .collect()
}

pub struct Pinger {
    feeds: Feeds,
    hub: Url,
    client: reqwest::Client,
    /// The ETag of each live feed as last announced.
    seen: HashMap<FeedKey, String>,
}

impl Pinger {
    /// `None` when no hub is configured.
    pub fn new(feeds: Feeds) -> anyhow::Result<Option<Pinger>> {
        let config = feeds.config();
        let Some(hub) = config.websub.hub.clone() else {
            return Ok(None);
        };
        // The hub is the operator's own choice, not a URL found in a feed,
        // so the SSRF guard's address filter does not apply; the rest of
        // the fetcher's manners do (no proxy, no redirects, time bounds).
        let client = reqwest::Client::builder()
            .user_agent(config.user_agent())
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.fetch.connect_timeout)
            .timeout(config.fetch.timeout)
            .build()?;
        Ok(Some(Pinger {
            feeds,
            hub,
            client,
            seen: HashMap::new(),
        }))
    }

    /// Looks for changed feeds until `cancel` fires. The first look only
    /// learns the current state: a restart is not a change.
    pub async fn run_until_stopped(mut self, cancel: CancellationToken) -> anyhow::Result<()> {
        tracing::info!(hub = %self.hub, "WebSub: announcing feed changes");
        let mut first = true;
        loop {
            if let Err(e) = self.look(first).await {
                tracing::warn!(error = %e, "WebSub: cannot read the feeds");
            } else {
                first = false;
            }
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                _ = tokio::time::sleep(LOOK_EVERY) => {}
            }
        }
    }

    /// One look: pings the hub for each live feed whose ETag moved. The
    /// ETags come from the shared cache (cheap when nothing changed); the
    /// HTTP side may have noticed the change first, so the ETag, not the
    /// cache's "changed" signal, decides.
    pub async fn look(&mut self, baseline: bool) -> anyhow::Result<usize> {
        let mut pinged = 0;
        for key in live_feeds(&self.feeds.config()) {
            let Some(page) = self.feeds.get(&key).await? else {
                continue;
            };
            let before = self.seen.insert(key.clone(), page.etag.clone());
            if baseline || before.as_deref() == Some(page.etag.as_str()) {
                continue;
            }
            let url = public(
                &self.feeds.config(),
                &feed_path(&key.scope, key.page, key.format),
            );
            self.ping(&url).await;
            pinged += 1;
        }
        Ok(pinged)
    }

    async fn ping(&self, feed_url: &str) {
        let form = [("hub.mode", "publish"), ("hub.url", feed_url)];
        match self.client.post(self.hub.clone()).form(&form).send().await {
            Ok(r) if r.status().is_success() => {
                tracing::info!(hub = %self.hub, feed = feed_url, "WebSub: hub notified");
            }
            Ok(r) => {
                tracing::warn!(hub = %self.hub, feed = feed_url, status = %r.status(), "WebSub: the hub refused the ping");
            }
            Err(e) => {
                tracing::warn!(hub = %self.hub, feed = feed_url, error = %e, "WebSub: cannot reach the hub");
            }
        }
    }
}
