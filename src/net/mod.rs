//! The guarded outbound HTTP client every part of wirebridge shares: one
//! fetch of one URL (`fetch`: conditional GET, hand-followed redirects,
//! time and size caps, `file:` sources), the address guard (`guard`: which
//! IPs are private) enforced in the DNS resolver at connect time, and the
//! settings they run under. Ingest, federation and WebSub all go out
//! through it; it knows none of them.

pub mod fetch;
pub mod guard;

pub use fetch::{
    CacheHints, FetchError, FetchOutcome, FetchSettings, Fetched, Fetcher, Validators,
};
