//! Near-duplicates in one language: word 3-shingles, MinHash signatures
//! banded for locality-sensitive lookup, and the exact Jaccard similarity
//! of the shingle sets to confirm. A re-post with a corrected typo or a new
//! teaser keeps most shingles; another article on the same topic shares
//! few. Hashes are xxh3, specified and stable across processes and
//! machines (std's `DefaultHasher` is neither).

use std::collections::BTreeSet;

use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

/// Fewer words than this and the text says too little to compare.
pub const MIN_WORDS: usize = 12;
/// Shingle sets this similar are one text.
pub const NEAR_DUPLICATE_JACCARD: f64 = 0.7;
const BANDS: usize = 8;
const ROWS: usize = 2;

/// The hashed 3-word shingles of `words`, or an empty set for short text.
pub fn shingles(words: &[String]) -> BTreeSet<u64> {
    if words.len() < MIN_WORDS {
        return BTreeSet::new();
    }
    words
        .windows(3)
        .map(|w| xxh3_64(w.join(" ").as_bytes()))
        .collect()
}

/// LSH band values of the MinHash signature: two sets with Jaccard 0.7
/// share at least one band with probability 1 − (1 − 0.7²)⁸ ≈ 0.997.
pub fn bands(shingles: &BTreeSet<u64>) -> Vec<u64> {
    if shingles.is_empty() {
        return Vec::new();
    }
    let signature: Vec<u64> = (0..(BANDS * ROWS) as u64)
        .map(|seed| {
            shingles
                .iter()
                .map(|s| xxh3_64_with_seed(&s.to_le_bytes(), seed))
                .min()
                .unwrap_or(0)
        })
        .collect();
    signature
        .chunks(ROWS)
        .map(|rows| {
            let bytes: Vec<u8> = rows.iter().flat_map(|r| r.to_le_bytes()).collect();
            xxh3_64(&bytes)
        })
        .collect()
}

pub fn jaccard(a: &BTreeSet<u64>, b: &BTreeSet<u64>) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = a.intersection(b).count();
    shared as f64 / (a.len() + b.len() - shared) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::text::words;

    const BODY: &str = "Harbour pilots in the northern port walked off the job on Monday \
        after talks over night shifts collapsed, leaving eleven container ships waiting \
        at anchor while the port authority asked a mediator to reopen negotiations \
        before the weekend and unions promised to keep the ferry lanes open for families";

    fn of(text: &str) -> BTreeSet<u64> {
        shingles(&words(text))
    }

    #[test]
    fn a_corrected_typo_is_a_near_duplicate_and_shares_a_band() {
        let a = of(BODY);
        let b = of(&BODY.replace("collapsed", "colapsed"));
        assert!(
            jaccard(&a, &b) >= NEAR_DUPLICATE_JACCARD,
            "{}",
            jaccard(&a, &b)
        );
        let shared = bands(&a)
            .iter()
            .zip(bands(&b))
            .filter(|(x, y)| **x == *y)
            .count();
        assert!(shared >= 1);
    }

    #[test]
    fn a_different_article_on_the_same_topic_is_not() {
        let other = "Harbour pilots in the southern port returned to work on Tuesday after \
            the city council approved a bonus for night shifts, and the first tankers \
            entered the basin at dawn while unions said talks on pensions would resume \
            next month with the regional government and the shipping companies";
        assert!(jaccard(&of(BODY), &of(other)) < 0.2);
    }

    #[test]
    fn short_text_has_no_shingles() {
        assert!(of("Too short to tell").is_empty());
        assert!(bands(&of("Too short to tell")).is_empty());
    }
}
