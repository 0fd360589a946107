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
        Ok(Daemon {
            listener,
            state: AppState { config, store },
            poller,
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
        let app = http::router(self.state.clone());
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
        tasks.spawn(async move { ("poller", poller.run_until_stopped(poll_cancel).await) });
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
