//! Our side of the federation tests: the real router on loopback with
//! `public_url` pointing at it, a store with publisher and outlet sources,
//! the linker, and the federation planner and delivery worker on demand.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use wirebridge::config::Config;
use wirebridge::domain::Entry;
use wirebridge::federation::{delivery, planner, Federation};
use wirebridge::http::{router, App};
use wirebridge::linker::Linker;
use wirebridge::store::{FollowerRow, NewActivity, Store};

use super::remote::Remote;
use crate::support::{config_toml, sqlite_url, WIRE_SOURCES};

pub struct World {
    pub store: Store,
    pub fed: Arc<Federation>,
    pub base: String,
    pub linker: Arc<Linker>,
    pub remote: Remote,
    pub http: reqwest::Client,
    /// The configuration as written, for running the binary against it.
    pub toml: String,
    cancel: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for World {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Our config with `public_url` = `base`, two actors, and `extra` TOML.
pub fn fed_config_toml(db: &str, base: &str, extra: &str) -> String {
    let mut toml =
        config_toml(db, WIRE_SOURCES).replace("https://wire.example.org\"", &format!("{base}\""));
    toml.push_str(
        r#"
[[actors]]
username = "wire"
display_name = "The Wire"
summary = "Journalism in five languages."
languages = ["pt-BR", "en", "fr", "de"]
icon = "https://wire.example.org/static/avatar.png"
fields = [{ name = "Website", value = "https://wire.example.org" }]

[[actors]]
username = "wire_fr"
languages = ["fr"]
object_type = "Article"
"#,
    );
    toml.push_str(extra);
    toml
}

/// A follower of `actor` written straight into the store, as an accepted
/// Follow would leave it, but with no Accept to deliver: for fan-outs
/// wider than the fake remote's three actors.
pub async fn seed_follower(store: &Store, actor: &str, row: &FollowerRow) {
    let accept = NewActivity {
        id: format!("seed-accept-{}", row.follower),
        actor: actor.into(),
        kind: "Accept".into(),
        json: "{}".into(),
        ordering_key: format!("seed-{}", row.follower),
        inboxes: Vec::new(),
        now: Utc::now(),
    };
    store
        .fed_add_follower(actor, row, &format!("follow-{}", row.follower), &accept)
        .await
        .expect("follower");
}

pub async fn world(extra: &str) -> World {
    world_on(None, extra).await
}

/// A world on the given database URL (SQLite in a temp dir when `None`).
pub async fn world_on(db: Option<String>, extra: &str) -> World {
    let (dir, sqlite) = sqlite_url();
    let db = db.unwrap_or(sqlite);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let toml = fed_config_toml(&db, &base, extra);
    let cfg = Arc::new(Config::parse(std::path::Path::new("test.toml"), &toml).expect("config"));
    let toml = toml.clone();
    let store = Store::open(&db).await.expect("store");
    wirebridge::ingest::poll::register_sources(&store, &cfg)
        .await
        .expect("sources");
    let app = App::build(cfg, store.clone()).expect("services");
    let linker = Arc::clone(&app.linker);
    let fed = Arc::clone(&app.federation);
    fed.ensure_actors().await.expect("actors");
    let app = router(app);
    tokio::spawn(async move { axum::serve(listener, app).await });
    World {
        store,
        fed,
        base,
        linker,
        remote: Remote::start().await,
        http: reqwest::Client::new(),
        toml,
        cancel: CancellationToken::new(),
        _dir: dir,
    }
}

impl World {
    /// Stores and links entries first seen at `at`; returns their story.
    pub async fn add_at(&self, entries: &[Entry], at: DateTime<Utc>) -> i64 {
        let s = self
            .store
            .upsert_entries(entries, at)
            .await
            .expect("upsert");
        let out = self
            .linker
            .link_entries(&s.changed_ids)
            .await
            .expect("link");
        out.last().map(|o| o.story_id).expect("a story")
    }

    pub async fn add(&self, entries: &[Entry]) -> i64 {
        self.add_at(entries, Utc::now()).await
    }

    /// One planning pass at `now`.
    pub async fn plan_at(&self, now: DateTime<Utc>) {
        planner::pass(&self.fed, now).await.expect("planning pass");
    }

    pub async fn plan(&self) {
        self.plan_at(Utc::now()).await;
    }

    /// Runs the delivery worker until the world is dropped.
    pub fn deliver(&self) {
        let (fed, cancel) = (Arc::clone(&self.fed), self.cancel.clone());
        tokio::spawn(async move { delivery::run(fed, cancel).await });
    }

    pub fn actor_url(&self, name: &str) -> String {
        format!("{}/users/{name}", self.base)
    }

    /// GET with an ActivityPub Accept header: status and JSON (or Null).
    pub async fn get_ap(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("accept", "application/activity+json")
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        let bytes = r.bytes().await.expect("body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// POSTs `body` to our `path` with the given headers.
    pub async fn post(&self, path: &str, headers: &[(&str, String)], body: &str) -> u16 {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .timeout(Duration::from_secs(10))
            .body(body.to_string());
        for (k, v) in headers {
            if *k != "host" {
                req = req.header(*k, v);
            }
        }
        req.send().await.expect("post").status().as_u16()
    }

    /// Like `post`, but sends a `host` header too when given.
    pub async fn post_raw(&self, path: &str, headers: &[(&str, String)], body: &str) -> u16 {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .timeout(Duration::from_secs(10))
            .body(body.to_string());
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        req.send().await.expect("post").status().as_u16()
    }

    /// POSTs a fixture activity signed by its flavour's actor.
    pub async fn post_signed(&self, flavour: &str, path: &str, body: &str) -> u16 {
        let url = format!("{}{path}", self.base);
        let headers = self.remote.sign(flavour, &url, body.as_bytes(), Utc::now());
        self.post(path, &headers, body).await
    }

    pub async fn follower_count(&self, actor: &str) -> i64 {
        self.store.fed_follower_count(actor).await.expect("count")
    }
}
