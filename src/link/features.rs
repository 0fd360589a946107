//! The features of one entry that linking looks at, and the index keys they
//! make. Keys are strings `kind:value`; the store keeps them per entry so a
//! new entry finds its candidates through an index instead of a scan.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use xxhash_rust::xxh3::xxh3_64;

use super::categories::concepts;
use super::figures::{figures, Figures};
use super::image::file_stem;
use super::minhash::{bands, shingles};
use super::script::{
    arabic_skeleton, arabic_skeletons, is_arabic, latin_skeleton, mostly_arabic, MIN_SKELETON,
};
use super::shape::UrlPattern;
use super::text::{fold, names, number_tokens, tokens, words};
use crate::domain::{Entry, Lang, LinkRel};
use crate::normalize::html_to_text;

/// At most this many names and figures are indexed per entry (the most
/// telling); the score still uses them all.
const INDEXED_TOKENS: usize = 8;
/// An Arabic text's names cannot be told from its other words: this many
/// of its longest word skeletons are indexed for Latin-script versions to
/// find it.
const INDEXED_ARABIC_SKELETONS: usize = 24;
/// Evidence keys are bucketed by three days of publication time; a lookup
/// reads its own bucket and both neighbours (the evidence window).
const BUCKET_SECS: i64 = 3 * 24 * 3600;
/// A late translation comes weeks after its original: the most telling
/// keys (image, the top figures and names) are also bucketed by thirty
/// days, so a lookup still reaches a story whose versions are a month old.
const LATE_BUCKET_SECS: i64 = 30 * 24 * 3600;
const LATE_TOKENS: usize = 4;

#[derive(Clone, Debug)]
pub struct Features {
    pub url: Option<String>,
    pub guid: Option<String>,
    pub language: Lang,
    /// SHA-256 of the folded body words and numbers: the same text under
    /// another URL. Numbers count, so templated items stay apart.
    pub text_hash: Option<String>,
    /// Hashed word-and-number 3-shingles of the body, for near-duplicates.
    pub shingles: BTreeSet<u64>,
    /// The body's numbers, sorted: near-duplicates carry the same ones.
    pub body_numbers: Vec<String>,
    /// hreflang alternates: other language versions this entry names.
    pub alternates: BTreeSet<String>,
    /// The original / via / canonical targets other than the entry itself.
    pub originals: BTreeSet<String>,
    pub shape: Option<String>,
    pub image: Option<String>,
    /// Folded byline names.
    pub authors: BTreeSet<String>,
    pub published: Option<DateTime<Utc>>,
    /// Figures of title, summary and body (see `figures`).
    pub figures: Figures,
    /// Latin-script names, folded (also the Latin names an Arabic text
    /// quotes in parentheses).
    pub names: BTreeSet<String>,
    /// Consonant skeletons for matching names across scripts: every word
    /// of an Arabic text, the names of a Latin one.
    pub skeletons: BTreeSet<String>,
    /// Written mostly in Arabic script.
    pub arabic: bool,
    /// Sections of the feed's categories, language-neutral.
    pub sections: BTreeSet<&'static str>,
    /// The folded name of the outlet the entry comes from (outlets only:
    /// a translation that mentions it credits it).
    pub outlet: Option<String>,
    /// Every folded word, space-separated with a space at both ends, so a
    /// mention is a substring search.
    pub text: String,
    /// The skeleton of every word in order, for mentions across scripts.
    pub word_skeletons: Vec<String>,
}

/// The index keys of an entry, and the keys to look up to find its
/// candidates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keys {
    pub index: Vec<String>,
    /// Identity and explicit-link keys: few entries share one.
    pub strong: Vec<String>,
    /// Evidence keys (image, names, numbers), bucketed by publication time
    /// so that a common name's posting list stays as long as a few days of
    /// news, however large the store grows.
    pub weak: Vec<String>,
}

