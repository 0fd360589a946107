//! Double-knocking against the real planner and delivery worker: a host
//! that refuses RFC 9421 gets the cavage copy, is remembered in the store
//! (so another instance on the database starts with cavage), the memory is
//! not extended by use, and once it lapses the host is offered RFC 9421
//! again — and remembered as RFC 9421 if it upgraded. On SQLite and
//! PostgreSQL.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use chrono::Utc;
use tokio_util::sync::CancellationToken;
use wirebridge::config::Config;
use wirebridge::federation::delivery;
use wirebridge::store::{FollowerRow, Store};

use super::world::{seed_follower, world_on, World};
use crate::support::{sample_entry, serve_app};

/// An inbox host that may refuse RFC 9421 (401, as a cavage-only server
/// does) and records the scheme and status of every POST.
#[derive(Default)]
struct Picky {
    takes_rfc9421: AtomicBool,
    seen: Mutex<Vec<(String, &'static str, u16)>>,
}

async fn picky_inbox(State(p): State<Arc<Picky>>, headers: HeaderMap, body: String) -> StatusCode {
    let scheme = if headers.contains_key("signature-input") {
        "rfc9421"
    } else if headers.contains_key("signature") {
        "cavage"
    } else {
        "none"
    };
    let status = match scheme {
        "rfc9421" if p.takes_rfc9421.load(Ordering::SeqCst) => StatusCode::ACCEPTED,
        "cavage" => StatusCode::ACCEPTED,
        _ => StatusCode::UNAUTHORIZED,
    };
    let kind = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["type"].as_str().map(str::to_string))
        .unwrap_or_default();
    p.seen.lock().unwrap().push((kind, scheme, status.as_u16()));
    status
}

impl Picky {
    fn take(&self) -> Vec<(&'static str, u16)> {
        std::mem::take(&mut *self.seen.lock().unwrap())
            .into_iter()
            .map(|(_, s, st)| (s, st))
            .collect()
    }
}

/// Posts story `n` and waits until the picky host has answered `copies`
/// requests for it; what it saw.
async fn post_story(w: &World, picky: &Picky, n: u32, copies: usize) -> Vec<(&'static str, u16)> {
    w.add(&[sample_entry("wire-en", n, "en")]).await;
    w.plan().await;
    for _ in 0..200 {
        if picky.seen.lock().unwrap().len() >= copies {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Nothing more is coming for this story.
    tokio::time::sleep(Duration::from_millis(200)).await;
    picky.take()
}

async fn fallbacks(w: &World) -> f64 {
    let text = w
        .http
        .get(format!("{}/metrics", w.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .find(|l| {
            l.starts_with("wirebridge_signature_fallbacks_total{")
                && l.contains(r#"from="rfc9421""#)
                && l.contains(r#"to="cavage""#)
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// A delivery worker of another instance on the world's database: its own
/// store handle and client, nothing in memory shared with the first.
fn other_instance(w: &World, cancel: &CancellationToken) {
    let cfg = Config::parse(std::path::Path::new("other.toml"), &w.toml).expect("config");
    let cancel = cancel.clone();
    tokio::spawn(async move {
        let store = Store::open(&cfg.database.url).await.expect("store");
        let fed = wirebridge::app::App::build(Arc::new(cfg), store)
            .expect("services")
            .federation;
        delivery::run(fed, cancel).await
    });
}

/// The whole double-knocking story on one database (SQLite when `None`).
async fn double_knocking(db: Option<String>) {
    let w = world_on(db, "\n[federation]\nupdate_debounce = \"0s\"\n").await;
    let picky = Arc::new(Picky::default());
    let base = serve_app(
        Router::new()
            .route("/i/{n}", post(picky_inbox))
            .with_state(Arc::clone(&picky)),
    )
    .await;
    let host = base.trim_start_matches("http://").to_string();
    seed_follower(
        &w.store,
        "wire",
        &FollowerRow {
            follower: format!("{base}/users/reader"),
            inbox: format!("{base}/i/1"),
            shared_inbox: None,
        },
    )
    .await;
    let first = CancellationToken::new();
    let fed = Arc::clone(&w.fed);
    let cancel = first.clone();
    tokio::spawn(async move { delivery::run(fed, cancel).await });
    let fallbacks_before = fallbacks(&w).await;

    // First contact: RFC 9421 refused, the cavage copy accepted, remembered.
    assert_eq!(
        post_story(&w, &picky, 1, 2).await,
        [("rfc9421", 401), ("cavage", 202)]
    );
    let (scheme, learnt_at) = w
        .store
        .fed_signature_scheme(&host)
        .await
        .expect("store")
        .expect("remembered");
    assert_eq!(scheme, "cavage");
    assert!(fallbacks(&w).await >= fallbacks_before + 1.0);
    assert_eq!(
        w.store.fed_delivery_counts().await.expect("counts").dropped,
        0,
        "the 401 did not count against the delivery"
    );

    // Remembered, in the store: another instance, which never talked to
    // the host, sends the next story in cavage at once; and the memory is
    // not extended by using it.
    first.cancel();
    let second = CancellationToken::new();
    other_instance(&w, &second);
    assert_eq!(post_story(&w, &picky, 2, 1).await, [("cavage", 202)]);
    let (_, at) = w
        .store
        .fed_signature_scheme(&host)
        .await
        .expect("store")
        .expect("remembered");
    assert_eq!(at, learnt_at);

    // Eight days later (the memory lasts seven) the host is asked in RFC
    // 9421 again; it still refuses, and is remembered afresh.
    let lapsed = Utc::now() - chrono::Duration::days(8);
    w.store
        .fed_remember_signature_scheme(&host, "cavage", lapsed)
        .await
        .expect("store");
    assert_eq!(
        post_story(&w, &picky, 3, 2).await,
        [("rfc9421", 401), ("cavage", 202)]
    );
    let (scheme, at) = w
        .store
        .fed_signature_scheme(&host)
        .await
        .expect("store")
        .expect("remembered");
    assert_eq!(scheme, "cavage");
    assert!(Utc::now() - at < chrono::Duration::minutes(1));

    // Meanwhile the host upgraded: after the next lapse RFC 9421 gets
    // through at the first knock, and that is what is remembered.
    picky.takes_rfc9421.store(true, Ordering::SeqCst);
    w.store
        .fed_remember_signature_scheme(&host, "cavage", lapsed)
        .await
        .expect("store");
    assert_eq!(post_story(&w, &picky, 4, 1).await, [("rfc9421", 202)]);
    let (scheme, _) = w
        .store
        .fed_signature_scheme(&host)
        .await
        .expect("store")
        .expect("remembered");
    assert_eq!(scheme, "rfc9421");
    second.cancel();
}

#[tokio::test]
async fn a_host_that_refuses_rfc_9421_gets_the_cavage_copy_is_remembered_for_every_instance_and_is_offered_rfc_9421_again_once_the_memory_lapses(
) {
    double_knocking(None).await;
}

#[tokio::test]
async fn double_knocking_and_its_memory_work_on_postgresql() {
    let test = "double_knocking_and_its_memory_work_on_postgresql";
    let Some(db) = crate::support::postgres_url(test).await else {
        return;
    };
    double_knocking(Some(db.clone())).await;
    crate::support::drop_postgres(&db).await;
}
