//! `wirebridge check`: what the configuration was understood to say, with
//! secrets masked, so an operator can confirm it before starting the daemon.

use std::fmt::Write;

use comfy_table::{presets, Table};

use crate::config::{mask_url, Config};
use crate::domain::when::interval;

pub fn describe(c: &Config) -> String {
    let mut out = String::new();
    let langs =
        |l: &[crate::domain::Lang]| l.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(", ");
    // Writing to a String cannot fail.
    let _ = writeln!(out, "{}: configuration is valid.\n", c.path.display());
    let _ = writeln!(out, "Publisher     {}", c.publisher.name);
    let _ = writeln!(out, "Languages     {}", langs(&c.publisher.languages));
    let _ = writeln!(out, "Listens on    {}", c.server.bind);
    let _ = writeln!(out, "Public URL    {}", c.server.public_url);
    let _ = writeln!(out, "Database      {}", mask_url(&c.database.url));
    let admin = match c.admin.token {
        Some(_) => "enabled (token ****)",
        None => "disabled (no admin token)",
    };
    let _ = writeln!(out, "Admin API     {admin}");
    let _ = writeln!(
        out,
        "Feeds         {} stories live, older ones in archive pages of {}",
        c.feeds.live_items, c.feeds.live_items
    );
    let hub = c
        .websub
        .hub
        .as_ref()
        .map_or("none (no WebSub pings)".to_string(), |h| h.to_string());
    let hub = if c.websub.builtin {
        format!("{hub} (built in)")
    } else {
        hub
    };
    let _ = writeln!(out, "WebSub hub    {hub}");
    let f = &c.fetch;
    let _ = writeln!(out, "User-Agent    {}", c.user_agent());
    let guard = if f.allow_private_addresses {
        "OFF: private, loopback and link-local addresses may be fetched".to_string()
    } else if f.trusted_addresses.is_empty() {
        "on: private, loopback and link-local addresses are refused".to_string()
    } else {
        let trusted: Vec<_> = f.trusted_addresses.iter().map(|a| a.to_string()).collect();
        format!("on, except for {}", trusted.join(", "))
    };
    let _ = writeln!(out, "Address guard {guard}");
    let _ = writeln!(
        out,
        "Fetching      {} at once, {} per host; {} to connect, {} in all; bodies up to {}; backoff up to {}",
        f.max_concurrent,
        f.max_per_host,
        interval(f.connect_timeout),
        interval(f.timeout),
        bytes(f.max_body_bytes),
        interval(f.max_backoff),
    );

    let _ = writeln!(out, "\nSources ({})", c.sources.len());
    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED);
    table.set_header([
        "id",
        "name",
        "role",
        "language",
        "every",
        "url",
        "translations from",
    ]);
    for s in &c.sources {
        table.add_row([
            s.id.to_string(),
            s.name.clone(),
            s.role.as_str().to_string(),
            s.language.to_string(),
            interval(s.poll_every),
            s.url.to_string(),
            translations_from(s),
        ]);
    }
    let _ = writeln!(out, "{table}");

    let _ = writeln!(out, "\nFediverse accounts ({})", c.actors.len());
    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED);
    table.set_header([
        "handle",
        "display name",
        "languages",
        "posts as",
        "backfill",
    ]);
    for a in &c.actors {
        table.add_row([
            c.handle(a),
            a.display_name.clone().unwrap_or_default(),
            langs(&a.languages),
            a.object_type.as_str().to_string(),
            a.backfill.to_string(),
        ]);
    }
    let f = &c.federation;
    let _ = writeln!(
        out,
        "{table}\nDelivery: {} at once ({} per host), updates sent after {} without edits",
        f.delivery_concurrency,
        f.delivery_per_host,
        interval(f.update_debounce)
    );
    let _ = writeln!(
        out,
        "Signed fetches: as {}/actor (instance actor), RFC 9421 first; authorized fetch {}",
        c.server.public_url.as_str().trim_end_matches('/'),
        if f.authorized_fetch {
            "on: objects, activities, outboxes and collections need a signed GET"
        } else {
            "off"
        }
    );
    out
}

/// Where translation links come from besides the feed itself.
fn translations_from(s: &crate::config::SourceConfig) -> String {
    let mut ways = vec!["feed".to_string()];
    if let Some(pattern) = &s.url_pattern {
        ways.push(format!("URL shape {}", pattern.as_str()));
    }
    if s.page_lookups {
        ways.push("article pages".to_string());
    }
    ways.join(", ")
}

/// `10485760` → `10 MiB`; exact values that are not whole units stay bytes.
fn bytes(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (size, unit) in UNITS {
        if n >= size && n.is_multiple_of(size) {
            return format!("{} {unit}", n / size);
        }
    }
    format!("{n} bytes")
}
