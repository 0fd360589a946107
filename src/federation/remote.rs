//! Other servers' actors as `activitypub_federation` objects: the crate
//! fetches them through our client (`federation::client`: address guard,
//! size cap, signed GET), checks the document's id against where it came
//! from, and we keep the key and inboxes in the store (`fed_remote_actors`)
//! so a follower's next activity needs no fetch.

use std::sync::Arc;

use activitypub_federation::config::Data;
use activitypub_federation::protocol::verification::verify_domains_match;
use activitypub_federation::traits::{Actor, Object};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use url::Url;

use super::error::InboxError;
use super::Federation;
use crate::store::RemoteActorRow;

/// A remote actor we can verify and deliver to: it has a key and an inbox.
#[derive(Debug, Clone)]
pub struct RemoteActor {
    pub row: RemoteActorRow,
    id: Url,
    inbox: Url,
    public_key_pem: String,
}

impl RemoteActor {
    fn from_row(row: RemoteActorRow) -> Option<RemoteActor> {
        let id = Url::parse(&row.id).ok()?;
        let inbox = Url::parse(row.inbox.as_deref()?).ok()?;
        let public_key_pem = row.public_key_pem.clone()?;
        Some(RemoteActor {
            row,
            id,
            inbox,
            public_key_pem,
        })
    }
}

/// The fields we read from an actor document. Mastodon, Misskey,
/// GoToSocial and Pleroma all fit: `publicKey` as an object or an array,
/// the shared inbox in `endpoints` or (Misskey) at the top level.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorDocument {
    pub id: Url,
    pub inbox: Url,
    #[serde(default)]
    pub public_key: OneOrMany<KeyDocument>,
    #[serde(default)]
    pub endpoints: Option<Endpoints>,
    #[serde(default)]
    pub shared_inbox: Option<Url>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyDocument {
    pub id: String,
    #[serde(default)]
    pub owner: Option<Url>,
    pub public_key_pem: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    #[serde(default)]
    pub shared_inbox: Option<Url>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany::Many(Vec::new())
    }
}

impl<T> OneOrMany<T> {
    fn first(&self) -> Option<&T> {
        match self {
            OneOrMany::One(t) => Some(t),
            OneOrMany::Many(v) => v.first(),
        }
    }
}

#[async_trait::async_trait]
impl Object for RemoteActor {
    type DataType = Arc<Federation>;
    type Kind = ActorDocument;
    type Error = InboxError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        Some(self.row.fetched_at)
    }

    async fn read_from_id(
        id: Url,
        data: &Data<Self::DataType>,
    ) -> Result<Option<Self>, InboxError> {
        let row = data.store.fed_remote_actor(id.as_str()).await?;
        Ok(row.and_then(RemoteActor::from_row))
    }

    /// The actor answered 410: it is gone, and so is every follow of it.
    async fn delete(&self, data: &Data<Self::DataType>) -> Result<(), InboxError> {
        data.store.fed_forget_remote_actor(self.id.as_str()).await?;
        let removed = data
            .store
            .fed_remove_follower(None, self.id.as_str())
            .await?;
        tracing::info!(actor = %self.id, removed, "remote actor gone");
        Ok(())
    }

    async fn into_json(self, _data: &Data<Self::DataType>) -> Result<ActorDocument, InboxError> {
        Err(InboxError::BadRequest(format!(
            "{} is not ours to serve",
            self.id
        )))
    }

    /// The document is served from the actor's own host, and its key is
    /// the actor's own (keyId owner = actor).
    async fn verify(
        json: &ActorDocument,
        expected_domain: &Url,
        _data: &Data<Self::DataType>,
    ) -> Result<(), InboxError> {
        verify_domains_match(&json.id, expected_domain)?;
        let key = json
            .public_key
            .first()
            .ok_or_else(|| InboxError::BadRequest(format!("{} has no public key", json.id)))?;
        if key.owner.as_ref().is_some_and(|o| o != &json.id) {
            return Err(InboxError::BadRequest(format!(
                "the key of {} belongs to someone else",
                json.id
            )));
        }
        Ok(())
    }

    async fn from_json(
        json: ActorDocument,
        data: &Data<Self::DataType>,
    ) -> Result<Self, InboxError> {
        let key = json.public_key.first();
        let row = RemoteActorRow {
            id: json.id.to_string(),
            key_id: key.map(|k| k.id.clone()),
            public_key_pem: key.map(|k| spki_pem(&k.public_key_pem)),
            inbox: Some(json.inbox.to_string()),
            shared_inbox: json
                .endpoints
                .and_then(|e| e.shared_inbox)
                .or(json.shared_inbox)
                .map(|u| u.to_string()),
            fetched_at: Utc::now(),
        };
        data.store.fed_save_remote_actor(&row).await?;
        RemoteActor::from_row(row)
            .ok_or_else(|| InboxError::BadRequest(format!("{} is not an actor", json.id)))
    }
}

