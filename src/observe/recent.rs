//! The last few inbox rejections, kept in memory for the status page: an
//! operator debugging "why does this server's Follow never arrive" wants
//! the reason, not only a count. Per process and lost on restart by
//! design — the log has the full history.

use std::collections::VecDeque;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// How many rejections are remembered.
const KEEP: usize = 50;

/// One refused inbox POST.
#[derive(Clone, Debug)]
pub struct Rejection {
    pub at: DateTime<Utc>,
    /// `unauthorized` or `bad_request`.
    pub kind: &'static str,
    /// Why, as the inbox said it (remote-controlled text: escape it).
    pub reason: String,
}

static RECENT: Mutex<VecDeque<Rejection>> = Mutex::new(VecDeque::new());

/// Remembers a rejection, forgetting the oldest past `KEEP`.
pub fn inbox_rejected(kind: &'static str, reason: &str) {
    let mut recent = RECENT.lock().unwrap_or_else(|p| p.into_inner());
    if recent.len() == KEEP {
        recent.pop_front();
    }
    recent.push_back(Rejection {
        at: Utc::now(),
        kind,
        // Reasons can quote attacker-chosen headers: bounded.
        reason: reason.chars().take(300).collect(),
    });
}

/// Newest first.
pub fn recent_inbox_rejections() -> Vec<Rejection> {
    let recent = RECENT.lock().unwrap_or_else(|p| p.into_inner());
    recent.iter().rev().cloned().collect()
}
