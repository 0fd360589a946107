//! One integration binary: the real application, real loopback servers.

// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(clippy::unwrap_used)]

mod architecture;
mod cli;
mod config;
mod federation;
mod feeds;
mod fetch;
mod linking;
mod multi;
mod normalize;
mod ops;
mod poll;
mod store;
mod support;
mod websub;
