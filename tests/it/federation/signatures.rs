//! Receiving HTTP signatures, against the real router: an RFC 9421-only
//! sender is accepted and a broken or incomplete one refused (with
//! `Accept-Signature`); a key fetch the key's server refuses leaves a
//! request unauthenticated, not failed. Sending is `knocking`.

use std::time::Duration;

use chrono::Utc;
use wirebridge::federation::signature::{digest::content_digest, Scheme};

use super::world::{world, World};

/// POSTs `body` to our `path`, signed by the remote's `flavour` actor in
/// `scheme` with `edit` applied to the headers: status and headers.
async fn post_in(
    w: &World,
    scheme: Scheme,
    flavour: &str,
    path: &str,
    body: &str,
    edit: impl FnOnce(&mut Vec<(&'static str, String)>),
) -> (u16, reqwest::header::HeaderMap) {
    post_other(w, scheme, flavour, path, body, body, edit).await
}

/// Like `post_in`, but signs `signed` and sends `body`.
async fn post_other(
    w: &World,
    scheme: Scheme,
    flavour: &str,
    path: &str,
    signed: &str,
    body: &str,
    edit: impl FnOnce(&mut Vec<(&'static str, String)>),
) -> (u16, reqwest::header::HeaderMap) {
    let url = format!("{}{path}", w.base);
    let mut headers = w
        .remote
        .sign_in(scheme, flavour, &url, signed.as_bytes(), Utc::now());
    edit(&mut headers);
    let mut req = w
        .http
        .post(&url)
        .timeout(Duration::from_secs(10))
        .header("content-type", "application/activity+json")
        .body(body.to_string());
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let resp = req.send().await.expect("post");
    (resp.status().as_u16(), resp.headers().clone())
}

/// A change made to signed headers before they are sent.
type Edit = Box<dyn FnOnce(&mut Vec<(&'static str, String)>)>;

fn follow_body(w: &World) -> String {
    w.remote
        .activity("mastodon", "follow", &w.actor_url("wire"))
}

#[tokio::test]
async fn an_rfc_9421_only_sender_is_accepted_and_gets_its_accept() {
    let w = world("").await;
    w.deliver();
    let body = follow_body(&w);
    let (status, _) = post_in(
        &w,
        Scheme::Rfc9421,
        "mastodon",
        "/users/wire/inbox",
        &body,
        |h| {
            // Nothing of cavage's: no Signature keyId, no Digest, no Date.
            assert!(h.iter().all(|(k, _)| *k != "digest" && *k != "date"));
        },
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(w.follower_count("wire").await, 1);
    w.remote
        .wait_for("the Accept", |r| {
            r.iter().any(|x| x.body["type"] == "Accept")
        })
        .await;
    // The same activity again is acknowledged and not processed twice.
    let (status, _) = post_in(
        &w,
        Scheme::Rfc9421,
        "mastodon",
        "/users/wire/inbox",
        &body,
        |_| {},
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(w.follower_count("wire").await, 1);
    assert_eq!(
        w.remote
            .received()
            .iter()
            .filter(|x| x.body["type"] == "Accept")
            .count(),
        1
    );
}

#[tokio::test]
async fn rfc_9421_posts_with_a_tampered_content_digest_no_created_or_an_unsigned_target_are_refused_and_change_nothing(
) {
    let w = world("").await;
    let body = follow_body(&w);
    let path = "/users/wire/inbox";
    let tampered = body.replace("Follow", "Block");
    let cases: Vec<(&str, String, Edit)> = vec![
        // The body changed and its Content-Digest recomputed to match: the
        // signature covered the old digest.
        (
            "tampered content-digest",
            tampered.clone(),
            Box::new({
                let d = content_digest(tampered.as_bytes());
                move |h| set(h, "content-digest", d)
            }),
        ),
        // The body changed, the digest left as signed.
        (
            "content-digest mismatch",
            tampered.clone(),
            Box::new(|_| {}),
        ),
        // The Signature lost its label's bytes.
        (
            "forged signature bytes",
            body.clone(),
            Box::new(|h| {
                let sig = get(h, "signature").replace("sig1=:", "sig1=:AAAA");
                set(h, "signature", sig);
            }),
        ),
    ];
    for (what, sent, edit) in cases {
        // Always signed over the genuine Follow; sometimes sent otherwise.
        let (status, headers) =
            post_other(&w, Scheme::Rfc9421, "mastodon", path, &body, &sent, edit).await;
        assert_eq!(status, 401, "{what}");
        let accept = headers
            .get("accept-signature")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            accept.contains(r#""@method" "@target-uri" "content-digest""#)
                && accept.contains("created"),
            "{what}: Accept-Signature {accept:?}"
        );
    }
    // Signatures that verify, but leave out what we demand: `created`, or
    // the target (a signature the sender could replay at another server).
    let url = format!("{}{path}", w.base);
    let created = format!(";created={}", Utc::now().timestamp());
    let valid_but_short: [(&str, &[&str], String); 4] = [
        (
            "no created",
            &["@method", "@target-uri", "content-digest"],
            r#";keyid="{key}";alg="rsa-v1_5-sha256""#.to_string(),
        ),
        (
            "unsigned @target-uri",
            &["@method", "content-digest"],
            format!(r#"{created};keyid="{{key}}""#),
        ),
        (
            "the path without the authority",
            &["@method", "@path", "content-digest"],
            format!(r#"{created};keyid="{{key}}""#),
        ),
        (
            "no content-digest",
            &["@method", "@target-uri"],
            format!(r#"{created};keyid="{{key}}""#),
        ),
    ];
    for (what, components, params) in valid_but_short {
        let headers =
            w.remote
                .sign_rfc9421_as("mastodon", &url, body.as_bytes(), components, &params);
        assert_eq!(w.post(path, &headers, &body).await, 401, "{what}");
    }
    // The same form with everything covered is accepted (below): the
    // refusals above are the policy's, not a broken signer's.
    assert_eq!(w.follower_count("wire").await, 0);
    assert!(w.remote.received().is_empty());
    let full = w.remote.sign_rfc9421_as(
        "mastodon",
        &url,
        body.as_bytes(),
        &["@method", "@target-uri", "content-digest"],
        &format!(r#"{created};keyid="{{key}}""#),
    );
    assert_eq!(w.post(path, &full, &body).await, 202);
    assert_eq!(w.follower_count("wire").await, 1);
    // And a genuine article still works: nothing was marked seen.
    let (status, _) = post_in(&w, Scheme::Rfc9421, "mastodon", path, &body, |_| {}).await;
    assert_eq!(status, 202);
    assert_eq!(w.follower_count("wire").await, 1);
}

#[tokio::test]
async fn an_rfc_9421_sender_whose_key_rotated_is_looked_up_once_more_and_one_naming_another_domain_is_refused(
) {
    let mut w = world("").await;
    let body = follow_body(&w);
    let (status, _) = post_in(
        &w,
        Scheme::Rfc9421,
        "mastodon",
        "/users/wire/inbox",
        &body,
        |_| {},
    )
    .await;
    assert_eq!(status, 202);
    let before = w.remote.fetched().len();
    w.remote.rotate_key("mastodon");
    let actor = w.remote.actor_id("mastodon");
    let like = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{actor}#likes/rotated-9421"), "type": "Like",
        "actor": actor, "object": format!("{}/objects/wire-1", w.base),
    })
    .to_string();
    let (status, _) = post_in(&w, Scheme::Rfc9421, "mastodon", "/inbox", &like, |_| {}).await;
    assert_eq!(status, 202);
    assert_eq!(w.remote.fetched().len(), before + 1, "one fresh look");
    // An id on another domain than its actor: what the crate refuses for
    // cavage, we refuse for RFC 9421.
    let elsewhere = serde_json::json!({
        "id": "https://elsewhere.example/f/1", "type": "Follow",
        "actor": actor, "object": w.actor_url("wire"),
    })
    .to_string();
    let (status, _) = post_in(
        &w,
        Scheme::Rfc9421,
        "mastodon",
        "/inbox",
        &elsewhere,
        |_| {},
    )
    .await;
    assert_eq!(status, 401);
    // Signed by Misskey's key while naming the Mastodon actor.
    let forged = w.remote.activity("mastodon", "undo", &w.actor_url("wire"));
    let (status, _) = post_in(&w, Scheme::Rfc9421, "misskey", "/inbox", &forged, |_| {}).await;
    assert_eq!(status, 401);
    assert_eq!(w.follower_count("wire").await, 1);
}

fn get(h: &[(&'static str, String)], name: &str) -> String {
    h.iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn set(h: &mut [(&'static str, String)], name: &str, value: String) {
    for (k, v) in h.iter_mut() {
        if *k == name {
            *v = value.clone();
        }
    }
}

#[tokio::test]
async fn a_sender_whose_server_refuses_our_key_fetch_is_unauthenticated_not_a_failure() {
    let w = world("").await;
    // The Mastodon actor's server answers 401 to every fetch, signed in
    // either scheme (a server that will not take us).
    w.remote.set_fetch_status(401);
    let body = follow_body(&w);
    for scheme in [Scheme::Rfc9421, Scheme::Cavage] {
        let (status, _) = post_in(&w, scheme, "mastodon", "/users/wire/inbox", &body, |_| {}).await;
        assert_eq!(status, 401, "{scheme:?}");
    }
    // We asked twice per attempt (RFC 9421, then cavage), then gave up.
    let fetches = w.remote.fetched();
    assert!(!fetches.is_empty());
    let schemes: Vec<&str> = fetches
        .iter()
        .map(|f| {
            if f.headers.contains_key("signature-input") {
                "rfc9421"
            } else {
                "cavage"
            }
        })
        .collect();
    assert!(schemes.starts_with(&["rfc9421", "cavage"]), "{schemes:?}");
    assert_eq!(w.follower_count("wire").await, 0);
    let actor = w.remote.actor_id("mastodon");
    assert!(w
        .store
        .fed_remote_actor(&actor)
        .await
        .expect("store")
        .is_none());
    // Noted for /admin as unauthenticated (written within a second or so).
    let mut stored = Vec::new();
    for _ in 0..20 {
        stored = w
            .store
            .recent_inbox_rejections(10)
            .await
            .expect("rejections");
        if stored.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        stored.iter().all(|r| r.kind == "unauthorized"
            && r.reason
                .contains("to our signed fetch in both schemes (unauthenticated)")),
        "{stored:?}"
    );
    assert_eq!(stored.len(), 2, "{stored:?}");
}
