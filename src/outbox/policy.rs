//! How a delivery attempt is judged and ended, the same for both queues:
//! the receiver's status becomes a `Verdict` the way Mastodon judges its
//! own deliveries, and `settle` turns it into the row's next state —
//! done, dropped, or retried on Sidekiq's curve for about two days.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::store::Finish;

/// After this many attempts a delivery is dropped: with `backoff` that
/// is about two days, Mastodon's own horizon (16 Sidekiq retries).
pub const MAX_ATTEMPTS: i64 = 17;
/// The longest a `Retry-After` may park a host's copies: a week (a
/// far-future date would otherwise park them for years).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// Seconds before attempt `n + 1` after `n` failures: Sidekiq's curve,
/// n⁴ + 15 + jitter·(n + 1) — 16 retries add up to about two days.
pub fn backoff(attempts: i64) -> chrono::Duration {
    let n = attempts.clamp(0, 30);
    let jitter = rand::random::<u32>() % 30;
    chrono::Duration::seconds(n.pow(4) + 15 + i64::from(jitter) * (n + 1))
}

/// What to do after one attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Done,
    Drop(String),
    Gone,
    Retry {
        after: Option<Duration>,
        error: String,
    },
}

impl Verdict {
    /// The outcome label of `wirebridge_deliveries_total`.
    pub fn metric_label(&self) -> &'static str {
        match self {
            Verdict::Done => "done",
            Verdict::Drop(_) => "refused",
            Verdict::Gone => "gone",
            Verdict::Retry { .. } => "retry",
        }
    }
}

pub fn judge(status: u16, retry_after: Option<&str>) -> Verdict {
    match status {
        200..=299 => Verdict::Done,
        410 => Verdict::Gone,
        429 => Verdict::Retry {
            after: retry_after.and_then(|r| parse_retry_after(r, std::time::SystemTime::now())),
            error: "429 Too Many Requests".into(),
        },
        401 | 408 => Verdict::Retry {
            after: None,
            error: format!("status {status}"),
        },
        400..=499 => Verdict::Drop(format!("status {status}")),
        _ => Verdict::Retry {
            after: None,
            error: format!("status {status}"),
        },
    }
}

/// `Retry-After` as seconds or an HTTP date, never beyond a week.
fn parse_retry_after(raw: &str, now: std::time::SystemTime) -> Option<Duration> {
    let wait = match raw.trim().parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => httpdate::parse_http_date(raw.trim())
            .ok()?
            .duration_since(now)
            .ok()?,
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// The row's next state after an attempt that was its `attempts + 1`th.
/// A 410 drops the copy here; what else goes with it (the followers
/// behind an inbox, a hub subscriber) is the queue's business.
pub fn settle(verdict: &Verdict, attempts: i64, now: DateTime<Utc>) -> Finish {
    match verdict {
        Verdict::Done => Finish::done(),
        Verdict::Drop(error) => Finish::dropped(error.as_str()),
        Verdict::Gone => Finish::dropped("410 Gone"),
        Verdict::Retry { error, .. } if attempts + 1 >= MAX_ATTEMPTS => {
            Finish::dropped(format!("{error} (failed for days)"))
        }
        Verdict::Retry { after, error } => {
            let wait = after
                .and_then(|d| chrono::Duration::from_std(d).ok())
                .unwrap_or_else(|| backoff(attempts));
            Finish::retry_at(now + wait, error.as_str())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::DeliveryStatus;

    #[test]
    fn statuses_are_judged_like_mastodon_does() {
        assert_eq!(judge(202, None), Verdict::Done);
        assert_eq!(judge(410, None), Verdict::Gone);
        assert!(matches!(judge(404, None), Verdict::Drop(_)));
        assert!(matches!(judge(401, None), Verdict::Retry { .. }));
        assert!(matches!(judge(503, None), Verdict::Retry { .. }));
        assert_eq!(
            judge(429, Some("120")),
            Verdict::Retry {
                after: Some(Duration::from_secs(120)),
                error: "429 Too Many Requests".into()
            }
        );
    }

    #[test]
    fn a_far_future_retry_after_date_is_clamped_to_a_week() {
        let now = std::time::SystemTime::now();
        assert_eq!(
            parse_retry_after("Fri, 01 Jan 2100 00:00:00 GMT", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(parse_retry_after("99999999999", now), Some(MAX_RETRY_AFTER));
        let soon = now + Duration::from_secs(3600);
        let waited = parse_retry_after(&httpdate::fmt_http_date(soon), now).expect("a date");
        assert!(waited <= Duration::from_secs(3600) && waited > Duration::from_secs(3590));
        assert_eq!(parse_retry_after("in a while", now), None);
    }

    #[test]
    fn retries_span_at_least_two_days() {
        let total: i64 = (0..MAX_ATTEMPTS - 1)
            .map(|n| backoff(n).num_seconds())
            .sum();
        assert!(total >= 2 * 24 * 3600 - 3600, "only {total} s");
        assert!(total < 4 * 24 * 3600, "{total} s");
    }

    #[test]
    fn the_last_retry_drops_the_copy_and_earlier_ones_wait() {
        let now = Utc::now();
        let retry = Verdict::Retry {
            after: None,
            error: "status 503".into(),
        };
        let early = settle(&retry, 0, now);
        assert_eq!(early.status, DeliveryStatus::Pending);
        assert!(early.retry_at.is_some_and(|t| t > now));
        let last = settle(&retry, MAX_ATTEMPTS - 1, now);
        assert_eq!(last.status, DeliveryStatus::Dropped);
        assert_eq!(settle(&Verdict::Gone, 0, now), Finish::dropped("410 Gone"));
        assert_eq!(settle(&Verdict::Done, 3, now), Finish::done());
    }
}
