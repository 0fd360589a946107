//! The HTTP surface. `router(state)` apart from `serve`, so tests can drive
//! the real routes; errors are turned into statuses here and nowhere else.

mod admin;
mod api;
mod federation;
mod feeds;
mod home;
mod websub;

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::store::Store;

/// What every handler may read.
#[derive(Clone)]
pub struct AppState {
    /// The running configuration; SIGHUP replaces it (`Live::set`).
    pub config: crate::config::Live,
    pub store: Store,
}

pub fn router(state: AppState) -> Router {
    let feeds = crate::publish::Feeds::new(state.config.get(), state.store.clone());
    router_with_feeds(state, feeds)
}

/// `router` with a given feed cache: the daemon shares one between the
/// HTTP side and the WebSub task.
pub fn router_with_feeds(state: AppState, feeds: crate::publish::Feeds) -> Router {
    router_with_poller(state, feeds, None)
}

/// `router_with_feeds` with the daemon's poller, so that WebSub pushes
/// are linked under the same (per-process) linking lock as polls.
pub fn router_with_poller(
    state: AppState,
    feeds: crate::publish::Feeds,
    poller: Option<Arc<crate::ingest::poll::Poller>>,
) -> Router {
    let websub = websub::routes(&state, &feeds, poller);
    Router::new()
        .merge(feeds::routes(feeds))
        .merge(federation::routes(&state))
        .route("/healthz", get(healthz))
        .route("/api/stories", get(api::stories))
        .route("/api/translations", get(api::translations))
        .merge(admin::routes())
        .merge(websub)
        // Outermost: times every route, by its pattern.
        .layer(axum::middleware::from_fn(crate::observe::track_http))
        .with_state(state)
}

/// Liveness: the process answers and its database does too.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n"),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n")
        }
    }
}
