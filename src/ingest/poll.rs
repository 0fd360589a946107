//! The polling pass: fetch → normalize → store for each due source, under a
//! global and a per-host concurrency limit, with every decision about the
//! next poll made in `schedule`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::stream::{FuturesUnordered, StreamExt};
use rand::rngs::StdRng;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::schedule;
use crate::config::{Config, Live, SourceConfig};
use crate::domain::SourceId;
use crate::linker::Linker;
use crate::net::{FetchOutcome, Fetched, Fetcher, Validators};
use crate::normalize::{self, FeedContext};
use crate::store::{SourceState, Store, StoreError, UpsertSummary};

/// How one source's poll ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PollOutcome {
    /// 200 and parsed (entries may or may not be new).
    Fetched,
    /// 200 with a body identical to the last one: nothing parsed.
    Unchanged,
    /// 304.
    NotModified,
    /// 429/503 with Retry-After.
    RateLimited,
    /// 410: marked gone, no longer polled.
    Gone,
    /// Network, HTTP or parse failure — including a feed that has items
    /// of which we could read none ("feed has N items we could not read"):
    /// never a silent "fetched, 0 new". See `error`.
    Failed,
    /// Already gone: not fetched.
    Skipped,
    /// Another process holds this source's poll lease (several instances
    /// on one PostgreSQL database), or it was no longer due: not fetched.
    Elsewhere,
}

impl PollOutcome {
    /// The `outcome` label of `wirebridge_polls_total`: no spaces, stable
    /// for dashboards.
    pub fn metric_label(self) -> &'static str {
        match self {
            PollOutcome::Fetched => "fetched",
            PollOutcome::Unchanged => "unchanged",
            PollOutcome::NotModified => "not_modified",
            PollOutcome::RateLimited => "rate_limited",
            PollOutcome::Gone => "gone",
            PollOutcome::Failed => "failed",
            PollOutcome::Skipped => "skipped",
            PollOutcome::Elsewhere => "elsewhere",
        }
    }

    /// For people: logs and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            PollOutcome::Fetched => "fetched",
            PollOutcome::Unchanged => "unchanged",
            PollOutcome::NotModified => "not modified",
            PollOutcome::RateLimited => "rate limited",
            PollOutcome::Gone => "gone",
            PollOutcome::Failed => "failed",
            PollOutcome::Skipped => "skipped (gone)",
            PollOutcome::Elsewhere => "polled elsewhere",
        }
    }
}

#[derive(Clone, Debug)]
pub struct PollReport {
    pub source: SourceId,
    pub outcome: PollOutcome,
    pub new: usize,
    pub updated: usize,
    pub error: Option<String>,
    pub elapsed: Duration,
}

/// How long in-flight polls may finish after a stop was asked for.
const DRAIN_BOUND: Duration = Duration::from_secs(10);
/// The scheduler looks at the store at least this often, so a source made
/// due by another process or command is not missed for long.
const MAX_IDLE: Duration = Duration::from_secs(30);
/// A poll lease outlives the longest poll by this much (page lookups, a
/// slow store), and a crashed holder's lease expires after it.
const LEASE_MARGIN: Duration = Duration::from_secs(60);
/// How long the scheduler waits after the store failed to answer.
const STORE_RETRY: Duration = Duration::from_secs(5);
/// Article pages fetched per poll of a source with `page_lookups`, so a
/// feed of 500 new items does not become 500 requests at once.
const MAX_PAGE_LOOKUPS: usize = 20;

