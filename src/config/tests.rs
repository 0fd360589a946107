//! Each kind of mistake an operator can make, and the message that points
//! at it. Positions are asserted exactly: they are the feature.

// In tests a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration;

use super::*;

const GOOD: &str = r#"[server]
bind = "127.0.0.1:8080"
public_url = "https://wire.example.org"

[publisher]
name = "The Wire"
languages = ["en", "pt-br", "fr"]

[[sources]]
id = "wire-fr"
name = "The Wire (français)"
role = "publisher"
url = "https://wire.example.org/fr/feed"
language = "fr"

[[actors]]
username = "wire"
"#;

fn no_env(_: &str) -> Option<String> {
    None
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse_with_env(Path::new("conf/wb.toml"), text, &no_env)
}

/// The whole message for a file that must be rejected.
fn error(text: &str) -> String {
    match parse(text) {
        Ok(_) => panic!("accepted a bad config:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_good_file_gets_defaults_for_what_it_leaves_out() {
    let c = parse(GOOD).unwrap();
    assert_eq!(c.database.url, "sqlite://data/wirebridge.sqlite");
    assert_eq!(c.publisher.languages[1].as_str(), "pt-BR");
    assert_eq!(c.sources[0].poll_every, Duration::from_secs(15 * 60));
    assert_eq!(c.fetch.max_per_host, 2);
    assert_eq!(c.actors[0].languages, c.publisher.languages);
    assert_eq!(c.handle(&c.actors[0]), "@wire@wire.example.org");
    // Who we are and where to reach the operator: the public URL.
    assert_eq!(
        c.user_agent(),
        format!(
            "wirebridge/{} (+https://wire.example.org/)",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn an_unknown_key_is_named_with_its_position() {
    let text = GOOD.replace("language = \"fr\"", "language = \"fr\"\npol_every = \"5m\"");
    let msg = error(&text);
    assert!(
        msg.starts_with("conf/wb.toml:15:1: sources[0].pol_every: unknown field `pol_every`"),
        "{msg}"
    );
}

#[test]
fn a_wrong_type_is_named_with_its_position() {
    let text = GOOD.replace(
        "[publisher]",
        "[fetch]\nmax_concurrent = \"many\"\n\n[publisher]",
    );
    let msg = error(&text);
    assert!(
        msg.starts_with("conf/wb.toml:6:18: fetch.max_concurrent: invalid type: string"),
        "{msg}"
    );
}

#[test]
fn a_syntax_error_still_has_a_position() {
    let msg = error("[server\nbind = 1");
    assert!(msg.starts_with("conf/wb.toml:1:8: "), "{msg}");
}

#[test]
fn a_duplicate_source_id_points_at_both_definitions() {
    let text = format!("{GOOD}\n[[sources]]\nid = \"wire-fr\"\nname = \"Again\"\nrole = \"outlet\"\nurl = \"https://a.example/feed\"\nlanguage = \"en\"\n");
    let msg = error(&text);
    assert_eq!(
        msg,
        "conf/wb.toml:20:6: sources[1].id: duplicate source id \"wire-fr\" (first defined at line 10)"
    );
}

#[test]
fn an_invalid_language_tag_is_rejected_where_it_is_written() {
    let msg = error(&GOOD.replace("\"pt-br\"", "\"portuguese please\""));
    assert!(
        msg.starts_with(
            "conf/wb.toml:7:20: publisher.languages[1]: `portuguese please` is not a valid BCP 47"
        ),
        "{msg}"
    );
}

#[test]
fn an_invalid_source_id_is_rejected_where_it_is_written() {
    let msg = error(&GOOD.replace("id = \"wire-fr\"", "id = \"Wire FR\""));
    assert!(
        msg.starts_with("conf/wb.toml:10:6: sources[0].id: `Wire FR` is not a valid source id"),
        "{msg}"
    );
}

#[test]
fn an_unparseable_url_is_rejected() {
    let msg = error(&GOOD.replace("https://wire.example.org/fr/feed", "not a url"));
    assert_eq!(
        msg,
        "conf/wb.toml:13:7: sources[0].url: `not a url` is not a URL: relative URL without a base"
    );
}

#[test]
fn an_unsupported_scheme_is_rejected_for_sources_and_the_public_url() {
    let msg = error(&GOOD.replace(
        "https://wire.example.org/fr/feed",
        "ftp://wire.example.org/feed",
    ));
    assert_eq!(
        msg,
        "conf/wb.toml:13:7: sources[0].url: unsupported scheme `ftp`: use http, https or file"
    );
    let msg = error(&GOOD.replace("public_url = \"https://", "public_url = \"file:///"));
    assert!(
        msg.starts_with("conf/wb.toml:3:14: server.public_url: unsupported scheme `file`"),
        "{msg}"
    );
}

#[test]
fn zero_and_absurd_intervals_are_rejected() {
    let msg = error(&GOOD.replace(
        "language = \"fr\"",
        "language = \"fr\"\npoll_every = \"0s\"",
    ));
    assert!(msg.starts_with("conf/wb.toml:15:14: sources[0].poll_every: 0s is out of range: use between 10s and 30days"), "{msg}");
    let msg = error(&GOOD.replace(
        "language = \"fr\"",
        "language = \"fr\"\npoll_every = \"90days\"",
    ));
    assert!(
        msg.contains("sources[0].poll_every: 2months 29days 2h 52m 48s is out of range"),
        "{msg}"
    );
    let msg = error(&GOOD.replace(
        "language = \"fr\"",
        "language = \"fr\"\npoll_every = \"soon\"",
    ));
    assert!(
        msg.contains("sources[0].poll_every: `soon` is not a duration"),
        "{msg}"
    );
}

#[test]
fn fetch_limits_must_be_sane() {
    let text = GOOD.replace(
        "[publisher]",
        "[fetch]\ntimeout = \"0s\"\nmax_body_bytes = 0\nmax_per_host = 0\n\n[publisher]",
    );
    let msg = error(&text);
    let lines: Vec<&str> = msg.lines().collect();
    assert_eq!(lines.len(), 3, "{msg}");
    assert!(
        lines[0].starts_with("conf/wb.toml:6:11: fetch.timeout: 0s is out of range"),
        "{msg}"
    );
    assert!(
        lines[1].starts_with("conf/wb.toml:7:18: fetch.max_body_bytes: 0 is out of range"),
        "{msg}"
    );
    assert!(
        lines[2].starts_with("conf/wb.toml:8:16: fetch.max_per_host: 0 is out of range"),
        "{msg}"
    );
    let msg = error(&GOOD.replace(
        "[publisher]",
        "[fetch]\nmax_body_bytes = 2000000000000\n[publisher]",
    ));
    assert!(
        msg.contains(
            "fetch.max_body_bytes: 2000000000000 is out of range: use between 1 and 1073741824"
        ),
        "{msg}"
    );
}

#[test]
fn a_browser_disguise_is_not_a_user_agent() {
    let msg = error(&GOOD.replace(
        "[publisher]",
        "[fetch]\nuser_agent = \"Mozilla/5.0\"\n[publisher]",
    ));
    assert!(
        msg.starts_with("conf/wb.toml:6:14: fetch.user_agent: must name wirebridge"),
        "{msg}"
    );
}

#[test]
fn the_publisher_needs_at_least_one_language() {
    let msg = error(&GOOD.replace("[\"en\", \"pt-br\", \"fr\"]", "[]"));
    assert_eq!(
        msg,
        "conf/wb.toml:7:13: publisher.languages: must list at least one language"
    );
}

#[test]
fn actors_speak_only_the_publisher_languages_and_have_unique_names() {
    let text = format!("{GOOD}languages = [\"fr\", \"ar\"]\n[[actors]]\nusername = \"Wire\"\n");
    let msg = error(&text);
    let lines: Vec<&str> = msg.lines().collect();
    assert_eq!(
        lines,
        [
            "conf/wb.toml:18:20: actors[0].languages[1]: `ar` is not one of publisher.languages",
            "conf/wb.toml:20:12: actors[1].username: duplicate actor username \"Wire\" (first defined at line 17)",
        ]
    );
}

#[test]
fn the_database_scheme_is_checked_and_the_environment_wins() {
    let text = GOOD.replace(
        "[publisher]",
        "[database]\nurl = \"mysql://db/wire\"\n\n[publisher]",
    );
    let msg = error(&text);
    assert!(
        msg.starts_with("conf/wb.toml:6:7: database.url: unsupported database URL"),
        "{msg}"
    );
    let env = |name: &str| {
        (name == DATABASE_URL_ENV).then(|| "postgres://wire:s3cret@db.internal/wire".to_string())
    };
    let c = Config::parse_with_env(Path::new("wb.toml"), &text, &env).unwrap();
    assert_eq!(c.database.url, "postgres://wire:s3cret@db.internal/wire");
    let shown = format!("{c:?}");
    assert!(
        !shown.contains("s3cret") && shown.contains("****"),
        "{shown}"
    );
}

#[test]
fn the_admin_token_comes_from_the_environment_and_is_never_shown() {
    let env =
        |name: &str| (name == ADMIN_TOKEN_ENV).then(|| "a-long-random-admin-token-42".to_string());
    let c = Config::parse_with_env(Path::new("wb.toml"), GOOD, &env).unwrap();
    assert_eq!(
        c.admin.token.as_deref(),
        Some("a-long-random-admin-token-42")
    );
    assert!(!format!("{c:?}").contains("a-long-random"));
    let short = |name: &str| (name == ADMIN_TOKEN_ENV).then(|| "hunter2".to_string());
    let e = Config::parse_with_env(Path::new("wb.toml"), GOOD, &short).unwrap_err();
    assert_eq!(e.to_string(), "wb.toml: WIREBRIDGE_ADMIN_TOKEN (environment): is too short: use at least 16 random characters");
}

#[test]
fn a_relative_file_url_is_resolved_against_the_config_folder() {
    let text = GOOD.replace("https://wire.example.org/fr/feed", "file:demo/wire-fr.xml");
    let c = Config::parse_with_env(Path::new("/srv/wb/config.toml"), &text, &no_env).unwrap();
    assert_eq!(c.sources[0].url.as_str(), "file:///srv/wb/demo/wire-fr.xml");
    let text = GOOD.replace(
        "https://wire.example.org/fr/feed",
        "file:///var/feeds/fr.xml",
    );
    let c = Config::parse_with_env(Path::new("/srv/wb/config.toml"), &text, &no_env).unwrap();
    assert_eq!(c.sources[0].url.as_str(), "file:///var/feeds/fr.xml");
}

#[test]
fn a_file_url_naming_a_host_is_rejected() {
    let msg = error(&GOOD.replace(
        "https://wire.example.org/fr/feed",
        "file://fileserver/feeds/fr.xml",
    ));
    assert!(
        msg.starts_with("conf/wb.toml:13:7: sources[0].url: a file: URL must not name a host"),
        "{msg}"
    );
}

#[test]
fn a_missing_table_is_reported() {
    let msg = error("[server]\nbind = \"127.0.0.1:1\"\npublic_url = \"http://x.example\"\n");
    assert!(msg.contains("missing field `publisher`"), "{msg}");
}

#[test]
fn a_builtin_websub_hub_lives_under_the_public_url() {
    let c = parse(&format!("{GOOD}\n[websub]\nhub = \"builtin\"\n")).unwrap();
    assert!(c.websub.builtin);
    assert_eq!(
        c.websub.hub.as_ref().map(|u| u.as_str()),
        Some("https://wire.example.org/websub/hub")
    );
    let c = parse(&format!(
        "{GOOD}\n[websub]\nhub = \"https://hub.example/\"\n"
    ))
    .unwrap();
    assert!(!c.websub.builtin, "an external hub is pinged, not served");
    assert!(error(&format!("{GOOD}\n[websub]\nhub = \"built-in\"\n")).contains("websub.hub"));
}
