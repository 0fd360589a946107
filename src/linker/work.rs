//! One batch's working set: the batch's entries and every candidate their
//! keys find, those entries' stories (primaries only), the index postings
//! and the operator's overrides — read in a few set-based queries, then
//! kept up to date in memory as each decision is made, so the batch's
//! later entries see its earlier decisions exactly as a store would.

use std::collections::{HashMap, HashSet};

use crate::domain::{EntryRole, Role};
use crate::link::{self, Features, Keys, Primary, Rarity, Related, Relation, Rule, Situation};
use crate::store::{
    EntryPlace, LinkBatch, LinkOverride, Linked, PrimaryRow, Store, StoreError, StoredEntry,
    StoryStep,
};

use super::SourceInfos;

/// Candidates found through strong keys (URLs, guids, text hashes,
/// alternates, originals, shapes): this many is already a sign of a bad key
/// (a feed URL used as "original" by every item).
const STRONG_CANDIDATES: usize = 200;
/// Evidence candidates: the ones sharing the most weak keys.
const WEAK_CANDIDATES: usize = 40;
/// Entries read per key: a key shared by more is too common to tell
/// articles apart, and linking one entry must not read the whole index.
const PER_KEY: usize = 200;

pub(super) struct Work<'a> {
    infos: &'a SourceInfos,
    threshold: f64,
    /// The batch's entries and their candidates, with their place as the
    /// batch has changed it so far.
    entries: HashMap<i64, StoredEntry>,
    features: HashMap<i64, Features>,
    keys: HashMap<i64, Keys>,
    /// Index postings read from the store, newest first.
    postings: HashMap<String, Vec<i64>>,
    /// Postings the batch wrote, and entries whose stored keys it replaced.
    written: HashMap<String, Vec<i64>>,
    replaced: HashSet<i64>,
    /// Primaries of every story involved.
    stories: HashMap<i64, Vec<Primary>>,
    overrides: Vec<LinkOverride>,
    /// The batch so far, and where each entry went.
    batch: LinkBatch,
    places: HashMap<i64, usize>,
    roles: HashMap<i64, EntryRole>,
    placed: Vec<(i64, i64, Option<Rule>)>,
}

/// A stored primary as `link` sees it.
pub(super) fn primary_of(infos: &SourceInfos, p: PrimaryRow) -> Primary {
    Primary {
        from_outlet: is_outlet(infos, &p.source),
        tiebreak: tiebreak(p.url.as_deref(), &p.source),
        group: p.duplicate_of.unwrap_or(p.entry_id),
        entry_id: p.entry_id,
        source: p.source,
        language: p.language,
        seen: p.seen,
    }
}

/// `Primary::tiebreak`: the URL as published, then the source.
fn tiebreak(url: Option<&str>, source: &crate::domain::SourceId) -> String {
    format!("{}\n{}", url.unwrap_or(""), source.as_str())
}

fn is_outlet(infos: &SourceInfos, source: &crate::domain::SourceId) -> bool {
    infos.get(source).is_some_and(|s| s.role == Role::Outlet)
}

