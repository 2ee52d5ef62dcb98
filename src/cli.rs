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
    /// Load a deterministic synthetic directory into an empty database, for the benchmark kit
    /// (`bench/run`): `small` is 20 organizations and 400 posts, `large` 10,000 organizations
    /// and 200,000 posts.
    Synthetic {
        /// The size of the data set.
        #[arg(long, value_enum, default_value = "small")]
        scale: crate::db::synthetic::Scale,
    },
    /// Print the GraphQL schema (SDL); `schema.graphql` is its output.
    Schema,
    /// Issue a token (JWT), record it in the database (administrators list and revoke it by
    /// its ID, never the token itself) and print it on standard output.
    Token {
        /// The role: admin, organization or partner.
        #[arg(long, value_enum)]
        role: TokenRole,
        /// For the organization role: the organization's slug, e.g. `ggz-friesland`.
        #[arg(long)]
        org: Option<String>,
        /// The subject: who the token is for (for partners: the partner's slug). Default: the
        /// organization's slug, or `admin`.
        #[arg(long)]
        sub: Option<String>,
        /// How long the token is valid, e.g. `90d`, `12h`.
        #[arg(long, default_value = "90d", value_parser = humantime::parse_duration)]
        ttl: std::time::Duration,
    },
}

/// The roles a token can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TokenRole {
    /// The support point: everything.
    Admin,
    /// One organization.
    Organization,
    /// A partner body.
    Partner,
}
