//! The polling pass end to end: a real loopback HTTP server, the real
//! fetcher, parser and store. Each test ends in the stated behaviour with
//! the store unchanged where it should be.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;
use wirebridge::config::Config;
use wirebridge::daemon::Daemon;
use wirebridge::ingest::poll::{PollOutcome, PollReport, Poller};
use wirebridge::store::Store;

use crate::support::{config, config_toml, source_id, sqlite_url, FeedServer, Reply, Src};

const RSS: &str = "application/rss+xml";

/// A small RSS 2.0 feed; each item is (guid, title).
fn rss(items: &[(&str, &str)]) -> String {
    let items: String = items
        .iter()
        .map(|(guid, title)| {
            format!(
                "<item><guid isPermaLink=\"false\">{guid}</guid><title>{title}</title>\
                 <link>https://harborledger.example/news/{guid}?utm_source=rss</link>\
                 <description>&lt;p&gt;Dockworkers in the port city voted on {guid}.&lt;/p&gt;</description>\
                 <pubDate>Mon, 30 Nov 2026 10:00:00 GMT</pubDate></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel>\
         <title>Harbor Ledger</title><link>https://harborledger.example/</link>\
         <description>News</description><language>en</language>{items}</channel></rss>"
    )
}

struct Setup {
    server: FeedServer,
    store: Store,
    poller: Arc<Poller>,
    db: String,
    _dir: tempfile::TempDir,
}

async fn setup(path: &str) -> Setup {
    let server = FeedServer::start().await;
    let (dir, db) = sqlite_url();
    let store = Store::open(&db).await.expect("store");
    let poller = poller_for(&server, path, &db, store.clone()).await;
    Setup {
        server,
        store,
        poller,
        db,
        _dir: dir,
    }
}

async fn poller_for(server: &FeedServer, path: &str, db: &str, store: Store) -> Arc<Poller> {
    let url = server.url(path);
    let cfg = config(
        db,
        &[Src {
            id: "harbor",
            url: &url,
            language: "en",
            role: "outlet",
        }],
    );
    let poller = crate::support::poller(Arc::new(cfg), store);
    poller.sync_sources().await.expect("sync");
    poller
}

async fn poll(poller: &Poller) -> PollReport {
    let mut reports = poller.poll_now(None, &|_| {}).await.expect("poll");
    assert_eq!(reports.len(), 1);
    reports.remove(0)
}

#[tokio::test]
async fn a_first_poll_stores_every_item_and_a_304_parses_nothing() {
    let s = setup("/feed").await;
    s.server.set(
        "/feed",
        Reply::ok(RSS, rss(&[("a1", "Port strike"), ("a2", "Ferry fares")]))
            .header("etag", "W/\"v1\"")
            .header("last-modified", "Mon, 30 Nov 2026 10:00:00 GMT"),
    );
    let first = poll(&s.poller).await;
    assert_eq!(first.outcome, PollOutcome::Fetched, "{first:?}");
    assert_eq!((first.new, first.updated), (2, 0));

    s.server.set("/feed", Reply::status(304));
    let second = poll(&s.poller).await;
    assert_eq!(second.outcome, PollOutcome::NotModified);
    assert_eq!((second.new, second.updated), (0, 0));
    let last = s.server.seen().pop().expect("a request");
    assert_eq!(last.headers["if-none-match"], "W/\"v1\"");
    assert_eq!(
        last.headers["if-modified-since"],
        "Mon, 30 Nov 2026 10:00:00 GMT"
    );
    assert_eq!(s.store.entry_count().await.expect("count"), 2);
}

#[tokio::test]
async fn validators_and_schedule_survive_a_restart() {
    let s = setup("/feed").await;
    s.server.set(
        "/feed",
        Reply::ok(RSS, rss(&[("a1", "Port strike")])).header("etag", "\"strong-7\""),
    );
    poll(&s.poller).await;
    let before = s
        .store
        .source_state(&source_id("harbor"))
        .await
        .expect("state");
    s.store.close().await;

    // A new process: new store handle, new poller, same database.
    let store = Store::open(&s.db).await.expect("reopen");
    let poller = poller_for(&s.server, "/feed", &s.db, store.clone()).await;
    let after = store
        .source_state(&source_id("harbor"))
        .await
        .expect("state");
    assert_eq!(
        after.next_poll_at, before.next_poll_at,
        "not due again at restart"
    );
    s.server.set("/feed", Reply::status(304));
    assert_eq!(poll(&poller).await.outcome, PollOutcome::NotModified);
    let last = s.server.seen().pop().expect("a request");
    assert_eq!(last.headers["if-none-match"], "\"strong-7\"");
}

#[tokio::test]
async fn an_identical_body_creates_nothing_and_an_edit_updates_in_place() {
    let s = setup("/feed").await;
    s.server
        .set("/feed", Reply::ok(RSS, rss(&[("a1", "Port strike")])));
    assert_eq!(poll(&s.poller).await.new, 1);

    let same = poll(&s.poller).await;
    assert_eq!(same.outcome, PollOutcome::Unchanged);
    assert_eq!((same.new, same.updated), (0, 0));

    s.server
        .set("/feed", Reply::ok(RSS, rss(&[("a1", "Port strike ends")])));
    let edited = poll(&s.poller).await;
    assert_eq!(edited.outcome, PollOutcome::Fetched);
    assert_eq!((edited.new, edited.updated), (0, 1));
    let entries = s
        .store
        .entries_of_source(&source_id("harbor"), 10)
        .await
        .expect("entries");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].entry.title, "Port strike ends");
    assert_eq!(entries[0].revision, 2);
    assert_eq!(
        entries[0].entry.url.as_deref(),
        Some("https://harborledger.example/news/a1?utm_source=rss"),
        "the article URL is kept as the publisher wrote it"
    );
    assert_eq!(
        entries[0].entry.canonical_url.as_deref(),
        Some("https://harborledger.example/news/a1"),
        "tracking parameters are not part of the matching key"
    );
}