impl Features {
    pub fn of(entry: &Entry, pattern: Option<&UrlPattern>) -> Features {
        let body_html = entry
            .content
            .as_deref()
            .or(entry.summary.as_deref())
            .unwrap_or("");
        let body = html_to_text(body_html);
        let body_tokens = tokens(&body);
        let text_hash = (body_tokens.len() >= 8)
            .then(|| hex::encode(Sha256::digest(body_tokens.join(" ").as_bytes())));
        let all_text = format!(
            "{}\n{}\n{}",
            entry.title,
            entry
                .summary
                .as_deref()
                .map(html_to_text)
                .unwrap_or_default(),
            body
        );
        let own = entry.canonical_url.as_deref().map(loose_url);
        let not_self = |href: &String| Some(href) != own.as_ref();
        let arabic = mostly_arabic(&all_text);
        let names = names(&all_text);
        let skeletons = if arabic {
            arabic_skeletons(&all_text)
        } else {
            names
                .iter()
                .map(|n| latin_skeleton(n))
                .filter(|s| s.chars().count() >= MIN_SKELETON)
                .collect()
        };
        let all_words = words(&all_text);
        Features {
            url: own.clone(),
            guid: entry.guid.clone(),
            language: entry.language.clone(),
            text_hash,
            shingles: shingles(&body_tokens),
            body_numbers: number_tokens(&body_tokens),
            alternates: entry
                .translation_links()
                .map(|l| loose_url(&l.href))
                .filter(not_self)
                .collect(),
            originals: entry
                .links
                .iter()
                .filter(|l| matches!(l.rel, LinkRel::Original | LinkRel::Via | LinkRel::Canonical))
                .map(|l| loose_url(&l.href))
                .filter(|u| looks_like_an_article(u))
                .filter(not_self)
                .collect(),
            shape: pattern
                .zip(entry.canonical_url.as_deref())
                .and_then(|(p, u)| p.key(u)),
            image: entry.image.as_ref().map(|i| i.url.clone()),
            authors: entry.authors.iter().map(|a| fold(a.name.trim())).collect(),
            published: entry.published.or(entry.updated),
            figures: figures(&all_text, &entry.language),
            names,
            skeletons,
            arabic,
            sections: concepts(&entry.categories),
            outlet: None,
            text: format!(" {} ", all_words.join(" ")),
            word_skeletons: all_words.iter().map(|w| word_skeleton(w)).collect(),
        }
    }

    /// The entry comes from an outlet named `name` (as configured).
    pub fn with_outlet(mut self, name: &str) -> Features {
        let folded = fold(name.trim());
        self.outlet = (!folded.is_empty()).then_some(folded);
        self
    }

    pub fn keys(&self) -> Keys {
        let mut index = Vec::new();
        let mut lookup = Vec::new();
        let mut weak = Vec::new();
        let lang = self.language.as_str();
        if let Some(u) = &self.url {
            index.push(format!("url:{u}"));
            lookup.push(format!("url:{u}"));
            // Entries that name me as their translation or original.
            lookup.push(format!("alt:{u}"));
            lookup.push(format!("orig:{u}"));
        }
        if let Some(g) = &self.guid {
            index.push(format!("guid:{g}"));
            lookup.push(format!("guid:{g}"));
        }
        if let Some(h) = &self.text_hash {
            index.push(format!("text:{h}"));
            lookup.push(format!("text:{h}"));
        }
        // Near-duplicates carry the same numbers (`rules`): keying the bands
        // by them keeps a templated series — same words, other figures —
        // from finding every earlier item as a candidate.
        let numbers = xxh3_64(self.body_numbers.join(" ").as_bytes());
        for (i, band) in bands(&self.shingles).into_iter().enumerate() {
            let k = format!("mh{i}:{lang}:{numbers:016x}{band:016x}");
            index.push(k.clone());
            lookup.push(k);
        }
        for a in &self.alternates {
            index.push(format!("alt:{a}"));
            lookup.push(format!("url:{a}"));
            lookup.push(format!("alt:{a}"));
        }
        for o in &self.originals {
            index.push(format!("orig:{o}"));
            lookup.push(format!("url:{o}"));
            lookup.push(format!("orig:{o}"));
        }
        if let Some(s) = &self.shape {
            index.push(format!("shape:{s}"));
            lookup.push(format!("shape:{s}"));
        }
        if let Some(p) = self.published {
            let mut late: Vec<String> = Vec::new();
            let mut tokens: Vec<String> = Vec::new();
            if let Some(i) = &self.image {
                tokens.push(format!("img:{}", loose_url(i)));
                late.push(format!("img:{}", loose_url(i)));
                if let Some(stem) = file_stem(i) {
                    tokens.push(format!("imgf:{stem}"));
                    late.push(format!("imgf:{stem}"));
                }
            }
            let names: Vec<&String> = longest(&self.names, INDEXED_TOKENS).collect();
            tokens.extend(names.iter().map(|t| format!("name:{t}")));
            let figures = most_telling(&self.figures, INDEXED_TOKENS);
            tokens.extend(figures.iter().map(|t| format!("num:{t}")));
            late.extend(figures.iter().take(LATE_TOKENS).map(|t| format!("num:{t}")));
            let sk_cap = if self.arabic {
                INDEXED_ARABIC_SKELETONS
            } else {
                INDEXED_TOKENS
            };
            let skeletons: Vec<&String> = longest(&self.skeletons, sk_cap).collect();
            tokens.extend(skeletons.iter().map(|t| format!("sk:{t}")));
            late.extend(
                skeletons
                    .iter()
                    .take(if self.arabic { sk_cap } else { LATE_TOKENS })
                    .map(|t| format!("sk:{t}")),
            );
            let lookup_skeletons: Vec<String> = if self.arabic {
                // Any word may be a name: look them all up.
                self.skeletons.iter().map(|t| format!("sk:{t}")).collect()
            } else {
                Vec::new()
            };
            let bucket = p.timestamp().div_euclid(BUCKET_SECS);
            for t in &tokens {
                index.push(format!("{bucket}:{t}"));
                for b in bucket - 1..=bucket + 1 {
                    weak.push(format!("{b}:{t}"));
                }
            }
            for t in &lookup_skeletons {
                for b in bucket - 1..=bucket + 1 {
                    weak.push(format!("{b}:{t}"));
                }
            }
            let month = p.timestamp().div_euclid(LATE_BUCKET_SECS);
            for t in &late {
                index.push(format!("m{month}:{t}"));
                for b in month - 1..=month + 1 {
                    weak.push(format!("m{b}:{t}"));
                }
            }
            if self.arabic {
                for t in &lookup_skeletons {
                    for b in month - 1..=month + 1 {
                        weak.push(format!("m{b}:{t}"));
                    }
                }
            }
        }
        for v in [&mut index, &mut lookup, &mut weak] {
            v.sort();
            v.dedup();
        }
        Keys {
            index,
            strong: lookup,
            weak,
        }
    }
}

