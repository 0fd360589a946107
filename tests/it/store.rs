//! The store story, told once and run on both backends: SQLite always,
//! PostgreSQL when `WIREBRIDGE_TEST_POSTGRES_URL` is set.

use chrono::{Duration, Utc};
use wirebridge::store::Store;

use crate::support::{drop_postgres, lang, postgres_url, sample_entry, source_id, sqlite_url};

async fn store_story(url: &str) {
    let store = Store::open(url).await.expect("open");
    let now = Utc::now();
    let wire_fr = source_id("wire-fr");
    let feed = "https://wire.example.org/fr/feed".to_string();
    store
        .sync_sources(&[(wire_fr.clone(), feed.clone(), now)], now)
        .await
        .expect("sync");

    // Validators are kept verbatim, weak tags and quotes included, across
    // a reopen.
    let mut state = store.source_state(&wire_fr).await.expect("state");
    state.etag = Some("W/\"a1-b2\"".into());
    state.last_modified = Some("Tue, 01 Dec 2026 04:00:00 GMT".into());
    state.consecutive_failures = 3;
    state.last_error = Some("HTTP status 502".into());
    state.next_poll_at = now + Duration::minutes(17);
    store.save_source_state(&state).await.expect("save");
    store.close().await;

    let store = Store::open(url)
        .await
        .expect("reopen migrates again harmlessly");
    store
        .sync_sources(&[(wire_fr.clone(), feed.clone(), now)], now)
        .await
        .expect("sync again");
    let kept = store.source_state(&wire_fr).await.expect("state");
    assert_eq!(kept.etag.as_deref(), Some("W/\"a1-b2\""));
    assert_eq!(
        kept.last_modified.as_deref(),
        Some("Tue, 01 Dec 2026 04:00:00 GMT")
    );
    assert_eq!(kept.consecutive_failures, 3);
    assert_eq!(
        kept.next_poll_at.timestamp_millis(),
        state.next_poll_at.timestamp_millis(),
        "a restart must not make the source due at once"
    );

    // Entries: stored once, round-tripped whole, pt-BR intact.
    let a = sample_entry("wire-fr", 1, "pt-BR");
    let b = sample_entry("wire-fr", 2, "fr");
    let first = store
        .upsert_entries(&[a.clone(), b.clone(), a.clone()], now)
        .await
        .expect("upsert");
    assert_eq!((first.new, first.updated, first.unchanged), (2, 0, 0));
    let again = store
        .upsert_entries(&[a.clone(), b.clone()], now)
        .await
        .expect("upsert again");
    assert_eq!((again.new, again.updated, again.unchanged), (0, 0, 2));

    let stored = store.entry_by_key(&wire_fr, &a.key).await.expect("entry");
    assert_eq!(stored.entry, a);
    assert_eq!(stored.entry.language, lang("pt-BR"));
    assert_eq!(stored.revision, 1);

    // An edit (same key, new title) updates the entry and counts a revision.
    let mut edited = a.clone();
    edited.title = "Story number 1, corrected".into();
    let later = now + Duration::minutes(5);
    let edit = store
        .upsert_entries(&[edited.clone()], later)
        .await
        .expect("edit");
    assert_eq!((edit.new, edit.updated), (0, 1));
    let stored = store.entry_by_key(&wire_fr, &a.key).await.expect("entry");
    assert_eq!(stored.entry.title, "Story number 1, corrected");
    assert_eq!(stored.revision, 2);
    assert_eq!(
        stored.changed_at.timestamp_millis(),
        later.timestamp_millis()
    );
    assert_eq!(store.entry_count().await.expect("count"), 2);
    assert_eq!(
        store.entry_counts().await.expect("counts"),
        vec![(wire_fr.clone(), 2)]
    );

    // Entries stay when they fall out of the feed window: storing a batch
    // without them removes nothing.
    store
        .upsert_entries(&[sample_entry("wire-fr", 3, "fr")], later)
        .await
        .expect("upsert");
    assert_eq!(
        store
            .entries_of_source(&wire_fr, 10)
            .await
            .expect("list")
            .len(),
        3
    );

    // The operator points the source elsewhere: validators are forgotten.
    let moved = "https://wire.example.org/fr/feed.atom".to_string();
    store
        .sync_sources(&[(wire_fr.clone(), moved.clone(), now)], later)
        .await
        .expect("sync moved");
    let fresh = store.source_state(&wire_fr).await.expect("state");
    assert_eq!(fresh.url, moved);
    assert_eq!(fresh.etag, None);
    store.close().await;
}

