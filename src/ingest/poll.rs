//! The polling loop: each due source polled under its lease (several
//! instances on one PostgreSQL database poll each source once), through
//! the shared pipeline (`pipeline`: fetch → normalize → store → link),
//! under the fetch limits, with every decision about the next poll made
//! in `schedule`. A source another live instance holds waits until that
//! lease ends; one held by a dead process of this host is taken at once.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use futures::stream::{FuturesUnordered, StreamExt};
use rand::rngs::StdRng;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::lease;
use super::limits::FetchLimits;
use super::pipeline::{mark_success, Pipeline};
use super::schedule;
use crate::config::{Config, Live, SourceConfig};
use crate::domain::SourceId;
use crate::linker::Linker;
use crate::net::{FetchOutcome, Fetcher, Validators};
use crate::store::{Claim, SourceState, Store, StoreError, UpsertSummary};

pub use super::outcome::{PollOutcome, PollReport, Polled};

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

pub struct Poller {
    /// Names this process in poll leases (`lease::Instance`).
    instance: String,
    /// The running configuration: a reload adds and removes sources.
    config: Live,
    store: Store,
    linker: Arc<Linker>,
    fetcher: Arc<Fetcher>,
    limits: Arc<FetchLimits>,
    pipeline: Pipeline,
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
        let fetch = &config.get().fetch;
        let limits = Arc::new(FetchLimits::new(fetch.max_concurrent, fetch.max_per_host));
        Poller {
            instance: lease::this_process(),
            pipeline: Pipeline {
                store: store.clone(),
                linker: Arc::clone(&linker),
                fetcher: Arc::clone(&fetcher),
                limits: Arc::clone(&limits),
            },
            linker,
            limits,
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
            .pipeline
            .store_feed(cfg, body, content_type, &base, Utc::now())
            .await?;
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
        self.link_backlog().await?;
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
        while let Some((report, _)) = pending.next().await {
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
        self.link_backlog().await?;
        let mut in_flight: JoinSet<(PollReport, Option<DateTime<Utc>>)> = JoinSet::new();
        let mut busy: HashSet<SourceId> = HashSet::new();
        // Sources another instance holds, and until when they wait.
        let mut held: HashMap<SourceId, DateTime<Utc>> = HashMap::new();
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
            held.retain(|_, until| *until > now);
            for state in &states {
                if state.gone || busy.contains(&state.id) {
                    continue;
                }
                if let Some(until) = held.get(&state.id) {
                    next_wake = next_wake.min(*until);
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
                        Ok((report, retry_at)) => {
                            busy.remove(&report.source);
                            if let Some(until) = retry_at {
                                held.insert(report.source, until);
                            }
                        }
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
        for state in self.store.source_states().await? {
            let Some(cfg) = self.config().source(&state.id).cloned() else {
                continue;
            };
            if !state.gone && state.next_poll_at < now {
                // Only the schedule, and only if still overdue: another
                // instance may have just polled it and saved its state.
                let at = schedule::spread_start(now, cfg.poll_every, &mut rng);
                self.store.postpone_overdue(&state.id, at, now).await?;
            }
        }
        Ok(())
    }

    /// Entries stored but never linked (a crash between the two steps, or
    /// a pass killed mid-way) are linked before anything new is polled.
    async fn link_backlog(&self) -> anyhow::Result<()> {
        let caught_up = self.linker.link_unlinked().await?;
        if caught_up > 0 {
            tracing::info!(entries = caught_up, "linked entries left unlinked");
        }
        Ok(())
    }

    /// One source, start to finish; never fails: every problem ends up in
    /// the report and in the source's `last_error`. With the report, when
    /// another instance holds the source, until when it does.
    #[tracing::instrument(name = "poll", skip_all, fields(source = %cfg.id))]
    async fn poll_source(
        &self,
        cfg: &SourceConfig,
        due_only: bool,
    ) -> (PollReport, Option<DateTime<Utc>>) {
        let started = Instant::now();
        let polled = match self.poll_leased(cfg, due_only).await {
            Ok(p) => p,
            Err(e) => Polled::failed(format!("{e:#}")),
        };
        let report = PollReport {
            source: cfg.id.clone(),
            outcome: polled.outcome,
            new: polled.new,
            updated: polled.updated,
            error: polled.error,
            elapsed: started.elapsed(),
        };
        if report.outcome == PollOutcome::Elsewhere {
            // Another instance's turn: nothing happened here.
            tracing::debug!(source = %report.source, until = ?polled.retry_at, "polled elsewhere");
        } else {
            tracing::info!(
                source = %report.source,
                outcome = report.outcome.as_str(),
                new = report.new,
                updated = report.updated,
                error = report.error.as_deref().unwrap_or(""),
                ms = report.elapsed.as_millis() as u64,
                "polled"
            );
        }
        crate::observe::poll_finished(
            report.source.as_str(),
            report.outcome.metric_label(),
            report.new,
            report.updated,
            report.elapsed,
        );
        (report, polled.retry_at)
    }

    /// Polls under the source's lease, so that of several processes sharing
    /// one database exactly one polls it per interval. A lease held by a
    /// process of this host that is provably dead is taken over at once.
    async fn poll_leased(&self, cfg: &SourceConfig, due_only: bool) -> anyhow::Result<Polled> {
        let now = Utc::now();
        let lease = self.config().fetch.timeout * 3 + LEASE_MARGIN;
        let until = now + chrono::Duration::from_std(lease)?;
        let mut claim = self
            .store
            .claim_source(&cfg.id, &self.instance, now, until, due_only)
            .await?;
        if let Claim::Held {
            owner: Some(owner), ..
        } = &claim
        {
            if lease::is_dead(owner) {
                tracing::info!(source = %cfg.id, owner, "taking over the lease of a dead process");
                claim = self
                    .store
                    .take_over_source(&cfg.id, owner, &self.instance, until)
                    .await?;
            }
        }
        if let Claim::Held {
            until: held_until,
            next_poll_at,
            ..
        } = claim
        {
            // Ask again when the holder's lease ends, or when the source
            // is next due (it polled meanwhile), whichever comes first.
            let retry = held_until
                .into_iter()
                .chain(Some(next_poll_at).filter(|n| *n > now))
                .min();
            return Ok(Polled {
                retry_at: retry.or(Some(now + chrono::Duration::from_std(lease)?)),
                ..Polled::only(PollOutcome::Elsewhere)
            });
        }
        let result = self.poll_inner(cfg).await;
        if let Err(e) = self.store.release_source(&cfg.id, &self.instance).await {
            tracing::warn!(source = %cfg.id, error = %e, "cannot release the poll lease; it will expire");
        }
        result
    }

    async fn poll_inner(&self, cfg: &SourceConfig) -> anyhow::Result<Polled> {
        let mut state = self.store.source_state(&cfg.id).await?;
        if state.gone {
            return Ok(Polled::only(PollOutcome::Skipped));
        }
        let every = self.poll_interval(cfg).await;
        let url = Url::parse(state.fetch_url())?;
        let validators = Validators {
            etag: state.etag.clone(),
            last_modified: state.last_modified.clone(),
        };
        let outcome = self
            .limits
            .fetch(&self.fetcher, &url, &validators)
            .await
            .context("the fetch limits were closed")?;
        let now = Utc::now();
        state.last_attempt_at = Some(now);
        let mut rng = rand::make_rng::<StdRng>();
        let result = match outcome {
            FetchOutcome::NotModified { cache } => {
                mark_success(&mut state, now);
                state.next_poll_at = schedule::after_success(now, every, &cache, &mut rng);
                Polled::only(PollOutcome::NotModified)
            }
            FetchOutcome::Fetched(fetched) => {
                let next = schedule::after_success(now, every, &fetched.cache, &mut rng);
                match self
                    .pipeline
                    .ingest_body(cfg, &mut state, fetched, now)
                    .await
                {
                    Ok(r) => {
                        state.next_poll_at = next;
                        r
                    }
                    Err(e) => self.fail(cfg, &mut state, now, e.to_string()),
                }
            }
            FetchOutcome::RateLimited { cache, status } => {
                state.last_error = Some(format!("rate limited (HTTP {status})"));
                state.next_poll_at =
                    schedule::after_rate_limit(now, cfg.poll_every, &cache, &mut rng);
                Polled {
                    error: state.last_error.clone(),
                    ..Polled::only(PollOutcome::RateLimited)
                }
            }
            FetchOutcome::Gone => {
                state.gone = true;
                state.last_error = Some("the feed is gone (HTTP 410); no longer polled".into());
                Polled {
                    error: state.last_error.clone(),
                    ..Polled::only(PollOutcome::Gone)
                }
            }
            FetchOutcome::Failed(e) => self.fail(cfg, &mut state, now, e.to_string()),
        };
        self.store.save_source_state(&state).await?;
        Ok(result)
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
    ) -> Polled {
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
        Polled::failed(message)
    }
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
