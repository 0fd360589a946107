//! Linking evaluation over `tests/fixtures/corpus`: feeds in, stories out,
//! pairwise precision and recall against `truth.toml` — overall, per split
//! (tuned / held out), per cue, per language pair and per trait — with the
//! evidence found for every pair the linker got wrong. Shared by the tests
//! (`linking::*`) and the `link_eval` example that prints the figures.

#![allow(dead_code)] // the example and the tests use different parts

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::Deserialize;
use wirebridge::config::Config;
use wirebridge::domain::{Entry, EntryRole, Role};
use wirebridge::link::{self, Features, Rarity};
use wirebridge::linker::Linker;
use wirebridge::normalize::{canonical_url, parse_feed, FeedContext};
use wirebridge::store::{Store, StoredEntry};

#[derive(Deserialize)]
struct Sources {
    sources: Vec<CorpusSource>,
}

#[derive(Deserialize)]
struct CorpusSource {
    id: String,
    name: String,
    role: String,
    language: String,
    file: String,
    url_pattern: Option<String>,
    /// Where the feed would be fetched from: the base for relative links.
    feed_url: String,
}

#[derive(Deserialize)]
struct Truth {
    stories: Vec<TruthStory>,
    #[serde(default)]
    duplicates: Vec<TruthDuplicates>,
    #[serde(default)]
    negatives: Vec<TruthNegative>,
}

#[derive(Deserialize)]
struct TruthDuplicates {
    kind: String,
    urls: Vec<String>,
    sources: Vec<String>,
}

#[derive(Deserialize)]
struct TruthNegative {
    stories: Vec<String>,
}

#[derive(Deserialize)]
struct TruthStory {
    id: String,
    #[serde(default)]
    cue: String,
    #[serde(default)]
    split: Option<String>,
    #[serde(default)]
    traits: Vec<String>,
    urls: Vec<String>,
}

/// The order entries reach the linker in. Linking must not depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// By publication time, one at a time (as in life).
    Published,
    /// Every outlet entry first, then the publisher's.
    OriginalsFirst,
    /// Every publisher entry first, then the outlets'.
    TranslationsFirst,
    /// A fixed-seed shuffle, one at a time.
    Shuffled(u64),
    /// One feed after another, each stored and linked whole (as a poll).
    FeedByFeed,
}

/// What the truth says of one entry, and where the linker put it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub url: String,
    pub language: String,
    pub story: String,
    pub cue: String,
    pub held_out: bool,
    pub traits: Vec<String>,
    pub found: i64,
    pub id: i64,
}

/// One pair the linker got wrong, with the evidence found between them.
#[derive(Debug, Clone)]
pub struct Confusion {
    pub a: String,
    pub b: String,
    pub truth_a: String,
    pub truth_b: String,
    pub held_out: bool,
    pub evidence: String,
}

#[derive(Debug, Default)]
pub struct Report {
    pub entries: usize,
    pub stories_truth: usize,
    pub stories_found: usize,
    pub seen: Vec<Seen>,
    pub false_positives: Vec<Confusion>,
    pub false_negatives: Vec<Confusion>,
    /// Entries whose URL the truth does not know.
    pub unknown: Vec<String>,
    /// Truth URLs no stored entry has (a feed item lost or overwritten).
    pub missing: Vec<String>,
    /// Duplicate groups folded right (one story, one non-duplicate entry),
    /// and the ones that were not, with their kind.
    pub duplicates_ok: usize,
    pub duplicates_wrong: Vec<String>,
    /// Stories holding two non-duplicate entries of one language from one
    /// source (must never happen).
    pub invariant_broken: Vec<String>,
    /// Negative story pairs (truth `[[negatives]]`) found together.
    pub negatives: usize,
    pub negatives_merged: Vec<String>,
}

/// Pairwise counts over the pairs a filter keeps.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }
    pub fn recall(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fn_).max(1) as f64
    }
}

impl Report {
    /// Counts over the pairs `keep` accepts.
    pub fn counts(&self, keep: impl Fn(&Seen, &Seen) -> bool) -> Counts {
        let mut c = Counts::default();
        for (i, a) in self.seen.iter().enumerate() {
            for b in &self.seen[i + 1..] {
                if !keep(a, b) {
                    continue;
                }
                match (a.story == b.story, a.found == b.found) {
                    (true, true) => c.tp += 1,
                    (false, true) => c.fp += 1,
                    (true, false) => c.fn_ += 1,
                    (false, false) => {}
                }
            }
        }
        c
    }

