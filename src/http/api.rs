//! The JSON API: `/api/stories` (newest first, paged) and
//! `/api/translations?url=` (the story an URL belongs to — what a
//! publisher's page needs for its "Available in" line).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::{App, AppError};
use crate::domain::{EntryRole, Lang, LinkRel};
use crate::link::{looks_like_an_article, loose_url};
use crate::normalize::canonical_url;
use crate::store::{StoreError, StoredEntry, StoryRow};

const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 100;

#[derive(Serialize)]
pub struct StoryJson {
    pub id: String,
    pub first_seen: String,
    pub updated: String,
    pub original_url: Option<String>,
    pub languages: Vec<String>,
    pub entries: Vec<EntryJson>,
}

#[derive(Serialize)]
pub struct EntryJson {
    pub url: Option<String>,
    pub language: String,
    pub title: String,
    pub source: String,
    pub role: &'static str,
    pub published: Option<String>,
    /// Which linking rule put the entry in the story, and why.
    pub linked_by: Option<String>,
    pub why: Option<String>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An error body a person can act on.
pub(super) fn problem(status: StatusCode, message: impl Into<String>) -> Response {
    let body = serde_json::json!({ "error": message.into() });
    (status, Json(body)).into_response()
}

fn internal(e: StoreError) -> Response {
    AppError::from(e).json().into_response()
}

/// Orders a story's entries: the original first, then the publisher's
/// language preference, then the rest by language tag.
fn story_json(story: &StoryRow, mut members: Vec<StoredEntry>, prefs: &[Lang]) -> StoryJson {
    let rank = |e: &StoredEntry| {
        let role = e.link.as_ref().map(|l| l.role);
        let role_rank = match role {
            Some(EntryRole::Original) => 0,
            Some(EntryRole::Translation) | None => 1,
            Some(EntryRole::Duplicate) => 2,
        };
        let lang_rank = prefs
            .iter()
            .position(|l| *l == e.entry.language)
            .unwrap_or(prefs.len());
        (role_rank, lang_rank, e.entry.language.clone(), e.id)
    };
    members.sort_by_key(rank);
    let original_url = members
        .iter()
        .find(|e| {
            e.link
                .as_ref()
                .is_some_and(|l| l.role == EntryRole::Original)
        })
        .filter(|e| {
            // An outlet's entry is the original; a publisher's earliest
            // version is only the story's first seen.
            !e.entry
                .links
                .iter()
                .any(|l| matches!(l.rel, LinkRel::Original | LinkRel::Via))
        })
        .and_then(|e| e.entry.url.clone())
        .or_else(|| {
            // The "original article" link first; a via link only when it
            // names an article (RSS `<source url>` names the outlet's feed).
            let targets = |rel: LinkRel| {
                members.iter().find_map(move |e| {
                    e.entry
                        .links
                        .iter()
                        .find(|l| l.rel == rel && looks_like_an_article(&loose_url(&l.href)))
                        .map(|l| l.href.clone())
                })
            };
            targets(LinkRel::Original).or_else(|| targets(LinkRel::Via))
        });
    let mut languages: Vec<String> = Vec::new();
    for e in &members {
        let tag = e.entry.language.as_str().to_string();
        if !languages.contains(&tag) {
            languages.push(tag);
        }
    }
    StoryJson {
        id: story.id.to_string(),
        first_seen: rfc3339(story.first_seen_at),
        updated: rfc3339(story.updated_at),
        original_url,
        languages,
        entries: members
            .into_iter()
            .map(|e| EntryJson {
                url: e.entry.url,
                language: e.entry.language.as_str().to_string(),
                title: e.entry.title,
                source: e.entry.source.as_str().to_string(),
                role: e
                    .link
                    .as_ref()
                    .map_or(EntryRole::Original, |l| l.role)
                    .as_str(),
                published: e.entry.published.map(rfc3339),
                linked_by: e.link.as_ref().and_then(|l| l.rule.clone()),
                why: e.link.as_ref().and_then(|l| l.why.clone()),
            })
            .collect(),
    }
}

#[derive(Deserialize)]
pub struct StoriesQuery {
    lang: Option<String>,
    limit: Option<String>,
    before: Option<String>,
}

pub async fn stories(State(state): State<App>, Query(q): Query<StoriesQuery>) -> Response {
    let lang = match q.lang.as_deref().filter(|l| !l.is_empty()) {
        None => None,
        Some(raw) => match Lang::parse(raw) {
            Ok(l) => Some(l),
            Err(e) => return problem(StatusCode::BAD_REQUEST, format!("lang: {e}")),
        },
    };
    let limit = match q.limit.as_deref().map(str::parse::<i64>) {
        None => DEFAULT_LIMIT,
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            return problem(
                StatusCode::BAD_REQUEST,
                format!("limit: use a whole number from 1 to {MAX_LIMIT}"),
            )
        }
    };
    let before = match q.before.as_deref().filter(|b| !b.is_empty()) {
        None => None,
        Some(raw) => match parse_before(&state, raw).await {
            Ok(b) => Some(b),
            Err(resp) => return resp,
        },
    };
    let rows = match state.store.stories_page(lang.as_ref(), limit, before).await {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let members = match state.store.story_members(&ids).await {
        Ok(m) => m,
        Err(e) => return internal(e),
    };
    let mut by_story: HashMap<i64, Vec<StoredEntry>> = HashMap::new();
    for m in members {
        if let Some(l) = &m.link {
            by_story.entry(l.story_id).or_default().push(m);
        }
    }
    let config = state.config.get();
    let prefs = &config.publisher.languages;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.id.to_string()))
        .flatten();
    let stories: Vec<StoryJson> = rows
        .iter()
        .map(|r| story_json(r, by_story.remove(&r.id).unwrap_or_default(), prefs))
        .collect();
    Json(serde_json::json!({ "stories": stories, "next_before": next })).into_response()
}

