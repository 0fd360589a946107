//! Our own hub (`websub.hub = "builtin"`): a feed reader on loopback
//! subscribes, our hub verifies its intent, sends it the current feed, and
//! pushes the changed feed to it signed with its secret — again later when
//! it was down. A topic that is not ours is denied at the callback; a
//! subscriber whose lease ended is pruned.

use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use chrono::Utc;
use hmac::{Hmac, KeyInit, Mac};
use wirebridge::linker::Linker;

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

    fn verifications(&self) -> Vec<Pairs> {
        self.verifications.lock().unwrap().clone()
    }
}

/// The value of `key` in a request's query.
fn param(query: &Pairs, key: &str) -> Option<String> {
    query.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
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

/// Stores and links a new entry, so our feeds change (once the daemon's
/// poller has recorded the source).
async fn publish(daemon: &Running, cfg: &wirebridge::config::Config, n: u32) {
    let known = within(Duration::from_secs(5), || async {
        !daemon.store.source_states().await.unwrap().is_empty()
    })
    .await;
    assert!(known.is_some(), "the daemon records its sources");
    let linker = Linker::new(daemon.store.clone(), cfg);
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
    let admin = crate::support::admin_page(&base, "websub-admin-token-0123").await;
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
    // The current copy a new subscriber gets fails first.
    let first = within(Duration::from_secs(5), || async {
        !reader.pushes().is_empty()
            && daemon.store.websub_delivery_counts().await.unwrap().pending == 1
    })
    .await;
    assert!(first.is_some(), "the current copy is queued and tried");

    publish(&daemon, &cfg, 9).await;
    let failed = within(Duration::from_secs(5), || async {
        reader
            .pushes()
            .iter()
            .any(|(_, b)| String::from_utf8_lossy(b).contains("Story number 9"))
            && daemon.store.websub_delivery_counts().await.unwrap().pending == 2
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
    let again = reader.pushes()[tried..].to_vec();
    assert!(
        again
            .iter()
            .any(|(_, b)| String::from_utf8_lossy(b).contains("Story number 9")),
        "the change is delivered on retry"
    );
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
    let foreign = [
        ("hub.mode", "subscribe"),
        ("hub.topic", "https://elsewhere.example/feed"),
        ("hub.callback", reader.url.as_str()),
    ];
    assert_eq!(subscribe(&daemon.base, &foreign).await, 202);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        reader.verifications.lock().unwrap().is_empty(),
        "the guard stopped the verification and the denial requests"
    );
    assert!(daemon.store.websub_subscribers().await.unwrap().is_empty());
    daemon.stop().await;
}

#[tokio::test]
async fn a_subscription_to_a_topic_we_do_not_publish_is_denied_at_the_callback() {
    let (_dir, cfg) = hub_config().await;
    let daemon = Running::start(cfg).await;
    let base = daemon.base.clone();
    let reader = Reader::start(true, 204).await;
    let ours = format!("{base}/feeds/all.atom");

    // Malformed requests are refused at once and nobody is contacted.
    let malformed: [&[(&str, &str)]; 4] = [
        &[("hub.mode", "subscribe"), ("hub.topic", &ours)],
        &[
            ("hub.mode", "publish"),
            ("hub.topic", &ours),
            ("hub.callback", &reader.url),
        ],
        &[
            ("hub.mode", "subscribe"),
            ("hub.topic", &ours),
            ("hub.callback", "ftp://127.0.0.1/cb"),
        ],
        &[
            ("hub.mode", "subscribe"),
            ("hub.topic", "not a url"),
            ("hub.callback", &reader.url),
        ],
    ];
    for form in malformed {
        assert_eq!(subscribe(&base, form).await, 400, "{form:?}");
    }

    // Well-formed, but not one of our live feeds: accepted, then denied.
    let elsewhere = "https://elsewhere.example/feed";
    let no_such_language = format!("{base}/feeds/zz.atom");
    for topic in [elsewhere, no_such_language.as_str()] {
        let form = [
            ("hub.mode", "subscribe"),
            ("hub.topic", topic),
            ("hub.callback", reader.url.as_str()),
            ("hub.secret", "reader-secret-42"),
        ];
        assert_eq!(subscribe(&base, &form).await, 202, "{topic}");
    }
    let told = within(Duration::from_secs(5), || async {
        reader.verifications().len() >= 2
    })
    .await;
    assert!(told.is_some(), "the callback hears of the denial");
    let mut denied_topics = Vec::new();
    for q in reader.verifications() {
        assert_eq!(param(&q, "hub.mode").as_deref(), Some("denied"), "{q:?}");
        assert_eq!(param(&q, "hub.challenge"), None, "nothing to echo: {q:?}");
        let reason = param(&q, "hub.reason").unwrap_or_default();
        assert!(reason.contains("not a topic of this hub"), "{q:?}");
        assert!(reason.contains(&base), "names whose feeds it serves: {q:?}");
        assert_eq!(
            param(&q, "reader").as_deref(),
            Some("1"),
            "the callback's own query is kept"
        );
        denied_topics.push(param(&q, "hub.topic").unwrap_or_default());
    }
    denied_topics.sort();
    let mut expected = vec![elsewhere.to_string(), no_such_language.clone()];
    expected.sort();
    assert_eq!(denied_topics, expected, "one denial per refused topic");

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        daemon.store.websub_subscribers().await.unwrap().is_empty(),
        "nothing stored for a denied subscription"
    );
    let c = daemon.store.websub_delivery_counts().await.unwrap();
    assert_eq!((c.pending, c.done, c.dropped), (0, 0, 0));
    assert!(reader.pushes().is_empty(), "and nothing delivered");
    assert_eq!(
        reader.verifications().len(),
        2,
        "the malformed requests reached nobody"
    );
    daemon.stop().await;
}

#[tokio::test]
async fn a_new_subscriber_receives_the_current_feed_at_once_and_a_renewal_does_not() {
    let (_dir, cfg) = hub_config().await;
    // Stored before the daemon starts, so the hub's first look at the feeds
    // already sees it: the only reason to push is the new subscriber.
    let store = wirebridge::store::Store::open(&cfg.database.url)
        .await
        .unwrap();
    wirebridge::ingest::poll::register_sources(&store, &cfg)
        .await
        .unwrap();
    let s = store
        .upsert_entries(&[sample_entry("outlet", 3, "en")], Utc::now())
        .await
        .unwrap();
    let linker = Linker::new(store.clone(), &cfg);
    linker.link_entries(&s.changed_ids).await.unwrap();
    store.close().await;
    let daemon = Running::start(cfg.clone()).await;
    let topic = format!("{}/feeds/all.atom", daemon.base);
    let reader = Reader::start(true, 204).await;
    let form = [
        ("hub.mode", "subscribe"),
        ("hub.topic", topic.as_str()),
        ("hub.callback", reader.url.as_str()),
        ("hub.secret", "first-copy-secret"),
    ];
    assert_eq!(subscribe(&daemon.base, &form).await, 202);
    let arrived = within(Duration::from_secs(5), || async {
        !reader.pushes().is_empty()
    })
    .await;
    assert!(
        arrived.is_some(),
        "the current feed arrives without a change"
    );
    assert_eq!(
        reader.verifications().len(),
        1,
        "sent after the intent was verified"
    );
    let (headers, body) = reader.pushes()[0].clone();
    let current = reqwest::get(&topic).await.unwrap().bytes().await.unwrap();
    assert_eq!(body, current, "the feed as served now");
    assert!(String::from_utf8_lossy(&body).contains("Story number 3"));
    assert_eq!(
        headers["x-hub-signature"].to_str().unwrap(),
        sha256("first-copy-secret", &body),
        "signed with the subscriber's secret"
    );
    assert_eq!(headers["content-type"], "application/atom+xml");
    let link = headers["link"].to_str().unwrap();
    assert!(link.contains(&format!("<{topic}>; rel=\"self\"")), "{link}");

    // A renewal of the active subscription is verified but sends nothing.
    let renew = [
        ("hub.mode", "subscribe"),
        ("hub.topic", topic.as_str()),
        ("hub.callback", reader.url.as_str()),
        ("hub.secret", "first-copy-secret"),
        ("hub.lease_seconds", "172800"),
    ];
    assert_eq!(subscribe(&daemon.base, &renew).await, 202);
    let renewed = within(Duration::from_secs(5), || async {
        let subs = daemon.store.websub_subscribers().await.unwrap();
        subs.len() == 1 && subs[0].lease_seconds == 172_800
    })
    .await;
    assert!(renewed.is_some(), "the renewal took effect");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(reader.verifications().len(), 2);
    assert_eq!(reader.pushes().len(), 1, "no second copy on renewal");
    let c = daemon.store.websub_delivery_counts().await.unwrap();
    assert_eq!((c.pending, c.done, c.dropped), (0, 1, 0), "{c:?}");
    daemon.stop().await;
}

#[tokio::test]
async fn an_expired_subscriber_is_pruned_with_its_pending_deliveries() {
    let (_dir, cfg) = hub_config().await;
    let daemon = Running::start(cfg.clone()).await;
    let base = daemon.base.clone();
    let topic = format!("{base}/feeds/all.atom");
    // `lapsing` takes a day's lease and is down; `staying` takes ten days.
    let lapsing = Reader::start(true, 503).await;
    let staying = Reader::start(true, 204).await;
    for (reader, lease) in [(&lapsing, "86400"), (&staying, "864000")] {
        let form = [
            ("hub.mode", "subscribe"),
            ("hub.topic", topic.as_str()),
            ("hub.callback", reader.url.as_str()),
            ("hub.lease_seconds", lease),
        ];
        assert_eq!(subscribe(&base, &form).await, 202);
    }
    // Both get the current copy; `lapsing`'s fails and stays queued.
    let settled = within(Duration::from_secs(5), || async {
        let c = daemon.store.websub_delivery_counts().await.unwrap();
        daemon.store.websub_subscribers().await.unwrap().len() == 2
            && !lapsing.pushes().is_empty()
            && !staying.pushes().is_empty()
            && (c.pending, c.done) == (1, 1)
    })
    .await;
    assert!(
        settled.is_some(),
        "both verified, one copy queued for retry"
    );
    let lapsing_tries = lapsing.pushes().len();

    // Time passes through `now`: within the grace after the lease nothing
    // goes; past it the lapsed subscriber goes with its queued copy.
    let now = Utc::now();
    let prune = |at| wirebridge::websub::hub::prune(&daemon.store, at);
    let kept = prune(now + chrono::Duration::hours(25)).await.unwrap();
    assert_eq!(kept.subscribers, 0, "a renewal may still be on its way");
    assert_eq!(daemon.store.websub_subscribers().await.unwrap().len(), 2);
    let later = now + chrono::Duration::days(3);
    let pruned = prune(later).await.unwrap();
    assert_eq!((pruned.subscribers, pruned.deliveries), (1, 1));
    let left = daemon.store.websub_subscribers().await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].callback, staying.url);
    let c = daemon.store.websub_delivery_counts().await.unwrap();
    assert_eq!(c.pending, 0, "its queued copy went with it");

    let listing = wirebridge::cli::websub::describe(&cfg, &daemon.store, later)
        .await
        .unwrap();
    assert!(listing.contains(&staying.url), "{listing}");
    assert!(!listing.contains(&lapsing.url), "{listing}");
    let admin = crate::support::admin_page(&base, "websub-admin-token-0123").await;
    assert!(admin.contains(&staying.url), "{admin}");
    assert!(!admin.contains(&lapsing.url), "not on /admin either");

    // The lapsed reader is back up; nothing more comes to it, while the
    // change still reaches the subscriber that stayed.
    lapsing.status.store(204, Ordering::SeqCst);
    daemon.store.websub_retry_now(Utc::now()).await.unwrap();
    publish(&daemon, &cfg, 5).await;
    let delivered = within(Duration::from_secs(5), || async {
        staying
            .pushes()
            .iter()
            .any(|(_, b)| String::from_utf8_lossy(b).contains("Story number 5"))
    })
    .await;
    assert!(
        delivered.is_some(),
        "the staying subscriber gets the change"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        lapsing.pushes().len(),
        lapsing_tries,
        "no more deliveries to the pruned subscriber"
    );
    daemon.stop().await;
}
