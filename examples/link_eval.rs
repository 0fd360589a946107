//! Prints the linking evaluation over `tests/fixtures/corpus`: pairwise
//! precision and recall, recall per cue, duplicate groups, the confusion
//! cases, and a sweep of the evidence threshold that shows why
//! `link::EVIDENCE_THRESHOLD` is where it is.
//!
//! Run: `cargo run --example link_eval`

#[path = "../tests/it/linking/eval.rs"]
mod eval;

async fn run_once(threshold: Option<f64>) -> eval::Report {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("eval.sqlite").display());
    match threshold {
        Some(t) => eval::evaluate_with(&db, t).await,
        None => eval::evaluate(&db).await,
    }
}

#[tokio::main]
async fn main() {
    let chosen = wirebridge::link::EVIDENCE_THRESHOLD;
    let r = run_once(None).await;
    println!("corpus: {}", eval::corpus_dir().display());
    println!(
        "{} entries, {} stories found, {} in the truth",
        r.entries, r.stories_found, r.stories_truth
    );
    println!(
        "pairwise precision {:.3}  recall {:.3}  (TP {}, FP {}, FN {})",
        r.precision(),
        r.recall(),
        r.true_pos,
        r.false_pos,
        r.false_neg
    );
    for (cue, (hit, all)) in &r.by_cue {
        println!("  recall for cue {cue:<10} {hit}/{all}");
    }
    println!(
        "duplicate groups folded right: {}/{}",
        r.duplicates_ok,
        r.duplicates_ok + r.duplicates_wrong.len()
    );
    for d in &r.duplicates_wrong {
        println!("  wrong: {d}");
    }
    for c in &r.false_positives {
        println!(
            "  wrongly together: {} ({}) + {} ({})",
            c.a, c.truth_a, c.b, c.truth_b
        );
    }
    for c in &r.false_negatives {
        println!("  wrongly apart: {} + {} ({})", c.a, c.b, c.truth_a);
    }
    println!("\nevidence threshold sweep (chosen: {chosen}):");
    println!("  threshold  precision  recall");
    for t in [0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9] {
        let r = run_once(Some(t)).await;
        println!("  {t:>9.2}  {:>9.3}  {:>6.3}", r.precision(), r.recall());
    }
}
