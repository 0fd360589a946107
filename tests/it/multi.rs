//! Several `wirebridge serve` processes on one PostgreSQL database share
//! the work: each source is polled once per interval, whoever polls it.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use chrono::Utc;
use serde_json::Value;
use wirebridge::config::Config;
use wirebridge::linker::Linker;
use wirebridge::store::{FollowerRow, NewActivity, Store};

use crate::support::{
    config_toml, drop_postgres, postgres_url, sample_entry, FeedServer, Reply, Src,
};

fn rss(n: usize) -> String {
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Feed {n}</title>\
         <language>en</language><item><guid>item-{n}</guid><title>Harbour news {n}</title>\
         <link>https://harborledger.example/news/{n}</link>\
         <description>Only item of feed {n}.</description></item></channel></rss>"
    )
}

#[tokio::test]
async fn two_instances_on_one_postgres_poll_each_feed_once_per_interval() {
    let Some(db) =
        postgres_url("two_instances_on_one_postgres_poll_each_feed_once_per_interval").await
    else {
        return;
    };
    let server = FeedServer::start().await;
    let urls: Vec<String> = (0..4).map(|n| server.url(&format!("/feed{n}"))).collect();
    let ids: Vec<String> = (0..4).map(|n| format!("feed{n}")).collect();
    for n in 0..4 {
        server.set(
            &format!("/feed{n}"),
            Reply::ok("application/rss+xml", rss(n)),
        );
    }
    let sources: Vec<Src> = ids
        .iter()
        .zip(&urls)
        .map(|(id, url)| Src {
            id,
            url,
            language: "en",
            role: "outlet",
        })
        .collect();
    let toml = config_toml(&db, &sources).replace("poll_every = \"10m\"", "poll_every = \"10s\"");
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("wirebridge.toml");
    std::fs::write(&path, toml).expect("config");

    let spawn = || {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_wirebridge"))
            .arg("--config")
            .arg(&path)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("serve")
    };
    let mut a = spawn();
    let mut b = spawn();
    // Long enough for the first poll (within 2.5 s) and two more rounds.
    tokio::time::sleep(Duration::from_secs(25)).await;
    a.kill().await.expect("kill a");
    b.kill().await.expect("kill b");

    let seen = server.seen();
    for n in 0..4 {
        let path = format!("/feed{n}");
        let times: Vec<_> = seen
            .iter()
            .filter(|r| r.path == path)
            .map(|r| r.at)
            .collect();
        assert!(times.len() >= 2, "{path} polled {} times", times.len());
        for pair in times.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(
                gap >= Duration::from_millis(9_500),
                "{path} fetched twice within one 10 s interval ({gap:?} apart)"
            );
        }
    }
    let store = Store::open(&db).await.expect("store");
    assert_eq!(
        store.entry_count().await.expect("count"),
        4,
        "each item stored once"
    );
    let stories = store.stories_page(None, 100, None).await.expect("stories");
    assert_eq!(stories.len(), 4, "each item in one story");
    store.close().await;
    drop_postgres(&db).await;
}

/// What the inbox server saw: (inbox number, activity type) per POST.
type Posts = Arc<Mutex<Vec<(usize, String)>>>;

async fn inbox(State(posts): State<Posts>, UrlPath(n): UrlPath<usize>, body: Bytes) -> StatusCode {
    let doc: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let kind = doc["type"].as_str().unwrap_or_default().to_string();
    posts.lock().unwrap().push((n, kind));
    StatusCode::ACCEPTED
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_send_each_inbox_one_copy_and_both_serve_current_feeds() {
    const INBOXES: usize = 12;
    let Some(db) =
        postgres_url("two_instances_send_each_inbox_one_copy_and_both_serve_current_feeds").await
    else {
        return;
    };
    let posts: Posts = Arc::default();
    let app = Router::new()
        .route("/i/{n}", post(inbox))
        .with_state(Arc::clone(&posts));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let inbox_base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let public = free_port();
    let config_for = |port: u16| {
        format!(
            "[server]\nbind = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{public}\"\n\
             [database]\nurl = \"{db}\"\n[publisher]\nname = \"The Wire\"\nlanguages = [\"en\", \"fr\"]\n\
             [fetch]\nallow_private_addresses = true\n\
             [[sources]]\nid = \"wire-en\"\nname = \"The Wire\"\nrole = \"publisher\"\n\
             url = \"file://{dir}/missing.xml\"\nlanguage = \"en\"\npoll_every = \"1h\"\n\
             [[actors]]\nusername = \"wire\"\nlanguages = [\"en\"]\n",
            dir = dir.path().display()
        )
    };
    let (port_a, port_b) = (free_port(), free_port());
    let path_a = dir.path().join("a.toml");
    let path_b = dir.path().join("b.toml");
    std::fs::write(&path_a, config_for(port_a)).unwrap();
    std::fs::write(&path_b, config_for(port_b)).unwrap();
    let config = Arc::new(Config::parse(&path_a, &config_for(port_a)).unwrap());

    // The actor and 36 followers behind 12 shared inboxes, then a story.
    let store = Store::open(&db).await.unwrap();
    let fed = wirebridge::app::App::build(Arc::clone(&config), store.clone())
        .expect("services")
        .federation;
    fed.ensure_actors().await.unwrap();
    for f in 0..INBOXES * 3 {
        let row = FollowerRow {
            follower: format!("{inbox_base}/users/f{f}"),
            inbox: format!("{inbox_base}/users/f{f}/inbox"),
            shared_inbox: Some(format!("{inbox_base}/i/{}", f % INBOXES)),
        };
        let accept = NewActivity {
            id: format!("seed-accept-{f}"),
            actor: "wire".into(),
            kind: "Accept".into(),
            json: "{}".into(),
            ordering_key: format!("seed-{f}"),
            inboxes: Vec::new(),
            now: Utc::now(),
        };
        store
            .fed_add_follower("wire", &row, &format!("follow-{f}"), &accept)
            .await
            .unwrap();
    }
    wirebridge::ingest::poll::register_sources(&store, &config)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut story = sample_entry("wire-en", 1, "en");
    story.title = "Pilots end their strike in the northern port".into();
    let s = store.upsert_entries(&[story], Utc::now()).await.unwrap();
    Linker::new(store.clone(), &config)
        .link_entries(&s.changed_ids)
        .await
        .unwrap();

    let spawn = |path: &std::path::Path| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_wirebridge"))
            .arg("--config")
            .arg(path)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    };
    let mut a = spawn(&path_a);
    let mut b = spawn(&path_b);

    let creates = |posts: &Posts| -> Vec<usize> {
        let mut per = vec![0usize; INBOXES];
        for (n, kind) in posts.lock().unwrap().iter() {
            if kind == "Create" {
                per[*n] += 1;
            }
        }
        per
    };
    let started = Instant::now();
    while creates(&posts).contains(&0) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not every inbox got its Create"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Both instances serve the story in their feeds.
    for port in [port_a, port_b] {
        let body = reqwest::get(format!("http://127.0.0.1:{port}/feeds/all.atom"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            body.contains("Pilots end their strike"),
            "instance on {port}: {body}"
        );
    }
    // Time for a duplicate to show up, if one were coming.
    tokio::time::sleep(Duration::from_secs(4)).await;
    a.kill().await.unwrap();
    b.kill().await.unwrap();
    assert_eq!(
        creates(&posts),
        vec![1; INBOXES],
        "exactly one Create per shared inbox"
    );
    store.close().await;
    drop_postgres(&db).await;
}
