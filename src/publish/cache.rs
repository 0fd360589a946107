//! Rendered once per change, not per request: `Feeds` keeps each feed
//! page's bytes and its page for people (`html`), each pre-compressed with
//! gzip and brotli, with a strong ETag, until the store's fingerprint moves. The fingerprint is one cheap query,
//! asked at most once a second, so a change made by another process (the
//! CLI, a second instance) is seen within a second too.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::http::HeaderValue;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::{model, FeedKey, Page};
use crate::config::{Config, Live};
use crate::store::{FeedFingerprint, Store, StoreError};

/// How stale a cached feed may be when another process changed the store.
const CHECK_EVERY: Duration = Duration::from_secs(1);
/// Good compression for bytes served many times; a few ms per render.
const BROTLI_QUALITY: u32 = 9;
const BROTLI_WINDOW: u32 = 22;

/// One feed page, ready to send.
#[derive(Debug)]
pub struct Rendered {
    pub body: Bytes,
    pub gzip: Bytes,
    pub br: Bytes,
    /// Strong: a hash of the identity bytes, quotes included.
    pub etag: String,
    /// Second precision, as HTTP dates carry.
    pub last_modified: DateTime<Utc>,
    /// A complete RFC 5005 archive page: its bytes never change.
    pub complete: bool,
    /// Header values made once per render rather than once per request:
    /// the ETag of each encoding (identity, gzip, brotli), Last-Modified,
    /// and the `Link: <self>; rel="self", <hub>; rel="hub"` line.
    pub etag_values: [HeaderValue; 3],
    pub last_modified_value: HeaderValue,
    pub link_value: Option<HeaderValue>,
    /// The same page for people (`publish::html`), for a browser that
    /// prefers HTML. Its ETag hashes its own bytes, so a validator of one
    /// representation never answers for the other.
    pub html: Encoded,
}

/// One representation in each encoding, with its validators.
#[derive(Debug)]
pub struct Encoded {
    pub body: Bytes,
    pub gzip: Bytes,
    pub br: Bytes,
    /// Strong: a hash of the identity bytes, quotes included.
    pub etag: String,
    /// The ETag of each encoding: identity, gzip, brotli.
    pub etag_values: [HeaderValue; 3],
}

struct Check {
    fingerprint: Option<FeedFingerprint>,
    at: Option<Instant>,
}

struct Inner {
    store: Store,
    config: Live,
    /// The configuration the cached pages were made with: a reload
    /// (sources' names and roles shape what a feed shows) drops them.
    rendered_with: Mutex<Arc<Config>>,
    /// Story changes made by this process's linker.
    stories: tokio::sync::watch::Receiver<u64>,
    check: tokio::sync::Mutex<Check>,
    /// Milliseconds after `epoch` of the last look (0: never), read
    /// without a lock so the hot path does not queue behind the check.
    checked_ms: AtomicU64,
    /// `stories` at the last look: a change made by this process skips
    /// the once-a-second throttle.
    seen_generation: AtomicU64,
    epoch: Instant,
    /// Renders one page at a time, so a burst of misses renders it once.
    render: tokio::sync::Mutex<()>,
    cache: Mutex<HashMap<FeedKey, Arc<Rendered>>>,
    /// Our other pages made from the same data (`/`), dropped with `cache`.
    pages: Mutex<HashMap<&'static str, Bytes>>,
    /// Bumped on every change; a render that straddles one is not kept.
    generation: AtomicU64,
    last_retracted: Mutex<Option<i64>>,
}

/// The feed cache; cheap to clone, one per process.
#[derive(Clone)]
pub struct Feeds {
    inner: Arc<Inner>,
}

impl Feeds {
    /// The cache over `store`; `stories` wakes it when this process's
    /// linker changed a story (`Linker::changes`).
    pub fn new(config: Live, store: Store, stories: tokio::sync::watch::Receiver<u64>) -> Feeds {
        let now = config.get();
        Feeds {
            inner: Arc::new(Inner {
                store,
                config,
                rendered_with: Mutex::new(now),
                stories,
                check: tokio::sync::Mutex::new(Check {
                    fingerprint: None,
                    at: None,
                }),
                checked_ms: AtomicU64::new(0),
                seen_generation: AtomicU64::new(0),
                epoch: Instant::now(),
                render: tokio::sync::Mutex::new(()),
                cache: Mutex::new(HashMap::new()),
                pages: Mutex::new(HashMap::new()),
                generation: AtomicU64::new(0),
                last_retracted: Mutex::new(None),
            }),
        }
    }

    /// The configuration now (replaced on SIGHUP).
    pub fn config(&self) -> Arc<Config> {
        self.inner.config.get()
    }

