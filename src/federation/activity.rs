//! The activities we send: Create, Update, Delete (with a Tombstone) and
//! Accept, each with a fresh id under `/activities/`, recorded so it can
//! be dereferenced, and addressed like the object it carries.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::urls::{new_token, Urls, PUBLIC};
use crate::store::NewActivity;

/// ActivityStreams plus the two Mastodon terms our objects use.
pub fn context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        {"Hashtag": "as:Hashtag", "sensitive": "as:sensitive"}
    ])
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Create/Update/Delete of one of our objects, for the followers.
pub fn wrap(
    urls: &Urls,
    actor: &str,
    kind: &str,
    object: Value,
    now: DateTime<Utc>,
    inboxes: Vec<(String, String)>,
) -> NewActivity {
    let token = new_token();
    let ordering_key = object
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let doc = json!({
        "@context": context(),
        "id": urls.activity(&token),
        "type": kind,
        "actor": urls.actor(actor),
        "published": stamp(now),
        "to": [PUBLIC],
        "cc": [urls.followers(actor)],
        "object": object,
    });
    NewActivity {
        id: token,
        actor: actor.to_string(),
        kind: kind.to_string(),
        json: doc.to_string(),
        ordering_key,
        inboxes,
        now,
    }
}

/// What `/objects/{id}` answers (410) after a Delete.
pub fn tombstone(object_id: &str, object_type: &str, now: DateTime<Utc>) -> Value {
    json!({
        "@context": context(),
        "id": object_id,
        "type": "Tombstone",
        "formerType": object_type,
        "deleted": stamp(now),
    })
}

/// Accept of a Follow, to the follower's own inbox.
pub fn accept(
    urls: &Urls,
    actor: &str,
    follow: &Value,
    inbox: (String, String),
    now: DateTime<Utc>,
) -> NewActivity {
    let token = new_token();
    let id = urls.activity(&token);
    let doc = json!({
        "@context": context(),
        "id": id,
        "type": "Accept",
        "actor": urls.actor(actor),
        "object": follow,
    });
    NewActivity {
        id: token,
        actor: actor.to_string(),
        kind: "Accept".into(),
        json: doc.to_string(),
        ordering_key: id,
        inboxes: vec![inbox],
        now,
    }
}

/// `(inbox, host)` pairs for the delivery queue; unparsable URLs dropped.
pub fn with_hosts(inboxes: Vec<String>, unavailable: &[String]) -> Vec<(String, String)> {
    inboxes
        .into_iter()
        .filter_map(|i| {
            let url = url::Url::parse(&i).ok()?;
            let host = match url.port() {
                Some(p) => format!("{}:{p}", url.host_str()?),
                None => url.host_str()?.to_string(),
            };
            (!unavailable.contains(&host)).then_some((i, host))
        })
        .collect()
}
