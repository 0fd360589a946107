//! `serve`: builds every service once (`App`), starts the workers and
//! HTTP, and stops in order: HTTP stops accepting first (its own token),
//! then the workers get a bounded time to drain, then the background jobs
//! requests started. A task that ends unexpectedly stops the whole process
//! loudly.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::config::{Config, Live};
use crate::store::Store;

/// How long HTTP, then the workers, get to finish after a stop was asked.
const SHUTDOWN_BOUND: Duration = Duration::from_secs(20);

/// The assembled daemon, bound but not yet running: tests build one on
/// port 0 and read `local_addr` before running it.
pub struct Daemon {
    listener: TcpListener,
    app: App,
    /// Announces feed changes to an external WebSub hub, if one is set.
    pinger: Option<crate::publish::websub::Pinger>,
}

/// Named long-running tasks; each ends with its name and result.
type Tasks = JoinSet<(&'static str, anyhow::Result<()>)>;

impl Daemon {
    /// Every service, then the listening socket: a service that cannot be
    /// built fails `serve` before anything is served.
    pub async fn build(config: Config) -> anyhow::Result<Daemon> {
        let bind = config.server.bind;
        let app = App::open(config).await?;
        let pinger = if app.hub.is_some() {
            None
        } else {
            crate::publish::websub::Pinger::new(app.feeds.clone())
                .context("setting up WebSub pings")?
        };
        let listener = TcpListener::bind(bind)
            .await
            .with_context(|| format!("binding {bind}"))?;
        Ok(Daemon {
            listener,
            app,
            pinger,
        })
    }

    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    pub fn store(&self) -> &Store {
        &self.app.store
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    /// Runs HTTP and the workers until `cancel` fires or one of them ends.
    pub async fn run_until_stopped(self, cancel: CancellationToken) -> anyhow::Result<()> {
        let Daemon {
            listener,
            app,
            pinger,
        } = self;
        let http_stop = CancellationToken::new();
        let mut http: Tasks = JoinSet::new();
        let router = crate::http::router(app.clone());
        let stop = http_stop.clone();
        http.spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await
                .map_err(anyhow::Error::from);
            ("http", served)
        });
        let workers_stop = CancellationToken::new();
        let mut workers = start_workers(&app, pinger, &workers_stop);
        tracing::info!("wirebridge is running");

        let mut failure = None;
        tokio::select! {
            _ = cancel.cancelled() => {}
            Some(joined) = http.join_next() => failure = ended(joined, &cancel),
            Some(joined) = workers.join_next() => failure = ended(joined, &cancel),
        }
        cancel.cancel();
        // HTTP first: no new requests while the workers wind down.
        http_stop.cancel();
        drain("http", &mut http, &cancel).await;
        workers_stop.cancel();
        drain("workers", &mut workers, &cancel).await;
        app.tasks.close();
        if tokio::time::timeout(SHUTDOWN_BOUND, app.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("background jobs still running after {SHUTDOWN_BOUND:?}");
        }
        app.store.close().await;
        tracing::info!("wirebridge stopped");
        failure.map_or(Ok(()), Err)
    }
}

