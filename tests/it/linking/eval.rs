//! Linking evaluation over `tests/fixtures/corpus`: feeds in, stories out,
//! pairwise precision and recall against `truth.toml`. Shared by the test
//! (`linking::the_corpus_is_linked_with_high_precision_and_recall`) and the
//! `link_eval` example that prints the figures and the confusion cases.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use wirebridge::config::Config;
use wirebridge::domain::{Entry, EntryRole};
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
}

#[derive(Deserialize)]
struct TruthDuplicates {
    kind: String,
    urls: Vec<String>,
    sources: Vec<String>,
}

#[derive(Deserialize)]
struct TruthStory {
    id: String,
    #[serde(default)]
    cue: String,
    urls: Vec<String>,
}

/// One pair the linker got wrong.
#[derive(Debug, Clone)]
pub struct Confusion {
    pub a: String,
    pub b: String,
    pub truth_a: String,
    pub truth_b: String,
}

#[derive(Debug, Default)]
pub struct Report {
    pub entries: usize,
    pub stories_truth: usize,
    pub stories_found: usize,
    pub true_pos: usize,
    pub false_pos: usize,
    pub false_neg: usize,
    pub false_positives: Vec<Confusion>,
    pub false_negatives: Vec<Confusion>,
    /// Entries whose URL the truth does not know.
    pub unknown: Vec<String>,
    pub by_cue: BTreeMap<String, (usize, usize)>,
    /// Duplicate groups folded right (one story, one non-duplicate entry),
    /// and the ones that were not, with their kind.
    pub duplicates_ok: usize,
    pub duplicates_wrong: Vec<String>,
    /// Stories holding two non-duplicate entries of one language from one
    /// source (must never happen).
    pub invariant_broken: Vec<String>,
}

impl Report {
    pub fn precision(&self) -> f64 {
        self.true_pos as f64 / (self.true_pos + self.false_pos).max(1) as f64
    }
    pub fn recall(&self) -> f64 {
        self.true_pos as f64 / (self.true_pos + self.false_neg).max(1) as f64
    }
}

pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus")
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

/// Parses every corpus feed, stores and links the entries one at a time in
/// publication order (translations arrive after their originals, as in
/// life), and scores the stories against the truth.
pub async fn evaluate(db_url: &str) -> Report {
    evaluate_with(db_url, wirebridge::link::EVIDENCE_THRESHOLD).await
}

/// `evaluate` with another evidence threshold.
pub async fn evaluate_with(db_url: &str, evidence_threshold: f64) -> Report {
    let dir = corpus_dir();
    let sources: Sources =
        toml::from_str(&std::fs::read_to_string(dir.join("sources.toml")).expect("sources.toml"))
            .expect("sources.toml parses");
    let truth: Truth =
        toml::from_str(&std::fs::read_to_string(dir.join("truth.toml")).expect("truth.toml"))
            .expect("truth.toml parses");
    let config = config_for(&dir, db_url, &sources.sources);
    let store = Store::open(db_url).await.expect("store");
    let linker = Linker::new(store.clone(), &config).with_evidence_threshold(evidence_threshold);
    wirebridge::ingest::poll::register_sources(&store, &config)
        .await
        .expect("sources");

    let mut entries: Vec<Entry> = Vec::new();
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
        entries.extend(parsed.entries);
    }
    entries.sort_by_key(|e| e.published);
    let now = chrono::Utc::now();
    for e in &entries {
        let summary = store
            .upsert_entries(std::slice::from_ref(e), now)
            .await
            .expect("upsert");
        linker
            .link_entries(&summary.changed_ids)
            .await
            .expect("link");
    }

    let mut truth_of: HashMap<String, (String, String)> = HashMap::new();
    for st in &truth.stories {
        for u in &st.urls {
            let u = canonical_url(u).unwrap_or_else(|| u.clone());
            truth_of.insert(u, (st.id.clone(), st.cue.clone()));
        }
    }
    let mut found: Vec<(String, String, i64, String)> = Vec::new(); // url, truth, story, cue
    let mut report = Report {
        stories_truth: truth.stories.len(),
        ..Report::default()
    };
    let mut all = Vec::new();
    for s in &config.sources {
        all.extend(
            store
                .entries_of_source(&s.id, 100_000)
                .await
                .expect("entries"),
        );
    }
    check_duplicates(&truth.duplicates, &all, &mut report);
    check_invariant(&all, &mut report);
    {
        for e in all {
            // truth.toml lists canonical URLs: compare in that form.
            let url = e.entry.canonical_url.clone().unwrap_or_default();
            let story = e.link.as_ref().map(|l| l.story_id).unwrap_or(-e.id);
            match truth_of.get(&url) {
                Some((t, cue)) => found.push((url, t.clone(), story, cue.clone())),
                None => report.unknown.push(url),
            }
        }
    }
    report.entries = found.len();
    let mut stories: Vec<i64> = found.iter().map(|f| f.2).collect();
    stories.sort_unstable();
    stories.dedup();
    report.stories_found = stories.len();
    for i in 0..found.len() {
        for j in i + 1..found.len() {
            let (a, b) = (&found[i], &found[j]);
            let same_truth = a.1 == b.1;
            let same_found = a.2 == b.2;
            let conf = || Confusion {
                a: a.0.clone(),
                b: b.0.clone(),
                truth_a: a.1.clone(),
                truth_b: b.1.clone(),
            };
            if same_truth {
                let slot = report.by_cue.entry(a.3.clone()).or_default();
                slot.1 += 1;
                if same_found {
                    slot.0 += 1;
                }
            }
            match (same_truth, same_found) {
                (true, true) => report.true_pos += 1,
                (false, true) => {
                    report.false_pos += 1;
                    report.false_positives.push(conf());
                }
                (true, false) => {
                    report.false_neg += 1;
                    report.false_negatives.push(conf());
                }
                (false, false) => {}
            }
        }
    }
    store.close().await;
    report
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
        let stories: std::collections::BTreeSet<i64> = copies
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
