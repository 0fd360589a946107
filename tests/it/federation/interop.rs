//! Interop with Fedify (`tests/interop/follower.mjs`), an implementation
//! nobody here wrote that verifies signatures as Mastodon does: it finds
//! our actor by WebFinger, follows, and must see a verified Accept, Create
//! (with `pt-BR` in contentMap), Update and Delete. It serves its own actor
//! only to signed requests (authorized fetch), so our signed GET is checked
//! by it too. `.ci/run` installs its
//! node_modules; without them this test fails and says how to fix it.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};
use tokio_util::sync::CancellationToken;
use wirebridge::config::Config;
use wirebridge::daemon::Daemon;
use wirebridge::linker::Linker;

use super::world::fed_config_toml;
use crate::support::{lang, sample_entry, sqlite_url};

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

struct Events {
    lines: Lines<BufReader<ChildStdout>>,
    seen: Vec<Value>,
}

impl Events {
    /// The next event of `kind` (bounded); other events are kept.
    async fn wait(&mut self, kind: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let line = tokio::time::timeout_at(deadline, self.lines.next_line())
                .await
                .unwrap_or_else(|_| {
                    panic!("no {kind} from the Fedify follower; saw {:#?}", self.seen)
                })
                .expect("read")
                .unwrap_or_else(|| panic!("the Fedify follower exited; saw {:#?}", self.seen));
            let Some(json) = line.strip_prefix("EVENT ") else {
                continue;
            };
            let event: Value = serde_json::from_str(json).expect("event json");
            self.seen.push(event.clone());
            assert_ne!(
                event["kind"], "error",
                "follower failed: {}",
                event["message"]
            );
            if event["kind"] == kind {
                return event;
            }
        }
    }
}

#[tokio::test]
async fn a_fedify_follower_verifies_accept_create_update_and_delete() {
    let interop = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop");
    assert!(
        interop
            .join("node_modules/@fedify/fedify/package.json")
            .exists(),
        "Fedify is not installed: run `npm ci` in {} (.ci/run does)",
        interop.display()
    );
    let (_dir, db) = sqlite_url();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let toml = fed_config_toml(&db, &base, "\n[federation]\nupdate_debounce = \"0s\"\n")
        .replace(
            "bind = \"127.0.0.1:0\"",
            &format!("bind = \"127.0.0.1:{port}\""),
        )
        // The daemon's poller must not reach out: sources become missing files.
        .replace("\nurl = \"https://", "\nurl = \"file:///nonexistent/");
    let config = Config::parse(std::path::Path::new("interop.toml"), &toml).expect("config");
    let daemon = Daemon::build(config.clone()).await.expect("daemon");
    let store = daemon.store().clone();
    let cancel = CancellationToken::new();
    let running = tokio::spawn(daemon.run_until_stopped(cancel.clone()));
    wirebridge::ingest::poll::register_sources(&store, &config)
        .await
        .expect("sources");
    let linker = Linker::new(store.clone(), &config);

    let mut child = Command::new("node")
        .arg(interop.join("follower.mjs"))
        .args([
            "--port",
            &free_port().to_string(),
            "--actor",
            &format!("{base}/users/wire"),
            "--timeout",
            "100",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node is installed");
    let mut events = Events {
        lines: BufReader::new(child.stdout.take().expect("stdout")).lines(),
        seen: Vec::new(),
    };
    let wf = events.wait("webfinger").await;
    assert_eq!(wf["self"], format!("{base}/users/wire"));
    let actor = events.wait("actor").await;
    assert_eq!(actor["type"], "Service");
    assert_eq!(actor["sharedInbox"], format!("{base}/inbox"));
    events.wait("followed").await;
    let accept = events.wait("accept").await;
    assert_eq!(accept["actor"], format!("{base}/users/wire"));
    // To verify the Follow we fetched the follower's actor, which Fedify
    // serves only to signed requests: it verified ours, made by our actor.
    let fetches: Vec<&Value> = events
        .seen
        .iter()
        .filter(|e| e["kind"] == "actor-fetch")
        .collect();
    assert!(!fetches.is_empty(), "our server never fetched the follower");
    for f in &fetches {
        assert_eq!(f["signed"], true, "an unsigned fetch: {f}");
        assert_eq!(f["owner"], format!("{base}/users/wire"));
    }

    // A story in English, Brazilian Portuguese and French.
    let mut entries = Vec::new();
    for (source, l) in [
        ("wire-en", "en"),
        ("wire-br", "pt-BR"),
        ("wire-fr", "fr"),
        ("wire-de", "de"),
    ] {
        let mut e = sample_entry(source, 7, l);
        e.title = format!("Interop story ({l})");
        e.links = vec![wirebridge::domain::EntryLink {
            rel: wirebridge::domain::LinkRel::Alternate,
            href: "https://wire.example.org/en/story-7".into(),
            hreflang: Some(lang("en")),
            title: None,
        }];
        entries.push(e);
    }
    let s = store
        .upsert_entries(&entries[..3], Utc::now())
        .await
        .expect("upsert");
    let linked = linker.link_entries(&s.changed_ids).await.expect("link");
    let story = linked.last().expect("story").story_id;

    let create = events.wait("create").await;
    let raw = &create["raw"];
    let note = &raw["object"];
    let map = note["contentMap"].as_object().expect("contentMap as sent");
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["pt-BR", "en", "fr"],
        "the actor's order, content's first"
    );
    assert_eq!(note["content"], map["pt-BR"], "the actor prefers pt-BR");
    let parsed: Vec<String> = create["contentLanguages"]
        .as_array()
        .expect("languages")
        .iter()
        .filter_map(|l| l.as_str().map(str::to_lowercase))
        .collect();
    assert!(
        parsed.contains(&"pt-br".to_string()),
        "Fedify read {parsed:?}"
    );

    // The German translation arrives: an Update with the grown map.
    let s = store
        .upsert_entries(&entries[3..], Utc::now())
        .await
        .expect("upsert");
    linker.link_entries(&s.changed_ids).await.expect("link");
    let update = events.wait("update").await;
    assert_eq!(update["objectId"], note["id"]);
    assert!(update["raw"]["object"]["contentMap"]["de"].is_string());

    store
        .retract_story(story, Utc::now())
        .await
        .expect("retract");
    let delete = events.wait("delete").await;
    assert_eq!(delete["objectId"], note["id"]);
    let statuses: Vec<&Value> = events
        .seen
        .iter()
        .filter(|e| e["kind"] == "inbox-status")
        .map(|e| &e["status"])
        .collect();
    assert!(
        statuses.iter().all(|s| **s == 202),
        "Fedify refused something: {statuses:?}"
    );

    drop(child.stdin.take());
    let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
    cancel.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(25), running).await;
}
