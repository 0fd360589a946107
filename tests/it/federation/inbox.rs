//! The inbox: every rejection changes nothing; Follow → follower + Accept
//! delivered (signed) through the queue; Undo, Block and actor Delete from
//! Mastodon-, Misskey- and GoToSocial-shaped JSON remove the follower.
//! Rejections are recorded in the store, within bounds, for `/admin` on
//! any instance.

use chrono::{Duration, Utc};
use serde_json::Value;
use wirebridge::federation::signature;

use super::remote::FLAVOURS;
use super::world::world;

async fn follow(w: &super::world::World, flavour: &str) -> String {
    let target = w.actor_url("wire");
    let body = w.remote.activity(flavour, "follow", &target);
    assert_eq!(
        w.post_signed(flavour, "/users/wire/inbox", &body).await,
        202
    );
    body
}

#[tokio::test]
async fn a_follow_from_each_server_flavour_is_stored_and_accepted_with_a_signed_delivery() {
    let w = world("").await;
    w.deliver();
    for flavour in FLAVOURS {
        follow(&w, flavour).await;
    }
    assert_eq!(w.follower_count("wire").await, 3);
    let (_, ours) = w.get_ap("/users/wire").await;
    let pem = ours["publicKey"]["publicKeyPem"]
        .as_str()
        .expect("pem")
        .to_string();
    let got = w
        .remote
        .wait_for("three Accepts", |r| {
            r.iter().filter(|x| x.body["type"] == "Accept").count() == 3
        })
        .await;
    for r in got.iter().filter(|x| x.body["type"] == "Accept") {
        // Accepts go to the follower's own inbox, not the shared one.
        assert!(r.path.starts_with("/users/"), "{}", r.path);
        assert_eq!(r.body["actor"], w.actor_url("wire"));
        assert_eq!(r.body["object"]["type"], "Follow");
        // Signed with RFC 9421 by the actor that accepts, over the method,
        // the inbox's URL and the body's Content-Digest.
        let lookup = |name: &str| {
            r.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let signed = signature::check(
            &signature::Received {
                method: "POST",
                origin: &w.remote.base,
                target: &r.path,
                lookup: &lookup,
                body: &r.raw,
            },
            Utc::now(),
        )
        .expect("an RFC 9421 signature covering @method, @target-uri and content-digest");
        assert_eq!(signed.scheme, signature::Scheme::Rfc9421);
        assert_eq!(signed.key_id, format!("{}#main-key", w.actor_url("wire")));
        signed
            .verify(&pem)
            .expect("verifies with @wire's published key");
        // The Accept itself is dereferenceable at its id.
        let id = r.body["id"].as_str().expect("id");
        let path = id.strip_prefix(&w.base).expect("our id");
        let (status, doc) = w.get_ap(path).await;
        assert_eq!((status, doc["type"].clone()), (200, Value::from("Accept")));
    }
    let (_, followers) = w.get_ap("/users/wire/followers?page=1").await;
    assert_eq!(followers["totalItems"], 3);
    assert_eq!(followers["orderedItems"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn undo_and_actor_delete_from_each_flavour_remove_the_follower() {
    let w = world("").await;
    for flavour in FLAVOURS {
        follow(&w, flavour).await;
    }
    let target = w.actor_url("wire");
    for (flavour, kind) in [
        ("mastodon", "undo"),
        ("misskey", "delete"),
        ("gotosocial", "undo"),
    ] {
        let body = w.remote.activity(flavour, kind, &target);
        assert_eq!(
            w.post_signed(flavour, "/inbox", &body).await,
            202,
            "{flavour} {kind}"
        );
    }
    assert_eq!(w.follower_count("wire").await, 0);
}

#[tokio::test]
async fn a_block_removes_the_follower_and_the_same_activity_twice_counts_once() {
    let w = world("").await;
    follow(&w, "mastodon").await;
    let actor = w.remote.actor_id("mastodon");
    let block = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{actor}#blocks/77"), "type": "Block",
        "actor": actor, "object": w.actor_url("wire"),
    })
    .to_string();
    assert_eq!(w.post_signed("mastodon", "/inbox", &block).await, 202);
    assert_eq!(w.follower_count("wire").await, 0);
    // A replayed Follow (same id) is acknowledged and not processed again.
    let again = w
        .remote
        .activity("mastodon", "follow", &w.actor_url("wire"));
    assert_eq!(
        w.post_signed("mastodon", "/users/wire/inbox", &again).await,
        202
    );
    assert_eq!(w.follower_count("wire").await, 0);
}

#[tokio::test]
async fn unsigned_forged_tampered_expired_misowned_and_oversized_posts_are_refused_and_change_nothing(
) {
    let w = world("").await;
    let target = w.actor_url("wire");
    let body = w.remote.activity("mastodon", "follow", &target);
    let url = format!("{}/users/wire/inbox", w.base);
    let path = "/users/wire/inbox";

    // Unsigned.
    let plain = [("content-type", "application/activity+json".to_string())];
    assert_eq!(w.post(path, &plain, &body).await, 401, "unsigned");

    // Forged: signed by Misskey's key while claiming to be the Mastodon actor.
    let forged = w.remote.sign("misskey", &url, body.as_bytes(), Utc::now());
    assert_eq!(
        w.post(path, &forged, &body).await,
        401,
        "key of another actor"
    );

    // Forged signature bytes.
    let mut bad = w.remote.sign("mastodon", &url, body.as_bytes(), Utc::now());
    for (k, v) in bad.iter_mut() {
        if *k == "signature" {
            *v = v.replace("signature=\"", "signature=\"AAAA");
        }
    }
    assert_eq!(w.post(path, &bad, &body).await, 401, "forged bytes");

    // Tampered: the body changed after signing (Digest mismatch).
    let signed = w.remote.sign("mastodon", &url, body.as_bytes(), Utc::now());
    let tampered = body.replace("Follow", "Block");
    assert_eq!(w.post(path, &signed, &tampered).await, 401, "tampered");

    // Signed for another inbox (request-target differs).
    let elsewhere = w.remote.sign(
        "mastodon",
        &format!("{}/inbox", w.base),
        body.as_bytes(),
        Utc::now(),
    );
    assert_eq!(w.post(path, &elsewhere, &body).await, 401, "other target");

    // Signed for another server and replayed here.
    let replayed = w.remote.sign(
        "mastodon",
        "https://elsewhere.example/users/wire/inbox",
        body.as_bytes(),
        Utc::now(),
    );
    let mut with_host: Vec<(&str, String)> = replayed.clone();
    with_host.push(("host", "elsewhere.example".to_string()));
    assert_eq!(w.post_raw(path, &with_host, &body).await, 401, "other host");

    // Expired: two hours old, or dated two hours ahead.
    for hours in [-2, 2] {
        let at = Utc::now() + Duration::hours(hours);
        let dated = w.remote.sign("mastodon", &url, body.as_bytes(), at);
        assert_eq!(w.post(path, &dated, &body).await, 401, "{hours} h");
    }

    // Oversized: 300 KiB.
    let huge = format!("{{\"pad\": \"{}\"}}", "x".repeat(300 * 1024));
    let signed_huge = w.remote.sign("mastodon", &url, huge.as_bytes(), Utc::now());
    assert_eq!(w.post(path, &signed_huge, &huge).await, 413, "oversized");

    assert_eq!(w.follower_count("wire").await, 0);
    assert!(w.remote.received().is_empty());
    // And the genuine article still works afterwards: nothing was marked seen.
    assert_eq!(w.post_signed("mastodon", path, &body).await, 202);
    assert_eq!(w.follower_count("wire").await, 1);
}

#[tokio::test]
async fn likes_announces_and_replies_to_our_objects_are_counted_and_other_activities_ignored() {
    let w = world("").await;
    let actor = w.remote.actor_id("mastodon");
    let object = format!("{}/objects/wire-1", w.base);
    let acts = [
        serde_json::json!({"id": format!("{actor}#likes/1"), "type": "Like", "actor": actor, "object": object}),
        serde_json::json!({"id": format!("{actor}/statuses/9/activity"), "type": "Announce", "actor": actor, "object": object}),
        serde_json::json!({"id": format!("{actor}/statuses/10/activity"), "type": "Create", "actor": actor,
            "object": {"id": format!("{actor}/statuses/10"), "type": "Note", "inReplyTo": object, "content": "<p>Thanks</p>"}}),
        serde_json::json!({"id": format!("{actor}#emoji/2"), "type": "EmojiReact", "actor": actor, "object": object}),
    ];
    for a in &acts {
        assert_eq!(
            w.post_signed("mastodon", "/inbox", &a.to_string()).await,
            202
        );
    }
    for kind in ["Like", "Announce", "Reply"] {
        assert_eq!(
            w.store
                .fed_interaction_count(&object, kind)
                .await
                .expect("count"),
            1,
            "{kind}"
        );
    }
}

#[tokio::test]
async fn actor_fetches_are_signed_by_the_instance_actor_in_rfc_9421_so_authorized_fetch_servers_answer(
) {
    let w = world("").await;
    follow(&w, "mastodon").await;
    let actor_path = url::Url::parse(&w.remote.actor_id("mastodon"))
        .expect("actor id")
        .path()
        .to_string();
    let fetches = w.remote.fetched();
    let get = fetches
        .iter()
        .find(|f| f.path == actor_path)
        .expect("the follower's actor document was fetched");
    // The signature names the instance actor's key and verifies with the
    // key that actor publishes at /actor: what a server in secure mode
    // checks. The fake server accepted it: nobody knocked twice.
    let (status, instance) = w.get_ap("/actor").await;
    assert_eq!(status, 200);
    assert_eq!(instance["type"], "Application");
    let pem = instance["publicKey"]["publicKeyPem"].as_str().expect("pem");
    let lookup = |name: &str| {
        get.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let signed = signature::check(
        &signature::Received {
            method: "GET",
            origin: &w.remote.base,
            target: &get.path,
            lookup: &lookup,
            body: b"",
        },
        Utc::now(),
    )
    .expect("a signed GET covering @method and @target-uri, with created");
    assert_eq!(signed.scheme, signature::Scheme::Rfc9421);
    assert_eq!(
        signed.key_id,
        instance["publicKey"]["id"].as_str().expect("key id")
    );
    assert_eq!(signed.key_id, format!("{}/actor#main-key", w.base));
    signed
        .verify(pem)
        .expect("verifies with the instance actor's key");
    assert_eq!(
        fetches.iter().filter(|f| f.path == actor_path).count(),
        1,
        "one knock was enough"
    );
}

#[tokio::test]
async fn a_sender_whose_key_rotated_is_looked_up_once_more_and_accepted() {
    let mut w = world("").await;
    follow(&w, "mastodon").await;
    let before = w.remote.fetched().len();
    w.remote.rotate_key("mastodon");
    let actor = w.remote.actor_id("mastodon");
    let like = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{actor}#likes/rotated"), "type": "Like",
        "actor": actor, "object": format!("{}/objects/wire-1", w.base),
    })
    .to_string();
    // Signed with the new key; we hold the old one.
    assert_eq!(w.post_signed("mastodon", "/inbox", &like).await, 202);
    assert_eq!(w.remote.fetched().len(), before + 1, "one fresh look");
    assert_eq!(w.follower_count("wire").await, 1, "still a follower");
}

#[tokio::test]
async fn hostile_bodies_signed_by_a_real_actor_get_4xx_and_change_nothing() {
    let w = world("").await;
    let actor = w.remote.actor_id("mastodon");
    let ours = w.actor_url("wire");
    let nested = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let cases: Vec<(&str, String, u16)> = vec![
        ("an array", "[]".into(), 400),
        ("deep nesting", nested, 400),
        (
            "no id",
            serde_json::json!({"type": "Follow", "actor": actor, "object": ours}).to_string(),
            400,
        ),
        (
            "a number for an actor",
            serde_json::json!({"id": format!("{actor}#f/1"), "type": "Follow", "actor": 7, "object": ours})
                .to_string(),
            400,
        ),
        (
            "an id on another domain than its actor",
            serde_json::json!({"id": "https://elsewhere.example/f/1", "type": "Follow", "actor": actor, "object": ours})
                .to_string(),
            401,
        ),
        (
            "an actor nobody serves",
            serde_json::json!({"id": "http://localhost:9/f/1", "type": "Follow", "actor": "http://localhost:9/users/x", "object": ours})
                .to_string(),
            401,
        ),
        (
            "an actor on our own host",
            serde_json::json!({"id": format!("{}/f/1", w.base), "type": "Follow", "actor": ours, "object": ours})
                .to_string(),
            401,
        ),
    ];
    for (what, body, status) in &cases {
        assert_eq!(
            w.post_signed("mastodon", "/users/wire/inbox", body).await,
            *status,
            "{what}"
        );
    }
    assert_eq!(w.follower_count("wire").await, 0);
    assert!(w.remote.received().is_empty(), "nothing was sent");
    // Still serving, and a genuine Follow still works.
    follow(&w, "mastodon").await;
    assert_eq!(w.follower_count("wire").await, 1);
}

/// Our inbox and federation as in production: the world's config with
/// private addresses refused (and so, in the crate's terms, no plain http,
/// no explicit ports, no private peers).
fn production(w: &super::world::World) -> std::sync::Arc<wirebridge::federation::Federation> {
    use std::sync::Arc;
    use wirebridge::config::Config;

    let toml = w.toml.replace(
        "allow_private_addresses = true",
        "allow_private_addresses = false",
    );
    let cfg = Arc::new(Config::parse(std::path::Path::new("prod.toml"), &toml).expect("config"));
    wirebridge::app::App::build(cfg, w.store.clone())
        .expect("services")
        .federation
}

/// The first defence, on its own: `activitypub_federation` in production
/// mode refuses to look up an actor over plain http (or on an explicit
/// port, or resolving to a private address) — before any request, so our
/// guard is never asked. The error says it was the crate's URL check.
#[tokio::test]
async fn in_production_the_crate_refuses_an_activity_naming_a_plain_http_actor_without_a_fetch() {
    use activitypub_federation::error::Error as ApError;
    use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
    use wirebridge::federation::inbox::InboxError;
    use wirebridge::federation::Inbox;

    let w = world("").await;
    let inbox = Inbox::new(production(&w));
    let body = w
        .remote
        .activity("mastodon", "follow", &w.actor_url("wire"));
    let url = format!("{}/users/wire/inbox", w.base);
    let mut headers = HeaderMap::new();
    for (k, v) in w.remote.sign("mastodon", &url, body.as_bytes(), Utc::now()) {
        headers.insert(
            HeaderName::from_static(k),
            HeaderValue::from_str(&v).expect("header"),
        );
    }
    let host = w.base.trim_start_matches("http://").to_string();
    headers.insert("host", HeaderValue::from_str(&host).expect("host"));
    let refused = inbox
        .receive(
            Method::POST,
            Uri::from_static("/users/wire/inbox"),
            &headers,
            body.into(),
        )
        .await
        .expect_err("a loopback actor over http is not a fediverse server");
    assert!(
        matches!(
            refused,
            InboxError::Federation(ApError::UrlVerificationError(_))
        ),
        "the crate's URL check decided, not a failed fetch: {refused:?}"
    );
    assert_eq!(refused.status(), 401, "{refused}");
    assert!(
        w.remote.fetched().is_empty(),
        "the named actor was never contacted"
    );
    assert_eq!(w.follower_count("wire").await, 0);
}

/// The second defence, on its own: the client we hand the crate (every
/// actor and key fetch goes through it) refuses loopback addresses
/// itself, whether the URL names the address or a host name resolving to
/// it — so a URL the crate lets through (a name whose DNS answer changed
/// since the crate looked) still reaches no private server.
#[tokio::test]
async fn in_production_the_federation_client_refuses_to_fetch_a_loopback_actor_by_address_or_by_name(
) {
    let w = world("").await;
    let fed = production(&w);
    let by_name = w.remote.actor_id("mastodon");
    assert!(by_name.starts_with("http://localhost:"), "{by_name}");
    let by_address = by_name.replace("localhost", "127.0.0.1");
    for url in [by_name, by_address] {
        let err = fed
            .client
            .get(&url)
            .send()
            .await
            .expect_err("a loopback server is refused");
        let chain = format!("{:?}", anyhow::Error::from(err));
        assert!(
            chain.contains("refused"),
            "the address guard decided for {url}: {chain}"
        );
    }
    assert!(
        w.remote.fetched().is_empty(),
        "the remote was never contacted"
    );
    // Defence in depth, not a lock-out: with private addresses allowed
    // (tests, closed networks) the same client reaches it.
    let allowed = w
        .fed
        .client
        .get(w.remote.actor_id("mastodon"))
        .send()
        .await
        .expect("allowed");
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(w.remote.fetched().len(), 1);
}

const ADMIN_TOKEN: &str = "rejections-admin-token";

/// A second instance on the world's database, as another `serve` process
/// (or this one after a restart) would be: its own store handle and
/// router, nothing shared in memory with the first. Its base URL.
async fn second_instance(w: &super::world::World) -> String {
    use wirebridge::config::Config;
    use wirebridge::http::{router, App};
    use wirebridge::store::Store;

    let cfg = Config::parse(std::path::Path::new("second.toml"), &w.toml).expect("config");
    let store = Store::open(&cfg.database.url).await.expect("store");
    crate::support::serve_app(router(App::build(cfg, store).expect("services"))).await
}

/// `/admin` at `base`, asked again (20 times at most, 250 ms apart) until
/// `done` holds for the page; the last page either way.
async fn admin_page_until(base: &str, done: impl Fn(&str) -> bool) -> String {
    let mut html = String::new();
    for _ in 0..20 {
        html = crate::support::admin_page(base, ADMIN_TOKEN).await;
        if done(&html) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    html
}

/// Unsigned, forged and oversized POSTs to one instance are listed on
/// `/admin` by another one on the same database.
async fn refusals_are_shown_by_another_instance(db: Option<String>) {
    let w = super::world::world_on(db, &format!("\n[admin]\ntoken = \"{ADMIN_TOKEN}\"\n")).await;
    let target = w.actor_url("wire");
    let body = w.remote.activity("mastodon", "follow", &target);
    let url = format!("{}/users/wire/inbox", w.base);
    let path = "/users/wire/inbox";

    let plain = [("content-type", "application/activity+json".to_string())];
    assert_eq!(w.post(path, &plain, &body).await, 401, "unsigned");
    let forged = w.remote.sign("misskey", &url, body.as_bytes(), Utc::now());
    assert_eq!(w.post(path, &forged, &body).await, 401, "forged");
    let huge = format!("{{\"pad\": \"{}\"}}", "x".repeat(300 * 1024));
    let signed_huge = w.remote.sign("mastodon", &url, huge.as_bytes(), Utc::now());
    assert_eq!(w.post(path, &signed_huge, &huge).await, 413, "oversized");

    let other = second_instance(&w).await;
    let html = admin_page_until(&other, |h| {
        h.contains("the request is not signed") && h.contains("too_large")
    })
    .await;
    let from = html.find("Recent inbox rejections").expect("section");
    let section = &html[from..from + html[from..].find("</section>").expect("end")];
    assert!(
        section.contains("the request is not signed"),
        "the unsigned POST: {section}"
    );
    assert!(section.contains("unauthorized"), "{section}");
    assert!(
        section.contains("too_large") && section.contains("body over 256 KiB"),
        "the 413: {section}"
    );
    // The forged and the oversized POSTs claimed a key on the remote's host.
    let remote_host = url::Url::parse(&w.remote.base)
        .expect("remote url")
        .host_str()
        .expect("host")
        .to_string();
    assert!(
        section.contains(&format!("<code>{remote_host}</code>")),
        "the claimed key host: {section}"
    );
    assert!(!section.contains("None."), "{section}");
    assert!(!section.contains("Kept in memory"), "{section}");
    let stored = w
        .store
        .recent_inbox_rejections(10)
        .await
        .expect("rejections");
    let mut kinds: Vec<&str> = stored.iter().map(|r| r.kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        ["too_large", "unauthorized", "unauthorized"],
        "{stored:?}"
    );
    assert_eq!(w.follower_count("wire").await, 0);
}

#[tokio::test]
async fn inbox_refusals_are_shown_on_admin_by_another_instance_on_the_same_sqlite_database() {
    refusals_are_shown_by_another_instance(None).await;
}

#[tokio::test]
async fn inbox_refusals_are_shown_on_admin_by_another_instance_on_the_same_postgres_database() {
    let Some(db) = crate::support::postgres_url(
        "inbox_refusals_are_shown_on_admin_by_another_instance_on_the_same_postgres_database",
    )
    .await
    else {
        return;
    };
    refusals_are_shown_by_another_instance(Some(db.clone())).await;
    crate::support::drop_postgres(&db).await;
}

#[tokio::test]
async fn a_flood_of_unsigned_posts_is_refused_every_time_and_recorded_within_bounds() {
    use futures::StreamExt;
    use wirebridge::store::KEEP_REJECTIONS;

    const FLOOD: i64 = 500;
    let w = world(&format!("\n[admin]\ntoken = \"{ADMIN_TOKEN}\"\n")).await;
    let target = w.actor_url("wire");
    let body = w.remote.activity("mastodon", "follow", &target);
    let path = "/users/wire/inbox";
    let plain = [("content-type", "application/activity+json".to_string())];

    let started = std::time::Instant::now();
    let statuses: Vec<u16> = futures::stream::iter(0..FLOOD)
        .map(|_| w.post(path, &plain, &body))
        .buffer_unordered(8)
        .collect()
        .await;
    let flood_secs = started.elapsed().as_secs() as i64;
    assert_eq!(statuses.len() as i64, FLOOD);
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");

    // Every refusal is either a row or counted on one, once the writer
    // has caught up (a write a second: asked 40 times, 250 ms apart).
    let mut rows = Vec::new();
    let mut accounted = 0;
    for _ in 0..40 {
        rows = w
            .store
            .recent_inbox_rejections(KEEP_REJECTIONS + 1)
            .await
            .expect("rejections");
        accounted = rows.iter().map(|r| 1 + r.suppressed).sum::<i64>();
        if accounted == FLOOD {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(accounted, FLOOD, "each refusal kept or counted: {rows:?}");
    let stored = w.store.inbox_rejection_count().await.expect("count");
    assert!(stored <= KEEP_REJECTIONS, "{stored} rows");
    // Written in batches of at most 5, one a second, the first at once and
    // the last after the flood: the table grew with time, not with requests.
    let budget = 5 * (flood_secs + 3);
    assert!(
        stored <= budget,
        "{stored} rows for a {flood_secs} s flood (at most {budget})"
    );
    assert!(rows.iter().any(|r| r.suppressed > 0), "{rows:?}");
    assert!(rows.iter().all(|r| r.kind == "unauthorized"));

    let html = admin_page_until(&w.base, |h| h.contains("more not kept")).await;
    assert!(html.contains("more not kept"), "{html}");
    // Still answering, and a genuine Follow still works.
    assert_eq!(w.post(path, &plain, &body).await, 401);
    follow(&w, "mastodon").await;
    assert_eq!(w.follower_count("wire").await, 1);
}

#[tokio::test]
async fn an_actor_reached_through_a_cross_origin_redirect_cannot_speak_for_the_named_actor() {
    // `localhost:A/users/alias` answers 301 to an actor on another origin
    // whose key the attacker holds. The activity names the alias and is
    // signed with the other actor's key: accepting it would let one
    // server's key speak for another server's account.
    let w = world("").await;
    let elsewhere = super::remote::Remote::start().await;
    let impostor = elsewhere.actor_id("mastodon");
    w.remote.redirect("alias", &impostor);
    let named = format!("{}/users/alias", w.remote.base);
    let follow = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/follows/spoofed", w.remote.base),
        "type": "Follow", "actor": named, "object": w.actor_url("wire"),
    })
    .to_string();
    let url = format!("{}/users/wire/inbox", w.base);
    let headers = elsewhere.sign("mastodon", &url, follow.as_bytes(), Utc::now());
    assert_eq!(w.post("/users/wire/inbox", &headers, &follow).await, 401);
    assert_eq!(w.follower_count("wire").await, 0);
    assert!(
        w.store
            .fed_remote_actor(&impostor)
            .await
            .expect("store")
            .is_none(),
        "the document behind the redirect is not kept"
    );
    // The impostor under its own name is still a normal sender.
    let own = elsewhere.activity("mastodon", "follow", &w.actor_url("wire"));
    let headers = elsewhere.sign("mastodon", &url, own.as_bytes(), Utc::now());
    assert_eq!(w.post("/users/wire/inbox", &headers, &own).await, 202);
    assert_eq!(w.follower_count("wire").await, 1);
}
