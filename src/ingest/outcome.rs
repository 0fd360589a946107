//! How a poll ends, as values: the outcome enum tests and tables match
//! on, the `Polled` result of one poll, and the `PollReport` the log,
//! the CLI and the metrics read.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::domain::SourceId;

/// How one source's poll ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PollOutcome {
    /// 200 and parsed (entries may or may not be new).
    Fetched,
    /// 200 with a body identical to the last one: nothing parsed.
    Unchanged,
    /// 304.
    NotModified,
    /// 429/503 with Retry-After.
    RateLimited,
    /// 410: marked gone, no longer polled.
    Gone,
    /// Network, HTTP or parse failure — including a feed that has items
    /// of which we could read none ("feed has N items we could not read"):
    /// never a silent "fetched, 0 new". See `error`.
    Failed,
    /// Already gone: not fetched.
    Skipped,
    /// Another process holds this source's poll lease (several instances
    /// on one PostgreSQL database), or it was no longer due: not fetched.
    Elsewhere,
}

impl PollOutcome {
    /// The `outcome` label of `wirebridge_polls_total`: no spaces, stable
    /// for dashboards.
    pub fn metric_label(self) -> &'static str {
        match self {
            PollOutcome::Fetched => "fetched",
            PollOutcome::Unchanged => "unchanged",
            PollOutcome::NotModified => "not_modified",
            PollOutcome::RateLimited => "rate_limited",
            PollOutcome::Gone => "gone",
            PollOutcome::Failed => "failed",
            PollOutcome::Skipped => "skipped",
            PollOutcome::Elsewhere => "elsewhere",
        }
    }

    /// For people: logs and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            PollOutcome::Fetched => "fetched",
            PollOutcome::Unchanged => "unchanged",
            PollOutcome::NotModified => "not modified",
            PollOutcome::RateLimited => "rate limited",
            PollOutcome::Gone => "gone",
            PollOutcome::Failed => "failed",
            PollOutcome::Skipped => "skipped (gone)",
            PollOutcome::Elsewhere => "polled elsewhere",
        }
    }
}

/// What one poll did: the outcome, entries new and edited, and why it
/// failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Polled {
    pub outcome: PollOutcome,
    pub new: usize,
    pub updated: usize,
    pub error: Option<String>,
    /// When another instance holds the source (`Elsewhere`): not before
    /// then is it worth asking again.
    pub retry_at: Option<DateTime<Utc>>,
}

impl Polled {
    /// An outcome with nothing stored.
    pub fn only(outcome: PollOutcome) -> Polled {
        Polled {
            outcome,
            new: 0,
            updated: 0,
            error: None,
            retry_at: None,
        }
    }

    pub fn failed(error: impl Into<String>) -> Polled {
        Polled {
            error: Some(error.into()),
            ..Polled::only(PollOutcome::Failed)
        }
    }
}

/// One source's poll, for the log, the CLI's table and the metrics.
#[derive(Clone, Debug)]
pub struct PollReport {
    pub source: SourceId,
    pub outcome: PollOutcome,
    pub new: usize,
    pub updated: usize,
    pub error: Option<String>,
    pub elapsed: Duration,
}
