//! Ingest: who is due (`scheduler`), one fetch (`fetch`), and the polling
//! pass that ties fetch → normalize → store together (`poll`).

pub mod fetch;
pub mod guard;
pub mod poll;
pub mod schedule;
