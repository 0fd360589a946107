//! One integration binary: the real application, real loopback servers.

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
