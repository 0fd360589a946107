//! Posting: one Create per (actor, story) with the right languages, one
//! copy per shared inbox, no flood of old stories, a debounced Update for
//! a new translation, and a Delete + 410 Tombstone after `retract`.

use chrono::{Duration, Utc};
use serde_json::Value;
use wirebridge::domain::{EntryLink, LinkRel};

use super::remote::{Received, FLAVOURS};
use super::world::{world, world_on, World};
use crate::support::{drop_postgres, lang, postgres_url, sample_entry};

/// An outlet original and its publisher translations, linked by `via`.
fn versions(n: u32, langs: &[&str]) -> Vec<wirebridge::domain::Entry> {
    let mut original = sample_entry("harbor", n, "en");
    original.url = Some(format!("https://harborledger.example/2025/story-{n}"));
    original.canonical_url = original.url.clone();
    original.title = format!("Harbour workers win a contract {n}");
    let mut out = vec![original.clone()];
    for l in langs {
        let source = match *l {
            "fr" => "wire-fr",
            "de" => "wire-de",
            "pt-BR" => "wire-br",
            _ => "wire-en",
        };
        let mut e = sample_entry(source, n, l);
        e.title = format!("{l} title {n}");
        e.links = vec![EntryLink {
            rel: LinkRel::Original,
            href: original.url.clone().expect("url"),
            hreflang: Some(lang("en")),
            title: None,
        }];
        out.push(e);
    }
    out
}

async fn followed_by_all(w: &World) {
    for flavour in FLAVOURS {
        let body = w.remote.activity(flavour, "follow", &w.actor_url("wire"));
        assert_eq!(
            w.post_signed(flavour, "/users/wire/inbox", &body).await,
            202
        );
    }
}

fn of_type<'a>(got: &'a [Received], kind: &str) -> Vec<&'a Received> {
    got.iter().filter(|r| r.body["type"] == kind).collect()
}

