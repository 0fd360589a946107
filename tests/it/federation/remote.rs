//! A fake fediverse server on loopback: serves actor documents built from
//! the Mastodon / Misskey / GoToSocial fixtures (with keys made here),
//! signs activities and fetches as those actors (cavage or RFC 9421), and
//! records what its inboxes receive.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::Value;
use url::Url;
use wirebridge::federation::keys::{self, Signer};
use wirebridge::federation::signature::{self, sign_post, Scheme};

/// The fixture flavours.
pub const FLAVOURS: [&str; 3] = ["mastodon", "misskey", "gotosocial"];

/// One POST an inbox received.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
    /// The body as it came, for checking its digest and signature.
    pub raw: Vec<u8>,
}

/// One GET of an actor document.
#[derive(Clone, Debug)]
pub struct Fetched {
    pub path: String,
    pub headers: HeaderMap,
}

#[derive(Default)]
struct Inner {
    actors: HashMap<String, String>,
    /// Actor names answered with a 301 to another URL.
    redirects: HashMap<String, String>,
    received: Vec<Received>,
    fetched: Vec<Fetched>,
    /// Status each inbox POST gets (202 by default).
    status: Option<u16>,
    /// Status every actor GET gets instead of the document (a server
    /// that would not take our signed fetch).
    fetch_status: Option<u16>,
    /// An activity type whose first POST at each inbox gets 429 with
    /// `Retry-After: 1`, and the inboxes that have refused it once.
    refuse_first: Option<(String, Vec<String>)>,
}

pub struct Remote {
    pub base: String,
    inner: Arc<Mutex<Inner>>,
    signers: HashMap<String, (Signer, String)>,
}

