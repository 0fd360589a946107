//! Interop with bovine-herd (PyPI `bovine`, `bovine-herd`), a Python
//! server that shares no code with Fedify or with us
//! (`tests/interop_bovine/follower.py` runs it unchanged and watches).
//! Its actor follows ours through its own outbox; it must accept our
//! Accept, Create, Update and Delete, each verified by bovine.
//!
//! bovine signs with cavage only, and its RFC 9421 check (0.5.19) cannot
//! derive `@target-uri`, so it refuses our first RFC 9421 knock: the cavage
//! copy gets through and its host is remembered as cavage. Like a server
//! in secure mode it serves its actor only to signed requests. `.ci/run`
//! installs its virtualenv; without it this test fails and says how to fix
//! it. `WIREBRIDGE_INTEROP_VERBOSE=1` shows bovine's own log.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;
use tokio::process::Command;

use super::interop::{free_port, interop_entries, Daemonized, Events};

/// `(method, scheme, status)` of the events of `kind`.
fn requests(events: &Events, kind: &str) -> Vec<(String, String, u64)> {
    events
        .all(kind)
        .iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap_or_default().to_string(),
                r["scheme"].as_str().unwrap_or_default().to_string(),
                r["status"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

/// The next activity of `kind` bovine-herd accepted into its inbox.
async fn inbox(events: &mut Events, kind: &str) -> Value {
    loop {
        let got = events.wait("inbox").await;
        if got["type"] == kind {
            return got;
        }
    }
}

#[tokio::test]
async fn a_bovine_herd_follower_receives_accept_create_update_and_delete_after_a_cavage_fallback() {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop_bovine");
    let python = folder.join(".venv/bin/python");
    assert!(
        python.exists(),
        "bovine-herd is not installed: run `python3 -m venv {0}/.venv && {0}/.venv/bin/pip install -r {0}/requirements.txt` (.ci/run does)",
        folder.display()
    );
    let d = Daemonized::start().await;
    let port = free_port();
    let work = tempfile::tempdir().expect("dir");
    let mut child = Command::new(&python)
        .arg(folder.join("follower.py"))
        .args([
            "--port",
            &port.to_string(),
            "--actor",
            &format!("{}/users/wire", d.base),
            "--workdir",
            &work.path().display().to_string(),
            "--timeout",
            "100",
        ])
        .args(std::env::var_os("WIREBRIDGE_INTEROP_VERBOSE").map(|_| "--verbose"))
        // bovine keeps a JSON-LD cache file in its working directory.
        .current_dir(work.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python starts");
    let mut events = Events::new(&mut child, "the bovine-herd follower");
    let started = events.wait("started").await;
    eprintln!(
        "bovine {} / bovine-herd {} on Python {}",
        started["bovine"], started["bovine_herd"], started["python"]
    );
    let followed = events.wait("followed").await;
    assert_eq!(
        followed["status"], 201,
        "bovine took the Follow into its outbox"
    );
    let reader = followed["actor"].as_str().expect("actor").to_string();

    // bovine-herd delivered the Follow; we accepted it and it verified our
    // Accept and recorded us as followed.
    let accept = inbox(&mut events, "Accept").await;
    assert_eq!(accept["actor"], format!("{}/users/wire", d.base));
    assert_eq!(accept["signer"], format!("{}/users/wire", d.base));
    let followers = d
        .store
        .fed_followers("wire", 10, 0)
        .await
        .expect("followers");
    assert_eq!(followers.len(), 1);
    assert_eq!(followers[0].follower, reader);

    let entries = interop_entries();
    let story = d.publish(&entries[..3]).await;
    let create = inbox(&mut events, "Create").await;
    assert_eq!(create["signer"], format!("{}/users/wire", d.base));
    let object = create["object"].as_str().expect("object id").to_string();
    assert!(
        object.starts_with(&format!("{}/objects/wire-", d.base)),
        "{object}"
    );
    d.publish(&entries[3..]).await;
    let update = inbox(&mut events, "Update").await;
    assert_eq!(update["object"], object);
    d.store
        .retract_story(story, Utc::now())
        .await
        .expect("retract");
    let delete = inbox(&mut events, "Delete").await;
    assert_eq!(delete["object"], object);
    // The Delete's own request line comes once bovine has answered it.
    loop {
        let r = events.wait("request").await;
        if r["method"] == "POST" && r["status"] == 202 && events.all("inbox").len() >= 4 {
            break;
        }
    }

    // Us → bovine: the first signed request (our fetch of its actor, to
    // verify the Follow) knocks with RFC 9421 and is refused; the cavage
    // copy is verified; every POST after goes cavage at once.
    let got: Vec<_> = requests(&events, "request")
        .into_iter()
        .filter(|r| r.1 != "none")
        .collect();
    eprintln!("us → bovine: {got:?}");
    assert_eq!(
        got[0],
        ("GET".to_string(), "rfc9421".to_string(), 401),
        "{got:?}"
    );
    assert_eq!(
        got[1],
        ("GET".to_string(), "cavage".to_string(), 200),
        "{got:?}"
    );
    let posts: Vec<_> = got.iter().filter(|r| r.0 == "POST").collect();
    assert!(posts.len() >= 4, "{got:?}");
    for p in &posts {
        assert_eq!((p.1.as_str(), p.2), ("cavage", 202), "{got:?}");
    }
    assert_eq!(
        d.remembered(&format!("localhost:{port}")).await.as_deref(),
        Some("cavage")
    );

    // bovine → us: its Follow and its signed fetches, cavage, accepted.
    let sent: Vec<_> = requests(&events, "sent")
        .into_iter()
        .filter(|r| r.1 != "none")
        .collect();
    eprintln!("bovine → us: {sent:?}");
    assert!(sent.iter().any(|s| s.0 == "POST"), "{sent:?}");
    for s in &sent {
        assert_eq!(s.1, "cavage", "{sent:?}");
        assert!(s.2 == 200 || s.2 == 202, "{sent:?}");
    }

    drop(child.stdin.take());
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
    d.stop().await;
}
