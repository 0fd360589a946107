//! The store: every byte of state wirebridge keeps, behind one handle.
//! The only module that holds SQL.
//!
//! One set of queries serves both backends through sqlx's `Any` driver with
//! `$N` placeholders (SQLite accepts them too); timestamps are epoch
//! milliseconds and booleans 0/1 integers because `Any` carries only
//! integers, floats, text and bytes. Each backend has its own migrations
//! folder (`migrations/sqlite`, `migrations/postgres`, same names and order),
//! embedded in the binary and run on open.

mod admin;
mod entries;
mod federation;
mod feeds;
mod linking;
mod queue;
mod rejections;
mod sources;
mod stories;
pub mod websub;

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyPool, Executor};

pub use admin::{FollowerListing, HostQueue, QueueStats, SchemaVersion};
pub use entries::{Linked, StoredEntry, UpsertSummary};
pub use federation::{
    ActorKeys, ChangedStory, DeliveryCounts, DeliveryJob, FollowerRow, NewActivity, NewPost,
    PostRow, RemoteActorRow,
};
pub use feeds::FeedFingerprint;
pub use linking::{EntryPlace, LinkBatch, LinkOverride, PrimaryRow, StoryStep};
pub use queue::{DeliveryStatus, Finish, QueueTable};
pub use rejections::{InboxRejection, KEEP_REJECTIONS, REASON_CHARS, REJECTIONS_MAX_AGE};
pub use sources::{Claim, SourceState};
pub use stories::{LinkingLock, StoryRow};
pub use websub::{HubDelivery, HubSubscriber, Pruned, Subscription, WebSubDeliveryCounts};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("{0}")]
    WrongBackend(&'static str),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// A cheap-to-clone handle on the database.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Opens (creating the SQLite file and its folder if missing) and
    /// migrates the database at `url`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        let pool = match backend {
            Backend::Sqlite => open_sqlite(url).await?,
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(10)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?
            }
        };
        let store = Store { pool, backend };
        store.migrate().await?;
        Ok(store)
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A trivial round trip, for `/healthz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// SQLite: file created if missing, WAL (sqlx does not turn it on), a busy
/// timeout so the poller and the HTTP side don't trip over each other.
async fn open_sqlite(url: &str) -> Result<AnyPool, StoreError> {
    let opts = SqliteConnectOptions::from_str(url)?.create_if_missing(true);
    let path = opts.get_filename().to_path_buf();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
    }
    // The Any driver rebuilds SQLite options from the URL alone, so create
    // the file and switch the journal (persistent in the file) to WAL with a
    // native connection first; per-connection pragmas go in after_connect.
    {
        use sqlx::ConnectOptions;
        let mut conn = opts
            .clone()
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .connect()
            .await?;
        sqlx::Executor::execute(&mut conn, "SELECT 1").await?;
        sqlx::Connection::close(conn).await?;
    }
    let any_url = format!("sqlite://{}", path.display());
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                )
                .await?;
                Ok(())
            })
        })
        .connect(&any_url)
        .await?;
    Ok(pool)
}

pub(crate) fn to_millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_millis(ms: i64) -> Result<DateTime<Utc>, StoreError> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp {ms} out of range")))
}

pub(crate) fn opt_from_millis(ms: Option<i64>) -> Result<Option<DateTime<Utc>>, StoreError> {
    ms.map(from_millis).transpose()
}

pub(crate) fn get<'r, T>(row: &'r AnyRow, col: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    use sqlx::Row;
    Ok(row.try_get(col)?)
}
