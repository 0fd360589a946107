//! Evidence when nothing is explicit: two entries in different languages,
//! close in time, sharing an image, an author and — above all — what
//! survives translation (numbers, names). Weights and threshold are set
//! against the evaluation corpus (`tests/fixtures/corpus`, see
//! `tests/it/linking.rs` and `examples/link_eval.rs`).

use super::features::Features;

/// Scores at or above this link two entries.
pub const EVIDENCE_THRESHOLD: f64 = 0.6;
/// Translations arrive within days; beyond this window nothing counts.
const WINDOW_HOURS: f64 = 96.0;
/// A shared image, author and date alone are what a stock photo on two
/// same-day stories by one writer also has: without this much overlap of
/// numbers and names, the score stays below the threshold.
const MIN_CONTENT: f64 = 0.3;

const W_IMAGE: f64 = 0.2;
const W_AUTHOR: f64 = 0.15;
const W_TIME: f64 = 0.15;
const W_CONTENT: f64 = 0.5;

/// A score in 0..=1 that `a` and `b` are versions of one article.
pub fn evidence_score(a: &Features, b: &Features) -> f64 {
    if a.language == b.language {
        return 0.0;
    }
    let time = match (a.published, b.published) {
        (Some(x), Some(y)) => {
            let hours = (x - y).num_minutes().abs() as f64 / 60.0;
            if hours > WINDOW_HOURS {
                return 0.0;
            }
            1.0 - hours / WINDOW_HOURS
        }
        _ => 0.0,
    };
    let image = match (&a.image, &b.image) {
        (Some(x), Some(y)) if x == y => 1.0,
        _ => 0.0,
    };
    let author = if a.authors.intersection(&b.authors).next().is_some() {
        1.0
    } else {
        0.0
    };
    let content = content_overlap(a, b);
    let score = W_IMAGE * image + W_AUTHOR * author + W_TIME * time + W_CONTENT * content;
    if content < MIN_CONTENT {
        score.min(EVIDENCE_THRESHOLD - 0.01)
    } else {
        score
    }
}

/// Overlap of numbers and names, each as shared / smaller side, averaged
/// over the kinds both texts have.
fn content_overlap(a: &Features, b: &Features) -> f64 {
    let mut parts = Vec::new();
    for (x, y, min_size) in [(&a.numbers, &b.numbers, 1usize), (&a.names, &b.names, 2)] {
        let smaller = x.len().min(y.len());
        if smaller >= min_size {
            let shared = x.intersection(y).count();
            // One shared number is weak on its own (a "12" is everywhere).
            let damp = if shared < 2 { 0.5 } else { 1.0 };
            parts.push(damp * shared as f64 / smaller as f64);
        }
    }
    if parts.is_empty() {
        0.0
    } else {
        parts.iter().sum::<f64>() / parts.len() as f64
    }
}
