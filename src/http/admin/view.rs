//! The status page and the login page as HTML (maud escapes every
//! interpolated value, so remote text — feed titles, errors, actor ids —
//! cannot inject markup). No script, no inline style: the CSP forbids both.

use axum::response::Html;
use chrono::{DateTime, Utc};
use maud::{html, Markup, DOCTYPE};

use super::page::{Health, SourceLine, Status, StoryBlock};
use crate::domain::when::relative;

fn layout(title: &str, body: Markup) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta name="robots" content="noindex";
                    title { (title) }
                    link rel="stylesheet" href="/admin/style.css";
                }
                body { (body) }
            }
        }
        .into_string(),
    )
}

/// The page shown without a valid token: what is needed and a form.
pub fn login(problem: Option<&str>) -> Html<String> {
    layout(
        "wirebridge admin — sign in",
        html! {
            main.login {
                h1 { "wirebridge admin" }
                p { "This page needs the admin token (" code { "WIREBRIDGE_ADMIN_TOKEN" }
                    " or " code { "[admin] token" } ")." }
                @if let Some(problem) = problem { p.problem role="alert" { (problem) } }
                form method="post" action="/admin/login" {
                    label for="token" { "Token" }
                    input #token type="password" name="token" autocomplete="current-password" required;
                    button type="submit" { "Sign in" }
                }
            }
        },
    )
}

fn when(t: Option<DateTime<Utc>>, now: DateTime<Utc>, none: &str) -> Markup {
    match t {
        Some(t) => {
            html! { time datetime=(t.to_rfc3339()) title=(t.to_rfc3339()) { (relative(t, now)) } }
        }
        None => html! { span.muted { (none) } },
    }
}

pub fn render(s: &Status) -> Html<String> {
    let failing = s
        .sources
        .iter()
        .filter(|l| l.health == Health::BackingOff)
        .count();
    let followers: i64 = s.followers.iter().map(|(_, n)| n).sum();
    layout(
        &format!("{} — wirebridge status", s.publisher),
        html! {
            header {
                h1 { (s.publisher) " " span.muted { "· wirebridge " (env!("CARGO_PKG_VERSION")) } }
                p.muted { "As of " (s.now.format("%Y-%m-%d %H:%M:%S UTC")) ". Reload for fresh numbers." }
            }
            ul.cards {
                li { strong { (s.sources.len()) } " sources" @if failing > 0 { ", " span.bad { (failing) " failing" } } }
                li { strong { (s.story_count) } " stories" }
                li { strong { (s.entry_count) } " entries" }
                li { strong { (followers) } " followers" }
                li { strong { (s.queue.depth) } " deliveries queued" }
            }
            (sources(s))
            (stories(s))
            (federation(s))
            (super::websub::section(&s.websub, s.now))
        },
    )
}

fn sources(s: &Status) -> Markup {
    html! {
        section #sources {
            h2 { "Sources" }
            table {
                thead { tr { th { "Source" } th { "Health" } th { "Last success" } th { "Next poll" }
                    th { "Last error" } th.num { "Entries" } } }
                tbody { @for l in &s.sources { (source_row(l, s.now)) } }
            }
        }
    }
}

fn source_row(l: &SourceLine, now: DateTime<Utc>) -> Markup {
    let class = match l.health {
        Health::Ok => "ok",
        Health::NeverPolled => "muted",
        Health::BackingOff | Health::Gone => "bad",
        Health::Unconfigured => "muted",
    };
    html! {
        tr id={ "source-" (l.id) } {
            td { strong { (l.name) } br; code { (l.id) } " · " (l.role) " · " (l.language) br;
                 span.url { (l.url) } }
            td { span class={ "badge " (class) } { (l.health.label()) }
                 @if l.failures > 0 { br; span.muted { (l.failures) " failures in a row" } } }
            td { (when(l.last_success_at, now, "never")) }
            td { (when(l.next_poll_at, now, "never")) }
            td.error { @if let Some(e) = &l.last_error { (e) } }
            td.num { (l.entries) }
        }
    }
}

