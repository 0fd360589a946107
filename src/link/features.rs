//! The features of one entry that linking looks at, and the index keys they
//! make. Keys are strings `kind:value`; the store keeps them per entry so a
//! new entry finds its candidates through an index instead of a scan.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::minhash::{bands, shingles};
use super::shape::UrlPattern;
use super::text::{fold, names, numbers, words};
use crate::domain::{Entry, Lang, LinkRel};
use crate::normalize::html_to_text;

/// At most this many names and numbers are indexed per entry (the longest:
/// the most telling); the score still uses them all.
const INDEXED_TOKENS: usize = 8;
/// Evidence keys are bucketed by three days of publication time; a lookup
/// reads its own bucket and both neighbours (the evidence window).
const BUCKET_SECS: i64 = 3 * 24 * 3600;

#[derive(Clone, Debug)]
pub struct Features {
    pub url: Option<String>,
    pub guid: Option<String>,
    pub language: Lang,
    /// SHA-256 of the folded body words: the same text under another URL.
    pub text_hash: Option<String>,
    /// Hashed word 3-shingles of the body, for near-duplicates.
    pub shingles: BTreeSet<u64>,
    /// hreflang alternates: other language versions this entry names.
    pub alternates: BTreeSet<String>,
    /// The original / via / canonical targets other than the entry itself.
    pub originals: BTreeSet<String>,
    pub shape: Option<String>,
    pub image: Option<String>,
    pub authors: BTreeSet<String>,
    pub published: Option<DateTime<Utc>>,
    pub numbers: BTreeSet<String>,
    pub names: BTreeSet<String>,
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
        let body_words = words(&body);
        let text_hash = (body_words.len() >= 8)
            .then(|| hex::encode(Sha256::digest(body_words.join(" ").as_bytes())));
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
        Features {
            url: own.clone(),
            guid: entry.guid.clone(),
            language: entry.language.clone(),
            text_hash,
            shingles: shingles(&body_words),
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
            numbers: numbers(&all_text),
            names: names(&all_text),
        }
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
        for (i, band) in bands(&self.shingles).into_iter().enumerate() {
            let k = format!("mh{i}:{lang}:{band:016x}");
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
        if let Some(bucket) = self
            .published
            .map(|p| p.timestamp().div_euclid(BUCKET_SECS))
        {
            let mut tokens: Vec<String> = Vec::new();
            if let Some(i) = &self.image {
                tokens.push(format!("img:{i}"));
            }
            tokens.extend(longest(&self.names, INDEXED_TOKENS).map(|t| format!("name:{t}")));
            tokens.extend(longest(&self.numbers, INDEXED_TOKENS).map(|t| format!("num:{t}")));
            for t in &tokens {
                index.push(format!("{bucket}:{t}"));
                for b in bucket - 1..=bucket + 1 {
                    weak.push(format!("{b}:{t}"));
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
