//! OPML in and out: `opml import` turns a feed reader's subscription list
//! into `[[sources]]` TOML for the operator to review and paste; `opml
//! export` writes the configured sources as OPML 2.0. Pure functions over
//! text: reading files and printing is the command line's job.

use std::collections::HashSet;

use crate::config::SourceConfig;
use crate::domain::{Lang, Role, SourceId};

#[derive(Debug, thiserror::Error)]
pub enum OpmlError {
    #[error("not a readable OPML document: {0}")]
    Read(#[from] opml::Error),
}

/// One outline that will become a `[[sources]]` block.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedSource {
    pub id: SourceId,
    pub name: String,
    pub role: Role,
    pub url: String,
    pub language: Lang,
}

/// What an OPML file yielded: sources, and why the other outlines were left
/// out (printed as TOML comments so nothing disappears silently).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Import {
    pub sources: Vec<ImportedSource>,
    pub skipped: Vec<String>,
}

/// The `category` marking a source's role, so export → import keeps it.
const ROLE_CATEGORY: &str = "wirebridge:";

/// Reads every feed outline (folders are walked). Ids are slugs of the
/// titles, made unique against each other and against `taken` (the ids
/// already configured); a missing or invalid language falls back to
/// `default_language`.
pub fn import(xml: &str, default_language: &Lang, taken: &[SourceId]) -> Result<Import, OpmlError> {
    let doc = opml::OPML::from_str(xml)?;
    let mut ids: HashSet<String> = taken.iter().map(|id| id.as_str().to_string()).collect();
    let mut urls = HashSet::new();
    let mut out = Import::default();
    let mut stack: Vec<&opml::Outline> = doc.body.outlines.iter().rev().collect();
    while let Some(outline) = stack.pop() {
        stack.extend(outline.outlines.iter().rev());
        let name = outline.title.as_deref().unwrap_or(&outline.text).trim();
        let label = if name.is_empty() { "(untitled)" } else { name };
        let Some(raw_url) = outline.xml_url.as_deref().map(str::trim) else {
            if outline.outlines.is_empty() {
                out.skipped.push(format!("\"{label}\": no xmlUrl"));
            }
            continue;
        };
        let url = match url::Url::parse(raw_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
            Ok(u) => {
                out.skipped
                    .push(format!("\"{label}\": unsupported scheme `{}`", u.scheme()));
                continue;
            }
            Err(e) => {
                out.skipped
                    .push(format!("\"{label}\": xmlUrl `{raw_url}` is not a URL: {e}"));
                continue;
            }
        };
        if !urls.insert(url.to_string()) {
            out.skipped
                .push(format!("\"{label}\": {url} is listed twice"));
            continue;
        }
        let base = slugify(name)
            .or_else(|| url.host_str().and_then(slugify))
            .unwrap_or_else(|| "source".to_string());
        let id = unique(&base, &mut ids);
        let role = match outline
            .category
            .as_deref()
            .and_then(|c| c.strip_prefix(ROLE_CATEGORY))
        {
            Some(role) => Role::parse(role).unwrap_or(Role::Outlet),
            None => Role::Outlet,
        };
        let language = outline
            .language
            .as_deref()
            .and_then(|l| Lang::parse(l).ok())
            .unwrap_or_else(|| default_language.clone());
        out.sources.push(ImportedSource {
            id,
            name: if name.is_empty() {
                url.to_string()
            } else {
                name.to_string()
            },
            role,
            url: url.to_string(),
            language,
        });
    }
    Ok(out)
}

/// `The Nation — World!` → `the-nation-world`; `None` when nothing ASCII
/// is left (an Arabic title, say: the caller falls back to the host name).
pub fn slugify(title: &str) -> Option<String> {
    let mut slug = String::new();
    let folded: String = title.chars().map(fold_latin).collect();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.truncate(56); // room for a `-NN` suffix within SourceId's 64
    let slug = slug.trim_end_matches('-').to_string();
    (!slug.is_empty()).then_some(slug)
}

/// The common accented Latin letters as their base letter, so
/// `português` becomes `portugues` rather than `portugu-s`.
fn fold_latin(c: char) -> String {
    let base = match c.to_lowercase().next().unwrap_or(c) {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
        'ç' => "c",
        'è' | 'é' | 'ê' | 'ë' => "e",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => "o",
        'ù' | 'ú' | 'û' | 'ü' => "u",
        'ý' | 'ÿ' => "y",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        _ => return c.to_string(),
    };
    base.to_string()
}

fn unique(base: &str, taken: &mut HashSet<String>) -> SourceId {
    let mut candidate = base.to_string();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    taken.insert(candidate.clone());
    // A slug is lower-case ASCII letters, digits and `-`, starting with a
    // letter or digit, at most 64 characters: a valid id by construction.
    SourceId::parse(&candidate).unwrap_or_else(|_| unreachable!("slug `{candidate}` is a valid id"))
}

/// The import as `[[sources]]` blocks, strings escaped by the toml crate.
pub fn to_toml(import: &Import) -> String {
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut out = String::new();
    for s in &import.sources {
        out.push_str(&format!(
            "[[sources]]\nid = {}\nname = {}\nrole = \"{}\"\nurl = {}\nlanguage = \"{}\"\npoll_every = \"15m\"\n\n",
            quote(s.id.as_str()),
            quote(&s.name),
            s.role.as_str(),
            quote(&s.url),
            s.language,
        ));
    }
    for reason in &import.skipped {
        // One line per comment, whatever the outline's title contained.
        let reason: String = reason
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        out.push_str(&format!("# skipped {reason}\n"));
    }
    out
}

