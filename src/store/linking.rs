//! The linker's reads and writes, set-based: the index postings of many
//! keys at once, the primaries (non-duplicate members) of many stories,
//! the operator's overrides of many URLs, and one transaction that writes
//! a whole batch of decisions — new stories, merges, every entry's place,
//! roles and index keys in bulk.

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::entries::{StoredEntry, ENTRY_COLUMNS};
use super::queue::id_list;
use super::{from_millis, get, opt_from_millis, to_millis, Store, StoreError};
use crate::domain::{EntryRole, Lang, SourceId};

/// Keys or URLs bound per statement: well under every backend's limit on
/// bound parameters.
const CHUNK: usize = 500;
/// Rows per multi-row INSERT of index keys (two parameters each).
const KEY_ROWS: usize = 400;

/// An operator's correction, oldest first in any list (a later one wins).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkOverride {
    /// `wirebridge link A B`: the two URLs are one story.
    Link { a: String, b: String },
    /// `wirebridge unlink URL`: the entry stays alone.
    Unlink { url: String },
}

impl LinkOverride {
    /// Whether it names `url`.
    pub fn names(&self, url: &str) -> bool {
        match self {
            LinkOverride::Link { a, b } => a == url || b == url,
            LinkOverride::Unlink { url: u } => u == url,
        }
    }
}

/// A non-duplicate member of a story, as linking sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrimaryRow {
    pub entry_id: i64,
    pub story_id: i64,
    pub source: SourceId,
    pub language: Lang,
    /// Published, else first seen.
    pub seen: DateTime<Utc>,
    pub url: Option<String>,
    /// The copy it was found to duplicate, when it outranked that copy.
    pub duplicate_of: Option<i64>,
}

/// Where one entry ends up after a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryPlace {
    pub entry_id: i64,
    /// A story id; negative for the batch's own new stories (`-1` is the
    /// first one `LinkBatch::steps` creates).
    pub story: i64,
    pub rule: Option<String>,
    pub why: Option<String>,
    pub duplicate_of: Option<i64>,
}

/// What a batch does to stories, in the order it decided it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoryStep {
    /// A new story; the nth `New` of the batch is story `-n`.
    New,
    /// Every entry of `from` moves to `into`, and `from` points at it.
    Merge { from: i64, into: i64 },
}

/// A batch of linking decisions, written in one transaction.
#[derive(Clone, Debug, Default)]
pub struct LinkBatch {
    pub steps: Vec<StoryStep>,
    /// The final place of every entry the batch linked.
    pub places: Vec<EntryPlace>,
    /// The final role of every entry whose role the batch decided.
    pub roles: Vec<(i64, EntryRole)>,
    /// Entries whose index keys are replaced, with their new keys.
    pub keys: Vec<(i64, Vec<String>)>,
    /// Stories the batch changed (`updated_at` now, `first_seen_at` from
    /// their entries).
    pub touched: Vec<i64>,
}

