//! The WebSub tables on both backends: subscriptions through their states,
//! hub subscribers re-subscribing, and the delivery queue's claims.

use chrono::{Duration, Utc};
use wirebridge::store::{Finish, QueueTable, Store};

use crate::support::{drop_postgres, postgres_url, sqlite_url};

async fn bookkeeping(store: &Store) {
    let now = Utc::now();
    assert!(store
        .websub_note_advertised(
            "outlet",
            "https://hub.example/",
            "https://o.example/feed",
            now
        )
        .await
        .unwrap());
    assert!(
        !store
            .websub_note_advertised(
                "outlet",
                "https://hub.example/",
                "https://o.example/feed",
                now
            )
            .await
            .unwrap(),
        "the same advertisement again changes nothing"
    );
    let first = store
        .websub_subscription_of("outlet")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.state, "wanted");
    store
        .websub_set_state(
            &first.id,
            "active",
            Some((600, now + Duration::seconds(600))),
            None,
            now,
        )
        .await
        .unwrap();
    assert!(store.websub_pushed("outlet", now).await.unwrap());
    assert!(
        !store
            .websub_pushed("outlet", now + Duration::seconds(601))
            .await
            .unwrap(),
        "lapsed"
    );
    assert!(store
        .websub_note_advertised(
            "outlet",
            "https://other-hub.example/",
            "https://o.example/feed",
            now
        )
        .await
        .unwrap());
    let moved = store
        .websub_subscription_of("outlet")
        .await
        .unwrap()
        .unwrap();
    assert_ne!(moved.id, first.id, "a new hub, a new callback");
    assert_ne!(moved.secret, first.secret, "and a new secret");
    assert_eq!(store.websub_subscriptions().await.unwrap().len(), 1);

    let topic = "https://wire.example.org/feeds/all.atom";
    let cb = "https://reader.example/cb";
    store
        .websub_put_subscriber(topic, cb, Some("s1"), 86_400, now)
        .await
        .unwrap();
    store
        .websub_put_subscriber(topic, cb, Some("s2"), 86_400, now)
        .await
        .unwrap();
    assert_eq!(
        store.websub_subscribers().await.unwrap().len(),
        1,
        "a renewal, not a second row"
    );
    assert_eq!(
        store
            .websub_enqueue(topic, "application/atom+xml", "<feed/>", now)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .websub_enqueue(
                "https://wire.example.org/feeds/en.atom",
                "application/atom+xml",
                "<feed/>",
                now
            )
            .await
            .unwrap(),
        0
    );
    let jobs = store
        .websub_claim(now, now + Duration::seconds(30), 10, &[])
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        jobs[0].secret.as_deref(),
        Some("s2"),
        "the latest secret signs"
    );
    assert_eq!(jobs[0].host, "reader.example");
    assert!(jobs[0].subscribed);
    assert!(
        store
            .websub_claim(now, now + Duration::seconds(30), 10, &[])
            .await
            .unwrap()
            .is_empty(),
        "claimed"
    );
    // Given back because its host was busy: not claimable while the host
    // is named busy, claimable again otherwise.
    store
        .release_deliveries(QueueTable::WebSub, &[jobs[0].id])
        .await
        .unwrap();
    let busy = ["reader.example".to_string()];
    assert!(
        store
            .websub_claim(now, now + Duration::seconds(30), 10, &busy)
            .await
            .unwrap()
            .is_empty(),
        "its host is at its limit"
    );
    assert_eq!(
        store
            .websub_claim(now, now + Duration::seconds(30), 10, &[])
            .await
            .unwrap()
            .len(),
        1,
        "released"
    );
    store
        .finish_delivery(
            QueueTable::WebSub,
            jobs[0].id,
            &Finish::retry_at(now + Duration::seconds(60), "503"),
            now,
        )
        .await
        .unwrap();
    assert!(
        store
            .websub_claim(now, now + Duration::seconds(30), 10, &[])
            .await
            .unwrap()
            .is_empty(),
        "backing off"
    );
    assert_eq!(store.websub_retry_now(now).await.unwrap(), 1);
    let again = store
        .websub_claim(now, now + Duration::seconds(30), 10, &[])
        .await
        .unwrap();
    assert_eq!(again[0].attempts, 1);
    store
        .finish_delivery(QueueTable::WebSub, again[0].id, &Finish::done(), now)
        .await
        .unwrap();
    let c = store.websub_delivery_counts().await.unwrap();
    assert_eq!((c.pending, c.done, c.dropped), (0, 1, 0));
    assert!(store.websub_delete_subscriber(topic, cb).await.unwrap());
    assert_eq!(
        store
            .websub_enqueue(topic, "application/atom+xml", "<feed/>", now)
            .await
            .unwrap(),
        0
    );

    // New or renewal; one copy for one subscriber; pruning.
    let day = Duration::days(1);
    let short = "https://short.example/cb";
    let long = "https://long.example/cb";
    assert!(store
        .websub_put_subscriber(topic, short, None, 86_400, now)
        .await
        .unwrap());
    assert!(
        !store
            .websub_put_subscriber(topic, short, None, 86_400, now)
            .await
            .unwrap(),
        "the renewal of an active subscription"
    );
    assert!(store
        .websub_put_subscriber(topic, long, Some("s3"), 864_000, now)
        .await
        .unwrap());
    assert!(store
        .websub_enqueue_one(topic, short, "application/atom+xml", "<feed/>", now)
        .await
        .unwrap());
    assert!(
        !store
            .websub_enqueue_one(topic, "https://stranger.example/cb", "x", "<feed/>", now)
            .await
            .unwrap(),
        "only to a subscriber"
    );
    assert!(
        !store
            .websub_enqueue_one(topic, short, "x", "<feed/>", now + day * 2)
            .await
            .unwrap(),
        "not to an expired one"
    );
    assert_eq!(store.websub_delivery_counts().await.unwrap().pending, 1);
    let none = store.websub_prune_subscribers(now, 10).await.unwrap();
    assert_eq!(
        (none.subscribers, none.deliveries),
        (0, 0),
        "not yet expired"
    );
    let pruned = store
        .websub_prune_subscribers(now + day * 2, 10)
        .await
        .unwrap();
    assert_eq!((pruned.subscribers, pruned.deliveries), (1, 1));
    let left = store.websub_subscribers().await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].callback, long);
    let c = store.websub_delivery_counts().await.unwrap();
    assert_eq!((c.pending, c.done, c.dropped), (0, 1, 0), "history stays");
    assert!(
        store
            .websub_put_subscriber(topic, long, Some("s3"), 86_400, now + day * 11)
            .await
            .unwrap(),
        "a lapsed subscription coming back is new"
    );
    assert_eq!(
        store
            .websub_prune_subscribers(now + day * 13, 0)
            .await
            .unwrap()
            .subscribers,
        0,
        "bounded by the limit"
    );
}

#[tokio::test]
async fn websub_bookkeeping_works_on_sqlite_and_postgresql() {
    let (_dir, db) = sqlite_url();
    let store = Store::open(&db).await.unwrap();
    bookkeeping(&store).await;
    store.close().await;
    if let Some(url) = postgres_url("websub_bookkeeping").await {
        let store = Store::open(&url).await.unwrap();
        bookkeeping(&store).await;
        store.close().await;
        drop_postgres(&url).await;
    }
}
