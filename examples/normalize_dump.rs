//! Runs wirebridge's normalizer over feed files and prints what it read as
//! JSON, one object per line: the feed title and each entry's title, URL
//! (as published and canonical), dates, guid and key — or the error. Used
//! by `tests/feedparser_compare.py` to hold our reading against Python's
//! feedparser.
//!
//! Run: `cargo run --example normalize_dump -- [--base URL]
//! [--content-type TYPE] FILE...` (options apply to the files after them;
//! the base defaults to `https://fixtures.example/<file name>`).

use serde_json::{json, Value};
use url::Url;
use wirebridge::domain::{Lang, SourceId};
use wirebridge::normalize::{parse_feed, FeedContext};

fn main() {
    let mut base: Option<String> = None;
    let mut content_type: Option<String> = None;
    let mut args = std::env::args().skip(1);
    let mut failed = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--base" => base = args.next(),
            "--content-type" => content_type = args.next(),
            path => match dump(path, base.as_deref(), content_type.as_deref()) {
                Ok(line) => println!("{line}"),
                Err(e) => {
                    eprintln!("{path}: {e}");
                    failed = true;
                }
            },
        }
    }
    if failed {
        std::process::exit(1);
    }
}

fn dump(path: &str, base: Option<&str>, content_type: Option<&str>) -> Result<Value, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let name = std::path::Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let base = match base {
        Some(b) => Url::parse(b),
        None => Url::parse("https://fixtures.example/").and_then(|u| u.join(&name)),
    }
    .map_err(|e| e.to_string())?;
    let source = SourceId::parse("dump").map_err(|e| e.to_string())?;
    let lang = Lang::parse("en").map_err(|e| e.to_string())?;
    let ctx = FeedContext {
        source: &source,
        fallback_language: &lang,
        base_url: &base,
        content_type,
    };
    let rfc3339 = |d: Option<chrono::DateTime<chrono::Utc>>| d.map(|d| d.to_rfc3339());
    Ok(match parse_feed(&bytes, &ctx) {
        Ok(feed) => json!({
            "file": path,
            "title": feed.title,
            "entries": feed.entries.iter().map(|e| json!({
                "title": e.title,
                "url": e.url,
                "canonical_url": e.canonical_url,
                "published": rfc3339(e.published),
                "updated": rfc3339(e.updated),
                "guid": e.guid,
                "key": e.key.as_str(),
                "language": e.language.as_str(),
            })).collect::<Vec<_>>(),
        }),
        Err(e) => json!({ "file": path, "error": e.to_string() }),
    })
}