impl Store {
    /// `(key, entry)` for every key in `keys`, at most `per_key` entries a
    /// key (the newest): a key shared by more is too common to tell
    /// articles apart, and reading all of it would make linking one entry
    /// cost as much as the index is long.
    pub async fn key_postings(
        &self,
        keys: &[String],
        per_key: i64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let mut out = Vec::new();
        for chunk in keys.chunks(CHUNK) {
            let sql = format!(
                "SELECT key, entry_id FROM (SELECT key, entry_id, ROW_NUMBER() OVER \
                 (PARTITION BY key ORDER BY entry_id DESC) AS n FROM entry_keys WHERE key IN ({})) \
                 ranked WHERE n <= {per_key}",
                marks(1, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (String, i64)>(AssertSqlSafe(sql.as_str()));
            for k in chunk {
                q = q.bind(k.as_str());
            }
            out.extend(q.fetch_all(&self.pool).await?);
        }
        Ok(out)
    }

    /// Whole entries by id (any number of ids).
    pub async fn entries_by_ids(&self, ids: &[i64]) -> Result<Vec<StoredEntry>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT {ENTRY_COLUMNS} FROM entries WHERE id IN ({}) ORDER BY id",
                id_list(chunk)
            );
            let rows = sqlx::query(AssertSqlSafe(sql.as_str()))
                .fetch_all(&self.pool)
                .await?;
            for r in &rows {
                out.push(StoredEntry::from_row(r)?);
            }
        }
        Ok(out)
    }

    /// The earliest entry at each of `urls` (in their canonical form:
    /// `normalize::canonical_url`), if any.
    pub async fn entries_by_urls(&self, urls: &[String]) -> Result<Vec<StoredEntry>, StoreError> {
        let mut out: Vec<StoredEntry> = Vec::new();
        for chunk in urls.chunks(CHUNK) {
            let sql = format!(
                "SELECT {ENTRY_COLUMNS} FROM entries WHERE canonical_url IN ({}) ORDER BY id",
                marks(1, chunk.len())
            );
            let mut q = sqlx::query(AssertSqlSafe(sql.as_str()));
            for u in chunk {
                q = q.bind(u.as_str());
            }
            for r in &q.fetch_all(&self.pool).await? {
                let e = StoredEntry::from_row(r)?;
                if !out
                    .iter()
                    .any(|o| o.entry.canonical_url == e.entry.canonical_url)
                {
                    out.push(e);
                }
            }
        }
        Ok(out)
    }

    /// The primaries of the given stories. By the story invariant at most
    /// one per (source, language) each, so the read is bounded however
    /// many duplicates a story holds.
    pub async fn story_primaries(&self, stories: &[i64]) -> Result<Vec<PrimaryRow>, StoreError> {
        let mut out = Vec::new();
        for chunk in stories.chunks(CHUNK) {
            let sql = format!(
                "SELECT id, story_id, source_id, language, published_at, first_seen_at, url, \
                 duplicate_of FROM entries \
                 WHERE story_id IN ({}) AND (role IS NULL OR role <> 'duplicate') ORDER BY id",
                id_list(chunk)
            );
            for r in &sqlx::query(AssertSqlSafe(sql.as_str()))
                .fetch_all(&self.pool)
                .await?
            {
                let corrupt = |e: &dyn std::fmt::Display| StoreError::Corrupt(e.to_string());
                let published = opt_from_millis(get(r, "published_at")?)?;
                out.push(PrimaryRow {
                    entry_id: get(r, "id")?,
                    story_id: get(r, "story_id")?,
                    source: SourceId::parse(&get::<String>(r, "source_id")?)
                        .map_err(|e| corrupt(&e))?,
                    language: Lang::parse(&get::<String>(r, "language")?)
                        .map_err(|e| corrupt(&e))?,
                    seen: match published {
                        Some(p) => p,
                        None => from_millis(get(r, "first_seen_at")?)?,
                    },
                    url: get(r, "url")?,
                    duplicate_of: get(r, "duplicate_of")?,
                });
            }
        }
        Ok(out)
    }

    pub async fn add_override(
        &self,
        o: &LinkOverride,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (kind, a, b) = match o {
            LinkOverride::Link { a, b } => ("link", a.as_str(), Some(b.as_str())),
            LinkOverride::Unlink { url } => ("unlink", url.as_str(), None),
        };
        sqlx::query(
            "INSERT INTO link_overrides (kind, url_a, url_b, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(kind)
        .bind(a)
        .bind(b)
        .bind(to_millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Overrides naming any of `urls`, oldest first.
    pub async fn overrides_for(&self, urls: &[String]) -> Result<Vec<LinkOverride>, StoreError> {
        let mut rows: Vec<(i64, String, String, Option<String>)> = Vec::new();
        for chunk in urls.chunks(CHUNK) {
            let n = chunk.len();
            let sql = format!(
                "SELECT id, kind, url_a, url_b FROM link_overrides WHERE url_a IN ({}) \
                 OR url_b IN ({})",
                marks(1, n),
                marks(n + 1, n)
            );
            let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str()));
            for u in chunk.iter().chain(chunk) {
                q = q.bind(u.as_str());
            }
            rows.extend(q.fetch_all(&self.pool).await?);
        }
        rows.sort_by_key(|r| r.0);
        rows.dedup_by_key(|r| r.0);
        Ok(rows
            .into_iter()
            .filter_map(|(_, kind, a, b)| match (kind.as_str(), b) {
                ("link", Some(b)) => Some(LinkOverride::Link { a, b }),
                ("unlink", _) => Some(LinkOverride::Unlink { url: a }),
                _ => None,
            })
            .collect())
    }

    /// Writes a batch of decisions in one transaction; returns the real id
    /// of each of the batch's new stories, in order.
    pub async fn apply_links(
        &self,
        batch: &LinkBatch,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        let now = to_millis(now);
        let mut tx = self.pool.begin().await?;
        let mut created: Vec<i64> = Vec::new();
        let real = |created: &[i64], id: i64| -> Result<i64, StoreError> {
            if id >= 0 {
                return Ok(id);
            }
            let n = usize::try_from(-id - 1).unwrap_or(usize::MAX);
            created
                .get(n)
                .copied()
                .ok_or_else(|| StoreError::Corrupt(format!("batch story {id} never created")))
        };
        for step in &batch.steps {
            match step {
                StoryStep::New => created.push(
                    sqlx::query_scalar::<_, i64>(
                        "INSERT INTO stories (first_seen_at, updated_at) VALUES ($1, $1) RETURNING id",
                    )
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?,
                ),
                StoryStep::Merge { from, into } => {
                    let (from, into) = (real(&created, *from)?, real(&created, *into)?);
                    sqlx::query("UPDATE entries SET story_id = $1 WHERE story_id = $2")
                        .bind(into)
                        .bind(from)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(
                        "UPDATE stories SET merged_into = $1, updated_at = $2 WHERE id = $3",
                    )
                    .bind(into)
                    .bind(now)
                    .bind(from)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        for p in &batch.places {
            sqlx::query(
                "UPDATE entries SET story_id = $1, link_rule = $2, link_why = $3, \
                 duplicate_of = $4 WHERE id = $5",
            )
            .bind(real(&created, p.story)?)
            .bind(p.rule.as_deref())
            .bind(p.why.as_deref())
            .bind(p.duplicate_of)
            .bind(p.entry_id)
            .execute(&mut *tx)
            .await?;
        }
        for role in [
            EntryRole::Original,
            EntryRole::Translation,
            EntryRole::Duplicate,
        ] {
            let ids: Vec<i64> = batch
                .roles
                .iter()
                .filter(|(_, r)| *r == role)
                .map(|(id, _)| *id)
                .collect();
            for chunk in ids.chunks(CHUNK) {
                sqlx::query(AssertSqlSafe(format!(
                    "UPDATE entries SET role = $1 WHERE id IN ({})",
                    id_list(chunk)
                )))
                .bind(role.as_str())
                .execute(&mut *tx)
                .await?;
            }
        }
        let replaced: Vec<i64> = batch.keys.iter().map(|(id, _)| *id).collect();
        for chunk in replaced.chunks(CHUNK) {
            sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM entry_keys WHERE entry_id IN ({})",
                id_list(chunk)
            )))
            .execute(&mut *tx)
            .await?;
        }
        let rows: Vec<(&str, i64)> = batch
            .keys
            .iter()
            .flat_map(|(id, keys)| keys.iter().map(move |k| (k.as_str(), *id)))
            .collect();
        for chunk in rows.chunks(KEY_ROWS) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
                .collect();
            let sql = format!(
                "INSERT INTO entry_keys (key, entry_id) VALUES {} ON CONFLICT DO NOTHING",
                values.join(", ")
            );
            let mut q = sqlx::query(AssertSqlSafe(sql.as_str()));
            for (k, id) in chunk {
                q = q.bind(*k).bind(*id);
            }
            q.execute(&mut *tx).await?;
        }
        let mut touched: Vec<i64> = batch
            .touched
            .iter()
            .map(|s| real(&created, *s))
            .collect::<Result<_, _>>()?;
        touched.sort_unstable();
        touched.dedup();
        for chunk in touched.chunks(CHUNK) {
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE stories SET updated_at = $1, first_seen_at = COALESCE((SELECT \
                 MIN(e.first_seen_at) FROM entries e WHERE e.story_id = stories.id), first_seen_at) \
                 WHERE id IN ({})",
                id_list(chunk)
            )))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(created)
    }
}

/// `$from, $from+1, …`: `n` placeholders.
fn marks(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
