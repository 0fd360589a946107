//! ActivityPub: the only module that knows ActivityStreams JSON. Actors
//! and their keys, the objects we post for stories, HTTP signatures, the
//! inbox, the planner that decides what to post, and the durable delivery
//! queue's workers. SQL lives in `store::federation`.
//!
//! Why not `activitypub_federation` (0.7.0-beta.14), as first planned: it
//! is built on reqwest 0.13 (we have 0.12, so it cannot take our guarded
//! client), verifies with the `rsa` crate (RUSTSEC-2023-0071) and keeps its
//! signature checks `pub(crate)` behind its own fetching and queue — the
//! parts we must replace. Signatures here are draft-cavage over aws-lc-rs.

pub mod activity;
pub mod actor;
pub mod delivery;
pub mod inbox;
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

pub use remote::Remote;
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

/// What every federation task shares: config, store, URLs, remote actors.
pub struct Federation {
    pub config: Arc<Config>,
    pub store: Store,
    pub urls: Urls,
    pub remote: Remote,
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
        let remote = Remote::new(Arc::new(fetcher), store.clone());
        Ok(Arc::new(Federation {
            urls: Urls::new(&config.server.public_url),
            config,
            store,
            remote,
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
        let generate = || match keys::generate() {
            Ok(pair) => Some(pair),
            Err(e) => {
                tracing::error!(error = %e, "cannot generate an actor key");
                None
            }
        };
        Ok(self
            .store
            .fed_actor_keys(username, generate, Utc::now())
            .await?)
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
