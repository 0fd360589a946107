//! Several `wirebridge serve` processes on one PostgreSQL database share
//! the work: each source is polled once per interval, whoever polls it.

use std::process::Stdio;
use std::time::Duration;

use wirebridge::store::Store;

use crate::support::{config_toml, drop_postgres, postgres_url, FeedServer, Reply, Src};

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
    let Some(db) = postgres_url("two_instances_on_one_postgres_poll_each_feed_once_per_interval").await
    else {
        return;
    };
    let server = FeedServer::start().await;
    let urls: Vec<String> = (0..4).map(|n| server.url(&format!("/feed{n}"))).collect();
    let ids: Vec<String> = (0..4).map(|n| format!("feed{n}")).collect();
    for n in 0..4 {
        server.set(&format!("/feed{n}"), Reply::ok("application/rss+xml", rss(n)));
    }
    let sources: Vec<Src> = ids
        .iter()
        .zip(&urls)
        .map(|(id, url)| Src { id, url, language: "en", role: "outlet" })
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
        let times: Vec<_> = seen.iter().filter(|r| r.path == path).map(|r| r.at).collect();
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
    assert_eq!(store.entry_count().await.expect("count"), 4, "each item stored once");
    let stories = store.stories_page(None, 100, None).await.expect("stories");
    assert_eq!(stories.len(), 4, "each item in one story");
    store.close().await;
    drop_postgres(&db).await;
}
