//! Entries: stored once per (source, key); an edit updates the row and
//! counts a revision; entries stay after they leave their source's feed.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use sqlx::any::AnyRow;
use sqlx::AssertSqlSafe;

use super::{from_millis, get, opt_from_millis, to_millis, Store, StoreError};
use crate::domain::{Entry, EntryKey, EntryRole, Lang, LangOrigin, SourceId};

/// An entry as kept, with its bookkeeping.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEntry {
    pub id: i64,
    pub entry: Entry,
    pub content_hash: String,
    /// 1 when first stored; +1 on every edit seen at the source.
    pub revision: i64,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub changed_at: DateTime<Utc>,
    /// Where linking put it; `None` until linked.
    pub link: Option<Linked>,
}

/// An entry's place in its story and why it is there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Linked {
    pub story_id: i64,
    pub role: EntryRole,
    /// The rule that linked it (`link::Rule::as_str`), `None` for the
    /// entry that started the story.
    pub rule: Option<String>,
    pub why: Option<String>,
    pub duplicate_of: Option<i64>,
}

/// What one batch did to the store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpsertSummary {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Ids of the entries created or changed, for later stages to react to.
    pub changed_ids: Vec<i64>,
    /// Ids of the entries created (a subset of `changed_ids`).
    pub new_ids: Vec<i64>,
}

pub(super) const ENTRY_COLUMNS: &str =
    "id, source_id, entry_key, guid, url, language, language_origin, \
     title, summary, content, authors, translators, categories, image, links, published_at, \
     updated_at, content_hash, revision, first_seen_at, last_seen_at, changed_at, story_id, role, \
     link_rule, link_why, duplicate_of, canonical_url";

fn json<T: serde::Serialize>(v: &T) -> String {
    // Serializing plain data structs cannot fail; fall back to null anyway.
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

fn from_json<T: DeserializeOwned>(raw: &str, col: &str) -> Result<T, StoreError> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

impl StoredEntry {
    pub(super) fn from_row(row: &AnyRow) -> Result<Self, StoreError> {
        let corrupt = |e: &dyn std::fmt::Display| StoreError::Corrupt(e.to_string());
        let source: String = get(row, "source_id")?;
        let language: String = get(row, "language")?;
        let origin: String = get(row, "language_origin")?;
        let image: Option<String> = get(row, "image")?;
        let entry = Entry {
            source: SourceId::parse(&source).map_err(|e| corrupt(&e))?,
            key: EntryKey::from_stored(get(row, "entry_key")?),
            guid: get(row, "guid")?,
            url: get(row, "url")?,
            canonical_url: get(row, "canonical_url")?,
            language: Lang::parse(&language).map_err(|e| corrupt(&e))?,
            language_origin: LangOrigin::parse(&origin)
                .ok_or_else(|| corrupt(&format!("language origin {origin}")))?,
            title: get(row, "title")?,
            summary: get(row, "summary")?,
            content: get(row, "content")?,
            authors: from_json(&get::<String>(row, "authors")?, "authors")?,
            translators: from_json(&get::<String>(row, "translators")?, "translators")?,
            categories: from_json(&get::<String>(row, "categories")?, "categories")?,
            image: image.map(|i| from_json(&i, "image")).transpose()?,
            links: from_json(&get::<String>(row, "links")?, "links")?,
            published: opt_from_millis(get(row, "published_at")?)?,
            updated: opt_from_millis(get(row, "updated_at")?)?,
        };
        Ok(StoredEntry {
            id: get(row, "id")?,
            entry,
            content_hash: get(row, "content_hash")?,
            revision: get(row, "revision")?,
            first_seen_at: from_millis(get(row, "first_seen_at")?)?,
            last_seen_at: from_millis(get(row, "last_seen_at")?)?,
            changed_at: from_millis(get(row, "changed_at")?)?,
            link: linked_from_row(row)?,
        })
    }
}

type ScalarQuery<'q> = sqlx::query::QueryScalar<'q, sqlx::Any, i64, sqlx::any::AnyArguments>;

/// Binds `$1`–`$19` of the entry INSERT and UPDATE, which take the same
/// parameters in the same order.
fn bind_entry<'q>(q: ScalarQuery<'q>, e: &'q Entry, hash: &'q str, now_ms: i64) -> ScalarQuery<'q> {
    q.bind(e.source.as_str())
        .bind(e.key.as_str())
        .bind(e.guid.as_deref())
        .bind(e.url.as_deref())
        .bind(e.language.as_str())
        .bind(e.language_origin.as_str())
        .bind(e.title.as_str())
        .bind(e.summary.as_deref())
        .bind(e.content.as_deref())
        .bind(json(&e.authors))
        .bind(json(&e.translators))
        .bind(json(&e.categories))
        .bind(e.image.as_ref().map(json))
        .bind(json(&e.links))
        .bind(e.published.map(to_millis))
        .bind(e.updated.map(to_millis))
        .bind(hash)
        .bind(now_ms)
        .bind(e.canonical_url.as_deref())
}