#[tokio::test]
async fn a_new_story_is_created_once_per_shared_inbox_with_every_language_of_the_actor() {
    let w = world("").await;
    followed_by_all(&w).await;
    w.deliver();
    w.add(&versions(1, &["fr", "pt-BR"])).await;
    w.plan().await;
    w.plan().await; // a second pass decides nothing new
                    // Mastodon and Misskey share one inbox, GoToSocial has none: two copies.
    let got = w
        .remote
        .wait_for("two Creates", |r| of_type(r, "Create").len() == 2)
        .await;
    let creates = of_type(&got, "Create");
    let mut paths: Vec<&str> = creates.iter().map(|r| r.path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(paths, ["/inbox", "/users/tomas/inbox"]);
    let note = &creates[0].body["object"];
    assert_eq!(note["type"], "Note");
    // The actor prefers pt-BR, then en, fr, de: content is pt-BR, and the
    // map has every available language of its list, full tags.
    let map = note["contentMap"].as_object().expect("contentMap");
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    // In the actor's order: Mastodon takes the post's language from the
    // first key of contentMap, so it must be the language of `content`.
    assert_eq!(keys, ["pt-BR", "en", "fr"]);
    assert_eq!(note["content"], map["pt-BR"]);
    assert_eq!(note["nameMap"]["fr"], "fr title 1");
    let content = note["content"].as_str().expect("content");
    assert!(content.contains("Publicado originalmente por <a href=\"https://harborledger.example/2025/story-1\">harbor</a>"), "{content}");
    assert!(
        content.contains("Français</a>") && content.contains("English</a>"),
        "{content}"
    );
    assert!(content.contains("#<span>Climate</span>"), "{content}");
    assert!(
        note.get("summary").is_none(),
        "a Note's summary would be a content warning"
    );
    let tags: Vec<&str> = note["tag"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(tags, ["#Climate", "#Labour"]);
    assert_eq!(note["attachment"][0]["name"], "A harbour at dawn");
    // Dereferenceable: the object and the activity.
    let id = note["id"].as_str().expect("id");
    let (status, doc) = w.get_ap(id.strip_prefix(&w.base).expect("ours")).await;
    assert_eq!(status, 200);
    assert_eq!(doc["contentMap"]["pt-BR"], map["pt-BR"]);
    let act = creates[0].body["id"].as_str().expect("id");
    assert_eq!(
        w.get_ap(act.strip_prefix(&w.base).expect("ours")).await.0,
        200
    );
    // wire_fr (French only, Article) posted too, with nobody to deliver to.
    let (_, outbox) = w.get_ap("/users/wire_fr/outbox?page=1").await;
    assert_eq!(outbox["orderedItems"][0]["object"]["type"], "Article");
    assert_eq!(
        outbox["orderedItems"][0]["object"]["content"],
        outbox["orderedItems"][0]["object"]["contentMap"]["fr"]
    );
}

#[tokio::test]
async fn stories_seen_before_the_actor_existed_are_in_the_outbox_but_not_delivered() {
    let w = world("").await;
    followed_by_all(&w).await;
    w.deliver();
    w.add_at(&versions(2, &["fr"]), Utc::now() - Duration::days(1))
        .await;
    w.add(&versions(3, &["de"])).await;
    w.plan().await;
    let got = w
        .remote
        .wait_for("one Create", |r| !of_type(r, "Create").is_empty())
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let creates: Vec<Value> = of_type(&w.remote.received(), "Create")
        .iter()
        .map(|r| r.body.clone())
        .collect();
    assert_eq!(creates.len(), 2, "story 3 to both inboxes only: {got:#?}");
    assert!(creates
        .iter()
        .all(|c| c["object"]["nameMap"]["de"] == "de title 3"));
    let (_, outbox) = w.get_ap("/users/wire").await;
    assert!(outbox["outbox"].is_string());
    let (_, outbox) = w.get_ap("/users/wire/outbox").await;
    assert_eq!(outbox["totalItems"], 2, "the old story is in the outbox");
}

#[tokio::test]
async fn a_new_translation_becomes_one_update_after_the_quiet_time() {
    let w = world("\n[federation]\nupdate_debounce = \"60s\"\n").await;
    followed_by_all(&w).await;
    w.deliver();
    let all = versions(4, &["fr", "de"]);
    w.add(&all[..2]).await;
    w.plan().await;
    w.remote
        .wait_for("Creates", |r| of_type(r, "Create").len() == 2)
        .await;
    w.add(&all[2..]).await; // the German translation arrives
    w.plan().await;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert!(
        of_type(&w.remote.received(), "Update").is_empty(),
        "debounced"
    );
    w.plan_at(Utc::now() + Duration::seconds(61)).await;
    w.plan_at(Utc::now() + Duration::seconds(62)).await;
    let got = w
        .remote
        .wait_for("Updates", |r| of_type(r, "Update").len() == 2)
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(of_type(&w.remote.received(), "Update").len(), 2);
    let update = &of_type(&got, "Update")[0].body["object"];
    assert_eq!(update["nameMap"]["de"], "de title 4");
    assert!(update["content"]
        .as_str()
        .expect("content")
        .contains("Deutsch</a>"));
    assert!(update["updated"].is_string());
}

#[tokio::test]
async fn a_retracted_story_is_deleted_everywhere_and_its_object_answers_410() {
    let w = world("").await;
    followed_by_all(&w).await;
    // Create and Delete are both queued before any delivery starts, and
    // each inbox turns the Create away once (429, retry in a second): the
    // Delete is due all that time, and only the ordering rule (an Update
    // or Delete never overtakes its Create at a host) holds it back.
    w.remote.refuse_first("Create");
    let story = w.add(&versions(5, &["fr"])).await;
    w.plan().await;
    w.store
        .retract_story(story, Utc::now())
        .await
        .expect("retract");
    w.plan().await;
    w.deliver();
    let got = w
        .remote
        .wait_for("Deletes", |r| of_type(r, "Delete").len() == 2)
        .await;
    // Per inbox: the refused Create, its retry, then the Delete.
    for path in ["/inbox", "/users/tomas/inbox"] {
        let kinds: Vec<&str> = got
            .iter()
            .filter(|r| r.path == path)
            .filter_map(|r| r.body["type"].as_str())
            .filter(|k| *k != "Accept")
            .collect();
        assert_eq!(kinds, ["Create", "Create", "Delete"], "{path}");
    }
    let del = &of_type(&got, "Delete")[0].body;
    assert_eq!(del["object"]["type"], "Tombstone");
    let id = del["object"]["id"].as_str().expect("id");
    let (status, doc) = w.get_ap(id.strip_prefix(&w.base).expect("ours")).await;
    assert_eq!(
        (status, doc["type"].clone()),
        (410, Value::from("Tombstone"))
    );
    let (_, outbox) = w.get_ap("/users/wire/outbox").await;
    assert_eq!(outbox["totalItems"], 0);
}

#[tokio::test]
async fn an_inbox_answering_410_gone_loses_the_followers_behind_it() {
    let w = world("").await;
    followed_by_all(&w).await;
    w.remote.set_status(410);
    w.deliver();
    w.add(&versions(6, &["fr"])).await;
    w.plan().await;
    // The followers go first, then each copy's outcome is written: wait
    // (bounded) for both. A retried copy would stay pending for minutes.
    for _ in 0..600 {
        let pending = w.store.fed_delivery_counts().await.expect("counts").pending;
        if w.follower_count("wire").await == 0 && pending == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(w.follower_count("wire").await, 0);
    let counts = w.store.fed_delivery_counts().await.expect("counts");
    assert_eq!(counts.pending, 0, "a 410 is not retried");
}

#[tokio::test]
async fn posting_delivering_and_withdrawing_work_on_postgresql() {
    let test = "posting_delivering_and_withdrawing_work_on_postgresql";
    let Some(db) = postgres_url(test).await else {
        return;
    };
    {
        let w = world_on(Some(db.clone()), "").await;
        followed_by_all(&w).await;
        w.deliver();
        let story = w.add(&versions(8, &["fr", "pt-BR"])).await;
        w.plan().await;
        w.plan().await;
        w.remote
            .wait_for("two Creates", |r| of_type(r, "Create").len() == 2)
            .await;
        w.store
            .retract_story(story, Utc::now())
            .await
            .expect("retract");
        w.plan().await;
        w.remote
            .wait_for("two Deletes", |r| of_type(r, "Delete").len() == 2)
            .await;
        let counts = w.store.fed_delivery_counts().await.expect("counts");
        assert_eq!(counts.dropped, 0);
    }
    drop_postgres(&db).await;
}

#[tokio::test]
async fn wirebridge_retract_withdraws_the_story_and_the_daemon_sends_delete() {
    let w = world("").await;
    followed_by_all(&w).await;
    w.deliver();
    w.add(&versions(9, &["fr"])).await;
    w.plan().await;
    w.remote
        .wait_for("two Creates", |r| of_type(r, "Create").len() == 2)
        .await;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("wirebridge.toml");
    std::fs::write(&path, &w.toml).expect("config file");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wirebridge"))
        .arg("--config")
        .arg(&path)
        .args(["retract", "https://wire.example.org/fr/story-9"])
        .output()
        .expect("run wirebridge retract");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("retracted"), "{stdout}");
    w.plan().await;
    w.remote
        .wait_for("two Deletes", |r| of_type(r, "Delete").len() == 2)
        .await;
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_wirebridge"))
        .arg("--config")
        .arg(&path)
        .args(["retract", "https://wire.example.org/fr/no-such-story"])
        .output()
        .expect("run wirebridge retract");
    assert!(!missing.status.success(), "an unknown URL is an error");
}