pub struct Poller {
    /// Names this process in poll leases.
    instance: String,
    /// The running configuration: a reload adds and removes sources.
    config: Live,
    store: Store,
    linker: Arc<Linker>,
    fetcher: Arc<Fetcher>,
    global: Arc<Semaphore>,
    per_host: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Poller {
    /// A poller over the process's store, linker (one linking lock per
    /// process) and outbound client. Fetch limits keep their start-up
    /// values until a restart.
    pub fn new(
        config: impl Into<Live>,
        store: Store,
        linker: Arc<Linker>,
        fetcher: Arc<Fetcher>,
    ) -> Poller {
        let config = config.into();
        let global = config.get().fetch.max_concurrent.max(1);
        Poller {
            instance: format!(
                "{}-{}",
                std::process::id(),
                hex::encode(rand::random::<[u8; 4]>())
            ),
            linker,
            global: Arc::new(Semaphore::new(global)),
            per_host: Mutex::new(HashMap::new()),
            config,
            store,
            fetcher,
        }
    }

    /// The configuration in force (the latest one loaded).
    fn config(&self) -> Arc<Config> {
        self.config.get()
    }

    /// Content a WebSub hub pushed for `source`: the same normalize →
    /// store → link path as a poll, at once. The source's poll state
    /// (validators, body hash, schedule) is left alone: a push is often a
    /// partial feed, and polling stays the safety net.
    pub async fn ingest_pushed(
        &self,
        source: &SourceId,
        body: bytes::Bytes,
        content_type: Option<&str>,
    ) -> anyhow::Result<UpsertSummary> {
        let config = self.config();
        let cfg = config
            .source(source)
            .ok_or_else(|| anyhow::anyhow!("no source with id `{source}`"))?;
        let base = Url::parse(self.store.source_state(&cfg.id).await?.fetch_url())?;
        let (_, summary) = self
            .store_feed(cfg, body, content_type, &base, Utc::now())
            .await
            .map_err(|e| anyhow::anyhow!(e))?;
        Ok(summary)
    }

    /// Registers the configured sources in the store; a source seen for the
    /// first time is due within a short, spread-out window.
    pub async fn sync_sources(&self) -> anyhow::Result<()> {
        let now = Utc::now();
        let mut rng = rand::make_rng::<StdRng>();
        let configured: Vec<_> = self
            .config()
            .sources
            .iter()
            .map(|s| {
                let first = schedule::spread_start(now, s.poll_every, &mut rng);
                (s.id.clone(), s.url.to_string(), first)
            })
            .collect();
        self.store.sync_sources(&configured, now).await?;
        Ok(())
    }

    /// Polls now, concurrently under the limits: one source, or every
    /// configured one. `on_done` is called as each source finishes.
    pub async fn poll_now(
        &self,
        only: Option<&SourceId>,
        on_done: &(dyn Fn(&PollReport) + Send + Sync),
    ) -> anyhow::Result<Vec<PollReport>> {
        let config = self.config();
        let sources: Vec<&SourceConfig> = match only {
            Some(id) => vec![config
                .source(id)
                .ok_or_else(|| anyhow::anyhow!("no source with id `{id}`"))?],
            None => config.sources.iter().collect(),
        };
        let mut pending: FuturesUnordered<_> = sources
            .into_iter()
            .map(|s| self.poll_source(s, false))
            .collect();
        let mut reports = Vec::new();
        while let Some(report) = pending.next().await {
            on_done(&report);
            reports.push(report);
        }
        Ok(reports)
    }

    /// Polls each source when it is due until `cancel` fires. Sources found
    /// overdue at start (the daemon was down) are spread over a short window
    /// rather than all fetched in the same second.
    pub async fn run_until_stopped(
        self: Arc<Self>,
        cancel: CancellationToken,
    ) -> anyhow::Result<()> {
        self.sync_sources().await?;
        self.spread_overdue().await?;
        // Entries stored but not linked (a crash between the two steps).
        let caught_up = self.linker.link_unlinked().await?;
        if caught_up > 0 {
            tracing::info!(entries = caught_up, "linked entries left unlinked");
        }
        let mut in_flight: JoinSet<PollReport> = JoinSet::new();
        let mut busy: HashSet<SourceId> = HashSet::new();
        let mut reloads = self.config.changes();
        loop {
            let now = Utc::now();
            // A store hiccup (a locked SQLite file, a PostgreSQL restart)
            // must not stop polling for good: log, wait, try again.
            let states = match self.store.source_states().await {
                Ok(states) => states,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read source states; retrying");
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = tokio::time::sleep(STORE_RETRY) => continue,
                    }
                }
            };
            let mut next_wake = now + chrono::Duration::from_std(MAX_IDLE)?;
            let config = self.config();
            for state in &states {
                if state.gone || busy.contains(&state.id) {
                    continue;
                }
                let Some(cfg) = config.source(&state.id) else {
                    continue; // no longer configured: kept, not polled
                };
                if state.next_poll_at <= now {
                    busy.insert(state.id.clone());
                    let me = Arc::clone(&self);
                    let cfg = cfg.clone();
                    in_flight.spawn(async move { me.poll_source(&cfg, true).await });
                } else {
                    next_wake = next_wake.min(state.next_poll_at);
                }
            }
            let sleep = (next_wake - Utc::now()).to_std().unwrap_or_default();
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(sleep) => {}
                // A reload: sources added are registered and polled,
                // sources removed are no longer polled (entries stay).
                Ok(()) = reloads.changed() => {
                    if let Err(e) = self.sync_sources().await {
                        tracing::warn!(error = format!("{e:#}"), "cannot register reloaded sources");
                    }
                }
                Some(done) = in_flight.join_next(), if !in_flight.is_empty() => {
                    match done {
                        Ok(report) => { busy.remove(&report.source); }
                        Err(e) => anyhow::bail!("a poll task died: {e}"),
                    }
                }
            }
        }
        let drain = async { while in_flight.join_next().await.is_some() {} };
        if tokio::time::timeout(DRAIN_BOUND, drain).await.is_err() {
            tracing::warn!("polls still running after {DRAIN_BOUND:?}; abandoning them");
            in_flight.abort_all();
        }
        Ok(())
    }

    async fn spread_overdue(&self) -> anyhow::Result<()> {
        let now = Utc::now();
        let mut rng = rand::make_rng::<StdRng>();
        for mut state in self.store.source_states().await? {
            let Some(cfg) = self.config().source(&state.id).cloned() else {
                continue;
            };
            if !state.gone && state.next_poll_at < now {
                state.next_poll_at = schedule::spread_start(now, cfg.poll_every, &mut rng);
                self.store.save_source_state(&state).await?;
            }
        }
        Ok(())
    }

    /// One source, start to finish; never fails: every problem ends up in
    /// the report and in the source's `last_error`.
    #[tracing::instrument(name = "poll", skip_all, fields(source = %cfg.id))]
    async fn poll_source(&self, cfg: &SourceConfig, due_only: bool) -> PollReport {
        let started = Instant::now();
        let (outcome, new, updated, error) = match self.poll_leased(cfg, due_only).await {
            Ok(r) => r,
            Err(e) => (PollOutcome::Failed, 0, 0, Some(format!("{e:#}"))),
        };
        let report = PollReport {
            source: cfg.id.clone(),
            outcome,
            new,
            updated,
            error,
            elapsed: started.elapsed(),
        };
        tracing::info!(
            source = %report.source,
            outcome = report.outcome.as_str(),
            new = report.new,
            updated = report.updated,
            error = report.error.as_deref().unwrap_or(""),
            ms = report.elapsed.as_millis() as u64,
            "polled"
        );
        crate::observe::poll_finished(
            report.source.as_str(),
            report.outcome.metric_label(),
            report.new,
            report.updated,
            report.elapsed,
        );
        report
    }

    /// Polls under the source's lease, so that of several processes sharing
    /// one database exactly one polls it per interval.
    async fn poll_leased(
        &self,
        cfg: &SourceConfig,
        due_only: bool,
    ) -> anyhow::Result<(PollOutcome, usize, usize, Option<String>)> {
        let now = Utc::now();
        let lease = self.config().fetch.timeout * 3 + LEASE_MARGIN;
        let until = now + chrono::Duration::from_std(lease)?;
        if !self
            .store
            .claim_source(&cfg.id, &self.instance, now, until, due_only)
            .await?
        {
            return Ok((PollOutcome::Elsewhere, 0, 0, None));
        }
        let result = self.poll_inner(cfg).await;
        if let Err(e) = self.store.release_source(&cfg.id, &self.instance).await {
            tracing::warn!(source = %cfg.id, error = %e, "cannot release the poll lease; it will expire");
        }
        result
    }

    async fn poll_inner(
        &self,
        cfg: &SourceConfig,
    ) -> anyhow::Result<(PollOutcome, usize, usize, Option<String>)> {
        let mut state = self.store.source_state(&cfg.id).await?;
        if state.gone {
            return Ok((PollOutcome::Skipped, 0, 0, None));
        }
        let every = self.poll_interval(cfg).await;
        let url = Url::parse(state.fetch_url())?;
        let validators = Validators {
            etag: state.etag.clone(),
            last_modified: state.last_modified.clone(),
        };
        let outcome = {
            let _global = self.global.acquire().await?;
            let host = self.host_limit(&url);
            let _host = host.acquire().await?;
            self.fetcher.fetch(&url, &validators).await
        };
        let now = Utc::now();
        state.last_attempt_at = Some(now);
        let mut rng = rand::make_rng::<StdRng>();
        let result = match outcome {
            FetchOutcome::NotModified { cache } => {
                mark_success(&mut state, now);
                state.next_poll_at = schedule::after_success(now, every, &cache, &mut rng);
                (PollOutcome::NotModified, 0, 0, None)
            }
            FetchOutcome::Fetched(fetched) => {
                let next = schedule::after_success(now, every, &fetched.cache, &mut rng);
                match self.ingest_body(cfg, &mut state, fetched, now).await {
                    Ok(r) => {
                        state.next_poll_at = next;
                        r
                    }
                    Err(message) => self.fail(cfg, &mut state, now, message),
                }
            }
            FetchOutcome::RateLimited { cache, status } => {
                state.last_error = Some(format!("rate limited (HTTP {status})"));
                state.next_poll_at =
                    schedule::after_rate_limit(now, cfg.poll_every, &cache, &mut rng);
                (PollOutcome::RateLimited, 0, 0, state.last_error.clone())
            }
            FetchOutcome::Gone => {
                state.gone = true;
                state.last_error = Some("the feed is gone (HTTP 410); no longer polled".into());
                (PollOutcome::Gone, 0, 0, state.last_error.clone())
            }
            FetchOutcome::Failed(e) => self.fail(cfg, &mut state, now, e.to_string()),
        };
        self.store.save_source_state(&state).await?;
        Ok(result)
    }

    /// A 200: skip identical bodies, parse, store. Validators and a
    /// permanent redirect are only adopted once the body parsed as a feed,
    /// so a broken response never poisons the next conditional GET.
    async fn ingest_body(
        &self,
        cfg: &SourceConfig,
        state: &mut SourceState,
        fetched: Fetched,
        now: DateTime<Utc>,
    ) -> Result<(PollOutcome, usize, usize, Option<String>), String> {
        let body_hash = hex::encode(Sha256::digest(&fetched.body));
        if state.body_hash.as_deref() == Some(body_hash.as_str()) {
            adopt(state, &fetched);
            mark_success(state, now);
            return Ok((PollOutcome::Unchanged, 0, 0, None));
        }
        let (parsed, summary) = self
            .store_feed(
                cfg,
                fetched.body.clone(),
                fetched.content_type.as_deref(),
                &fetched.final_url,
                now,
            )
            .await?;
        if let (Some(hub), Some(topic)) = (&parsed.hub, &parsed.self_url) {
            // The WebSub subscriber task takes it from there.
            if let Err(e) = self
                .store
                .websub_note_advertised(cfg.id.as_str(), hub, topic, now)
                .await
            {
                tracing::warn!(source = %cfg.id, error = %e, "cannot note the WebSub hub");
            }
        }
        adopt(state, &fetched);
        state.body_hash = Some(body_hash);
        if parsed.title.is_some() {
            state.title = parsed.title;
        }
        mark_success(state, now);
        Ok((PollOutcome::Fetched, summary.new, summary.updated, None))
    }

    /// Feed bytes → normalized entries → store → page look-ups → links:
    /// what a poll and a WebSub push share.
    async fn store_feed(
        &self,
        cfg: &SourceConfig,
        body: bytes::Bytes,
        content_type: Option<&str>,
        base_url: &Url,
        now: DateTime<Utc>,
    ) -> Result<(normalize::ParsedFeed, UpsertSummary), String> {
        let mut parsed = tokio::task::spawn_blocking({
            let source = cfg.id.clone();
            let lang = cfg.language.clone();
            let base = base_url.clone();
            let content_type = content_type.map(str::to_string);
            move || {
                normalize::parse_feed(
                    &body,
                    &FeedContext {
                        source: &source,
                        fallback_language: &lang,
                        base_url: &base,
                        content_type: content_type.as_deref(),
                    },
                )
            }
        })
        .await
        .map_err(|e| format!("parser crashed: {e}"))?
        .map_err(|e| {
            if let normalize::NormalizeError::ItemsUnreadable { items, .. } = &e {
                tracing::warn!(source = %cfg.id, items, "{e}");
                crate::observe::items_unreadable(cfg.id.as_str(), *items);
            }
            e.to_string()
        })?;
        let summary = self
            .store
            .upsert_entries(&parsed.entries, now)
            .await
            .map_err(|e| e.to_string())?;
        if cfg.page_lookups {
            self.look_up_pages(&summary.new_ids).await;
        }
        self.linker
            .link_entries(&summary.changed_ids)
            .await
            .map_err(|e| format!("linking failed: {e:#}"))?;
        parsed.entries = Vec::new();
        Ok((parsed, summary))
    }

    /// Reads the hreflang alternates of new entries' pages, a bounded number
    /// per poll, through the same guarded fetcher. A page that fails is
    /// skipped: the entry is still linked on what its feed said.
    async fn look_up_pages(&self, new_ids: &[i64]) {
        let Ok(stored) = self.store.entries_by_ids(new_ids).await else {
            return;
        };
        for e in stored.iter().take(MAX_PAGE_LOOKUPS) {
            let Some(url) = e.entry.url.as_deref().and_then(|u| Url::parse(u).ok()) else {
                continue;
            };
            let outcome = {
                let Ok(_global) = self.global.acquire().await else {
                    return;
                };
                let host = self.host_limit(&url);
                let Ok(_host) = host.acquire().await else {
                    return;
                };
                self.fetcher.fetch(&url, &Validators::default()).await
            };
            let FetchOutcome::Fetched(page) = outcome else {
                tracing::debug!(url = %url, "page lookup failed; skipped");
                continue;
            };
            let html = String::from_utf8_lossy(&page.body);
            let links = normalize::page_alternates(&html, &page.final_url);
            if let Err(err) = self
                .store
                .save_page_alternates(e.id, &links, Utc::now())
                .await
            {
                tracing::warn!(url = %url, error = %err, "cannot keep page alternates");
            }
        }
    }

    /// The source's interval, or ×4 (at most 6 h, never shorter than the
    /// configured one) while its WebSub hub pushes to us: polling is then
    /// only the safety net.
    async fn poll_interval(&self, cfg: &SourceConfig) -> Duration {
        match self.store.websub_pushed(cfg.id.as_str(), Utc::now()).await {
            Ok(true) => (cfg.poll_every * 4)
                .min(Duration::from_secs(6 * 3600))
                .max(cfg.poll_every),
            _ => cfg.poll_every,
        }
    }

    fn fail(
        &self,
        cfg: &SourceConfig,
        state: &mut SourceState,
        now: DateTime<Utc>,
        message: String,
    ) -> (PollOutcome, usize, usize, Option<String>) {
        state.consecutive_failures += 1;
        state.last_error = Some(message.clone());
        let failures = u32::try_from(state.consecutive_failures).unwrap_or(u32::MAX);
        state.next_poll_at = schedule::after_failure(
            now,
            cfg.poll_every,
            failures,
            self.config().fetch.max_backoff,
            &mut rand::rng(),
        );
        (PollOutcome::Failed, 0, 0, Some(message))
    }

    /// The per-host limit of `url`'s host. Hosts nobody is fetching from
    /// (the map holds their only reference) are forgotten on the way, so
    /// the map holds hosts in use, not every host ever polled.
    fn host_limit(&self, url: &Url) -> Arc<Semaphore> {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let mut map = self.per_host.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, s| Arc::strong_count(s) > 1);
        let permits = self.config().fetch.max_per_host.max(1);
        Arc::clone(
            map.entry(host)
                .or_insert_with(|| Arc::new(Semaphore::new(permits))),
        )
    }
}

fn adopt(state: &mut SourceState, fetched: &Fetched) {
    state.etag = fetched.validators.etag.clone();
    state.last_modified = fetched.validators.last_modified.clone();
    if let Some(new_home) = &fetched.moved_permanently_to {
        tracing::info!(source = %state.id, to = %new_home, "feed moved permanently; following");
        state.effective_url = Some(new_home.to_string());
    }
}

fn mark_success(state: &mut SourceState, now: DateTime<Utc>) {
    state.consecutive_failures = 0;
    state.last_error = None;
    state.last_success_at = Some(now);
}

/// Registers every configured source in the store, due now: for tools,
/// tests and benchmarks that store entries without polling first
/// (`Poller::sync_sources` spreads first polls instead).
pub async fn register_sources(store: &Store, config: &Config) -> Result<(), StoreError> {
    let now = Utc::now();
    let known: Vec<_> = config
        .sources
        .iter()
        .map(|s| (s.id.clone(), s.url.to_string(), now))
        .collect();
    store.sync_sources(&known, now).await
}
