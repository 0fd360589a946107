//! Shared test helpers: fresh databases (SQLite in a temp dir, PostgreSQL
//! when `WIREBRIDGE_TEST_POSTGRES_URL` is set), configs, sample entries and
//! a tiny loopback feed server whose responses a test can change.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use chrono::{TimeZone, Utc};
use sqlx::{AssertSqlSafe, Connection};
use wirebridge::config::Config;
use wirebridge::domain::{
    Entry, EntryKey, EntryLink, Image, Lang, LangOrigin, LinkRel, Person, SourceId,
};

/// A fresh SQLite database file in its own temp dir (kept alive by the
/// returned guard).
pub fn sqlite_url() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("wb.sqlite").display());
    (dir, url)
}

/// A fresh PostgreSQL database, or `None` (and a line saying so) when
/// `WIREBRIDGE_TEST_POSTGRES_URL` is not set. Set but unreachable is a
/// failure, never a skip (see `create_database`).
pub async fn postgres_url(test: &str) -> Option<String> {
    let Ok(base) = std::env::var("WIREBRIDGE_TEST_POSTGRES_URL") else {
        eprintln!("{test}: skipped PostgreSQL (WIREBRIDGE_TEST_POSTGRES_URL is not set)");
        return None;
    };
    Some(create_database(&base).await)
}

/// A fresh database on the server at `base`, its URL. Panics when the
/// server cannot be reached within ten seconds: a URL that is set means
/// PostgreSQL is expected, and a test that quietly skipped would report
/// coverage it never had.
pub async fn create_database(base: &str) -> String {
    let connect = sqlx::PgConnection::connect(base);
    let mut conn = match tokio::time::timeout(std::time::Duration::from_secs(10), connect).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => panic!("cannot reach PostgreSQL at WIREBRIDGE_TEST_POSTGRES_URL={base}: {e}"),
        Err(_) => panic!(
            "cannot reach PostgreSQL at WIREBRIDGE_TEST_POSTGRES_URL={base}: no answer within 10 s"
        ),
    };
    let name = format!("wb_test_{}", hex::encode(rand::random::<[u8; 6]>()));
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    conn.close().await.ok();
    let mut url = url::Url::parse(base).expect("postgres url");
    url.set_path(&name);
    url.to_string()
}

/// Drops a database made by `postgres_url` (best effort).
pub async fn drop_postgres(url: &str) {
    let Ok(base) = std::env::var("WIREBRIDGE_TEST_POSTGRES_URL") else {
        return;
    };
    let Some(name) = url.rsplit('/').next().filter(|n| n.starts_with("wb_test_")) else {
        return;
    };
    if let Ok(mut conn) = sqlx::PgConnection::connect(&base).await {
        let _ = sqlx::query(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
    }
}

/// One `[[sources]]` table for `config`.
pub struct Src<'a> {
    pub id: &'a str,
    pub url: &'a str,
    pub language: &'a str,
    pub role: &'a str,
}

/// The sources most tests use: the outlet and the publisher's feeds in
/// five languages (none of them is ever fetched by those tests).
pub const WIRE_SOURCES: &[Src<'static>] = &[
    Src {
        id: "harbor",
        url: "https://harborledger.example/feed",
        language: "en",
        role: "outlet",
    },
    Src {
        id: "wire-en",
        url: "https://wire.example.org/en/feed",
        language: "en",
        role: "publisher",
    },
    Src {
        id: "wire-fr",
        url: "https://wire.example.org/fr/feed",
        language: "fr",
        role: "publisher",
    },
    Src {
        id: "wire-de",
        url: "https://wire.example.org/de/feed",
        language: "de",
        role: "publisher",
    },
    Src {
        id: "wire-br",
        url: "https://wire.example.org/pt-br/feed",
        language: "pt-BR",
        role: "publisher",
    },
    Src {
        id: "wire-ar",
        url: "https://wire.example.org/ar/feed",
        language: "ar",
        role: "publisher",
    },
];

