//! `serve`: one cancellation token from SIGINT/SIGTERM, every task tracked,
//! HTTP stops accepting first, workers drain within a bound, and a task that
//! dies unexpectedly stops the whole process loudly.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::http::{self, AppState};
use crate::ingest::poll::Poller;
use crate::store::Store;

/// How long the tasks get to finish after a stop was asked for.
const SHUTDOWN_BOUND: Duration = Duration::from_secs(20);

/// The assembled daemon, bound but not yet running: tests build one on
/// port 0 and read `local_addr` before running it.
pub struct Daemon {
    listener: TcpListener,
    state: AppState,
    poller: Arc<Poller>,
    /// The feed cache, shared by the feed routes and the WebSub task.
    feeds: crate::publish::Feeds,
}

impl Daemon {
    pub async fn build(config: Config) -> anyhow::Result<Daemon> {
        let config = Arc::new(config);
        let store = Store::open(&config.database.url).await.with_context(|| {
            format!(
                "opening the database {}",
                crate::config::mask_url(&config.database.url)
            )
        })?;
        let listener = TcpListener::bind(config.server.bind)
            .await
            .with_context(|| format!("binding {}", config.server.bind))?;
        let poller = Arc::new(Poller::new(Arc::clone(&config), store.clone())?);
        let feeds = crate::publish::Feeds::new(Arc::clone(&config), store.clone());
        Ok(Daemon {
            listener,
            state: AppState {
                config: config.into(),
                store,
            },
            poller,
            feeds,
        })
    }

    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// Runs HTTP and the poller until `cancel` fires or one of them fails.
    pub async fn run_until_stopped(self, cancel: CancellationToken) -> anyhow::Result<()> {
        let mut tasks: JoinSet<(&'static str, anyhow::Result<()>)> = JoinSet::new();
        let app = http::router_with_poller(
            self.state.clone(),
            self.feeds.clone(),
            Some(Arc::clone(&self.poller)),
        );
        let http_cancel = cancel.clone();
        let listener = self.listener;
        tasks.spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move { http_cancel.cancelled().await })
                .await
                .map_err(anyhow::Error::from);
            ("http", served)
        });
        let poll_cancel = cancel.clone();
        let poller = self.poller;
        let (reload_poller, reload_cancel) = (Arc::clone(&poller), cancel.clone());
        let websub_poller = Arc::clone(&poller);
        tasks.spawn(async move { ("poller", poller.run_until_stopped(poll_cancel).await) });
        let config = self.state.config.get();
        let path = config.path.clone();
        let reload = Reload {
            poller: reload_poller,
            feeds: self.feeds.clone(),
            live: self.state.config.clone(),
        };
        tasks.spawn(async move {
            (
                "reload",
                reload_on_hangup(path, reload, reload_cancel).await,
            )
        });
        if config.websub.builtin {
            // We are the hub: no pings; watch the feeds and deliver.
            let (feeds, watch_cancel) = (self.feeds.clone(), cancel.clone());
            tasks.spawn(async move {
                (
                    "websub hub",
                    crate::websub::hub::watch(feeds, watch_cancel).await,
                )
            });
            let (store, send_cancel) = (self.state.store.clone(), cancel.clone());
            let send_config = Arc::clone(&config);
            tasks.spawn(async move {
                let sent = crate::websub::delivery::run(send_config, store, send_cancel).await;
                ("websub delivery", sent)
            });
        } else if let Some(pinger) = crate::publish::websub::Pinger::new(self.feeds.clone())? {
            let websub_cancel = cancel.clone();
            tasks.spawn(async move { ("websub", pinger.run_until_stopped(websub_cancel).await) });
        }
        let subscriber = crate::websub::subscriber::Subscriber::new(
            &config,
            Arc::clone(&websub_poller),
            self.state.store.clone(),
        )?;
        let sub_cancel = cancel.clone();
        tasks.spawn(async move {
            (
                "websub subscriber",
                subscriber.run_until_stopped(sub_cancel).await,
            )
        });
        let fed =
            crate::federation::Federation::new(Arc::clone(&config), self.state.store.clone())?;
        let (plan_fed, plan_cancel, send_cancel) =
            (Arc::clone(&fed), cancel.clone(), cancel.clone());
        tasks.spawn(async move {
            let planned = crate::federation::planner::run(plan_fed, plan_cancel).await;
            ("federation planner", planned)
        });
        tasks.spawn(async move {
            let sent = crate::federation::delivery::run(fed, send_cancel).await;
            ("federation delivery", sent)
        });
        let upkeep_cancel = cancel.clone();
        tasks.spawn(async move {
            crate::observe::run_upkeep_until_stopped(upkeep_cancel).await;
            ("metrics upkeep", Ok(()))
        });
        tracing::info!("wirebridge is running");

        let mut failure = None;
        while let Some(joined) = tokio::select! {
            j = tasks.join_next() => j,
            _ = cancel.cancelled() => None,
        } {
            let (name, result) = joined.context("a task panicked")?;
            report_exit(name, &result, &cancel);
            if let Err(e) = result {
                failure = Some(e.context(format!("{name} failed")));
            }
            cancel.cancel();
        }
        cancel.cancel();
        let drain = async {
            while let Some(joined) = tasks.join_next().await {
                if let Ok((name, result)) = joined {
                    report_exit(name, &result, &cancel);
                }
            }
        };
        if tokio::time::timeout(SHUTDOWN_BOUND, drain).await.is_err() {
            tracing::warn!("tasks still running after {SHUTDOWN_BOUND:?}; stopping anyway");
            tasks.abort_all();
        }
        self.state.store.close().await;
        tracing::info!("wirebridge stopped");
        failure.map_or(Ok(()), Err)
    }
}