#[tokio::test]
async fn the_store_story_holds_on_sqlite() {
    let (_dir, url) = sqlite_url();
    store_story(&url).await;
}

#[tokio::test]
async fn the_store_story_holds_on_postgres() {
    let Some(url) = postgres_url("the_store_story_holds_on_postgres").await else {
        return;
    };
    store_story(&url).await;
    drop_postgres(&url).await;
}

/// `WIREBRIDGE_TEST_POSTGRES_URL` set to a server that is not there: the
/// PostgreSQL tests fail, they do not skip.
#[tokio::test]
#[should_panic(expected = "cannot reach PostgreSQL")]
async fn a_postgres_url_that_cannot_be_reached_fails_the_tests_instead_of_skipping_them() {
    crate::support::create_database("postgres://postgres@127.0.0.1:1/test").await;
}

#[tokio::test]
async fn sqlite_creates_its_file_and_folder_and_runs_in_wal_mode() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("nested/deeper/wb.sqlite");
    let store = Store::open(&format!("sqlite://{}", path.display()))
        .await
        .expect("open");
    store.close().await;
    assert!(path.exists());
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!(
        "sqlite://{}",
        path.display()
    ))
    .await
    .expect("connect");
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .expect("pragma");
    assert_eq!(mode.to_lowercase(), "wal");
}

#[tokio::test]
async fn an_unknown_database_scheme_is_a_clear_error() {
    let err = Store::open("mysql://localhost/wire")
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("sqlite://"), "{err}");
}

/// Inbox rejections: stored whole up to the reason's bound, read newest
/// first, and every write prunes to the newest `KEEP_REJECTIONS` of the
/// last `REJECTIONS_MAX_AGE`.
async fn rejections_story(url: &str) {
    use wirebridge::store::{InboxRejection, KEEP_REJECTIONS, REASON_CHARS, REJECTIONS_MAX_AGE};

    let store = Store::open(url).await.expect("open");
    let now = Utc::now();
    let rejection = |at, reason: String| InboxRejection {
        at,
        kind: "unauthorized".into(),
        reason,
        key_host: Some("mastodon.example".into()),
        suppressed: 0,
    };
    let old = now - REJECTIONS_MAX_AGE - Duration::hours(1);
    // Written when it was new: it survives its own write.
    store
        .record_inbox_rejections(&[rejection(old, "old".into())], old)
        .await
        .expect("old");
    assert_eq!(store.inbox_rejection_count().await.expect("count"), 1);
    let mut long = rejection(now - Duration::days(6), "é".repeat(REASON_CHARS * 3));
    long.suppressed = 41;
    store
        .record_inbox_rejections(std::slice::from_ref(&long), now)
        .await
        .expect("long");
    let kept = store.recent_inbox_rejections(10).await.expect("read");
    assert_eq!(kept.len(), 1, "the week-old one is gone: {kept:?}");
    assert_eq!(kept[0].reason.chars().count(), REASON_CHARS);
    assert_eq!(kept[0].suppressed, 41);
    assert_eq!(kept[0].key_host.as_deref(), Some("mastodon.example"));
    assert_eq!(kept[0].at.timestamp_millis(), long.at.timestamp_millis());

    // 250 more in batches of 5: the newest KEEP_REJECTIONS stay.
    for b in 0..50 {
        let batch: Vec<_> = (0..5)
            .map(|i| {
                let n = b * 5 + i;
                rejection(now + Duration::milliseconds(n), format!("n{n}"))
            })
            .collect();
        store
            .record_inbox_rejections(&batch, now)
            .await
            .expect("batch");
    }
    assert_eq!(
        store.inbox_rejection_count().await.expect("count"),
        KEEP_REJECTIONS
    );
    let newest = store
        .recent_inbox_rejections(KEEP_REJECTIONS + 10)
        .await
        .expect("read");
    assert_eq!(newest.len() as i64, KEEP_REJECTIONS);
    assert_eq!(newest[0].reason, "n249");
    assert_eq!(
        newest.last().map(|r| r.reason.as_str()),
        Some(format!("n{}", 250 - KEEP_REJECTIONS).as_str())
    );
    assert_eq!(
        store.recent_inbox_rejections(3).await.expect("read").len(),
        3
    );
    store.close().await;
}