impl Actor for RemoteActor {
    fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }

    fn private_key_pem(&self) -> Option<String> {
        None
    }

    fn inbox(&self) -> Url {
        self.inbox.clone()
    }

    fn shared_inbox(&self) -> Option<Url> {
        self.row
            .shared_inbox
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
    }
}

/// Keys arrive as SPKI `PUBLIC KEY` (nearly everyone) or PKCS#1 `RSA PUBLIC
/// KEY` (some older servers); the verifier reads SPKI only, so PKCS#1 is
/// wrapped in the SPKI envelope for rsaEncryption. Anything else is kept
/// as it came (and will fail verification, as it should).
pub fn spki_pem(pem: &str) -> String {
    if !pem.contains("BEGIN RSA PUBLIC KEY") {
        return pem.to_string();
    }
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("-----"))
        .collect();
    let Ok(pkcs1) = STANDARD.decode(body.as_bytes()) else {
        return pem.to_string();
    };
    // AlgorithmIdentifier { rsaEncryption, NULL }.
    const ALGORITHM: [u8; 15] = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut bits = vec![0u8];
    bits.extend_from_slice(&pkcs1);
    let mut inner = ALGORITHM.to_vec();
    inner.extend(der(0x03, &bits));
    let spki = der(0x30, &inner);
    let b64 = STANDARD.encode(spki);
    let mut out = String::from("-----BEGIN PUBLIC KEY-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END PUBLIC KEY-----\n");
    out
}

/// One DER tag-length-value.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixture_shape_of_an_actor_document_parses() {
        let one = r#"{"id":"https://m.example/users/a","inbox":"https://m.example/users/a/inbox",
            "publicKey":{"id":"https://m.example/users/a#main-key","owner":"https://m.example/users/a","publicKeyPem":"P"},
            "endpoints":{"sharedInbox":"https://m.example/inbox"}}"#;
        let many = r#"{"id":"https://k.example/users/b","inbox":"https://k.example/users/b/inbox",
            "publicKey":[{"id":"https://k.example/users/b#main-key","publicKeyPem":"Q"}],
            "sharedInbox":"https://k.example/inbox"}"#;
        let a: ActorDocument = serde_json::from_str(one).unwrap();
        let b: ActorDocument = serde_json::from_str(many).unwrap();
        assert_eq!(a.public_key.first().unwrap().public_key_pem, "P");
        assert_eq!(b.public_key.first().unwrap().public_key_pem, "Q");
        assert_eq!(b.shared_inbox.unwrap().as_str(), "https://k.example/inbox");
    }

    #[test]
    fn a_pkcs1_key_is_rewrapped_as_spki_that_verifies() {
        use crate::federation::keys::{self, Signer};
        let (private, public) = keys::generate().unwrap();
        // SPKI for a 2048-bit key: 24 bytes of envelope before the PKCS#1 key.
        let body: String = public.lines().filter(|l| !l.starts_with("-----")).collect();
        let spki = STANDARD.decode(body).unwrap();
        let pkcs1 = STANDARD.encode(&spki[24..]);
        let pkcs1_pem =
            format!("-----BEGIN RSA PUBLIC KEY-----\n{pkcs1}\n-----END RSA PUBLIC KEY-----\n");
        let rewrapped = spki_pem(&pkcs1_pem);
        assert_eq!(rewrapped.replace('\n', ""), public.replace('\n', ""));
        let sig = Signer::from_pkcs8_pem(&private)
            .unwrap()
            .sign(b"m")
            .unwrap();
        assert!(keys::verify(&rewrapped, b"m", &sig).unwrap());
    }
}