#[tokio::test]
async fn a_broken_feed_is_recorded_as_the_sources_error_and_changes_nothing() {
    let s = setup("/feed").await;
    s.server.set(
        "/feed",
        Reply::ok(RSS, rss(&[("a1", "Port strike")])).header("etag", "\"good\""),
    );
    poll(&s.poller).await;
    let id = source_id("harbor");
    let good = s.store.source_state(&id).await.expect("state");

    for broken in [
        "<rss version=\"2.0\"><channel><item><title>cut off".to_string(),
        "<!DOCTYPE html><html><head><title>Oops</title></head><body><p>Hello</p></body></html>"
            .to_string(),
    ] {
        s.server
            .set("/feed", Reply::ok(RSS, broken).header("etag", "\"bad\""));
        let report = poll(&s.poller).await;
        assert_eq!(report.outcome, PollOutcome::Failed, "{report:?}");
        let state = s.store.source_state(&id).await.expect("state");
        assert!(state.last_error.is_some());
        assert_eq!(
            state.etag.as_deref(),
            Some("\"good\""),
            "bad body's validators not kept"
        );
        assert_eq!(s.store.entry_count().await.expect("count"), 1);
        assert_eq!(state.last_success_at, good.last_success_at);
    }
}

#[tokio::test]
async fn a_headline_in_cyrillic_greek_or_arabic_with_a_bare_ampersand_is_stored() {
    // Real feeds ship unescaped `&` next to multi-byte text; the repair pass
    // once cut such a headline inside a character and the poll crashed.
    let s = setup("/feed").await;
    let titles = [
        "Новости & 24 часа: порт снова работает",
        "Ναυτιλία & 12 νέα πλοία στο λιμάνι",
        "الاقتصاد & 12 سفينة جديدة في الميناء",
    ];
    s.server.set(
        "/feed",
        Reply::ok(
            RSS,
            rss(&[("ru1", titles[0]), ("el1", titles[1]), ("ar1", titles[2])]),
        ),
    );
    let report = poll(&s.poller).await;
    assert_eq!(report.outcome, PollOutcome::Fetched, "{report:?}");
    assert_eq!(report.new, 3);
    let stored: Vec<String> = s
        .store
        .entries_of_source(&source_id("harbor"), 10)
        .await
        .expect("entries")
        .into_iter()
        .map(|e| e.entry.title)
        .collect();
    for title in titles {
        assert!(stored.iter().any(|t| t == title), "{title} in {stored:?}");
    }
}

