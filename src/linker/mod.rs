//! Applies linking to the store, a batch at a time: under the linking lock
//! it reads everything the batch's decisions need in a few set-based
//! queries (`Work::load`), lets `link::decide` place each entry in turn
//! (earlier decisions of the batch visible to later ones, exactly as if
//! they were linked one by one), and writes the whole batch in one
//! transaction. Also the operator's `link` / `unlink` corrections, which
//! later polls respect.

mod work;

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;

use crate::config::{Config, Live};
use crate::domain::{Role, SourceId};
use crate::link::{self, Rule, UrlPattern};
use crate::normalize::canonical_url;
use crate::store::{EntryPlace, LinkBatch, LinkOverride, Store, StoryStep};

use work::Work;

/// Entries linked in one transaction at most: a feed's new entries are
/// one batch; a backlog of many thousands is several.
const BATCH: usize = 500;

/// Every configured source's `SourceInfo`, by id.
type SourceInfos = Arc<HashMap<SourceId, SourceInfo>>;

/// What a source means to linking.
#[derive(Clone, Debug)]
struct SourceInfo {
    role: Role,
    name: String,
    pattern: Option<UrlPattern>,
}

/// Where one entry ended up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkOutcome {
    pub entry_id: i64,
    pub story_id: i64,
    pub rule: Option<Rule>,
}

pub struct Linker {
    store: Store,
    /// The running configuration (sources' roles and URL shapes).
    config: Live,
    /// What linking needs of each source, derived from `config` and made
    /// again when a reload replaces it.
    sources: std::sync::RwLock<(Arc<Config>, SourceInfos)>,
    /// Linking reads candidates then writes decisions; two entries of one
    /// story linked at once could each start a story. One batch at a time
    /// per process, and across processes on PostgreSQL
    /// (`Store::lock_linking`).
    lock: tokio::sync::Mutex<()>,
    /// Counts the story changes this linker made: the federation planner
    /// and the feed cache wake at once instead of at their next tick (a
    /// pushed WebSub entry reaches feeds and followers within a second).
    /// Other processes' changes are noticed through the store, at those
    /// ticks.
    changed: tokio::sync::watch::Sender<u64>,
    evidence_threshold: f64,
}

impl Linker {
    pub fn new(store: Store, config: impl Into<Live>) -> Linker {
        let config = config.into();
        let now = config.get();
        let infos = Arc::new(source_infos(&now));
        Linker {
            store,
            config,
            sources: std::sync::RwLock::new((now, infos)),
            lock: tokio::sync::Mutex::new(()),
            changed: tokio::sync::watch::Sender::new(0),
            evidence_threshold: link::EVIDENCE_THRESHOLD,
        }
    }

    /// Another evidence threshold than the documented one: for the
    /// evaluation's sweep, not for operators.
    pub fn with_evidence_threshold(mut self, threshold: f64) -> Linker {
        self.evidence_threshold = threshold;
        self
    }

