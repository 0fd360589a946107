//! Times and durations the way people read them in the CLI's tables and
//! on the admin page: "3m ago", "in 12m", "240 ms".

use std::time::Duration;

use chrono::{DateTime, Utc};

/// `t` relative to `now`, rounded down to its largest unit.
pub fn relative(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (t - now).num_seconds();
    if secs.abs() < 5 {
        return "now".to_string();
    }
    let span = short(secs.unsigned_abs());
    if secs < 0 {
        format!("{span} ago")
    } else {
        format!("in {span}")
    }
}

fn short(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m", secs / 60),
        3600..=86_399 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

/// How long one poll took.
pub fn elapsed(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// A configured interval: `15m`, `1h 30m`.
pub fn interval(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is the failure report
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn past_and_future_times_read_naturally() {
        let now = Utc::now();
        assert_eq!(relative(now - TimeDelta::minutes(3), now), "3m ago");
        assert_eq!(
            relative(now + TimeDelta::seconds(12 * 60 + 30), now),
            "in 12m"
        );
        assert_eq!(relative(now + TimeDelta::seconds(2), now), "now");
        assert_eq!(relative(now - TimeDelta::hours(50), now), "2d ago");
        assert_eq!(relative(now + TimeDelta::seconds(45), now), "in 45s");
    }

    #[test]
    fn short_polls_are_in_milliseconds() {
        assert_eq!(elapsed(Duration::from_millis(240)), "240 ms");
        assert_eq!(elapsed(Duration::from_millis(2500)), "2.5 s");
    }
}
