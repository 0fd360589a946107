//! The command line: the clap definitions and one small function per
//! subcommand. Output for people goes to stdout (tables) and stderr
//! (progress, errors); nothing here decides policy, it only calls the
//! library and shows what happened.

mod check;
mod health;
mod ops;
mod retract;
mod stories;
pub mod websub;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::Config;

/// Bridges a multilingual publisher to feed readers and the fediverse.
#[derive(Debug, Parser)]
#[command(name = "wirebridge", version, about, propagate_version = true)]
pub struct Cli {
    /// The TOML configuration file.
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        env = "WIREBRIDGE_CONFIG",
        default_value = "config/wirebridge.toml"
    )]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: poll every source on its schedule and serve HTTP.
    Serve,
    /// Validate the configuration and print what it would do.
    Check,
    /// Poll now (every source, or one), then print what happened.
    Poll {
        /// Poll only the source with this id.
        #[arg(long, value_name = "ID")]
        source: Option<String>,
    },
    /// Show each source's health: last success, last error, next poll.
    Sources,
    /// Recent stories with the languages they are available in.
    Stories {
        /// Only stories with a version in this language (BCP 47, any case).
        #[arg(long, value_name = "L")]
        lang: Option<String>,
        /// How many stories to show.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(i64).range(1..=1000))]
        limit: i64,
    },
    /// Put two articles (by URL) into one story, now and on later polls.
    Link {
        /// Any URL of the first article.
        url_a: String,
        /// Any URL of the second article.
        url_b: String,
    },
    /// Take an article (by URL) out of its story, now and on later polls.
    Unlink {
        /// The article's URL.
        url: String,
    },
    /// Withdraw a story (by any of its URLs) from every feed and, with a
    /// Delete, from the fediverse.
    Retract {
        /// Any URL of the story's articles.
        url: String,
    },
    /// Move source lists in and out as OPML.
    #[command(subcommand)]
    Opml(OpmlCommand),
    /// Who follows each fediverse account, and where we deliver to them.
    Followers {
        /// Only this actor's followers (its username).
        #[arg(long, value_name = "NAME")]
        actor: Option<String>,
    },
    /// The delivery queue: pending deliveries, failing hosts, retry times.
    Deliveries,
    /// Copy the SQLite database, online and consistent, to a new file
    /// (PostgreSQL: use pg_dump).
    Backup {
        /// The new file; it must not exist yet.
        path: PathBuf,
    },
    /// Apply pending database migrations and print the schema version.
    Migrate,
    /// WebSub both ways: our subscriptions to outlets' hubs and our own
    /// hub's subscribers, with their leases, and the hub's delivery queue.
    Websub {
        /// First make every queued hub delivery due now (skip the backoff).
        #[arg(long)]
        retry_now: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum OpmlCommand {
    /// Print `[[sources]]` TOML blocks for the feeds of an OPML file.
    Import {
        /// An OPML file exported from a feed reader.
        file: PathBuf,
    },
    /// Print the configured sources as OPML 2.0.
    Export,
}

impl Command {
    /// The daemon logs its life at `info`; one-shot commands print tables
    /// and should only be interrupted by warnings.
    pub fn default_log_filter(&self) -> &'static str {
        match self {
            Command::Serve => "info,sqlx=warn",
            _ => "warn",
        }
    }
}

/// Runs one subcommand with a validated configuration.
pub async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => crate::daemon::serve(config).await,
        Command::Check => {
            print!("{}", check::describe(&config));
            Ok(())
        }
        Command::Poll { source } => health::poll(config, source.as_deref()).await,
        Command::Sources => health::sources(config).await,
        Command::Stories { lang, limit } => stories::list(config, lang.as_deref(), limit).await,
        Command::Link { url_a, url_b } => stories::link(config, &url_a, &url_b).await,
        Command::Unlink { url } => stories::unlink(config, &url).await,
        Command::Retract { url } => retract::retract(config, &url).await,
        Command::Followers { actor } => ops::followers(config, actor.as_deref()).await,
        Command::Deliveries => ops::deliveries(config).await,
        Command::Backup { path } => ops::backup(config, &path).await,
        Command::Migrate => ops::migrate(config).await,
        Command::Websub { retry_now } => websub::websub(config, retry_now).await,
        Command::Opml(OpmlCommand::Import { file }) => opml_import(&config, &file),
        Command::Opml(OpmlCommand::Export) => {
            let title = format!("{} sources", config.publisher.name);
            print!("{}", crate::opml::export(&title, &config.sources)?);
            Ok(())
        }
    }
}

fn opml_import(config: &Config, file: &std::path::Path) -> anyhow::Result<()> {
    let xml =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let taken: Vec<_> = config.sources.iter().map(|s| s.id.clone()).collect();
    // Validation guarantees at least one publisher language.
    let default_language = config
        .publisher
        .languages
        .first()
        .context("publisher.languages is empty")?;
    let import = crate::opml::import(&xml, default_language, &taken)
        .with_context(|| format!("cannot import {}", file.display()))?;
    print!("{}", crate::opml::to_toml(&import));
    eprintln!(
        "{} sources, {} outlines skipped: review, then paste into {}",
        import.sources.len(),
        import.skipped.len(),
        config.path.display()
    );
    Ok(())
}
