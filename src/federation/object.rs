//! The object an actor posts for a story: a Note (or Article) whose
//! `content` is the actor's first preferred language available and whose
//! `contentMap`/`nameMap`/`summaryMap` carry every available language of
//! the actor's list under full BCP 47 tags. Pure: story members in, JSON out.

use std::collections::BTreeSet;

use maud::html;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::urls::{Urls, PUBLIC};
use crate::config::{ActorConfig, Config, ObjectType};
use crate::domain::{EntryRole, Lang, Role};
use crate::store::StoredEntry;

/// The built object and a hash of what followers would see.
pub struct Built {
    pub object: Value,
    pub content_hash: String,
}

/// The entry shown for `lang`: the original if it is in that language,
/// else the first translation; duplicates never.
fn version_in<'a>(members: &'a [StoredEntry], lang: &Lang) -> Option<&'a StoredEntry> {
    let mut found: Vec<&StoredEntry> = members
        .iter()
        .filter(|m| {
            m.entry
                .language
                .as_str()
                .eq_ignore_ascii_case(lang.as_str())
        })
        .filter(|m| m.link.as_ref().map(|l| l.role) != Some(EntryRole::Duplicate))
        .collect();
    found.sort_by_key(|m| {
        let original = m.link.as_ref().map(|l| l.role) == Some(EntryRole::Original);
        (!original, m.id)
    });
    found.first().copied()
}

/// "Originally published by" and "Also in", in the reader's language.
fn labels(lang: &Lang) -> (&'static str, &'static str) {
    match lang.primary() {
        "fr" => ("Publié à l'origine par", "Aussi en"),
        "de" => ("Ursprünglich veröffentlicht von", "Auch auf"),
        "pt" => ("Publicado originalmente por", "Também em"),
        "es" => ("Publicado originalmente por", "También en"),
        "ar" => ("نُشر أصلاً في", "متوفر أيضاً بـ"),
        _ => ("Originally published by", "Also in"),
    }
}

/// `#ClimateJustice` from "climate justice": Mastodon tags are one word.
pub fn hashtag(category: &str) -> Option<String> {
    let word: String = category
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            cs.next()
                .map(|f| f.to_uppercase().chain(cs).collect::<String>())
                .unwrap_or_default()
        })
        .collect();
    (!word.is_empty()).then_some(word)
}

