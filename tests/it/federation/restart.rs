//! The kill -9 story with the real binary: a story fanned out to 24 inboxes
//! that answer slowly (and some with 429 + Retry-After at first); the
//! daemon is killed mid fan-out and restarted; every inbox ends having
//! accepted the story's Create exactly once — POSTs counted, not ids, so a
//! delivery resent after it succeeded is caught.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use chrono::Utc;
use serde_json::Value;
use wirebridge::config::Config;
use wirebridge::linker::Linker;
use wirebridge::store::{FollowerRow, Store};

use super::world::seed_follower;
use crate::support::sample_entry;

const INBOXES: usize = 24;

#[derive(Default)]
struct Counter {
    /// (inbox, activity type, activity id) of every POST, in order.
    posts: Vec<(usize, String, String)>,
    /// (inbox, activity type) of every POST answered 202, in order.
    accepted: Vec<(usize, String)>,
    /// Inboxes that answer 429 to their first request.
    throttled: HashSet<usize>,
    /// Requests arriving while set are never answered: what is in flight
    /// when the daemon is killed is known exactly.
    hold: bool,
    held: usize,
    /// Requests being answered (in their 250 ms).
    answering: usize,
}

async fn inbox(
    State(c): State<Arc<Mutex<Counter>>>,
    UrlPath(n): UrlPath<usize>,
    body: Bytes,
) -> Response {
    let doc: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let kind = doc["type"].as_str().unwrap_or_default().to_string();
    let id = doc["id"].as_str().unwrap_or_default().to_string();
    let (throttle, hold) = {
        let mut c = c.lock().expect("lock");
        c.posts.push((n, kind.clone(), id));
        let throttle = c.throttled.remove(&n);
        let hold = !throttle && c.hold;
        if hold {
            c.held += 1;
        } else if !throttle {
            c.answering += 1;
        }
        (throttle, hold)
    };
    if throttle {
        return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")]).into_response();
    }
    if hold {
        std::future::pending::<()>().await;
    }
    // Slow enough that a kill lands in the middle of the fan-out.
    tokio::time::sleep(Duration::from_millis(250)).await;
    let mut c = c.lock().expect("lock");
    c.answering -= 1;
    c.accepted.push((n, kind));
    StatusCode::ACCEPTED.into_response()
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn spawn(config: &Path, log: &Path) -> Child {
    let log = std::fs::File::create(log).expect("log");
    Command::new(env!("CARGO_BIN_EXE_wirebridge"))
        .args(["--config", &config.display().to_string(), "serve"])
        .env("RUST_LOG", "info,sqlx=warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn wirebridge")
}

fn creates(c: &Mutex<Counter>) -> HashMap<usize, HashSet<String>> {
    let mut out: HashMap<usize, HashSet<String>> = HashMap::new();
    for (n, kind, id) in &c.lock().expect("lock").posts {
        if kind == "Create" {
            out.entry(*n).or_default().insert(id.clone());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fan_out_killed_with_sigkill_resumes_after_restart_without_duplicate_creates() {
    let counter = Arc::new(Mutex::new(Counter {
        throttled: (0..INBOXES).step_by(5).collect(),
        ..Counter::default()
    }));
    let app = Router::new()
        .route("/i/{n}", post(inbox))
        .with_state(Arc::clone(&counter));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let inbox_base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}", dir.path().join("wb.sqlite").display());
    let port = free_port();
    let toml = format!(
        r#"
[server]
bind = "127.0.0.1:{port}"
public_url = "http://127.0.0.1:{port}"
[database]
url = "{db}"
[publisher]
name = "The Wire"
languages = ["en", "fr"]
[fetch]
allow_private_addresses = true
[[sources]]
id = "wire-en"
name = "The Wire"
role = "publisher"
url = "file://{dir}/missing-feed.xml"
language = "en"
poll_every = "1h"
[[actors]]
username = "wire"
languages = ["en"]
[federation]
delivery_concurrency = 3
delivery_per_host = 3
"#,
        dir = dir.path().display()
    );
    let config_path = dir.path().join("wirebridge.toml");
    std::fs::write(&config_path, &toml).expect("write config");
    let config = Arc::new(Config::parse(&config_path, &toml).expect("config"));

    // Before the daemon: the actor, 48 followers behind 24 shared inboxes,
    // and a story first seen after the actor was born.
    let store = Store::open(&db).await.expect("store");
    let fed = wirebridge::app::App::build(Arc::clone(&config), store.clone())
        .expect("services")
        .federation;
    fed.ensure_actors().await.expect("actor");
    for f in 0..INBOXES * 2 {
        let n = f % INBOXES;
        let row = FollowerRow {
            follower: format!("{inbox_base}/users/f{f}"),
            inbox: format!("{inbox_base}/users/f{f}/inbox"),
            shared_inbox: Some(format!("{inbox_base}/i/{n}")),
        };
        seed_follower(&store, "wire", &row).await;
    }
    wirebridge::ingest::poll::register_sources(&store, &config)
        .await
        .expect("sources");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let s = store
        .upsert_entries(&[sample_entry("wire-en", 1, "en")], Utc::now())
        .await
        .expect("upsert");
    Linker::new(store.clone(), &config)
        .link_entries(&s.changed_ids)
        .await
        .expect("link");

    let mut first = spawn(&config_path, &dir.path().join("first.log"));
    let started = Instant::now();
    let accepted = |c: &Mutex<Counter>| c.lock().expect("lock").accepted.len() as i64;
    while accepted(&counter) < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no Create within 60 s: {}",
            std::fs::read_to_string(dir.path().join("first.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // From now on requests hang. Kill once the answers already given are
    // all on record (the daemon saw them and wrote them down) and at
    // least one request hangs: the kill then lands with deliveries in
    // flight, and every delivery is either done or was never answered.
    counter.lock().expect("lock").hold = true;
    loop {
        let (answering, held) = {
            let c = counter.lock().expect("lock");
            (c.answering, c.held)
        };
        let done = store.fed_delivery_counts().await.expect("counts").done;
        if answering == 0 && held > 0 && done == accepted(&counter) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the fan-out never settled: {answering} answering, {held} held, {done} done of {} accepted",
            accepted(&counter)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().expect("SIGKILL");
    first.wait().expect("reaped");
    let (posts_at_kill, accepted_at_kill, held_at_kill) = {
        let c = counter.lock().expect("lock");
        (c.posts.len(), c.accepted.len(), c.held)
    };
    assert!(
        accepted_at_kill < INBOXES,
        "the kill should land mid fan-out ({accepted_at_kill} inboxes served)"
    );
    counter.lock().expect("lock").hold = false;

    let mut second = spawn(&config_path, &dir.path().join("second.log"));
    let restarted = Instant::now();
    // Until every inbox has its Create and the queue is drained: the
    // deliveries in flight at the kill are sent again once their claim
    // lapses (same activity id).
    while creates(&counter).len() < INBOXES
        || store.fed_delivery_counts().await.expect("counts").pending > 0
    {
        if restarted.elapsed() > Duration::from_secs(100) {
            let _ = second.kill();
            panic!(
                "only {} of {INBOXES} inboxes got the Create; log: {}",
                creates(&counter).len(),
                std::fs::read_to_string(dir.path().join("second.log")).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let _ = second.kill();
    let _ = second.wait();

    let got = creates(&counter);
    let ids: HashSet<&String> = got.values().flatten().collect();
    assert_eq!(
        ids.len(),
        1,
        "one Create for the story, the same everywhere"
    );
    // Each inbox accepted the Create exactly once: nothing answered
    // before the kill was sent again after the restart.
    let (accepted, order): (Vec<(usize, String)>, Vec<usize>) = {
        let c = counter.lock().expect("lock");
        (c.accepted.clone(), c.posts.iter().map(|p| p.0).collect())
    };
    for n in 0..INBOXES {
        let times = accepted
            .iter()
            .filter(|(i, kind)| *i == n && kind == "Create")
            .count();
        assert_eq!(times, 1, "inbox {n} accepted the Create {times} times");
    }
    let counts = store.fed_delivery_counts().await.expect("counts");
    assert_eq!((counts.pending, counts.done), (0, INBOXES as i64));
    eprintln!(
        "{} POSTs for {INBOXES} inboxes ({} throttled at first); before the kill {posts_at_kill} POSTs, {accepted_at_kill} accepted, {held_at_kill} in flight; order {order:?}",
        order.len(),
        INBOXES.div_ceil(5)
    );
}
