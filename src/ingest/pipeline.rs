//! Feed bytes → normalized entries → store → page look-ups → links: the
//! path a poll and a WebSub push share. Parsing runs off the async
//! runtime (on the blocking pool, so feeds parse on every core while
//! others are fetched); the new entries of one feed are linked as one
//! batch.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use url::Url;

use super::limits::FetchLimits;
use super::outcome::{PollOutcome, Polled};
use crate::config::SourceConfig;
use crate::linker::Linker;
use crate::net::{FetchOutcome, Fetched, Fetcher, Validators};
use crate::normalize::{self, FeedContext, NormalizeError, ParsedFeed};
use crate::store::{SourceState, Store, StoreError, UpsertSummary};

/// Article pages fetched per poll of a source with `page_lookups`, so a
/// feed of 500 new items does not become 500 requests at once.
const MAX_PAGE_LOOKUPS: usize = 20;

/// Why a fetched body was not stored.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("parser crashed: {0}")]
    ParserCrashed(String),
    #[error(transparent)]
    Normalize(#[from] NormalizeError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("linking failed: {0:#}")]
    Linking(anyhow::Error),
}

pub(super) struct Pipeline {
    pub(super) store: Store,
    pub(super) linker: Arc<Linker>,
    pub(super) fetcher: Arc<Fetcher>,
    pub(super) limits: Arc<FetchLimits>,
}

impl Pipeline {
    /// Parses, stores and links one body of `cfg`'s feed.
    pub(super) async fn store_feed(
        &self,
        cfg: &SourceConfig,
        body: bytes::Bytes,
        content_type: Option<&str>,
        base_url: &Url,
        now: DateTime<Utc>,
    ) -> Result<(ParsedFeed, UpsertSummary), PipelineError> {
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
        .map_err(|e| PipelineError::ParserCrashed(e.to_string()))?
        .inspect_err(|e| {
            if let NormalizeError::ItemsUnreadable { items, .. } = e {
                tracing::warn!(source = %cfg.id, items, "{e}");
                crate::observe::items_unreadable(cfg.id.as_str(), *items);
            }
        })?;
        let summary = self.store.upsert_entries(&parsed.entries, now).await?;
        if cfg.page_lookups {
            self.look_up_pages(&summary.new_ids).await;
        }
        self.linker
            .link_entries(&summary.changed_ids)
            .await
            .map_err(PipelineError::Linking)?;
        parsed.entries = Vec::new();
        Ok((parsed, summary))
    }

    /// A 200: skip identical bodies, parse, store. Validators and a
    /// permanent redirect are only adopted once the body parsed as a feed,
    /// so a broken response never poisons the next conditional GET.
    pub(super) async fn ingest_body(
        &self,
        cfg: &SourceConfig,
        state: &mut SourceState,
        fetched: Fetched,
        now: DateTime<Utc>,
    ) -> Result<Polled, PipelineError> {
        let body_hash = hex::encode(Sha256::digest(&fetched.body));
        if state.body_hash.as_deref() == Some(body_hash.as_str()) {
            adopt(state, &fetched);
            mark_success(state, now);
            return Ok(Polled::only(PollOutcome::Unchanged));
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
        Ok(Polled {
            new: summary.new,
            updated: summary.updated,
            ..Polled::only(PollOutcome::Fetched)
        })
    }

    /// Reads the hreflang alternates of new entries' pages, a bounded number
    /// per poll, through the same guarded fetcher and limits. A page that
    /// fails is skipped: the entry is still linked on what its feed said.
    async fn look_up_pages(&self, new_ids: &[i64]) {
        let Ok(stored) = self.store.entries_by_ids(new_ids).await else {
            return;
        };
        for e in stored.iter().take(MAX_PAGE_LOOKUPS) {
            let Some(url) = e.entry.url.as_deref().and_then(|u| Url::parse(u).ok()) else {
                continue;
            };
            let fetched = self
                .limits
                .fetch(&self.fetcher, &url, &Validators::default())
                .await;
            let Some(FetchOutcome::Fetched(page)) = fetched else {
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
}

fn adopt(state: &mut SourceState, fetched: &Fetched) {
    state.etag = fetched.validators.etag.clone();
    state.last_modified = fetched.validators.last_modified.clone();
    if let Some(new_home) = &fetched.moved_permanently_to {
        tracing::info!(source = %state.id, to = %new_home, "feed moved permanently; following");
        state.effective_url = Some(new_home.to_string());
    }
}

pub(super) fn mark_success(state: &mut SourceState, now: DateTime<Utc>) {
    state.consecutive_failures = 0;
    state.last_error = None;
    state.last_success_at = Some(now);
}
