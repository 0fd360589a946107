//! ActivityPub routes: discovery (WebFinger, NodeInfo), actors (JSON by
//! content negotiation, browsers sent to `/`) and the instance actor,
//! inboxes, paged collections, and every object and activity we sent.
//! With `[federation] authorized_fetch` the objects, activities, outboxes
//! and collections answer only signed GETs (`federation::verify`); actor
//! documents, keys, WebFinger and NodeInfo stay public, as Mastodon serves
//! them. The JSON is `federation`'s; this file only maps requests and
//! errors to HTTP.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{App, AppError};
use crate::federation::inbox::{self, Inbox, InboxError};
use crate::federation::verify::Verifier;
use crate::federation::{activity, actor, instance, policy, signature, urls, Federation};
use crate::observe::RejectionLog;

const PAGE_SIZE: i64 = 20;
const AP_JSON: &str = "application/activity+json";

/// The federation routes, with their own state (the shared `Federation`).
pub fn routes(app: &App) -> Router<App> {
    let fed = Arc::clone(&app.federation);
    let verifier = Arc::clone(&app.verifier);
    let inboxes = Router::new()
        .route("/users/{name}/inbox", post(personal_inbox))
        .route("/inbox", post(shared_inbox))
        .route("/actor/inbox", post(shared_inbox))
        .layer(DefaultBodyLimit::max(inbox::MAX_BODY_BYTES))
        .with_state(Arc::new(Inboxes {
            inbox: Arc::clone(&app.inbox),
            rejections: Arc::clone(&app.rejections),
        }));
    // What authorized fetch protects: everything we posted and who follows.
    let mut protected = Router::new()
        .route("/users/{name}/outbox", get(outbox))
        .route("/users/{name}/followers", get(followers))
        .route("/users/{name}/following", get(following))
        .route("/objects/{id}", get(object))
        .route("/activities/{id}", get(activity_doc));
    if fed.config.federation.authorized_fetch {
        protected = protected.layer(middleware::from_fn_with_state(verifier, signed_only));
    }
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.1", get(nodeinfo))
        .route("/users/{name}", get(actor_doc))
        .route("/actor", get(instance_actor))
        .route("/actor/outbox", get(instance_outbox))
        .merge(protected)
        .merge(inboxes)
}

/// Authorized fetch: the request goes on only when its HTTP signature (in
/// either scheme) verifies with its actor's key and that actor's host is
/// not blocked. A 401 says, in `Accept-Signature`, what we would verify.
async fn signed_only(State(verifier): State<Arc<Verifier>>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    match verifier
        .signed_get(&parts.method, &parts.uri, &parts.headers)
        .await
    {
        Ok(signer) => {
            let host = url::Url::parse(&signer.row.id)
                .ok()
                .and_then(|u| inbox::host_of(&u));
            if !host.is_some_and(|h| policy::allows(verifier.federation(), &h)) {
                return (StatusCode::FORBIDDEN, "forbidden\n").into_response();
            }
            next.run(Request::from_parts(parts, body)).await
        }
        Err(e) => match e.status() {
            401 | 400 => {
                tracing::debug!(path = %parts.uri, reason = %e, "unsigned or unverified fetch refused");
                unauthorized(parts.method.as_str(), &e)
            }
            403 => (StatusCode::FORBIDDEN, format!("{e}\n")).into_response(),
            _ => internal(e),
        },
    }
}

/// 401 with `Accept-Signature` (RFC 9421 §5.1): what we would verify.
fn unauthorized(method: &str, e: &InboxError) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [("accept-signature", signature::accept_signature(method))],
        format!("{e}\n"),
    )
        .into_response()
}

type Fed = State<Arc<Federation>>;

fn ap(status: StatusCode, body: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, AP_JSON)], body.to_string()).into_response()
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

fn internal(e: impl std::fmt::Display) -> Response {
    AppError::internal("answering a federation request", e).into_response()
}

#[derive(Deserialize)]
struct Resource {
    resource: Option<String>,
}

