//! The entry key, in documented precedence (mirrors miniflux's reasoning):
//!
//! 1. the feed's own guid/id — the publisher's promise of identity;
//! 2. else the canonical link — tracking parameters and fragments already
//!    gone, so a re-shared link is the same item;
//! 3. else a hash of the body (content, summary, published date). The title
//!    is left out so that fixing a typo in a headline updates the item
//!    instead of creating a second one; it is used only when there is
//!    nothing else at all.
//!
//! Never feed-rs's invented id: `parse` tells feed-rs to invent nothing, so
//! an empty feed-rs id means the item had none.

use sha2::{Digest, Sha256};

use crate::domain::EntryKey;

/// The raw parts a body hash is made of, as the feed wrote them (before
/// sanitizing, so that a sanitizer upgrade does not re-key old items).
pub struct Body<'a> {
    pub content: Option<&'a str>,
    pub summary: Option<&'a str>,
    pub published: Option<String>,
    pub title: &'a str,
}

pub fn entry_key(guid: Option<&str>, url: Option<&str>, body: &Body<'_>) -> EntryKey {
    if let Some(guid) = guid.map(str::trim).filter(|g| !g.is_empty()) {
        return EntryKey::from_guid(guid);
    }
    if let Some(url) = url {
        return EntryKey::from_url(url);
    }
    EntryKey::from_body_hash(&body_hash(body))
}

fn body_hash(body: &Body<'_>) -> String {
    let parts = [
        body.content.map(str::trim).unwrap_or(""),
        body.summary.map(str::trim).unwrap_or(""),
        body.published.as_deref().unwrap_or(""),
    ];
    let mut hasher = Sha256::new();
    if parts.iter().all(|p| p.is_empty()) {
        hasher.update(b"title\0");
        hasher.update(body.title.trim().as_bytes());
    } else {
        // NUL-separated so that moving text between fields changes the hash.
        for part in parts {
            hasher.update(part.as_bytes());
            hasher.update(b"\0");
        }
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body<'a>(title: &'a str, content: Option<&'a str>) -> Body<'a> {
        Body {
            content,
            summary: None,
            published: Some("2024-05-01T08:00:00+00:00".into()),
            title,
        }
    }

    #[test]
    fn a_guid_wins_over_the_link_and_the_body() {
        let key = entry_key(
            Some(" tag:wire,2024:1 "),
            Some("https://wire.example.org/a"),
            &body("T", None),
        );
        assert_eq!(key.as_str(), "guid:tag:wire,2024:1");
    }

    #[test]
    fn without_a_guid_the_canonical_link_is_the_key() {
        let key = entry_key(None, Some("https://wire.example.org/a"), &body("T", None));
        assert_eq!(key.as_str(), "url:https://wire.example.org/a");
    }

    #[test]
    fn a_title_edit_keeps_the_body_hash_but_a_content_edit_changes_it() {
        let before = entry_key(
            None,
            None,
            &body("Strike at the port", Some("<p>Dockers walked out.</p>")),
        );
        let retitled = entry_key(
            None,
            None,
            &body("Strike at the harbor", Some("<p>Dockers walked out.</p>")),
        );
        let rewritten = entry_key(
            None,
            None,
            &body("Strike at the port", Some("<p>Dockers stayed.</p>")),
        );
        assert_eq!(before, retitled);
        assert_ne!(before, rewritten);
        assert!(before.as_str().starts_with("hash:"));
    }

    #[test]
    fn an_item_with_only_a_title_is_keyed_by_it() {
        let only_title = |t| Body {
            content: None,
            summary: None,
            published: None,
            title: t,
        };
        assert_ne!(
            entry_key(None, None, &only_title("A")),
            entry_key(None, None, &only_title("B"))
        );
    }
}