    pub fn all(&self) -> Counts {
        self.counts(|_, _| true)
    }

    pub fn precision(&self) -> f64 {
        self.all().precision()
    }

    pub fn recall(&self) -> f64 {
        self.all().recall()
    }

    /// A pair is held out when either entry's story is.
    pub fn split(&self, held_out: bool) -> Counts {
        self.counts(|a, b| (a.held_out || b.held_out) == held_out)
    }

    /// Pairs within the stories of one cue (recall), or touching one
    /// (precision), in one split or both.
    pub fn cue(&self, cue: &str, held_out: Option<bool>) -> Counts {
        self.counts(|a, b| {
            (a.cue == cue || b.cue == cue)
                && held_out.is_none_or(|h| (a.held_out || b.held_out) == h)
        })
    }

    /// Recall over the stories of one cue alone (both entries of it).
    pub fn cue_recall(&self, cue: &str) -> f64 {
        self.counts(|a, b| a.cue == cue && b.cue == cue).recall()
    }

    pub fn cues(&self) -> BTreeSet<String> {
        self.seen.iter().map(|s| s.cue.clone()).collect()
    }

    /// Counts per language pair (`en+fr`), both splits or one.
    pub fn language_pairs(&self, held_out: Option<bool>) -> BTreeMap<String, Counts> {
        let mut pairs: BTreeSet<String> = BTreeSet::new();
        for a in &self.seen {
            for b in &self.seen {
                if a.language != b.language {
                    pairs.insert(lang_pair(a, b));
                }
            }
        }
        pairs
            .into_iter()
            .map(|p| {
                let c = self.counts(|a, b| {
                    lang_pair(a, b) == p && held_out.is_none_or(|h| (a.held_out || b.held_out) == h)
                });
                (p, c)
            })
            .filter(|(_, c)| c.tp + c.fp + c.fn_ > 0)
            .collect()
    }

    /// Recall per trait of the stories that carry it.
    pub fn traits(&self, held_out: Option<bool>) -> BTreeMap<String, Counts> {
        let all: BTreeSet<&String> = self.seen.iter().flat_map(|s| &s.traits).collect();
        all.into_iter()
            .map(|t| {
                let c = self.counts(|a, b| {
                    a.traits.contains(t)
                        && b.traits.contains(t)
                        && held_out.is_none_or(|h| (a.held_out || b.held_out) == h)
                });
                (t.clone(), c)
            })
            .collect()
    }
}

fn lang_pair(a: &Seen, b: &Seen) -> String {
    let mut p = [a.language.as_str(), b.language.as_str()];
    p.sort_unstable();
    format!("{}+{}", p[0], p[1])
}

pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus")
}

fn load() -> (Sources, Truth) {
    let dir = corpus_dir();
    let sources: Sources =
        toml::from_str(&std::fs::read_to_string(dir.join("sources.toml")).expect("sources.toml"))
            .expect("sources.toml parses");
    let truth: Truth =
        toml::from_str(&std::fs::read_to_string(dir.join("truth.toml")).expect("truth.toml"))
            .expect("truth.toml parses");
    (sources, truth)
}

fn config_for(dir: &Path, db: &str, sources: &[CorpusSource]) -> Config {
    let mut toml = format!(
        "[server]\nbind = \"127.0.0.1:0\"\npublic_url = \"https://wire.example.org\"\n\
         [database]\nurl = \"{db}\"\n[publisher]\nname = \"The Wire\"\n\
         languages = [\"en\", \"pt-BR\", \"de\", \"fr\", \"ar\", \"es\"]\n"
    );
    for s in sources {
        let path = dir.join(&s.file);
        toml.push_str(&format!(
            "[[sources]]\nid = \"{}\"\nname = \"{}\"\nrole = \"{}\"\nurl = \"file://{}\"\nlanguage = \"{}\"\n",
            s.id,
            s.name.replace('"', "'"),
            s.role,
            path.display(),
            s.language
        ));
        if let Some(p) = &s.url_pattern {
            toml.push_str(&format!("url_pattern = \"{p}\"\n"));
        }
    }
    Config::parse(&dir.join("generated.toml"), &toml).expect("corpus config")
}