#[tokio::test]
async fn the_poller_honours_trusted_addresses_with_the_guard_on() {
    // With the private-address guard on, an operator's own feed server on
    // a trusted `ip:port` is polled; another port of the same host is not.
    let s = setup("/feed").await;
    s.server
        .set("/feed", Reply::ok(RSS, rss(&[("t1", "Port strike")])));
    let trusted = s.server.url("/feed");
    let addr = trusted
        .trim_start_matches("http://")
        .trim_end_matches("/feed")
        .to_string();
    let toml = config_toml(
        &s.db,
        &[Src {
            id: "harbor",
            url: &trusted,
            language: "en",
            role: "outlet",
        }],
    )
    .replace(
        "allow_private_addresses = true",
        &format!("allow_private_addresses = false\ntrusted_addresses = [\"{addr}\"]"),
    );
    let cfg = Config::parse(Path::new("test.toml"), &toml).expect("config");
    let poller = crate::support::poller(Arc::new(cfg.clone()), s.store.clone());
    poller.sync_sources().await.expect("sync");
    let report = poll(&poller).await;
    assert_eq!(report.outcome, PollOutcome::Fetched, "{report:?}");
    assert_eq!(report.new, 1);

    let other = FeedServer::start().await;
    other.set("/feed", Reply::ok(RSS, rss(&[("t2", "Ferry fares")])));
    let toml = toml.replace(&trusted, &other.url("/feed"));
    let cfg = Config::parse(Path::new("test.toml"), &toml).expect("config");
    let poller = crate::support::poller(Arc::new(cfg), s.store.clone());
    poller.sync_sources().await.expect("sync");
    let refused = poll(&poller).await;
    assert_eq!(refused.outcome, PollOutcome::Failed, "{refused:?}");
    assert!(
        other.seen().is_empty(),
        "an untrusted port is never contacted"
    );
}

#[tokio::test]
async fn a_410_marks_the_source_gone_and_it_is_never_fetched_again() {
    let s = setup("/feed").await;
    s.server.set("/feed", Reply::status(410));
    assert_eq!(poll(&s.poller).await.outcome, PollOutcome::Gone);
    let hits = s.server.hits();
    assert_eq!(poll(&s.poller).await.outcome, PollOutcome::Skipped);
    assert_eq!(s.server.hits(), hits);
    let state = s
        .store
        .source_state(&source_id("harbor"))
        .await
        .expect("state");
    assert!(state.gone);
    assert!(state.last_error.unwrap_or_default().contains("410"));
}

#[tokio::test]
async fn a_permanent_redirect_is_kept_only_once_the_new_url_serves_a_feed() {
    let s = setup("/old").await;
    let id = source_id("harbor");
    s.server
        .set("/old", Reply::status(301).header("location", "/new"));
    s.server.set(
        "/new",
        Reply::ok(
            "text/html",
            "<!DOCTYPE html><html><body>parked domain</body></html>",
        ),
    );
    assert_eq!(poll(&s.poller).await.outcome, PollOutcome::Failed);
    assert_eq!(
        s.store
            .source_state(&id)
            .await
            .expect("state")
            .effective_url,
        None
    );

    s.server
        .set("/new", Reply::ok(RSS, rss(&[("a1", "Port strike")])));
    assert_eq!(poll(&s.poller).await.outcome, PollOutcome::Fetched);
    let state = s.store.source_state(&id).await.expect("state");
    assert_eq!(state.effective_url, Some(s.server.url("/new")));

    let old_hits = s.server.seen().iter().filter(|r| r.path == "/old").count();
    poll(&s.poller).await;
    let old_hits_after = s.server.seen().iter().filter(|r| r.path == "/old").count();
    assert_eq!(old_hits, old_hits_after, "the new home is fetched directly");
}

