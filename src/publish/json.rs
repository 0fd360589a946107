//! JSON Feed 1.1. What the format has no field for (translations,
//! translators, the original) goes in a `_wirebridge` extension object, as
//! the spec's extension rule asks; `next_url` walks the archive pages.

use serde_json::{json, Map, Value};

use super::atom::rfc3339;
use super::{feed_path, public, FeedDoc, FeedItem, Format, Page};
use crate::config::Config;
use crate::domain::Person;

pub(super) fn write(config: &Config, doc: &FeedDoc) -> Vec<u8> {
    let key = &doc.key;
    let mut feed = Map::new();
    feed.insert("version".into(), json!("https://jsonfeed.org/version/1.1"));
    feed.insert("title".into(), json!(doc.title));
    feed.insert("home_page_url".into(), json!(public(config, "/")));
    let this = feed_path(&key.scope, key.page, Format::Json);
    feed.insert("feed_url".into(), json!(public(config, &this)));
    if let super::Scope::Lang(l) = &key.scope {
        feed.insert("language".into(), json!(l.as_str()));
    }
    if let Some(n) = doc.prev_archive {
        let older = feed_path(&key.scope, Page::Archive(n), Format::Json);
        feed.insert("next_url".into(), json!(public(config, &older)));
    }
    if let Some(hub) = &config.websub.hub {
        feed.insert(
            "hubs".into(),
            json!([{ "type": "WebSub", "url": hub.as_str() }]),
        );
    }
    feed.insert("authors".into(), json!([{ "name": config.publisher.name }]));
    let history: Map<String, Value> = super::history_links(config, doc, Format::Json)
        .into_iter()
        .map(|(rel, href)| (rel.to_string(), json!(href)))
        .collect();
    let mut ext = Map::new();
    ext.insert("links".into(), Value::Object(history));
    ext.insert("archive".into(), json!(doc.complete));
    feed.insert("_wirebridge".into(), Value::Object(ext));
    let items: Vec<Value> = doc.items.iter().map(item).collect();
    feed.insert("items".into(), Value::Array(items));
    // Serializing a `Value` cannot fail.
    serde_json::to_vec_pretty(&Value::Object(feed)).unwrap_or_default()
}

fn people(list: &[Person]) -> Value {
    Value::Array(
        list.iter()
            .map(|p| match &p.url {
                Some(url) => json!({ "name": p.name, "url": url }),
                None => json!({ "name": p.name }),
            })
            .collect(),
    )
}

fn item(item: &FeedItem) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), json!(item.id));
    if let Some(url) = &item.url {
        o.insert("url".into(), json!(url));
    }
    if let Some(via) = &item.via {
        o.insert("external_url".into(), json!(via));
    }
    o.insert("title".into(), json!(item.title));
    // JSON Feed requires content_html or content_text.
    o.insert(
        "content_html".into(),
        json!(item.content_html.clone().unwrap_or_default()),
    );
    if let Some(s) = &item.summary_html {
        o.insert("summary".into(), json!(crate::normalize::html_to_text(s)));
    }
    if let Some(img) = &item.image {
        o.insert("image".into(), json!(img.url));
    }
    o.insert("date_published".into(), json!(rfc3339(item.published)));
    o.insert("date_modified".into(), json!(rfc3339(item.updated)));
    if !item.authors.is_empty() {
        o.insert("authors".into(), people(&item.authors));
    }
    if !item.categories.is_empty() {
        o.insert("tags".into(), json!(item.categories));
    }
    o.insert("language".into(), json!(item.lang.as_str()));
    let translations: Vec<Value> = item
        .alternates
        .iter()
        .map(|a| json!({ "language": a.lang.as_str(), "url": a.url, "title": a.title }))
        .collect();
    o.insert(
        "_wirebridge".into(),
        json!({
            "translations": translations,
            "translators": people(&item.translators),
            "original_url": item.via,
            "source": item.source_name,
        }),
    );
    Value::Object(o)
}
