//! Logging set-up: human-readable lines on stderr, `RUST_LOG` respected,
//! `WIREBRIDGE_LOG_FORMAT=json` for log collectors.

/// Installs the global subscriber; `default_filter` applies when `RUST_LOG`
/// is not set.
pub fn init(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // `try_init` fails only when a subscriber is already installed (tests
    // that boot the app twice); keeping the first one is right.
    let _ = if std::env::var("WIREBRIDGE_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