#[tokio::test]
async fn a_temporary_redirect_keeps_the_configured_url() {
    let s = setup("/old").await;
    s.server
        .set("/old", Reply::status(307).header("location", "/elsewhere"));
    s.server
        .set("/elsewhere", Reply::ok(RSS, rss(&[("a1", "Port strike")])));
    assert_eq!(poll(&s.poller).await.outcome, PollOutcome::Fetched);
    let state = s
        .store
        .source_state(&source_id("harbor"))
        .await
        .expect("state");
    assert_eq!(state.effective_url, None);
}

#[tokio::test]
async fn failures_back_off_and_a_success_resets_the_count() {
    let s = setup("/feed").await;
    let id = source_id("harbor");
    s.server.set("/feed", Reply::status(502));
    poll(&s.poller).await;
    poll(&s.poller).await;
    let state = s.store.source_state(&id).await.expect("state");
    assert_eq!(state.consecutive_failures, 2);
    assert!(state.last_error.as_deref().unwrap_or("").contains("502"));
    // Second failure: twice the 10 minute interval, ±20%.
    let wait = (state.next_poll_at - Utc::now()).num_seconds();
    assert!(wait >= 15 * 60, "backed off only {wait}s");

    s.server
        .set("/feed", Reply::ok(RSS, rss(&[("a1", "Port strike")])));
    poll(&s.poller).await;
    let state = s.store.source_state(&id).await.expect("state");
    assert_eq!(state.consecutive_failures, 0);
    assert_eq!(state.last_error, None);
}

#[tokio::test]
async fn retry_after_on_a_429_moves_the_next_poll_later() {
    let s = setup("/feed").await;
    s.server
        .set("/feed", Reply::status(429).header("retry-after", "7200"));
    assert_eq!(poll(&s.poller).await.outcome, PollOutcome::RateLimited);
    let state = s
        .store
        .source_state(&source_id("harbor"))
        .await
        .expect("state");
    let wait = (state.next_poll_at - Utc::now()).num_seconds();
    assert!((7100..=7200).contains(&wait), "next poll in {wait}s");
}

#[tokio::test]
async fn the_daemon_polls_answers_healthz_and_stops_when_asked() {
    let server = FeedServer::start().await;
    server.set("/feed", Reply::ok(RSS, rss(&[("a1", "Port strike")])));
    let (_dir, db) = sqlite_url();
    let url = server.url("/feed");
    let toml = config_toml(
        &db,
        &[Src {
            id: "harbor",
            url: &url,
            language: "en",
            role: "outlet",
        }],
    )
    .replace("poll_every = \"10m\"", "poll_every = \"40s\"");
    let cfg = Config::parse(Path::new("test.toml"), &toml).expect("config");
    let daemon = Daemon::build(cfg).await.expect("daemon");
    let addr = daemon.local_addr().expect("addr");
    let store = daemon.store().clone();
    let cancel = CancellationToken::new();
    let running = tokio::spawn(daemon.run_until_stopped(cancel.clone()));

    let health = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);

    // A new source is due within its spread window (a quarter of the 40s
    // interval); wait for the first poll, bounded.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while store.entry_count().await.expect("count") == 0 {
        assert!(tokio::time::Instant::now() < deadline, "never polled");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    cancel.cancel();
    let stopped = tokio::time::timeout(Duration::from_secs(25), running)
        .await
        .expect("stops within the bound")
        .expect("task");
    stopped.expect("clean stop");
}