impl<'a> Work<'a> {
    /// Reads what linking `ids` needs: the entries (with the alternates
    /// read from their pages), their overrides and forced partners, the
    /// postings of their keys, every candidate those name, and the stories
    /// of all of them.
    pub(super) async fn load(
        store: &Store,
        infos: &'a SourceInfos,
        threshold: f64,
        ids: &[i64],
    ) -> Result<Work<'a>, StoreError> {
        let mut work = Work {
            infos,
            threshold,
            entries: HashMap::new(),
            features: HashMap::new(),
            keys: HashMap::new(),
            postings: HashMap::new(),
            written: HashMap::new(),
            replaced: HashSet::new(),
            stories: HashMap::new(),
            overrides: Vec::new(),
            batch: LinkBatch::default(),
            places: HashMap::new(),
            roles: HashMap::new(),
            placed: Vec::new(),
        };
        work.add_entries(store, store.entries_by_ids(ids).await?)
            .await?;
        let urls: Vec<String> = work.urls(ids);
        work.overrides = store.overrides_for(&urls).await?;
        let forced: Vec<String> = work
            .overrides
            .iter()
            .filter_map(|o| match o {
                LinkOverride::Link { a, b } if urls.contains(a) => Some(b.clone()),
                LinkOverride::Link { a, b } if urls.contains(b) => Some(a.clone()),
                _ => None,
            })
            .collect();
        let mut lookups: Vec<String> = ids
            .iter()
            .filter_map(|id| work.keys.get(id))
            .flat_map(|k| k.strong.iter().chain(&k.weak).cloned())
            .collect();
        lookups.sort();
        lookups.dedup();
        for (key, entry) in store.key_postings(&lookups, PER_KEY as i64).await? {
            work.postings.entry(key).or_default().push(entry);
        }
        for list in work.postings.values_mut() {
            list.sort_unstable_by(|a, b| b.cmp(a));
        }
        let mut candidates: Vec<i64> = work
            .postings
            .values()
            .flatten()
            .copied()
            .filter(|id| !work.entries.contains_key(id))
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut found = store.entries_by_ids(&candidates).await?;
        found.extend(store.entries_by_urls(&forced).await?);
        found.retain(|e| !work.entries.contains_key(&e.id));
        found.sort_by_key(|e| e.id);
        found.dedup_by_key(|e| e.id);
        let others: Vec<i64> = found.iter().map(|e| e.id).collect();
        work.add_entries(store, found).await?;
        // Every override naming the batch or a candidate, in their order:
        // a candidate the operator unlinked is no candidate.
        let mut all = urls;
        all.extend(work.urls(&others));
        work.overrides = store.overrides_for(&all).await?;
        let mut stories: Vec<i64> = work
            .entries
            .values()
            .filter_map(|e| e.link.as_ref().map(|l| l.story_id))
            .collect();
        stories.sort_unstable();
        stories.dedup();
        for p in store.story_primaries(&stories).await? {
            let story = p.story_id;
            work.stories
                .entry(story)
                .or_default()
                .push(primary_of(infos, p));
        }
        Ok(work)
    }

    /// Takes entries in, with their page alternates, features and keys.
    async fn add_entries(
        &mut self,
        store: &Store,
        mut entries: Vec<StoredEntry>,
    ) -> Result<(), StoreError> {
        let ids: Vec<i64> = entries.iter().map(|e| e.id).collect();
        let mut alternates: HashMap<i64, Vec<crate::domain::EntryLink>> = HashMap::new();
        for (id, link) in store.page_alternates(&ids).await? {
            alternates.entry(id).or_default().push(link);
        }
        for e in &mut entries {
            for link in alternates.remove(&e.id).unwrap_or_default() {
                if !e.entry.links.contains(&link) {
                    e.entry.links.push(link);
                }
            }
            let info = self.infos.get(&e.entry.source);
            let features = Features::of(&e.entry, info.and_then(|s| s.pattern.as_ref()));
            // An outlet's own name, for "first published by …" credits in
            // the versions of its articles.
            let features = match info.filter(|s| s.role == Role::Outlet) {
                Some(s) => features.with_outlet(&s.name),
                None => features,
            };
            self.keys.insert(e.id, features.keys());
            self.features.insert(e.id, features);
        }
        self.entries.extend(entries.into_iter().map(|e| (e.id, e)));
        Ok(())
    }

    /// The canonical URLs of `ids`: overrides name URLs in that form
    /// (`link` and `unlink` canonicalize what the operator typed).
    fn urls(&self, ids: &[i64]) -> Vec<String> {
        ids.iter()
            .filter_map(|id| self.entries.get(id)?.entry.canonical_url.clone())
            .collect()
    }

    /// Entries sharing `key`, as the store would answer now.
    fn posting(&self, key: &str) -> Vec<i64> {
        let mut out: Vec<i64> = self
            .postings
            .get(key)
            .into_iter()
            .flatten()
            .filter(|id| !self.replaced.contains(id))
            .chain(self.written.get(key).into_iter().flatten())
            .copied()
            .collect();
        out.sort_unstable_by(|a, b| b.cmp(a));
        out.dedup();
        out.truncate(PER_KEY);
        out
    }

    /// The candidates `keys` find for entry `id`: through strong keys, and
    /// the entries sharing the most weak (evidence) keys.
    fn candidates(&self, id: i64, keys: &Keys) -> Vec<i64> {
        let mut strong: Vec<i64> = keys
            .strong
            .iter()
            .flat_map(|k| self.posting(k))
            .filter(|c| *c != id)
            .collect();
        strong.sort_unstable_by(|a, b| b.cmp(a));
        strong.dedup();
        strong.truncate(STRONG_CANDIDATES);
        // Evidence only ever links two languages: a templated series in
        // the entry's own language would otherwise fill the list with
        // items that can never be linked.
        let language = self.entries.get(&id).map(|e| &e.entry.language);
        let other_language = |c: i64| {
            self.entries
                .get(&c)
                .is_some_and(|e| Some(&e.entry.language) != language)
        };
        let mut shared: HashMap<i64, usize> = HashMap::new();
        for k in &keys.weak {
            for c in self.posting(k) {
                if c != id && other_language(c) {
                    *shared.entry(c).or_default() += 1;
                }
            }
        }
        let mut weak: Vec<(i64, usize)> = shared.into_iter().collect();
        weak.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
        let mut all: Vec<i64> = strong;
        all.extend(weak.into_iter().take(WEAK_CANDIDATES).map(|(c, _)| c));
        all.sort_unstable();
        all.dedup();
        all
    }

    /// The linked candidates of entry `id`.
    pub(super) fn candidates_of(&self, id: i64) -> Vec<i64> {
        let Some(keys) = self.keys.get(&id) else {
            return Vec::new();
        };
        self.candidates(id, keys)
            .into_iter()
            .filter(|c| self.entries.get(c).is_some_and(|e| e.link.is_some()))
            .collect()
    }

    /// Whether the operator's last word on `url` was `unlink`.
    fn isolated(&self, url: Option<&str>) -> bool {
        let Some(url) = url else { return false };
        self.overrides
            .iter()
            .rev()
            .find(|o| o.names(url))
            .is_some_and(|o| matches!(o, LinkOverride::Unlink { .. }))
    }

    /// URLs the operator linked `url` to.
    fn forced(&self, url: &str) -> Vec<&str> {
        self.overrides
            .iter()
            .filter_map(|o| match o {
                LinkOverride::Link { a, b } if a == url => Some(b.as_str()),
                LinkOverride::Link { a, b } if b == url => Some(a.as_str()),
                _ => None,
            })
            .collect()
    }

    /// How entry `id` relates to the linked entries its keys and the
    /// operator's links find.
    fn related(&self, id: i64) -> Vec<Related> {
        let (Some(entry), Some(feats), Some(keys)) = (
            self.entries.get(&id),
            self.features.get(&id),
            self.keys.get(&id),
        ) else {
            return Vec::new();
        };
        let url = entry.entry.canonical_url.as_deref();
        if self.isolated(url) {
            return Vec::new();
        }
        let mut out = Vec::new();
        let related = |other: &StoredEntry, relation: Relation| {
            other.link.as_ref().map(|l| Related {
                entry_id: other.id,
                story_id: l.story_id,
                duplicate_of: l.duplicate_of,
                relation,
            })
        };
        for partner in url.map(|u| self.forced(u)).unwrap_or_default() {
            let found = self
                .entries
                .values()
                .filter(|e| e.entry.canonical_url.as_deref() == Some(partner))
                .min_by_key(|e| e.id);
            let relation = Relation {
                rule: Rule::Override,
                why: "linked by the operator".into(),
            };
            out.extend(found.and_then(|e| related(e, relation)));
        }
        let candidates: Vec<(&StoredEntry, &Features)> = self
            .candidates(id, keys)
            .into_iter()
            .filter_map(|c| Some((self.entries.get(&c)?, self.features.get(&c)?)))
            .filter(|(cand, _)| cand.link.is_some())
            .collect();
        // Names and figures weigh by how few of the candidates' stories
        // carry them.
        let rarity = Rarity::of(
            candidates
                .iter()
                .filter_map(|(c, f)| Some((c.link.as_ref()?.story_id, *f))),
        );
        for (cand, theirs) in candidates {
            if self.isolated(cand.entry.canonical_url.as_deref()) {
                continue;
            }
            if let Some(r) = link::relation_in(feats, theirs, &rarity, self.threshold) {
                out.extend(related(cand, r));
            }
        }
        out
    }

    /// Decides where entry `id` goes and applies it to the working set.
    pub(super) fn link(&mut self, id: i64) {
        let related = self.related(id);
        let Some(entry) = self.entries.get(&id) else {
            return;
        };
        let me = Primary {
            entry_id: id,
            source: entry.entry.source.clone(),
            language: entry.entry.language.clone(),
            from_outlet: is_outlet(self.infos, &entry.entry.source),
            seen: entry.entry.published.unwrap_or(entry.first_seen_at),
            tiebreak: tiebreak(entry.entry.url.as_deref(), &entry.entry.source),
            group: id,
        };
        let current = entry.link.as_ref().map(|l| l.story_id);
        let previous = entry.link.as_ref().and_then(|l| {
            Some(Relation {
                rule: Rule::parse(l.rule.as_deref()?)?,
                why: l.why.clone().unwrap_or_default(),
            })
        });
        let decision = link::decide(&Situation {
            entry: &me,
            current,
            previous,
            related: &related,
            stories: &self.stories,
        });
        for r in &decision.refused {
            tracing::info!(
                entry = id,
                story = r.story,
                rule = r.rule.as_str(),
                clash = r.clash,
                "link refused: the story already has this language from this source"
            );
        }
        let target = match decision.target {
            Some(t) => t,
            None => {
                self.batch.steps.push(StoryStep::New);
                let n = self
                    .batch
                    .steps
                    .iter()
                    .filter(|s| matches!(s, StoryStep::New))
                    .count();
                -(n as i64)
            }
        };
        for from in &decision.merge {
            self.merge(*from, target);
        }
        // The entry leaves the story it was in: the ones left behind get
        // their roles again.
        if let Some(old) = current.filter(|o| *o != target && !decision.merge.contains(o)) {
            if let Some(left) = self.stories.get_mut(&old) {
                left.retain(|p| p.entry_id != id);
                let roles = link::roles_of(&left.iter().collect::<Vec<_>>());
                self.roles.extend(roles);
            }
        }
        // The story's primaries now: the entry unless it is a duplicate,
        // without any copy the entry outranked.
        let demoted = |p: &Primary| {
            decision
                .roles
                .iter()
                .any(|(e, r)| *e == p.entry_id && *r == EntryRole::Duplicate)
        };
        let members = self.stories.entry(target).or_default();
        members.retain(|p| p.entry_id != id && !demoted(p));
        if !demoted(&me) {
            members.push(Primary {
                group: decision.duplicate_of.unwrap_or(id),
                ..me
            });
        }
        self.roles.extend(decision.roles.iter().copied());
        let rule = decision.relation.as_ref().map(|r| r.rule);
        self.place(id, target, &decision);
        self.batch.touched.push(target);
        self.batch.touched.extend(&decision.merge);
        crate::observe::link_decided(rule.map(Rule::as_str));
        tracing::debug!(
            entry = id,
            story = target,
            rule = rule.map_or("new story", Rule::as_str),
            why = decision.relation.as_ref().map_or("", |r| r.why.as_str()),
            "linked"
        );
        self.placed.push((id, target, rule));
    }

    /// Story `from` folds into `into`: its primaries and every entry the
    /// working set knows in it move over.
    fn merge(&mut self, from: i64, into: i64) {
        self.batch.steps.push(StoryStep::Merge { from, into });
        let moved = self.stories.remove(&from).unwrap_or_default();
        self.stories.entry(into).or_default().extend(moved);
        for e in self.entries.values_mut() {
            if let Some(l) = e.link.as_mut().filter(|l| l.story_id == from) {
                l.story_id = into;
            }
        }
    }

    /// Records entry `id`'s new place and index keys, in memory and for
    /// the write.
    fn place(&mut self, id: i64, story: i64, decision: &link::Decision) {
        let place = EntryPlace {
            entry_id: id,
            story,
            rule: decision.relation.as_ref().map(|r| r.rule.as_str().into()),
            why: decision.relation.as_ref().map(|r| r.why.clone()),
            duplicate_of: decision.duplicate_of,
        };
        if let Some(e) = self.entries.get_mut(&id) {
            e.link = Some(Linked {
                story_id: story,
                role: self
                    .roles
                    .get(&id)
                    .copied()
                    .unwrap_or(EntryRole::Translation),
                rule: place.rule.clone(),
                why: place.why.clone(),
                duplicate_of: place.duplicate_of,
            });
        }
        match self.places.get(&id) {
            Some(i) => self.batch.places[*i] = place,
            None => {
                self.places.insert(id, self.batch.places.len());
                self.batch.places.push(place);
            }
        }
        let index = self
            .keys
            .get(&id)
            .map(|k| k.index.clone())
            .unwrap_or_default();
        self.replaced.insert(id);
        for list in self.written.values_mut() {
            list.retain(|e| *e != id);
        }
        for k in &index {
            self.written.entry(k.clone()).or_default().push(id);
        }
        self.batch.keys.retain(|(e, _)| *e != id);
        self.batch.keys.push((id, index));
    }

    /// The batch to write, and where each linked entry went (stories of
    /// the batch's own making as negative ids).
    pub(super) fn finish(mut self) -> (LinkBatch, Vec<(i64, i64, Option<Rule>)>) {
        let mut roles: Vec<(i64, EntryRole)> = self.roles.into_iter().collect();
        roles.sort_unstable_by_key(|(id, _)| *id);
        self.batch.roles = roles;
        // An entry placed in a story that a later decision merged away is
        // where the merge took it.
        let mut into: HashMap<i64, i64> = HashMap::new();
        for step in &self.batch.steps {
            if let StoryStep::Merge { from, into: to } = step {
                into.insert(*from, *to);
            }
        }
        let last = |mut s: i64| {
            for _ in 0..=into.len() {
                match into.get(&s) {
                    Some(t) => s = *t,
                    None => break,
                }
            }
            s
        };
        for p in &mut self.batch.places {
            p.story = last(p.story);
        }
        for t in &mut self.batch.touched {
            *t = last(*t);
        }
        let placed = self
            .placed
            .into_iter()
            .map(|(id, story, rule)| (id, last(story), rule))
            .collect();
        (self.batch, placed)
    }
}