    /// Drops every cached page if the configuration was replaced since
    /// they were made.
    fn follow_config(&self) {
        let now = self.inner.config.get();
        let mut with = lock(&self.inner.rendered_with);
        if !Arc::ptr_eq(&with, &now) {
            *with = now;
            self.inner.generation.fetch_add(1, Ordering::SeqCst);
            lock(&self.inner.cache).clear();
            lock(&self.inner.pages).clear();
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Re-reads the store's fingerprint if the last look is over a second
    /// old; drops every cached page when it moved. Returns whether it moved.
    pub async fn refresh(&self) -> Result<bool, StoreError> {
        let since = |ms: u64| {
            let now = u64::try_from(self.inner.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
            now.saturating_sub(ms)
        };
        self.follow_config();
        let last = self.inner.checked_ms.load(Ordering::Acquire);
        let generation = *self.inner.stories.borrow();
        let local_change = generation != self.inner.seen_generation.load(Ordering::Acquire);
        if !local_change && last != 0 && since(last) < CHECK_EVERY.as_millis() as u64 {
            return Ok(false);
        }
        let mut check = self.inner.check.lock().await;
        let local_change = generation != self.inner.seen_generation.load(Ordering::Acquire);
        if !local_change && check.at.is_some_and(|at| at.elapsed() < CHECK_EVERY) {
            return Ok(false);
        }
        let now = self.inner.store.feed_fingerprint().await?;
        self.inner
            .seen_generation
            .store(generation, Ordering::Release);
        check.at = Some(Instant::now());
        let now_ms = u64::try_from(self.inner.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.inner
            .checked_ms
            .store(now_ms.max(1), Ordering::Release);
        if check.fingerprint == Some(now) {
            return Ok(false);
        }
        check.fingerprint = Some(now);
        self.inner.generation.fetch_add(1, Ordering::SeqCst);
        *lock(&self.inner.last_retracted) = now.last_retracted;
        lock(&self.inner.cache).clear();
        lock(&self.inner.pages).clear();
        Ok(true)
    }

    /// A page of ours built from the same data as the feeds (`/`), made
    /// by `render` at most once per store change, like a feed.
    pub async fn page<F, Fut>(&self, name: &'static str, render: F) -> Result<Bytes, StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Bytes, StoreError>>,
    {
        self.refresh().await?;
        if let Some(hit) = lock(&self.inner.pages).get(name) {
            return Ok(hit.clone());
        }
        let generation = self.inner.generation.load(Ordering::SeqCst);
        let page = render().await?;
        if self.inner.generation.load(Ordering::SeqCst) == generation {
            lock(&self.inner.pages).insert(name, page.clone());
        }
        Ok(page)
    }

    /// The page `key` names, rendered at most once per store change;
    /// `None` when that archive page does not exist.
    pub async fn get(&self, key: &FeedKey) -> Result<Option<Arc<Rendered>>, StoreError> {
        self.refresh().await?;
        if let Some(hit) = lock(&self.inner.cache).get(key) {
            return Ok(Some(Arc::clone(hit)));
        }
        let _one = self.inner.render.lock().await;
        if let Some(hit) = lock(&self.inner.cache).get(key) {
            return Ok(Some(Arc::clone(hit)));
        }
        let generation = self.inner.generation.load(Ordering::SeqCst);
        let config = self.config();
        let config = &*config;
        let Some(mut doc) = model::load(&self.inner.store, config, key).await? else {
            return Ok(None);
        };
        if key.page == Page::Live {
            // A retraction removes an item: the feed still changed then,
            // though every remaining item is older.
            let retracted = *lock(&self.inner.last_retracted);
            if let Some(t) = retracted.and_then(DateTime::from_timestamp_millis) {
                doc.updated = doc.updated.max(t);
            }
        }
        let body = super::render(config, &doc);
        let html = super::html::render(config, &doc);
        let this = super::public(config, &super::feed_path(&key.scope, key.page, key.format));
        let mut link = format!("<{this}>; rel=\"self\"");
        if let Some(hub) = &config.websub.hub {
            link.push_str(&format!(", <{hub}>; rel=\"hub\""));
        }
        let rendered = Arc::new(compress(body, html, doc.updated, doc.complete, &link));
        if self.inner.generation.load(Ordering::SeqCst) == generation {
            lock(&self.inner.cache).insert(key.clone(), Arc::clone(&rendered));
        }
        Ok(Some(rendered))
    }
}

/// A poisoned lock only means another request panicked mid-insert; the
/// map is still a valid cache.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The ETag of an encoded variant: the identity tag with a suffix, so a
/// cache holding one encoding never answers for another.
pub fn variant_etag(etag: &str, suffix: &str) -> String {
    format!("{}-{suffix}\"", etag.trim_end_matches('"'))
}

fn header(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn encode(body: Vec<u8>) -> Encoded {
    let digest = Sha256::digest(&body);
    let etag = format!("\"{}\"", hex::encode(&digest[..16]));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing into memory cannot fail.
    let gzip = gz
        .write_all(&body)
        .and_then(|()| gz.finish())
        .unwrap_or_default();
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 4096, BROTLI_QUALITY, BROTLI_WINDOW);
        if w.write_all(&body).is_err() {
            tracing::warn!("brotli compression failed in memory");
        }
    }
    let etag_values = [
        header(&etag),
        header(&variant_etag(&etag, "gz")),
        header(&variant_etag(&etag, "br")),
    ];
    Encoded {
        body: Bytes::from(body),
        gzip: Bytes::from(gzip),
        br: Bytes::from(br),
        etag,
        etag_values,
    }
}

fn compress(
    body: Vec<u8>,
    html: Vec<u8>,
    updated: DateTime<Utc>,
    complete: bool,
    link: &str,
) -> Rendered {
    let feed = encode(body);
    let last_modified = DateTime::from_timestamp(updated.timestamp(), 0).unwrap_or(updated);
    let last_modified_value = header(&httpdate::fmt_http_date(SystemTime::from(last_modified)));
    Rendered {
        etag_values: feed.etag_values,
        last_modified_value,
        link_value: HeaderValue::from_str(link).ok(),
        body: feed.body,
        gzip: feed.gzip,
        br: feed.br,
        etag: feed.etag,
        last_modified,
        complete,
        html: encode(html),
    }
}
