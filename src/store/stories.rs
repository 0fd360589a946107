//! Stories as the API, feeds and federation read them: a story's row and
//! members, the story a URL belongs to, pages of stories; the alternates
//! read from articles' pages; the cross-process linking lock. What the
//! linker reads and writes is in `linking`.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::AssertSqlSafe;

use super::entries::{StoredEntry, ENTRY_COLUMNS};
use super::{from_millis, get, opt_from_millis, to_millis, Store, StoreError};
use crate::domain::{EntryLink, Lang, LinkRel};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoryRow {
    pub id: i64,
    pub first_seen_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub retracted_at: Option<DateTime<Utc>>,
}

impl StoryRow {
    fn from_row(row: &AnyRow) -> Result<Self, StoreError> {
        Ok(StoryRow {
            id: get(row, "id")?,
            first_seen_at: from_millis(get(row, "first_seen_at")?)?,
            updated_at: from_millis(get(row, "updated_at")?)?,
            retracted_at: opt_from_millis(get(row, "retracted_at")?)?,
        })
    }
}

fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    pub async fn entry_by_id(&self, id: i64) -> Result<StoredEntry, StoreError> {
        self.entries_by_ids(&[id])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    /// Every entry of the given stories.
    pub async fn story_members(&self, story_ids: &[i64]) -> Result<Vec<StoredEntry>, StoreError> {
        if story_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM entries WHERE story_id IN ({}) ORDER BY id",
            placeholders(1, story_ids.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql.as_str()));
        for id in story_ids {
            q = q.bind(*id);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(StoredEntry::from_row).collect()
    }

    /// The entry with this canonical URL (the earliest, if several sources
    /// carry it). Give the matching form (`normalize::canonical_url`): the
    /// published `url` may be written any way the publisher liked.
    pub async fn entry_by_url(&self, url: &str) -> Result<StoredEntry, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ENTRY_COLUMNS} FROM entries WHERE canonical_url = $1 ORDER BY id LIMIT 1"
        )))
        .bind(url)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        StoredEntry::from_row(&row)
    }

    /// The story an URL belongs to: an entry's own URL, or else the first
    /// of `keys` (linking's index keys for that URL, in order of
    /// precedence: `link::url_lookup_keys`) that some linked entry holds —
    /// an original article that entries point at without it being
    /// ingested itself, say.
    pub async fn story_id_for_url(&self, url: &str, keys: &[String]) -> Result<i64, StoreError> {
        if let Ok(e) = self.entry_by_url(url).await {
            if let Some(l) = e.link {
                return Ok(l.story_id);
            }
        }
        if keys.is_empty() {
            return Err(StoreError::NotFound);
        }
        let sql = format!(
            "SELECT k.key, e.story_id FROM entry_keys k JOIN entries e ON e.id = k.entry_id \
             WHERE k.key IN ({}) AND e.story_id IS NOT NULL ORDER BY e.id",
            placeholders(1, keys.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(sql.as_str()));
        for key in keys {
            query = query.bind(key);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let mut best: Option<(usize, i64)> = None;
        for r in &rows {
            let key: String = get(r, "key")?;
            let story: i64 = get(r, "story_id")?;
            let rank = keys.iter().position(|k| *k == key).unwrap_or(usize::MAX);
            if best.is_none_or(|(b, _)| rank < b) {
                best = Some((rank, story));
            }
        }
        best.map(|(_, id)| id).ok_or(StoreError::NotFound)
    }

    pub async fn story(&self, id: i64) -> Result<StoryRow, StoreError> {
        let row = sqlx::query(
            "SELECT id, first_seen_at, updated_at, retracted_at FROM stories WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        StoryRow::from_row(&row)
    }

    /// Live stories, newest first, optionally only those with a version in
    /// `lang`, strictly before the `(first_seen_at, id)` cursor.
    pub async fn stories_page(
        &self,
        lang: Option<&Lang>,
        limit: i64,
        before: Option<(DateTime<Utc>, i64)>,
    ) -> Result<Vec<StoryRow>, StoreError> {
        let (before_ms, before_id) = before
            .map(|(t, id)| (to_millis(t), id))
            .unwrap_or((i64::MAX, i64::MAX));
        let lang_filter = if lang.is_some() {
            "AND EXISTS (SELECT 1 FROM entries e WHERE e.story_id = s.id AND e.language = $4)"
        } else {
            "AND $4 = ''"
        };
        let sql = format!(
            "SELECT s.id, s.first_seen_at, s.updated_at, s.retracted_at FROM stories s \
             WHERE s.merged_into IS NULL AND s.retracted_at IS NULL \
             AND (s.first_seen_at < $1 OR (s.first_seen_at = $1 AND s.id < $2)) {lang_filter} \
             ORDER BY s.first_seen_at DESC, s.id DESC LIMIT $3"
        );
        let rows = sqlx::query(AssertSqlSafe(sql.as_str()))
            .bind(before_ms)
            .bind(before_id)
            .bind(limit)
            .bind(lang.map(|l| l.as_str().to_string()).unwrap_or_default())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(StoryRow::from_row).collect()
    }

    /// Entries not linked yet (stored before linking existed, or left by a
    /// crash between storing and linking).
    pub async fn unlinked_entry_ids(&self) -> Result<Vec<i64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT id FROM entries WHERE story_id IS NULL ORDER BY id")
                .fetch_all(&self.pool)
                .await?,
        )
    }
}

impl Store {
    /// Records the hreflang alternates read from an entry's page.
    pub async fn save_page_alternates(
        &self,
        entry_id: i64,
        links: &[EntryLink],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for l in links {
            let Some(lang) = &l.hreflang else { continue };
            sqlx::query(
                "INSERT INTO page_alternates (entry_id, href, hreflang, fetched_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (entry_id, href) DO NOTHING",
            )
            .bind(entry_id)
            .bind(l.href.as_str())
            .bind(lang.as_str())
            .bind(to_millis(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Page alternates of the given entries.
    pub async fn page_alternates(&self, ids: &[i64]) -> Result<Vec<(i64, EntryLink)>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT entry_id, href, hreflang FROM page_alternates WHERE entry_id IN ({}) \
             ORDER BY entry_id, href",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query_as::<_, (i64, String, String)>(AssertSqlSafe(sql.as_str()));
        for id in ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(&self.pool)
            .await?
            .into_iter()
            .filter_map(|(id, href, lang)| {
                Lang::parse(&lang).ok().map(|lang| {
                    (
                        id,
                        EntryLink {
                            rel: LinkRel::Alternate,
                            href,
                            hreflang: Some(lang),
                            title: None,
                        },
                    )
                })
            })
            .collect())
    }
}

/// Held while one entry is linked. On PostgreSQL a transaction-scoped
/// advisory lock serializes linking across processes (dropping the guard
/// rolls the empty transaction back, which releases it, even on error
/// paths); SQLite deployments are one process, whose own mutex suffices.
pub struct LinkingLock {
    _tx: Option<sqlx::Transaction<'static, sqlx::Any>>,
}

/// An arbitrary constant naming the linking lock among advisory locks.
const LINKING_LOCK_KEY: i64 = 0x7769_7265_6c69_6e6b;

impl Store {
    pub async fn lock_linking(&self) -> Result<LinkingLock, StoreError> {
        match self.backend {
            super::Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(LINKING_LOCK_KEY)
                    .execute(&mut *tx)
                    .await?;
                Ok(LinkingLock { _tx: Some(tx) })
            }
            super::Backend::Sqlite => Ok(LinkingLock { _tx: None }),
        }
    }
}
