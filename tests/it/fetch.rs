//! The fetcher against real HTTP servers on 127.0.0.1: politeness
//! (validators, redirects, status codes, cache hints) and safety (deadline,
//! body cap, gzip bombs, the private-address guard, `file:` and schemes).

use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Request};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;
use wirebridge::net::{FetchError, FetchOutcome, FetchSettings, Fetched, Fetcher, Validators};

mod limits;
mod polite;
mod redirects;
mod safety;

const FEED: &str = "<rss version=\"2.0\"><channel><title>Harbour notes</title></channel></rss>";
const CAP: u64 = 1024 * 1024;

/// Guard on, nothing trusted, limits small enough for tests to hit.
fn settings() -> FetchSettings {
    FetchSettings {
        user_agent: "wirebridge/0.1.0 (+https://ops.example.org/contact)".to_owned(),
        allow_private_addresses: false,
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(5),
        max_body_bytes: CAP,
        max_redirects: 5,
        trusted_addresses: Vec::new(),
    }
}

fn fetcher(settings: FetchSettings) -> Fetcher {
    Fetcher::new(settings).expect("fetcher builds")
}

/// A fetcher whose guard is on but lets this one test server through.
fn trusting(server: &Server) -> Fetcher {
    fetcher(FetchSettings {
        trusted_addresses: vec![server.addr],
        ..settings()
    })
}

struct Server {
    addr: SocketAddr,
    /// Every request the server received, whatever the path.
    hits: Arc<AtomicUsize>,
}

impl Server {
    fn url(&self, path: &str) -> Url {
        Url::parse(&format!("http://{}{path}", self.addr)).expect("test URL parses")
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn serve(app: Router) -> Server {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let app = app.layer(middleware::from_fn(move |req: Request, next: Next| {
        counter.fetch_add(1, Ordering::SeqCst);
        next.run(req)
    }));
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    Server { addr, hits }
}

fn redirect(status: StatusCode, to: &str) -> Response {
    (status, [(header::LOCATION, to.to_owned())]).into_response()
}

fn feed_route() -> Router {
    Router::new().route(
        "/feed",
        get(|| async { ([(header::CONTENT_TYPE, "application/rss+xml")], FEED) }),
    )
}

fn fetched(outcome: FetchOutcome) -> Fetched {
    match outcome {
        FetchOutcome::Fetched(f) => f,
        other => panic!("expected a fetched body, got {other:?}"),
    }
}

fn failure(outcome: FetchOutcome) -> FetchError {
    match outcome {
        FetchOutcome::Failed(e) => e,
        other => panic!("expected a failure, got {other:?}"),
    }
}
