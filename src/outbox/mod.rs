//! The durable outbox both delivery queues run on: the ActivityPub queue
//! (`federation::delivery`) and the WebSub hub's (`websub::delivery`). A
//! queue is a `Queue` (what a job is, how it is claimed, sent and given
//! back); `drive` runs one under its `Limits` (a global and a per-host
//! concurrency); `policy` judges each answer (`Verdict`) and says how the
//! attempt ends (`settle`: done, dropped, or retried with Sidekiq-like
//! backoff for about two days). The queues' rows live in the store
//! (`store::QueueTable`); what a job means lives with its queue.

mod drive;
mod limits;
mod policy;

pub use drive::{drive, Queue};
pub use limits::{Limits, Slot};
pub use policy::{backoff, judge, settle, Verdict, MAX_ATTEMPTS, MAX_RETRY_AFTER};

/// An error with its causes, "connect failed: connection refused".
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}
