//! `/`: the human page. Plain HTML and a little CSS, no script: each
//! language's feeds (with autodiscovery links in the head), the fediverse
//! handles, and the recent stories with the languages they are available
//! in. Built with maud, which escapes every interpolated value, so remote
//! text (titles, names) cannot inject markup.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::AppError;
use crate::config::Config;
use crate::domain::Lang;
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

fn dir(lang: &Lang) -> &'static str {
    if lang.is_rtl() {
        "rtl"
    } else {
        "ltr"
    }
}

fn page(feeds: &Feeds, items: &[FeedItem]) -> String {
    let config = feeds.config();
    let config = &*config;
    let name = &config.publisher.name;
    let home_lang = config
        .publisher
        .languages
        .first()
        .map_or("en", |l| l.as_str());
    html! {
        (DOCTYPE)
        html lang=(home_lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (name) }
                @for lang in &config.publisher.languages {
                    @let scope = Scope::Lang(lang.clone());
                    @for f in Format::ALL {
                        link rel="alternate" type=(f.media_type()) hreflang=(lang)
                            title={ (publish::feed_title(config, &scope)) " (" (f.label()) ")" }
                            href=(feed_path(&scope, Page::Live, f));
                    }
                }
                @for f in Format::ALL {
                    link rel="alternate" type=(f.media_type())
                        title={ (publish::feed_title(config, &Scope::All)) " (" (f.label()) ")" }
                        href=(feed_path(&Scope::All, Page::Live, f));
                }
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { (name) }
                (feeds_section(config))
                (fediverse_section(config))
                (stories_section(items))
            }
        }
    }
    .into_string()
}

fn feed_links(scope: &Scope) -> Markup {
    html! {
        @for (i, f) in Format::ALL.iter().enumerate() {
            @if i > 0 { " · " }
            a href=(feed_path(scope, Page::Live, *f)) type=(f.media_type()) { (f.label()) }
        }
    }
}

fn feeds_section(config: &Config) -> Markup {
    html! {
        section #feeds {
            h2 { "Subscribe" }
            ul.feeds {
                @for lang in &config.publisher.languages {
                    li.language {
                        span.name lang=(lang) dir=(dir(lang)) { (lang_name(lang)) }
                        " " (feed_links(&Scope::Lang(lang.clone())))
                    }
                }
                li.language { span.name { "All languages" } " " (feed_links(&Scope::All)) }
            }
        }
    }
}

fn fediverse_section(config: &Config) -> Markup {
    if config.actors.is_empty() {
        return html! {};
    }
    html! {
        section #fediverse {
            h2 { "Follow on the fediverse" }
            ul {
                @for a in &config.actors {
                    @let langs: Vec<String> = a.languages.iter().map(lang_name).collect();
                    li {
                        @if let Some(d) = &a.display_name { (d) " — " }
                        code.handle { (config.handle(a)) }
                        " " span.lang { (langs.join(", ")) }
                    }
                }
            }
        }
    }
}

fn stories_section(items: &[FeedItem]) -> Markup {
    // Items come grouped by story, each story's versions in the
    // publisher's language order.
    let mut stories: Vec<&[FeedItem]> = items.chunk_by(|a, b| a.story_id == b.story_id).collect();
    stories.truncate(RECENT);
    html! {
        section #stories {
            h2 { "Recent stories" }
            @if items.is_empty() { p { "No stories yet." } }
            @for versions in stories {
                @if let Some(first) = versions.first() {
                    article.story {
                        h3 lang=(first.lang) dir=(dir(&first.lang)) { (first.title) }
                        p { "Available in:" }
                        ul.versions {
                            @for v in versions {
                                li lang=(v.lang) dir=(dir(&v.lang)) {
                                    span.lang { (lang_name(&v.lang)) } " "
                                    @match &v.url {
                                        Some(url) => a href=(url) { (v.title) },
                                        None => (v.title),
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
