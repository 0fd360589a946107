//! One integration binary: the real application, real loopback servers.

mod cli;
mod config;
mod fetch;
mod linking;
mod normalize;
mod poll;
mod store;
mod support;
