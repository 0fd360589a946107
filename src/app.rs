//! The composition root: every service of one process, built once and
//! handed out — to the daemon's workers and to the HTTP router (whose
//! handlers take the parts they need as axum sub-states, `FromRef`). One
//! configuration handle that SIGHUP swaps, one store, one guarded outbound
//! client, one linker (whose "stories changed" channel wakes the feed
//! cache and the federation planner), one poller, one feed cache, one
//! federation, one WebSub hub. Nothing else constructs these: a route or
//! a worker that built its own copy would be a second source of truth.

use std::sync::Arc;

use anyhow::Context;
use axum::extract::FromRef;
use tokio_util::task::TaskTracker;

use crate::config::{Config, Live};
use crate::federation::verify::Verifier;
use crate::federation::{Federation, Inbox};
use crate::ingest::poll::Poller;
use crate::linker::Linker;
use crate::net::{FetchSettings, Fetcher};
use crate::observe::RejectionLog;
use crate::publish::Feeds;
use crate::store::Store;
use crate::websub::hub::Hub;

/// One process's services; cheap to clone.
#[derive(Clone)]
pub struct App {
    /// The running configuration; SIGHUP replaces it (`Live::set`) and
    /// every part reads it through this handle.
    pub config: Live,
    pub store: Store,
    /// The guarded outbound client: feeds, actors, deliveries, WebSub.
    pub fetcher: Arc<Fetcher>,
    pub linker: Arc<Linker>,
    pub poller: Arc<Poller>,
    pub feeds: Feeds,
    pub federation: Arc<Federation>,
    /// Checks HTTP signatures (inbox POSTs, authorized fetch).
    pub verifier: Arc<Verifier>,
    pub inbox: Arc<Inbox>,
    pub rejections: Arc<RejectionLog>,
    /// Our own WebSub hub, when `websub.hub = "builtin"`.
    pub hub: Option<Arc<Hub>>,
    /// Short background jobs started by requests (a hub's verification of
    /// intent, a batch of inbox rejections written): the daemon waits for
    /// them when it stops.
    pub tasks: TaskTracker,
}

impl App {
    /// Opens the configured database (created and migrated if needed),
    /// then builds every service on it.
    pub async fn open(config: Config) -> anyhow::Result<App> {
        let store = Store::open(&config.database.url).await.with_context(|| {
            format!(
                "opening the database {}",
                crate::config::mask_url(&config.database.url)
            )
        })?;
        App::build(config, store)
    }

    /// Every service on `store`; fails (before anything serves) when one
    /// cannot be built.
    pub fn build(config: impl Into<Live>, store: Store) -> anyhow::Result<App> {
        let config: Live = config.into();
        let now = config.get();
        let fetcher = Arc::new(
            Fetcher::new(FetchSettings::from_config(&now))
                .context("building the outbound HTTP client")?,
        );
        let linker = Arc::new(Linker::new(store.clone(), config.clone()));
        let poller = Arc::new(Poller::new(
            config.clone(),
            store.clone(),
            Arc::clone(&linker),
            Arc::clone(&fetcher),
        ));
        let feeds = Feeds::new(config.clone(), store.clone(), linker.changes());
        let federation = Federation::new(Arc::clone(&now), store.clone(), Arc::clone(&fetcher))
            .context("setting up federation")?;
        let tasks = TaskTracker::new();
        let hub = now.websub.builtin.then(|| {
            Arc::new(Hub::new(
                Arc::clone(&now),
                feeds.clone(),
                Arc::clone(&fetcher),
            ))
        });
        let verifier = Arc::new(Verifier::new(Arc::clone(&federation)));
        Ok(App {
            inbox: Arc::new(Inbox::with_verifier(Arc::clone(&verifier))),
            verifier,
            rejections: RejectionLog::new(store.clone(), tasks.clone()),
            config,
            store,
            fetcher,
            linker,
            poller,
            feeds,
            federation,
            hub,
            tasks,
        })
    }
}

impl FromRef<App> for Live {
    fn from_ref(app: &App) -> Live {
        app.config.clone()
    }
}

impl FromRef<App> for Store {
    fn from_ref(app: &App) -> Store {
        app.store.clone()
    }
}

impl FromRef<App> for Feeds {
    fn from_ref(app: &App) -> Feeds {
        app.feeds.clone()
    }
}

impl FromRef<App> for Arc<Federation> {
    fn from_ref(app: &App) -> Arc<Federation> {
        Arc::clone(&app.federation)
    }
}

impl FromRef<App> for Arc<Poller> {
    fn from_ref(app: &App) -> Arc<Poller> {
        Arc::clone(&app.poller)
    }
}
