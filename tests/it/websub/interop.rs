//! A WebSub subscriber nobody here wrote — flask-websub, from PyPI
//! (`.ci/run` installs it) — discovers our hub from our feed, subscribes,
//! is verified, receives the current feed and then the changed one.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};
use wirebridge::linker::Linker;

use super::{config, free_port, Running};
use crate::support::{sample_entry, sqlite_url};

/// Waits (bounded) for the script's next line with `event`; an `error`
/// event fails the test at once.
async fn wait(lines: &mut Lines<BufReader<ChildStdout>>, event: &str) -> Value {
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await.expect("stdout") {
            let v: Value = serde_json::from_str(&line).expect("a JSON line");
            assert_ne!(v["event"], "error", "flask-websub reported {v}");
            if v["event"] == event {
                return Some(v);
            }
        }
        None
    })
    .await;
    found
        .expect("in time")
        .unwrap_or_else(|| panic!("the script ended before `{event}`"))
}

#[tokio::test]
async fn flask_websub_subscribes_to_our_hub_and_receives_the_current_then_the_changed_feed() {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let installed = std::process::Command::new(&python)
        .args(["-c", "import flask_websub"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        installed,
        "flask-websub is not installed: `python3 -m pip install flask-websub` (.ci/run does)"
    );
    let (_dir, db) = sqlite_url();
    let cfg = config(
        &db,
        free_port(),
        "file:///nonexistent/feed.xml",
        "\n[websub]\nhub = \"builtin\"\n",
    );
    let daemon = Running::start(cfg.clone()).await;
    let feed = format!("{}/feeds/all.atom", daemon.base);
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/websub_subscriber.py");
    let mut child = Command::new(&python)
        .arg(script)
        .args([
            "--feed",
            &feed,
            "--port",
            &free_port().to_string(),
            "--timeout",
            "30",
        ])
        .stdout(Stdio::piped())
        // werkzeug logs each request there; events come on stdout.
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("python3 runs");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let subscribed = wait(&mut lines, "subscribed").await;
    assert_eq!(subscribed["hub"], format!("{}/websub/hub", daemon.base));
    assert_eq!(subscribed["topic"], feed);
    let verified = wait(&mut lines, "verified").await;
    assert_eq!(verified["mode"], "subscribe");
    // Its handler runs before our hub has read the echo: wait for the row.
    let stored = super::within(Duration::from_secs(5), || async {
        daemon.store.websub_subscribers().await.unwrap().len() == 1
    })
    .await;
    assert!(stored.is_some(), "our hub recorded the verified subscriber");
    let subscribers = daemon.store.websub_subscribers().await.unwrap();
    assert_eq!(subscribers[0].topic, feed);
    // The current feed first, before anything changed (unsigned: over
    // plain http flask-websub gives no secret).
    let current = wait(&mut lines, "notified").await;
    assert_eq!(current["topic"], feed);
    let body = current["body"].as_str().unwrap();
    assert!(body.contains("<feed") && !body.contains("Story number 31"));

    let linker = Linker::new(daemon.store.clone(), &cfg);
    let s = daemon
        .store
        .upsert_entries(&[sample_entry("outlet", 31, "en")], Utc::now())
        .await
        .unwrap();
    linker.link_entries(&s.changed_ids).await.unwrap();
    let notified = wait(&mut lines, "notified").await;
    assert_eq!(notified["topic"], feed);
    assert!(notified["body"]
        .as_str()
        .unwrap()
        .contains("Story number 31"));
    drop(child);
    daemon.stop().await;
}
