//! The last inbox rejections, for the status page: an operator debugging
//! "why does this server's Follow never arrive" wants the reason, not only
//! a count. They are kept in the store (`store::rejections`), so `/admin`
//! shows every process's and they survive restarts; the log has them all.
//!
//! Recording must not hand a flood of bad POSTs a way to make the database
//! work as hard as the inbox: a rejection only goes into a small buffer
//! (the newest `BATCH`, older ones counted as suppressed) and one writer
//! task per inbox drains it at most once per `WRITE_EVERY` — one
//! transaction a second per process, whatever the rate of refusals. The
//! response never waits for the write, and a failed write is logged, never
//! reported to the sender.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;

use crate::store::{InboxRejection, Store, REASON_CHARS};

/// Rows one write stores at most; the rest of a burst is counted.
const BATCH: usize = 5;
/// Writes happen at most this often (per inbox, i.e. per process).
const WRITE_EVERY: Duration = Duration::from_secs(1);

/// The inbox's rejection recorder (one per router).
pub struct RejectionLog {
    store: Store,
    /// Where the background writer runs (the daemon waits for it).
    tasks: tokio_util::task::TaskTracker,
    pending: Mutex<Pending>,
}

#[derive(Default)]
struct Pending {
    /// Oldest first, at most `BATCH`.
    rows: VecDeque<InboxRejection>,
    /// Rejections pushed out of `rows` before they were written.
    suppressed: i64,
    /// A writer task is running (writing, or waiting out `WRITE_EVERY`).
    writing: bool,
}

impl RejectionLog {
    pub fn new(store: Store, tasks: tokio_util::task::TaskTracker) -> Arc<RejectionLog> {
        Arc::new(RejectionLog {
            store,
            tasks,
            pending: Mutex::new(Pending::default()),
        })
    }

    /// Notes a refused POST: `kind` is `unauthorized`, `bad_request` or
    /// `too_large`; `key_host` the host of the keyId it claimed, if any.
    /// Returns at once; the write happens in the background.
    pub fn record(self: &Arc<Self>, kind: &'static str, reason: &str, key_host: Option<String>) {
        let row = InboxRejection {
            at: Utc::now(),
            kind: kind.to_string(),
            reason: reason.chars().take(REASON_CHARS).collect(),
            key_host,
            suppressed: 0,
        };
        let start = {
            let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            if p.rows.len() == BATCH {
                p.rows.pop_front();
                p.suppressed += 1;
            }
            p.rows.push_back(row);
            !std::mem::replace(&mut p.writing, true)
        };
        if start {
            self.tasks.spawn(Arc::clone(self).write_until_idle());
        }
    }

    /// Writes what is pending, waits `WRITE_EVERY`, and again, until a
    /// wait ends with nothing new.
    async fn write_until_idle(self: Arc<Self>) {
        loop {
            let batch: Vec<InboxRejection> = {
                let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                if p.rows.is_empty() {
                    p.writing = false;
                    return;
                }
                let suppressed = std::mem::take(&mut p.suppressed);
                let mut batch: Vec<_> = p.rows.drain(..).collect();
                if let Some(newest) = batch.last_mut() {
                    newest.suppressed = suppressed;
                }
                batch
            };
            if let Err(e) = self.store.record_inbox_rejections(&batch, Utc::now()).await {
                tracing::warn!(
                    error = %e,
                    lost = batch.len() as i64 + batch.last().map_or(0, |r| r.suppressed),
                    "could not record inbox rejections"
                );
            }
            tokio::time::sleep(WRITE_EVERY).await;
        }
    }
}
