//! Operating the bridge: `/metrics` parsed as Prometheus text, the admin
//! status page (in headless Chromium too), the operator commands run as the
//! real binary, and a configuration reload on SIGHUP.

mod admin;
mod commands;
mod metrics;
mod reload;
mod unreadable;

use std::sync::Arc;

use chrono::Utc;
use wirebridge::app::App as Services;
use wirebridge::config::Config;
use wirebridge::http::router;
use wirebridge::linker::Linker;
use wirebridge::store::Store;

use crate::support::{config_toml, sqlite_url, Src};

/// The application on a loopback port with a fresh SQLite database.
pub struct App {
    pub store: Store,
    /// The linker of the served process (its changes reach the feeds).
    pub linker: Arc<Linker>,
    /// The poller of the served process.
    pub poller: Arc<wirebridge::ingest::poll::Poller>,
    pub base: String,
    pub client: reqwest::Client,
    /// The configuration as written, for running the binary against the
    /// same database.
    pub toml: String,
    _dir: tempfile::TempDir,
}

/// A source id no other test uses: the metrics recorder is process-wide.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", hex::encode(rand::random::<[u8; 4]>()))
}

/// Boots the router; `extra` is appended to the TOML (an `[admin]` table,
/// `[[actors]]`).
pub async fn app(sources: &[Src<'_>], extra: &str) -> App {
    let (dir, db) = sqlite_url();
    let toml = format!("{}\n{extra}", config_toml(&db, sources));
    let config = Arc::new(
        Config::parse_with_env(std::path::Path::new("ops.toml"), &toml, &|_| None)
            .expect("test config"),
    );
    let store = Store::open(&db).await.expect("store");
    let services = Services::build(Arc::clone(&config), store.clone()).expect("services");
    services
        .poller
        .sync_sources()
        .await
        .expect("sources registered");
    let linker = Arc::clone(&services.linker);
    let poller = Arc::clone(&services.poller);
    let app = router(services);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .expect("client");
    App {
        store,
        linker,
        poller,
        base,
        client,
        toml,
        _dir: dir,
    }
}

impl App {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stores entries and links them as a poll would.
    pub async fn add(&self, entries: &[wirebridge::domain::Entry]) {
        let summary = self
            .store
            .upsert_entries(entries, Utc::now())
            .await
            .expect("upsert");
        self.linker
            .link_entries(&summary.changed_ids)
            .await
            .expect("link");
    }
}

/// An RSS 2.0 feed of `n` invented items.
pub fn rss(n: usize) -> String {
    let items: String = (1..=n)
        .map(|i| {
            format!(
                "<item><title>Tide gauge report {i}</title>\
                 <link>https://coastal-notes.example/report-{i}</link>\
                 <guid>urn:coastal-notes:report-{i}</guid>\
                 <description>Water levels along the quay, week {i}.</description>\
                 <pubDate>Mon, 0{i} Jun 2026 08:00:00 GMT</pubDate></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Coastal Notes</title>\
         <link>https://coastal-notes.example/</link><description>Notes</description>\
         <language>en</language>{items}</channel></rss>"
    )
}
