//! The file as written: serde mirrors of each table, with `Spanned` on every
//! value a cross-field check may need to point at. Single-value checks
//! (language tags, source ids, socket addresses, durations) happen here
//! during deserialization, so serde reports them with their own span —
//! except inside arrays, where toml only knows the whole array's span, so
//! list elements stay text and `validate` parses them.

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use toml::Spanned;

use crate::domain::{Lang, Role, SourceId};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub server: RawServer,
    pub database: Option<RawDatabase>,
    pub publisher: RawPublisher,
    #[serde(default)]
    pub fetch: RawFetch,
    pub admin: Option<RawAdmin>,
    #[serde(default)]
    pub sources: Vec<RawSource>,
    #[serde(default)]
    pub actors: Vec<RawActor>,
    #[serde(default)]
    pub feeds: RawFeeds,
    #[serde(default)]
    pub websub: RawWebSub,
    #[serde(default)]
    pub federation: RawFederation,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    pub bind: SocketAddr,
    pub public_url: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDatabase {
    pub url: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPublisher {
    pub name: Spanned<String>,
    pub languages: Spanned<Vec<Spanned<String>>>,
}

/// Every key optional: absent ones take `FetchConfig::default()`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawFetch {
    pub user_agent: Option<Spanned<String>>,
    pub allow_private_addresses: bool,
    pub trusted_addresses: Vec<SocketAddr>,
    pub connect_timeout: Option<Spanned<HumanDuration>>,
    pub timeout: Option<Spanned<HumanDuration>>,
    pub max_body_bytes: Option<Spanned<u64>>,
    pub max_concurrent: Option<Spanned<u64>>,
    pub max_per_host: Option<Spanned<u64>>,
    pub max_backoff: Option<Spanned<HumanDuration>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAdmin {
    pub token: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    pub id: Spanned<SourceId>,
    pub name: Spanned<String>,
    pub role: Role,
    /// Kept as text: a relative `file:` URL must be seen before `Url` would
    /// silently make it absolute from the file-system root.
    pub url: Spanned<String>,
    pub language: Lang,
    pub poll_every: Option<Spanned<HumanDuration>>,
    #[serde(default)]
    pub url_pattern: Option<Spanned<String>>,
    #[serde(default)]
    pub page_lookups: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawActor {
    pub username: Spanned<String>,
    pub display_name: Option<String>,
    pub summary: Option<String>,
    pub languages: Option<Spanned<Vec<Spanned<String>>>>,
    pub icon: Option<Spanned<String>>,
    pub header: Option<Spanned<String>>,
    pub object_type: Option<Spanned<String>>,
    #[serde(default)]
    pub backfill: usize,
    #[serde(default)]
    pub fields: Vec<RawActorField>,
    pub discoverable: Option<bool>,
}

/// One profile field (`PropertyValue`) of an actor.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawActorField {
    pub name: String,
    pub value: String,
}

/// `[federation]`: delivery and posting tunables; every key optional.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawFederation {
    pub update_debounce: Option<Spanned<HumanDuration>>,
    pub delivery_concurrency: Option<Spanned<usize>>,
    pub delivery_per_host: Option<Spanned<usize>>,
    pub authorized_fetch: bool,
}

/// `[feeds]`: every key optional.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawFeeds {
    pub live_items: Option<Spanned<u64>>,
}

/// `[websub]`: no hub, no pings.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawWebSub {
    pub hub: Option<Spanned<String>>,
}

/// `"15m"`, `"1h 30m"`, `"45s"`.
#[derive(Clone, Copy)]
pub(super) struct HumanDuration(pub Duration);

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        humantime::parse_duration(raw.trim())
            .map(HumanDuration)
            .map_err(|e| {
                serde::de::Error::custom(format!(
                    "`{raw}` is not a duration like \"15m\" or \"1h 30m\": {e}"
                ))
            })
    }
}