/// The corpus stored and linked in `order`: the store (left open) and the
/// configuration it was linked under.
pub async fn ingest(db_url: &str, evidence_threshold: f64, order: Order) -> (Store, Config) {
    let dir = corpus_dir();
    let (sources, _) = load();
    let config = config_for(&dir, db_url, &sources.sources);
    let store = Store::open(db_url).await.expect("store");
    let linker = Linker::new(store.clone(), &config).with_evidence_threshold(evidence_threshold);
    wirebridge::ingest::poll::register_sources(&store, &config)
        .await
        .expect("sources");

    let mut feeds: Vec<(Role, Vec<Entry>)> = Vec::new();
    for (s, raw) in config.sources.iter().zip(&sources.sources) {
        let path = s.url.to_file_path().expect("file url");
        let bytes = std::fs::read(&path).expect("feed file");
        let base = url::Url::parse(&raw.feed_url).expect("feed_url");
        let ctx = FeedContext {
            source: &s.id,
            fallback_language: &s.language,
            base_url: &base,
            content_type: None,
        };
        let parsed = parse_feed(&bytes, &ctx)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
        feeds.push((s.role, parsed.entries));
    }
    let now = chrono::Utc::now();
    let batches: Vec<Vec<Entry>> = match order {
        Order::FeedByFeed => feeds.into_iter().map(|(_, es)| es).collect(),
        _ => {
            let mut all: Vec<(Role, Entry)> = feeds
                .into_iter()
                .flat_map(|(r, es)| es.into_iter().map(move |e| (r, e)))
                .collect();
            all.sort_by_key(|(_, e)| e.published);
            match order {
                Order::OriginalsFirst => all.sort_by_key(|(r, _)| *r != Role::Outlet),
                Order::TranslationsFirst => all.sort_by_key(|(r, _)| *r == Role::Outlet),
                Order::Shuffled(seed) => {
                    all.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
                }
                _ => {}
            }
            all.into_iter().map(|(_, e)| vec![e]).collect()
        }
    };
    for batch in &batches {
        let summary = store.upsert_entries(batch, now).await.expect("upsert");
        linker
            .link_entries(&summary.changed_ids)
            .await
            .expect("link");
    }
    (store, config)
}

/// Stores and links the corpus by publication time and scores it.
pub async fn evaluate(db_url: &str) -> Report {
    evaluate_in(
        db_url,
        wirebridge::link::EVIDENCE_THRESHOLD,
        Order::Published,
    )
    .await
}

/// `evaluate` with another evidence threshold.
pub async fn evaluate_with(db_url: &str, evidence_threshold: f64) -> Report {
    evaluate_in(db_url, evidence_threshold, Order::Published).await
}

/// `evaluate` with another threshold and arrival order.
pub async fn evaluate_in(db_url: &str, evidence_threshold: f64, order: Order) -> Report {
    let (store, config) = ingest(db_url, evidence_threshold, order).await;
    let report = score(&store, &config).await;
    store.close().await;
    report
}

/// Every stored entry of the corpus sources.
pub async fn all_entries(store: &Store, config: &Config) -> Vec<StoredEntry> {
    let mut all = Vec::new();
    for s in &config.sources {
        all.extend(
            store
                .entries_of_source(&s.id, 100_000)
                .await
                .expect("entries"),
        );
    }
    all
}

