//! Applies linking to the store: for each new or changed entry, find its
//! candidates through the key index, let `link` decide, enforce the story
//! invariants, and write the decision in one transaction. Also the
//! operator's `link` / `unlink` corrections, which later polls respect.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;

use crate::config::Config;
use crate::domain::{EntryRole, Role, SourceId};
use crate::link::{self, Features, Member, Relation, Rule, UrlPattern};
use crate::normalize::canonical_url;
use crate::store::{LinkOverride, LinkPlan, Store, StoreError, StoredEntry};

/// Linking in this process changed a story: the federation planner and
/// the feed cache wake at once instead of at their next tick (a pushed
/// WebSub entry reaches feeds and followers within a second). Other
/// processes notice through the store, at those ticks.
static CHANGED: tokio::sync::Notify = tokio::sync::Notify::const_new();
static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Resolves once a story has changed in this process since `generation()`
/// read `seen` (at once if it already has). Every waiter wakes: several
/// daemons may share a process in tests.
pub async fn changed_since(seen: u64) {
    let notified = CHANGED.notified();
    tokio::pin!(notified);
    notified.as_mut().enable();
    if generation() != seen {
        return;
    }
    notified.await;
}

/// Counts story changes made in this process.
pub fn generation() -> u64 {
    GENERATION.load(std::sync::atomic::Ordering::Acquire)
}

fn announce() {
    GENERATION.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    CHANGED.notify_waiters();
}

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
    /// Replaced whole when the configuration is reloaded (SIGHUP).
    sources: std::sync::RwLock<Arc<HashMap<SourceId, SourceInfo>>>,
    /// Linking reads candidates then writes a decision; two entries of one
    /// story linked at once could each start a story. One at a time per
    /// process, and across processes on PostgreSQL (`Store::lock_linking`).
    lock: tokio::sync::Mutex<()>,
    evidence_threshold: f64,
}

impl Linker {
    pub fn new(store: Store, config: &Config) -> anyhow::Result<Linker> {
        Ok(Linker {
            store,
            sources: std::sync::RwLock::new(Arc::new(source_infos(config)?)),
            lock: tokio::sync::Mutex::new(()),
            evidence_threshold: link::EVIDENCE_THRESHOLD,
        })
    }

    /// Takes a reloaded configuration's sources (roles, URL shapes).
    pub fn replace_config(&self, config: &Config) -> anyhow::Result<()> {
        let infos = Arc::new(source_infos(config)?);
        *self.sources.write().unwrap_or_else(|e| e.into_inner()) = infos;
        Ok(())
    }

    fn source_infos(&self) -> Arc<HashMap<SourceId, SourceInfo>> {
        Arc::clone(&self.sources.read().unwrap_or_else(|e| e.into_inner()))
    }
}

/// What linking needs of each configured source: its role and URL shape.
fn source_infos(config: &Config) -> anyhow::Result<HashMap<SourceId, SourceInfo>> {
    let mut sources = HashMap::new();
    for s in &config.sources {
        let pattern = s
            .url_pattern
            .as_deref()
            .map(UrlPattern::parse)
            .transpose()
            .with_context(|| format!("sources.{}.url_pattern", s.id))?;
        let info = SourceInfo {
            role: s.role,
            name: s.name.clone(),
            pattern,
        };
        sources.insert(s.id.clone(), info);
    }
    Ok(sources)
}

impl Linker {
    /// Another evidence threshold than the documented one: for the
    /// evaluation's sweep, not for operators.
    pub fn with_evidence_threshold(mut self, threshold: f64) -> Linker {
        self.evidence_threshold = threshold;
        self
    }

    fn features(&self, e: &StoredEntry) -> Features {
        let sources = self.source_infos();
        let source = sources.get(&e.entry.source);
        let feats = Features::of(&e.entry, source.and_then(|s| s.pattern.as_ref()));
        match source.filter(|s| s.role == Role::Outlet) {
            Some(s) => feats.with_outlet(&s.name),
            None => feats,
        }
    }

    fn is_from_outlet(&self, e: &StoredEntry) -> bool {
        self.source_infos()
            .get(&e.entry.source)
            .is_some_and(|s| s.role == Role::Outlet)
    }

    /// Links every entry not yet in a story (start-up catch-up).
    pub async fn link_unlinked(&self) -> anyhow::Result<usize> {
        let ids = self.store.unlinked_entry_ids().await?;
        for id in &ids {
            self.link_entry(*id).await?;
        }
        Ok(ids.len())
    }

