//! Stories: deduplication and translation linking through the real
//! parser, store and linker.

mod batch;
#[path = "linking/eval.rs"]
pub mod eval;
mod order;
mod scenarios;
mod templated;

use crate::support::sqlite_url;

fn print(report: &eval::Report) {
    eprintln!(
        "linking: {} entries, {} stories (truth {}), precision {:.3}, recall {:.3}, \
         implicit-cue recall {:.3}",
        report.entries,
        report.stories_found,
        report.stories_truth,
        report.precision(),
        report.recall(),
        report.cue_recall("evidence"),
    );
    for (name, held_out) in [("tuned", false), ("held-out", true)] {
        let c = report.split(held_out);
        eprintln!(
            "  {name}: precision {:.3}, recall {:.3} (TP {}, FP {}, FN {})",
            c.precision(),
            c.recall(),
            c.tp,
            c.fp,
            c.fn_
        );
    }
    for c in report.false_positives.iter().take(10) {
        eprintln!(
            "  wrongly together: {} ({}) + {} ({})\n    {}",
            c.a, c.truth_a, c.b, c.truth_b, c.evidence
        );
    }
    for c in report.false_negatives.iter().take(10) {
        eprintln!(
            "  wrongly apart: {} + {} ({})\n    {}",
            c.a, c.b, c.truth_a, c.evidence
        );
    }
}

/// What a reader of the corpus would notice: every item where the truth
/// says, translations together, distinct articles apart, duplicates
/// folded, the invariant kept.
fn assert_linked_well(report: &eval::Report) {
    assert!(
        report.unknown.is_empty(),
        "entries the truth does not know: {:?}",
        report.unknown
    );
    assert!(
        report.missing.is_empty(),
        "truth URLs no entry has: {:?}",
        report.missing
    );
    assert!(
        report.entries >= 240,
        "the corpus is too small: {}",
        report.entries
    );
    assert!(
        report.precision() >= 0.99,
        "precision {:.3}",
        report.precision()
    );
    assert!(report.recall() >= 0.97, "recall {:.3}", report.recall());
    assert!(
        report.cue_recall("evidence") >= 0.93,
        "recall on the implicit-cue stories {:.3}",
        report.cue_recall("evidence")
    );
    assert!(
        report.invariant_broken.is_empty(),
        "two articles of one language and source in one story: {:?}",
        report.invariant_broken
    );
    assert!(
        report.duplicates_ok >= 12,
        "duplicate groups folded right: {}",
        report.duplicates_ok
    );
    assert!(
        report.duplicates_wrong.is_empty(),
        "{:#?}",
        report.duplicates_wrong
    );
    assert!(
        report.negatives_merged.is_empty(),
        "hard negatives linked: {:?}",
        report.negatives_merged
    );
}

#[tokio::test]
async fn the_corpus_is_linked_with_high_precision_and_recall() {
    let (_dir, db) = sqlite_url();
    let report = eval::evaluate(&db).await;
    print(&report);
    assert_linked_well(&report);
}

#[tokio::test]
async fn the_corpus_links_the_same_on_postgres() {
    let Some(db) = crate::support::postgres_url("the_corpus_links_the_same_on_postgres").await
    else {
        return;
    };
    let report = eval::evaluate(&db).await;
    crate::support::drop_postgres(&db).await;
    print(&report);
    assert_linked_well(&report);
}
