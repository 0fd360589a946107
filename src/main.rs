//! The `wirebridge` binary: command line → telemetry → configuration →
//! dispatch. Everything else lives in the library.

use std::process::ExitCode;

use clap::Parser;
use wirebridge::cli::{self, Cli};
use wirebridge::config::Config;
use wirebridge::telemetry;

/// A configuration error is the operator's to fix, not a crash: its own
/// exit code lets scripts and service managers tell the two apart.
const EXIT_CONFIG: u8 = 2;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Cli::parse();
    telemetry::init(args.command.default_log_filter());
    let config = match Config::load(&args.config) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    match cli::run(args.command, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
