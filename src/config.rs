//! The one `Config` of the server, read from command-line flags, the environment and a `.env`
//! file (in that order of precedence). Every setting has a documented default; secrets are kept
//! in [`Secret`] so that `Debug` never prints them.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// A value that must never be printed: `Debug` and `Display` show `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable, for a terminal.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Whether root fields answer whole subtrees in one pass (see `graphql::subtree`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum FastPath {
    /// Subtrees are answered in one pass where the selection allows.
    #[default]
    On,
    /// Every field is resolved by the executor.
    Off,
    /// Both run and must give the same answer; a difference is an internal error (for tests).
    Check,
}

/// The one algorithm tokens are accepted with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum JwtAlgorithm {
    /// HMAC-SHA256 with a shared secret (the embedded default).
    #[value(name = "HS256")]
    Hs256,
    /// RSA-SHA256 with a key pair (production).
    #[value(name = "RS256")]
    Rs256,
    /// Ed25519 with a key pair (production).
    #[value(name = "EdDSA")]
    EdDsa,
}

/// Server configuration. Each field is also an environment variable.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Database URL: `sqlite://PATH?mode=rwc` or `postgres://USER:PASSWORD@HOST/DB`.
    /// Default: the SQLite file `directory.db` in DATA_DIR, created on first start.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<Secret>,

    /// Directory for the embedded default's SQLite file, the generated JWT secret and the
    /// generated e-mail hash key.
    #[arg(long, env = "DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,

    /// Maximum number of pooled database connections (default: 10 on PostgreSQL, twice the
    /// cores on SQLite; see [`Config::pool_size`]).
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", global = true)]
    pub database_max_connections: Option<u32>,

    /// Milliseconds a request waits for a pooled database connection. When every connection
    /// stays busy that long the request is answered `OVERLOADED` (503).
    #[arg(
        long,
        env = "DATABASE_ACQUIRE_TIMEOUT_MS",
        default_value_t = 3000,
        global = true
    )]
    pub database_acquire_timeout_ms: u64,

    /// Milliseconds the server answers `SERVICE_UNAVAILABLE` at once, without trying the
    /// database, after it found the database unreachable; then one request probes it.
    #[arg(
        long,
        env = "DATABASE_BREAKER_OPEN_MS",
        default_value_t = 2000,
        global = true
    )]
    pub database_breaker_open_ms: u64,

    /// Address the HTTP server listens on (port 0 picks a free port).
    #[arg(
        long,
        env = "BIND_ADDRESS",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind_address: SocketAddr,

    /// Log format: `pretty` or `json`.
    #[arg(
        long,
        env = "LOG_FORMAT",
        value_enum,
        default_value = "pretty",
        global = true
    )]
    pub log_format: LogFormat,

    /// Log filter in tracing's `EnvFilter` syntax, e.g. `info` or `network_directory=debug`.
    #[arg(long = "log", env = "RUST_LOG", default_value = "info", global = true)]
    pub log_filter: String,

    /// The one accepted token algorithm: HS256, RS256 or EdDSA. Never taken from a token.
    #[arg(
        long,
        env = "JWT_ALGORITHM",
        value_enum,
        default_value = "HS256",
        global = true
    )]
    pub jwt_algorithm: JwtAlgorithm,

    /// HS256 secret (at least 32 bytes). Default: generated once into DATA_DIR/jwt-secret.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true, global = true)]
    pub jwt_secret: Option<Secret>,

    /// PEM public key for RS256/EdDSA verification.
    #[arg(long, env = "JWT_PUBLIC_KEY_FILE", global = true)]
    pub jwt_public_key_file: Option<PathBuf>,

    /// PEM private key for RS256/EdDSA signing (only where tokens are issued).
    #[arg(long, env = "JWT_PRIVATE_KEY_FILE", global = true)]
    pub jwt_private_key_file: Option<PathBuf>,

    /// Required `iss` of tokens, and the issuer of tokens made here.
    #[arg(
        long,
        env = "JWT_ISSUER",
        default_value = "network-directory",
        global = true
    )]
    pub jwt_issuer: String,

    /// Required `aud` of tokens, and the audience of tokens made here.
    #[arg(
        long,
        env = "JWT_AUDIENCE",
        default_value = "network-directory",
        global = true
    )]
    pub jwt_audience: String,

    /// Key (at least 32 bytes) of the keyed hash (HMAC-SHA256) of authors' e-mail addresses, by
    /// which erasure finds an author after retention deleted the address. Every replica needs
    /// the same key. Default: generated once into DATA_DIR/email-hash-key.
    #[arg(long, env = "EMAIL_HASH_KEY", hide_env_values = true, global = true)]
    pub email_hash_key: Option<Secret>,

    /// Days after a moderation decision when the author's e-mail address is deleted and a
    /// rejected contribution is purged.
    #[arg(long, env = "RETENTION_DAYS", default_value_t = 30, global = true)]
    pub retention_days: u32,

    /// Days the change feed keeps every change: older changes are compacted to the latest per
    /// object (hourly), and a cursor older than this is refused (the partner starts again from
    /// the snapshot).
    #[arg(long, env = "FEED_HORIZON_DAYS", default_value_t = 30, global = true)]
    pub feed_horizon_days: u32,

    /// Most WebSocket connections for subscriptions one client address may hold open; more
    /// are answered 429.
    #[arg(
        long,
        env = "SUBSCRIPTION_CONNECTIONS_PER_ADDRESS",
        default_value_t = 8,
        global = true
    )]
    pub subscription_connections_per_address: usize,

    /// Seconds a subscription connection may stay open without a subscription; then it is
    /// closed.
    #[arg(
        long,
        env = "SUBSCRIPTION_IDLE_SECS",
        default_value_t = 60,
        global = true
    )]
    pub subscription_idle_secs: u64,

    /// Largest request body in bytes; a larger one is answered 413.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 64 * 1024, global = true)]
    pub max_body_bytes: usize,

    /// Longest GraphQL document in bytes.
    #[arg(long, env = "MAX_QUERY_BYTES", default_value_t = 16 * 1024, global = true)]
    pub max_query_bytes: usize,

    /// Deepest selection nesting a query may have (introspection queries are exempt).
    #[arg(long, env = "MAX_DEPTH", default_value_t = 12, global = true)]
    pub max_depth: usize,

    /// Highest cost a query may have: each field costs 1, a connection its page size times the
    /// cost of what is selected under it (introspection queries are exempt).
    #[arg(long, env = "MAX_COMPLEXITY", default_value_t = 50_000, global = true)]
    pub max_complexity: usize,

    /// Most directives on one field.
    #[arg(long, env = "MAX_DIRECTIVES", default_value_t = 5, global = true)]
    pub max_directives: usize,

    /// Most fields at the root of an operation, aliases included: each runs database
    /// statements of its own, where fields below are batched.
    #[arg(long, env = "MAX_ROOT_FIELDS", default_value_t = 20, global = true)]
    pub max_root_fields: usize,

    /// Seconds a request may take before it is cut off (database statements get less).
    #[arg(
        long,
        env = "REQUEST_TIMEOUT_SECS",
        default_value_t = 10,
        global = true
    )]
    pub request_timeout_secs: u64,

    /// Allow introspection (GraphiQL and code generators need it). When off, field
    /// suggestions in error messages are off too.
    #[arg(long, env = "INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub introspection: bool,

    /// Requests per minute per client IP address.
    #[arg(
        long,
        env = "RATE_LIMIT_IP_PER_MINUTE",
        default_value_t = 600,
        global = true
    )]
    pub rate_limit_ip_per_minute: u32,

    /// Requests per minute per token subject.
    #[arg(
        long,
        env = "RATE_LIMIT_TOKEN_PER_MINUTE",
        default_value_t = 1200,
        global = true
    )]
    pub rate_limit_token_per_minute: u32,

    /// Contributions per hour per client IP address without a token (spam).
    #[arg(
        long,
        env = "RATE_LIMIT_SUBMISSIONS_PER_HOUR",
        default_value_t = 10,
        global = true
    )]
    pub rate_limit_submissions_per_hour: u32,

    /// Most contributions waiting for moderation; beyond it anonymous submissions are refused.
    #[arg(long, env = "MAX_PENDING_POSTS", default_value_t = 500, global = true)]
    pub max_pending_posts: u64,

    /// Query cost per minute per caller (token subject, or IP address without a token); a token
    /// may carry its own `cost_budget` claim. Reported in `extensions.cost`. 0: no budget
    /// (benchmarks).
    #[arg(
        long,
        env = "COST_BUDGET_PER_MINUTE",
        default_value_t = 500_000,
        global = true
    )]
    pub cost_budget_per_minute: u32,

    /// Header holding the client address set by a trusted reverse proxy, e.g.
    /// `x-forwarded-for` (its last entry is used). Unset: the TCP peer address.
    #[arg(long, env = "TRUSTED_PROXY_HEADER", global = true)]
    pub trusted_proxy_header: Option<String>,

    /// Origins allowed to read responses in browsers (comma-separated), or `*` for any.
    /// Credentials are never allowed.
    #[arg(long, env = "CORS_ALLOWED_ORIGINS", default_value = "*", global = true)]
    pub cors_allowed_origins: String,

    /// Database statements slower than this (milliseconds) are logged as slow.
    #[arg(long, env = "SLOW_QUERY_MS", default_value_t = 500, global = true)]
    pub slow_query_ms: u64,

    /// Seconds to let requests in flight finish after SIGTERM or ctrl-c.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value_t = 30, global = true)]
    pub shutdown_grace_secs: u64,

    /// Seed the network's data (seed/network.toml) when the database is empty at start.
    #[arg(long, env = "SEED_ON_EMPTY", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub seed_on_empty: bool,

    /// Memory for the cache of anonymous answers, in MiB (0 turns it off). An answer is served
    /// from it until committed data changes.
    #[arg(long, env = "RESPONSE_CACHE_MB", default_value_t = 64, global = true)]
    pub response_cache_mb: u64,

    /// How root fields are answered: `on` builds a whole answer in one pass where the
    /// selection allows (plain fields and lists of the public types), `off` resolves every field
    /// through the executor, `check` does both and refuses an answer where they differ (tests).
    #[arg(long, env = "FAST_PATH", value_enum, default_value_t = FastPath::On, global = true)]
    pub fast_path: FastPath,

    /// `max-age` of `Cache-Control: public` on anonymous GET answers, in seconds. With 0 (the
    /// default) clients and proxies may store answers but must revalidate them (`ETag`,
    /// `If-None-Match`, `304`) before each use.
    #[arg(long, env = "PUBLIC_MAX_AGE_SECS", default_value_t = 0, global = true)]
    pub public_max_age_secs: u64,

    /// For benchmarks only: serve this file's bytes at `GET /ceiling`, as the ceiling of what
    /// the HTTP stack can serve on this machine (the benchmark kit sets it; unset, no route).
    #[arg(long, env = "STATIC_CEILING_FILE", global = true)]
    pub static_ceiling_file: Option<PathBuf>,
}

