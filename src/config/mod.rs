//! The operator's TOML file: typed tables, validated once at start.
//!
//! Nothing else in the program parses TOML. `raw` mirrors the file with byte
//! spans, `validate` turns it into the types below or into a `ConfigError`
//! naming file, line, column and key; secrets are masked in `Debug`.

mod error;
mod lists;
mod raw;
mod validate;

#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use crate::domain::{Lang, Role, SourceId};

pub use error::{ConfigError, Location, Problem};

/// Environment variable that overrides `database.url` (it may hold a password).
pub const DATABASE_URL_ENV: &str = "WIREBRIDGE_DATABASE_URL";
/// Environment variable that overrides `admin.token`.
pub const ADMIN_TOKEN_ENV: &str = "WIREBRIDGE_ADMIN_TOKEN";
/// Where the database lives when the file has no `[database]` table.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/wirebridge.sqlite";

/// The running configuration: the one handle every part of a process
/// reads it through, replaced whole when SIGHUP brings a valid file (so
/// pages, feeds, the poller and the linker know a source added without a
/// restart). Cheap to clone; readers take a snapshot with `get`, and
/// `changes` tells who must redo work when it is replaced.
#[derive(Debug, Clone)]
pub struct Live(std::sync::Arc<tokio::sync::watch::Sender<std::sync::Arc<Config>>>);

impl Live {
    pub fn new(config: std::sync::Arc<Config>) -> Live {
        Live(std::sync::Arc::new(tokio::sync::watch::Sender::new(config)))
    }

    /// The configuration now.
    pub fn get(&self) -> std::sync::Arc<Config> {
        std::sync::Arc::clone(&self.0.borrow())
    }

    pub fn set(&self, config: std::sync::Arc<Config>) {
        self.0.send_replace(config);
    }

    /// Wakes on every `set` after this call.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<std::sync::Arc<Config>> {
        self.0.subscribe()
    }
}

impl From<std::sync::Arc<Config>> for Live {
    fn from(config: std::sync::Arc<Config>) -> Live {
        Live::new(config)
    }
}

impl From<&std::sync::Arc<Config>> for Live {
    fn from(config: &std::sync::Arc<Config>) -> Live {
        Live::new(std::sync::Arc::clone(config))
    }
}

impl From<Config> for Live {
    fn from(config: Config) -> Live {
        Live::new(std::sync::Arc::new(config))
    }
}

impl From<&Config> for Live {
    fn from(config: &Config) -> Live {
        Live::new(std::sync::Arc::new(config.clone()))
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The file this was read from, for messages.
    pub path: PathBuf,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub publisher: PublisherConfig,
    pub fetch: FetchConfig,
    pub admin: AdminConfig,
    pub sources: Vec<SourceConfig>,
    pub actors: Vec<ActorConfig>,
    pub feeds: FeedsConfig,
    pub websub: WebSubConfig,
    pub federation: FederationConfig,
}

/// `[federation]`: how posting and delivery behave.
#[derive(Debug, Clone)]
pub struct FederationConfig {
    /// Quiet time after the last edit of a story before its `Update` goes out.
    pub update_debounce: Duration,
    /// Deliveries in flight at once, all hosts together.
    pub delivery_concurrency: usize,
    /// Deliveries in flight at once to one host.
    pub delivery_per_host: usize,
    /// Objects, activities, outboxes and collections answer only GETs
    /// whose HTTP signature verifies (Mastodon's "secure mode"); actor
    /// documents, keys, WebFinger and NodeInfo stay public.
    pub authorized_fetch: bool,
}

impl Default for FederationConfig {
    fn default() -> Self {
        FederationConfig {
            update_debounce: Duration::from_secs(60),
            delivery_concurrency: 16,
            delivery_per_host: 2,
            authorized_fetch: false,
        }
    }
}

/// `[feeds]`: the republished feeds.
#[derive(Debug, Clone)]
pub struct FeedsConfig {
    /// Stories in a live feed, and in each RFC 5005 archive page.
    pub live_items: usize,
}

impl Default for FeedsConfig {
    fn default() -> Self {
        FeedsConfig { live_items: 50 }
    }
}

/// `[websub]`: the hub our feeds advertise and ping when they change.
#[derive(Debug, Clone, Default)]
pub struct WebSubConfig {
    /// With `hub = "builtin"` this is `{public_url}/websub/hub`, so every
    /// place that advertises the hub points at our own.
    pub hub: Option<Url>,
    /// `hub = "builtin"`: we are the hub (no pings; `websub::hub` serves
    /// subscribers and delivers to them).
    pub builtin: bool,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address the HTTP server listens on.
    pub bind: SocketAddr,
    /// Base of every public URL and ActivityPub id (http or https).
    pub public_url: Url,
}

#[derive(Clone)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` or `postgres://…`; may carry a password.
    pub url: String,
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &mask_url(&self.url))
            .finish()
    }
}

