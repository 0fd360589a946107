//! Fan-out figures (printed, not asserted): one story posted by an actor
//! with 10,000 followers behind 1,000 shared inboxes, delivered to a
//! loopback server — planning time, delivery seconds and deliveries per
//! second — once per signature scheme: RFC 9421 (what a new host gets) and
//! cavage (a host remembered as cavage-only), next to the bare cost of
//! each scheme's signature, measured in the same run.
//!
//! Run: `cargo bench --bench federation` (SQLite in a temp dir, 127.0.0.1).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use chrono::Utc;
use tokio_util::sync::CancellationToken;
use url::Url;
use wirebridge::config::Config;
use wirebridge::domain::{Entry, EntryKey, Lang, LangOrigin, SourceId};
use wirebridge::federation::keys::{self, Signer};
use wirebridge::federation::signature::{self, Scheme};
use wirebridge::federation::{delivery, planner};
use wirebridge::linker::Linker;
use wirebridge::store::{FollowerRow, NewActivity, Store};

const FOLLOWERS: usize = 10_000;
const INBOXES: usize = 1_000;
const CONCURRENCY: usize = 64;

/// Deliveries received, and how many of them were signed with RFC 9421.
#[derive(Default)]
struct Hits {
    all: AtomicUsize,
    rfc9421: AtomicUsize,
}

async fn inbox(State(hits): State<Arc<Hits>>, headers: HeaderMap) -> StatusCode {
    if headers.contains_key("signature-input") {
        hits.rfc9421.fetch_add(1, Ordering::Relaxed);
    }
    hits.all.fetch_add(1, Ordering::Relaxed);
    StatusCode::ACCEPTED
}

fn entry() -> Entry {
    Entry {
        source: SourceId::parse("wire-en").expect("id"),
        key: EntryKey::from_guid("urn:bench:1"),
        guid: Some("urn:bench:1".into()),
        url: Some("https://wire.example.org/en/bench".into()),
        canonical_url: Some("https://wire.example.org/en/bench".into()),
        language: Lang::parse("en").expect("lang"),
        language_origin: LangOrigin::Entry,
        title: "A benchmark story about a harbour".into(),
        summary: Some("<p>Measured, not asserted.</p>".into()),
        content: Some("<p>Body.</p>".into()),
        authors: Vec::new(),
        translators: Vec::new(),
        categories: vec!["Labour".into()],
        image: None,
        published: Some(Utc::now()),
        updated: None,
        links: Vec::new(),
    }
}

#[tokio::main]
async fn main() {
    for scheme in [
        Scheme::Cavage,
        Scheme::Rfc9421,
        Scheme::Cavage,
        Scheme::Rfc9421,
    ] {
        fan_out(scheme).await;
    }
    signatures();
}