/// Scores what is in `store` against the truth.
pub async fn score(store: &Store, config: &Config) -> Report {
    let (_, truth) = load();
    let mut truth_of: HashMap<String, &TruthStory> = HashMap::new();
    for st in &truth.stories {
        for u in &st.urls {
            let u = canonical_url(u).unwrap_or_else(|| u.clone());
            truth_of.insert(u, st);
        }
    }
    let mut report = Report {
        stories_truth: truth.stories.len(),
        ..Report::default()
    };
    let all = all_entries(store, config).await;
    check_duplicates(&truth.duplicates, &all, &mut report);
    check_invariant(&all, &mut report);
    for e in &all {
        // truth.toml lists canonical URLs: compare in that form.
        let url = e.entry.canonical_url.clone().unwrap_or_default();
        let found = e.link.as_ref().map(|l| l.story_id).unwrap_or(-e.id);
        match truth_of.get(&url) {
            Some(t) => report.seen.push(Seen {
                url,
                language: e.entry.language.as_str().to_string(),
                story: t.id.clone(),
                cue: t.cue.clone(),
                held_out: t.split.as_deref() == Some("held_out"),
                traits: t.traits.clone(),
                found,
                id: e.id,
            }),
            None => report.unknown.push(url),
        }
    }
    let stored: BTreeSet<&str> = report.seen.iter().map(|s| s.url.as_str()).collect();
    report.missing = truth_of
        .keys()
        .filter(|u| !stored.contains(u.as_str()))
        .cloned()
        .collect();
    report.entries = report.seen.len();
    let stories: BTreeSet<i64> = report.seen.iter().map(|s| s.found).collect();
    report.stories_found = stories.len();
    let found_of: HashMap<&str, BTreeSet<i64>> =
        report.seen.iter().fold(HashMap::new(), |mut m, s| {
            m.entry(s.story.as_str()).or_default().insert(s.found);
            m
        });
    for n in &truth.negatives {
        if let [a, b] = n.stories.as_slice() {
            report.negatives += 1;
            let (fa, fb) = (found_of.get(a.as_str()), found_of.get(b.as_str()));
            if let (Some(fa), Some(fb)) = (fa, fb) {
                if fa.intersection(fb).next().is_some() {
                    report.negatives_merged.push(format!("{a} + {b}"));
                }
            }
        }
    }
    let explainer = Explainer::new(store, config, &all);
    let mut wrong: Vec<(usize, usize)> = Vec::new();
    for i in 0..report.seen.len() {
        for j in i + 1..report.seen.len() {
            let (a, b) = (&report.seen[i], &report.seen[j]);
            if (a.story == b.story) != (a.found == b.found) {
                wrong.push((i, j));
            }
        }
    }
    for (i, j) in wrong {
        let (a, b) = (&report.seen[i], &report.seen[j]);
        let c = Confusion {
            a: a.url.clone(),
            b: b.url.clone(),
            truth_a: a.story.clone(),
            truth_b: b.story.clone(),
            held_out: a.held_out || b.held_out,
            evidence: explainer.explain(store, a.id, b.id).await,
        };
        if a.story == b.story {
            report.false_negatives.push(c);
        } else {
            report.false_positives.push(c);
        }
    }
    report
}

/// Recomputes, for a pair, what the linker saw: the later entry's
/// candidates (from the final store) and the evidence between the two.
struct Explainer {
    config: Config,
    features: HashMap<i64, Features>,
    stories: HashMap<i64, i64>,
    published: HashMap<i64, Option<chrono::DateTime<chrono::Utc>>>,
}

impl Explainer {
    fn new(_store: &Store, config: &Config, all: &[StoredEntry]) -> Explainer {
        let mut features = HashMap::new();
        let mut stories = HashMap::new();
        let mut published = HashMap::new();
        for e in all {
            let source = config.source(&e.entry.source).expect("source");
            let mut f = Features::of(&e.entry, source.url_pattern.as_ref());
            if source.role == Role::Outlet {
                f = f.with_outlet(&source.name);
            }
            features.insert(e.id, f);
            stories.insert(e.id, e.link.as_ref().map_or(-e.id, |l| l.story_id));
            published.insert(e.id, e.entry.published);
        }
        Explainer {
            config: config.clone(),
            features,
            stories,
            published,
        }
    }

    /// The later entry, the earlier one, the later one's candidates and
    /// the rarity among them.
    async fn seen_by(&self, store: &Store, a: i64, b: i64) -> (i64, i64, Vec<i64>, Rarity) {
        let (late, early) = if self.published[&a] >= self.published[&b] {
            (a, b)
        } else {
            (b, a)
        };
        let cands = Linker::new(store.clone(), &self.config)
            .candidates(late)
            .await
            .expect("candidates");
        let rarity = Rarity::of(
            cands
                .iter()
                .filter_map(|id| Some((*self.stories.get(id)?, self.features.get(id)?))),
        );
        (late, early, cands, rarity)
    }

