//! The status page's content: everything read from the store and the
//! configuration in one pass, shaped into what a person wants to know
//! (is each source healthy, what was linked and why, who follows, what is
//! stuck). `view` turns it into HTML.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

pub use super::view::{login, render};
use crate::app::App;
use crate::domain::{EntryRole, SourceId};
use crate::store::{HostQueue, InboxRejection, QueueStats, StoreError, StoredEntry};

/// Stories shown, newest first.
const RECENT_STORIES: i64 = 15;
/// Inbox rejections shown, newest first.
const RECENT_REJECTIONS: i64 = 20;

pub struct Status {
    pub publisher: String,
    pub now: DateTime<Utc>,
    pub sources: Vec<SourceLine>,
    pub story_count: i64,
    pub entry_count: i64,
    pub stories: Vec<StoryBlock>,
    /// Every configured actor, with those only the database knows.
    pub followers: Vec<(String, i64)>,
    pub queue: QueueStats,
    pub hosts: Vec<HostQueue>,
    /// From the store: every process's, newest first.
    pub rejections: Vec<InboxRejection>,
    pub websub: super::websub::WebSubStatus,
}

/// How a source is doing, in one word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    Ok,
    NeverPolled,
    /// Failing; the next try waits longer each time.
    BackingOff,
    /// 410: no longer polled.
    Gone,
    /// Still in the database, no longer in the configuration.
    Unconfigured,
}

impl Health {
    pub fn label(self) -> &'static str {
        match self {
            Health::Ok => "ok",
            Health::NeverPolled => "not polled yet",
            Health::BackingOff => "backing off",
            Health::Gone => "gone",
            Health::Unconfigured => "not configured",
        }
    }
}

pub struct SourceLine {
    pub id: SourceId,
    pub name: String,
    pub role: String,
    pub language: String,
    pub url: String,
    pub health: Health,
    pub failures: i64,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub next_poll_at: Option<DateTime<Utc>>,
    pub entries: i64,
}

pub struct StoryBlock {
    pub id: i64,
    pub first_seen_at: DateTime<Utc>,
    pub languages: Vec<String>,
    pub entries: Vec<StoredEntry>,
}

impl Status {
    pub async fn gather(state: &App) -> Result<Status, StoreError> {
        let store = &state.store;
        let config = state.config.get();
        let now = Utc::now();
        let counts: HashMap<SourceId, i64> = store.entry_counts().await?.into_iter().collect();
        let sources = store
            .source_states()
            .await?
            .into_iter()
            .map(|s| {
                let cfg = config.source(&s.id);
                let health = match () {
                    _ if cfg.is_none() => Health::Unconfigured,
                    _ if s.gone => Health::Gone,
                    _ if s.consecutive_failures > 0 => Health::BackingOff,
                    _ if s.last_attempt_at.is_none() => Health::NeverPolled,
                    _ => Health::Ok,
                };
                SourceLine {
                    name: cfg.map_or_else(|| s.id.to_string(), |c| c.name.clone()),
                    role: cfg.map_or("-", |c| c.role.as_str()).to_string(),
                    language: cfg.map_or_else(|| "-".into(), |c| c.language.to_string()),
                    url: s.fetch_url().to_string(),
                    health,
                    failures: s.consecutive_failures,
                    last_success_at: s.last_success_at,
                    last_error: s.last_error.clone(),
                    next_poll_at: (!s.gone && cfg.is_some()).then_some(s.next_poll_at),
                    entries: counts.get(&s.id).copied().unwrap_or(0),
                    id: s.id,
                }
            })
            .collect();
        let rows = store.stories_page(None, RECENT_STORIES, None).await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut members: HashMap<i64, Vec<StoredEntry>> = HashMap::new();
        for m in store.story_members(&ids).await? {
            if let Some(link) = &m.link {
                members.entry(link.story_id).or_default().push(m);
            }
        }
        let stories = rows
            .into_iter()
            .map(|r| {
                let mut entries = members.remove(&r.id).unwrap_or_default();
                entries.sort_by_key(|e| (e.link.as_ref().map(|l| role_rank(l.role)), e.id));
                let mut languages: Vec<String> = Vec::new();
                for e in &entries {
                    let tag = e.entry.language.to_string();
                    if !languages.contains(&tag) {
                        languages.push(tag);
                    }
                }
                StoryBlock {
                    id: r.id,
                    first_seen_at: r.first_seen_at,
                    languages,
                    entries,
                }
            })
            .collect();
        let mut followers: Vec<(String, i64)> = config
            .actors
            .iter()
            .map(|a| (a.username.clone(), 0))
            .collect();
        for (actor, n) in store.follower_counts().await? {
            match followers.iter_mut().find(|(name, _)| *name == actor) {
                Some(slot) => slot.1 = n,
                None => followers.push((actor, n)),
            }
        }
        Ok(Status {
            publisher: config.publisher.name.clone(),
            now,
            sources,
            story_count: store.live_story_count().await?,
            entry_count: store.entry_count().await?,
            stories,
            followers,
            queue: store.delivery_queue_stats(now).await?,
            hosts: store.delivery_hosts().await?,
            rejections: store.recent_inbox_rejections(RECENT_REJECTIONS).await?,
            websub: super::websub::WebSubStatus::gather(store, config.websub.builtin).await?,
        })
    }
}

/// Originals first, then translations, then duplicates.
fn role_rank(role: EntryRole) -> u8 {
    match role {
        EntryRole::Original => 0,
        EntryRole::Translation => 1,
        EntryRole::Duplicate => 2,
    }
}