#[tokio::test]
async fn a_sources_page_lookups_link_translations_declared_only_in_the_page() {
    let server = FeedServer::start().await;
    let fr_page = server.url("/fr/greve-des-pilotes");
    let en_page = server.url("/en/pilots-strike");
    let item = |url: &str, title: &str, lang: &str| {
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{lang}</title>\
             <language>{lang}</language><item><guid>{url}</guid><title>{title}</title>\
             <link>{url}</link><description>{title}</description></item></channel></rss>"
        )
    };
    server.set(
        "/en/feed",
        Reply::ok(RSS, item(&en_page, "Pilots strike", "en")),
    );
    server.set(
        "/fr/feed",
        Reply::ok(RSS, item(&fr_page, "Grève des pilotes", "fr")),
    );
    server.set(
        "/fr/greve-des-pilotes",
        Reply::ok(
            "text/html",
            format!(
                "<!DOCTYPE html><html><head><link rel=\"alternate\" hreflang=\"en\" \
                 href=\"{en_page}\"></head><body>Grève</body></html>"
            ),
        ),
    );
    let (_dir, db) = sqlite_url();
    let (en_feed, fr_feed) = (server.url("/en/feed"), server.url("/fr/feed"));
    let toml = config_toml(
        &db,
        &[
            Src {
                id: "wire-en",
                url: &en_feed,
                language: "en",
                role: "publisher",
            },
            Src {
                id: "wire-fr",
                url: &fr_feed,
                language: "fr",
                role: "publisher",
            },
        ],
    )
    .replace(
        "id = \"wire-fr\"\n",
        "id = \"wire-fr\"\npage_lookups = true\n",
    );
    let cfg = Config::parse(Path::new("test.toml"), &toml).expect("config");
    let store = Store::open(&db).await.expect("store");
    let poller = crate::support::poller(Arc::new(cfg), store.clone());
    poller.sync_sources().await.expect("sync");
    poller.poll_now(None, &|_| {}).await.expect("poll");

    assert!(
        server
            .seen()
            .iter()
            .any(|r| r.path == "/fr/greve-des-pilotes"),
        "the French article's page was read"
    );
    assert!(
        !server.seen().iter().any(|r| r.path == "/en/pilots-strike"),
        "sources without page lookups fetch no pages"
    );
    let fr = store.entry_by_url(&fr_page).await.expect("fr entry");
    let en = store.entry_by_url(&en_page).await.expect("en entry");
    let (fr, en) = (fr.link.expect("linked"), en.link.expect("linked"));
    assert_eq!(fr.story_id, en.story_id, "one story");

    // A second poll does not count the page's links as an edit.
    server.set(
        "/fr/feed",
        Reply::ok(RSS, item(&fr_page, "Grève des pilotes", "fr")).header("x-again", "1"),
    );
    let again = poller.poll_now(None, &|_| {}).await.expect("poll");
    assert!(again.iter().all(|r| r.updated == 0), "{again:?}");
}

#[tokio::test]
async fn one_host_is_never_asked_more_than_its_per_host_limit_at_once() {
    let server = FeedServer::start().await;
    let (_dir, db) = sqlite_url();
    let urls: Vec<String> = (0..6).map(|n| server.url(&format!("/feed{n}"))).collect();
    for n in 0..6 {
        server.set(
            &format!("/feed{n}"),
            Reply::ok(RSS, rss(&[("a1", "Port strike")])).after(Duration::from_millis(150)),
        );
    }
    let ids: Vec<String> = (0..6).map(|n| format!("s{n}")).collect();
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
    let toml = config_toml(&db, &sources).replace(
        "[fetch]\n",
        "[fetch]\nmax_per_host = 2\nmax_concurrent = 8\n",
    );
    let cfg = Config::parse(Path::new("test.toml"), &toml).expect("config");
    let store = Store::open(&db).await.expect("store");
    let poller = crate::support::poller(Arc::new(cfg), store);
    poller.sync_sources().await.expect("sync");
    let reports = poller.poll_now(None, &|_| {}).await.expect("poll");
    assert!(reports.iter().all(|r| r.outcome == PollOutcome::Fetched));
    assert_eq!(server.hits(), 6);
    assert_eq!(server.most_in_flight(), 2, "two at a time for one host");
}

