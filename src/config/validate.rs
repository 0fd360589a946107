//! From the raw file to a `Config`: every cross-field and range rule lives
//! here, and every problem is reported with its key and position. All
//! problems are collected before giving up, so one run shows them all.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_path_to_error::Segment;
use toml::Spanned;
use url::Url;

use super::error::{ConfigError, Location, Problem};
use super::raw::{
    HumanDuration, RawConfig, RawFederation, RawFeeds, RawFetch, RawPublisher, RawServer, RawWebSub,
};
use super::{
    AdminConfig, Config, DatabaseConfig, FederationConfig, FeedsConfig, FetchConfig,
    PublisherConfig, ServerConfig, WebSubConfig, ADMIN_TOKEN_ENV, DATABASE_URL_ENV,
    DEFAULT_DATABASE_URL,
};
use crate::domain::Lang;

const SECOND: Duration = Duration::from_secs(1);
pub(super) const MINUTE: Duration = Duration::from_secs(60);
const DAY: Duration = Duration::from_secs(24 * 3600);
/// Anything shorter hammers a server; anything longer is a typo.
pub(super) const POLL_EVERY: (Duration, Duration) =
    (Duration::from_secs(10), Duration::from_secs(30 * 24 * 3600));
const GIB: u64 = 1024 * 1024 * 1024;
const MIN_ADMIN_TOKEN_CHARS: usize = 16;

pub(super) fn parse(
    path: &Path,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let invalid = |problems| ConfigError::Invalid {
        path: path.to_path_buf(),
        problems,
    };
    let raw = deserialize(text).map_err(|p| invalid(vec![p]))?;
    let mut v = Validator {
        text,
        problems: Vec::new(),
    };
    let env = |name: &str| env(name).filter(|value| !value.trim().is_empty());
    let server = v.server(raw.server);
    let database = v.database(raw.database.map(|d| d.url), env(DATABASE_URL_ENV));
    let publisher = v.publisher(raw.publisher);
    let fetch = v.fetch(raw.fetch);
    let admin = v.admin(raw.admin.and_then(|a| a.token), env(ADMIN_TOKEN_ENV));
    let base_dir = std::path::absolute(path.parent().unwrap_or(Path::new("")))
        .unwrap_or_else(|_| PathBuf::from("/"));
    let sources = v.sources(raw.sources, &base_dir);
    let actors = v.actors(raw.actors, &publisher.languages);
    let feeds = v.feeds(raw.feeds);
    let websub = v.websub(raw.websub, server.as_ref().map(|s| &s.public_url));
    let federation = v.federation(raw.federation);
    match (server, database) {
        (Some(server), Some(database)) if v.problems.is_empty() => Ok(Config {
            path: path.to_path_buf(),
            server,
            database,
            publisher,
            fetch,
            admin,
            sources,
            actors,
            feeds,
            websub,
            federation,
        }),
        _ => Err(invalid(v.problems)),
    }
}

/// Serde's pass: syntax, unknown keys, wrong types and single-value rules,
/// with the key path tracked by `serde_path_to_error` and the span by toml.
fn deserialize(text: &str) -> Result<RawConfig, Problem> {
    // toml 1 reports syntax errors when parsing, before serde runs.
    let de = toml::Deserializer::parse(text).map_err(|e| Problem {
        location: e.span().map(|s| Location::of(text, s.start)),
        key: String::new(),
        message: e.message().trim().to_string(),
    })?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let mut key = key_path(e.path());
        let inner = e.into_inner();
        let message = inner.message().trim().to_string();
        // Whether the path ends at the unknown key or at its table depends
        // on where serde noticed it; name the key either way.
        if let Some(field) = message
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split('`').next())
        {
            if key.is_empty() {
                key = field.to_string();
            } else if !key.ends_with(field) {
                key = format!("{key}.{field}");
            }
        }
        Problem {
            location: inner.span().map(|s| Location::of(text, s.start)),
            key,
            message,
        }
    })
}

fn key_path(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            // `Spanned` is a map with private keys: not part of the user's path.
            Segment::Map { key } if key.starts_with("$__") => {}
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => {}
        }
    }
    out
}

pub(super) struct Validator<'a> {
    pub(super) text: &'a str,
    pub(super) problems: Vec<Problem>,
}

