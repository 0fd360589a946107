//! What feed-rs drops from a JSON Feed: item `language`, `external_url` as a
//! via link, `image`/`banner_image`, numeric ids, WebSub `hubs`, and our own
//! `_wirebridge.translations` extension (the one our publisher writes).

use serde_json::Value;

use super::extras::{FeedExtras, ItemExtras, RawLink};
use super::NormalizeError;

/// Reads the extras of a JSON Feed: `Unreadable` for broken JSON,
/// `NotAFeed` for JSON that is something else.
pub fn read_json(json: &str) -> Result<(Value, FeedExtras), NormalizeError> {
    let doc: Value = serde_json::from_str(json)
        .map_err(|e| NormalizeError::Unreadable(format!("invalid JSON: {e}")))?;
    let version = doc.get("version").and_then(Value::as_str).unwrap_or("");
    if !version.starts_with("https://jsonfeed.org/version/1") {
        return Err(NormalizeError::NotAFeed(format!(
            "JSON without a JSON Feed 1.x version (version = {version:?})"
        )));
    }
    let mut out = FeedExtras {
        root: "json".into(),
        language: string(&doc, "language"),
        self_url: string(&doc, "feed_url"),
        ..FeedExtras::default()
    };
    out.hub = doc
        .get("hubs")
        .and_then(Value::as_array)
        .and_then(|hubs| hubs.iter().find_map(|h| string(h, "url")));
    let items = doc.get("items").and_then(Value::as_array);
    for item in items.into_iter().flatten() {
        out.items.push(item_extras(item));
    }
    Ok((doc, out))
}

fn item_extras(item: &Value) -> ItemExtras {
    let mut links = Vec::new();
    if let Some(href) = string(item, "external_url") {
        links.push(RawLink {
            rel: "via".into(),
            href,
            ..RawLink::default()
        });
    }
    let translations = item
        .pointer("/_wirebridge/translations")
        .and_then(Value::as_array);
    for t in translations.into_iter().flatten() {
        if let Some(href) = string(t, "url") {
            links.push(RawLink {
                rel: "alternate".into(),
                href,
                hreflang: string(t, "language"),
                title: string(t, "title"),
                media_type: None,
            });
        }
    }
    ItemExtras {
        // JSON Feed 1.0 allowed numbers as ids in practice; keep them.
        guid: string(item, "id").or_else(|| {
            item.get("id")
                .and_then(Value::as_i64)
                .map(|n| n.to_string())
        }),
        url: string(item, "url"),
        language: string(item, "language"),
        links,
        image: string(item, "image").or_else(|| string(item, "banner_image")),
        ..ItemExtras::default()
    }
}

fn string(v: &Value, key: &str) -> Option<String> {
    let s = v.get(key)?.as_str()?.trim();
    (!s.is_empty()).then(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_language_external_url_and_translations_are_read() {
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"W","language":"pt-BR",
            "hubs":[{"type":"WebSub","url":"https://hub.example/"}],
            "items":[{"id":7,"url":"https://wire.example.org/pt-br/a","language":"pt_br",
              "external_url":"https://harborledger.example/a","image":"https://wire.example.org/i.jpg",
              "_wirebridge":{"translations":[{"language":"en","url":"https://wire.example.org/en/a"}]}}]}"#;
        let (_, ex) = read_json(json).expect("a JSON Feed");
        assert_eq!(ex.language.as_deref(), Some("pt-BR"));
        assert_eq!(ex.hub.as_deref(), Some("https://hub.example/"));
        let item = &ex.items[0];
        assert_eq!(item.guid.as_deref(), Some("7"));
        assert_eq!(item.language.as_deref(), Some("pt_br"));
        assert_eq!(item.links[0].rel, "via");
        assert_eq!(item.links[1].hreflang.as_deref(), Some("en"));
        assert_eq!(
            item.image.as_deref(),
            Some("https://wire.example.org/i.jpg")
        );
    }

    #[test]
    fn json_that_is_not_a_feed_says_so() {
        let err = read_json(r#"{"status":"ok"}"#).expect_err("no version");
        assert!(
            matches!(err, NormalizeError::NotAFeed(ref m) if m.contains("JSON Feed")),
            "{err}"
        );
        let err = read_json("{\"version\": ").expect_err("truncated");
        assert!(
            matches!(err, NormalizeError::Unreadable(ref m) if m.contains("invalid JSON")),
            "{err}"
        );
    }
}