/// The configured sources as an OPML 2.0 document.
pub fn export(title: &str, sources: &[SourceConfig]) -> Result<String, OpmlError> {
    let outlines = sources
        .iter()
        .map(|s| opml::Outline {
            text: s.name.clone(),
            title: Some(s.name.clone()),
            r#type: Some("rss".to_string()),
            xml_url: Some(s.url.to_string()),
            language: Some(s.language.to_string()),
            category: Some(format!("{ROLE_CATEGORY}{}", s.role.as_str())),
            ..opml::Outline::default()
        })
        .collect();
    let doc = opml::OPML {
        version: "2.0".to_string(),
        head: Some(opml::Head {
            title: Some(title.to_string()),
            ..opml::Head::default()
        }),
        body: opml::Body { outlines },
    };
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}\n",
        doc.to_string()?
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is the failure report
mod tests {
    use std::time::Duration;

    use super::*;

    fn lang(tag: &str) -> Lang {
        Lang::parse(tag).unwrap()
    }

    fn source(id: &str, name: &str, role: Role, url: &str, language: &str) -> SourceConfig {
        SourceConfig {
            id: SourceId::parse(id).unwrap(),
            name: name.to_string(),
            role,
            url: url::Url::parse(url).unwrap(),
            language: lang(language),
            poll_every: Duration::from_secs(600),
            url_pattern: None,
            page_lookups: false,
        }
    }

    #[test]
    fn an_export_imports_back_to_the_same_sources() {
        let sources = [
            source(
                "harbor-ledger",
                "Harbor Ledger",
                Role::Outlet,
                "https://harbor.example/feed",
                "en",
            ),
            source(
                "wire-pt-br",
                "The Wire (português)",
                Role::Publisher,
                "https://wire.example/pt-br/feed",
                "pt-BR",
            ),
        ];
        let xml = export("The Wire", &sources).unwrap();
        let back = import(&xml, &lang("fr"), &[]).unwrap();
        assert!(back.skipped.is_empty(), "{:?}", back.skipped);
        let got: Vec<_> = back
            .sources
            .iter()
            .map(|s| {
                (
                    s.id.as_str(),
                    s.name.as_str(),
                    s.role,
                    s.url.as_str(),
                    s.language.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "harbor-ledger",
                    "Harbor Ledger",
                    Role::Outlet,
                    "https://harbor.example/feed",
                    "en"
                ),
                (
                    "the-wire-portugues",
                    "The Wire (português)",
                    Role::Publisher,
                    "https://wire.example/pt-br/feed",
                    "pt-BR"
                ),
            ]
        );
    }

    #[test]
    fn folders_are_walked_ids_made_unique_and_bad_outlines_explained() {
        let xml = r#"<?xml version="1.0"?>
<opml version="2.0"><head><title>Reader</title></head><body>
  <outline text="News">
    <outline text="Harbor Ledger" xmlUrl="https://harbor.example/rss"/>
    <outline text="Harbor Ledger" xmlUrl="https://harbor.example/world/rss" language="pt_br"/>
  </outline>
  <outline text="صحيفة" xmlUrl="https://sahifa.example/feed" language="ar"/>
  <outline text="Just a note"/>
  <outline text="Old" xmlUrl="gopher://old.example/feed"/>
  <outline text="Again" xmlUrl="https://harbor.example/rss"/>
</body></opml>"#;
        let taken = [SourceId::parse("harbor-ledger").unwrap()];
        let got = import(xml, &lang("en"), &taken).unwrap();
        let ids: Vec<_> = got.sources.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            ["harbor-ledger-2", "harbor-ledger-3", "sahifa-example"]
        );
        assert_eq!(got.sources[0].language.as_str(), "en");
        assert_eq!(got.sources[1].language.as_str(), "pt-BR");
        assert_eq!(got.sources[2].language.as_str(), "ar");
        assert_eq!(got.skipped.len(), 3, "{:?}", got.skipped);
        let toml = to_toml(&got);
        assert!(
            toml.contains("# skipped \"Just a note\": no xmlUrl"),
            "{toml}"
        );
        assert!(
            toml.contains("# skipped \"Old\": unsupported scheme `gopher`"),
            "{toml}"
        );
        assert!(
            toml.contains("# skipped \"Again\": https://harbor.example/rss is listed twice"),
            "{toml}"
        );
    }

    #[test]
    fn imported_toml_is_valid_sources_even_with_quotes_in_titles() {
        let xml = r#"<opml version="2.0"><body><outline text="The &quot;Daily&quot; \ Ledger" xmlUrl="https://d.example/feed"/></body></opml>"#;
        let toml = to_toml(&import(xml, &lang("de"), &[]).unwrap());
        let parsed: toml::Table = toml.parse().unwrap();
        let first = &parsed["sources"][0];
        assert_eq!(first["name"].as_str(), Some("The \"Daily\" \\ Ledger"));
        assert_eq!(first["id"].as_str(), Some("the-daily-ledger"));
        assert_eq!(first["language"].as_str(), Some("de"));
    }

    #[test]
    fn a_document_that_is_not_opml_is_an_error() {
        assert!(import("<rss version=\"2.0\"></rss>", &lang("en"), &[]).is_err());
    }
}