async fn webfinger(State(fed): Fed, Query(q): Query<Resource>) -> Response {
    let Some(resource) = q.resource else {
        return (StatusCode::BAD_REQUEST, "resource is required\n").into_response();
    };
    match actor::webfinger_target(&fed.config, &fed.urls, resource.trim()) {
        Some(a) => (
            [(header::CONTENT_TYPE, "application/jrd+json")],
            actor::webfinger_json(&fed.config, &fed.urls, a).to_string(),
        )
            .into_response(),
        None => not_found(),
    }
}

async fn nodeinfo_links(State(fed): Fed) -> Response {
    axum::Json(actor::nodeinfo_links(&fed.urls)).into_response()
}

/// The instance actor (FEP-2677): public, whatever the Accept header.
async fn instance_actor(State(fed): Fed) -> Response {
    match fed.keys(instance::KEY_NAME).await {
        Ok(keys) => ap(
            StatusCode::OK,
            &instance::actor_json(&fed.config, &fed.urls, &keys.public_pem, keys.created_at),
        ),
        Err(e) => internal(e),
    }
}

/// The instance actor posts nothing.
async fn instance_outbox(State(fed): Fed, Query(q): Query<PageQuery>) -> Response {
    let (page, _) = page_offset(q.page);
    ap(
        StatusCode::OK,
        &collection(&fed.urls.instance_outbox(), 0, page, Vec::new()),
    )
}

async fn nodeinfo(State(fed): Fed) -> Response {
    match fed.store.fed_local_post_count().await {
        Ok(n) => (
            [(
                header::CONTENT_TYPE,
                "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\"",
            )],
            actor::nodeinfo(&fed.config, n).to_string(),
        )
            .into_response(),
        Err(e) => internal(e),
    }
}

/// ActivityPub clients ask for activity+json or ld+json; anyone else is a
/// person with a browser, sent to the home page.
fn wants_activity_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| {
            a.contains("application/activity+json") || a.contains("application/ld+json")
        })
}

async fn actor_doc(State(fed): Fed, Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(a) = fed.actor(&name) else {
        return not_found();
    };
    if !wants_activity_json(&headers) {
        return Redirect::to("/").into_response();
    }
    match fed.keys(&a.username).await {
        Ok(keys) => ap(
            StatusCode::OK,
            &actor::actor_json(&fed.config, &fed.urls, a, &keys.public_pem, keys.created_at),
        ),
        Err(e) => internal(e),
    }
}

/// The inboxes' state: the inbox, and where its refusals are noted.
struct Inboxes {
    inbox: Arc<Inbox>,
    rejections: Arc<RejectionLog>,
}

type InboxState = State<Arc<Inboxes>>;

async fn personal_inbox(
    State(inboxes): InboxState,
    Path(name): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if inboxes.inbox.federation().actor(&name).is_none() {
        return not_found();
    }
    receive(&inboxes, method, uri, headers, body).await
}

async fn shared_inbox(
    State(inboxes): InboxState,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    receive(&inboxes, method, uri, headers, body).await
}

/// One POST: 202, or a refusal noted for `/admin` (the Prometheus counts
/// come from the statuses, in `observe::track_http`).
async fn receive(
    inboxes: &Inboxes,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let refused = |kind: &'static str, reason: &str| {
        inboxes
            .rejections
            .record(kind, reason, inbox::claimed_key_host(&headers));
    };
    let body = match body {
        Ok(body) => body,
        // Over `MAX_BODY_BYTES` (declared or streamed): axum's 413.
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let reason = format!("body over {} KiB", inbox::MAX_BODY_BYTES / 1024);
            tracing::info!(reason, "inbox request refused");
            refused("too_large", &reason);
            return e.into_response();
        }
        // The body could not be read at all (the sender went away).
        Err(e) => return e.into_response(),
    };
    match inboxes.inbox.receive(method, uri, &headers, body).await {
        Ok(()) => (StatusCode::ACCEPTED, "").into_response(),
        Err(e) => match e.status() {
            401 => {
                tracing::info!(reason = %e, "inbox request refused");
                refused("unauthorized", &e.to_string());
                unauthorized("POST", &e)
            }
            403 => {
                refused("forbidden", &e.to_string());
                (StatusCode::FORBIDDEN, format!("{e}\n")).into_response()
            }
            400 => {
                refused("bad_request", &e.to_string());
                (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response()
            }
            _ => internal(e),
        },
    }
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<i64>,
}

