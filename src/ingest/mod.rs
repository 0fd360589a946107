//! Ingest: who is due (`schedule`), the polling loop with its leases
//! (`poll`), the fetch → normalize → store → link path polls and WebSub
//! pushes share (`pipeline`), and the fetch limits (`limits`).

mod lease;
mod limits;
mod outcome;
pub mod pipeline;
pub mod poll;
pub mod schedule;