#[tokio::test]
async fn inbox_rejections_are_bounded_on_sqlite() {
    let (_dir, url) = sqlite_url();
    rejections_story(&url).await;
}

#[tokio::test]
async fn inbox_rejections_are_bounded_on_postgres() {
    let Some(url) = postgres_url("inbox_rejections_are_bounded_on_postgres").await else {
        return;
    };
    rejections_story(&url).await;
    drop_postgres(&url).await;
}

/// An entry stored before entry URLs were kept as published (its `url`
/// was the canonical form): the upgrade gives it its canonical key column,
/// and the next poll that sees it restores the publisher's URL — no
/// revision, no edit, but the feeds notice.
async fn published_url_upgrade_story(url: &str, backend: &str) {
    // The schema as it was before 0020, built from the same files.
    let old = tempfile::tempdir().expect("temp dir");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    for file in std::fs::read_dir(&dir).expect("migrations") {
        let path = file.expect("file").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        if name.as_str() < "0020" {
            std::fs::copy(&path, old.path().join(&name)).expect("copy");
        }
    }
    sqlx::any::install_default_drivers();
    let connect = if backend == "sqlite" {
        format!("{url}?mode=rwc")
    } else {
        url.to_string()
    };
    let pool = sqlx::AnyPool::connect(&connect).await.expect("connect");
    sqlx::migrate::Migrator::new(old.path())
        .await
        .expect("old migrations")
        .run(&pool)
        .await
        .expect("old schema");

    let canonical = "https://wire.example.org/fr/story-9";
    let written = "https://Wire.Example.org/fr/story-9/?utm_source=rss";
    let mut entry = sample_entry("wire-fr", 9, "fr");
    entry.url = Some(written.into());
    entry.canonical_url = Some(canonical.into());
    let then = Utc::now() - Duration::days(2);
    sqlx::query("INSERT INTO sources (id, url, next_poll_at, created_at) VALUES ($1, $2, $3, $3)")
        .bind("wire-fr")
        .bind("https://wire.example.org/fr/feed")
        .bind(then.timestamp_millis())
        .execute(&pool)
        .await
        .expect("source");
    sqlx::query(
        "INSERT INTO entries (source_id, entry_key, url, language, language_origin, title, \
         authors, translators, categories, links, content_hash, first_seen_at, last_seen_at, \
         changed_at) VALUES ($1, $2, $3, 'fr', 'entry', $4, '[]', '[]', '[]', '[]', $5, $6, $6, $6)",
    )
    .bind("wire-fr")
    .bind(entry.key.as_str())
    .bind(canonical)
    .bind(entry.title.as_str())
    .bind(entry.content_hash())
    .bind(then.timestamp_millis())
    .execute(&pool)
    .await
    .expect("an entry of the old kind");
    pool.close().await;

    let store = Store::open(url).await.expect("upgrade");
    let before = store
        .entry_by_url(canonical)
        .await
        .expect("found by its key");
    assert_eq!(before.entry.url.as_deref(), Some(canonical));
    assert_eq!(before.entry.canonical_url.as_deref(), Some(canonical));

    let now = Utc::now();
    let seen = store
        .upsert_entries(std::slice::from_ref(&entry), now)
        .await
        .expect("seen again");
    assert_eq!((seen.new, seen.updated, seen.unchanged), (0, 0, 1));
    let after = store
        .entry_by_url(canonical)
        .await
        .expect("found by its key");
    assert_eq!(after.entry.url.as_deref(), Some(written));
    assert_eq!(after.revision, 1, "a URL written differently is no edit");
    assert_eq!(after.changed_at.timestamp_millis(), now.timestamp_millis());
    store.close().await;
}

#[tokio::test]
async fn an_entry_from_before_the_upgrade_gets_its_published_url_back_on_sqlite() {
    let (_dir, url) = sqlite_url();
    published_url_upgrade_story(&url, "sqlite").await;
}

#[tokio::test]
async fn an_entry_from_before_the_upgrade_gets_its_published_url_back_on_postgres() {
    let Some(url) = postgres_url("an_entry_from_before_the_upgrade_on_postgres").await else {
        return;
    };
    published_url_upgrade_story(&url, "postgres").await;
    drop_postgres(&url).await;
}
