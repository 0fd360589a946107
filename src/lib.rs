//! wirebridge: bridges a multilingual publisher to feed readers and the
//! fediverse. The pipeline reads top to bottom: `ingest` fetches feeds,
//! `normalize` turns them into `domain::Entry`s, `store` keeps them, `http`
//! serves them. `daemon` runs it all under one cancellation token.

pub mod app;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod domain;
pub mod federation;
pub mod http;
pub mod ingest;
pub mod link;
pub mod linker;
pub mod net;
pub mod normalize;
pub mod observe;
pub mod opml;
pub mod outbox;
pub mod publish;
pub mod store;
pub mod telemetry;
pub mod websub;
