//! We subscribe to an outlet's hub (see `outlet`): its pushes reach our
//! feeds and outbox at once, forgeries change nothing, leases are renewed,
//! and a source that goes away is unsubscribed.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use wirebridge::domain::SourceId;
use wirebridge::websub::subscriber::Subscriber;

use super::outlet::{atom, field, push, signed, subscribed, verify, wait_for_request};
use super::{config, within, Running};

#[tokio::test]
async fn a_pushed_entry_reaches_our_feeds_and_outbox_without_a_poll() {
    let s = subscribed(3600).await;
    let polls = s.outlet.feed_hits();
    let body = atom(&s.outlet.base, &[("ferry", "Ferry timetable changes")]);
    let status = push(&s.callback, &body, Some(signed("sha256", &s.secret, &body))).await;
    assert_eq!(status, 204);
    let took = within(Duration::from_millis(1000), || async {
        s.daemon
            .get("/feeds/all.atom")
            .await
            .contains("Ferry timetable changes")
    })
    .await;
    let took = took.expect("the pushed entry is in /feeds/all.atom within a second");
    assert!(took <= Duration::from_millis(1000), "{took:?}");
    // Linking wakes the federation planner: no waiting for its tick.
    let in_outbox = within(Duration::from_millis(1000), || async {
        s.daemon
            .get("/users/wire/outbox?page=1")
            .await
            .contains("Ferry timetable changes")
    })
    .await;
    assert!(
        in_outbox.is_some(),
        "the pushed entry is posted to the fediverse outbox within a second"
    );

    // The older sha1 signature is honoured too.
    let body = atom(&s.outlet.base, &[("tram", "Tram line extended north")]);
    let status = push(&s.callback, &body, Some(signed("sha1", &s.secret, &body))).await;
    assert_eq!(status, 204);
    let stored = within(Duration::from_millis(1500), || async {
        s.daemon
            .get("/feeds/all.atom")
            .await
            .contains("Tram line extended north")
    })
    .await;
    assert!(stored.is_some());
    assert_eq!(
        s.outlet.feed_hits(),
        polls,
        "pushes, not polls, brought both entries"
    );
    let sub = s
        .daemon
        .store
        .websub_subscription_of("outlet")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sub.state, "active");
    assert_eq!(sub.lease_seconds, Some(3600));
    let listing = wirebridge::cli::websub::describe(&s.config, &s.daemon.store, Utc::now())
        .await
        .unwrap();
    assert!(
        listing.contains(&sub.hub) && listing.contains("active"),
        "{listing}"
    );
    assert!(
        listing.contains("in 59m") || listing.contains("in 1h"),
        "{listing}"
    );

    // Polling goes on, four times slower (10 minutes → 40).
    let poller = crate::support::poller(Arc::new(s.config.clone()), s.daemon.store.clone());
    poller.poll_now(None, &|_| {}).await.unwrap();
    let id = SourceId::parse("outlet").unwrap();
    let state = s.daemon.store.source_state(&id).await.unwrap();
    let gap = state.next_poll_at - Utc::now();
    assert!(gap > chrono::Duration::minutes(35), "next poll in {gap}");
    s.daemon.stop().await;
}