    async fn evidence(&self, store: &Store, a: i64, b: i64) -> link::Evidence {
        let (late, early, _, rarity) = self.seen_by(store, a, b).await;
        link::evidence(&self.features[&late], &self.features[&early], &rarity)
    }

    async fn explain(&self, store: &Store, a: i64, b: i64) -> String {
        let (late, early, cands, rarity) = self.seen_by(store, a, b).await;
        let (fl, fe) = (&self.features[&late], &self.features[&early]);
        let found = if cands.contains(&early) {
            ""
        } else {
            "not a candidate; "
        };
        match link::relation_in(fl, fe, &rarity, f64::INFINITY) {
            Some(r) => format!("{found}{}: {}", r.rule.as_str(), r.why),
            None => format!("{found}{}", link::evidence(fl, fe, &rarity).summary()),
        }
    }
}

/// The evidence score of every cross-language pair of one split that no
/// explicit rule links (same truth story or not), lowest true pairs and
/// highest false pairs first: how far each side is from the threshold.
pub async fn margins(store: &Store, config: &Config, held_out: bool) -> Vec<(bool, f64, String)> {
    let report = score(store, config).await;
    let all = all_entries(store, config).await;
    let explainer = Explainer::new(store, config, &all);
    let mut out = Vec::new();
    for (i, a) in report.seen.iter().enumerate() {
        for b in &report.seen[i + 1..] {
            if a.language == b.language || (a.held_out || b.held_out) != held_out {
                continue;
            }
            let (fa, fb) = (&explainer.features[&a.id], &explainer.features[&b.id]);
            if link::relation_in(fa, fb, &Rarity::none(), f64::INFINITY).is_some() {
                continue; // an explicit rule links them
            }
            let ev = explainer.evidence(store, a.id, b.id).await;
            if ev.veto == Some("same language") || ev.veto == Some("too far apart in time") {
                continue;
            }
            let same = a.story == b.story;
            out.push((
                same,
                ev.unvetoed,
                format!(
                    "{} + {} ({} / {}): {}",
                    a.url,
                    b.url,
                    a.story,
                    b.story,
                    ev.summary()
                ),
            ));
        }
    }
    out
}

/// Each duplicate group: its copies in one story, exactly one of them not
/// marked duplicate.
fn check_duplicates(groups: &[TruthDuplicates], all: &[StoredEntry], report: &mut Report) {
    for g in groups {
        let urls: Vec<String> = g
            .urls
            .iter()
            .map(|u| canonical_url(u).unwrap_or_else(|| u.clone()))
            .collect();
        let copies: Vec<&StoredEntry> = all
            .iter()
            .filter(|e| {
                e.entry
                    .canonical_url
                    .as_ref()
                    .is_some_and(|u| urls.contains(u))
                    && g.sources.iter().any(|s| s == e.entry.source.as_str())
            })
            .collect();
        let stories: BTreeSet<i64> = copies
            .iter()
            .filter_map(|e| e.link.as_ref().map(|l| l.story_id))
            .collect();
        let primaries = copies
            .iter()
            .filter(|e| {
                e.link
                    .as_ref()
                    .is_some_and(|l| l.role != EntryRole::Duplicate)
            })
            .count();
        if copies.len() >= 2 && stories.len() == 1 && primaries == 1 {
            report.duplicates_ok += 1;
        } else {
            report.duplicates_wrong.push(format!(
                "{} {:?}: {} copies, {} stories, {} not marked duplicate",
                g.kind,
                g.urls,
                copies.len(),
                stories.len(),
                primaries
            ));
        }
    }
}

fn check_invariant(all: &[StoredEntry], report: &mut Report) {
    let mut seen: HashMap<(i64, &str, &str), &str> = HashMap::new();
    for e in all {
        let Some(l) = &e.link else { continue };
        if l.role == EntryRole::Duplicate {
            continue;
        }
        let key = (
            l.story_id,
            e.entry.source.as_str(),
            e.entry.language.as_str(),
        );
        let url = e.entry.url.as_deref().unwrap_or("");
        if let Some(other) = seen.insert(key, url) {
            report
                .invariant_broken
                .push(format!("story {}: {other} and {url}", l.story_id));
        }
    }
}
