//! Who may see `/admin`: the holder of the configured token, shown either
//! as `Authorization: Bearer …` or as the session cookie a login sets.
//!
//! Tokens are compared in constant time, and on their SHA-256 digests so
//! not even the length of the secret leaks through timing. The cookie holds
//! a digest derived from the token, not the token itself, so it is useless
//! anywhere else and changes when the operator rotates the token.

use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::app::App;

const COOKIE: &str = "wirebridge_admin";
/// A login lasts a working day.
const SESSION_SECONDS: u32 = 12 * 3600;

/// The configured token; `None` turns the admin pages off.
pub fn configured(state: &App) -> Option<String> {
    state
        .config
        .get()
        .admin
        .token
        .clone()
        .filter(|t| !t.is_empty())
}

/// Constant-time equality of two secrets of any lengths.
pub fn token_matches(given: &str, expected: &str) -> bool {
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.ct_eq(&b).into()
}

fn session_value(token: &str) -> String {
    hex::encode(Sha256::digest(format!("wirebridge admin session\0{token}")))
}

/// Whether the request carries the token or a session cookie made from it.
pub fn allowed(token: &str, headers: &HeaderMap) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer.is_some_and(|b| token_matches(b.trim(), token)) {
        return true;
    }
    let session = session_value(token);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(name, value)| name == COOKIE && token_matches(value, &session))
}

/// A right token sets the cookie and sends the browser to `/admin`; a
/// wrong one gets the refusal page again.
pub fn log_in(state: &App, token: &str, given: &str, headers: &HeaderMap) -> Response {
    if !token_matches(given, token) {
        tracing::warn!("admin login with a wrong token");
        return refusal(
            StatusCode::UNAUTHORIZED,
            Some("That token is not the right one."),
        );
    }
    let secure = if needs_secure(state, headers) {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE}={}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECONDS}{secure}",
        session_value(token)
    );
    let mut response = Redirect::to("/admin").into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `Secure` when the public site is HTTPS, except for a browser talking to
/// the daemon directly on loopback (an SSH tunnel, a test), where there is
/// no TLS and a Secure cookie would never come back.
fn needs_secure(state: &App, headers: &HeaderMap) -> bool {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    let loopback = matches!(name, "localhost" | "127.0.0.1" | "[::1]");
    state.config.get().server.public_url.scheme() == "https" && !loopback
}

/// The 401 (or plain login) page: says what is needed, offers a form.
pub fn refusal(status: StatusCode, problem: Option<&str>) -> Response {
    let body = super::page::login(problem);
    let mut response = (status, body).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"wirebridge admin\""),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_token_matches() {
        assert!(token_matches("s3cret-token", "s3cret-token"));
        assert!(!token_matches("s3cret-toke", "s3cret-token"));
        assert!(!token_matches("s3cret-tokenX", "s3cret-token"));
        assert!(!token_matches("", "s3cret-token"));
    }

    #[test]
    fn a_bearer_header_or_the_session_cookie_lets_in_and_nothing_else_does() {
        let mut h = HeaderMap::new();
        assert!(!allowed("tok", &h));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer tok"),
        );
        assert!(allowed("tok", &h));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer nope"),
        );
        assert!(!allowed("tok", &h));
        let mut c = HeaderMap::new();
        let cookie = format!("theme=dark; {COOKIE}={}", session_value("tok"));
        c.insert(
            header::COOKIE,
            HeaderValue::from_str(&cookie).expect("ascii"),
        );
        assert!(allowed("tok", &c));
        assert!(!allowed("rotated", &c), "a rotated token ends old sessions");
        let mut raw = HeaderMap::new();
        raw.insert(
            header::COOKIE,
            HeaderValue::from_static("wirebridge_admin=tok"),
        );
        assert!(!allowed("tok", &raw), "the raw token is not a session");
    }
}
