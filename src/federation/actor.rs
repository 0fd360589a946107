//! What other servers read about us: actor documents, WebFinger and
//! NodeInfo. Pure JSON builders; the HTTP layer serves them.

use maud::html;
use serde_json::{json, Value};

use super::urls::Urls;
use crate::config::{ActorConfig, Config};

/// The `@context` of our actor documents: ActivityStreams, the security
/// vocabulary (publicKey) and the Mastodon extensions we use.
fn actor_context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": "http://joinmastodon.org/ns#",
            "discoverable": "toot:discoverable",
            "indexable": "toot:indexable",
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value"
        }
    ])
}

/// The actor document: a `Service` (Mastodon shows it as a bot).
pub fn actor_json(
    config: &Config,
    urls: &Urls,
    actor: &ActorConfig,
    public_pem: &str,
    created: chrono::DateTime<chrono::Utc>,
) -> Value {
    let name = &actor.username;
    let id = urls.actor(name);
    let display = actor
        .display_name
        .clone()
        .unwrap_or_else(|| config.publisher.name.clone());
    let summary = actor
        .summary
        .as_deref()
        .map(|s| html! { p { (s) } }.into_string())
        .unwrap_or_default();
    let mut fields: Vec<Value> = actor
        .fields
        .iter()
        .map(|(n, v)| json!({"type": "PropertyValue", "name": n, "value": field_value(v)}))
        .collect();
    if fields.is_empty() {
        // A link to the publisher's site, as the issue asks for every actor.
        fields.push(json!({
            "type": "PropertyValue",
            "name": "Website",
            "value": field_value(urls.base()),
        }));
    }
    let mut doc = json!({
        "@context": actor_context(),
        "id": id,
        "type": "Service",
        "preferredUsername": name,
        "name": display,
        "summary": summary,
        "url": id,
        "inbox": urls.inbox(name),
        "outbox": urls.outbox(name),
        "followers": urls.followers(name),
        "following": urls.following(name),
        "endpoints": {"sharedInbox": urls.shared_inbox()},
        "manuallyApprovesFollowers": false,
        "discoverable": actor.discoverable,
        "indexable": actor.discoverable,
        "published": created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "attachment": fields,
        "publicKey": {
            "id": urls.key_id(name),
            "owner": id,
            "publicKeyPem": public_pem,
        },
    });
    if let Some(icon) = &actor.icon {
        doc["icon"] = json!({"type": "Image", "url": icon.as_str()});
    }
    if let Some(header) = &actor.header {
        doc["image"] = json!({"type": "Image", "url": header.as_str()});
    }
    doc
}

/// A profile field value: URLs become links (Mastodon verifies them).
fn field_value(v: &str) -> String {
    let html = if v.starts_with("https://") || v.starts_with("http://") {
        let shown = v
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        html! { a href=(v) rel="me nofollow noopener noreferrer" target="_blank" { (shown) } }
    } else {
        html! { (v) }
    };
    html.into_string()
}

/// `host` or `host:port` of the public URL, as in `acct:user@host`.
pub fn acct_host(config: &Config) -> String {
    let url = &config.server.public_url;
    let host = url.host_str().unwrap_or("localhost");
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// The actor a WebFinger `resource` names: `acct:user@host` (leading `@`
/// tolerated) or the actor URL.
pub fn webfinger_target<'c>(
    config: &'c Config,
    urls: &Urls,
    resource: &str,
) -> Option<&'c ActorConfig> {
    let wanted = if let Some(acct) = resource.strip_prefix("acct:") {
        let (user, host) = acct.trim_start_matches('@').rsplit_once('@')?;
        if !host.eq_ignore_ascii_case(&acct_host(config)) {
            return None;
        }
        user.to_string()
    } else {
        urls.username_of(resource)?.to_string()
    };
    config
        .actors
        .iter()
        .find(|a| a.username.eq_ignore_ascii_case(&wanted))
}

pub fn webfinger_json(config: &Config, urls: &Urls, actor: &ActorConfig) -> Value {
    let id = urls.actor(&actor.username);
    json!({
        "subject": format!("acct:{}@{}", actor.username, acct_host(config)),
        "aliases": [id],
        "links": [
            {"rel": "self", "type": "application/activity+json", "href": id},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": id},
        ],
    })
}

/// NodeInfo discovery, with the instance actor (FEP-2677).
pub fn nodeinfo_links(urls: &Urls) -> Value {
    json!({"links": [
        {
            "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
            "href": format!("{}/nodeinfo/2.1", urls.base()),
        },
        {"rel": super::instance::NODEINFO_REL, "href": urls.instance_actor()},
    ]})
}

pub fn nodeinfo(config: &Config, local_posts: i64) -> Value {
    let users = config.actors.len();
    json!({
        "version": "2.1",
        "software": {
            "name": "wirebridge",
            "version": env!("CARGO_PKG_VERSION"),
            "repository": env!("CARGO_PKG_REPOSITORY"),
        },
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["rss2.0", "atom1.0"]},
        "openRegistrations": false,
        "usage": {
            "users": {"total": users, "activeMonth": users, "activeHalfyear": users},
            "localPosts": local_posts,
        },
        "metadata": {"nodeName": config.publisher.name},
    })
}