/// Builds the object, or `None` when the story has no version in any of
/// the actor's languages.
pub fn build(
    config: &Config,
    urls: &Urls,
    actor: &ActorConfig,
    story_id: i64,
    members: &[StoredEntry],
) -> Option<Built> {
    let versions: Vec<(&Lang, &StoredEntry)> = actor
        .languages
        .iter()
        .filter_map(|l| version_in(members, l).map(|e| (l, e)))
        .collect();
    let (_, main) = *versions.first()?;
    let original = members.iter().find(|m| {
        m.link.as_ref().map(|l| l.role) == Some(EntryRole::Original)
            && config
                .source(&m.entry.source)
                .is_some_and(|s| s.role == Role::Outlet)
    });
    // Every language version of the story (not only the actor's), for links.
    let mut all_langs: Vec<(&Lang, &StoredEntry)> = Vec::new();
    for m in members {
        let dup = m.link.as_ref().map(|l| l.role) == Some(EntryRole::Duplicate);
        if !dup && m.entry.url.is_some() && !all_langs.iter().any(|(l, _)| *l == &m.entry.language)
        {
            if let Some(v) = version_in(members, &m.entry.language) {
                all_langs.push((&v.entry.language, v));
            }
        }
    }
    let tags: BTreeSet<String> = main
        .entry
        .categories
        .iter()
        .filter_map(|c| hashtag(c))
        .collect();

    let mut content_map = Map::new();
    let mut name_map = Map::new();
    let mut summary_map = Map::new();
    for (lang, v) in &versions {
        let html = content_html(config, urls, lang, v, original, &all_langs, &tags);
        content_map.insert(lang.as_str().to_string(), json!(html));
        name_map.insert(lang.as_str().to_string(), json!(v.entry.title));
        if let Some(s) = v
            .entry
            .summary
            .as_deref()
            .map(crate::normalize::html_to_text)
        {
            summary_map.insert(lang.as_str().to_string(), json!(s));
        }
    }
    let main_lang = main.entry.language.as_str();
    let id = urls.object(&actor.username, story_id);
    let mut tag_list: Vec<Value> = tags
        .iter()
        .map(|t| json!({"type": "Hashtag", "name": format!("#{t}"), "href": tag_href(urls, t)}))
        .collect();
    tag_list.sort_by_key(|t| t["name"].as_str().map(str::to_lowercase));
    let attachment: Vec<Value> = main
        .entry
        .image
        .iter()
        .map(|img| {
            json!({
                "type": "Document",
                "mediaType": img.mime.clone().unwrap_or_else(|| "image/jpeg".into()),
                "url": img.url,
                "name": img.alt.clone().unwrap_or_default(),
            })
        })
        .collect();
    let published = main.entry.published.unwrap_or(main.first_seen_at);
    let mut object = json!({
        "id": id,
        "type": actor.object_type.as_str(),
        "attributedTo": urls.actor(&actor.username),
        "to": [PUBLIC],
        "cc": [urls.followers(&actor.username)],
        "url": main.entry.url,
        "content": content_map.get(main_lang).cloned().unwrap_or_default(),
        "contentMap": content_map,
        "name": main.entry.title,
        "nameMap": name_map,
        "tag": tag_list,
        "attachment": attachment,
        "sensitive": false,
    });
    // Mastodon shows a Note's `summary` as a content warning hiding the
    // post, so a Note keeps its teaser inside `content`; an Article carries
    // it as the summary readers expect.
    if actor.object_type == ObjectType::Article {
        if let Some(s) = summary_map.get(main_lang).cloned() {
            object["summary"] = s;
        }
        object["summaryMap"] = Value::Object(summary_map);
    }
    let content_hash = hex::encode(Sha256::digest(object.to_string().as_bytes()));
    object["published"] = json!(published.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    Some(Built {
        object,
        content_hash,
    })
}

fn tag_href(urls: &Urls, tag: &str) -> String {
    format!("{}/tags/{}", urls.base(), tag.to_lowercase())
}

/// A post's HTML in the reader's language, built with maud (which escapes
/// every value). The ammonia pass after it is what Mastodon keeps anyway,
/// and its serialization is what the post's content hash was taken over.
fn content_html(
    config: &Config,
    urls: &Urls,
    lang: &Lang,
    v: &StoredEntry,
    original: Option<&StoredEntry>,
    all_langs: &[(&Lang, &StoredEntry)],
    tags: &BTreeSet<String>,
) -> String {
    let (by, also) = labels(lang);
    let e = &v.entry;
    let summary = e.summary.as_deref().map(crate::normalize::html_to_text);
    let summary = summary.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let outlet = original.map(|o| {
        let name = config
            .source(&o.entry.source)
            .map_or_else(|| o.entry.source.to_string(), |s| s.name.clone());
        (name, o.entry.url.as_deref())
    });
    let others: Vec<(&Lang, &str)> = all_langs
        .iter()
        .filter(|(l, _)| *l != lang)
        .filter_map(|(l, o)| Some((*l, o.entry.url.as_deref()?)))
        .collect();
    let html = html! {
        p { strong { (e.title) } }
        @if let Some(s) = summary { p { (s) } }
        @if let Some(url) = &e.url { p { a href=(url) { (url) } } }
        @if let Some((name, url)) = &outlet {
            p {
                (by) " "
                @match url {
                    Some(u) => a href=(u) { (name) },
                    None => (name),
                }
            }
        }
        @if !others.is_empty() {
            p {
                (also) ": "
                @for (i, (l, url)) in others.iter().enumerate() {
                    @if i > 0 { " · " }
                    a href=(url) hreflang=(l) lang=(l) { (crate::publish::lang_name(l)) }
                }
            }
        }
        @if !tags.is_empty() {
            p {
                @for (i, t) in tags.iter().enumerate() {
                    @if i > 0 { " " }
                    a href=(tag_href(urls, t)) class="mention hashtag" rel="tag" { "#" span { (t) } }
                }
            }
        }
    };
    sanitize(&html.into_string())
}

/// Only what Mastodon keeps anyway: paragraphs, links, emphasis.
fn sanitize(html: &str) -> String {
    ammonia::Builder::new()
        .tags(["p", "a", "strong", "span", "br"].into_iter().collect())
        .generic_attributes(["lang", "dir"].into_iter().collect())
        .tag_attributes(
            [(
                "a",
                ["href", "hreflang", "class", "rel"].into_iter().collect(),
            )]
            .into_iter()
            .collect(),
        )
        .link_rel(None)
        .clean(html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::hashtag;

    #[test]
    fn categories_become_one_word_hashtags() {
        assert_eq!(
            hashtag("climate justice").as_deref(),
            Some("ClimateJustice")
        );
        assert_eq!(hashtag("Labour").as_deref(), Some("Labour"));
        assert_eq!(
            hashtag("économie sociale").as_deref(),
            Some("ÉconomieSociale")
        );
        assert_eq!(hashtag(" - "), None);
    }
}
