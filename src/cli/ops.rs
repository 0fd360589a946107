//! Operator commands that look after the running bridge rather than its
//! content: who follows, what waits to be delivered, a backup, the schema.

use std::path::Path;

use anyhow::Context;
use chrono::Utc;
use comfy_table::{presets, Table};

use crate::config::Config;
use crate::domain::when::relative;
use crate::store::{Backend, Store};

async fn open(config: &Config) -> anyhow::Result<Store> {
    Store::open(&config.database.url).await.with_context(|| {
        format!(
            "cannot open the database {}",
            crate::config::mask_url(&config.database.url)
        )
    })
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED);
    t.set_header(header);
    t
}

/// `followers [--actor NAME]`: every follower with where we deliver to it.
pub async fn followers(config: Config, actor: Option<&str>) -> anyhow::Result<()> {
    if let Some(name) = actor {
        if !config.actors.iter().any(|a| a.username == name) {
            let known: Vec<_> = config.actors.iter().map(|a| a.username.as_str()).collect();
            anyhow::bail!(
                "no actor `{name}` in {}; configured actors: {}",
                config.path.display(),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            );
        }
    }
    let store = open(&config).await?;
    let rows = store.follower_listing(actor).await?;
    let now = Utc::now();
    let mut t = table(&["actor", "follower", "delivered to", "since"]);
    for r in &rows {
        t.add_row([
            r.actor.clone(),
            r.follower.clone(),
            r.shared_inbox.clone().unwrap_or_else(|| r.inbox.clone()),
            relative(r.since, now),
        ]);
    }
    println!("{t}");
    let mut line = format!("{} followers", rows.len());
    for (actor, n) in store.follower_counts().await? {
        line.push_str(&format!(", @{actor}: {n}"));
    }
    println!("{line}");
    Ok(())
}

/// `deliveries`: the queue, and each receiving host's health and next retry.
pub async fn deliveries(config: Config) -> anyhow::Result<()> {
    let store = open(&config).await?;
    let now = Utc::now();
    let stats = store.delivery_queue_stats(now).await?;
    let counts = store.fed_delivery_counts().await?;
    let hosts = store.delivery_hosts().await?;
    let mut t = table(&[
        "host",
        "pending",
        "next attempt",
        "attempts",
        "failing since",
        "unavailable",
        "last error",
    ]);
    for h in &hosts {
        t.add_row([
            h.host.clone(),
            h.pending.to_string(),
            h.next_attempt_at
                .map_or_else(|| "-".into(), |t| relative(t, now)),
            h.attempts.to_string(),
            h.failing_since
                .map_or_else(|| "-".into(), |t| relative(t, now)),
            if h.unavailable { "yes" } else { "no" }.to_string(),
            h.last_error.clone().unwrap_or_default(),
        ]);
    }
    if hosts.is_empty() {
        println!("no pending deliveries and no failing hosts");
    } else {
        println!("{t}");
    }
    let oldest = stats.oldest_due.map_or_else(String::new, |t| {
        format!(", oldest due queued {}", relative(t, now))
    });
    println!(
        "{} pending{oldest}; {} delivered, {} dropped",
        stats.depth, counts.done, counts.dropped
    );
    Ok(())
}

/// `backup PATH`: an online, consistent copy of a SQLite database.
pub async fn backup(config: Config, to: &Path) -> anyhow::Result<()> {
    let store = open(&config).await?;
    if store.backend() == Backend::Postgres {
        anyhow::bail!(
            "backup copies SQLite databases; for PostgreSQL use its own tool, e.g. \
             `pg_dump --format=custom --file=wirebridge.dump DBNAME` (see docs/operating.md)"
        );
    }
    if to.exists() {
        anyhow::bail!("{} already exists; choose a new file name", to.display());
    }
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    store
        .backup_sqlite(to)
        .await
        .with_context(|| format!("cannot write the backup to {}", to.display()))?;
    let size = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    println!(
        "backed up to {} ({} KiB)",
        to.display(),
        size.div_ceil(1024)
    );
    Ok(())
}

/// `migrate`: applies any pending migrations (opening does) and says where
/// the schema stands.
pub async fn migrate(config: Config) -> anyhow::Result<()> {
    let store = open(&config).await?;
    let v = store.schema_version().await?;
    println!(
        "database {} is at schema version {} ({}); {} migrations applied",
        crate::config::mask_url(&config.database.url),
        v.version,
        v.description,
        v.applied
    );
    Ok(())
}