/// Hides the password of a database URL.
pub fn mask_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("****"));
            u.to_string()
        }
        _ => raw.to_string(),
    }
}

#[derive(Debug, Clone)]
pub struct PublisherConfig {
    pub name: String,
    /// BCP 47 tags in order of preference; never empty.
    pub languages: Vec<Lang>,
}

#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Overrides the default `wirebridge/VERSION (+public_url)`.
    pub user_agent: Option<String>,
    /// Turns the SSRF guard off entirely (tests, local demos).
    pub allow_private_addresses: bool,
    /// Exact `ip:port` pairs exempt from the private-address guard: the
    /// operator's own internal hosts, and loopback servers in tests.
    pub trusted_addresses: Vec<SocketAddr>,
    pub connect_timeout: Duration,
    /// Total deadline of one fetch, body included.
    pub timeout: Duration,
    /// Cap on the decompressed body.
    pub max_body_bytes: u64,
    pub max_concurrent: usize,
    pub max_per_host: usize,
    /// Ceiling of the exponential backoff after repeated failures.
    pub max_backoff: Duration,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            user_agent: None,
            allow_private_addresses: false,
            trusted_addresses: Vec::new(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body_bytes: 10 * 1024 * 1024,
            max_concurrent: 8,
            max_per_host: 2,
            max_backoff: Duration::from_secs(24 * 3600),
        }
    }
}

/// Operator access to the admin API.
#[derive(Clone, Default)]
pub struct AdminConfig {
    /// Bearer token; `None` disables the admin API.
    pub token: Option<String>,
}

impl std::fmt::Debug for AdminConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminConfig")
            .field("token", &self.token.as_ref().map(|_| "****"))
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub id: SourceId,
    pub name: String,
    pub role: Role,
    /// http, https or file. A relative `file:` URL in the TOML has already
    /// been resolved against the config file's folder, so this is absolute.
    pub url: Url,
    /// Fallback when the feed does not say.
    pub language: Lang,
    pub poll_every: Duration,
    /// A URL shape shared by this source's language versions, such as
    /// `https://wire.example.org/{lang}/{slug}`: same slug, same story.
    pub url_pattern: Option<crate::link::UrlPattern>,
    /// Fetch each new item's page to read its `<link rel="alternate"
    /// hreflang>` translations (one request per new item).
    pub page_lookups: bool,
}

#[derive(Debug, Clone)]
pub struct ActorConfig {
    /// `@username@host`; ASCII letters, digits and `_`.
    pub username: String,
    pub display_name: Option<String>,
    pub summary: Option<String>,
    /// A subset of the publisher's languages; all of them when omitted.
    pub languages: Vec<Lang>,
    /// Avatar and profile header image URLs.
    pub icon: Option<Url>,
    pub header: Option<Url>,
    /// What each story is posted as.
    pub object_type: ObjectType,
    /// Stories first seen before the actor existed that are still
    /// delivered (the most recent ones); 0 = none, no flood at start.
    pub backfill: usize,
    /// Profile fields (`PropertyValue`): name and text or URL.
    pub fields: Vec<(String, String)>,
    /// Whether the account may be suggested in directories.
    pub discoverable: bool,
}

/// The ActivityStreams type of posted objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectType {
    /// Shown inline by Mastodon: the default.
    Note,
    /// Long-form; Mastodon shows the title and a link.
    Article,
}

impl ObjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectType::Note => "Note",
            ObjectType::Article => "Article",
        }
    }
}

impl Config {
    /// Reads, parses and validates `path`, with environment overrides.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(path, &text)
    }

    /// Parses and validates `text` (read from `path`, which names it in
    /// messages and anchors relative `file:` URLs), with the process
    /// environment's overrides.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        Config::parse_with_env(path, text, &|name| std::env::var(name).ok())
    }

    /// Like `parse`, with the environment given as a lookup function so tests
    /// need not mutate the process environment.
    pub fn parse_with_env(
        path: &Path,
        text: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        validate::parse(path, text, env)
    }

    /// The User-Agent every request carries: wirebridge, its version and the
    /// operator's contact URL. Never a browser disguise.
    pub fn user_agent(&self) -> String {
        self.fetch.user_agent.clone().unwrap_or_else(|| {
            format!(
                "wirebridge/{} (+{})",
                env!("CARGO_PKG_VERSION"),
                self.server.public_url
            )
        })
    }

    pub fn source(&self, id: &SourceId) -> Option<&SourceConfig> {
        self.sources.iter().find(|s| &s.id == id)
    }

    /// `@username@host` of an actor, as fediverse users type it.
    pub fn handle(&self, actor: &ActorConfig) -> String {
        let host = self.server.public_url.host_str().unwrap_or("localhost");
        match self.server.public_url.port() {
            Some(port) => format!("@{}@{host}:{port}", actor.username),
            None => format!("@{}@{host}", actor.username),
        }
    }
}
