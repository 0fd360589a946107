//! `Lang`: a well-formed BCP 47 language tag in its canonical casing.
//!
//! The region (or script) is never dropped: `pt-BR` and `pt-PT` are different
//! audiences, and fediverse clients filter on the full tag.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A BCP 47 tag such as `en`, `pt-BR`, `zh-Hant-TW`, with canonical casing
/// (language lower case, script title case, region upper case).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Lang(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{tag}` is not a valid BCP 47 language tag: {reason}")]
pub struct LangError {
    pub tag: String,
    pub reason: String,
}

impl Lang {
    /// Parses a tag, accepting `_` as a separator (`pt_BR`, common in feeds)
    /// and any casing; the result is in canonical casing.
    pub fn parse(raw: &str) -> Result<Self, LangError> {
        let trimmed = raw.trim().replace('_', "-");
        let err = |reason: &str| LangError {
            tag: raw.to_string(),
            reason: reason.to_string(),
        };
        if trimmed.is_empty() {
            return Err(err("it is empty"));
        }
        let tag = language_tags::LanguageTag::parse(&trimmed).map_err(|e| err(&e.to_string()))?;
        // Private-use-only tags (`x-foo`) and grandfathered oddities are no
        // use to readers or to Mastodon's language filter.
        if tag.primary_language().len() < 2 || tag.primary_language().len() > 8 {
            return Err(err("its primary language subtag is not 2-8 letters"));
        }
        Ok(Lang(canonical_case(tag.as_str())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary language subtag: `pt` for `pt-BR`.
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }

    /// Whether text in this language is written right to left.
    pub fn is_rtl(&self) -> bool {
        const RTL: &[&str] = &[
            "ar", "arc", "ckb", "dv", "fa", "ha", "he", "khw", "ks", "ku", "ps", "sd", "ur", "yi",
        ];
        if self.0.contains("-Arab") || self.0.contains("-Hebr") {
            return true;
        }
        if self.0.contains("-Latn") || self.0.contains("-Cyrl") {
            return false;
        }
        RTL.contains(&self.primary())
    }

    /// Whether this tag is the same language as `other`, ignoring case:
    /// used for `/feeds/pt-br.atom`.
    pub fn matches_ignore_case(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other.trim())
    }
}

fn canonical_case(tag: &str) -> String {
    let mut out = Vec::new();
    let mut after_singleton = false;
    for (i, sub) in tag.split('-').enumerate() {
        let s = if i == 0 || after_singleton {
            sub.to_ascii_lowercase()
        } else if sub.len() == 1 {
            after_singleton = true;
            sub.to_ascii_lowercase()
        } else if sub.len() == 4 && sub.chars().all(|c| c.is_ascii_alphabetic()) {
            let lower = sub.to_ascii_lowercase();
            let mut c = lower.chars();
            match c.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + c.as_str(),
                None => lower,
            }
        } else if (sub.len() == 2 && sub.chars().all(|c| c.is_ascii_alphabetic()))
            || (sub.len() == 3 && sub.chars().all(|c| c.is_ascii_digit()))
        {
            sub.to_ascii_uppercase()
        } else {
            sub.to_ascii_lowercase()
        };
        out.push(s);
    }
    out.join("-")
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Lang({})", self.0)
    }
}

impl std::str::FromStr for Lang {
    type Err = LangError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Lang::parse(s)
    }
}

impl Serialize for Lang {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Lang {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Lang::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_language_tag_with_region_keeps_its_region() {
        assert_eq!(Lang::parse("pt-br").unwrap().as_str(), "pt-BR");
        assert_eq!(Lang::parse("pt_BR").unwrap().as_str(), "pt-BR");
        assert_eq!(Lang::parse("PT-BR").unwrap().primary(), "pt");
    }

    #[test]
    fn scripts_are_title_cased_and_extensions_lower_cased() {
        assert_eq!(Lang::parse("zh-hant-tw").unwrap().as_str(), "zh-Hant-TW");
        assert_eq!(Lang::parse("es-419").unwrap().as_str(), "es-419");
        assert_eq!(
            Lang::parse("en-US-x-Wire").unwrap().as_str(),
            "en-US-x-wire"
        );
    }

