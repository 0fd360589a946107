//! `poll` and `sources`: one polling pass with progress and a summary, and
//! the table of each source's health as the store remembers it.

use std::collections::HashMap;
use std::sync::Arc;

use comfy_table::{presets, Table};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;
use crate::domain::when::{elapsed, relative};
use crate::domain::SourceId;
use crate::ingest::poll::{PollOutcome, PollReport, Poller};
use crate::store::Store;

/// Below this many sources a progress bar is more noise than help.
const PROGRESS_FROM: usize = 4;
const ERROR_WIDTH: usize = 60;

pub async fn poll(config: Config, only: Option<&str>) -> anyhow::Result<()> {
    let only = only.map(|raw| known_source(&config, raw)).transpose()?;
    let count = if only.is_some() {
        1
    } else {
        config.sources.len()
    };
    let (poller, _) = open(config).await?;
    let bar = progress(count);
    let on_done = |r: &PollReport| {
        bar.set_message(r.source.to_string());
        bar.inc(1);
    };
    let reports = poller.poll_now(only.as_ref(), &on_done).await?;
    bar.finish_and_clear();
    println!("{}", report_table(&reports));
    println!("{}", summary(&reports));
    Ok(())
}

fn known_source(config: &Config, raw: &str) -> anyhow::Result<SourceId> {
    let known = || {
        let ids: Vec<_> = config.sources.iter().map(|s| s.id.as_str()).collect();
        if ids.is_empty() {
            "none are configured".to_string()
        } else {
            format!("known sources: {}", ids.join(", "))
        }
    };
    match SourceId::parse(raw) {
        Ok(id) if config.source(&id).is_some() => Ok(id),
        _ => anyhow::bail!(
            "no source with id `{raw}` in {}; {}",
            config.path.display(),
            known()
        ),
    }
}

/// The store, migrated, with the configured sources registered in it, and
/// the process's poller over it.
async fn open(config: Config) -> anyhow::Result<(Arc<Poller>, Store)> {
    let app = crate::app::App::open(config).await?;
    app.poller.sync_sources().await?;
    Ok((app.poller, app.store))
}

fn progress(count: usize) -> ProgressBar {
    if count < PROGRESS_FROM {
        return ProgressBar::hidden();
    }
    // `ProgressBar::new` draws on stderr and hides itself when stderr is
    // not a terminal, so piped output stays clean.
    let bar = ProgressBar::new(count as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}") {
        bar.set_style(style);
    }
    bar
}

fn report_table(reports: &[PollReport]) -> Table {
    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED);
    table.set_header(["source", "outcome", "new", "updated", "error", "time"]);
    for r in reports {
        table.add_row([
            r.source.to_string(),
            r.outcome.as_str().to_string(),
            r.new.to_string(),
            r.updated.to_string(),
            truncate(r.error.as_deref().unwrap_or(""), ERROR_WIDTH),
            elapsed(r.elapsed),
        ]);
    }
    table
}

/// "N fetched, N not modified, N failed, N new, N updated", plus the rarer
/// outcomes only when they happened.
fn summary(reports: &[PollReport]) -> String {
    let count = |f: &dyn Fn(PollOutcome) -> bool| reports.iter().filter(|r| f(r.outcome)).count();
    let fetched = count(&|o| matches!(o, PollOutcome::Fetched | PollOutcome::Unchanged));
    // A 200 whose body is byte-identical to the last one is still a fetch,
    // but worth telling apart: nothing was parsed.
    let unchanged = match count(&|o| o == PollOutcome::Unchanged) {
        0 => String::new(),
        n => format!(" ({n} unchanged)"),
    };
    let mut line = format!(
        "{fetched} fetched{unchanged}, {} not modified, {} failed, {} new, {} updated",
        count(&|o| o == PollOutcome::NotModified),
        count(&|o| o == PollOutcome::Failed),
        reports.iter().map(|r| r.new).sum::<usize>(),
        reports.iter().map(|r| r.updated).sum::<usize>(),
    );
    for (outcome, label) in [
        (PollOutcome::RateLimited, "rate limited"),
        (PollOutcome::Gone, "gone"),
        (PollOutcome::Skipped, "skipped (gone)"),
        (PollOutcome::Elsewhere, "polled by another instance"),
    ] {
        let n = count(&|o| o == outcome);
        if n > 0 {
            line.push_str(&format!(", {n} {label}"));
        }
    }
    line
}

pub async fn sources(config: Config) -> anyhow::Result<()> {
    let configured: HashMap<SourceId, (String, String)> = config
        .sources
        .iter()
        .map(|s| {
            (
                s.id.clone(),
                (s.role.as_str().to_string(), s.language.to_string()),
            )
        })
        .collect();
    // Registering the sources first means a never-polled source shows up.
    let (_, store) = open(config).await?;
    let states = store.source_states().await?;
    let counts: HashMap<SourceId, i64> = store.entry_counts().await?.into_iter().collect();
    let now = chrono::Utc::now();
    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED);
    table.set_header([
        "id",
        "role",
        "language",
        "last success",
        "last error",
        "next poll",
        "failures",
        "gone",
        "entries",
    ]);
    for s in &states {
        let (role, language) = configured
            .get(&s.id)
            .cloned()
            .unwrap_or_else(|| ("(not configured)".to_string(), "-".to_string()));
        let next = if s.gone {
            "never".to_string()
        } else {
            relative(s.next_poll_at, now)
        };
        table.add_row([
            s.id.to_string(),
            role,
            language,
            s.last_success_at
                .map_or_else(|| "never".to_string(), |t| relative(t, now)),
            truncate(s.last_error.as_deref().unwrap_or(""), ERROR_WIDTH),
            next,
            s.consecutive_failures.to_string(),
            if s.gone { "yes (410)" } else { "no" }.to_string(),
            counts.get(&s.id).copied().unwrap_or(0).to_string(),
        ]);
    }
    println!("{table}");
    Ok(())
}

fn truncate(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is the failure report
mod tests {
    use std::time::Duration;

    use super::*;

    fn report(id: &str, outcome: PollOutcome, new: usize, updated: usize) -> PollReport {
        PollReport {
            source: SourceId::parse(id).unwrap(),
            outcome,
            new,
            updated,
            error: None,
            elapsed: Duration::from_millis(5),
        }
    }

    #[test]
    fn the_summary_counts_outcomes_and_entries() {
        let reports = [
            report("a", PollOutcome::Fetched, 3, 1),
            report("b", PollOutcome::Unchanged, 0, 0),
            report("c", PollOutcome::NotModified, 0, 0),
            report("d", PollOutcome::Failed, 0, 0),
            report("e", PollOutcome::Gone, 0, 0),
        ];
        assert_eq!(
            summary(&reports),
            "2 fetched (1 unchanged), 1 not modified, 1 failed, 3 new, 1 updated, 1 gone"
        );
    }

    #[test]
    fn long_errors_are_cut_to_one_short_line() {
        assert_eq!(truncate("connection\nrefused", 60), "connection refused");
        assert_eq!(truncate("abcdefghij", 5), "abcd…");
    }
}
