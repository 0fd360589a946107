//! The delivery queue's limits and host health, with the real planner and
//! delivery worker against loopback inboxes: never more than
//! `delivery_per_host` requests at one host at once, whatever the global
//! limit; and a host failing for days is left out of new posts until it
//! contacts us with a signed request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use chrono::Utc;
use serde_json::Value;
use wirebridge::store::{FollowerRow, HostQueue};

use super::remote::{Received, Remote};
use super::world::{seed_follower, world, World};
use crate::support::{sample_entry, serve_app};

const PER_HOST: usize = 2;
const GLOBAL: usize = 16;
/// Inboxes on the busy host (more than the global limit) and on a second one.
const BUSY: usize = 24;
const OTHER: usize = 6;

/// What the inboxes saw: requests in flight now and at most, per host and
/// over both, and every POST as (host, inbox, activity type, activity id).
#[derive(Default)]
struct Meter {
    in_flight: HashMap<&'static str, usize>,
    most: HashMap<&'static str, usize>,
    all_in_flight: usize,
    most_all: usize,
    posts: Vec<(&'static str, usize, String, String)>,
}

/// An inbox that holds every request open for 150 ms.
async fn slow_inbox(
    State((host, meter)): State<(&'static str, Arc<Mutex<Meter>>)>,
    Path(n): Path<usize>,
    body: Bytes,
) -> StatusCode {
    let doc: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    {
        let mut m = meter.lock().unwrap();
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        m.posts
            .push((host, n, text(&doc["type"]), text(&doc["id"])));
        let now = {
            let c = m.in_flight.entry(host).or_default();
            *c += 1;
            *c
        };
        let most = m.most.entry(host).or_default();
        *most = (*most).max(now);
        m.all_in_flight += 1;
        m.most_all = m.most_all.max(m.all_in_flight);
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    let mut m = meter.lock().unwrap();
    *m.in_flight.entry(host).or_default() -= 1;
    m.all_in_flight -= 1;
    StatusCode::ACCEPTED
}

/// Serves slow inboxes `/i/{n}` for `host` (a label; the real host is
/// 127.0.0.1 and a port of its own); the base URL.
async fn slow_host(host: &'static str, meter: &Arc<Mutex<Meter>>) -> String {
    let app = Router::new()
        .route("/i/{n}", post(slow_inbox))
        .with_state((host, Arc::clone(meter)));
    serve_app(app).await
}

/// Seeds `BUSY` followers on a slow "busy" host (first, so their
/// deliveries come first in the queue) and `OTHER` on a slow "other" host,
/// posts one story and waits until every copy is delivered.
async fn fan_out(global: usize) -> (World, Arc<Mutex<Meter>>) {
    let w = world(&format!(
        "\n[federation]\ndelivery_concurrency = {global}\ndelivery_per_host = {PER_HOST}\n"
    ))
    .await;
    let meter = Arc::new(Mutex::new(Meter::default()));
    let hosts = [
        ("busy", slow_host("busy", &meter).await, BUSY),
        ("other", slow_host("other", &meter).await, OTHER),
    ];
    // One follower per inbox, no shared inboxes: a copy of the Create per
    // follower, 24 of them on one host.
    for (_, base, inboxes) in &hosts {
        for n in 0..*inboxes {
            let row = FollowerRow {
                follower: format!("{base}/users/f{n}"),
                inbox: format!("{base}/i/{n}"),
                shared_inbox: None,
            };
            seed_follower(&w.store, "wire", &row).await;
        }
    }
    w.deliver();
    w.add(&[sample_entry("wire-en", 1, "en")]).await;
    w.plan().await;

    let total = (BUSY + OTHER) as i64;
    let mut counts = w.store.fed_delivery_counts().await.unwrap();
    for _ in 0..600 {
        if counts.done == total && counts.pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        counts = w.store.fed_delivery_counts().await.unwrap();
    }
    assert_eq!(
        (counts.done, counts.pending, counts.dropped),
        (total, 0, 0),
        "every delivery done within 30 s"
    );
    // Every inbox got the Create exactly once, the same activity everywhere.
    {
        let m = meter.lock().unwrap();
        for (host, _, inboxes) in &hosts {
            for n in 0..*inboxes {
                let got: Vec<&str> = m
                    .posts
                    .iter()
                    .filter(|p| p.0 == *host && p.1 == n)
                    .map(|p| p.2.as_str())
                    .collect();
                assert_eq!(got, ["Create"], "{host} inbox {n}");
            }
        }
        let first = &m.posts[0].3;
        assert!(first.starts_with(&w.base), "{first}");
        assert!(m.posts.iter().all(|p| &p.3 == first), "one Create activity");
    }
    (w, meter)
}

#[tokio::test]
async fn no_more_than_delivery_per_host_requests_reach_one_host_at_once_under_a_higher_global_limit(
) {
    let (_w, meter) = fan_out(GLOBAL).await;
    let m = meter.lock().unwrap();
    // The cap holds, and it is reached: per host, not one at a time.
    assert_eq!(m.most["busy"], PER_HOST, "most in flight at the busy host");
    assert_eq!(
        m.most["other"], PER_HOST,
        "most in flight at the other host"
    );
    // Each host has a limit of its own: the second host was served while
    // the first was busy, so both were at their limit at one moment.
    assert_eq!(m.most_all, 2 * PER_HOST, "most in flight over both hosts");
}

#[tokio::test]
async fn a_host_with_a_long_backlog_does_not_hold_the_slots_other_hosts_need() {
    // Global room for two hosts at their limit; the busy host's 24 copies
    // come first in the queue. Were a copy waiting for its host allowed to
    // hold a global slot, the other host would wait for the whole backlog.
    let (_w, meter) = fan_out(2 * PER_HOST).await;
    let m = meter.lock().unwrap();
    let last_other = m
        .posts
        .iter()
        .rposition(|p| p.0 == "other")
        .expect("the other host was served");
    let busy_before = m.posts[..last_other]
        .iter()
        .filter(|p| p.0 == "busy")
        .count();
    assert!(
        busy_before <= BUSY / 2,
        "the other host finished only after {busy_before} of the busy host's {BUSY} copies"
    );
    assert_eq!(
        m.most_all,
        2 * PER_HOST,
        "both hosts at their limit at once"
    );
}

/// The queue's view of `host` (pending 0 and healthy when it has no row).
async fn host_state(w: &World, host: &str) -> HostQueue {
    w.store
        .delivery_hosts()
        .await
        .unwrap()
        .into_iter()
        .find(|h| h.host == host)
        .unwrap_or(HostQueue {
            host: host.to_string(),
            pending: 0,
            next_attempt_at: None,
            attempts: 0,
            last_error: None,
            failing_since: None,
            unavailable: false,
        })
}

/// Follows `wire` from `remote`'s Mastodon actor with a signed request.
async fn follow_from(w: &World, remote: &Remote) {
    let path = "/users/wire/inbox";
    let body = remote.activity("mastodon", "follow", &w.actor_url("wire"));
    let headers = remote.sign(
        "mastodon",
        &format!("{}{path}", w.base),
        body.as_bytes(),
        Utc::now(),
    );
    assert_eq!(w.post(path, &headers, &body).await, 202);
}

fn creates(got: &[Received]) -> Vec<&Received> {
    got.iter().filter(|r| r.body["type"] == "Create").collect()
}

#[tokio::test]
async fn a_host_failing_for_days_gets_no_new_posts_until_a_signed_request_from_it_revives_it() {
    let w = world("").await;
    // Two servers with a follower each: `down` has been failing for a
    // little over three days, `flaky` for a little under.
    let down = &w.remote;
    let flaky = Remote::start().await;
    let host = |r: &Remote| r.base.trim_start_matches("http://").to_string();
    let (down_host, flaky_host) = (host(down), host(&flaky));
    follow_from(&w, down).await;
    follow_from(&w, &flaky).await;
    down.set_status(503);
    flaky.set_status(503);
    // The first failures, as the worker would have recorded them days ago:
    // the very call it makes after each failed attempt, which takes the time.
    let hours_ago = |h: i64| Utc::now() - chrono::Duration::hours(h);
    let (down_since, flaky_since) = (hours_ago(3 * 24 + 1), hours_ago(3 * 24 - 1));
    w.store
        .fed_host_failed(&down_host, down_since)
        .await
        .unwrap();
    w.store
        .fed_host_failed(&flaky_host, flaky_since)
        .await
        .unwrap();
    assert!(w.store.fed_unavailable_hosts().await.unwrap().is_empty());

    // The worker's real attempts (each follower's Accept) fail with 503.
    w.deliver();
    for _ in 0..200 {
        let (d, f) = (
            host_state(&w, &down_host).await,
            host_state(&w, &flaky_host).await,
        );
        if d.unavailable && f.attempts > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Leave the flaky host's record a moment to finish deciding.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (d, f) = (
        host_state(&w, &down_host).await,
        host_state(&w, &flaky_host).await,
    );
    assert!(d.unavailable, "failing for days: unavailable; {d:?}");
    assert!(
        !f.unavailable,
        "failing for under three days: available; {f:?}"
    );
    let ms = |t: Option<chrono::DateTime<Utc>>| t.map(|t| t.timestamp_millis());
    assert_eq!(ms(d.failing_since), ms(Some(down_since)));
    assert_eq!(ms(f.failing_since), ms(Some(flaky_since)));
    assert_eq!(
        (d.pending, f.pending),
        (1, 1),
        "each Accept waits for a retry"
    );
    assert_eq!(
        w.store.fed_unavailable_hosts().await.unwrap(),
        std::slice::from_ref(&down_host)
    );

    // A new story goes to the flaky host, not to the unavailable one.
    let first = w.add(&[sample_entry("wire-en", 1, "en")]).await;
    w.plan().await;
    assert_eq!(
        host_state(&w, &down_host).await.pending,
        1,
        "no Create planned"
    );
    assert_eq!(
        host_state(&w, &flaky_host).await.pending,
        2,
        "Accept and Create"
    );
    flaky
        .wait_for("the Create at the flaky host", |r| creates(r).len() == 1)
        .await;

    // An unsigned request claiming to come from the down host changes nothing.
    let actor = down.actor_id("mastodon");
    let like = serde_json::json!({
        "id": format!("{actor}#likes/1"), "type": "Like", "actor": actor,
        "object": w.fed.urls.object("wire", first),
    })
    .to_string();
    let plain = [("content-type", "application/activity+json".to_string())];
    assert_eq!(w.post("/inbox", &plain, &like).await, 401);
    assert!(host_state(&w, &down_host).await.unavailable);

    // The same Like, signed by its actor: the host is alive again.
    down.set_status(202);
    assert_eq!(w.post_signed("mastodon", "/inbox", &like).await, 202);
    let d = host_state(&w, &down_host).await;
    assert!(!d.unavailable && d.failing_since.is_none(), "{d:?}");
    assert!(w.store.fed_unavailable_hosts().await.unwrap().is_empty());

    // The next story is planned to it and arrives.
    let second = w.add(&[sample_entry("wire-en", 2, "en")]).await;
    w.plan().await;
    let got = down
        .wait_for("the second story's Create", |r| !creates(r).is_empty())
        .await;
    let got = creates(&got);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(
        got[0].body["object"]["id"],
        w.fed.urls.object("wire", second).as_str()
    );
}