fn stories(s: &Status) -> Markup {
    html! {
        section #stories {
            h2 { "Recent stories" }
            p.muted { "Each entry says which linking rule put it in its story, and why." }
            @if s.stories.is_empty() { p { "No stories yet." } }
            @for story in &s.stories { (story_block(story, s.now)) }
        }
    }
}

fn story_block(story: &StoryBlock, now: DateTime<Utc>) -> Markup {
    html! {
        article.story id={ "story-" (story.id) } {
            h3 { "Story " (story.id) " "
                span.muted { "first seen " (when(Some(story.first_seen_at), now, "")) } }
            p.langs { @for l in &story.languages { span.lang { (l) } " " } }
            table {
                thead { tr { th { "Lang" } th { "Title" } th { "Source" } th { "Role" } th { "Linked by" } } }
                tbody {
                    @for e in &story.entries {
                        @let link = e.link.as_ref();
                        tr {
                            td { (e.entry.language) }
                            td lang=(e.entry.language) dir=(if e.entry.language.is_rtl() { "rtl" } else { "ltr" }) {
                                @match &e.entry.url {
                                    Some(u) => a href=(u) rel="noreferrer noopener" { (e.entry.title) },
                                    None => (e.entry.title),
                                }
                            }
                            td { code { (e.entry.source) } }
                            td { (link.map_or("-", |l| l.role.as_str())) }
                            td.why {
                                @match link.and_then(|l| l.rule.as_deref()) {
                                    Some(rule) => { span.rule { (rule) } ": " (link.and_then(|l| l.why.as_deref()).unwrap_or("")) },
                                    None => span.muted { "started the story" },
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn federation(s: &Status) -> Markup {
    html! {
        section #federation {
            h2 { "Fediverse" }
            h3 { "Followers" }
            @if s.followers.is_empty() { p.muted { "No actors are configured." } }
            @else {
                table.narrow { thead { tr { th { "Actor" } th.num { "Followers" } } }
                    tbody { @for (actor, n) in &s.followers { tr { td { code { "@" (actor) } } td.num { (n) } } } } }
            }
            h3 { "Delivery queue" }
            p { (s.queue.depth) " deliveries waiting"
                @if let Some(t) = s.queue.oldest_due { "; the oldest due one was queued " (when(Some(t), s.now, "")) } "." }
            @if s.hosts.is_empty() { p.muted { "Every receiving server is answering." } }
            @else {
                table { thead { tr { th { "Host" } th.num { "Pending" } th { "Next attempt" } th.num { "Attempts" }
                        th { "Failing since" } th { "Last error" } } }
                    tbody { @for h in &s.hosts {
                        tr {
                            td { code { (h.host) } @if h.unavailable { " " span.badge.bad { "unavailable" } } }
                            td.num { (h.pending) }
                            td { (when(h.next_attempt_at, s.now, "-")) }
                            td.num { (h.attempts) }
                            td { (when(h.failing_since, s.now, "healthy")) }
                            td.error { @if let Some(e) = &h.last_error { (e) } }
                        }
                    } }
                }
            }
            h3 { "Recent inbox rejections" }
            p.muted { "From every instance sharing this database, the last "
                (crate::store::KEEP_REJECTIONS) " of the past "
                (crate::store::REJECTIONS_MAX_AGE.num_days()) " days are kept; in a burst each \
                instance keeps a few a second and counts the rest (the log has them all). \
                The key host is what the request claimed, not a verified sender." }
            @if s.rejections.is_empty() { p { "None." } }
            @else {
                table { thead { tr { th { "When" } th { "Kind" } th { "Key host" } th { "Reason" } } }
                    tbody { @for r in &s.rejections {
                        tr {
                            td { (when(Some(r.at), s.now, "")) }
                            td { (r.kind) }
                            td { @if let Some(h) = &r.key_host { code { (h) } } @else { span.muted { "-" } } }
                            td.error { (r.reason)
                                @if r.suppressed > 0 { " " span.muted { "(+" (r.suppressed) " more not kept)" } } }
                        }
                    } }
                }
            }
        }
    }
}
