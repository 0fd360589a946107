//! The configuration files shipped in `config/` stay valid, and the demo
//! delivers what the README promises: its bundled feeds exist and parse
//! into entries in five languages that link their translations.

// In tests a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use wirebridge::config::Config;
use wirebridge::domain::Role;
use wirebridge::normalize::{parse_feed, FeedContext};

fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("config")
        .join(name)
}

/// The process environment could override the database; these tests are
/// about the files alone.
fn load(path: &Path) -> Config {
    let text = std::fs::read_to_string(path).expect("shipped config is readable");
    Config::parse_with_env(path, &text, &|_| None).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_example_config_documents_every_table_and_parses() {
    let c = load(&shipped("wirebridge.example.toml"));
    assert_eq!(c.publisher.languages.len(), 5);
    assert_eq!(c.sources.len(), 2);
    assert_eq!(c.actors.len(), 2);
    assert!(
        c.admin.token.is_some(),
        "the example shows the [admin] table"
    );
    let text = std::fs::read_to_string(shipped("wirebridge.example.toml")).unwrap();
    for key in [
        "bind",
        "public_url",
        "url",
        "name",
        "languages",
        "user_agent",
        "allow_private_addresses",
        "trusted_addresses",
        "connect_timeout",
        "timeout",
        "max_body_bytes",
        "max_concurrent",
        "max_per_host",
        "max_backoff",
        "token",
        "id",
        "role",
        "language",
        "poll_every",
        "url_pattern",
        "page_lookups",
        "username",
        "display_name",
        "summary",
    ] {
        assert!(
            text.contains(&format!("\n{key} = ")),
            "example does not show `{key}`"
        );
    }
}

#[test]
fn the_demo_config_parses_with_bundled_file_sources() {
    let c = load(&shipped("demo.toml"));
    assert_eq!(c.database.url, "sqlite://data/demo.sqlite");
    assert_eq!(c.server.bind.to_string(), "127.0.0.1:8080");
    let langs: Vec<_> = c.publisher.languages.iter().map(|l| l.as_str()).collect();
    assert_eq!(langs, ["en", "pt-BR", "de", "fr", "ar"]);
    let handles: Vec<_> = c.actors.iter().map(|a| c.handle(a)).collect();
    assert_eq!(handles, ["@wire@127.0.0.1:8080", "@wire_fr@127.0.0.1:8080"]);
    for s in &c.sources {
        assert_eq!(
            s.url.scheme(),
            "file",
            "{}: the demo needs no network",
            s.id
        );
        let path = s.url.to_file_path().expect("an absolute file path");
        assert!(path.is_file(), "{}: {} is missing", s.id, path.display());
    }
}

#[test]
fn every_demo_feed_parses_into_three_stories_in_its_language() {
    let c = load(&shipped("demo.toml"));
    for s in &c.sources {
        let bytes = std::fs::read(s.url.to_file_path().unwrap()).unwrap();
        let ctx = FeedContext {
            source: &s.id,
            fallback_language: &s.language,
            base_url: &s.url,
            content_type: None,
        };
        let feed = parse_feed(&bytes, &ctx).unwrap_or_else(|e| panic!("{}: {e}", s.id));
        assert_eq!(feed.entries.len(), 3, "{}", s.id);
        for e in &feed.entries {
            assert_eq!(e.language, s.language, "{}: {}", s.id, e.title);
            if s.role == Role::Publisher {
                assert!(
                    e.links
                        .iter()
                        .any(|l| l.href.starts_with("https://harborledger.example/")),
                    "{}: {} does not link the original",
                    s.id,
                    e.title
                );
            }
            if s.role == Role::Publisher && s.language.as_str() != "en" {
                assert!(
                    !e.translators.is_empty(),
                    "{}: {} has no translator",
                    s.id,
                    e.title
                );
            }
            if s.role == Role::Publisher && !s.url.path().ends_with(".json") {
                assert_eq!(e.translation_links().count(), 4, "{}: {}", s.id, e.title);
            }
        }
    }
}
