//! An outlet on loopback with its feed and its hub in one server, and our
//! side subscribed to it: the outlet advertises `rel="hub"`, our poll
//! notices, our subscriber asks, and the test plays the hub.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::routing::{get, post};
use axum::Form;
use hmac::{Hmac, KeyInit, Mac};
use wirebridge::store::Store;

use super::{config, free_port, within, Running};
use crate::support::sqlite_url;

type Pairs = Vec<(String, String)>;

#[derive(Default)]
struct Seen {
    feed_hits: usize,
    requests: Vec<Pairs>,
}

#[derive(Clone)]
pub(super) struct Outlet {
    pub(super) base: String,
    feed: Arc<String>,
    seen: Arc<Mutex<Seen>>,
}

pub(super) fn atom(base: &str, items: &[(&str, &str)]) -> String {
    let entries: String = items
        .iter()
        .map(|(slug, title)| {
            format!(
                "<entry><id>{base}/news/{slug}</id><title>{title}</title>\
                 <link href=\"{base}/news/{slug}\"/><updated>2026-11-30T08:00:00Z</updated>\
                 <content type=\"html\">&lt;p&gt;{title}: the full story, told plainly.&lt;/p&gt;</content></entry>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
         <feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\"><title>Outlet</title>\
         <id>{base}/feed.xml</id><updated>2026-11-30T08:00:00Z</updated>\
         <link rel=\"hub\" href=\"{base}/hub\"/><link rel=\"self\" href=\"{base}/feed.xml\"/>\
         {entries}</feed>"
    )
}

impl Outlet {
    pub(super) async fn start() -> Outlet {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let outlet = Outlet {
            feed: Arc::new(atom(&base, &[("harbour", "Harbour cranes repainted")])),
            base,
            seen: Arc::default(),
        };
        let app = axum::Router::new()
            .route(
                "/feed.xml",
                get(|State(o): State<Outlet>| async move {
                    o.seen.lock().unwrap().feed_hits += 1;
                    (
                        [("content-type", "application/atom+xml")],
                        o.feed.to_string(),
                    )
                }),
            )
            .route(
                "/hub",
                post(
                    |State(o): State<Outlet>, Form(form): Form<Pairs>| async move {
                        o.seen.lock().unwrap().requests.push(form);
                        axum::http::StatusCode::ACCEPTED
                    },
                ),
            )
            .with_state(outlet.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        outlet
    }

    pub(super) fn requests(&self) -> Vec<Pairs> {
        self.seen.lock().unwrap().requests.clone()
    }

    pub(super) fn feed_hits(&self) -> usize {
        self.seen.lock().unwrap().feed_hits
    }
}

pub(super) fn field<'a>(form: &'a Pairs, name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// Our side after one poll of the outlet and a verified subscription.
pub(super) struct Subscribed {
    pub(super) outlet: Outlet,
    pub(super) daemon: Running,
    pub(super) callback: String,
    pub(super) secret: String,
    pub(super) config: wirebridge::config::Config,
    pub(super) db: String,
    _dir: tempfile::TempDir,
}

pub(super) async fn wait_for_request(outlet: &Outlet, n: usize, limit: Duration) -> Pairs {
    let got = within(limit, || async { outlet.requests().len() >= n }).await;
    assert!(got.is_some(), "no request #{n} to the hub within {limit:?}");
    outlet.requests()[n - 1].clone()
}

pub(super) async fn verify(
    callback: &str,
    mode: &str,
    topic: &str,
    challenge: &str,
    lease: u32,
) -> (u16, String) {
    let r = reqwest::Client::new()
        .get(callback)
        .query(&[
            ("hub.mode", mode),
            ("hub.topic", topic),
            ("hub.challenge", challenge),
            ("hub.lease_seconds", &lease.to_string()),
        ])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

pub(super) async fn subscribed(lease: u32) -> Subscribed {
    let outlet = Outlet::start().await;
    let (dir, db) = sqlite_url();
    let port = free_port();
    let cfg = config(&db, port, &format!("{}/feed.xml", outlet.base), "");
    // One poll before the daemon starts: it stores the first entry and
    // notices the hub; the daemon's own next poll is ten minutes away.
    let store = Store::open(&db).await.unwrap();
    let poller = crate::support::poller(Arc::new(cfg.clone()), store.clone());
    poller.sync_sources().await.unwrap();
    let reports = poller.poll_now(None, &|_| {}).await.unwrap();
    assert_eq!(reports[0].new, 1, "{reports:?}");
    store.close().await;
    let daemon = Running::start(cfg.clone()).await;

    let form = wait_for_request(&outlet, 1, Duration::from_secs(5)).await;
    let topic = format!("{}/feed.xml", outlet.base);
    assert_eq!(field(&form, "hub.mode"), "subscribe");
    assert_eq!(field(&form, "hub.topic"), topic);
    let callback = field(&form, "hub.callback").to_string();
    assert!(
        callback.starts_with(&format!("{}/websub/callback/", daemon.base)),
        "{callback}"
    );
    let secret = field(&form, "hub.secret").to_string();
    assert!(secret.len() >= 16, "a random secret per subscription");
    assert!(!field(&form, "hub.lease_seconds").is_empty());

    // Verification of intent: only the topic we asked for is confirmed.
    let wrong = verify(
        &callback,
        "subscribe",
        "http://127.0.0.1:9/other.xml",
        "nope",
        lease,
    )
    .await;
    assert_eq!(wrong.0, 404, "a topic we never asked for is not confirmed");
    let unknown = verify(
        &format!("{}/websub/callback/feedface", daemon.base),
        "subscribe",
        &topic,
        "nope",
        lease,
    )
    .await;
    assert_eq!(
        unknown.0, 404,
        "a callback we never gave out is not confirmed"
    );
    let ok = verify(&callback, "subscribe", &topic, "c-7731", lease).await;
    assert_eq!(ok, (200, "c-7731".to_string()), "the challenge is echoed");
    Subscribed {
        outlet,
        daemon,
        callback,
        secret,
        config: cfg,
        db,
        _dir: dir,
    }
}

pub(super) fn signed(method: &str, secret: &str, body: &str) -> String {
    let key = secret.as_bytes();
    let digest = match method {
        "sha1" => {
            let mut m = Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
            m.update(body.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
        _ => {
            let mut m = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
            m.update(body.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
    };
    format!("{method}={}", hex::encode(digest))
}

pub(super) async fn push(callback: &str, body: &str, signature: Option<String>) -> u16 {
    let mut req = reqwest::Client::new()
        .post(callback)
        .header("content-type", "application/atom+xml")
        .body(body.to_string());
    if let Some(s) = signature {
        req = req.header("x-hub-signature", s);
    }
    req.send().await.unwrap().status().as_u16()
}
