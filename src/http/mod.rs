//! The HTTP surface. `router(state)` apart from `serve`, so tests can drive
//! the real routes; errors are turned into statuses here and nowhere else.

mod accept;
mod admin;
mod api;
mod error;
mod federation;
mod feeds;
mod home;
mod websub;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

pub use crate::app::App;
pub use error::AppError;

use crate::store::Store;

/// Every route of the process, over its one set of services (`App`):
/// handlers take the parts they need as sub-states.
pub fn router(app: App) -> Router {
    Router::new()
        .merge(feeds::routes())
        .merge(federation::routes(&app))
        .route("/healthz", get(healthz))
        .route("/api/stories", get(api::stories))
        .route("/api/translations", get(api::translations))
        .merge(admin::routes())
        .merge(websub::routes(&app))
        // Outermost: times every route, by its pattern.
        .layer(axum::middleware::from_fn(crate::observe::track_http))
        .with_state(app)
}

/// Liveness: the process answers and its database does too.
async fn healthz(State(store): State<Store>) -> Result<impl IntoResponse, AppError> {
    store
        .ping()
        .await
        .map_err(|e| AppError::unavailable("health check", e))?;
    Ok((StatusCode::OK, "ok\n"))
}
