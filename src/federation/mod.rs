//! ActivityPub: the only module that knows ActivityStreams JSON. Actors
//! (ours and the instance actor) and their keys, the objects we post for
//! stories, HTTP signatures in both schemes, the inbox, signed-fetch
//! checks, the planner that decides what to post, and the durable
//! delivery queue's workers. SQL lives in `store::federation`.
//!
//! `activitypub_federation` (=0.7.0-beta.14) receives cavage-signed
//! activities: the inbox verifies through it and remote actors are its
//! `Object`s, fetched with our client (`client`: the ingest guard and
//! limits, requests signed by `knock`). RFC 9421 signatures, which the
//! crate does not know, are verified by us (`verify`) with the actor the
//! same crate look-up gives. It does not send: its queue lives in memory
//! and signs with the `rsa` crate (RUSTSEC-2023-0071), so deliveries go
//! through our durable queue (`delivery`) and are signed over aws-lc-rs
//! (`signature`, `keys`, `knock`).

pub mod activity;
pub mod actor;
pub mod client;
pub mod delivery;
pub mod error;
pub mod inbox;
pub mod instance;
pub mod keys;
pub mod knock;
pub mod object;
pub mod planner;
pub mod policy;
pub mod remote;
pub mod signature;
pub mod urls;
pub mod verify;

use std::sync::Arc;

use chrono::Utc;

use crate::config::{ActorConfig, Config};
use crate::net::Fetcher;
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

impl Federation {
    /// Federation for `config`'s actors, going out through `fetcher`.
    /// Actors and the public URL are read once: changing them needs a
    /// restart.
    pub fn new(
        config: Arc<Config>,
        store: Store,
        fetcher: Arc<Fetcher>,
    ) -> Result<Arc<Federation>, FederationError> {
        let urls = Urls::new(&config.server.public_url);
        // Fetches are signed by the instance actor, deliveries by theirs.
        let signing = Arc::new(knock::Signing::new(store.clone(), urls.clone()));
        Ok(Arc::new(Federation {
            client: client::build(fetcher, signing),
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
    /// actor's birth date — the backfill line — is the first start) and
    /// for the instance actor.
    pub async fn ensure_actors(&self) -> Result<(), FederationError> {
        for a in &self.config.actors {
            let keys = self.keys(&a.username).await?;
            tracing::debug!(actor = %a.username, since = %keys.created_at, "actor ready");
        }
        self.keys(instance::KEY_NAME).await?;
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
