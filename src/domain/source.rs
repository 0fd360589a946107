//! Source identity and role.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// The operator's short name for a source: `the-nation`, `wire-fr`.
/// Lower-case ASCII letters, digits, `-` and `_`, 1–64 characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct SourceId(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not a valid source id: use 1-64 lower-case letters, digits, `-` or `_`, starting with a letter or digit")]
pub struct SourceIdError(pub String);

impl SourceId {
    pub fn parse(raw: &str) -> Result<Self, SourceIdError> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
            && raw
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if ok {
            Ok(SourceId(raw.to_string()))
        } else {
            Err(SourceIdError(raw.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SourceId({})", self.0)
    }
}

impl<'de> Deserialize<'de> for SourceId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        SourceId::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// Who a source is: a partner outlet whose articles we translate, or the
/// publisher's own per-language feed of translations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Outlet,
    Publisher,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Outlet => "outlet",
            Role::Publisher => "publisher",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "outlet" => Some(Role::Outlet),
            "publisher" => Some(Role::Publisher),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_id_is_a_short_lower_case_slug() {
        assert!(SourceId::parse("the-nation").is_ok());
        assert!(SourceId::parse("wire_fr2").is_ok());
        assert!(SourceId::parse("The Nation").is_err());
        assert!(SourceId::parse("").is_err());
        assert!(SourceId::parse("-x").is_err());
    }
}
