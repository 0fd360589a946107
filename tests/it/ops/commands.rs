//! The operator commands as the binary runs them: `migrate`, `backup`,
//! `followers`, `deliveries`.

// In tests a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::Utc;
use wirebridge::store::{FollowerRow, NewActivity, Store};

use crate::support::{config_toml, sample_entry, sqlite_url, Src};

fn wirebridge(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wirebridge"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("WIREBRIDGE_DATABASE_URL")
        .env_remove("WIREBRIDGE_ADMIN_TOKEN")
        .env_remove("WIREBRIDGE_CONFIG")
        .env_remove("RUST_LOG")
        .output()
        .expect("run the wirebridge binary")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

const ACTORS: &str =
    "[[actors]]\nusername = \"wire\"\n\n[[actors]]\nusername = \"wire_fr\"\nlanguages = [\"fr\"]\n";

/// A config file over `db` with one source and two actors.
fn write_config(dir: &Path, db: &str) -> PathBuf {
    let src = Src {
        id: "harbor",
        url: "https://harborledger.example/feed",
        language: "en",
        role: "outlet",
    };
    let path = dir.join("wb.toml");
    std::fs::write(&path, format!("{}\n{ACTORS}", config_toml(db, &[src]))).unwrap();
    path
}

async fn seeded_store(db: &str) -> Store {
    let store = Store::open(db).await.unwrap();
    let id = crate::support::source_id("harbor");
    store
        .sync_sources(
            &[(id, "https://harborledger.example/feed".into(), Utc::now())],
            Utc::now(),
        )
        .await
        .unwrap();
    let entries: Vec<_> = (1..=4).map(|n| sample_entry("harbor", n, "en")).collect();
    store.upsert_entries(&entries, Utc::now()).await.unwrap();
    store
}

#[tokio::test]
async fn migrate_reports_the_schema_version() {
    let (dir, db) = sqlite_url();
    let config = write_config(dir.path(), &db);
    let out = wirebridge(&config, &["migrate"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let migrations = std::fs::read_dir("migrations/sqlite").unwrap().count();
    assert!(stdout.contains("is at schema version"), "{stdout}");
    assert!(
        stdout.contains(&format!("{migrations} migrations applied")),
        "{stdout}"
    );
    // Running it again changes nothing and says the same.
    let again = wirebridge(&config, &["migrate"]);
    assert_eq!(text(&again).0, stdout);
}

#[tokio::test]
async fn a_backup_is_a_database_that_opens_and_has_the_entries() {
    let (dir, db) = sqlite_url();
    let store = seeded_store(&db).await;
    let config = write_config(dir.path(), &db);
    let copy = dir.path().join("backups/wb-copy.sqlite");
    // Taken while the store is open with a pool of connections: online.
    let out = wirebridge(&config, &["backup", copy.to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("backed up to"), "{stdout}");
    store.close().await;

    let restored = Store::open(&format!("sqlite://{}", copy.display()))
        .await
        .unwrap();
    assert_eq!(restored.entry_count().await.unwrap(), 4);
    let counts = restored.entry_counts().await.unwrap();
    assert_eq!(counts, vec![(crate::support::source_id("harbor"), 4)]);

    let twice = wirebridge(&config, &["backup", copy.to_str().unwrap()]);
    assert!(
        !twice.status.success(),
        "an existing file is never overwritten"
    );
    assert!(
        text(&twice).1.contains("already exists"),
        "{}",
        text(&twice).1
    );
}

#[tokio::test]
async fn on_postgresql_backup_points_at_pg_dump_and_fails() {
    let Some(db) = crate::support::postgres_url("backup on PostgreSQL").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &db);
    let out = wirebridge(
        &config,
        &["backup", dir.path().join("x.sqlite").to_str().unwrap()],
    );
    crate::support::drop_postgres(&db).await;
    assert!(!out.status.success());
    assert!(text(&out).1.contains("pg_dump"), "{}", text(&out).1);
}

async fn follow(store: &Store, actor: &str, follower: &str, host: &str) {
    let inbox = format!("https://{host}/users/{follower}/inbox");
    let row = FollowerRow {
        follower: format!("https://{host}/users/{follower}"),
        inbox: inbox.clone(),
        shared_inbox: Some(format!("https://{host}/inbox")),
    };
    let accept = NewActivity {
        id: format!("https://wire.example.org/activities/accept-{follower}-{actor}"),
        actor: actor.to_string(),
        kind: "Accept".into(),
        json: "{}".into(),
        ordering_key: format!("follow-{follower}"),
        inboxes: vec![(inbox, host.to_string())],
        now: Utc::now(),
    };
    store
        .fed_add_follower(
            actor,
            &row,
            &format!("https://{host}/follows/{follower}"),
            &accept,
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn followers_and_deliveries_show_who_follows_and_what_waits_for_which_host() {
    let (dir, db) = sqlite_url();
    followers_and_deliveries(dir.path(), &db).await;
}

#[tokio::test]
async fn followers_deliveries_and_migrate_work_on_postgresql_too() {
    let Some(db) = crate::support::postgres_url("operator commands on PostgreSQL").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    followers_and_deliveries(dir.path(), &db).await;
    let out = wirebridge(&write_config(dir.path(), &db), &["migrate"]);
    crate::support::drop_postgres(&db).await;
    assert!(out.status.success(), "{}", text(&out).1);
    assert!(text(&out).0.contains("is at schema version"));
}

async fn followers_and_deliveries(dir: &Path, db: &str) {
    let store = seeded_store(db).await;
    follow(&store, "wire", "ana", "social.example").await;
    follow(&store, "wire", "bruno", "fedi.example").await;
    follow(&store, "wire_fr", "chloe", "social.example").await;
    store
        .fed_host_failed("fedi.example", Utc::now())
        .await
        .unwrap();
    let config = write_config(dir, db);

    let all = wirebridge(&config, &["followers"]);
    let (stdout, stderr) = text(&all);
    assert!(all.status.success(), "{stderr}");
    for expected in [
        "https://social.example/users/ana",
        "https://fedi.example/users/bruno",
        "https://social.example/users/chloe",
        "https://social.example/inbox",
        "3 followers, @wire: 2, @wire_fr: 1",
    ] {
        assert!(stdout.contains(expected), "{expected} in {stdout}");
    }
    let fr = wirebridge(&config, &["followers", "--actor", "wire_fr"]);
    let (stdout, _) = text(&fr);
    assert!(
        stdout.contains("chloe") && !stdout.contains("bruno"),
        "{stdout}"
    );
    let unknown = wirebridge(&config, &["followers", "--actor", "nobody"]);
    assert!(!unknown.status.success());
    assert!(text(&unknown)
        .1
        .contains("configured actors: wire, wire_fr"));

    let queue = wirebridge(&config, &["deliveries"]);
    let (stdout, stderr) = text(&queue);
    assert!(queue.status.success(), "{stderr}");
    // The failing host comes first; each line says when the next try is.
    let fedi = stdout.find("fedi.example").expect("failing host listed");
    let social = stdout.find("social.example").expect("busy host listed");
    assert!(fedi < social, "{stdout}");
    assert!(stdout.contains("3 pending"), "{stdout}");
    assert!(stdout.contains("0 delivered, 0 dropped"), "{stdout}");
}
