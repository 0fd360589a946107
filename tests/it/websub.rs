//! WebSub both ways, on loopback: an outlet's hub pushing to our callback
//! (`subscriber`), and our own hub serving a subscriber (`hub`). Every
//! daemon here binds a fixed free port so that its public URL — which the
//! callbacks and topics are built on — is where it really listens.

mod hub;
mod interop;
mod outlet;
mod store;
mod subscriber;

use std::path::Path;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use wirebridge::config::Config;
use wirebridge::daemon::Daemon;
use wirebridge::store::Store;

pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A daemon's configuration on `port`, with one `publisher` source at
/// `source_url` and one actor, plus `extra` TOML.
pub fn config(db: &str, port: u16, source_url: &str, extra: &str) -> Config {
    let text = format!(
        r#"
[server]
bind = "127.0.0.1:{port}"
public_url = "http://127.0.0.1:{port}"

[database]
url = "{db}"

[publisher]
name = "The Wire"
languages = ["en"]

[fetch]
allow_private_addresses = true
timeout = "5s"
connect_timeout = "2s"

[[actors]]
username = "wire"

[federation]
update_debounce = "0s"

[[sources]]
id = "outlet"
name = "Outlet"
role = "publisher"
url = "{source_url}"
language = "en"
poll_every = "10m"
{extra}
"#
    );
    Config::parse(Path::new("websub.toml"), &text).expect("test config")
}

pub struct Running {
    pub base: String,
    pub store: Store,
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Builds the daemon and runs it in the background.
    pub async fn start(config: Config) -> Running {
        let base = config
            .server
            .public_url
            .as_str()
            .trim_end_matches('/')
            .to_string();
        let daemon = Daemon::build(config).await.expect("daemon");
        let store = daemon.store().clone();
        let cancel = CancellationToken::new();
        let task = tokio::spawn(daemon.run_until_stopped(cancel.clone()));
        Running {
            base,
            store,
            cancel,
            task,
        }
    }

    pub async fn stop(self) {
        self.cancel.cancel();
        self.task
            .await
            .expect("join")
            .expect("daemon stopped cleanly");
    }

    pub async fn get(&self, path: &str) -> String {
        reqwest::Client::new()
            .get(format!("{}{path}", self.base))
            .header("accept", "application/activity+json")
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("body")
    }
}

/// Polls `check` every 50 ms until it holds or `limit` passes; returns how
/// long it took, or `None`.
pub async fn within<F, Fut>(limit: Duration, mut check: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while started.elapsed() < limit {
        if check().await {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}
