//! The `[[sources]]` and `[[actors]]` arrays: identity rules across entries
//! (duplicate ids and usernames), source URLs and actor languages.

use std::collections::HashMap;
use std::path::Path;

use toml::Spanned;
use url::Url;

use super::error::Location;
use super::raw::{RawActor, RawSource};
use super::validate::{Validator, MINUTE, POLL_EVERY};
use super::{ActorConfig, ObjectType, SourceConfig};
use crate::domain::Lang;

impl Validator<'_> {
    pub(super) fn sources(&mut self, raw: Vec<RawSource>, base_dir: &Path) -> Vec<SourceConfig> {
        let mut first_line = HashMap::new();
        let mut out = Vec::new();
        for (i, s) in raw.into_iter().enumerate() {
            let key = |field: &str| format!("sources[{i}].{field}");
            let line = Location::of(self.text, s.id.span().start).line;
            if let Some(first) = first_line.insert(s.id.get_ref().clone(), line) {
                let msg = format!(
                    "duplicate source id \"{}\" (first defined at line {first})",
                    s.id.get_ref()
                );
                self.report(s.id.span(), key("id"), msg);
                first_line.insert(s.id.get_ref().clone(), first);
            }
            if s.name.get_ref().trim().is_empty() {
                self.report(s.name.span(), key("name"), "must not be empty");
            }
            let url = self.source_url(&s.url, &key("url"), base_dir);
            let poll_every =
                self.duration(&s.poll_every, &key("poll_every"), POLL_EVERY, 15 * MINUTE);
            let url_pattern = match &s.url_pattern {
                Some(p) => match crate::link::UrlPattern::parse(p.get_ref()) {
                    Ok(pattern) => Some(pattern),
                    Err(e) => {
                        self.report(p.span(), key("url_pattern"), e.to_string());
                        None
                    }
                },
                None => None,
            };
            if let Some(url) = url {
                out.push(SourceConfig {
                    id: s.id.into_inner(),
                    name: s.name.into_inner().trim().to_string(),
                    role: s.role,
                    url,
                    language: s.language,
                    poll_every,
                    url_pattern,
                    page_lookups: s.page_lookups,
                });
            }
        }
        out
    }

    /// http, https or file. `file:NAME` (no slash after the colon) is
    /// relative to the config file's folder, so a config and its bundled
    /// feeds move together and work from any current directory.
    pub(super) fn source_url(
        &mut self,
        raw: &Spanned<String>,
        key: &str,
        base_dir: &Path,
    ) -> Option<Url> {
        let text = raw.get_ref().trim();
        let relative = text
            .get(..5)
            .filter(|scheme| scheme.eq_ignore_ascii_case("file:"))
            .map(|_| &text[5..])
            .filter(|rest| !rest.starts_with('/'));
        if let Some(rest) = relative {
            if rest.is_empty() {
                self.report(raw.span(), key, "a file: URL needs a path");
                return None;
            }
            return match Url::from_file_path(base_dir.join(rest)) {
                Ok(url) => Some(url),
                Err(()) => {
                    self.report(
                        raw.span(),
                        key,
                        format!("cannot turn `{text}` into a file path"),
                    );
                    None
                }
            };
        }
        let url = match Url::parse(text) {
            Ok(url) => url,
            Err(e) => {
                self.report(raw.span(), key, format!("`{text}` is not a URL: {e}"));
                return None;
            }
        };
        let problem = match url.scheme() {
            "http" | "https" if url.host().is_none() => {
                Some("an http(s) URL needs a host".to_string())
            }
            "http" | "https" => None,
            "file" if !matches!(url.host_str(), None | Some("") | Some("localhost")) => Some(
                "a file: URL must not name a host: use file:///absolute/path or file:relative/path"
                    .to_string(),
            ),
            "file" => None,
            other => Some(format!(
                "unsupported scheme `{other}`: use http, https or file"
            )),
        };
        match problem {
            Some(message) => {
                self.report(raw.span(), key, message);
                None
            }
            None => Some(url),
        }
    }

    /// Actor languages must be publisher languages: an account posting in a
    /// language the publisher does not publish would stay silent forever,
    /// which is surely a typo, so it is an error rather than a warning.
    pub(super) fn actors(
        &mut self,
        raw: Vec<RawActor>,
        publisher_langs: &[Lang],
    ) -> Vec<ActorConfig> {
        let mut first_line: HashMap<String, usize> = HashMap::new();
        let mut out = Vec::new();
        for (i, a) in raw.into_iter().enumerate() {
            let key = |field: &str| format!("actors[{i}].{field}");
            let name = a.username.get_ref().trim().to_string();
            let valid = !name.is_empty()
                && name.len() <= 30
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                self.report(
                    a.username.span(),
                    key("username"),
                    format!(
                        "`{name}` is not a valid username: use 1-30 ASCII letters, digits or `_`"
                    ),
                );
            }
            let line = Location::of(self.text, a.username.span().start).line;
            // Handles are case-insensitive on the fediverse.
            let folded = name.to_ascii_lowercase();
            if let Some(&first) = first_line.get(&folded) {
                let msg =
                    format!("duplicate actor username \"{name}\" (first defined at line {first})");
                self.report(a.username.span(), key("username"), msg);
            } else {
                first_line.insert(folded, line);
            }
            let languages = match &a.languages {
                None => publisher_langs.to_vec(),
                Some(list) if list.get_ref().is_empty() => {
                    self.report(list.span(), key("languages"), "must list at least one language (or be left out for all the publisher's languages)");
                    Vec::new()
                }
                Some(list) => {
                    let mut langs = Vec::new();
                    for (j, span, lang) in self.langs(list.get_ref(), &key("languages")) {
                        if !publisher_langs.contains(&lang) {
                            let msg = format!("`{lang}` is not one of publisher.languages");
                            self.report(span, format!("{}[{j}]", key("languages")), msg);
                        }
                        langs.push(lang);
                    }
                    langs
                }
            };
            let image = |v: &mut Self, raw: &Option<Spanned<String>>, field: &str| {
                let raw = raw.as_ref()?;
                match Url::parse(raw.get_ref().trim()) {
                    Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
                    _ => {
                        let msg = format!("`{}` is not an http(s) URL", raw.get_ref());
                        v.report(raw.span(), key(field), msg);
                        None
                    }
                }
            };
            let icon = image(self, &a.icon, "icon");
            let header = image(self, &a.header, "header");
            let object_type = match a.object_type.as_ref().map(|t| (t.get_ref().as_str(), t)) {
                None | Some(("Note", _)) => ObjectType::Note,
                Some(("Article", _)) => ObjectType::Article,
                Some((other, t)) => {
                    let msg =
                        format!("`{other}` is not an object type: use \"Note\" or \"Article\"");
                    self.report(t.span(), key("object_type"), msg);
                    ObjectType::Note
                }
            };
            out.push(ActorConfig {
                username: name,
                display_name: a.display_name,
                summary: a.summary,
                languages,
                icon,
                header,
                object_type,
                backfill: a.backfill,
                fields: a.fields.into_iter().map(|f| (f.name, f.value)).collect(),
                discoverable: a.discoverable.unwrap_or(true),
            });
        }
        out
    }
}
