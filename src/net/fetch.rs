//! One HTTP (or `file:`) fetch of one feed, politely and safely: conditional
//! GET, limits on time, size and redirects, the address guard at connect
//! time. Returns an outcome the scheduler decides on; decides nothing itself.

mod file;
mod hints;
mod http;
mod resolver;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use url::Url;

pub use hints::MAX_CACHE_HINT;

/// Validators from the previous successful fetch, echoed verbatim.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// What the server said about when to come back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheHints {
    /// `Cache-Control: max-age` (or `s-maxage`), already clamped.
    pub max_age: Option<Duration>,
    /// `Expires`, when in the future.
    pub expires: Option<DateTime<Utc>>,
    /// `Retry-After` (seconds or HTTP-date), already clamped.
    pub retry_after: Option<Duration>,
}

#[derive(Clone, Debug)]
pub struct FetchSettings {
    pub user_agent: String,
    pub allow_private_addresses: bool,
    pub connect_timeout: Duration,
    pub total_timeout: Duration,
    pub max_body_bytes: u64,
    pub max_redirects: usize,
    /// Exact `ip:port` pairs exempt from the private-address guard, for
    /// tests and operators' own internal hosts. `10.0.0.5:8080` trusts that
    /// one service, not the host's other ports nor `::ffff:10.0.0.5`.
    pub trusted_addresses: Vec<SocketAddr>,
}

impl FetchSettings {
    /// The operator's `[fetch]` settings: one set for every outbound
    /// request, whoever makes it (two copies once let the poller ignore
    /// `trusted_addresses` that federation honoured).
    pub fn from_config(config: &crate::config::Config) -> FetchSettings {
        FetchSettings {
            user_agent: config.user_agent(),
            allow_private_addresses: config.fetch.allow_private_addresses,
            connect_timeout: config.fetch.connect_timeout,
            total_timeout: config.fetch.timeout,
            max_body_bytes: config.fetch.max_body_bytes,
            max_redirects: 5,
            trusted_addresses: config.fetch.trusted_addresses.clone(),
        }
    }
}

impl Default for FetchSettings {
    /// Conservative limits; the daemon overrides them from the config.
    fn default() -> Self {
        FetchSettings {
            user_agent: concat!("wirebridge/", env!("CARGO_PKG_VERSION")).to_owned(),
            allow_private_addresses: false,
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(60),
            max_body_bytes: 10 * 1024 * 1024,
            max_redirects: 5,
            trusted_addresses: Vec::new(),
        }
    }
}

// `Fetched` dwarfs the other variants, but an outcome is made once per fetch
// and consumed at once; boxing it would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum FetchOutcome {
    /// 304: nothing to parse.
    NotModified {
        cache: CacheHints,
    },
    /// 200 with a body (decompressed, within the cap).
    Fetched(Fetched),
    /// 429 or 503 with Retry-After.
    RateLimited {
        cache: CacheHints,
        status: u16,
    },
    /// 410 Gone.
    Gone,
    Failed(FetchError),
}

#[derive(Debug)]
pub struct Fetched {
    pub body: Bytes,
    pub content_type: Option<String>,
    /// The URL the body finally came from.
    pub final_url: Url,
    /// Set when every hop of the redirect chain was permanent (301/308):
    /// the URL to adopt once the body parses as a feed.
    pub moved_permanently_to: Option<Url>,
    pub validators: Validators,
    pub cache: CacheHints,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("address refused by the private-address guard: {0}")]
    Forbidden(String),
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("body larger than {0} bytes")]
    TooLarge(u64),
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    #[error("redirect loop at {0}")]
    RedirectLoop(String),
    #[error("HTTP status {0}")]
    Status(u16),
    #[error("unsupported URL scheme `{0}`")]
    Scheme(String),
    #[error("cannot read local file: {0}")]
    File(String),
    #[error("network error: {0}")]
    Network(String),
}

/// Fetches feeds; cheap to share (`Arc`) across tasks, and sharing it keeps
/// connections to a host alive between polls.
pub struct Fetcher {
    settings: FetchSettings,
    client: reqwest::Client,
    policy: Arc<resolver::Policy>,
}

impl Fetcher {
    pub fn new(settings: FetchSettings) -> anyhow::Result<Self> {
        let policy = Arc::new(resolver::Policy::new(
            settings.allow_private_addresses,
            &settings.trusted_addresses,
        ));
        let mut builder = reqwest::Client::builder()
            .user_agent(settings.user_agent.clone())
            // Redirects are followed by hand so that every hop is guarded,
            // counted and classified as permanent or not.
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would connect on our behalf, out of the guard's sight.
            .no_proxy()
            .connect_timeout(settings.connect_timeout);
        if policy.enabled() {
            builder = builder.dns_resolver(Arc::new(resolver::GuardedResolver::new(Arc::clone(
                &policy,
            ))));
        }
        let client = builder
            .build()
            .map_err(|e| anyhow::anyhow!("cannot build the HTTP client: {}", http::chain(&e)))?;
        Ok(Fetcher {
            settings,
            client,
            policy,
        })
    }

    pub fn settings(&self) -> &FetchSettings {
        &self.settings
    }

    /// The guarded client, for outbound HTTP other than feeds (federation
    /// deliveries and actor look-ups). It follows no redirects; callers
    /// must pass each URL through `check_target` first, as `fetch` does.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The address guard's verdict on `url` before a request is sent.
    pub async fn check_target(&self, url: &Url) -> Result<(), FetchError> {
        http::check_target(self, url).await
    }

    /// One fetch of `url`, redirects and body included, within
    /// `settings.total_timeout`; a server dripping bytes is cut off there.
    pub async fn fetch(&self, url: &Url, validators: &Validators) -> FetchOutcome {
        let deadline = self.settings.total_timeout;
        let work = async {
            match url.scheme() {
                "http" | "https" => http::fetch(self, url, validators).await,
                "file" => file::read(url, self.settings.max_body_bytes).await,
                other => FetchOutcome::Failed(FetchError::Scheme(other.to_owned())),
            }
        };
        tokio::time::timeout(deadline, work)
            .await
            .unwrap_or(FetchOutcome::Failed(FetchError::Timeout(deadline)))
    }
}
