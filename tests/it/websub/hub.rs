//! Our own hub (`websub.hub = "builtin"`): a feed reader on loopback
//! subscribes, our hub verifies its intent, and pushes the changed feed to
//! it signed with its secret — again later when it was down.

use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use chrono::Utc;
use hmac::{Hmac, Mac};
use wirebridge::stories::Linker;

use super::{config, free_port, within, Running};
use crate::support::{sample_entry, sqlite_url};

type Pairs = Vec<(String, String)>;

/// A feed reader's callback: echoes challenges (unless told not to) and
/// answers pushes with `status`.
#[derive(Clone)]
struct Reader {
    url: String,
    echo: Arc<AtomicBool>,
    status: Arc<AtomicU16>,
    verifications: Arc<Mutex<Vec<Pairs>>>,
    pushes: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
}

impl Reader {
    async fn start(echo: bool, status: u16) -> Reader {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let reader = Reader {
            url: format!("http://{}/cb?reader=1", listener.local_addr().unwrap()),
            echo: Arc::new(AtomicBool::new(echo)),
            status: Arc::new(AtomicU16::new(status)),
            verifications: Arc::default(),
            pushes: Arc::default(),
        };
        let app = axum::Router::new()
            .route(
                "/cb",
                get(
                    |State(r): State<Reader>, Query(q): Query<Pairs>| async move {
                        let challenge = q
                            .iter()
                            .find(|(k, _)| k == "hub.challenge")
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default();
                        r.verifications.lock().unwrap().push(q);
                        if r.echo.load(Ordering::SeqCst) {
                            (StatusCode::OK, challenge)
                        } else {
                            (StatusCode::NOT_FOUND, String::new())
                        }
                    },
                )
                .post(
                    |State(r): State<Reader>, headers: HeaderMap, body: Bytes| async move {
                        r.pushes.lock().unwrap().push((headers, body));
                        StatusCode::from_u16(r.status.load(Ordering::SeqCst)).unwrap()
                    },
                ),
            )
            .with_state(reader.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        reader
    }

    fn pushes(&self) -> Vec<(HeaderMap, Bytes)> {
        self.pushes.lock().unwrap().clone()
    }
}

async fn hub_config() -> (tempfile::TempDir, wirebridge::config::Config) {
    let (dir, db) = sqlite_url();
    let cfg = config(
        &db,
        free_port(),
        "file:///nonexistent/feed.xml",
        "\n[websub]\nhub = \"builtin\"\n\n[admin]\ntoken = \"websub-admin-token-0123\"\n",
    );
    (dir, cfg)
}

async fn subscribe(base: &str, form: &[(&str, &str)]) -> u16 {
    reqwest::Client::new()
        .post(format!("{base}/websub/hub"))
        .form(form)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Stores and links a new entry, so our feeds change.
async fn publish(daemon: &Running, cfg: &wirebridge::config::Config, n: u32) {
    let linker = Linker::new(daemon.store.clone(), cfg).unwrap();
    let s = daemon
        .store
        .upsert_entries(&[sample_entry("outlet", n, "en")], Utc::now())
        .await
        .unwrap();
    linker.link_entries(&s.changed_ids).await.unwrap();
}

fn sha256(secret: &str, body: &[u8]) -> String {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(body);
    format!("sha256={}", hex::encode(m.finalize().into_bytes()))
}

#[tokio::test]
async fn our_hub_verifies_a_subscriber_and_delivers_signed_content_on_change() {
    let (_dir, cfg) = hub_config().await;
    let daemon = Running::start(cfg.clone()).await;
    let base = daemon.base.clone();
    let topic = format!("{base}/feeds/all.atom");
    let feed = daemon.get("/feeds/all.atom").await;
    assert!(
        feed.contains(&format!("{base}/websub/hub")),
        "our feeds advertise our hub"
    );

    let reader = Reader::start(true, 204).await;
    let not_ours = subscribe(
        &base,
        &[
            ("hub.mode", "subscribe"),
            ("hub.topic", "https://elsewhere.example/feed"),
            ("hub.callback", &reader.url),
        ],
    )
    .await;
    assert_eq!(not_ours, 400, "only our own feeds are topics");
    let status = subscribe(
        &base,
        &[
            ("hub.mode", "subscribe"),
            ("hub.topic", &topic),
            ("hub.callback", &reader.url),
            ("hub.secret", "reader-secret-42"),
            ("hub.lease_seconds", "60"),
        ],
    )
    .await;
    assert_eq!(status, 202);
    let verified = within(Duration::from_secs(5), || async {
        daemon.store.websub_subscribers().await.unwrap().len() == 1
    })
    .await;
    assert!(verified.is_some(), "the subscriber is verified");
    let check = reader.verifications.lock().unwrap()[0].clone();
    let get = |k: &str| {
        check
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(get("hub.mode").as_deref(), Some("subscribe"));
    assert_eq!(get("hub.topic").as_deref(), Some(topic.as_str()));
    assert_eq!(
        get("reader").as_deref(),
        Some("1"),
        "the callback's own query is kept"
    );
    assert_eq!(
        get("hub.lease_seconds").as_deref(),
        Some("86400"),
        "raised to a day"
    );

    // A callback that does not echo the challenge is not subscribed.
    let liar = Reader::start(false, 204).await;
    let form = [
        ("hub.mode", "subscribe"),
        ("hub.topic", topic.as_str()),
        ("hub.callback", liar.url.as_str()),
    ];
    assert_eq!(subscribe(&base, &form).await, 202);
    let asked = within(Duration::from_secs(5), || async {
        !liar.verifications.lock().unwrap().is_empty()
    })
    .await;
    assert!(asked.is_some());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(daemon.store.websub_subscribers().await.unwrap().len(), 1);

    publish(&daemon, &cfg, 7).await;
    let delivered = within(Duration::from_secs(5), || async {
        reader
            .pushes()
            .iter()
            .any(|(_, b)| String::from_utf8_lossy(b).contains("Story number 7"))
    })
    .await;
    assert!(delivered.is_some(), "the changed feed is pushed");
    for (headers, body) in reader.pushes() {
        let signature = headers["x-hub-signature"].to_str().unwrap();
        assert_eq!(
            signature,
            sha256("reader-secret-42", &body),
            "signed with the secret"
        );
        assert_eq!(headers["content-type"], "application/atom+xml");
        let link = headers["link"].to_str().unwrap();
        assert!(link.contains(&format!("<{topic}>; rel=\"self\"")), "{link}");
        assert!(link.contains("rel=\"hub\""), "{link}");
    }
    assert!(
        liar.pushes().is_empty(),
        "nothing for the unverified callback"
    );
    let listing = wirebridge::cli::websub::describe(&cfg, &daemon.store, Utc::now())
        .await
        .unwrap();
    assert!(listing.contains("our hub at"), "{listing}");
    let lease_shown = listing.contains("in 1d") || listing.contains("in 23h");
    assert!(listing.contains("/cb?reader=1") && lease_shown, "{listing}");
    let admin = reqwest::Client::new()
        .get(format!("{base}/admin"))
        .bearer_auth("websub-admin-token-0123")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(admin.contains("Subscribers of our hub"), "{admin}");
    assert!(
        admin.contains("/cb?reader=1"),
        "the subscriber is on /admin"
    );
    daemon.stop().await;
}

#[tokio::test]
async fn our_hub_retries_a_delivery_when_the_subscriber_is_down() {
    let (_dir, cfg) = hub_config().await;
    let daemon = Running::start(cfg.clone()).await;
    let topic = format!("{}/feeds/en.atom", daemon.base);
    let reader = Reader::start(true, 503).await;
    let form = [
        ("hub.mode", "subscribe"),
        ("hub.topic", topic.as_str()),
        ("hub.callback", reader.url.as_str()),
    ];
    assert_eq!(subscribe(&daemon.base, &form).await, 202);
    let verified = within(Duration::from_secs(5), || async {
        daemon.store.websub_subscribers().await.unwrap().len() == 1
    })
    .await;
    assert!(verified.is_some());

    publish(&daemon, &cfg, 9).await;
    let failed = within(Duration::from_secs(5), || async {
        !reader.pushes().is_empty()
            && daemon.store.websub_delivery_counts().await.unwrap().pending >= 1
    })
    .await;
    assert!(failed.is_some(), "a 503 leaves the delivery queued");
    let (headers, _) = &reader.pushes()[0];
    assert!(
        headers.get("x-hub-signature").is_none(),
        "no secret, no signature"
    );
    let tried = reader.pushes().len();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(reader.pushes().len(), tried, "backed off, not hammered");

    // The subscriber is back; skip the backoff (what `wirebridge websub
    // retry` does) rather than wait for it.
    reader.status.store(200, Ordering::SeqCst);
    daemon.store.websub_retry_now(Utc::now()).await.unwrap();
    let done = within(Duration::from_secs(5), || async {
        let c = daemon.store.websub_delivery_counts().await.unwrap();
        c.pending == 0 && c.done >= 1
    })
    .await;
    assert!(done.is_some(), "delivered on retry");
    assert!(reader.pushes().len() > tried);
    let (_, body) = reader.pushes().last().unwrap().clone();
    assert!(String::from_utf8_lossy(&body).contains("Story number 9"));
    daemon.stop().await;
}

#[tokio::test]
async fn a_callback_on_a_private_address_is_never_contacted() {
    let (_dir, mut cfg) = hub_config().await;
    cfg.fetch.allow_private_addresses = false;
    let daemon = Running::start(cfg).await;
    let reader = Reader::start(true, 204).await;
    let topic = format!("{}/feeds/all.atom", daemon.base);
    let form = [
        ("hub.mode", "subscribe"),
        ("hub.topic", topic.as_str()),
        ("hub.callback", reader.url.as_str()),
    ];
    assert_eq!(subscribe(&daemon.base, &form).await, 202);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        reader.verifications.lock().unwrap().is_empty(),
        "the guard stopped the verification request"
    );
    assert!(daemon.store.websub_subscribers().await.unwrap().is_empty());
    daemon.stop().await;
}
