//! One integration binary: the real application, real loopback servers.

mod config;
mod fetch;
mod normalize;
mod poll;
mod store;
mod support;