/// `wirebridge_polls_total` for `source` and `outcome`, read from the
/// process's recorder.
fn polls_counted(source: &str, outcome: &str) -> f64 {
    let text = wirebridge::observe::handle().render();
    text.lines()
        .filter(|l| l.starts_with("wirebridge_polls_total{"))
        .filter(|l| l.contains(&format!("source=\"{source}\"")))
        .filter(|l| l.contains(&format!("outcome=\"{outcome}\"")))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A setup whose one source has an id no other test uses (the metrics
/// recorder is process-wide).
async fn held_setup() -> (Setup, String) {
    let s = setup("/feed").await;
    let id = format!("held{}", hex::encode(rand::random::<[u8; 3]>()));
    s.server
        .set("/feed", Reply::ok(RSS, rss(&[("h1", "Port strike")])));
    (s, id)
}

fn held_poller(s: &Setup, id: &str) -> Arc<Poller> {
    let url = s.server.url("/feed");
    let cfg = config(
        &s.db,
        &[Src {
            id,
            url: &url,
            language: "en",
            role: "outlet",
        }],
    );
    crate::support::poller(Arc::new(cfg), s.store.clone())
}

#[tokio::test]
async fn a_source_another_live_instance_holds_waits_for_its_lease_instead_of_spinning() {
    let (s, id) = held_setup().await;
    let url = s.server.url("/feed");
    let cfg = config(
        &s.db,
        &[Src {
            id: &id,
            url: &url,
            language: "en",
            role: "outlet",
        }],
    );
    let app = wirebridge::app::App::build(cfg, s.store.clone()).expect("services");
    let cancel = CancellationToken::new();
    let running = tokio::spawn(Arc::clone(&app.poller).run_until_stopped(cancel.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Now due, and leased for an hour by a process of another host; a
    // reload makes the scheduler look at once.
    let now = Utc::now();
    let source = source_id(&id);
    let mut state = s.store.source_state(&source).await.expect("state");
    state.next_poll_at = now - chrono::Duration::seconds(1);
    s.store.save_source_state(&state).await.expect("due");
    s.store
        .claim_source(
            &source,
            "elsewhere.example:4242:99",
            now,
            now + chrono::Duration::hours(1),
            false,
        )
        .await
        .expect("lease");
    app.config.set(app.config.get());
    tokio::time::sleep(Duration::from_secs(2)).await;
    cancel.cancel();
    running.await.expect("joined").expect("ran");
    let asked = polls_counted(&id, "elsewhere");
    assert!(
        (1.0..=2.0).contains(&asked),
        "asked {asked} times in 2 s for a source leased for an hour"
    );
    assert!(s.server.seen().is_empty(), "never fetched");
}

#[tokio::test]
async fn a_lease_left_by_a_dead_process_of_this_host_is_taken_at_once_and_its_backlog_linked() {
    let (s, id) = held_setup().await;
    let poller = held_poller(&s, &id);
    poller.sync_sources().await.expect("sync");
    let now = Utc::now();
    let source = source_id(&id);
    // A pass killed mid-way: its lease, on this host, by a pid that is
    // gone, and an entry it stored but never linked.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").expect("host name");
    s.store
        .claim_source(
            &source,
            &format!("{}:4194399:12345", host.trim()),
            now,
            now + chrono::Duration::hours(1),
            false,
        )
        .await
        .expect("lease");
    let stored = s
        .store
        .upsert_entries(&[crate::support::sample_entry(&id, 7, "en")], now)
        .await
        .expect("upsert");
    assert_eq!(stored.new, 1);
    assert_eq!(
        s.store.unlinked_entry_ids().await.expect("unlinked").len(),
        1
    );
    let reports = poller.poll_now(None, &|_| {}).await.expect("poll");
    assert_eq!(reports[0].outcome, PollOutcome::Fetched, "{reports:?}");
    assert_eq!(reports[0].new, 1);
    assert!(
        s.store
            .unlinked_entry_ids()
            .await
            .expect("unlinked")
            .is_empty(),
        "the dead pass's backlog is linked"
    );
}
