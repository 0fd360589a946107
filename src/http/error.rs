//! The one way a handler says "we failed, not you": `AppError`, logged with
//! what was being done, answered 500 (503 when the database is out of
//! reach) with a body that leaks nothing — plain text, or the JSON API's
//! `{"error": …}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::store::StoreError;

#[derive(Debug)]
pub struct AppError {
    status: StatusCode,
    /// What the handler was doing, for the log.
    doing: &'static str,
    error: String,
    json: bool,
}

impl AppError {
    /// A failure of ours while `doing` something: 500.
    pub fn internal(doing: &'static str, error: impl std::fmt::Display) -> AppError {
        AppError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            doing,
            error: error.to_string(),
            json: false,
        }
    }

    /// The database did not answer: 503, so a balancer tries elsewhere.
    pub fn unavailable(doing: &'static str, error: impl std::fmt::Display) -> AppError {
        AppError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            ..AppError::internal(doing, error)
        }
    }

    /// The body as the JSON API answers errors.
    pub fn json(self) -> AppError {
        AppError { json: true, ..self }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        AppError::internal("reading the store", e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        tracing::error!(doing = self.doing, error = %self.error, status = self.status.as_u16(), "request failed");
        let message = if self.status == StatusCode::SERVICE_UNAVAILABLE {
            "database unreachable"
        } else {
            "internal error"
        };
        if self.json {
            (self.status, Json(serde_json::json!({ "error": message }))).into_response()
        } else {
            (self.status, format!("{message}\n")).into_response()
        }
    }
}
