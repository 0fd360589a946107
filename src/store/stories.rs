//! Stories and the linking index: candidates by key, a link decision
//! applied in one transaction, operator overrides, and the reads the API
//! and feeds need.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use super::entries::{StoredEntry, ENTRY_COLUMNS};
use super::{from_millis, get, opt_from_millis, to_millis, Store, StoreError};
use crate::domain::{EntryLink, EntryRole, Lang, LinkRel};

/// Strong keys name few entries; this many candidates is already a sign of
/// a bad key (a feed URL used as "original" by every item).
const STRONG_CANDIDATES: i64 = 200;
/// Evidence candidates: the ones sharing the most keys.
const WEAK_CANDIDATES: i64 = 40;

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

/// A linking decision for one entry, applied atomically by `apply_link`.
#[derive(Clone, Debug)]
pub struct LinkPlan {
    pub entry_id: i64,
    /// The story to join; `None` starts a new one.
    pub target: Option<i64>,
    /// Other stories folded into the target (they point at it afterwards).
    pub merge: Vec<i64>,
    pub rule: Option<String>,
    pub why: Option<String>,
    pub duplicate_of: Option<i64>,
    /// The role of every member of the resulting story.
    pub roles: Vec<(i64, EntryRole)>,
    /// The entry's index keys, replacing any it had.
    pub keys: Vec<String>,
    pub now: DateTime<Utc>,
}

/// An operator's correction: `link` two URLs, or `unlink` one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkOverride {
    pub kind: String,
    pub url_a: String,
    pub url_b: Option<String>,
}

fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// Entries sharing a key with the lookup lists, the entry itself left out.
    /// Entries sharing a key with the one being linked (`exclude`). Weak
    /// (evidence) keys only find entries in another language than
    /// `language`: evidence never links two of one language, and a
    /// templated series in one language would otherwise fill the
    /// candidate list with items that can never be linked.
    pub async fn candidate_ids(
        &self,
        strong: &[String],
        weak: &[String],
        exclude: i64,
        language: &str,
    ) -> Result<Vec<i64>, StoreError> {
        let mut ids: Vec<i64> = Vec::new();
        if !strong.is_empty() {
            let sql = format!(
                "SELECT DISTINCT entry_id FROM entry_keys WHERE entry_id <> $1 AND key IN ({}) \
                 LIMIT {STRONG_CANDIDATES}",
                placeholders(2, strong.len())
            );
            let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(exclude);
            for k in strong {
                q = q.bind(k.as_str());
            }
            ids.extend(q.fetch_all(&self.pool).await?);
        }
        if !weak.is_empty() {
            let sql = format!(
                "SELECT k.entry_id FROM entry_keys k JOIN entries e ON e.id = k.entry_id \
                 WHERE k.entry_id <> $1 AND e.language <> $2 AND k.key IN ({}) \
                 GROUP BY k.entry_id ORDER BY COUNT(*) DESC, k.entry_id DESC LIMIT {WEAK_CANDIDATES}",
                placeholders(3, weak.len())
            );
            let mut q = sqlx::query_scalar::<_, i64>(&sql)
                .bind(exclude)
                .bind(language);
            for k in weak {
                q = q.bind(k.as_str());
            }
            ids.extend(q.fetch_all(&self.pool).await?);
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    pub async fn entries_by_ids(&self, ids: &[i64]) -> Result<Vec<StoredEntry>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM entries WHERE id IN ({}) ORDER BY id",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(StoredEntry::from_row).collect()
    }

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
        let mut q = sqlx::query(&sql);
        for id in story_ids {
            q = q.bind(*id);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(StoredEntry::from_row).collect()
    }

    /// Applies one linking decision in a single transaction; returns the
    /// entry's story id.
    pub async fn apply_link(&self, plan: &LinkPlan) -> Result<i64, StoreError> {
        let now = to_millis(plan.now);
        let mut tx = self.pool.begin().await?;
        let story_id =
            match plan.target {
                Some(id) => id,
                None => sqlx::query_scalar::<_, i64>(
                    "INSERT INTO stories (first_seen_at, updated_at) VALUES ($1, $1) RETURNING id",
                )
                .bind(now)
                .fetch_one(&mut *tx)
                .await?,
            };
        for other in plan.merge.iter().filter(|s| **s != story_id) {
            sqlx::query("UPDATE entries SET story_id = $1 WHERE story_id = $2")
                .bind(story_id)
                .bind(*other)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE stories SET merged_into = $1, updated_at = $2 WHERE id = $3")
                .bind(story_id)
                .bind(now)
                .bind(*other)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "UPDATE entries SET story_id = $1, link_rule = $2, link_why = $3, duplicate_of = $4 \
             WHERE id = $5",
        )
        .bind(story_id)
        .bind(plan.rule.as_deref())
        .bind(plan.why.as_deref())
        .bind(plan.duplicate_of)
        .bind(plan.entry_id)
        .execute(&mut *tx)
        .await?;
        for (id, role) in &plan.roles {
            sqlx::query("UPDATE entries SET role = $1 WHERE id = $2")
                .bind(role.as_str())
                .bind(*id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM entry_keys WHERE entry_id = $1")
            .bind(plan.entry_id)
            .execute(&mut *tx)
            .await?;
        // One statement per hundred keys rather than one per key: an entry
        // has a few dozen, and each statement is a round trip.
        for chunk in plan.keys.chunks(100) {
            let values = (0..chunk.len())
                .map(|i| format!("(${}, $1)", i + 2))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO entry_keys (key, entry_id) VALUES {values} ON CONFLICT DO NOTHING"
            );
            let mut q = sqlx::query(&sql).bind(plan.entry_id);
            for key in chunk {
                q = q.bind(key.as_str());
            }
            q.execute(&mut *tx).await?;
        }
        sqlx::query(
            "UPDATE stories SET updated_at = $1, first_seen_at = COALESCE((SELECT MIN(first_seen_at) \
             FROM entries WHERE story_id = $2), first_seen_at) WHERE id = $2",
        )
        .bind(now)
        .bind(story_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(story_id)
    }

    /// Takes an entry out of its story into a story of its own.
    pub async fn detach_entry(&self, entry_id: i64, now: DateTime<Utc>) -> Result<i64, StoreError> {
        let plan = LinkPlan {
            entry_id,
            target: None,
            merge: Vec::new(),
            rule: Some("override".into()),
            why: Some("unlinked by the operator".into()),
            duplicate_of: None,
            roles: vec![(entry_id, EntryRole::Original)],
            keys: Vec::new(),
            now,
        };
        self.apply_link(&plan).await
    }

    /// Sets the roles of existing members (after a member left).
    pub async fn set_roles(&self, roles: &[(i64, EntryRole)]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for (id, role) in roles {
            sqlx::query("UPDATE entries SET role = $1 WHERE id = $2")
                .bind(role.as_str())
                .bind(*id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn add_override(
        &self,
        o: &LinkOverride,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO link_overrides (kind, url_a, url_b, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(o.kind.as_str())
        .bind(o.url_a.as_str())
        .bind(o.url_b.as_deref())
        .bind(to_millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Overrides naming `url`, oldest first (a later one wins).
    pub async fn overrides_for(&self, url: &str) -> Result<Vec<LinkOverride>, StoreError> {
        let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT kind, url_a, url_b FROM link_overrides WHERE url_a = $1 OR url_b = $1 ORDER BY id",
        )
        .bind(url)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(kind, url_a, url_b)| LinkOverride { kind, url_a, url_b })
            .collect())
    }

    /// The entry with this canonical URL (the earliest, if several sources
    /// carry it).
    pub async fn entry_by_url(&self, url: &str) -> Result<StoredEntry, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM entries WHERE url = $1 ORDER BY id LIMIT 1"
        ))
        .bind(url)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        StoredEntry::from_row(&row)
    }

    /// The story an URL belongs to: an entry's own URL, or an original
    /// article that entries point at without it being ingested itself.
    pub async fn story_id_for_url(&self, url: &str) -> Result<i64, StoreError> {
        if let Ok(e) = self.entry_by_url(url).await {
            if let Some(l) = e.link {
                return Ok(l.story_id);
            }
        }
        let loose = crate::link::loose_url(url);
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT e.story_id FROM entry_keys k JOIN entries e ON e.id = k.entry_id \
             WHERE k.key IN ($1, $2, $3) AND e.story_id IS NOT NULL \
             ORDER BY k.key DESC, e.id LIMIT 1",
        )
        .bind(format!("url:{loose}"))
        .bind(format!("orig:{loose}"))
        .bind(format!("alt:{loose}"))
        .fetch_optional(&self.pool)
        .await?;
        id.ok_or(StoreError::NotFound)
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
        let rows = sqlx::query(&sql)
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
        let mut q = sqlx::query_as::<_, (i64, String, String)>(&sql);
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
