//! The command line: `serve` (default), `migrate`, `seed`, `schema`.

use clap::{Parser, Subcommand};

use crate::config::Config;

/// GraphQL backend for the participant directory of the Radicale vernieuwing langdurige ggz
/// network. Every option can also be given as the environment variable shown (or in `.env`).
#[derive(Debug, Parser)]
#[command(name = "network-directory", version)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Configuration.
    #[command(flatten)]
    pub config: Config,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (migrates, and seeds an empty database, first).
    Serve,
    /// Apply pending database migrations, or roll back with --down.
    Migrate {
        /// Roll back this many migrations instead of applying.
        #[arg(long, value_name = "STEPS")]
        down: Option<u32>,
    },
    /// Insert the network's seed data that is missing (idempotent).
    Seed,
    /// Print the GraphQL schema (SDL); `schema.graphql` is its output.
    Schema,
}
