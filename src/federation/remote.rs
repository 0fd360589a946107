//! Other servers' actors, fetched through the ingest address guard (same
//! client, same private-address policy) with a size cap, and cached in the
//! store for their keys and inboxes.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;
use url::Url;

use crate::ingest::fetch::Fetcher;
use crate::store::{RemoteActorRow, Store, StoreError};

/// Actor documents are a few KiB; anything much larger is not one.
const MAX_ACTOR_BYTES: usize = 1024 * 1024;
const FETCH_TIMEOUT: Duration = Duration::from_secs(15);
/// A cached key older than this is refetched (keys rotate, rarely).
const KEY_TTL: chrono::Duration = chrono::Duration::days(1);

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("{0} is not an http(s) URL")]
    BadUrl(String),
    #[error("refused by the address guard: {0}")]
    Refused(String),
    #[error("fetching {url}: {detail}")]
    Fetch { url: String, detail: String },
    #[error("{0} is not an actor document")]
    NotActor(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Fetches and caches remote actors.
#[derive(Clone)]
pub struct Remote {
    fetcher: Arc<Fetcher>,
    store: Store,
}

impl Remote {
    pub fn new(fetcher: Arc<Fetcher>, store: Store) -> Remote {
        Remote { fetcher, store }
    }

    pub fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    /// The actor owning `key_id` (cached unless stale or `fresh`).
    pub async fn by_key(&self, key_id: &str, fresh: bool) -> Result<RemoteActorRow, RemoteError> {
        if !fresh {
            if let Some(row) = self.store.fed_remote_actor(key_id).await? {
                if row.public_key_pem.is_some() && Utc::now() - row.fetched_at < KEY_TTL {
                    return Ok(row);
                }
            }
        }
        let mut url = Url::parse(key_id).map_err(|_| RemoteError::BadUrl(key_id.into()))?;
        url.set_fragment(None);
        self.refresh(url.as_str()).await
    }

    /// The actor `id` (cached inbox when known).
    pub async fn actor(&self, id: &str) -> Result<RemoteActorRow, RemoteError> {
        if let Some(row) = self.store.fed_remote_actor(id).await? {
            if row.inbox.is_some() && Utc::now() - row.fetched_at < KEY_TTL {
                return Ok(row);
            }
        }
        self.refresh(id).await
    }

    async fn refresh(&self, url: &str) -> Result<RemoteActorRow, RemoteError> {
        let mut doc = self.get_json(url).await?;
        // A bare key document (`{id, owner, publicKeyPem}`) names its actor.
        if doc.get("inbox").is_none() {
            if let Some(owner) = doc.get("owner").and_then(Value::as_str) {
                if owner != url {
                    doc = self.get_json(owner).await?;
                }
            }
        }
        let row = parse_actor(&doc).ok_or_else(|| RemoteError::NotActor(url.into()))?;
        self.store.fed_save_remote_actor(&row).await?;
        Ok(row)
    }

    /// GET with `Accept: application/activity+json`, guarded and capped.
    pub async fn get_json(&self, raw: &str) -> Result<Value, RemoteError> {
        let url = Url::parse(raw).map_err(|_| RemoteError::BadUrl(raw.into()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(RemoteError::BadUrl(raw.into()));
        }
        self.fetcher
            .check_target(&url)
            .await
            .map_err(|e| RemoteError::Refused(e.to_string()))?;
        let fail = |detail: String| RemoteError::Fetch {
            url: raw.to_string(),
            detail,
        };
        let work = async {
            let mut resp = self
                .fetcher
                .client()
                .get(url.clone())
                .header(
                    "accept",
                    "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
                )
                .send()
                .await
                .map_err(|e| fail(e.to_string()))?;
            if !resp.status().is_success() {
                return Err(fail(format!("status {}", resp.status())));
            }
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(|e| fail(e.to_string()))? {
                body.extend_from_slice(&chunk);
                if body.len() > MAX_ACTOR_BYTES {
                    return Err(fail("document too large".into()));
                }
            }
            serde_json::from_slice(&body).map_err(|e| fail(format!("not JSON: {e}")))
        };
        tokio::time::timeout(FETCH_TIMEOUT, work)
            .await
            .map_err(|_| fail("timed out".into()))?
    }
}

/// The fields we need from an actor document (Mastodon, Misskey,
/// GoToSocial, Pleroma… all shapes: `publicKey` as object or array).
pub fn parse_actor(doc: &Value) -> Option<RemoteActorRow> {
    let id = doc.get("id")?.as_str()?.to_string();
    doc.get("inbox")?;
    let key = match doc.get("publicKey") {
        Some(Value::Array(keys)) => keys.first().cloned(),
        Some(k @ Value::Object(_)) => Some(k.clone()),
        _ => None,
    };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    Some(RemoteActorRow {
        key_id: key.as_ref().and_then(|k| text(k.get("id"))),
        public_key_pem: key.as_ref().and_then(|k| text(k.get("publicKeyPem"))),
        inbox: text(doc.get("inbox")),
        shared_inbox: text(doc.get("endpoints").and_then(|e| e.get("sharedInbox")))
            .or_else(|| text(doc.get("sharedInbox"))),
        fetched_at: Utc::now(),
        id,
    })
}

/// The key's owner as the actor document says: the document's own id
/// (a key served inside an actor belongs to that actor).
pub fn key_owner(row: &RemoteActorRow) -> &str {
    &row.id
}
