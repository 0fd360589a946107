//! A feed that a reader shows items from but we can read none of is a
//! failure the operator sees everywhere they look — the poll report and
//! the log, `wirebridge sources`, `/admin` and `/metrics` — never a silent
//! "fetched, 0 new".

// In tests a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use wirebridge::ingest::poll::PollOutcome;

use super::metrics::{scrape, value};
use super::{app, unique};
use crate::support::{admin_page, source_id, FeedServer, Reply, Src};

const TOKEN: &str = "quarry-road-residents-token";
const WHY: &str = "feed has 2 items we could not read: its <item>s are not inside a <channel>";

fn fixture() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/feeds/items-outside-channel.xml"
    );
    std::fs::read(path).unwrap()
}

// Two threads: the feed server must answer while the binary polls it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_we_cannot_read_fail_the_poll_in_the_report_log_sources_admin_and_metrics() {
    let feeds = FeedServer::start().await;
    feeds.set("/quarry.xml", Reply::ok("application/rss+xml", fixture()));
    let id = unique("quarry");
    let url = feeds.url("/quarry.xml");
    let app = app(
        &[Src {
            id: &id,
            url: &url,
            language: "en",
            role: "outlet",
        }],
        &format!("[admin]\ntoken = \"{TOKEN}\"\n"),
    )
    .await;

    // The poll: failed, with the reason, nothing stored.
    let reports = app
        .poller
        .poll_now(Some(&source_id(&id)), &|_| {})
        .await
        .unwrap();
    assert_eq!(reports[0].outcome, PollOutcome::Failed, "{:?}", reports[0]);
    assert_eq!(reports[0].error.as_deref(), Some(WHY));
    assert_eq!((reports[0].new, reports[0].updated), (0, 0));
    let state = app.store.source_state(&source_id(&id)).await.unwrap();
    assert_eq!(state.last_error.as_deref(), Some(WHY));
    assert_eq!(state.consecutive_failures, 1);
    assert_eq!(app.store.entry_count().await.unwrap(), 0);

    // /metrics: a failed poll, and the items it lost.
    let metrics = scrape(&app).await;
    let failed = &[("source", id.as_str()), ("outcome", "failed")];
    assert_eq!(value(&metrics, "wirebridge_polls_total", failed), 1.0);
    let fetched = &[("source", id.as_str()), ("outcome", "fetched")];
    assert_eq!(value(&metrics, "wirebridge_polls_total", fetched), 0.0);
    let src = &[("source", id.as_str())];
    assert_eq!(
        value(&metrics, "wirebridge_unreadable_items_total", src),
        2.0
    );

    // /admin shows the source's error.
    let page = admin_page(&app.base, TOKEN).await;
    assert!(
        page.contains("feed has 2 items we could not read: its &lt;item&gt;s are not inside a &lt;channel&gt;"),
        "{page}"
    );

    // The operator's commands, as the binary runs them on the same store.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("wb.toml");
    std::fs::write(&config, &app.toml).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_wirebridge"))
            .arg("--config")
            .arg(&config)
            .args(args)
            .env_remove("RUST_LOG")
            .env_remove("WIREBRIDGE_DATABASE_URL")
            .env_remove("WIREBRIDGE_LOG_FORMAT")
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (table, log) = run(&["poll", "--source", &id]);
    assert!(
        table.contains("0 fetched, 0 not modified, 1 failed, 0 new, 0 updated"),
        "{table}{log}"
    );
    assert!(
        table.contains("feed has 2 items we could not read"),
        "{table}"
    );
    assert!(log.contains(WHY), "the log names the items and why: {log}");
    let (sources, _) = run(&["sources"]);
    let row = sources.lines().find(|l| l.contains(&id)).unwrap_or("");
    assert!(
        row.contains("feed has 2 items we could not read"),
        "{sources}"
    );
    assert!(row.contains("┆ 2 "), "two failures in a row: {sources}");
}
