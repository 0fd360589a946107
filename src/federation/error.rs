//! What the receiving side (the inboxes, remote actors) refuses, and the
//! status the sender gets for it. Its own file so that `inbox` and
//! `remote` share it without depending on each other.

use activitypub_federation::error::Error as ApError;

use super::signature::Rejected;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("{0}")]
    Unauthorized(#[from] Rejected),
    #[error("{0}")]
    Federation(#[from] ApError),
    #[error("not an activity: {0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("federation is not set up: {0}")]
    Setup(String),
    #[error("{0}")]
    Forbidden(String),
}

impl InboxError {
    /// The HTTP status the sender gets.
    pub fn status(&self) -> u16 {
        match self {
            InboxError::Unauthorized(_) => 401,
            InboxError::Federation(ApError::ParseReceivedActivity { .. }) => 400,
            // A bad digest or signature, an actor we cannot fetch, an id on
            // another domain than its actor: not authenticated.
            InboxError::Federation(_) => 401,
            InboxError::BadRequest(_) => 400,
            InboxError::Forbidden(_) => 403,
            InboxError::Store(_) | InboxError::Setup(_) => 500,
        }
    }
}
