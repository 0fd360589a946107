//! `/`: the human page. Plain HTML and a little CSS, no script: each
//! language's feeds (with autodiscovery links in the head), the fediverse
//! handles, and the recent stories with the languages they are available
//! in. Every piece of remote text is escaped.

use std::fmt::Write;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};

use axum::response::{IntoResponse, Response};

use super::AppError;
use crate::publish::{self, feed_path, lang_name, FeedItem, FeedKey, Feeds, Format, Page, Scope};

/// Stories listed on the page.
const RECENT: usize = 20;

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;\
padding:0 1rem;color:#222}h1{margin-bottom:.2rem}ul{padding-left:1.2rem}\
.feeds li{margin:.2rem 0}.name{font-weight:600;display:inline-block;min-width:11rem}\
article{border-top:1px solid #ddd;padding:.6rem 0}.versions{list-style:none;padding:0}\
.versions li{margin:.15rem 0}[dir=rtl]{text-align:right}.lang{color:#666;font-size:.85rem}\
code{background:#f3f1e8;padding:0 .3rem;border-radius:4px}";

pub async fn home(State(feeds): State<Feeds>) -> Response {
    let key = FeedKey {
        scope: Scope::All,
        page: Page::Live,
        format: Format::Atom,
    };
    // Rendered once per store change, as the feeds are.
    let made = feeds
        .page("home", || async {
            let doc = publish::load(feeds.store(), &feeds.config(), &key).await?;
            let items = doc.map(|d| d.items).unwrap_or_default();
            Ok(Bytes::from(page(&feeds, &items)))
        })
        .await;
    match made {
        Ok(body) => (
            [
                (CONTENT_TYPE, "text/html; charset=utf-8"),
                (CACHE_CONTROL, "public, max-age=60"),
            ],
            body,
        )
            .into_response(),
        Err(e) => AppError::internal("reading the recent stories for /", e).into_response(),
    }
}

/// Escapes text for HTML element content and quoted attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn dir(lang: &crate::domain::Lang) -> &'static str {
    if lang.is_rtl() {
        "rtl"
    } else {
        "ltr"
    }
}

fn page(feeds: &Feeds, items: &[FeedItem]) -> String {
    let config = feeds.config();
    let config = &*config;
    let name = esc(&config.publisher.name);
    let home_lang = config
        .publisher
        .languages
        .first()
        .map_or("en", |l| l.as_str());
    let mut h = String::with_capacity(16 * 1024);
    // Writing to a String cannot fail.
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"{home_lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{name}</title>\n"
    );
    for lang in &config.publisher.languages {
        let scope = Scope::Lang(lang.clone());
        for f in Format::ALL {
            let _ = writeln!(
                h,
                "<link rel=\"alternate\" type=\"{}\" hreflang=\"{lang}\" title=\"{} ({})\" href=\"{}\">",
                f.media_type(),
                esc(&publish::feed_title(config, &scope)),
                f.label(),
                feed_path(&scope, Page::Live, f),
            );
        }
    }
    for f in Format::ALL {
        let _ = writeln!(
            h,
            "<link rel=\"alternate\" type=\"{}\" title=\"{} ({})\" href=\"{}\">",
            f.media_type(),
            esc(&publish::feed_title(config, &Scope::All)),
            f.label(),
            feed_path(&Scope::All, Page::Live, f),
        );
    }
    let _ = write!(
        h,
        "<style>{STYLE}</style>\n</head>\n<body>\n<h1>{name}</h1>\n"
    );
    feeds_section(&mut h, feeds);
    fediverse_section(&mut h, feeds);
    stories_section(&mut h, items);
    h.push_str("</body>\n</html>\n");
    h
}

fn feed_links(scope: &Scope) -> String {
    Format::ALL
        .iter()
        .map(|f| {
            format!(
                "<a href=\"{}\" type=\"{}\">{}</a>",
                feed_path(scope, Page::Live, *f),
                f.media_type(),
                f.label()
            )
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn feeds_section(h: &mut String, feeds: &Feeds) {
    h.push_str("<section id=\"feeds\">\n<h2>Subscribe</h2>\n<ul class=\"feeds\">\n");
    for lang in &feeds.config().publisher.languages {
        let scope = Scope::Lang(lang.clone());
        let _ = writeln!(
            h,
            "<li class=\"language\"><span class=\"name\" lang=\"{lang}\" dir=\"{}\">{}</span> {}</li>",
            dir(lang),
            esc(&lang_name(lang)),
            feed_links(&scope)
        );
    }
    let _ = writeln!(
        h,
        "<li class=\"language\"><span class=\"name\">All languages</span> {}</li>",
        feed_links(&Scope::All)
    );
    h.push_str("</ul>\n</section>\n");
}

fn fediverse_section(h: &mut String, feeds: &Feeds) {
    let config = feeds.config();
    let config = &*config;
    if config.actors.is_empty() {
        return;
    }
    h.push_str("<section id=\"fediverse\">\n<h2>Follow on the fediverse</h2>\n<ul>\n");
    for a in &config.actors {
        let langs: Vec<String> = a.languages.iter().map(|l| esc(&lang_name(l))).collect();
        let display = a
            .display_name
            .as_deref()
            .map(|d| format!("{} — ", esc(d)))
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<li>{display}<code class=\"handle\">{}</code> <span class=\"lang\">{}</span></li>",
            esc(&config.handle(a)),
            langs.join(", ")
        );
    }
    h.push_str("</ul>\n</section>\n");
}

fn stories_section(h: &mut String, items: &[FeedItem]) {
    h.push_str("<section id=\"stories\">\n<h2>Recent stories</h2>\n");
    if items.is_empty() {
        h.push_str("<p>No stories yet.</p>\n");
    }
    // Items come grouped by story, each story's versions in the
    // publisher's language order.
    let mut stories: Vec<&[FeedItem]> = items.chunk_by(|a, b| a.story_id == b.story_id).collect();
    stories.truncate(RECENT);
    for versions in stories {
        let Some(first) = versions.first() else {
            continue;
        };
        let _ = write!(
            h,
            "<article class=\"story\">\n<h3 lang=\"{}\" dir=\"{}\">{}</h3>\n<p>Available in:</p>\n<ul class=\"versions\">\n",
            first.lang,
            dir(&first.lang),
            esc(&first.title)
        );
        for v in versions {
            let title = match &v.url {
                Some(url) => format!("<a href=\"{}\">{}</a>", esc(url), esc(&v.title)),
                None => esc(&v.title),
            };
            let _ = writeln!(
                h,
                "<li lang=\"{}\" dir=\"{}\"><span class=\"lang\">{}</span> {title}</li>",
                v.lang,
                dir(&v.lang),
                esc(&lang_name(&v.lang))
            );
        }
        h.push_str("</ul>\n</article>\n");
    }
    h.push_str("</section>\n");
}
