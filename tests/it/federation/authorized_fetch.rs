//! Signed fetches both ways: the instance actor (FEP-2677) is public and
//! linked from NodeInfo; with `[federation] authorized_fetch = true` our
//! objects, activities, outboxes and collections answer only GETs whose
//! signature (either scheme) verifies, while actor documents, keys,
//! WebFinger and NodeInfo stay public, as Mastodon serves them.

use std::time::Duration;

use serde_json::Value;
use wirebridge::federation::signature::Scheme;

use super::world::{world, World};
use crate::support::sample_entry;

/// GETs our `path` with an ActivityPub Accept and `headers`: status, the
/// `Accept-Signature` header, and the JSON (or Null).
async fn get_with(
    w: &World,
    path: &str,
    headers: &[(&'static str, String)],
) -> (u16, String, Value) {
    let mut req = w
        .http
        .get(format!("{}{path}", w.base))
        .header("accept", "application/activity+json")
        .timeout(Duration::from_secs(10));
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let resp = req.send().await.expect("get");
    let status = resp.status().as_u16();
    let accept = resp
        .headers()
        .get("accept-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = resp.bytes().await.expect("body");
    (
        status,
        accept,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

/// Headers for a GET of our `path` signed by the remote's Mastodon actor.
fn signed(w: &World, scheme: Scheme, path: &str) -> Vec<(&'static str, String)> {
    w.remote
        .sign_get(scheme, "mastodon", &format!("{}{path}", w.base))
}

/// A world with authorized fetch on and one story posted: the paths
/// authorized fetch protects.
async fn protected_world() -> (World, Vec<String>) {
    let w = world("\n[federation]\nauthorized_fetch = true\n").await;
    let story = w.add(&[sample_entry("wire-en", 1, "en")]).await;
    w.plan().await;
    let create = w
        .store
        .fed_outbox("wire", 1, 0)
        .await
        .expect("outbox")
        .1
        .first()
        .and_then(|json| serde_json::from_str::<Value>(json).ok())
        .and_then(|doc| doc["id"].as_str().map(str::to_string))
        .expect("a Create in the outbox");
    let activity = create.strip_prefix(&w.base).expect("ours").to_string();
    let paths = vec![
        format!("/objects/wire-{story}"),
        activity,
        "/users/wire/outbox".to_string(),
        "/users/wire/outbox?page=1".to_string(),
        "/users/wire/followers".to_string(),
        "/users/wire/following?page=1".to_string(),
    ];
    (w, paths)
}

#[tokio::test]
async fn authorized_fetch_refuses_unsigned_gets_and_serves_gets_signed_in_either_scheme() {
    let (w, paths) = protected_world().await;
    for path in &paths {
        let (status, accept, _) = get_with(&w, path, &[]).await;
        assert_eq!(status, 401, "unsigned {path}");
        assert_eq!(
            accept, r#"sig1=("@method" "@target-uri");created;alg="rsa-v1_5-sha256""#,
            "{path}"
        );
        for scheme in [Scheme::Rfc9421, Scheme::Cavage] {
            let (status, _, doc) = get_with(&w, path, &signed(&w, scheme, path)).await;
            assert_eq!(status, 200, "{scheme:?} {path}");
            assert!(doc["id"].is_string(), "{scheme:?} {path}: {doc}");
        }
    }
    // The object is the one we posted, in full.
    let (_, _, note) = get_with(&w, &paths[0], &signed(&w, Scheme::Rfc9421, &paths[0])).await;
    assert_eq!(note["type"], "Note");
    assert_eq!(note["attributedTo"], w.actor_url("wire"));
}

#[tokio::test]
async fn under_authorized_fetch_actors_keys_webfinger_and_nodeinfo_stay_public() {
    let (w, _) = protected_world().await;
    let host = w.base.trim_start_matches("http://");
    for path in [
        "/users/wire".to_string(),
        "/actor".to_string(),
        "/actor/outbox".to_string(),
        format!("/.well-known/webfinger?resource=acct:wire@{host}"),
        "/.well-known/nodeinfo".to_string(),
        "/nodeinfo/2.1".to_string(),
    ] {
        let (status, _, doc) = get_with(&w, &path, &[]).await;
        assert_eq!(status, 200, "{path}");
        assert!(!doc.is_null(), "{path}");
    }
}

#[tokio::test]
async fn a_signature_for_another_path_a_forged_one_or_a_stale_one_is_refused() {
    let (w, paths) = protected_world().await;
    let object = &paths[0];
    // Signed for the outbox, replayed on the object.
    let (status, _, _) = get_with(
        &w,
        object,
        &signed(&w, Scheme::Rfc9421, "/users/wire/outbox"),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _, _) = get_with(
        &w,
        object,
        &signed(&w, Scheme::Cavage, "/users/wire/outbox"),
    )
    .await;
    assert_eq!(status, 401);
    // Bytes that are not the Mastodon actor's signature.
    let mut forged = signed(&w, Scheme::Rfc9421, object);
    for (k, v) in forged.iter_mut() {
        if *k == "signature" {
            *v = v.replace("sig1=:", "sig1=:AAAA");
        }
    }
    let (status, _, _) = get_with(&w, object, &forged).await;
    assert_eq!(status, 401);
    // A POST-style signature is not needed for a GET, but a signature
    // must be there: an Authorization header of another kind is nothing.
    let (status, _, _) = get_with(&w, object, &[("authorization", "Bearer x".to_string())]).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_signed_get_whose_signers_server_refuses_our_key_fetch_is_unauthenticated_not_an_error() {
    let (w, paths) = protected_world().await;
    w.remote.set_fetch_status(401);
    let (status, accept, _) =
        get_with(&w, &paths[0], &signed(&w, Scheme::Rfc9421, &paths[0])).await;
    assert_eq!(status, 401, "not a 500: we just do not know who asks");
    assert!(accept.starts_with("sig1="), "{accept}");
    // We asked for the key in RFC 9421, then in cavage, and gave up.
    let fetches = w.remote.fetched();
    assert_eq!(fetches.len(), 2, "{fetches:?}");
    assert!(fetches[0].headers.contains_key("signature-input"));
    assert!(!fetches[1].headers.contains_key("signature-input"));
    assert!(fetches[1].headers.contains_key("signature"));
    // The sender is told why.
    let mut req = w
        .http
        .get(format!("{}{}", w.base, paths[0]))
        .header("accept", "application/activity+json");
    for (k, v) in signed(&w, Scheme::Cavage, &paths[0]) {
        req = req.header(k, v);
    }
    let text = req.send().await.expect("get").text().await.expect("text");
    assert!(
        text.contains("to our signed fetch in both schemes (unauthenticated)"),
        "{text}"
    );
}

#[tokio::test]
async fn the_instance_actor_is_a_public_application_linked_from_nodeinfo() {
    let w = world("").await;
    let (_, links) = w.get_ap("/.well-known/nodeinfo").await;
    let href = links["links"]
        .as_array()
        .expect("links")
        .iter()
        .find(|l| l["rel"] == "https://www.w3.org/ns/activitystreams#Application")
        .and_then(|l| l["href"].as_str())
        .expect("FEP-2677 link");
    assert_eq!(href, format!("{}/actor", w.base));
    let (status, actor) = w.get_ap("/actor").await;
    assert_eq!(status, 200);
    assert_eq!(actor["id"], href);
    assert_eq!(actor["type"], "Application");
    assert_eq!(actor["publicKey"]["id"], format!("{href}#main-key"));
    assert_eq!(actor["publicKey"]["owner"], href);
    assert!(actor["publicKey"]["publicKeyPem"]
        .as_str()
        .is_some_and(|p| p.starts_with("-----BEGIN PUBLIC KEY-----")));
    let (_, outbox) = w.get_ap("/actor/outbox").await;
    assert_eq!(outbox["totalItems"], 0);
    // Its key is its own: not any configured actor's.
    let (_, wire) = w.get_ap("/users/wire").await;
    assert_ne!(
        wire["publicKey"]["publicKeyPem"],
        actor["publicKey"]["publicKeyPem"]
    );
    // Served as JSON to anyone, browsers included.
    let plain = w
        .http
        .get(format!("{}/actor", w.base))
        .send()
        .await
        .expect("get");
    assert_eq!(plain.status(), 200);
}
