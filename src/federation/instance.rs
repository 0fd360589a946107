//! The instance actor (FEP-2677): an `Application` at `/actor`, linked
//! from NodeInfo, with a key of its own. It signs every GET we make
//! (actors, keys, objects), so servers in authorized-fetch mode know which
//! server asks, and it is served to anyone, signed or not, so such servers
//! can check that signature without a signed fetch of their own (the
//! loop two secure-mode servers would otherwise fall into). It follows
//! nobody and posts nothing. Pure JSON; the HTTP layer serves it.

use serde_json::{json, Value};

use super::actor::acct_host;
use super::urls::Urls;
use crate::config::Config;

/// The instance actor's row in the key store. Configured usernames are
/// letters, digits and `_`, so no actor can take this name.
pub const KEY_NAME: &str = "-instance";

/// The NodeInfo link relation FEP-2677 defines.
pub const NODEINFO_REL: &str = "https://www.w3.org/ns/activitystreams#Application";

pub fn actor_json(
    config: &Config,
    urls: &Urls,
    public_pem: &str,
    created: chrono::DateTime<chrono::Utc>,
) -> Value {
    let id = urls.instance_actor();
    json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id,
        "type": "Application",
        // Mastodon names its instance actor after the domain, too.
        "preferredUsername": acct_host(config),
        "name": config.publisher.name,
        "url": urls.base(),
        "inbox": urls.instance_inbox(),
        "outbox": urls.instance_outbox(),
        "manuallyApprovesFollowers": true,
        "published": created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "publicKey": {
            "id": urls.instance_key_id(),
            "owner": id,
            "publicKeyPem": public_pem,
        },
    })
}
