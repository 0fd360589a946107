//! A story: every language version of one article, plus the outlet's
//! original and any duplicates, as one unit that feeds and the fediverse
//! publish.

use serde::{Deserialize, Serialize};

/// An entry's place in its story.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryRole {
    /// The outlet's version, or the earliest when no outlet's is known.
    Original,
    /// Another version: a language version, or the publisher's own copy.
    Translation,
    /// The same article in the same language seen again (another feed,
    /// another URL, a re-post): folded into the entry it duplicates.
    Duplicate,
}

impl EntryRole {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryRole::Original => "original",
            EntryRole::Translation => "translation",
            EntryRole::Duplicate => "duplicate",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "original" => EntryRole::Original,
            "translation" => EntryRole::Translation,
            "duplicate" => EntryRole::Duplicate,
            _ => return None,
        })
    }
}