/// Serves `app` on 127.0.0.1, port 0, for the rest of the test; its base URL.
pub async fn serve_app(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

pub fn config_toml(db_url: &str, sources: &[Src<'_>]) -> String {
    let mut toml = format!(
        r#"
[server]
bind = "127.0.0.1:0"
public_url = "https://wire.example.org"

[database]
url = "{db_url}"

[publisher]
name = "The Wire"
languages = ["en", "pt-BR", "de", "fr", "ar"]

[fetch]
allow_private_addresses = true
timeout = "5s"
connect_timeout = "2s"
"#
    );
    for s in sources {
        toml.push_str(&format!(
            "\n[[sources]]\nid = \"{}\"\nname = \"{}\"\nrole = \"{}\"\nurl = \"{}\"\nlanguage = \"{}\"\npoll_every = \"10m\"\n",
            s.id, s.id, s.role, s.url, s.language
        ));
    }
    toml
}

pub fn config(db_url: &str, sources: &[Src<'_>]) -> Config {
    Config::parse(Path::new("test.toml"), &config_toml(db_url, sources)).expect("test config")
}

pub fn lang(tag: &str) -> Lang {
    Lang::parse(tag).expect("lang")
}

pub fn source_id(id: &str) -> SourceId {
    SourceId::parse(id).expect("source id")
}

/// A fully populated entry, as normalize would produce it.
pub fn sample_entry(source: &str, n: u32, language: &str) -> Entry {
    Entry {
        source: source_id(source),
        key: EntryKey::from_guid(&format!("urn:test:{source}:{n}")),
        guid: Some(format!("urn:test:{source}:{n}")),
        url: Some(format!("https://wire.example.org/{language}/story-{n}")),
        canonical_url: Some(format!("https://wire.example.org/{language}/story-{n}")),
        language: lang(language),
        language_origin: LangOrigin::Entry,
        title: format!("Story number {n}"),
        summary: Some("<p>A short teaser.</p>".into()),
        content: Some(format!("<p>Body of story {n}.</p>")),
        authors: vec![Person {
            name: "Ana Example".into(),
            url: None,
        }],
        translators: vec![Person {
            name: "Bruno Tradutor".into(),
            url: Some("https://wire.example.org/people/bruno".into()),
        }],
        categories: vec!["Climate".into(), "Labour".into()],
        image: Some(Image {
            url: format!("https://wire.example.org/img/{n}.jpg"),
            alt: Some("A harbour at dawn".into()),
            mime: Some("image/jpeg".into()),
        }),
        published: Utc
            .timestamp_opt(1_780_000_000 + i64::from(n) * 60, 0)
            .single(),
        updated: None,
        links: vec![EntryLink {
            rel: LinkRel::Alternate,
            href: format!("https://wire.example.org/en/story-{n}"),
            hreflang: Some(lang("en")),
            title: None,
        }],
    }
}

/// What the feed server answers on one path.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// How long the server waits before answering.
    pub delay: std::time::Duration,
}

impl Reply {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            delay: std::time::Duration::ZERO,
        }
    }
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: std::time::Duration::ZERO,
        }
    }
    pub fn after(mut self, delay: std::time::Duration) -> Reply {
        self.delay = delay;
        self
    }
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A request the server saw.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub headers: HeaderMap,
    pub at: std::time::Instant,
}

#[derive(Clone, Default)]
pub struct FeedServer {
    replies: Arc<Mutex<HashMap<String, Reply>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    hits: Arc<AtomicUsize>,
    in_flight: Arc<AtomicUsize>,
    most_in_flight: Arc<AtomicUsize>,
    pub addr: Option<SocketAddr>,
}

impl FeedServer {
    /// Starts serving on 127.0.0.1, port 0. Unknown paths answer 404.
    pub async fn start() -> FeedServer {
        let mut server = FeedServer::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        server.addr = Some(listener.local_addr().expect("addr"));
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(server.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr.expect("started"), path)
    }

    pub fn set(&self, path: &str, reply: Reply) {
        self.replies
            .lock()
            .expect("lock")
            .insert(path.to_string(), reply);
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// The most requests the server was answering at one moment.
    pub fn most_in_flight(&self) -> usize {
        self.most_in_flight.load(Ordering::SeqCst)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

async fn answer(State(server): State<FeedServer>, req: Request) -> Response {
    server.hits.fetch_add(1, Ordering::SeqCst);
    let path = req.uri().path().to_string();
    server.seen.lock().expect("lock").push(Seen {
        path: path.clone(),
        headers: req.headers().clone(),
        at: std::time::Instant::now(),
    });
    let reply = server.replies.lock().expect("lock").get(&path).cloned();
    let now = server.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    server.most_in_flight.fetch_max(now, Ordering::SeqCst);
    if let Some(r) = &reply {
        tokio::time::sleep(r.delay).await;
    }
    server.in_flight.fetch_sub(1, Ordering::SeqCst);
    let Some(reply) = reply else {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Body::from("no such feed"))
            .expect("response");
    };
    let mut resp = Response::builder()
        .status(reply.status)
        .body(Body::from(reply.body))
        .expect("response");
    for (name, value) in reply.headers {
        resp.headers_mut().append(
            HeaderName::try_from(name).expect("header name"),
            HeaderValue::try_from(value).expect("header value"),
        );
    }
    resp
}

/// `/admin` at `base` with the operator's `token`, as text (it must answer
/// 200).
pub async fn admin_page(base: &str, token: &str) -> String {
    let r = reqwest::Client::new()
        .get(format!("{base}/admin"))
        .bearer_auth(token)
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await
        .expect("admin");
    assert_eq!(r.status(), 200, "/admin");
    r.text().await.expect("admin page")
}

/// The poller of a process built on `store` (its own linker and client,
/// as `serve` would build them).
pub fn poller(
    config: impl Into<wirebridge::config::Live>,
    store: wirebridge::store::Store,
) -> Arc<wirebridge::ingest::poll::Poller> {
    wirebridge::app::App::build(config, store)
        .expect("services")
        .poller
}
