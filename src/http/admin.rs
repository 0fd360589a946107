//! The operator's surfaces: `/metrics` (Prometheus text, public like
//! `/healthz`) and `/admin`, a status page that exists only when an admin
//! token is configured (404 otherwise) and answers 401 without it.
//!
//! Every admin response carries a strict Content-Security-Policy (no
//! script at all, styles from our own stylesheet only); everything the
//! page shows that came from outside — feed titles, errors, follower ids —
//! is escaped by the template engine.

mod auth;
mod page;
mod view;
mod websub;

use axum::extract::{Form, Query, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::{App, AppError};

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const STYLE: &str = include_str!("admin/style.css");

pub fn routes() -> Router<App> {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/admin", get(status))
        .route("/admin/login", get(login_link).post(login_form))
        .route("/admin/style.css", get(stylesheet))
}

async fn metrics(State(state): State<App>) -> Response {
    match crate::observe::render(&state.store).await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => AppError::unavailable("reading the store for /metrics", e).into_response(),
    }
}

async fn status(State(state): State<App>, headers: HeaderMap) -> Response {
    let Some(token) = auth::configured(&state) else {
        return not_found();
    };
    if !auth::allowed(&token, &headers) {
        return hardened(auth::refusal(StatusCode::UNAUTHORIZED, None));
    }
    match page::Status::gather(&state).await {
        Ok(status) => hardened((StatusCode::OK, page::render(&status)).into_response()),
        Err(e) => hardened(AppError::internal("gathering the status page", e).into_response()),
    }
}

#[derive(Deserialize)]
struct Login {
    token: Option<String>,
}

/// `/admin/login?token=…`: a link an operator (or a headless browser, which
/// cannot send headers) follows once; the token leaves the address bar at
/// once through a redirect and lives on in an HttpOnly cookie.
async fn login_link(
    State(state): State<App>,
    Query(q): Query<Login>,
    headers: HeaderMap,
) -> Response {
    let Some(token) = auth::configured(&state) else {
        return not_found();
    };
    match q.token {
        Some(given) => hardened(auth::log_in(&state, &token, &given, &headers)),
        None => hardened(auth::refusal(StatusCode::OK, None)),
    }
}

async fn login_form(
    State(state): State<App>,
    headers: HeaderMap,
    Form(form): Form<Login>,
) -> Response {
    let Some(token) = auth::configured(&state) else {
        return not_found();
    };
    let given = form.token.unwrap_or_default();
    hardened(auth::log_in(&state, &token, &given, &headers))
}

async fn stylesheet(State(state): State<App>) -> Response {
    if auth::configured(&state).is_none() {
        return not_found();
    }
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

/// The headers every admin page carries.
fn hardened(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
