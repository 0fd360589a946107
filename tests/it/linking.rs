//! Stories: deduplication and translation linking through the real
//! parser, store and linker.

mod batch;
#[path = "linking/eval.rs"]
pub mod eval;
mod scenarios;

use crate::support::sqlite_url;

#[tokio::test]
async fn the_corpus_is_linked_with_high_precision_and_recall() {
    let (_dir, db) = sqlite_url();
    let report = eval::evaluate(&db).await;
    eprintln!(
        "linking: {} entries, {} stories (truth {}), precision {:.3}, recall {:.3}",
        report.entries,
        report.stories_found,
        report.stories_truth,
        report.precision(),
        report.recall()
    );
    for c in report.false_positives.iter().take(10) {
        eprintln!(
            "  wrongly together: {} ({}) + {} ({})",
            c.a, c.truth_a, c.b, c.truth_b
        );
    }
    for c in report.false_negatives.iter().take(10) {
        eprintln!("  wrongly apart: {} + {} ({})", c.a, c.b, c.truth_a);
    }
    assert!(
        report.unknown.is_empty(),
        "entries the truth does not know: {:?}",
        report.unknown
    );
    assert!(
        report.entries >= 90,
        "the corpus is too small: {}",
        report.entries
    );
    assert!(
        report.precision() >= 0.98,
        "precision {:.3}",
        report.precision()
    );
    assert!(report.recall() >= 0.95, "recall {:.3}", report.recall());
    assert!(
        report.invariant_broken.is_empty(),
        "two articles of one language and source in one story: {:?}",
        report.invariant_broken
    );
    assert!(
        report.duplicates_ok >= 10,
        "duplicate groups folded right: {}",
        report.duplicates_ok
    );
    assert!(
        report.duplicates_wrong.is_empty(),
        "{:#?}",
        report.duplicates_wrong
    );
}

#[tokio::test]
async fn the_corpus_links_the_same_on_postgres() {
    let Some(db) = crate::support::postgres_url("the_corpus_links_the_same_on_postgres").await
    else {
        return;
    };
    let report = eval::evaluate(&db).await;
    crate::support::drop_postgres(&db).await;
    assert!(report.unknown.is_empty());
    assert!(
        report.invariant_broken.is_empty(),
        "{:?}",
        report.invariant_broken
    );
    assert!(
        report.duplicates_wrong.is_empty(),
        "{:#?}",
        report.duplicates_wrong
    );
    assert!(
        report.precision() >= 0.98,
        "precision {:.3}",
        report.precision()
    );
    assert!(report.recall() >= 0.95, "recall {:.3}", report.recall());
}