    pub async fn link_entries(&self, ids: &[i64]) -> anyhow::Result<Vec<LinkOutcome>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.link_entry(*id).await?);
        }
        Ok(out)
    }

    /// Links one stored entry (new, or changed at its source).
    #[tracing::instrument(name = "link", skip(self), fields(story = tracing::field::Empty))]
    pub async fn link_entry(&self, entry_id: i64) -> anyhow::Result<LinkOutcome> {
        let _one_at_a_time = self.lock.lock().await;
        let _everywhere = self.store.lock_linking().await?;
        let mut entry = self.store.entry_by_id(entry_id).await?;
        self.with_page_alternates(std::slice::from_mut(&mut entry))
            .await?;
        let feats = self.features(&entry);
        let keys = feats.keys();
        let overrides = match &entry.entry.url {
            Some(u) => self.store.overrides_for(u).await?,
            None => Vec::new(),
        };
        let isolated = last_word_is_unlink(&overrides, entry.entry.url.as_deref());

        // Candidates and how the entry relates to each, by rule precedence.
        let mut related: Vec<(StoredEntry, Relation)> = Vec::new();
        if !isolated {
            for forced in forced_partners(&overrides, entry.entry.url.as_deref()) {
                if let Ok(other) = self.store.entry_by_url(&forced).await {
                    related.push((
                        other,
                        Relation {
                            rule: Rule::Override,
                            why: "linked by the operator".into(),
                        },
                    ));
                }
            }
            let ids = self
                .store
                .candidate_ids(&keys.strong, &keys.weak, entry_id, feats.language.as_str())
                .await?;
            let mut cands = self.store.entries_by_ids(&ids).await?;
            self.with_page_alternates(&mut cands).await?;
            cands.retain(|c| c.link.is_some());
            let cand_feats: Vec<Features> = cands.iter().map(|c| self.features(c)).collect();
            let rarity = link::Rarity::of(
                cands
                    .iter()
                    .zip(&cand_feats)
                    .filter_map(|(c, f)| Some((c.link.as_ref()?.story_id, f))),
            );
            for (cand, cf) in cands.into_iter().zip(&cand_feats) {
                if let Some(r) = link::relation_in(&feats, cf, &rarity, self.evidence_threshold) {
                    if !self.is_isolated(&cand).await? {
                        related.push((cand, r));
                    }
                }
            }
        }
        related.sort_by(|a, b| a.1.rule.cmp(&b.1.rule).then(a.0.id.cmp(&b.0.id)));

        let current = entry.link.as_ref().map(|l| l.story_id);
        let decision = self.decide(&entry, &feats, &related, current).await?;
        let mut member_ids: Vec<i64> = Vec::new();
        let mut stories: Vec<i64> = decision.target.into_iter().collect();
        stories.extend(&decision.merge);
        let mut members = self.store.story_members(&stories).await?;
        members.retain(|m| m.id != entry_id);
        members.push(StoredEntry {
            link: None,
            ..entry.clone()
        });
        let roles = link::assign_roles(
            &members
                .iter()
                .map(|m| {
                    member_ids.push(m.id);
                    Member {
                        entry_id: m.id,
                        from_outlet: self.is_from_outlet(m),
                        duplicate_of: if m.id == entry_id {
                            decision.duplicate_of
                        } else {
                            m.link.as_ref().and_then(|l| l.duplicate_of)
                        },
                        seen: m.entry.published.unwrap_or(m.first_seen_at),
                        tiebreak: tiebreak(m),
                    }
                })
                .collect::<Vec<_>>(),
        );
        let plan = LinkPlan {
            entry_id,
            target: decision.target,
            merge: decision.merge.clone(),
            rule: decision
                .relation
                .as_ref()
                .map(|r| r.rule.as_str().to_string()),
            why: decision.relation.as_ref().map(|r| r.why.clone()),
            duplicate_of: decision.duplicate_of,
            roles,
            keys: keys.index,
            now: Utc::now(),
        };
        let story_id = self.store.apply_link(&plan).await?;
        announce();
        crate::observe::link_decided(plan.rule.as_deref());
        tracing::Span::current().record("story", story_id);
        // The entry may have left a story (re-linked after an edit or an
        // unlink): the members left behind get their roles recomputed.
        if let Some(old) = current.filter(|old| *old != story_id && !decision.merge.contains(old)) {
            self.refresh_roles(old).await?;
        }
        tracing::debug!(
            entry = entry_id,
            story = story_id,
            rule = plan.rule.as_deref().unwrap_or("new story"),
            why = plan.why.as_deref().unwrap_or(""),
            "linked"
        );
        Ok(LinkOutcome {
            entry_id,
            story_id,
            rule: decision.relation.map(|r| r.rule),
        })
    }

    /// Adds the alternates read from the entries' pages (sources with
    /// `page_lookups`) to their links, for linking only.
    async fn with_page_alternates(&self, entries: &mut [StoredEntry]) -> Result<(), StoreError> {
        let ids: Vec<i64> = entries.iter().map(|e| e.id).collect();
        for (id, link) in self.store.page_alternates(&ids).await? {
            if let Some(e) = entries.iter_mut().find(|e| e.id == id) {
                if !e.entry.links.contains(&link) {
                    e.entry.links.push(link);
                }
            }
        }
        Ok(())
    }

    async fn is_isolated(&self, e: &StoredEntry) -> Result<bool, StoreError> {
        let Some(url) = e.entry.url.as_deref() else {
            return Ok(false);
        };
        Ok(last_word_is_unlink(
            &self.store.overrides_for(url).await?,
            Some(url),
        ))
    }

    /// Picks the story by precedence, keeping the invariant that a story
    /// never holds two non-duplicate entries of one language from one source.
    async fn decide(
        &self,
        entry: &StoredEntry,
        feats: &Features,
        related: &[(StoredEntry, Relation)],
        current: Option<i64>,
    ) -> anyhow::Result<Decision> {
        // A duplicate joins the story of what it duplicates, as a duplicate
        // of that entry's root.
        if let Some((dup, rel)) = related.iter().find(|(_, r)| r.rule == Rule::Duplicate) {
            let link = dup.link.as_ref().context("candidate without story")?;
            return Ok(Decision {
                target: Some(link.story_id),
                merge: current
                    .filter(|c| *c != link.story_id)
                    .into_iter()
                    .collect(),
                relation: Some(rel.clone()),
                duplicate_of: Some(link.duplicate_of.unwrap_or(dup.id)),
            });
        }
        // Candidate stories, best rule first.
        let mut by_story: BTreeMap<i64, (Rule, Relation)> = BTreeMap::new();
        for (cand, rel) in related {
            if let Some(link) = &cand.link {
                let slot = by_story
                    .entry(link.story_id)
                    .or_insert((rel.rule, rel.clone()));
                if rel.rule < slot.0 {
                    *slot = (rel.rule, rel.clone());
                }
            }
        }
        let mut ordered: Vec<(i64, Relation)> =
            by_story.into_iter().map(|(s, (_, r))| (s, r)).collect();
        ordered.sort_by(|a, b| a.1.rule.cmp(&b.1.rule).then(a.0.cmp(&b.0)));

        // The members the entry would live with; grows as stories merge.
        let mut together: Vec<StoredEntry> = match current {
            Some(c) => self.store.story_members(&[c]).await?,
            None => Vec::new(),
        };
        together.retain(|m| m.id != entry.id);
        let mut target = current;
        let mut merge = Vec::new();
        let mut chosen: Option<Relation> = None;
        for (story, rel) in ordered {
            if Some(story) == target || merge.contains(&story) {
                continue;
            }
            if rel.rule == Rule::Evidence && chosen.is_some() {
                break; // evidence never adds to an explicit decision
            }
            let members = self.store.story_members(&[story]).await?;
            if rel.rule == Rule::Evidence
                && members
                    .iter()
                    .any(|m| m.entry.language == feats.language && is_primary(m))
            {
                continue; // weak evidence does not add a second version of a language
            }
            if let Some(clash) = clash(entry, &together, &members) {
                tracing::info!(
                    entry = entry.id,
                    story,
                    rule = rel.rule.as_str(),
                    clash = clash,
                    "link refused: the story already has this language from this source"
                );
                continue;
            }
            together.extend(members);
            match target {
                None => target = Some(story),
                Some(_) => merge.push(story),
            }
            if chosen.is_none() {
                chosen = Some(rel);
            }
        }
        Ok(Decision {
            target,
            merge,
            relation: chosen.or_else(|| {
                entry
                    .link
                    .as_ref()
                    .and_then(|l| l.rule.as_deref())
                    .and_then(Rule::parse)
                    .map(|rule| Relation {
                        rule,
                        why: entry
                            .link
                            .as_ref()
                            .and_then(|l| l.why.clone())
                            .unwrap_or_default(),
                    })
            }),
            duplicate_of: None,
        })
    }

    async fn refresh_roles(&self, story: i64) -> anyhow::Result<()> {
        let members = self.store.story_members(&[story]).await?;
        let roles = link::assign_roles(
            &members
                .iter()
                .map(|m| Member {
                    entry_id: m.id,
                    from_outlet: self.is_from_outlet(m),
                    duplicate_of: m.link.as_ref().and_then(|l| l.duplicate_of),
                    seen: m.entry.published.unwrap_or(m.first_seen_at),
                    tiebreak: tiebreak(m),
                })
                .collect::<Vec<_>>(),
        );
        self.store.set_roles(&roles).await?;
        Ok(())
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
        let o = LinkOverride {
            kind: "link".into(),
            url_a: a,
            url_b: Some(b),
        };
        self.store.add_override(&o, Utc::now()).await?;
        self.link_entry(ea.id).await
    }

    /// `wirebridge unlink URL`: the entry leaves its story and stays alone.
    pub async fn unlink_url(&self, url: &str) -> anyhow::Result<LinkOutcome> {
        let url = canonical_url(url).with_context(|| format!("`{url}` is not an http(s) URL"))?;
        let e = self
            .store
            .entry_by_url(&url)
            .await
            .with_context(|| format!("no entry has the URL {url}"))?;
        let o = LinkOverride {
            kind: "unlink".into(),
            url_a: url,
            url_b: None,
        };
        self.store.add_override(&o, Utc::now()).await?;
        let old = e.link.as_ref().map(|l| l.story_id);
        let story_id = self.store.detach_entry(e.id, Utc::now()).await?;
        announce();
        if let Some(old) = old {
            self.refresh_roles(old).await?;
        }
        // Its duplicates stay with it: they are the same article.
        Ok(LinkOutcome {
            entry_id: e.id,
            story_id,
            rule: Some(Rule::Override),
        })
    }
}

