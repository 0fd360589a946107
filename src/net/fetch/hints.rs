//! Reading a response's caching headers into `CacheHints`. Pure: takes the
//! header values and "now", so every rule is testable without a server.
//! Garbage is ignored (the hint is `None`) and every hint is clamped to
//! `MAX_CACHE_HINT`, so a hostile or buggy server cannot park a feed forever.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, CACHE_CONTROL, EXPIRES, RETRY_AFTER};

use super::CacheHints;

/// The longest any server may ask us to stay away.
pub const MAX_CACHE_HINT: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// All three hints from a response's headers.
pub fn from_headers(headers: &HeaderMap, now: DateTime<Utc>) -> CacheHints {
    // Several Cache-Control lines mean one comma-separated list (RFC 9110 §5.3).
    let cache_control: Vec<&str> = headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    CacheHints {
        max_age: max_age(&cache_control.join(",")),
        expires: text(EXPIRES).and_then(|v| expires(v, now)),
        retry_after: text(RETRY_AFTER).and_then(|v| retry_after(v, now)),
    }
}

/// `s-maxage` wins over `max-age`: one fetch of ours feeds many readers, which
/// is what RFC 9111 §5.2.2.10 calls a shared cache. `no-cache`, `private` and
/// friends say nothing about how often to poll, so they are ignored.
pub fn max_age(cache_control: &str) -> Option<Duration> {
    let mut max_age = None;
    let mut s_maxage = None;
    for directive in cache_control.split(',') {
        let Some((name, value)) = directive.split_once('=') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim().trim_matches('"');
        match name.as_str() {
            "max-age" => max_age = delta_seconds(value).or(max_age),
            "s-maxage" => s_maxage = delta_seconds(value).or(s_maxage),
            _ => {}
        }
    }
    s_maxage.or(max_age)
}

/// `Expires` counts only when it lies in the future (`Expires: 0` and past
/// dates mean "already stale"), and is pulled in to `now + MAX_CACHE_HINT`.
pub fn expires(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let at = http_date(value)?;
    if at <= now {
        return None;
    }
    Some(at.min(now + MAX_CACHE_HINT))
}

/// `Retry-After` is either delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
/// A date already past means "now".
pub fn retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Some(delay) = delta_seconds(value) {
        return Some(delay);
    }
    let at = http_date(value)?;
    let delay = (at - now).to_std().unwrap_or(Duration::ZERO);
    Some(delay.min(MAX_CACHE_HINT))
}

/// Non-negative decimal seconds; a number too large for `u64` is still a
/// number (RFC 9111 §1.2.2 says to treat overflow as "very large").
fn delta_seconds(value: &str) -> Option<Duration> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs = value.parse::<u64>().unwrap_or(u64::MAX);
    Some(Duration::from_secs(secs).min(MAX_CACHE_HINT))
}

fn http_date(value: &str) -> Option<DateTime<Utc>> {
    httpdate::parse_http_date(value.trim())
        .ok()
        .map(DateTime::<Utc>::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, 10, 12, 0, 0)
            .single()
            .expect("valid test date")
    }

    #[test]
    fn max_age_is_read_in_seconds() {
        assert_eq!(
            max_age("public, max-age=300"),
            Some(Duration::from_secs(300))
        );
        assert_eq!(max_age("MAX-AGE=\"60\""), Some(Duration::from_secs(60)));
    }

    #[test]
    fn s_maxage_wins_over_max_age() {
        assert_eq!(
            max_age("max-age=60, s-maxage=600"),
            Some(Duration::from_secs(600))
        );
    }

    #[test]
    fn directives_without_a_lifetime_give_no_max_age() {
        assert_eq!(max_age("no-cache, no-store, must-revalidate"), None);
        assert_eq!(max_age(""), None);
    }

    #[test]
    fn garbage_max_age_is_ignored() {
        assert_eq!(max_age("max-age=soon"), None);
        assert_eq!(max_age("max-age=-5"), None);
        assert_eq!(max_age("max-age=1.5"), None);
        assert_eq!(max_age("max-age="), None);
        assert_eq!(
            max_age("max-age=bad, max-age=30"),
            Some(Duration::from_secs(30))
        );
    }

    #[test]
    fn an_absurd_max_age_is_clamped_to_a_week() {
        assert_eq!(max_age("max-age=999999999"), Some(MAX_CACHE_HINT));
        assert_eq!(
            max_age("max-age=99999999999999999999999999"),
            Some(MAX_CACHE_HINT)
        );
    }

    #[test]
    fn a_future_expires_is_kept() {
        let at = expires("Sun, 10 Mar 2024 13:00:00 GMT", now());
        assert_eq!(at, Some(now() + chrono::Duration::hours(1)));
    }

    #[test]
    fn a_past_or_garbage_expires_is_ignored() {
        assert_eq!(expires("Sun, 10 Mar 2024 11:00:00 GMT", now()), None);
        assert_eq!(expires("0", now()), None);
        assert_eq!(expires("next tuesday", now()), None);
    }

    #[test]
    fn a_far_future_expires_is_clamped_to_a_week() {
        let at = expires("Fri, 01 Jan 2100 00:00:00 GMT", now());
        assert_eq!(at, Some(now() + MAX_CACHE_HINT));
    }

    #[test]
    fn retry_after_accepts_seconds() {
        assert_eq!(retry_after("120", now()), Some(Duration::from_secs(120)));
        assert_eq!(retry_after(" 7 ", now()), Some(Duration::from_secs(7)));
    }

    #[test]
    fn retry_after_accepts_an_http_date() {
        let delay = retry_after("Sun, 10 Mar 2024 12:30:00 GMT", now());
        assert_eq!(delay, Some(Duration::from_secs(30 * 60)));
    }

    #[test]
    fn retry_after_a_past_date_means_now() {
        let delay = retry_after("Sat, 09 Mar 2024 12:00:00 GMT", now());
        assert_eq!(delay, Some(Duration::ZERO));
    }

    #[test]
    fn garbage_retry_after_is_ignored() {
        assert_eq!(retry_after("later", now()), None);
        assert_eq!(retry_after("-1", now()), None);
        assert_eq!(retry_after("", now()), None);
    }

    #[test]
    fn an_absurd_retry_after_is_clamped_to_a_week() {
        assert_eq!(retry_after("31536000", now()), Some(MAX_CACHE_HINT));
        let far = retry_after("Fri, 01 Jan 2100 00:00:00 GMT", now());
        assert_eq!(far, Some(MAX_CACHE_HINT));
    }

    #[test]
    fn hints_are_read_from_a_header_map() {
        let mut headers = HeaderMap::new();
        headers.append(CACHE_CONTROL, "public".parse().expect("header"));
        headers.append(CACHE_CONTROL, "max-age=90".parse().expect("header"));
        headers.insert(RETRY_AFTER, "garbage".parse().expect("header"));
        let hints = from_headers(&headers, now());
        assert_eq!(hints.max_age, Some(Duration::from_secs(90)));
        assert_eq!(hints.expires, None);
        assert_eq!(hints.retry_after, None);
    }
}