    /// Wakes whenever this linker changed a story.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changed.subscribe()
    }

    fn announce(&self) {
        self.changed.send_modify(|n| *n += 1);
    }

    fn source_infos(&self) -> SourceInfos {
        let config = self.config.get();
        {
            let cached = self.sources.read().unwrap_or_else(|e| e.into_inner());
            if Arc::ptr_eq(&cached.0, &config) {
                return Arc::clone(&cached.1);
            }
        }
        let infos = Arc::new(source_infos(&config));
        *self.sources.write().unwrap_or_else(|e| e.into_inner()) = (config, Arc::clone(&infos));
        infos
    }

    /// Links every entry not yet in a story (start-up catch-up, and the
    /// backlog a crashed poll stored but did not link).
    pub async fn link_unlinked(&self) -> anyhow::Result<usize> {
        let ids = self.store.unlinked_entry_ids().await?;
        self.link_entries(&ids).await?;
        Ok(ids.len())
    }

    /// Links stored entries (new, or changed at their source), in order,
    /// in batches of at most `BATCH` per transaction.
    pub async fn link_entries(&self, ids: &[i64]) -> anyhow::Result<Vec<LinkOutcome>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(BATCH) {
            out.extend(self.link_batch(chunk).await?);
        }
        Ok(out)
    }

    /// Links one stored entry.
    pub async fn link_entry(&self, entry_id: i64) -> anyhow::Result<LinkOutcome> {
        self.link_batch(&[entry_id])
            .await?
            .pop()
            .context("the entry was not found")
    }

    #[tracing::instrument(name = "link", skip_all, fields(entries = ids.len()))]
    async fn link_batch(&self, ids: &[i64]) -> anyhow::Result<Vec<LinkOutcome>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let _one_at_a_time = self.lock.lock().await;
        let _everywhere = self.store.lock_linking().await?;
        let infos = self.source_infos();
        let mut work = Work::load(&self.store, &infos, self.evidence_threshold, ids).await?;
        for id in ids {
            work.link(*id);
        }
        let (batch, placed) = work.finish();
        let created = self.store.apply_links(&batch, Utc::now()).await?;
        if !batch.places.is_empty() {
            self.announce();
        }
        let real = |story: i64| match usize::try_from(-story - 1) {
            Ok(n) if story < 0 => created.get(n).copied().unwrap_or(story),
            _ => story,
        };
        Ok(placed
            .into_iter()
            .map(|(entry_id, story, rule)| LinkOutcome {
                entry_id,
                story_id: real(story),
                rule,
            })
            .collect())
    }

    /// The candidates the index finds for a stored entry now, as linking
    /// it would see them (for the evaluation's explanations of a miss).
    pub async fn candidates(&self, entry_id: i64) -> anyhow::Result<Vec<i64>> {
        let infos = self.source_infos();
        let work = Work::load(&self.store, &infos, self.evidence_threshold, &[entry_id]).await?;
        Ok(work.candidates_of(entry_id))
    }

    /// `wirebridge link A B`: the two URLs are one story, now and after.
    pub async fn link_urls(&self, a: &str, b: &str) -> anyhow::Result<LinkOutcome> {
        let a = canonical_url(a).with_context(|| format!("`{a}` is not an http(s) URL"))?;
        let b = canonical_url(b).with_context(|| format!("`{b}` is not an http(s) URL"))?;
        let ea = self
            .store
            .entry_by_url(&a)
            .await
            .with_context(|| format!("no entry has the URL {a}"))?;
        self.store
            .entry_by_url(&b)
            .await
            .with_context(|| format!("no entry has the URL {b}"))?;
        self.store
            .add_override(&LinkOverride::Link { a, b }, Utc::now())
            .await?;
        self.link_entry(ea.id).await
    }

    /// `wirebridge unlink URL`: the entry leaves its story and stays alone
    /// (its duplicates stay with it: they are the same article).
    pub async fn unlink_url(&self, url: &str) -> anyhow::Result<LinkOutcome> {
        let url = canonical_url(url).with_context(|| format!("`{url}` is not an http(s) URL"))?;
        let _one_at_a_time = self.lock.lock().await;
        let _everywhere = self.store.lock_linking().await?;
        let e = self
            .store
            .entry_by_url(&url)
            .await
            .with_context(|| format!("no entry has the URL {url}"))?;
        self.store
            .add_override(&LinkOverride::Unlink { url }, Utc::now())
            .await?;
        let mut batch = LinkBatch {
            steps: vec![StoryStep::New],
            places: vec![EntryPlace {
                entry_id: e.id,
                story: -1,
                rule: Some(Rule::Override.as_str().into()),
                why: Some("unlinked by the operator".into()),
                duplicate_of: None,
            }],
            roles: vec![(e.id, crate::domain::EntryRole::Original)],
            keys: vec![(e.id, Vec::new())],
            touched: vec![-1],
        };
        if let Some(old) = e.link.as_ref().map(|l| l.story_id) {
            let infos = self.source_infos();
            let left: Vec<link::Primary> = self
                .store
                .story_primaries(&[old])
                .await?
                .into_iter()
                .filter(|p| p.entry_id != e.id)
                .map(|p| work::primary_of(&infos, p))
                .collect();
            batch
                .roles
                .extend(link::roles_of(&left.iter().collect::<Vec<_>>()));
        }
        let created = self.store.apply_links(&batch, Utc::now()).await?;
        self.announce();
        Ok(LinkOutcome {
            entry_id: e.id,
            story_id: created.first().copied().unwrap_or_default(),
            rule: Some(Rule::Override),
        })
    }
}

/// What linking needs of each configured source: its role and URL shape.
fn source_infos(config: &Config) -> HashMap<SourceId, SourceInfo> {
    config
        .sources
        .iter()
        .map(|s| {
            let info = SourceInfo {
                role: s.role,
                name: s.name.clone(),
                pattern: s.url_pattern.clone(),
            };
            (s.id.clone(), info)
        })
        .collect()
}
