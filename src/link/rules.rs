//! The linking rules, in precedence order — the one place that says which
//! signal wins. A new entry is compared with each candidate the indexes
//! found; the first rule that holds names the relation.
//!
//! 1. **Duplicate** — the same article in the same language: same canonical
//!    URL, same guid, same body words and numbers, or near-identical body
//!    shingles with the same numbers. Checked first because a duplicate
//!    must never become a second "version" of a story; numbers count
//!    because a templated bulletin and the next day's differ only in them.
//! 2. **Hreflang** — the publisher said so: one names the other as an
//!    alternate, or both name the same alternate (transitivity through a
//!    page we may not have ingested yet).
//! 3. **Original** — both point at the same original article, or one points
//!    at the other. The publisher's "Original article" line is as explicit
//!    as hreflang, but names only the source, not the siblings.
//! 4. **UrlShape** — the operator declared a shape (`/{lang}/{slug}`) and
//!    both URLs have it with one slug. Declared, but about URLs, not pages.
//! 5. **Evidence** — nothing explicit: a score over what survives
//!    translation (figures, names), image, author, outlet, section and
//!    time, against a threshold set on the corpus (`evidence`).
//!
//! Operator overrides (`wirebridge link` / `unlink`) sit above all of these
//! (the linker reads them); `decide` picks the story by this precedence and
//! enforces the invariant that a story never holds two non-duplicate
//! entries of one language from one source.

use super::evidence::{evidence, EVIDENCE_THRESHOLD};
use super::features::Features;
use super::minhash::{jaccard, NEAR_DUPLICATE_JACCARD};
use super::rarity::Rarity;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    Override,
    Duplicate,
    Hreflang,
    Original,
    UrlShape,
    Evidence,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Override => "override",
            Rule::Duplicate => "duplicate",
            Rule::Hreflang => "hreflang",
            Rule::Original => "original",
            Rule::UrlShape => "url_shape",
            Rule::Evidence => "evidence",
        }
    }

    pub fn parse(raw: &str) -> Option<Rule> {
        Some(match raw {
            "override" => Rule::Override,
            "duplicate" => Rule::Duplicate,
            "hreflang" => Rule::Hreflang,
            "original" => Rule::Original,
            "url_shape" => Rule::UrlShape,
            "evidence" => Rule::Evidence,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Relation {
    pub rule: Rule,
    /// A short human reason: "same canonical URL", "score 0.72".
    pub why: String,
}

fn rel(rule: Rule, why: impl Into<String>) -> Option<Relation> {
    Some(Relation {
        rule,
        why: why.into(),
    })
}

/// How `new` relates to `old`, by the first rule that holds.
pub fn relation(new: &Features, old: &Features) -> Option<Relation> {
    relation_in(new, old, &Rarity::none(), EVIDENCE_THRESHOLD)
}

/// `relation` with another evidence threshold: the evaluation sweeps it to
/// show why `EVIDENCE_THRESHOLD` is where it is.
pub fn relation_with(new: &Features, old: &Features, evidence_threshold: f64) -> Option<Relation> {
    relation_in(new, old, &Rarity::none(), evidence_threshold)
}

/// `relation_with`, names and figures weighted by their rarity among the
/// candidates the index found.
pub fn relation_in(
    new: &Features,
    old: &Features,
    rarity: &Rarity,
    evidence_threshold: f64,
) -> Option<Relation> {
    let same_lang = new.language == old.language;
    if new.url.is_some() && new.url == old.url {
        return rel(Rule::Duplicate, "same canonical URL");
    }
    if new.guid.is_some() && new.guid == old.guid {
        return rel(Rule::Duplicate, "same guid");
    }
    if same_lang && new.text_hash.is_some() && new.text_hash == old.text_hash {
        return rel(Rule::Duplicate, "same text under another URL");
    }
    if same_lang && new.body_numbers == old.body_numbers {
        let j = jaccard(&new.shingles, &old.shingles);
        if j >= NEAR_DUPLICATE_JACCARD {
            return rel(
                Rule::Duplicate,
                format!("near-identical text (Jaccard {j:.2})"),
            );
        }
    }
    let names =
        |f: &Features, url: &Option<String>| url.as_ref().is_some_and(|u| f.alternates.contains(u));
    if names(new, &old.url) || names(old, &new.url) {
        return rel(Rule::Hreflang, "hreflang alternate");
    }
    if new
        .alternates
        .intersection(&old.alternates)
        .next()
        .is_some()
    {
        return rel(Rule::Hreflang, "hreflang alternates in common");
    }
    let points =
        |f: &Features, url: &Option<String>| url.as_ref().is_some_and(|u| f.originals.contains(u));
    if points(new, &old.url) || points(old, &new.url) {
        return rel(Rule::Original, "one is the other's original");
    }
    if new.originals.intersection(&old.originals).next().is_some() {
        return rel(Rule::Original, "same original article");
    }
    if !same_lang && new.shape.is_some() && new.shape == old.shape {
        return rel(Rule::UrlShape, "same slug in the declared URL shape");
    }
    let ev = evidence(new, old, rarity);
    if ev.score >= evidence_threshold {
        return rel(Rule::Evidence, ev.summary());
    }
    None
}
