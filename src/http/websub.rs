//! WebSub over HTTP. `/websub/callback/{id}`: our subscriptions' callback —
//! GET answers a hub's verification of intent, POST takes pushed content.
//! `/websub/hub`: our own hub's subscribe/unsubscribe endpoint, when
//! `websub.hub = "builtin"`.
//!
//! A push with a wrong or missing `X-Hub-Signature` is answered 403 and
//! changes nothing. The spec lets a subscriber acknowledge such a push with
//! a 2xx; we refuse it openly instead, so an operator debugging a hub sees
//! why, and a 4xx tells the hub not to retry. A push for a callback we do
//! not know (a removed source) is 410, which hubs take as "unsubscribed".

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use bytes::Bytes;
use chrono::Utc;

use super::{App, AppError};
use crate::domain::SourceId;
use crate::ingest::poll::Poller;
use crate::store::websub::{ACTIVE, DENIED, PENDING, UNSUBSCRIBING};
use crate::store::Store;
use crate::websub::hub::Hub;
use tokio_util::task::TaskTracker;

struct WebSub {
    store: Store,
    poller: Arc<Poller>,
    hub: Option<Arc<Hub>>,
    tasks: TaskTracker,
}

type Ws = State<Arc<WebSub>>;

/// The routes: our subscriptions' callback (pushes go through the
/// process's poller, one linking lock per process) and our hub's
/// endpoint.
pub fn routes(app: &App) -> Router<App> {
    let ws = Arc::new(WebSub {
        store: app.store.clone(),
        poller: Arc::clone(&app.poller),
        hub: app.hub.clone(),
        tasks: app.tasks.clone(),
    });
    let cap = usize::try_from(app.config.get().fetch.max_body_bytes).unwrap_or(usize::MAX);
    Router::new()
        .route(
            "/websub/callback/{id}",
            get(verify_intent)
                .post(pushed)
                .layer(DefaultBodyLimit::max(cap)),
        )
        .route("/websub/hub", post(hub_request))
        .with_state(ws)
}

#[derive(serde::Deserialize)]
struct Verification {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.topic")]
    topic: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
    #[serde(rename = "hub.lease_seconds")]
    lease_seconds: Option<i64>,
}

/// Echoes the challenge only for a subscription we asked for, on the topic
/// we asked about, in the matching state; 404 otherwise.
async fn verify_intent(
    State(ws): Ws,
    Path(id): Path<String>,
    Query(q): Query<Verification>,
) -> Response {
    let store = &ws.store;
    let sub = match store.websub_subscription(&id).await {
        Ok(Some(sub)) if q.topic.as_deref() == Some(sub.topic.as_str()) => sub,
        Ok(_) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => return internal(e),
    };
    let now = Utc::now();
    let challenge = q.challenge.unwrap_or_default();
    let done = match q.mode.as_deref() {
        Some("subscribe")
            if !challenge.is_empty() && (sub.state == PENDING || sub.state == ACTIVE) =>
        {
            let lease = q
                .lease_seconds
                .unwrap_or(crate::websub::subscriber::ASKED_LEASE_SECONDS)
                .max(1);
            let expires = now + chrono::Duration::seconds(lease);
            tracing::info!(
                source = sub.source_id,
                lease,
                "WebSub: subscription verified"
            );
            store
                .websub_set_state(&sub.id, ACTIVE, Some((lease, expires)), None, now)
                .await
        }
        Some("unsubscribe") if !challenge.is_empty() && sub.state == UNSUBSCRIBING => {
            tracing::info!(source = sub.source_id, "WebSub: unsubscription verified");
            store.websub_delete_subscription(&sub.id).await
        }
        Some("denied") => {
            tracing::warn!(
                source = sub.source_id,
                hub = sub.hub,
                "WebSub: the hub denied the subscription"
            );
            let _ = store
                .websub_set_state(&sub.id, DENIED, None, Some("denied by the hub"), now)
                .await;
            return StatusCode::OK.into_response();
        }
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match done {
        Ok(()) => (StatusCode::OK, [("content-type", "text/plain")], challenge).into_response(),
        Err(e) => internal(e),
    }
}

/// Pushed content: signature first, then the poller's own ingest path.
async fn pushed(
    State(ws): Ws,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let sub = match ws.store.websub_subscription(&id).await {
        Ok(Some(sub)) if sub.state == ACTIVE || sub.state == PENDING => sub,
        Ok(_) => return StatusCode::GONE.into_response(),
        Err(e) => return internal(e),
    };
    let signature = headers.get("x-hub-signature").and_then(|v| v.to_str().ok());
    if !crate::websub::signature_ok(&sub.secret, signature, &body) {
        tracing::warn!(
            source = sub.source_id,
            signed = signature.is_some(),
            "WebSub: push with a bad signature refused"
        );
        return (StatusCode::FORBIDDEN, "bad or missing X-Hub-Signature\n").into_response();
    }
    let source = match SourceId::parse(&sub.source_id) {
        Ok(s) => s,
        Err(_) => return StatusCode::GONE.into_response(),
    };
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
    match ws.poller.ingest_pushed(&source, body, content_type).await {
        Ok(summary) => {
            tracing::info!(
                source = sub.source_id,
                new = summary.new,
                updated = summary.updated,
                "WebSub: pushed content stored"
            );
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => {
            tracing::warn!(
                source = sub.source_id,
                error = format!("{e:#}"),
                "WebSub: pushed content not stored"
            );
            // Unparseable content is the hub's problem, not a reason to retry.
            (StatusCode::BAD_REQUEST, "not a feed\n").into_response()
        }
    }
}

/// `hub.mode=subscribe|unsubscribe`: 202 and, in the background,
/// verification of intent (or a `hub.mode=denied` request to the callback
/// when the topic is not one of our feeds); 400 with the reason for a
/// malformed request (503 while too many verifications run); 404 when we
/// are not a hub.
async fn hub_request(State(ws): Ws, Form(form): Form<Vec<(String, String)>>) -> Response {
    let Some(hub) = ws.hub.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let req = match hub.parse(&form) {
        Ok(req) => req,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    };
    let Some(slot) = hub.verification_slot() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [("retry-after", "60")],
            "too many requests being verified\n",
        )
            .into_response();
    };
    ws.tasks.spawn(async move {
        let _slot = slot;
        if let Err(e) = hub.handle(&req).await {
            tracing::warn!(error = %e, "WebSub hub: cannot record a verified request");
        }
    });
    StatusCode::ACCEPTED.into_response()
}

fn internal(e: impl std::fmt::Display) -> Response {
    AppError::internal("answering a WebSub request", e).into_response()
}