struct Decision {
    target: Option<i64>,
    merge: Vec<i64>,
    relation: Option<Relation>,
    duplicate_of: Option<i64>,
}

/// Orders copies published at the same moment, independently of arrival.
fn tiebreak(m: &StoredEntry) -> String {
    format!(
        "{}\n{}",
        m.entry.url.as_deref().unwrap_or(""),
        m.entry.source.as_str()
    )
}

fn is_primary(m: &StoredEntry) -> bool {
    m.link
        .as_ref()
        .is_none_or(|l| l.role != EntryRole::Duplicate)
}

/// A non-duplicate member of `other` with the same (source, language) as the
/// entry or as a member of `together`: joining would put two articles in
/// one story.
fn clash(entry: &StoredEntry, together: &[StoredEntry], other: &[StoredEntry]) -> Option<String> {
    let mut taken: HashSet<(&str, &str)> = together
        .iter()
        .filter(|m| is_primary(m))
        .map(|m| (m.entry.source.as_str(), m.entry.language.as_str()))
        .collect();
    taken.insert((entry.entry.source.as_str(), entry.entry.language.as_str()));
    other
        .iter()
        .filter(|m| is_primary(m) && m.id != entry.id)
        .find(|m| taken.contains(&(m.entry.source.as_str(), m.entry.language.as_str())))
        .map(|m| format!("{} {}", m.entry.source, m.entry.language))
}

/// Whether the operator's last word on `url` was `unlink`.
fn last_word_is_unlink(overrides: &[LinkOverride], url: Option<&str>) -> bool {
    overrides
        .iter()
        .rev()
        .find(|o| o.kind == "unlink" || o.url_b.is_some())
        .is_some_and(|o| o.kind == "unlink" && Some(o.url_a.as_str()) == url)
}

/// URLs the operator linked `url` to.
fn forced_partners(overrides: &[LinkOverride], url: Option<&str>) -> Vec<String> {
    let Some(url) = url else { return Vec::new() };
    overrides
        .iter()
        .filter(|o| o.kind == "link")
        .filter_map(|o| {
            if o.url_a == url {
                o.url_b.clone()
            } else if o.url_b.as_deref() == Some(url) {
                Some(o.url_a.clone())
            } else {
                None
            }
        })
        .collect()
}