    #[test]
    fn garbage_is_not_a_language() {
        assert!(Lang::parse("").is_err());
        assert!(Lang::parse("english please").is_err());
        assert!(Lang::parse("e").is_err());
        assert!(Lang::parse("x-private").is_err());
    }

    #[test]
    fn arabic_is_right_to_left_and_azeri_in_latin_is_not() {
        assert!(Lang::parse("ar").unwrap().is_rtl());
        assert!(Lang::parse("ur-PK").unwrap().is_rtl());
        assert!(!Lang::parse("fr").unwrap().is_rtl());
        assert!(!Lang::parse("ku-Latn").unwrap().is_rtl());
    }
}

#[cfg(test)]
mod laws {
    use super::*;
    use proptest::prelude::*;

    /// `language[-script][-region]` in any casing, `-` or `_`.
    fn simple_tag() -> impl Strategy<Value = String> {
        (
            "[a-zA-Z]{2,3}",
            prop::option::of("[a-zA-Z]{4}"),
            prop::option::of(prop_oneof!["[a-zA-Z]{2}", "[0-9]{3}"]),
            prop::sample::select(vec!["-", "_"]),
        )
            .prop_map(|(lang, script, region, sep)| {
                let mut tag = lang;
                for sub in [script, region].into_iter().flatten() {
                    tag.push_str(sep);
                    tag.push_str(&sub);
                }
                tag
            })
    }

    /// The above plus variants, extensions and private use.
    fn any_tag() -> impl Strategy<Value = String> {
        (
            simple_tag(),
            prop::collection::vec(
                prop_oneof![
                    "[a-zA-Z0-9]{5,8}",
                    "[0-9][a-zA-Z0-9]{3}",
                    "[a-wyzA-WYZ]-[a-zA-Z0-9]{2,8}",
                    "[xX]-[a-zA-Z0-9]{1,8}",
                ],
                0..3,
            ),
        )
            .prop_map(|(tag, more)| {
                std::iter::once(tag)
                    .chain(more)
                    .collect::<Vec<_>>()
                    .join("-")
            })
    }

    proptest! {
        /// Every subtag survives (nothing dropped, only recased), and the
        /// canonical form is a fixed point through text and JSON.
        #[test]
        fn a_tag_survives_a_round_trip(raw in any_tag()) {
            // Duplicate variants or singletons are invalid BCP 47.
            let parsed = Lang::parse(&raw);
            prop_assume!(parsed.is_ok());
            let lang = parsed.expect("assumed");
            prop_assert!(lang.as_str().eq_ignore_ascii_case(&raw.replace('_', "-")), "{} → {}", raw, lang);
            prop_assert_eq!(&Lang::parse(lang.as_str()).expect("canonical parses"), &lang);
            prop_assert_eq!(&lang.to_string().parse::<Lang>().expect("display parses"), &lang);
            let json = serde_json::to_string(&lang).expect("serializes");
            prop_assert_eq!(&serde_json::from_str::<Lang>(&json).expect("deserializes"), &lang);
        }

        /// A plain `language-Script-REGION` always parses, in canonical
        /// casing, with its region kept.
        #[test]
        fn a_plain_tag_always_parses_in_canonical_casing(raw in simple_tag()) {
            let lang = Lang::parse(&raw).expect("a well-formed tag");
            let subtags: Vec<&str> = lang.as_str().split('-').collect();
            prop_assert_eq!(subtags[0], subtags[0].to_ascii_lowercase());
            for sub in &subtags[1..] {
                match sub.len() {
                    4 => prop_assert!(sub[..1].chars().all(|c| c.is_ascii_uppercase())
                        && sub[1..] == sub[1..].to_ascii_lowercase(), "{}", lang),
                    _ => prop_assert_eq!(*sub, sub.to_ascii_uppercase()),
                }
            }
            prop_assert_eq!(subtags.len(), raw.split(['-', '_']).count());
        }
    }
}
