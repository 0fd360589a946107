//! The subscriber's daemon task: subscribes to the hub a source's feed
//! advertises (the poller notes it), renews leases before they lapse,
//! retries requests the hub never verified, and unsubscribes from sources
//! no longer configured (after a SIGHUP reload or a restart).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::config::{Config, Live};
use crate::net::Fetcher;
use crate::store::websub::{ACTIVE, DENIED, PENDING, UNSUBSCRIBING, WANTED};
use crate::store::{Store, Subscription};

/// The lease we ask for; hubs may grant another.
pub const ASKED_LEASE_SECONDS: i64 = 5 * 24 * 3600;
const LOOK_EVERY: Duration = Duration::from_secs(1);
/// A request the hub never verified is sent again after this long.
const RETRY_PENDING: chrono::Duration = chrono::Duration::minutes(10);

#[derive(Debug, thiserror::Error)]
pub enum SubscribeError {
    #[error("bad hub URL: {0}")]
    Url(#[from] url::ParseError),
    #[error("the hub address is refused: {0}")]
    Guard(String),
    #[error("cannot reach the hub: {0}")]
    Network(String),
    #[error("the hub answered {0}")]
    Status(u16),
}

pub struct Subscriber {
    /// Follows reloads: a removed source is unsubscribed.
    config: Live,
    store: Store,
    fetcher: Arc<Fetcher>,
}

impl Subscriber {
    pub fn new(config: Live, store: Store, fetcher: Arc<Fetcher>) -> Subscriber {
        Subscriber {
            config,
            store,
            fetcher,
        }
    }

    pub async fn run_until_stopped(self, cancel: CancellationToken) -> anyhow::Result<()> {
        loop {
            if let Err(e) = self.look(Utc::now()).await {
                tracing::warn!(error = %e, "WebSub: cannot read subscriptions");
            }
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                _ = tokio::time::sleep(LOOK_EVERY) => {}
            }
        }
    }

    /// One pass over every subscription: what is due is sent now.
    pub async fn look(&self, now: DateTime<Utc>) -> anyhow::Result<()> {
        let config = self.config.get();
        for sub in self.store.websub_subscriptions().await? {
            let configured = config
                .sources
                .iter()
                .any(|s| s.id.as_str() == sub.source_id);
            if !configured {
                self.leave(&config, &sub, now).await?;
            } else if due(&sub, now) {
                // The state moves before the request is sent: a hub may
                // verify before it even answers the POST. An active lease
                // stays usable while its renewal is verified.
                let state = if sub.state == ACTIVE { ACTIVE } else { PENDING };
                self.store
                    .websub_set_state(&sub.id, state, None, None, now)
                    .await?;
                match self.request(&config, &sub, "subscribe").await {
                    Ok(()) => tracing::info!(
                        source = sub.source_id,
                        hub = sub.hub,
                        "WebSub: subscription requested"
                    ),
                    Err(e) => {
                        tracing::warn!(source = sub.source_id, hub = sub.hub, error = %e, "WebSub: subscribe failed");
                        self.store
                            .websub_note_error(&sub.id, &e.to_string())
                            .await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The source is gone from the configuration: ask the hub to stop,
    /// once. The row stays (`unsubscribing`) until the hub verifies, so the
    /// callback can echo that verification; if the hub cannot be asked at
    /// all, the row goes and later pushes meet a 410.
    async fn leave(
        &self,
        config: &Config,
        sub: &Subscription,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        if sub.state == UNSUBSCRIBING {
            if now - sub.updated_at > RETRY_PENDING {
                self.store.websub_delete_subscription(&sub.id).await?;
            }
            return Ok(());
        }
        if sub.state == WANTED || sub.state == DENIED {
            self.store.websub_delete_subscription(&sub.id).await?;
            return Ok(());
        }
        // Marked first: the hub may verify before it answers the POST.
        self.store
            .websub_set_state(&sub.id, UNSUBSCRIBING, None, None, now)
            .await?;
        match self.request(config, sub, "unsubscribe").await {
            Ok(()) => {
                tracing::info!(
                    source = sub.source_id,
                    hub = sub.hub,
                    "WebSub: unsubscribe requested"
                );
            }
            Err(e) => {
                tracing::warn!(source = sub.source_id, error = %e, "WebSub: cannot unsubscribe; forgetting it");
                self.store.websub_delete_subscription(&sub.id).await?;
            }
        }
        Ok(())
    }

    /// POSTs a subscribe or unsubscribe request to the hub.
    async fn request(
        &self,
        config: &Config,
        sub: &Subscription,
        mode: &str,
    ) -> Result<(), SubscribeError> {
        let hub = Url::parse(&sub.hub)?;
        self.fetcher
            .check_target(&hub)
            .await
            .map_err(|e| SubscribeError::Guard(e.to_string()))?;
        let callback = super::callback_url(config, &sub.id);
        let lease = ASKED_LEASE_SECONDS.to_string();
        let mut form = vec![
            ("hub.mode", mode),
            ("hub.topic", sub.topic.as_str()),
            ("hub.callback", callback.as_str()),
        ];
        if mode == "subscribe" {
            form.push(("hub.secret", sub.secret.as_str()));
            form.push(("hub.lease_seconds", lease.as_str()));
        }
        let resp = self
            .fetcher
            .client()
            .post(hub)
            .timeout(config.fetch.timeout)
            .form(&form)
            .send()
            .await
            .map_err(|e| SubscribeError::Network(e.to_string()))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(SubscribeError::Status(resp.status().as_u16()))
        }
    }
}

/// Whether a subscribe request is due: never asked, asked long ago without
/// a verification, or a lease in its last quarter (at least its last
/// second) — renewed early so pushes never stop.
fn due(sub: &Subscription, now: DateTime<Utc>) -> bool {
    match sub.state.as_str() {
        WANTED => true,
        PENDING => now - sub.updated_at > RETRY_PENDING,
        ACTIVE => {
            let Some(expires) = sub.expires_at else {
                return true;
            };
            let lease = chrono::Duration::seconds(sub.lease_seconds.unwrap_or(0).max(0));
            let margin = (lease / 4).max(chrono::Duration::seconds(1));
            let renewing_since =
                now - sub.updated_at < RETRY_PENDING && sub.updated_at > expires - margin;
            expires - now <= margin && !renewing_since
        }
        _ => false,
    }
}
