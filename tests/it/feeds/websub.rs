//! WebSub publishing: the daemon pings the configured hub (a loopback
//! server here) once per live feed whose bytes changed, and not otherwise.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::routing::post;
use chrono::Utc;
use tokio_util::sync::CancellationToken;
use wirebridge::daemon::Daemon;
use wirebridge::linker::Linker;

use super::{feeds_config, version};
use crate::support::{sqlite_url, FeedServer};

type Pings = Arc<Mutex<Vec<String>>>;

async fn hub() -> (String, Pings) {
    let pings: Pings = Arc::default();
    let app = axum::Router::new()
        .route(
            "/",
            post(|State(p): State<Pings>, body: String| async move {
                p.lock().unwrap().push(body);
                axum::http::StatusCode::NO_CONTENT
            }),
        )
        .with_state(Arc::clone(&pings));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, pings)
}

fn decoded(pings: &Pings) -> Vec<(String, String)> {
    pings
        .lock()
        .unwrap()
        .iter()
        .map(|body| {
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
                .into_owned()
                .collect();
            let get = |k: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            (get("hub.mode"), get("hub.url"))
        })
        .collect()
}

#[tokio::test]
async fn the_hub_is_pinged_once_for_each_feed_that_changed() {
    let (hub_url, pings) = hub().await;
    // The poller runs too; its sources all live on a loopback server.
    let sources = FeedServer::start().await;
    let (_dir, db) = sqlite_url();
    let mut config = feeds_config(&db, &format!("[websub]\nhub = \"{hub_url}\"\n"));
    for s in &mut config.sources {
        s.url = url::Url::parse(&sources.url(&format!("/{}.xml", s.id))).unwrap();
    }
    let daemon = Daemon::build(config.clone()).await.unwrap();
    let store = daemon.store().clone();
    let cancel = CancellationToken::new();
    let running = tokio::spawn(daemon.run_until_stopped(cancel.clone()));
    // The first look only learns the feeds as they are.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(pings.lock().unwrap().is_empty(), "starting is not a change");

    let linker = Linker::new(store.clone(), &config);
    for (src, l, title) in [
        ("wire-en", "en", "Grain silos reopen"),
        ("wire-fr", "fr", "Les silos rouvrent"),
    ] {
        let s = store
            .upsert_entries(&[version(src, 3, l, title)], Utc::now())
            .await
            .unwrap();
        linker.link_entries(&s.changed_ids).await.unwrap();
    }
    // en, fr and all, in three formats each.
    let mut waited = 0;
    while pings.lock().unwrap().len() < 9 && waited < 100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let settled = pings.lock().unwrap().len();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(pings.lock().unwrap().len(), settled, "no change, no ping");
    let seen = decoded(&pings);
    let mut urls: Vec<&str> = seen.iter().map(|(_, u)| u.as_str()).collect();
    urls.sort_unstable();
    // Linking en then fr may straddle one of the task's looks: en's feeds
    // then change twice (fr's version adds an alternate), two pings.
    urls.dedup();
    assert_eq!(
        urls,
        [
            "https://wire.example.org/feeds/all.atom",
            "https://wire.example.org/feeds/all.json",
            "https://wire.example.org/feeds/all.rss",
            "https://wire.example.org/feeds/en.atom",
            "https://wire.example.org/feeds/en.json",
            "https://wire.example.org/feeds/en.rss",
            "https://wire.example.org/feeds/fr.atom",
            "https://wire.example.org/feeds/fr.json",
            "https://wire.example.org/feeds/fr.rss",
        ],
        "a ping for each changed feed, none for unchanged ones"
    );
    assert!(seen.iter().all(|(mode, _)| mode == "publish"));
    cancel.cancel();
    running.await.unwrap().unwrap();
}
