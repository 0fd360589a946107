//! Prints the linking evaluation over `tests/fixtures/corpus`: pairwise
//! precision and recall for the tuned and the held-out split, per cue, per
//! language pair and per trait, the duplicate groups, every pair the
//! linker got wrong with the evidence it found, and a sweep of the
//! evidence threshold that shows why `link::EVIDENCE_THRESHOLD` is where
//! it is.
//!
//! Run: `cargo run --example link_eval` (add `--margins` for the evidence
//! of every cross-language pair of the tuned split nearest the threshold;
//! `--margins-held-out` for the held-out split, never for tuning).

#[path = "../tests/it/linking/eval.rs"]
mod eval;

use eval::{Counts, Order, Report};

fn temp_db() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("eval.sqlite").display());
    (dir, db)
}

fn line(label: &str, c: Counts) -> String {
    // A figure over no pairs is no figure.
    let fig = |n: usize, v: f64| {
        if n == 0 {
            "    -".to_string()
        } else {
            format!("{v:.3}")
        }
    };
    format!(
        "  {label:<22} precision {}  recall {}  (TP {}, FP {}, FN {})",
        fig(c.tp + c.fp, c.precision()),
        fig(c.tp + c.fn_, c.recall()),
        c.tp,
        c.fp,
        c.fn_
    )
}

fn print_split(r: &Report, held_out: bool) {
    let name = if held_out { "held-out" } else { "tuned" };
    println!("\n== {name} split ==");
    println!("{}", line("all pairs", r.split(held_out)));
    for cue in r.cues() {
        println!(
            "{}",
            line(&format!("cue {cue}"), r.cue(&cue, Some(held_out)))
        );
    }
    println!("  per language pair:");
    for (pair, c) in r.language_pairs(Some(held_out)) {
        println!("  {}", line(&pair, c));
    }
    println!("  per trait (recall within the stories that have it):");
    for (t, c) in r.traits(Some(held_out)) {
        if c.tp + c.fn_ > 0 {
            println!(
                "    {t:<22} recall {:.3}  ({}/{})",
                c.recall(),
                c.tp,
                c.tp + c.fn_
            );
        }
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let chosen = wirebridge::link::EVIDENCE_THRESHOLD;
    if let Some(held_out) = args.iter().find_map(|a| match a.as_str() {
        "--margins" => Some(false),
        "--margins-held-out" => Some(true),
        _ => None,
    }) {
        let (_d, db) = temp_db();
        let (store, config) = eval::ingest(&db, chosen, Order::Published).await;
        let mut m = eval::margins(&store, &config, held_out).await;
        m.sort_by(|a, b| a.1.total_cmp(&b.1));
        println!("true pairs, weakest first:");
        for (_, _, s) in m.iter().filter(|x| x.0) {
            println!("  {s}");
        }
        println!("\nfalse pairs, strongest first (score > 0.2):");
        for (_, _, s) in m.iter().rev().filter(|x| !x.0 && x.1 > 0.25) {
            println!("  {s}");
        }
        return;
    }
    let (_d, db) = temp_db();
    let r = eval::evaluate(&db).await;
    println!("corpus: {}", eval::corpus_dir().display());
    println!(
        "{} entries, {} stories found, {} in the truth",
        r.entries, r.stories_found, r.stories_truth
    );
    println!("{}", line("whole corpus", r.all()));
    println!(
        "  implicit-cue stories alone: recall {:.3}",
        r.cue_recall("evidence")
    );
    print_split(&r, false);
    print_split(&r, true);
    println!(
        "\nduplicate groups folded right: {}/{}",
        r.duplicates_ok,
        r.duplicates_ok + r.duplicates_wrong.len()
    );
    for d in &r.duplicates_wrong {
        println!("  wrong: {d}");
    }
    println!(
        "negative story pairs kept apart: {}/{}",
        r.negatives - r.negatives_merged.len(),
        r.negatives
    );
    for n in &r.negatives_merged {
        println!("  merged: {n}");
    }
    for c in &r.false_positives {
        let split = if c.held_out { "held-out" } else { "tuned" };
        println!(
            "  wrongly together [{split}]: {} ({}) + {} ({})\n      {}",
            c.a, c.truth_a, c.b, c.truth_b, c.evidence
        );
    }
    for c in &r.false_negatives {
        let split = if c.held_out { "held-out" } else { "tuned" };
        println!(
            "  wrongly apart [{split}]: {} + {} ({})\n      {}",
            c.a, c.b, c.truth_a, c.evidence
        );
    }
    println!("\nevidence threshold sweep (chosen: {chosen}), tuned split:");
    println!("  threshold  precision  recall");
    for t in [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6] {
        let (_d, db) = temp_db();
        let r = eval::evaluate_with(&db, t).await;
        let c = r.split(false);
        println!("  {t:>9.2}  {:>9.3}  {:>6.3}", c.precision(), c.recall());
    }
}
