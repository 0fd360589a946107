//! The `wirebridge` binary as an operator runs it: exit codes, messages
//! that point into the file, and OPML in and out.

// In tests a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const GOOD: &str = r#"[server]
bind = "127.0.0.1:8080"
public_url = "https://wire.example.org"

[publisher]
name = "The Wire"
languages = ["en", "fr"]

[[sources]]
id = "harbor-ledger"
name = "Harbor Ledger"
role = "outlet"
url = "https://harborledger.example/feed.xml"
language = "en"

[[sources]]
id = "wire-fr"
name = "The Wire (français)"
role = "publisher"
url = "https://wire.example.org/fr/feed"
language = "fr"
poll_every = "30m"

[[actors]]
username = "wire_fr"
languages = ["fr"]
"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write temp file");
    path
}

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

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn check_prints_what_it_understood_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "wb.toml", GOOD);
    let out = wirebridge(&config, &["check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for expected in [
        "configuration is valid",
        "The Wire",
        "en, fr",
        "sqlite://data/wirebridge.sqlite",
        "harbor-ledger",
        "https://harborledger.example/feed.xml",
        "30m",
        "@wire_fr@wire.example.org",
        "Signed fetches: as https://wire.example.org/actor",
        "authorized fetch off",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn check_says_when_authorized_fetch_is_on() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{GOOD}\n[federation]\nauthorized_fetch = true\n");
    let config = write(dir.path(), "wb.toml", &text);
    let out = wirebridge(&config, &["check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(
            "authorized fetch on: objects, activities, outboxes and collections need a signed GET"
        ),
        "{}",
        stdout(&out)
    );
}

#[test]
fn check_masks_the_database_password_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "wb.toml", GOOD);
    let out = Command::new(env!("CARGO_BIN_EXE_wirebridge"))
        .args(["check", "--config"])
        .arg(&config)
        .env(
            "WIREBRIDGE_DATABASE_URL",
            "postgres://wire:hunter2hunter2@db.internal/wire",
        )
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("postgres://wire:****@db.internal/wire"),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn a_bad_config_exits_two_naming_file_line_column_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let bad = GOOD.replace("id = \"wire-fr\"", "id = \"harbor-ledger\"");
    let config = write(dir.path(), "wb.toml", &bad);
    let out = wirebridge(&config, &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let expected = format!(
        "{}:17:6: sources[1].id: duplicate source id \"harbor-ledger\" (first defined at line 10)",
        config.display()
    );
    assert!(err.contains(&expected), "{err}");
    assert!(stdout(&out).is_empty());
}

#[test]
fn a_missing_config_file_says_which_file() {
    let out = wirebridge(Path::new("/nonexistent/wirebridge.toml"), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read /nonexistent/wirebridge.toml"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn polling_an_unknown_source_lists_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "wb.toml", GOOD);
    let out = wirebridge(&config, &["poll", "--source", "nation"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("no source with id `nation`"), "{err}");
    assert!(
        err.contains("known sources: harbor-ledger, wire-fr"),
        "{err}"
    );
}

#[test]
fn opml_export_then_import_gives_back_the_sources() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "wb.toml", GOOD);
    let out = wirebridge(&config, &["opml", "export"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let opml = write(dir.path(), "sources.opml", &stdout(&out));

    // Import into a configuration that has none of them yet.
    let empty = GOOD.split("[[sources]]").next().unwrap().to_string();
    let other = write(dir.path(), "other.toml", &empty);
    let out = wirebridge(&other, &["opml", "import", opml.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let blocks = stdout(&out);

    // The printed blocks complete the other file into a valid config.
    let merged = write(dir.path(), "merged.toml", &format!("{empty}\n{blocks}"));
    let out = wirebridge(&merged, &["check"]);
    assert!(out.status.success(), "{}\n{blocks}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("harbor-ledger") && text.contains("the-wire-francais"),
        "{text}"
    );
    assert!(text.contains("https://wire.example.org/fr/feed"), "{text}");
    assert!(blocks.contains("role = \"publisher\""), "{blocks}");
}

#[test]
fn every_subcommand_has_help() {
    for sub in [
        &["check"][..],
        &["poll"],
        &["sources"],
        &["serve"],
        &["opml", "import"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_wirebridge"))
            .args(sub)
            .arg("--help")
            .output()
            .unwrap();
        assert!(out.status.success(), "{sub:?}");
        assert!(
            stdout(&out).contains("--config <PATH>"),
            "{sub:?}: {}",
            stdout(&out)
        );
    }
}

#[test]
fn poll_then_sources_show_the_demo_feeds_in_a_table() {
    // A copy of the demo beside its feeds, so its relative file: URLs
    // resolve, with its database in the temp dir.
    let dir = tempfile::tempdir().unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    std::fs::create_dir(dir.path().join("demo")).unwrap();
    for feed in std::fs::read_dir(shipped.join("demo")).unwrap() {
        let feed = feed.unwrap().path();
        std::fs::copy(
            &feed,
            dir.path().join("demo").join(feed.file_name().unwrap()),
        )
        .unwrap();
    }
    let db = format!("sqlite://{}", dir.path().join("demo.sqlite").display());
    let text = std::fs::read_to_string(shipped.join("demo.toml"))
        .unwrap()
        .replace("sqlite://data/demo.sqlite", &db);
    let config = write(dir.path(), "demo.toml", &text);

    let polled = wirebridge(&config, &["poll"]);
    assert!(polled.status.success(), "{}", stderr(&polled));
    let table = stdout(&polled);
    assert!(
        table.contains("wire-pt-br") && table.contains("fetched"),
        "{table}"
    );
    assert!(
        table.contains("6 fetched, 0 not modified, 0 failed, 18 new, 0 updated"),
        "{table}"
    );

    let listed = wirebridge(&config, &["sources"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let health = stdout(&listed);
    assert!(
        health.contains("harbor-ledger") && health.contains("outlet"),
        "{health}"
    );
    let row = health
        .lines()
        .find(|l| l.contains("harbor-ledger"))
        .unwrap();
    let cells: Vec<&str> = row
        .split('┆')
        .map(|c| c.trim_matches(|c: char| c == '│' || c.is_whitespace()))
        .collect();
    assert!(
        cells[3] == "now" || cells[3].ends_with(" ago"),
        "last success, relative: {health}"
    );
    assert!(cells[5].starts_with("in "), "next poll, relative: {health}");
    assert_eq!(cells[8], "3", "entries: {health}");

    // Every demo article and its four translations make one story each.
    let stories = wirebridge(&config, &["stories", "--lang", "PT-br"]);
    assert!(stories.status.success(), "{}", stderr(&stories));
    let table = stdout(&stories);
    assert!(table.contains("3 stories"), "{table}");
    let rows: Vec<&str> = table
        .lines()
        .filter(|l| l.contains("en pt-BR de fr ar"))
        .collect();
    assert_eq!(rows.len(), 3, "{table}");
}
