//! When to poll next: every decision in one place, as pure functions of the
//! outcome, the configured interval and what the server asked for. The
//! configured `poll_every` is a floor: nothing a server says makes us come
//! back sooner, and failures only ever push the next poll later.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::{Rng, RngExt};

use crate::net::CacheHints;

/// The longest a server's caching headers may push a poll back. Beyond this
/// a typo'd `max-age=31536000` would silence a feed for a year.
pub const MAX_SERVER_DELAY: Duration = Duration::from_secs(7 * 24 * 3600);

/// Up to this fraction of the interval is added at random, so feeds
/// configured alike drift apart instead of hitting hosts in lockstep.
const JITTER_FRACTION: f64 = 0.1;

/// After a success (200 or 304): the interval plus jitter, or later if the
/// server's Cache-Control / Expires / Retry-After asks for it.
pub fn after_success(
    now: DateTime<Utc>,
    poll_every: Duration,
    hints: &CacheHints,
    rng: &mut impl Rng,
) -> DateTime<Utc> {
    let ours = poll_every + jitter(poll_every, rng);
    now + to_chrono(ours.max(server_delay(now, hints)))
}

/// After a 429/503: Retry-After if it is later than the interval.
pub fn after_rate_limit(
    now: DateTime<Utc>,
    poll_every: Duration,
    hints: &CacheHints,
    rng: &mut impl Rng,
) -> DateTime<Utc> {
    after_success(now, poll_every, hints, rng)
}

/// After the `failures`-th consecutive failure: exponential backoff from
/// the interval (×2 each time) with ±20% jitter, capped at `max_backoff`
/// but never below the interval.
pub fn after_failure(
    now: DateTime<Utc>,
    poll_every: Duration,
    failures: u32,
    max_backoff: Duration,
    rng: &mut impl Rng,
) -> DateTime<Utc> {
    let exp = failures.saturating_sub(1).min(20);
    let raw = poll_every.saturating_mul(1u32 << exp);
    let capped = raw.min(max_backoff.max(poll_every));
    let factor = rng.random_range(0.8..=1.2);
    let jittered = capped.mul_f64(factor).min(max_backoff.max(poll_every));
    now + to_chrono(jittered.max(poll_every))
}

/// When a source seen for the first time — or found overdue at start-up —
/// is polled: soon, but spread over a short window so that a restart does
/// not hit every feed in the same second.
pub fn spread_start(now: DateTime<Utc>, poll_every: Duration, rng: &mut impl Rng) -> DateTime<Utc> {
    let window = (poll_every / 4).min(Duration::from_secs(60));
    let offset = rng.random_range(0.0..=1.0);
    now + to_chrono(window.mul_f64(offset))
}

fn jitter(poll_every: Duration, rng: &mut impl Rng) -> Duration {
    poll_every.mul_f64(rng.random_range(0.0..=JITTER_FRACTION))
}

/// The delay the server asked for, clamped to `MAX_SERVER_DELAY`.
fn server_delay(now: DateTime<Utc>, hints: &CacheHints) -> Duration {
    let expires = hints
        .expires
        .and_then(|t| (t - now).to_std().ok())
        .unwrap_or_default();
    [hints.max_age, hints.retry_after, Some(expires)]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or_default()
        .min(MAX_SERVER_DELAY)
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    const MIN: Duration = Duration::from_secs(60);

    fn rng() -> StdRng {
        StdRng::seed_from_u64(7)
    }

    fn secs_after(now: DateTime<Utc>, t: DateTime<Utc>) -> i64 {
        (t - now).num_seconds()
    }

    #[test]
    fn a_success_waits_the_interval_plus_at_most_ten_percent_spread_over_that_range() {
        let now = Utc::now();
        // One generator for all draws: a fresh one each time would draw
        // the same sample a hundred times and could not see the spread.
        let mut r = rng();
        let waits: Vec<i64> = (0..100)
            .map(|_| {
                secs_after(
                    now,
                    after_success(now, 15 * MIN, &CacheHints::default(), &mut r),
                )
            })
            .collect();
        assert!(waits.iter().all(|s| (900..=990).contains(s)), "{waits:?}");
        // Feeds configured alike drift apart: the draws cover the range.
        let distinct: std::collections::HashSet<_> = waits.iter().collect();
        assert!(distinct.len() > 30, "not spread: {waits:?}");
        let (low, high) = (waits.iter().min(), waits.iter().max());
        assert!(low < Some(&915) && high > Some(&975), "{low:?}..{high:?}");
    }

    #[test]
    fn a_long_max_age_moves_the_next_poll_later() {
        let now = Utc::now();
        let hints = CacheHints {
            max_age: Some(Duration::from_secs(3600)),
            ..Default::default()
        };
        let next = after_success(now, 15 * MIN, &hints, &mut rng());
        assert_eq!(secs_after(now, next), 3600);
    }

    #[test]
    fn a_short_max_age_never_makes_us_poll_sooner_than_configured() {
        let now = Utc::now();
        let hints = CacheHints {
            max_age: Some(Duration::from_secs(5)),
            retry_after: Some(Duration::from_secs(1)),
            ..Default::default()
        };
        let next = after_success(now, 15 * MIN, &hints, &mut rng());
        assert!(secs_after(now, next) >= 900);
    }

    #[test]
    fn expires_in_the_future_counts_and_absurd_values_are_clamped() {
        let now = Utc::now();
        let hints = CacheHints {
            expires: Some(now + chrono::Duration::hours(2)),
            ..Default::default()
        };
        assert_eq!(
            secs_after(now, after_success(now, MIN, &hints, &mut rng())),
            7200
        );
        let absurd = CacheHints {
            retry_after: Some(Duration::from_secs(10 * 365 * 24 * 3600)),
            ..Default::default()
        };
        let next = after_rate_limit(now, MIN, &absurd, &mut rng());
        assert_eq!(secs_after(now, next), MAX_SERVER_DELAY.as_secs() as i64);
    }

    #[test]
    fn failures_back_off_exponentially_up_to_the_cap() {
        let now = Utc::now();
        let cap = Duration::from_secs(6 * 3600);
        let mut r = rng();
        let first = secs_after(now, after_failure(now, 10 * MIN, 1, cap, &mut r));
        let third = secs_after(now, after_failure(now, 10 * MIN, 3, cap, &mut r));
        let tenth = secs_after(now, after_failure(now, 10 * MIN, 10, cap, &mut r));
        assert!((600..=720).contains(&first), "{first}");
        assert!((1920..=2880).contains(&third), "{third}");
        assert!(tenth <= cap.as_secs() as i64 && tenth >= (cap.as_secs() as f64 * 0.8) as i64);
    }

    #[test]
    fn a_restart_spreads_overdue_sources_over_a_minute() {
        let now = Utc::now();
        let mut r = rng();
        let times: Vec<i64> = (0..50)
            .map(|_| secs_after(now, spread_start(now, 15 * MIN, &mut r)))
            .collect();
        assert!(times.iter().all(|s| (0..=60).contains(s)));
        let distinct: std::collections::HashSet<_> = times.iter().collect();
        assert!(distinct.len() > 10, "not spread: {times:?}");
    }
}
