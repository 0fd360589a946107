//! ActivityPub: the only module that knows ActivityStreams JSON. Actors
//! and their keys, the objects we post for stories, HTTP signatures, the
//! inbox, the planner that decides what to post, and the durable delivery
//! queue's workers. SQL lives in `store::federation`.
//!
//! `activitypub_federation` (=0.7.0-beta.14) receives: the inbox verifies
//! through it and remote actors are its `Object`s, fetched with our client
//! (`client`: the ingest guard and limits, signed GETs). It does not send:
//! its queue lives in memory and signs with the `rsa` crate
//! (RUSTSEC-2023-0071), so deliveries go through our durable queue
//! (`delivery`) and are signed over aws-lc-rs (`signature`, `keys`).

pub mod activity;
pub mod actor;
pub mod client;
pub mod delivery;
pub mod inbox;
pub mod intake;
pub mod keys;
pub mod object;
pub mod planner;
pub mod remote;
pub mod signature;
pub mod urls;

use std::sync::Arc;

use chrono::Utc;

use crate::config::{ActorConfig, Config};
use crate::ingest::fetch::{FetchSettings, Fetcher};
use crate::store::{ActorKeys, Store, StoreError};

pub use inbox::Inbox;
pub use remote::RemoteActor;
pub use urls::Urls;

#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Key(#[from] keys::KeyError),
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    #[error("no actor named {0}")]
    NoActor(String),
}

/// What every federation task shares: config, store, URLs, the client.
pub struct Federation {
    pub config: Arc<Config>,
    pub store: Store,
    pub urls: Urls,
    /// The guarded, GET-signing client (`client`), for the crate and us.
    pub client: reqwest_middleware::ClientWithMiddleware,
}

/// The outbound client's settings: the ingest guard and limits, with the
/// operator's trusted addresses.
pub fn fetch_settings(config: &Config) -> FetchSettings {
    FetchSettings {
        user_agent: config.user_agent(),
        allow_private_addresses: config.fetch.allow_private_addresses,
        connect_timeout: config.fetch.connect_timeout,
        total_timeout: config.fetch.timeout,
        max_body_bytes: config.fetch.max_body_bytes,
        max_redirects: 0,
        trusted_addresses: config.fetch.trusted_addresses.clone(),
    }
}

impl Federation {
    pub fn new(config: Arc<Config>, store: Store) -> Result<Arc<Federation>, FederationError> {
        let fetcher = Fetcher::new(fetch_settings(&config))
            .map_err(|e| FederationError::Client(format!("{e:#}")))?;
        let urls = Urls::new(&config.server.public_url);
        // Fetches are signed as the first actor (servers in authorized-fetch
        // mode want to know who asks; any of ours will do).
        let identity = config.actors.first().map(|a| client::FetchIdentity {
            username: a.username.clone(),
            key_id: urls.key_id(&a.username),
            store: store.clone(),
        });
        Ok(Arc::new(Federation {
            client: client::build(Arc::new(fetcher), identity),
            urls,
            config,
            store,
        }))
    }

    pub fn actor(&self, username: &str) -> Option<&ActorConfig> {
        self.config
            .actors
            .iter()
            .find(|a| a.username.eq_ignore_ascii_case(username))
    }

    /// The actor's keys, generated and stored on first use; never replaced.
    pub async fn keys(&self, username: &str) -> Result<ActorKeys, FederationError> {
        actor_keys(&self.store, username).await
    }

    /// Creates missing keys for every configured actor (at start, so the
    /// actor's birth date — the backfill line — is the first start).
    pub async fn ensure_actors(&self) -> Result<(), FederationError> {
        for a in &self.config.actors {
            let keys = self.keys(&a.username).await?;
            tracing::debug!(actor = %a.username, since = %keys.created_at, "actor ready");
        }
        Ok(())
    }
}

/// An actor's keys, generated and stored on first use; never replaced.
pub async fn actor_keys(store: &Store, username: &str) -> Result<ActorKeys, FederationError> {
    let generate = || match keys::generate() {
        Ok(pair) => Some(pair),
        Err(e) => {
            tracing::error!(error = %e, "cannot generate an actor key");
            None
        }
    };
    Ok(store.fed_actor_keys(username, generate, Utc::now()).await?)
}