fn report_exit(name: &str, result: &anyhow::Result<()>, cancel: &CancellationToken) {
    match result {
        Ok(()) if cancel.is_cancelled() => tracing::info!(task = name, "stopped"),
        Ok(()) => tracing::error!(task = name, "stopped unexpectedly"),
        Err(e) => tracing::error!(task = name, error = format!("{e:#}"), "failed"),
    }
}

/// Who adopts a reloaded configuration.
struct Reload {
    poller: Arc<Poller>,
    feeds: crate::publish::Feeds,
    live: crate::config::Live,
}

/// SIGHUP: re-reads and re-validates the configuration file; a good one
/// reaches the poller and linker (sources, roles, URL shapes), the feeds
/// and the pages (sources' names and roles), a bad one is logged and the
/// running configuration kept. The listening address, the public URL, the
/// database, actors and the WebSub mode need a restart.
async fn reload_on_hangup(
    path: std::path::PathBuf,
    reload: Reload,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hangups = signal(SignalKind::hangup()).context("listening for SIGHUP")?;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                got = hangups.recv() => if got.is_none() { return Ok(()) },
            }
            match Config::load(&path) {
                Ok(config) => {
                    let sources = config.sources.len();
                    let config = Arc::new(config);
                    match reload.poller.replace_config(Arc::clone(&config)).await {
                        Ok(()) => {
                            reload.feeds.replace_config(Arc::clone(&config));
                            reload.live.set(config);
                            tracing::info!(sources, "configuration reloaded");
                        }
                        Err(e) => tracing::error!(error = format!("{e:#}"), "reload failed"),
                    }
                }
                Err(e) => tracing::error!(
                    config = %path.display(),
                    error = %e,
                    "the configuration file is invalid; keeping the running one"
                ),
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (path, poller);
        cancel.cancelled().await;
        Ok(())
    }
}

/// Runs the daemon until SIGINT/SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let daemon = Daemon::build(config).await?;
    tracing::info!(addr = %daemon.local_addr()?, "listening");
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    let signals = async move {
        shutdown_signal().await;
        tracing::info!("stop requested; shutting down");
        on_signal.cancel();
    };
    let (result, ()) = tokio::join!(daemon.run_until_stopped(cancel.clone()), async {
        tokio::select! {
            _ = signals => {}
            _ = cancel.cancelled() => {}
        }
    });
    result
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