/// One story to 10,000 followers whose host takes `scheme`.
async fn fan_out(scheme: Scheme) {
    let hits = Arc::new(Hits::default());
    let app = Router::new()
        .route("/i/{n}", post(inbox))
        .with_state(Arc::clone(&hits));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let inbox_base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}", dir.path().join("bench.sqlite").display());
    let toml = format!(
        r#"
[server]
bind = "127.0.0.1:0"
public_url = "http://127.0.0.1:9"
[database]
url = "{db}"
[publisher]
name = "The Wire"
languages = ["en"]
[fetch]
allow_private_addresses = true
[[sources]]
id = "wire-en"
name = "The Wire"
role = "publisher"
url = "https://wire.example.org/en/feed"
language = "en"
[[actors]]
username = "wire"
[federation]
delivery_concurrency = {CONCURRENCY}
delivery_per_host = {CONCURRENCY}
"#
    );
    let config = Arc::new(Config::parse(Path::new("bench.toml"), &toml).expect("config"));
    let store = Store::open(&db).await.expect("store");
    let fed = wirebridge::app::App::build(Arc::clone(&config), store.clone())
        .expect("services")
        .federation;
    fed.ensure_actors().await.expect("actor");
    if scheme == Scheme::Cavage {
        // Learnt earlier by double-knocking: every copy goes cavage at once.
        let host = inbox_base.trim_start_matches("http://");
        store
            .fed_remember_signature_scheme(host, scheme.label(), Utc::now())
            .await
            .expect("remember");
    }
    let t = Instant::now();
    for f in 0..FOLLOWERS {
        let row = FollowerRow {
            follower: format!("{inbox_base}/users/u{f}"),
            inbox: format!("{inbox_base}/users/u{f}/inbox"),
            shared_inbox: Some(format!("{inbox_base}/i/{}", f % INBOXES)),
        };
        let accept = NewActivity {
            id: format!("bench-accept-{f}"),
            actor: "wire".into(),
            kind: "Accept".into(),
            json: "{}".into(),
            ordering_key: format!("bench-{f}"),
            inboxes: Vec::new(),
            now: Utc::now(),
        };
        store
            .fed_add_follower("wire", &row, &format!("f{f}"), &accept)
            .await
            .expect("follower");
    }
    let label = scheme.label();
    println!(
        "[{label}] setup: {FOLLOWERS} followers stored in {:.1?}",
        t.elapsed()
    );

    wirebridge::ingest::poll::register_sources(&store, &config)
        .await
        .expect("sources");
    let s = store
        .upsert_entries(&[entry()], Utc::now())
        .await
        .expect("upsert");
    Linker::new(store.clone(), &config)
        .link_entries(&s.changed_ids)
        .await
        .expect("link");

    let t = Instant::now();
    planner::pass(&fed, Utc::now()).await.expect("plan");
    let planned = t.elapsed();
    let queued = store.fed_delivery_counts().await.expect("counts").pending;
    println!(
        "[{label}] plan: Create + {queued} deliveries written in one transaction in {planned:.1?}"
    );

    let cancel = CancellationToken::new();
    let worker = tokio::spawn(delivery::run(Arc::clone(&fed), cancel.clone()));
    let t = Instant::now();
    while hits.all.load(Ordering::Relaxed) < queued as usize {
        assert!(t.elapsed() < Duration::from_secs(600), "fan-out stalled");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let sent = t.elapsed();
    loop {
        let c = store.fed_delivery_counts().await.expect("counts");
        if c.pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let recorded = t.elapsed();
    cancel.cancel();
    let _ = worker.await;
    println!(
        "[{label}] fan-out: {queued} deliveries (for {FOLLOWERS} followers, {} signed RFC 9421) received in {:.2} s, all recorded done in {:.2} s = {:.0} deliveries/s (concurrency {CONCURRENCY})",
        hits.rfc9421.load(Ordering::Relaxed),
        sent.as_secs_f64(),
        recorded.as_secs_f64(),
        queued as f64 / recorded.as_secs_f64()
    );
}

/// The bare signature cost of each scheme: the same signing work, without
/// HTTP or the database.
fn signatures() {
    let (private, _) = keys::generate().expect("key");
    let signer = Signer::from_pkcs8_pem(&private).expect("signer");
    let url = Url::parse("http://127.0.0.1:9/i/1").expect("url");
    let body = vec![b'x'; 2048];
    let n = 1_000;
    for scheme in [Scheme::Rfc9421, Scheme::Cavage] {
        let t = Instant::now();
        for _ in 0..n {
            signature::sign(
                scheme,
                &signer,
                "http://127.0.0.1:9/users/wire#main-key",
                "POST",
                &url,
                Some(&body),
                Utc::now(),
            )
            .expect("sign");
        }
        let per = t.elapsed() / n;
        println!(
            "signatures [{}]: {per:.1?} per RSA-2048 POST signature (with digest) = {:.0}/s on one core; 1,000 of them = {:.2} s of a fan-out",
            scheme.label(),
            1.0 / per.as_secs_f64(),
            per.as_secs_f64() * 1000.0
        );
    }
}