#[tokio::test]
async fn a_forged_or_unsigned_push_is_refused_and_changes_nothing() {
    let s = subscribed(3600).await;
    let before = s.daemon.store.entry_count().await.unwrap();
    let body = atom(&s.outlet.base, &[("forged", "Forged bridge closure")]);
    let forged = push(
        &s.callback,
        &body,
        Some(signed("sha256", "guessed-secret", &body)),
    )
    .await;
    assert_eq!(forged, 403);
    let unsigned = push(&s.callback, &body, None).await;
    assert_eq!(unsigned, 403);
    let bad_header = push(
        &s.callback,
        &body,
        Some("sha256=".to_string() + &"0".repeat(64)),
    )
    .await;
    assert_eq!(bad_header, 403);
    // Signed over other bytes: the body was tampered with on the way.
    let other = atom(&s.outlet.base, &[("ok", "Harmless notice")]);
    let tampered = push(
        &s.callback,
        &body,
        Some(signed("sha256", &s.secret, &other)),
    )
    .await;
    assert_eq!(tampered, 403);
    let gone = push(
        &format!("{}/websub/callback/feedface", s.daemon.base),
        &body,
        None,
    )
    .await;
    assert_eq!(gone, 410, "an unknown callback tells the hub to stop");
    let no_hub = reqwest::Client::new()
        .post(format!("{}/websub/hub", s.daemon.base))
        .form(&[("hub.mode", "subscribe")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        no_hub.status(),
        404,
        "without `hub = \"builtin\"` we are no hub"
    );

    // Past the feed cache's one-second window: still not there.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(!s
        .daemon
        .get("/feeds/all.atom")
        .await
        .contains("Forged bridge closure"));
    let after = s.daemon.store.entry_count().await.unwrap();
    assert_eq!(after, before, "nothing stored");
    s.daemon.stop().await;
}

#[tokio::test]
async fn a_lease_is_renewed_before_it_ends() {
    let s = subscribed(4).await;
    // A 4-second lease is renewed in its last second, at the latest.
    let renewal = wait_for_request(&s.outlet, 2, Duration::from_secs(5)).await;
    assert_eq!(field(&renewal, "hub.mode"), "subscribe");
    assert_eq!(field(&renewal, "hub.callback"), s.callback, "same callback");
    assert_eq!(field(&renewal, "hub.secret"), s.secret, "same secret");
    s.daemon.stop().await;
}

#[tokio::test]
async fn a_source_removed_before_a_restart_is_unsubscribed() {
    let s = subscribed(3600).await;
    let port: u16 = s.daemon.base.rsplit(':').next().unwrap().parse().unwrap();
    s.daemon.stop().await;
    let (outlet, callback) = (s.outlet, s.callback);
    // The same database, the outlet no longer configured.
    let mut cfg = config(&s.db, port, "file:///nonexistent/feed.xml", "");
    cfg.sources[0].id = SourceId::parse("other").unwrap();
    let daemon = Running::start(cfg).await;
    let form = wait_for_request(&outlet, 2, Duration::from_secs(5)).await;
    assert_eq!(field(&form, "hub.mode"), "unsubscribe");
    assert_eq!(field(&form, "hub.callback"), callback);
    let topic = format!("{}/feed.xml", outlet.base);
    let ok = verify(&callback, "unsubscribe", &topic, "bye-1", 0).await;
    assert_eq!(ok, (200, "bye-1".to_string()));
    let body = atom(&outlet.base, &[("late", "Late news")]);
    assert_eq!(
        push(&callback, &body, None).await,
        410,
        "the callback is gone"
    );
    assert!(daemon
        .store
        .websub_subscriptions()
        .await
        .unwrap()
        .is_empty());
    daemon.stop().await;
}

#[tokio::test]
async fn a_source_removed_on_reload_is_unsubscribed() {
    let s = subscribed(3600).await;
    // What SIGHUP does: the running configuration is replaced, and the
    // subscriber task, which reads it, acts on it.
    let app = wirebridge::app::App::build(&s.config, s.daemon.store.clone()).unwrap();
    let subscriber = Subscriber::new(
        app.config.clone(),
        app.store.clone(),
        Arc::clone(&app.fetcher),
    );
    let mut reloaded = s.config.clone();
    reloaded.sources.clear();
    app.config.set(Arc::new(reloaded));
    subscriber.look(Utc::now()).await.unwrap();
    let form = wait_for_request(&s.outlet, 2, Duration::from_secs(5)).await;
    assert_eq!(field(&form, "hub.mode"), "unsubscribe");
    assert_eq!(field(&form, "hub.callback"), s.callback);
    let sub = s
        .daemon
        .store
        .websub_subscription_of("outlet")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sub.state, "unsubscribing");
    s.daemon.stop().await;
}