/// An OrderedCollection, or one of its pages when `?page=N` (from 1).
fn collection(id: &str, total: i64, page: Option<i64>, items: Vec<Value>) -> Value {
    let Some(page) = page else {
        return json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": id,
            "type": "OrderedCollection",
            "totalItems": total,
            "first": format!("{id}?page=1"),
        });
    };
    let mut doc = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}?page={page}"),
        "type": "OrderedCollectionPage",
        "partOf": id,
        "totalItems": total,
        "orderedItems": items,
    });
    if page * PAGE_SIZE < total {
        doc["next"] = json!(format!("{id}?page={}", page + 1));
    }
    if page > 1 {
        doc["prev"] = json!(format!("{id}?page={}", page - 1));
    }
    doc
}

fn page_offset(page: Option<i64>) -> (Option<i64>, i64) {
    let page = page.map(|p| p.max(1));
    (page, (page.unwrap_or(1) - 1) * PAGE_SIZE)
}

async fn outbox(State(fed): Fed, Path(name): Path<String>, Query(q): Query<PageQuery>) -> Response {
    let Some(a) = fed.actor(&name) else {
        return not_found();
    };
    let (page, offset) = page_offset(q.page);
    let limit = if page.is_some() { PAGE_SIZE } else { 0 };
    match fed.store.fed_outbox(&a.username, limit, offset).await {
        Ok((total, items)) => {
            let items = items
                .iter()
                .filter_map(|s| serde_json::from_str::<Value>(s).ok())
                .map(|mut v| {
                    if let Some(o) = v.as_object_mut() {
                        o.remove("@context");
                    }
                    v
                })
                .collect();
            ap(
                StatusCode::OK,
                &collection(&fed.urls.outbox(&a.username), total, page, items),
            )
        }
        Err(e) => internal(e),
    }
}

async fn followers(
    State(fed): Fed,
    Path(name): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let Some(a) = fed.actor(&name) else {
        return not_found();
    };
    let (page, offset) = page_offset(q.page);
    let total = match fed.store.fed_follower_count(&a.username).await {
        Ok(n) => n,
        Err(e) => return internal(e),
    };
    let items = if page.is_some() {
        match fed
            .store
            .fed_followers(&a.username, PAGE_SIZE, offset)
            .await
        {
            Ok(rows) => rows.into_iter().map(|r| json!(r.follower)).collect(),
            Err(e) => return internal(e),
        }
    } else {
        Vec::new()
    };
    ap(
        StatusCode::OK,
        &collection(&fed.urls.followers(&a.username), total, page, items),
    )
}

async fn following(
    State(fed): Fed,
    Path(name): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let Some(a) = fed.actor(&name) else {
        return not_found();
    };
    let (page, _) = page_offset(q.page);
    ap(
        StatusCode::OK,
        &collection(&fed.urls.following(&a.username), 0, page, Vec::new()),
    )
}

async fn object(State(fed): Fed, Path(id): Path<String>) -> Response {
    let Some((name, story)) = urls::parse_object_token(&id) else {
        return not_found();
    };
    let Some(a) = fed.actor(&name) else {
        return not_found();
    };
    let post = match fed.store.fed_post(&a.username, story).await {
        Ok(Some(p)) => p,
        Ok(None) => return not_found(),
        Err(e) => return internal(e),
    };
    let Ok(mut doc) = serde_json::from_str::<Value>(&post.object_json) else {
        return internal("stored object is not JSON");
    };
    doc["@context"] = activity::context();
    let status = if post.deleted_at.is_some() {
        StatusCode::GONE
    } else {
        StatusCode::OK
    };
    ap(status, &doc)
}

async fn activity_doc(State(fed): Fed, Path(id): Path<String>) -> Response {
    match fed.store.fed_activity_json(&id).await {
        Ok(Some(json)) => match serde_json::from_str::<Value>(&json) {
            Ok(doc) => ap(StatusCode::OK, &doc),
            Err(e) => internal(e),
        },
        Ok(None) => not_found(),
        Err(e) => internal(e),
    }
}