/// `before` is a story id (the `next_before` of the previous page) or an
/// RFC 3339 time.
async fn parse_before(state: &App, raw: &str) -> Result<(DateTime<Utc>, i64), Response> {
    if let Ok(id) = raw.parse::<i64>() {
        return match state.store.story(id).await {
            Ok(s) => Ok((s.first_seen_at, s.id)),
            Err(StoreError::NotFound) => Err(problem(
                StatusCode::BAD_REQUEST,
                format!("before: no story {id}"),
            )),
            Err(e) => Err(internal(e)),
        };
    }
    DateTime::parse_from_rfc3339(raw)
        .map(|t| (t.with_timezone(&Utc), 0))
        .map_err(|_| {
            problem(
                StatusCode::BAD_REQUEST,
                "before: use a story id or an RFC 3339 time such as 2026-12-01T00:00:00Z",
            )
        })
}

#[derive(Deserialize)]
pub struct TranslationsQuery {
    url: Option<String>,
}

pub async fn translations(
    State(state): State<App>,
    Query(q): Query<TranslationsQuery>,
) -> Response {
    let Some(raw) = q.url.filter(|u| !u.is_empty()) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "url: give the URL of an article, ?url=https://…",
        );
    };
    let Some(url) = canonical_url(&raw) else {
        return problem(StatusCode::BAD_REQUEST, "url: not an absolute http(s) URL");
    };
    let keys = crate::link::url_lookup_keys(&url);
    let story_id = match state.store.story_id_for_url(&url, &keys).await {
        Ok(id) => id,
        Err(StoreError::NotFound) => {
            return problem(
                StatusCode::NOT_FOUND,
                format!("no story is known for {url}"),
            )
        }
        Err(e) => return internal(e),
    };
    let ids = [story_id];
    let (story, members) =
        match tokio::try_join!(state.store.story(story_id), state.store.story_members(&ids)) {
            Ok(x) => x,
            Err(e) => return internal(e),
        };
    if story.retracted_at.is_some() {
        return problem(StatusCode::GONE, "this story was retracted");
    }
    let json = story_json(&story, members, &state.config.get().publisher.languages);
    Json(serde_json::json!({ "url": url, "story": json })).into_response()
}
