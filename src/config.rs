//! The operator's TOML file: typed tables, validated once at start.
//! Secrets are masked in `Debug`. Nothing else in the program parses TOML.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::domain::{Lang, Role, SourceId};

#[derive(Debug, Clone)]
pub struct Config {
    /// The file this was read from, for messages.
    pub path: PathBuf,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub publisher: PublisherConfig,
    pub fetch: FetchConfig,
    pub sources: Vec<SourceConfig>,
    pub actors: Vec<ActorConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub bind: SocketAddr,
    pub public_url: Url,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublisherConfig {
    pub name: String,
    pub languages: Vec<Lang>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FetchConfig {
    pub user_agent: Option<String>,
    pub allow_private_addresses: bool,
    #[serde(with = "humantime_serde_compat")]
    pub connect_timeout: Duration,
    #[serde(with = "humantime_serde_compat")]
    pub timeout: Duration,
    pub max_body_bytes: u64,
    pub max_concurrent: usize,
    pub max_per_host: usize,
    #[serde(with = "humantime_serde_compat")]
    pub max_backoff: Duration,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            user_agent: None,
            allow_private_addresses: false,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body_bytes: 10 * 1024 * 1024,
            max_concurrent: 8,
            max_per_host: 2,
            max_backoff: Duration::from_secs(24 * 3600),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub id: SourceId,
    pub name: String,
    pub role: Role,
    pub url: Url,
    pub language: Lang,
    #[serde(with = "humantime_serde_compat", default = "default_poll_every")]
    pub poll_every: Duration,
}

fn default_poll_every() -> Duration {
    Duration::from_secs(15 * 60)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorConfig {
    pub username: String,
    pub display_name: Option<String>,
    pub summary: Option<String>,
    pub languages: Vec<Lang>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    server: ServerConfig,
    database: DatabaseConfig,
    publisher: PublisherConfig,
    #[serde(default)]
    fetch: FetchConfig,
    #[serde(default)]
    sources: Vec<SourceConfig>,
    #[serde(default)]
    actors: Vec<ActorConfig>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let mut database = raw.database;
        if let Ok(url) = std::env::var("WIREBRIDGE_DATABASE_URL") {
            database.url = url;
        }
        Ok(Config {
            path: path.to_path_buf(),
            server: raw.server,
            database,
            publisher: raw.publisher,
            fetch: raw.fetch,
            sources: raw.sources,
            actors: raw.actors,
        })
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
}

/// `"15m"`, `"1h 30m"`, `"45s"` as a `Duration`.
mod humantime_serde_compat {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let raw = String::deserialize(d)?;
        humantime::parse_duration(&raw).map_err(|e| {
            serde::de::Error::custom(format!("`{raw}` is not a duration like \"15m\": {e}"))
        })
    }
}
