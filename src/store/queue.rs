//! The two durable delivery queues (ActivityPub's `fed_deliveries`, the
//! WebSub hub's `websub_deliveries`) share their columns and their life:
//! claimed with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
//! processes share a queue), given back untouched when their host is busy,
//! finished as `done`, `dropped` or `pending` again. One description of
//! each table (`QueueTable`) drives all three; each queue then reads its
//! claimed jobs in one query of its own.

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::{to_millis, Backend, Store, StoreError};

/// Which delivery queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueTable {
    ActivityPub,
    WebSub,
}

impl QueueTable {
    fn table(self) -> &'static str {
        match self {
            QueueTable::ActivityPub => "fed_deliveries",
            QueueTable::WebSub => "websub_deliveries",
        }
    }

    /// What else makes a due row claimable. An activity's copies to one
    /// host wait for that host's earlier activities on the same object
    /// (an Update never overtakes its Create); copies of one activity go
    /// in parallel. Feed copies have no such order.
    fn also(self) -> &'static str {
        match self {
            QueueTable::ActivityPub => {
                "AND NOT EXISTS (SELECT 1 FROM fed_deliveries e WHERE e.host = d.host \
                 AND e.ordering_key = d.ordering_key AND e.status = 'pending' \
                 AND e.activity_id <> d.activity_id AND e.id < d.id) "
            }
            QueueTable::WebSub => "",
        }
    }
}

/// Where a queued copy stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Done,
    Dropped,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Done => "done",
            DeliveryStatus::Dropped => "dropped",
        }
    }
}

/// How one attempt ends: the new status, when to try again (pending
/// only), and the error to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finish {
    pub status: DeliveryStatus,
    pub retry_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

impl Finish {
    pub fn done() -> Finish {
        Finish {
            status: DeliveryStatus::Done,
            retry_at: None,
            error: None,
        }
    }

    pub fn dropped(error: impl Into<String>) -> Finish {
        Finish {
            status: DeliveryStatus::Dropped,
            retry_at: None,
            error: Some(error.into()),
        }
    }

    pub fn retry_at(at: DateTime<Utc>, error: impl Into<String>) -> Finish {
        Finish {
            status: DeliveryStatus::Pending,
            retry_at: Some(at),
            error: Some(error.into()),
        }
    }
}

impl Store {
    /// Leases up to `limit` due copies of `queue` until `lease_until`,
    /// none at a host in `busy` (hosts at their concurrency limit wait for
    /// a later claim, so their backlog never holds slots other hosts
    /// could use); their ids, oldest due first.
    pub(crate) async fn claim_deliveries(
        &self,
        queue: QueueTable,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
        busy: &[String],
    ) -> Result<Vec<i64>, StoreError> {
        if limit <= 0 {
            return Ok(Vec::new());
        }
        let skip = if busy.is_empty() {
            String::new()
        } else {
            let marks: Vec<String> = (0..busy.len()).map(|i| format!("${}", i + 4)).collect();
            format!("AND d.host NOT IN ({}) ", marks.join(", "))
        };
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let table = queue.table();
        let also = queue.also();
        let sql = format!(
            "UPDATE {table} SET claimed_until = $2 WHERE id IN (\
               SELECT d.id FROM {table} d WHERE d.status = 'pending' \
               AND d.next_attempt_at <= $1 AND d.claimed_until < $1 {skip}{also}\
               ORDER BY d.next_attempt_at, d.id LIMIT $3{lock}) \
             AND claimed_until < $1 RETURNING id"
        );
        let mut query = sqlx::query_scalar(AssertSqlSafe(sql.as_str()))
            .bind(to_millis(now))
            .bind(to_millis(lease_until))
            .bind(limit);
        for host in busy {
            query = query.bind(host);
        }
        let mut ids: Vec<i64> = query.fetch_all(&self.pool).await?;
        ids.sort_unstable();
        Ok(ids)
    }

    /// Gives claimed copies back untouched (their host was at its limit)
    /// for a later claim to take.
    pub async fn release_deliveries(
        &self,
        queue: QueueTable,
        ids: &[i64],
    ) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE {} SET claimed_until = 0 WHERE id IN ({}) AND status = 'pending'",
            queue.table(),
            id_list(ids)
        )))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Ends one attempt of a copy as `finish` says, its claim released.
    pub async fn finish_delivery(
        &self,
        queue: QueueTable,
        id: i64,
        finish: &Finish,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE {} SET status = $2, attempts = attempts + 1, \
             next_attempt_at = COALESCE($3, next_attempt_at), claimed_until = 0, last_error = $4, \
             finished_at = CASE WHEN $2 = 'pending' THEN NULL ELSE $5 END WHERE id = $1",
            queue.table()
        )))
        .bind(id)
        .bind(finish.status.as_str())
        .bind(finish.retry_at.map(to_millis))
        .bind(finish.error.as_deref())
        .bind(to_millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// `1, 2, 3` for an `IN (…)` of ids we produced ourselves (integers only,
/// so nothing to escape).
pub(crate) fn id_list(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