fn fixture(flavour: &str, name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/activitypub/{flavour}/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

impl Remote {
    pub async fn start() -> Remote {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route("/users/{name}", get(actor))
            // GoToSocial serves its key at its own path (the actor's stub).
            .route("/users/{name}/main-key", get(actor))
            .route("/users/{name}/inbox", post(inbox))
            .route("/inbox", post(inbox))
            .with_state(Arc::clone(&inner));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        // A host name, not an IP literal: actor ids must have a domain
        // (`activitypub_federation` checks), as on the real fediverse.
        let port = listener.local_addr().expect("addr").port();
        let base = format!("http://localhost:{port}");
        tokio::spawn(async move { axum::serve(listener, app).await });
        let mut remote = Remote {
            base,
            inner,
            signers: HashMap::new(),
        };
        for flavour in FLAVOURS {
            remote.add_flavour(flavour);
        }
        remote
    }

    /// The flavour's actor gets a new key pair (its document changes; what
    /// we cached is now stale).
    pub fn rotate_key(&mut self, flavour: &str) {
        self.add_flavour(flavour);
    }

    fn add_flavour(&mut self, flavour: &str) {
        let (private, public) = keys::generate().expect("key");
        let pem = serde_json::to_string(&public).expect("pem json");
        let doc = fixture(flavour, "actor")
            .replace("{{BASE}}", &self.base)
            .replace("\"{{PEM}}\"", &pem);
        let parsed: Value = serde_json::from_str(&doc).expect("actor fixture");
        let id = parsed["id"].as_str().expect("id").to_string();
        let key_id = parsed["publicKey"]["id"]
            .as_str()
            .expect("key id")
            .to_string();
        let name = id.rsplit('/').next().expect("name").to_string();
        self.inner.lock().expect("lock").actors.insert(name, doc);
        let signer = Signer::from_pkcs8_pem(&private).expect("signer");
        self.signers.insert(flavour.to_string(), (signer, key_id));
    }

    /// The actor id of a fixture flavour.
    pub fn actor_id(&self, flavour: &str) -> String {
        let doc: Value = serde_json::from_str(
            &fixture(flavour, "actor")
                .replace("{{BASE}}", &self.base)
                .replace("\"{{PEM}}\"", "\"\""),
        )
        .expect("fixture");
        doc["id"].as_str().expect("id").to_string()
    }

    /// A fixture activity with placeholders filled.
    pub fn activity(&self, flavour: &str, name: &str, target: &str) -> String {
        fixture(flavour, name)
            .replace("{{BASE}}", &self.base)
            .replace("{{TARGET}}", target)
    }

    /// Signed headers for POSTing `body` to `inbox` as `flavour`'s actor.
    pub fn sign(
        &self,
        flavour: &str,
        inbox: &str,
        body: &[u8],
        at: DateTime<Utc>,
    ) -> Vec<(&'static str, String)> {
        let (signer, key_id) = &self.signers[flavour];
        sign_post(signer, key_id, &Url::parse(inbox).expect("url"), body, at).expect("sign")
    }

    /// Signed headers for POSTing `body` to `inbox` as `flavour`'s actor,
    /// in `scheme`.
    pub fn sign_in(
        &self,
        scheme: Scheme,
        flavour: &str,
        inbox: &str,
        body: &[u8],
        at: DateTime<Utc>,
    ) -> Vec<(&'static str, String)> {
        let (signer, key_id) = &self.signers[flavour];
        let url = Url::parse(inbox).expect("url");
        signature::sign(scheme, signer, key_id, "POST", &url, Some(body), at).expect("sign")
    }

    /// RFC 9421 headers for POSTing `body` to `url` as `flavour`'s actor,
    /// signed validly over exactly `components` (of `@method`,
    /// `@target-uri`, `@authority`, `@path`, `content-digest`) with `params`
    /// (`;created=…;keyid=…`, as written; `{key}` stands for the key id):
    /// what a sender we do not control might send.
    pub fn sign_rfc9421_as(
        &self,
        flavour: &str,
        url: &str,
        body: &[u8],
        components: &[&str],
        params: &str,
    ) -> Vec<(&'static str, String)> {
        use base64::Engine;
        let (signer, key_id) = &self.signers[flavour];
        let parsed = Url::parse(url).expect("url");
        let digest = signature::digest::content_digest(body);
        let mut base = String::new();
        for c in components {
            let value = match *c {
                "@method" => "POST".to_string(),
                "@target-uri" => url.to_string(),
                "@authority" => format!(
                    "{}:{}",
                    parsed.host_str().expect("host"),
                    parsed.port().expect("port")
                ),
                "@path" => parsed.path().to_string(),
                "content-digest" => digest.clone(),
                other => panic!("no value for {other}"),
            };
            base.push_str(&format!("\"{c}\": {value}\n"));
        }
        let list: Vec<String> = components.iter().map(|c| format!("\"{c}\"")).collect();
        let inner = format!("({}){}", list.join(" "), params.replace("{key}", key_id));
        base.push_str(&format!("\"@signature-params\": {inner}"));
        let sig = signer.sign(base.as_bytes()).expect("sign");
        let b64 = base64::engine::general_purpose::STANDARD.encode(sig);
        vec![
            ("content-digest", digest),
            ("signature-input", format!("sig1={inner}")),
            ("signature", format!("sig1=:{b64}:")),
        ]
    }

    /// Signed headers for a GET of `url` as `flavour`'s actor, in `scheme`.
    pub fn sign_get(
        &self,
        scheme: Scheme,
        flavour: &str,
        url: &str,
    ) -> Vec<(&'static str, String)> {
        let (signer, key_id) = &self.signers[flavour];
        let url = Url::parse(url).expect("url");
        let mut headers =
            signature::sign(scheme, signer, key_id, "GET", &url, None, Utc::now()).expect("sign");
        // Cavage covers Host, which the client writes from the URL.
        headers.retain(|(k, _)| *k != "host");
        headers
    }

    /// Every actor GET is answered with `status` from now on.
    pub fn set_fetch_status(&self, status: u16) {
        self.inner.lock().expect("lock").fetch_status = Some(status);
    }

    /// `/users/{name}` answers 301 to `location` from now on.
    pub fn redirect(&self, name: &str, location: &str) {
        let mut inner = self.inner.lock().expect("lock");
        inner.redirects.insert(name.into(), location.into());
    }

    /// The first `kind` activity each inbox receives is answered 429
    /// (`Retry-After: 1`): its delivery is retried a second later.
    pub fn refuse_first(&self, kind: &str) {
        self.inner.lock().expect("lock").refuse_first = Some((kind.into(), Vec::new()));
    }

    pub fn set_status(&self, status: u16) {
        self.inner.lock().expect("lock").status = Some(status);
    }

    /// Every GET of an actor document so far, with its headers.
    pub fn fetched(&self) -> Vec<Fetched> {
        self.inner.lock().expect("lock").fetched.clone()
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().expect("lock").received.clone()
    }

    /// Waits (bounded) until `pred` holds for what was received.
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        for _ in 0..200 {
            let got = self.received();
            if pred(&got) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "timed out waiting for {what}; received {:#?}",
            self.received()
        );
    }
}

async fn actor(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(name): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let mut inner = inner.lock().expect("lock");
    inner.fetched.push(Fetched {
        path: uri.path().to_string(),
        headers,
    });
    if let Some(status) = inner.fetch_status {
        return StatusCode::from_u16(status)
            .unwrap_or(StatusCode::UNAUTHORIZED)
            .into_response();
    }
    if let Some(location) = inner.redirects.get(&name) {
        return (
            StatusCode::MOVED_PERMANENTLY,
            [("location", location.clone())],
        )
            .into_response();
    }
    match inner.actors.get(&name) {
        // What Mastodon and Misskey send.
        Some(doc) => (
            [("content-type", "application/activity+json; charset=utf-8")],
            doc.clone(),
        )
            .into_response(),
        None => StatusCode::GONE.into_response(),
    }
}

async fn inbox(
    State(inner): State<Arc<Mutex<Inner>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut inner = inner.lock().expect("lock");
    let raw = body.to_vec();
    let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    let path = uri.path().to_string();
    let refuse = match &mut inner.refuse_first {
        Some((kind, refused)) if body["type"] == kind.as_str() && !refused.contains(&path) => {
            refused.push(path.clone());
            true
        }
        _ => false,
    };
    inner.received.push(Received {
        path,
        headers,
        body,
        raw,
    });
    if refuse {
        return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")]).into_response();
    }
    StatusCode::from_u16(inner.status.unwrap_or(202))
        .unwrap_or(StatusCode::ACCEPTED)
        .into_response()
}
