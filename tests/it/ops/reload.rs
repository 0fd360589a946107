//! SIGHUP: `serve` re-reads its file and polls a source added to it
//! without a restart, and its pages know the source too; a broken file is
//! refused and the daemon carries on.

// In tests a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{config_toml, sqlite_url, FeedServer, Reply, Src};

fn write(path: &Path, db: &str, port: u16, sources: &[Src<'_>]) {
    // 10 s (the shortest allowed) so a new source's first poll comes
    // within seconds.
    let toml = config_toml(db, sources)
        .replace("poll_every = \"10m\"", "poll_every = \"10s\"")
        .replace("127.0.0.1:0", &format!("127.0.0.1:{port}"));
    std::fs::write(path, toml).unwrap();
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

const TOKEN: &str = "reload-test-token";

async fn wait_for(what: &str, bound: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < bound, "{what} within {bound:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn signal(child: &Child, sig: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on a child process we spawned and still own.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
}

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn a_source_added_to_the_file_is_polled_after_sighup_and_a_broken_file_is_refused() {
    let feeds = FeedServer::start().await;
    feeds.set(
        "/alpha.xml",
        Reply::ok("application/rss+xml", super::rss(2)),
    );
    feeds.set("/beta.xml", Reply::ok("application/rss+xml", super::rss(3)));
    let (dir, db) = sqlite_url();
    let config = dir.path().join("wb.toml");
    let log = dir.path().join("serve.log");
    let (alpha, beta) = (feeds.url("/alpha.xml"), feeds.url("/beta.xml"));
    let alpha_src = Src {
        id: "alpha",
        url: &alpha,
        language: "en",
        role: "outlet",
    };
    let beta_src = Src {
        id: "beta",
        url: &beta,
        language: "en",
        role: "outlet",
    };
    let port = free_port();
    write(&config, &db, port, &[alpha_src]);

    let mut serve = Serve(
        Command::new(env!("CARGO_BIN_EXE_wirebridge"))
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .env_remove("WIREBRIDGE_DATABASE_URL")
            .env("WIREBRIDGE_ADMIN_TOKEN", TOKEN)
            .env_remove("WIREBRIDGE_CONFIG")
            .env("RUST_LOG", "info,sqlx=warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start wirebridge serve"),
    );
    let polled = |path: &str| feeds.seen().iter().any(|s| s.path == path);
    wait_for(
        "the first source's first poll",
        Duration::from_secs(30),
        || polled("/alpha.xml"),
    )
    .await;
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
    wait_for("the daemon to say it runs", Duration::from_secs(10), || {
        log_text().contains("wirebridge is running")
    })
    .await;
    assert!(!polled("/beta.xml"));

    write(
        &config,
        &db,
        port,
        &[
            Src {
                id: "alpha",
                url: &alpha,
                language: "en",
                role: "outlet",
            },
            beta_src,
        ],
    );
    signal(&serve.0, libc::SIGHUP);
    wait_for(
        "the added source's first poll",
        Duration::from_secs(30),
        || polled("/beta.xml"),
    )
    .await;
    assert!(
        log_text().contains("configuration reloaded"),
        "{}",
        log_text()
    );
    // The HTTP side adopted the file too: the status page knows the source.
    let page = crate::support::admin_page(&format!("http://127.0.0.1:{port}"), TOKEN).await;
    assert!(page.contains("beta"), "{page}");
    assert!(
        !page.contains("not configured"),
        "a source added by SIGHUP is shown as configured: {page}"
    );

    std::fs::write(&config, "[server]\nbind = 12\n").unwrap();
    signal(&serve.0, libc::SIGHUP);
    wait_for("the refusal in the log", Duration::from_secs(10), || {
        log_text().contains("keeping the running one")
    })
    .await;
    assert!(
        log_text().contains("wb.toml:2:"),
        "the error names the line: {}",
        log_text()
    );
    assert!(
        serve.0.try_wait().unwrap().is_none(),
        "still running after a bad reload"
    );

    signal(&serve.0, libc::SIGTERM);
    let start = Instant::now();
    let status = loop {
        if let Some(status) = serve.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "stopped within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "{}", log_text());

    let store = wirebridge::store::Store::open(&db).await.unwrap();
    let counts = store.entry_counts().await.unwrap();
    assert!(
        counts.contains(&(crate::support::source_id("beta"), 3)),
        "{counts:?}"
    );
}
