//! Who signed a request we received. Cavage-signed inbox POSTs are checked
//! by `activitypub_federation` (see `inbox`); RFC 9421 inbox POSTs and
//! signed GETs in either scheme are checked here: the signature's form,
//! window and digest (`signature`), the signer looked up the crate's way
//! (`RemoteActor`: fetched through our client, cached in the store), the
//! RSA check with that actor's own key, and one fresh look when a cached
//! key fails (the key may have rotated). It decides nothing about what a
//! request may do once its signer is known (`policy`, the routes).

use std::sync::Arc;

use activitypub_federation::config::{Data, FederationConfig};
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::{Actor, Object};
use axum::http::{HeaderMap, Method, Uri};
use chrono::Utc;
use url::Url;

use super::error::InboxError;
use super::remote::RemoteActor;
use super::signature::{self, Pending, Received, Rejected};
use super::Federation;

/// Remote fetches one received request may cause (the actor, a key
/// document, one redirect each).
const FETCHES_PER_REQUEST: u32 = 6;

/// The crate's configuration around our federation (built on first use,
/// with our client, never its own), shared by the inbox and the
/// authorized-fetch check.
pub struct Verifier {
    fed: Arc<Federation>,
    ap: tokio::sync::OnceCell<FederationConfig<Arc<Federation>>>,
}

impl Verifier {
    pub fn new(fed: Arc<Federation>) -> Verifier {
        Verifier {
            fed,
            ap: tokio::sync::OnceCell::new(),
        }
    }

    pub fn federation(&self) -> &Arc<Federation> {
        &self.fed
    }

    /// A fresh request context (its own fetch budget).
    pub async fn data(&self) -> Result<Data<Arc<Federation>>, InboxError> {
        let ap = self
            .ap
            .get_or_try_init(|| async {
                FederationConfig::builder()
                    .domain(super::actor::acct_host(&self.fed.config))
                    .app_data(Arc::clone(&self.fed))
                    .client(self.fed.client.clone())
                    // Plain http, explicit ports and private peers are for
                    // tests and closed networks, the same switch as ingest.
                    .debug(self.fed.config.fetch.allow_private_addresses)
                    .http_fetch_limit(FETCHES_PER_REQUEST)
                    .build()
                    .await
                    .map_err(|e| InboxError::Setup(e.to_string()))
            })
            .await?;
        Ok(ap.to_request_data())
    }

    /// `pending` checked with `actor`'s own key: the actor, as looked up.
    /// A signature that fails with a cached key is tried once more after a
    /// fresh look (stale, not forgotten: if the look fails, the cached key
    /// and inboxes stay for the sender's next attempt).
    pub async fn by_actor(
        &self,
        pending: &Pending,
        actor: &Url,
        data: &Data<Arc<Federation>>,
    ) -> Result<RemoteActor, InboxError> {
        let id = ObjectId::<RemoteActor>::from(actor.clone());
        let found = id.dereference(data).await?;
        match pending.verify(found.public_key_pem()) {
            Ok(()) => Ok(found),
            Err(Rejected::Forged) => {
                self.fed
                    .store
                    .fed_expire_remote_actor(found.id().as_str())
                    .await?;
                let again = id.dereference(data).await?;
                pending.verify(again.public_key_pem())?;
                Ok(again)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A signed GET (authorized fetch): the actor whose key signed it. The
    /// key must be the one that actor's document publishes.
    pub async fn signed_get(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<RemoteActor, InboxError> {
        let lookup = |name: &str| header(headers, name);
        let pending = signature::check(
            &Received {
                method: method.as_str(),
                origin: self.fed.urls.origin(),
                target: uri.path_and_query().map_or(uri.path(), |p| p.as_str()),
                lookup: &lookup,
                body: b"",
            },
            Utc::now(),
        )?;
        let signer = self.get_signer(&pending).await;
        let outcome = if signer.is_ok() {
            "verified"
        } else {
            "refused"
        };
        crate::observe::signature_received(pending.scheme.label(), outcome);
        signer
    }

    async fn get_signer(&self, pending: &Pending) -> Result<RemoteActor, InboxError> {
        // Known by its key id (a follower, say), or fetched: a key id names
        // its actor's document (`…/actor#main-key`), or a document that
        // points to it (GoToSocial's `…/main-key`; the crate follows its id).
        let known = self.fed.store.fed_remote_actor(&pending.key_id).await?;
        let owner = match known {
            Some(row) => Url::parse(&row.id),
            None => Url::parse(&pending.key_id).map(|mut u| {
                u.set_fragment(None);
                u
            }),
        }
        .map_err(|_| Rejected::Malformed(format!("keyid {} is not a URL", pending.key_id)))?;
        let data = self.data().await?;
        // A key fetch the key's host refuses in both schemes fails with
        // `knock::Unauthenticated`: the request stays unauthenticated (401).
        let actor = self.by_actor(pending, &owner, &data).await?;
        if actor.row.key_id.as_deref() != Some(pending.key_id.as_str()) {
            return Err(Rejected::Key(format!(
                "{} does not publish the key {}",
                actor.id(),
                pending.key_id
            ))
            .into());
        }
        Ok(actor)
    }
}

/// A request header by name, repeated fields joined by `, `.
pub fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}