impl Config {
    /// The database URL to use: the configured one, or the embedded default's SQLite file.
    pub fn database_url(&self) -> Secret {
        match &self.database_url {
            Some(url) => url.clone(),
            None => Secret::new(format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("directory.db").display()
            )),
        }
    }

    /// The size of the database pool: `DATABASE_MAX_CONNECTIONS`, or by default 10 on
    /// PostgreSQL and twice the cores on SQLite. SQLite's reads run on this machine's cores,
    /// so connections beyond them only add requests computing at once: at 32 concurrent directory
    /// pages on 2 cores, 4 connections answered as many pages a second as 10, with the slowest
    /// in a hundred taking about half as long (they wait their turn for a connection instead
    /// of sharing the cores with every other).
    pub fn pool_size(&self, postgres: bool) -> u32 {
        match (self.database_max_connections, postgres) {
            (Some(size), _) => size,
            (None, true) => 10,
            (None, false) => std::thread::available_parallelism()
                .map_or(2, |cores| cores.get() as u32 * 2)
                .max(2),
        }
    }

    /// A configuration for tests and embedding: the given database, port 0, quiet logs, and
    /// rate limits high enough not to interfere (tests of the limits set their own).
    pub fn for_database(database_url: impl Into<String>, data_dir: PathBuf) -> Self {
        Self {
            database_url: Some(Secret::new(database_url)),
            data_dir,
            database_max_connections: Some(5),
            database_acquire_timeout_ms: 3000,
            database_breaker_open_ms: 2000,
            bind_address: SocketAddr::from(([127, 0, 0, 1], 0)),
            log_format: LogFormat::Pretty,
            log_filter: "warn".to_owned(),
            seed_on_empty: true,
            jwt_algorithm: JwtAlgorithm::Hs256,
            jwt_secret: None,
            jwt_public_key_file: None,
            jwt_private_key_file: None,
            jwt_issuer: "network-directory".to_owned(),
            jwt_audience: "network-directory".to_owned(),
            email_hash_key: None,
            retention_days: 30,
            feed_horizon_days: 30,
            subscription_connections_per_address: 8,
            subscription_idle_secs: 60,
            max_body_bytes: 64 * 1024,
            max_query_bytes: 16 * 1024,
            max_depth: 12,
            max_complexity: 50_000,
            max_directives: 5,
            max_root_fields: 20,
            request_timeout_secs: 10,
            introspection: true,
            rate_limit_ip_per_minute: 100_000,
            rate_limit_token_per_minute: 100_000,
            rate_limit_submissions_per_hour: 10_000,
            max_pending_posts: 10_000,
            cost_budget_per_minute: 100_000_000,
            trusted_proxy_header: None,
            cors_allowed_origins: "*".to_owned(),
            slow_query_ms: 500,
            shutdown_grace_secs: 5,
            static_ceiling_file: None,
            // Off, so that tests see the database's behaviour; the cache's own tests turn it on.
            response_cache_mb: 0,
            public_max_age_secs: 0,
            // Both ways, compared: every test that reads checks the one-pass answers too.
            fast_path: FastPath::Check,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_is_sized_by_the_database_unless_configured() {
        let mut config = Config::for_database("sqlite::memory:", PathBuf::from("."));
        config.database_max_connections = None;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
        assert_eq!(config.pool_size(false), (cores * 2).max(2));
        assert_eq!(config.pool_size(true), 10);
        config.database_max_connections = Some(3);
        assert_eq!((config.pool_size(false), config.pool_size(true)), (3, 3));
    }
}