impl Validator<'_> {
    pub(super) fn report(
        &mut self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.problems
            .push(Problem::at(self.text, span, key, message));
    }

    fn report_env(&mut self, var: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            location: None,
            key: format!("{var} (environment)"),
            message: message.into(),
        });
    }

    fn server(&mut self, raw: RawServer) -> Option<ServerConfig> {
        let public_url = self.web_url(&raw.public_url, "server.public_url")?;
        if public_url.query().is_some() || public_url.fragment().is_some() {
            self.report(
                raw.public_url.span(),
                "server.public_url",
                "must not have a query or a fragment: it is the base of every public URL",
            );
            return None;
        }
        Some(ServerConfig {
            bind: raw.bind,
            public_url,
        })
    }

    /// An absolute http(s) URL with a host.
    fn web_url(&mut self, raw: &Spanned<String>, key: &str) -> Option<Url> {
        match Url::parse(raw.get_ref().trim()) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                Some(url)
            }
            Ok(url) => {
                let msg = format!("unsupported scheme `{}`: use http or https", url.scheme());
                self.report(raw.span(), key, msg);
                None
            }
            Err(e) => {
                self.report(
                    raw.span(),
                    key,
                    format!("`{}` is not a URL: {e}", raw.get_ref()),
                );
                None
            }
        }
    }

    fn database(
        &mut self,
        raw: Option<Spanned<String>>,
        from_env: Option<String>,
    ) -> Option<DatabaseConfig> {
        const SCHEMES: &[&str] = &["sqlite:", "postgres:", "postgresql:"];
        let supported = |url: &str| {
            SCHEMES
                .iter()
                .any(|s| url.to_ascii_lowercase().starts_with(s))
        };
        let message = "unsupported database URL: use sqlite://PATH or postgres://USER@HOST/DB";
        if let Some(url) = from_env {
            if !supported(&url) {
                self.report_env(DATABASE_URL_ENV, message);
                return None;
            }
            return Some(DatabaseConfig { url });
        }
        let Some(raw) = raw else {
            return Some(DatabaseConfig {
                url: DEFAULT_DATABASE_URL.to_string(),
            });
        };
        if !supported(raw.get_ref()) {
            self.report(raw.span(), "database.url", message);
            return None;
        }
        Some(DatabaseConfig {
            url: raw.into_inner(),
        })
    }

    fn publisher(&mut self, raw: RawPublisher) -> PublisherConfig {
        if raw.name.get_ref().trim().is_empty() {
            self.report(raw.name.span(), "publisher.name", "must not be empty");
        }
        if raw.languages.get_ref().is_empty() {
            self.report(
                raw.languages.span(),
                "publisher.languages",
                "must list at least one language",
            );
        }
        let languages = self.langs(raw.languages.get_ref(), "publisher.languages");
        let languages = languages.into_iter().map(|(_, _, lang)| lang).collect();
        PublisherConfig {
            name: raw.name.into_inner().trim().to_string(),
            languages,
        }
    }

    /// Parses a list of language tags, reporting bad and repeated ones at
    /// their own position; returns each good tag with its index and span.
    pub(super) fn langs(
        &mut self,
        list: &[Spanned<String>],
        key: &str,
    ) -> Vec<(usize, Range<usize>, Lang)> {
        let mut out: Vec<(usize, Range<usize>, Lang)> = Vec::new();
        for (i, raw) in list.iter().enumerate() {
            let key = format!("{key}[{i}]");
            match Lang::parse(raw.get_ref()) {
                Err(e) => self.report(raw.span(), key, e.to_string()),
                Ok(lang) if out.iter().any(|(_, _, seen)| seen == &lang) => {
                    self.report(raw.span(), key, format!("`{lang}` is listed twice"));
                }
                Ok(lang) => out.push((i, raw.span(), lang)),
            }
        }
        out
    }

    fn fetch(&mut self, raw: RawFetch) -> FetchConfig {
        let d = FetchConfig::default();
        if let Some(ua) = &raw.user_agent {
            // The operator may add contact details, but servers must be able
            // to tell who we are: never a browser disguise.
            if !ua.get_ref().to_ascii_lowercase().contains("wirebridge") {
                self.report(ua.span(), "fetch.user_agent", "must name wirebridge (e.g. \"wirebridge/0.1 (+https://your.site)\"): servers deserve to know who polls them");
            }
        }
        let connect_timeout = self.duration(
            &raw.connect_timeout,
            "fetch.connect_timeout",
            (SECOND, 5 * MINUTE),
            d.connect_timeout,
        );
        let timeout = self.duration(
            &raw.timeout,
            "fetch.timeout",
            (SECOND, 10 * MINUTE),
            d.timeout,
        );
        if let Some(t) = raw
            .timeout
            .as_ref()
            .filter(|_| timeout >= SECOND && connect_timeout > timeout)
        {
            self.report(
                t.span(),
                "fetch.timeout",
                "must not be shorter than fetch.connect_timeout",
            );
        }
        let max_body_bytes = self.count(
            &raw.max_body_bytes,
            "fetch.max_body_bytes",
            (1, GIB),
            d.max_body_bytes,
        );
        let max_concurrent = self.count(
            &raw.max_concurrent,
            "fetch.max_concurrent",
            (1, 1024),
            d.max_concurrent as u64,
        );
        let max_per_host = self.count(
            &raw.max_per_host,
            "fetch.max_per_host",
            (1, 64),
            d.max_per_host as u64,
        );
        FetchConfig {
            user_agent: raw.user_agent.map(|ua| ua.into_inner().trim().to_string()),
            allow_private_addresses: raw.allow_private_addresses,
            trusted_addresses: raw.trusted_addresses,
            connect_timeout,
            timeout,
            max_body_bytes,
            max_concurrent: usize::try_from(max_concurrent).unwrap_or(d.max_concurrent),
            max_per_host: usize::try_from(max_per_host).unwrap_or(d.max_per_host),
            max_backoff: self.duration(
                &raw.max_backoff,
                "fetch.max_backoff",
                (MINUTE, 30 * DAY),
                d.max_backoff,
            ),
        }
    }

    pub(super) fn duration(
        &mut self,
        raw: &Option<Spanned<HumanDuration>>,
        key: &str,
        (min, max): (Duration, Duration),
        default: Duration,
    ) -> Duration {
        let Some(raw) = raw else { return default };
        let value = raw.get_ref().0;
        if value < min || value > max {
            let msg = format!(
                "{} is out of range: use between {} and {}",
                humantime::format_duration(value),
                humantime::format_duration(min),
                humantime::format_duration(max)
            );
            self.report(raw.span(), key, msg);
        }
        value
    }

    fn count(
        &mut self,
        raw: &Option<Spanned<u64>>,
        key: &str,
        (min, max): (u64, u64),
        default: u64,
    ) -> u64 {
        let Some(raw) = raw else { return default };
        let value = *raw.get_ref();
        if value < min || value > max {
            self.report(
                raw.span(),
                key,
                format!("{value} is out of range: use between {min} and {max}"),
            );
        }
        value
    }

    fn feeds(&mut self, raw: RawFeeds) -> FeedsConfig {
        let d = FeedsConfig::default();
        let live_items = self.count(
            &raw.live_items,
            "feeds.live_items",
            (1, 1000),
            d.live_items as u64,
        );
        FeedsConfig {
            live_items: usize::try_from(live_items).unwrap_or(d.live_items),
        }
    }

    /// `"builtin"` makes us the hub, at `{public_url}/websub/hub`.
    fn websub(&mut self, raw: RawWebSub, public_url: Option<&Url>) -> WebSubConfig {
        if raw.hub.as_ref().is_some_and(|h| h.get_ref() == "builtin") {
            return WebSubConfig {
                hub: public_url.and_then(|u| {
                    let base = u.as_str().trim_end_matches('/');
                    Url::parse(&format!("{base}/websub/hub")).ok()
                }),
                builtin: true,
            };
        }
        WebSubConfig {
            hub: raw
                .hub
                .as_ref()
                .and_then(|hub| self.web_url(hub, "websub.hub")),
            builtin: false,
        }
    }

    /// Zero workers would never deliver; a debounce past a day would look
    /// like a lost edit.
    fn federation(&mut self, raw: RawFederation) -> FederationConfig {
        let mut out = FederationConfig {
            authorized_fetch: raw.authorized_fetch,
            ..FederationConfig::default()
        };
        if let Some(d) = raw.update_debounce {
            if d.get_ref().0 > DAY {
                self.report(
                    d.span(),
                    "federation.update_debounce",
                    "must be at most 1 day",
                );
            }
            out.update_debounce = d.get_ref().0;
        }
        for (raw, key, slot) in [
            (
                raw.delivery_concurrency,
                "federation.delivery_concurrency",
                &mut out.delivery_concurrency,
            ),
            (
                raw.delivery_per_host,
                "federation.delivery_per_host",
                &mut out.delivery_per_host,
            ),
        ] {
            if let Some(n) = raw {
                if !(1..=1024).contains(n.get_ref()) {
                    self.report(n.span(), key, "must be between 1 and 1024");
                }
                *slot = *n.get_ref();
            }
        }
        out
    }

    fn admin(&mut self, raw: Option<Spanned<String>>, from_env: Option<String>) -> AdminConfig {
        let short = format!("is too short: use at least {MIN_ADMIN_TOKEN_CHARS} random characters");
        if let Some(token) = from_env {
            if token.trim().chars().count() < MIN_ADMIN_TOKEN_CHARS {
                self.report_env(ADMIN_TOKEN_ENV, short);
            }
            return AdminConfig {
                token: Some(token.trim().to_string()),
            };
        }
        let token = raw.map(|raw| {
            if raw.get_ref().trim().chars().count() < MIN_ADMIN_TOKEN_CHARS {
                self.report(raw.span(), "admin.token", short.clone());
            }
            raw.into_inner().trim().to_string()
        });
        AdminConfig { token }
    }
}
