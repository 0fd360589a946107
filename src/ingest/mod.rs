//! Ingest: who is due (`schedule`) and the polling pass that ties fetch
//! (`net`) → normalize → store → link together (`poll`).

pub mod poll;
pub mod schedule;