/// The index keys under which entries name `canonical`, in the order a
/// look-up by URL trusts them: an entry at that URL, an entry whose
/// original it is, an entry that lists it as a language alternate.
pub fn url_lookup_keys(canonical: &str) -> Vec<String> {
    let loose = loose_url(canonical);
    vec![
        format!("url:{loose}"),
        format!("orig:{loose}"),
        format!("alt:{loose}"),
    ]
}

/// The skeleton of one folded word, whatever its script.
pub fn word_skeleton(folded: &str) -> String {
    if folded.chars().any(is_arabic) {
        arabic_skeleton(folded)
    } else {
        latin_skeleton(folded)
    }
}

/// Figures by weight (the most telling first), then longest.
fn most_telling(figures: &Figures, n: usize) -> Vec<String> {
    let mut v: Vec<(&String, &f64)> = figures.iter().collect();
    v.sort_by(|a, b| {
        b.1.total_cmp(a.1)
            .then(b.0.len().cmp(&a.0.len()))
            .then(a.0.cmp(b.0))
    });
    v.into_iter().take(n).map(|(t, _)| t.clone()).collect()
}

/// The form URLs are matched in: scheme and a leading `www.` dropped, so
/// `http://www.x.example/a` and `https://x.example/a` meet. Any form of a
/// URL may come in (a published one too): it is canonicalized first.
pub fn loose_url(url: &str) -> String {
    let canonical = crate::normalize::canonical_url(url);
    let canonical = canonical.as_deref().unwrap_or(url);
    match url::Url::parse(canonical) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("");
            let host = host.strip_prefix("www.").unwrap_or(host);
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            let path = u.path().trim_end_matches('/');
            let query = u.query().map(|q| format!("?{q}")).unwrap_or_default();
            format!("{host}{port}{path}{query}")
        }
        Err(_) => canonical.to_string(),
    }
}

/// A site's front page or a feed is not an article: RSS `<source url>`
/// names the feed an item came from, and every item of that feed shares it.
pub fn looks_like_an_article(loose: &str) -> bool {
    let path = loose.split_once('/').map(|(_, p)| p).unwrap_or("");
    let lower = path.to_ascii_lowercase();
    !(path.is_empty()
        || lower.ends_with("feed")
        || lower.ends_with("rss")
        || lower.ends_with("atom")
        || lower.ends_with(".xml")
        || lower.ends_with(".rss")
        || lower.ends_with(".atom")
        || lower.ends_with(".json"))
}

fn longest(set: &BTreeSet<String>, n: usize) -> impl Iterator<Item = &String> {
    let mut v: Vec<&String> = set.iter().collect();
    v.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
    v.truncate(n);
    v.into_iter()
}
