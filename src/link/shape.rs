//! URL shapes an operator declares per source, such as
//! `https://wire.example.org/{lang}/{slug}`: two URLs of one shape with the
//! same slug and different languages are versions of one article.

use regex::Regex;

use crate::domain::Lang;

#[derive(Clone, Debug)]
pub struct UrlPattern {
    raw: String,
    regex: Regex,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UrlPatternError {
    #[error("the pattern must contain `{{slug}}` exactly once")]
    NoSlug,
    #[error("the pattern may contain `{{lang}}` at most once")]
    TwoLangs,
}

impl UrlPattern {
    pub fn parse(raw: &str) -> Result<Self, UrlPatternError> {
        if raw.matches("{slug}").count() != 1 {
            return Err(UrlPatternError::NoSlug);
        }
        if raw.matches("{lang}").count() > 1 {
            return Err(UrlPatternError::TwoLangs);
        }
        let mut re = String::from("^");
        let mut rest = raw.trim_end_matches('/');
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix("{slug}") {
                re.push_str("(?P<slug>[^?#]+?)");
                rest = r;
            } else if let Some(r) = rest.strip_prefix("{lang}") {
                re.push_str("(?P<lang>[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*)");
                rest = r;
            } else {
                // Up to the next placeholder, past at least one character
                // (which may be more than one byte: `é`, `ü`).
                let first = rest.chars().next().map_or(0, char::len_utf8);
                let next = rest[first..].find('{').map_or(rest.len(), |i| i + first);
                re.push_str(&regex::escape(&rest[..next]));
                rest = &rest[next..];
            }
        }
        re.push_str("/?$");
        let regex = Regex::new(&re).map_err(|_| UrlPatternError::NoSlug)?;
        Ok(UrlPattern {
            raw: raw.to_string(),
            regex,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The shape key of `url` (pattern and slug), if the URL has this shape
    /// and any `{lang}` in it is a language tag.
    pub fn key(&self, url: &str) -> Option<String> {
        let caps = self.regex.captures(url)?;
        if let Some(lang) = caps.name("lang") {
            Lang::parse(lang.as_str()).ok()?;
        }
        let slug = caps.name("slug")?.as_str().trim_matches('/');
        (!slug.is_empty()).then(|| format!("{}|{}", self.raw, slug.to_lowercase()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_slug_in_two_languages_has_one_shape_key() {
        let p = UrlPattern::parse("https://wire.example.org/{lang}/{slug}").expect("pattern");
        let fr = p.key("https://wire.example.org/fr/port-strike-ends");
        let br = p.key("https://wire.example.org/pt-br/port-strike-ends");
        assert!(fr.is_some());
        assert_eq!(fr, br);
        assert_ne!(fr, p.key("https://wire.example.org/fr/ferry-fares-rise"));
    }

    #[test]
    fn urls_of_another_shape_have_no_key() {
        let p = UrlPattern::parse("https://wire.example.org/{lang}/{slug}").expect("pattern");
        assert_eq!(p.key("https://harborledger.example/news/port-strike"), None);
        assert_eq!(p.key("https://wire.example.org/about"), None);
        assert_eq!(p.key("https://wire.example.org/12345/slug"), None);
    }

    #[test]
    fn a_pattern_with_non_ascii_text_between_placeholders_is_read_whole() {
        let p = UrlPattern::parse("https://wire.example.org/{lang}/é/ü{slug}").expect("pattern");
        let fr = p.key("https://wire.example.org/fr/é/üport-strike");
        assert!(fr.is_some());
        assert_eq!(fr, p.key("https://wire.example.org/de/é/üport-strike"));
    }

    #[test]
    fn a_pattern_without_a_slug_is_refused() {
        assert_eq!(
            UrlPattern::parse("https://wire.example.org/{lang}/").unwrap_err(),
            UrlPatternError::NoSlug
        );
    }
}