fn linked_from_row(row: &AnyRow) -> Result<Option<Linked>, StoreError> {
    let Some(story_id) = get::<Option<i64>>(row, "story_id")? else {
        return Ok(None);
    };
    let role: Option<String> = get(row, "role")?;
    let role = role
        .as_deref()
        .and_then(EntryRole::parse)
        .unwrap_or(EntryRole::Translation);
    Ok(Some(Linked {
        story_id,
        role,
        rule: get(row, "link_rule")?,
        why: get(row, "link_why")?,
        duplicate_of: get(row, "duplicate_of")?,
    }))
}

impl Store {
    /// Stores a batch of entries in one transaction. New keys are inserted
    /// (learned from `INSERT … ON CONFLICT DO NOTHING RETURNING`); known keys
    /// whose content hash changed are updated with `revision + 1`; the rest
    /// only have `last_seen_at` moved. A key repeated inside the batch
    /// counts once (the first occurrence wins, as readers show the first).
    pub async fn upsert_entries(
        &self,
        entries: &[Entry],
        now: DateTime<Utc>,
    ) -> Result<UpsertSummary, StoreError> {
        let mut summary = UpsertSummary::default();
        let mut seen = std::collections::HashSet::new();
        let now_ms = to_millis(now);
        let mut tx = self.pool.begin().await?;
        for e in entries {
            if !seen.insert((e.source.as_str(), e.key.as_str())) {
                continue;
            }
            let hash = e.content_hash();
            let inserted: Option<i64> = bind_entry(sqlx::query_scalar(
                "INSERT INTO entries (source_id, entry_key, guid, url, language, language_origin, \
                 title, summary, content, authors, translators, categories, image, links, \
                 published_at, updated_at, content_hash, revision, first_seen_at, last_seen_at, \
                 changed_at, canonical_url) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
                 $12, $13, $14, $15, $16, $17, 1, $18, $18, $18, $19) \
                 ON CONFLICT (source_id, entry_key) DO NOTHING RETURNING id",
            ), e, &hash, now_ms)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(id) = inserted {
                summary.new += 1;
                summary.changed_ids.push(id);
                summary.new_ids.push(id);
                continue;
            }
            let updated: Option<i64> = bind_entry(
                sqlx::query_scalar(
                    "UPDATE entries SET guid = $3, url = $4, language = $5, language_origin = $6, \
                 title = $7, summary = $8, content = $9, authors = $10, translators = $11, \
                 categories = $12, image = $13, links = $14, published_at = $15, \
                 updated_at = $16, content_hash = $17, revision = revision + 1, \
                 last_seen_at = $18, changed_at = $18, canonical_url = $19 \
                 WHERE source_id = $1 AND entry_key = $2 AND content_hash <> $17 RETURNING id",
                ),
                e,
                &hash,
                now_ms,
            )
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(id) = updated {
                summary.updated += 1;
                summary.changed_ids.push(id);
            } else {
                summary.unchanged += 1;
                // The content hash covers the canonical URL, so a link that
                // now reads differently only in its non-canonical parts (or
                // an entry stored before the published form was kept) is
                // not an edit: its `url` is refreshed without a revision,
                // and `changed_at` moves so cached feeds show the new one.
                sqlx::query(
                    "UPDATE entries SET last_seen_at = $3, url = $4, \
                     changed_at = CASE WHEN COALESCE(url, '') <> COALESCE($4, '') \
                     THEN $3 ELSE changed_at END \
                     WHERE source_id = $1 AND entry_key = $2",
                )
                .bind(e.source.as_str())
                .bind(e.key.as_str())
                .bind(now_ms)
                .bind(e.url.as_deref())
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(summary)
    }

    /// Entries of one source, newest first.
    pub async fn entries_of_source(
        &self,
        source: &SourceId,
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ENTRY_COLUMNS} FROM entries WHERE source_id = $1 \
             ORDER BY COALESCE(published_at, first_seen_at) DESC, id DESC LIMIT $2"
        )))
        .bind(source.as_str())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(StoredEntry::from_row).collect()
    }

    pub async fn entry_by_key(
        &self,
        source: &SourceId,
        key: &EntryKey,
    ) -> Result<StoredEntry, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ENTRY_COLUMNS} FROM entries WHERE source_id = $1 AND entry_key = $2"
        )))
        .bind(source.as_str())
        .bind(key.as_str())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        StoredEntry::from_row(&row)
    }

    /// Number of entries kept per source, for the `sources` table.
    pub async fn entry_counts(&self) -> Result<Vec<(SourceId, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT source_id, COUNT(*) FROM entries GROUP BY source_id ORDER BY source_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, n)| {
                SourceId::parse(&id)
                    .map(|id| (id, n))
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect()
    }

    pub async fn entry_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM entries")
            .fetch_one(&self.pool)
            .await?)
    }
}
