//! Discovery: WebFinger by acct: and by URL, NodeInfo, the actor document
//! (by content negotiation; browsers go to `/`), and keys that survive.

use std::time::Duration;

use serde_json::Value;

use super::world::world;

#[tokio::test]
async fn webfinger_finds_an_actor_by_acct_and_by_url_and_nobody_else() {
    let w = world("").await;
    let host = w.base.trim_start_matches("http://");
    for resource in [format!("acct:wire@{host}"), w.actor_url("wire")] {
        let r = w
            .http
            .get(format!("{}/.well-known/webfinger", w.base))
            .query(&[("resource", resource.as_str())])
            .send()
            .await
            .expect("webfinger");
        assert_eq!(r.status(), 200, "{resource}");
        assert_eq!(r.headers()["content-type"], "application/jrd+json");
        let jrd: Value = serde_json::from_slice(&r.bytes().await.expect("body")).expect("jrd");
        assert_eq!(jrd["subject"], format!("acct:wire@{host}"));
        assert_eq!(jrd["aliases"][0], w.actor_url("wire"));
        let selfs: Vec<&Value> = jrd["links"]
            .as_array()
            .expect("links")
            .iter()
            .filter(|l| l["rel"] == "self")
            .collect();
        assert_eq!(selfs[0]["href"], w.actor_url("wire"));
        assert_eq!(selfs[0]["type"], "application/activity+json");
    }
    for missing in [
        format!("acct:nobody@{host}"),
        "acct:wire@elsewhere.example".to_string(),
    ] {
        let r = w
            .http
            .get(format!("{}/.well-known/webfinger", w.base))
            .query(&[("resource", missing.as_str())])
            .send()
            .await
            .expect("webfinger");
        assert_eq!(r.status(), 404, "{missing}");
    }
}

#[tokio::test]
async fn nodeinfo_names_the_software_and_counts_users() {
    let w = world("").await;
    let (_, links) = w.get_ap("/.well-known/nodeinfo").await;
    let href = links["links"][0]["href"].as_str().expect("href");
    assert_eq!(href, format!("{}/nodeinfo/2.1", w.base));
    let info = w
        .http
        .get(href)
        .send()
        .await
        .expect("get")
        .bytes()
        .await
        .expect("body");
    let info: Value = serde_json::from_slice(&info).expect("json");
    assert_eq!(info["version"], "2.1");
    assert_eq!(info["software"]["name"], "wirebridge");
    assert_eq!(info["software"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["usage"]["users"]["total"], 2);
    assert_eq!(info["protocols"][0], "activitypub");
}

#[tokio::test]
async fn the_actor_is_a_service_with_a_key_and_browsers_are_sent_home() {
    let w = world("").await;
    let (status, actor) = w.get_ap("/users/wire").await;
    assert_eq!(status, 200);
    assert_eq!(actor["type"], "Service");
    assert_eq!(actor["id"], w.actor_url("wire"));
    assert_eq!(actor["preferredUsername"], "wire");
    assert_eq!(actor["name"], "The Wire");
    assert_eq!(actor["discoverable"], true);
    assert_eq!(
        actor["endpoints"]["sharedInbox"],
        format!("{}/inbox", w.base)
    );
    assert_eq!(
        actor["icon"]["url"],
        "https://wire.example.org/static/avatar.png"
    );
    assert_eq!(actor["attachment"][0]["type"], "PropertyValue");
    assert!(actor["attachment"][0]["value"]
        .as_str()
        .expect("value")
        .contains("href=\"https://wire.example.org\""));
    assert_eq!(actor["publicKey"]["owner"], w.actor_url("wire"));
    let pem = actor["publicKey"]["publicKeyPem"].as_str().expect("pem");
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    for (path, kind) in [
        ("/users/wire/outbox", "OrderedCollection"),
        ("/users/wire/followers", "OrderedCollection"),
        ("/users/wire/following", "OrderedCollection"),
    ] {
        let (status, doc) = w.get_ap(path).await;
        assert_eq!((status, doc["type"].as_str()), (200, Some(kind)), "{path}");
    }

    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let r = browser
        .get(w.actor_url("wire"))
        .header("accept", "text/html")
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .expect("get");
    assert!(r.status().is_redirection());
    assert_eq!(r.headers()["location"], "/");
    assert_eq!(w.get_ap("/users/nobody").await.0, 404);

    // The key is stored: asking again (as after a restart) gives the same one.
    w.fed.ensure_actors().await.expect("again");
    let (_, again) = w.get_ap("/users/wire").await;
    assert_eq!(again["publicKey"]["publicKeyPem"], pem);
}

#[test]
fn bad_actor_and_federation_settings_are_reported_with_their_line() {
    let toml = super::world::fed_config_toml(
        "sqlite://x.sqlite",
        "https://wire.example.org",
        "\n[federation]\ndelivery_concurrency = 0\n",
    )
    .replace("object_type = \"Article\"", "object_type = \"Page\"")
    .replace(
        "icon = \"https://wire.example.org/static/avatar.png\"",
        "icon = \"ftp://x\"",
    );
    let err = wirebridge::config::Config::parse(std::path::Path::new("bad.toml"), &toml)
        .expect_err("invalid")
        .to_string();
    for key in [
        "actors[1].object_type",
        "actors[0].icon",
        "federation.delivery_concurrency",
    ] {
        assert!(err.contains(key), "{key} missing in {err}");
    }
    assert!(err.contains("bad.toml:"), "{err}");
}