/// Every long-running worker of the process, each on `app`'s services.
fn start_workers(
    app: &App,
    pinger: Option<crate::publish::websub::Pinger>,
    stop: &CancellationToken,
) -> Tasks {
    let mut tasks: Tasks = JoinSet::new();
    let mut spawn = |name: &'static str, work: std::pin::Pin<Box<dyn WorkFuture>>| {
        tasks.spawn(async move { (name, work.await) });
    };
    let config = app.config.get();
    spawn(
        "poller",
        Box::pin(Arc::clone(&app.poller).run_until_stopped(stop.clone())),
    );
    spawn(
        "reload",
        Box::pin(reload_on_hangup(
            config.path.clone(),
            app.config.clone(),
            stop.clone(),
        )),
    );
    if app.hub.is_some() {
        // We are the hub: no pings; watch the feeds and deliver.
        spawn(
            "websub hub",
            Box::pin(crate::websub::hub::watch(app.feeds.clone(), stop.clone())),
        );
        spawn(
            "websub delivery",
            Box::pin(crate::websub::delivery::run(
                Arc::clone(&config),
                app.store.clone(),
                Arc::clone(&app.fetcher),
                stop.clone(),
            )),
        );
    } else if let Some(pinger) = pinger {
        spawn("websub", Box::pin(pinger.run_until_stopped(stop.clone())));
    }
    let subscriber = crate::websub::subscriber::Subscriber::new(
        app.config.clone(),
        app.store.clone(),
        Arc::clone(&app.fetcher),
    );
    spawn(
        "websub subscriber",
        Box::pin(subscriber.run_until_stopped(stop.clone())),
    );
    spawn(
        "federation planner",
        Box::pin(crate::federation::planner::run(
            Arc::clone(&app.federation),
            app.linker.changes(),
            stop.clone(),
        )),
    );
    spawn(
        "federation delivery",
        Box::pin(crate::federation::delivery::run(
            Arc::clone(&app.federation),
            stop.clone(),
        )),
    );
    let upkeep = stop.clone();
    spawn(
        "metrics upkeep",
        Box::pin(async move {
            crate::observe::run_upkeep_until_stopped(upkeep).await;
            Ok(())
        }),
    );
    tasks
}

/// A worker's body: runs until its token fires.
trait WorkFuture: Future<Output = anyhow::Result<()>> + Send {}
impl<F: Future<Output = anyhow::Result<()>> + Send> WorkFuture for F {}

/// A task ended before anyone asked: logged, and the process stops.
fn ended(
    joined: Result<(&'static str, anyhow::Result<()>), tokio::task::JoinError>,
    cancel: &CancellationToken,
) -> Option<anyhow::Error> {
    match joined {
        Ok((name, result)) => {
            report_exit(name, &result, cancel);
            result.err().map(|e| e.context(format!("{name} failed")))
        }
        Err(e) => {
            tracing::error!(error = %e, "a task panicked");
            Some(anyhow::anyhow!("a task panicked: {e}"))
        }
    }
}

/// Waits for `tasks` to finish within the bound, then abandons them.
async fn drain(what: &str, tasks: &mut Tasks, cancel: &CancellationToken) {
    let all = async {
        while let Some(joined) = tasks.join_next().await {
            if let Ok((name, result)) = joined {
                report_exit(name, &result, cancel);
            }
        }
    };
    if tokio::time::timeout(SHUTDOWN_BOUND, all).await.is_err() {
        tracing::warn!("{what} still running after {SHUTDOWN_BOUND:?}; stopping anyway");
        tasks.abort_all();
    }
}

fn report_exit(name: &str, result: &anyhow::Result<()>, cancel: &CancellationToken) {
    match result {
        Ok(()) if cancel.is_cancelled() => tracing::info!(task = name, "stopped"),
        Ok(()) => tracing::error!(task = name, "stopped unexpectedly"),
        Err(e) => tracing::error!(task = name, error = format!("{e:#}"), "failed"),
    }
}

/// SIGHUP: re-reads and re-validates the configuration file; a good one
/// replaces the running configuration (`Live::set`), which every part
/// reads — the poller registers sources added, the linker and the feeds
/// follow roles, names and URL shapes. A bad one is logged and the running
/// configuration kept. The listening address, the public URL, the
/// database, actors, fetch limits and the WebSub mode need a restart.
#[cfg(unix)]
async fn reload_on_hangup(
    path: PathBuf,
    live: Live,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
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
                live.set(Arc::new(config));
                tracing::info!(sources, "configuration reloaded");
            }
            Err(e) => tracing::error!(
                config = %path.display(),
                error = %e,
                "the configuration file is invalid; keeping the running one"
            ),
        }
    }
}

/// No SIGHUP here: the configuration is read once, at start.
#[cfg(not(unix))]
async fn reload_on_hangup(
    _path: PathBuf,
    _live: Live,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    cancel.cancelled().await;
    Ok(())
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
