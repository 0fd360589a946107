//! `wirebridge websub`: WebSub both ways — our subscriptions to outlets'
//! hubs with their state and lease, our own hub's subscribers with theirs,
//! and the hub's delivery queue; `--retry-now` makes queued deliveries due.

use anyhow::Context;
use chrono::{DateTime, Utc};
use comfy_table::{presets, Table};

use crate::config::Config;
use crate::domain::when::relative;
use crate::store::Store;

pub async fn websub(config: Config, retry_now: bool) -> anyhow::Result<()> {
    let store = Store::open(&config.database.url).await.with_context(|| {
        format!(
            "cannot open the database {}",
            crate::config::mask_url(&config.database.url)
        )
    })?;
    if retry_now {
        let n = store.websub_retry_now(Utc::now()).await?;
        eprintln!("{n} queued hub deliveries are due now (a running daemon sends them)");
    }
    print!("{}", describe(&config, &store, Utc::now()).await?);
    store.close().await;
    Ok(())
}

/// The whole report as text.
pub async fn describe(
    config: &Config,
    store: &Store,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let lease = |t: Option<DateTime<Utc>>| t.map_or("-".to_string(), |t| relative(t, now));
    let mut out = String::new();
    let subs = store.websub_subscriptions().await?;
    out.push_str("Subscriptions to outlets' hubs (they push to us)\n");
    let mut t = table(&[
        "source",
        "hub",
        "topic",
        "state",
        "lease ends",
        "last error",
    ]);
    for s in &subs {
        t.add_row([
            s.source_id.clone(),
            s.hub.clone(),
            s.topic.clone(),
            s.state.clone(),
            lease(s.expires_at),
            s.last_error.clone().unwrap_or_default(),
        ]);
    }
    out.push_str(&format!("{t}\n{} subscriptions\n\n", subs.len()));

    let hub = match (&config.websub.hub, config.websub.builtin) {
        (Some(url), true) => format!("our hub at {url}"),
        (Some(url), false) => {
            format!("external hub {url} (pinged; its subscribers are not ours to list)")
        }
        (None, _) => "no hub configured".to_string(),
    };
    out.push_str(&format!("Subscribers of {hub}\n"));
    let subscribers = store.websub_subscribers().await?;
    let mut t = table(&["topic", "callback", "signed", "lease ends", "since"]);
    for s in &subscribers {
        t.add_row([
            s.topic.clone(),
            s.callback.clone(),
            if s.has_secret { "yes" } else { "no" }.to_string(),
            lease(s.expires_at),
            relative(s.created_at, now),
        ]);
    }
    let c = store.websub_delivery_counts().await?;
    out.push_str(&format!(
        "{t}\n{} subscribers; deliveries: {} pending, {} done, {} dropped\n",
        subscribers.len(),
        c.pending,
        c.done,
        c.dropped
    ));
    Ok(out)
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED);
    t.set_header(header);
    t
}
