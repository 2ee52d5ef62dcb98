//! The database: connecting (pool, SQLite pragmas), migrating, seeding, and counting the SQL
//! statements the server runs.

pub mod changes;
pub mod health;
pub mod held;
pub mod journal;
pub mod json_rows;
pub mod page;
pub mod pg_rows;
pub mod seed;
pub mod snapshot;
pub mod synthetic;
pub mod write;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::Config;
use crate::error::{AppError, AppResult};

/// A map keyed by row id, hashed with foldhash (seeded at random per map) instead of SipHash:
/// a directory page fills and reads a thousand of them, and SipHash was a twentieth of its CPU.
pub type IdMap<V> = std::collections::HashMap<i32, V, foldhash::fast::RandomState>;

/// Counts every SQL statement run through the pool or a [`held::Held`] connection (the N+1
/// test reads it), and logs the slow ones.
#[derive(Debug, Clone, Default)]
pub struct StatementCounter {
    count: Arc<AtomicU64>,
    slow_after: Option<Duration>,
    slow: Option<prometheus::IntCounter>,
}

impl StatementCounter {
    /// Statements run so far.
    pub fn get(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Counts a statement that took `elapsed`; a slow one is logged (its SQL text only: bound
    /// values may hold personal data and never reach the log) and counted apart.
    pub fn observe(&self, sql: &str, elapsed: Duration) {
        self.count.fetch_add(1, Ordering::Relaxed);
        if self.slow_after.is_some_and(|after| elapsed >= after) {
            tracing::warn!(sql = %sql, elapsed_ms = elapsed.as_millis() as u64, "slow statement");
            if let Some(slow) = &self.slow {
                slow.inc();
            }
        } else {
            tracing::trace!(sql = %sql, elapsed_ms = elapsed.as_millis() as u64, "sql");
        }
    }
}

/// Connects to the configured database, creating the SQLite file (and its directory) if needed.
/// Statements slower than `SLOW_QUERY_MS` are logged (their SQL text only, never the values) and
/// counted in `slow`.
pub async fn connect(
    config: &Config,
    slow: Option<prometheus::IntCounter>,
) -> AppResult<(DatabaseConnection, StatementCounter)> {
    let url = config.database_url();
    let url = url.expose();
    if url.starts_with("sqlite:") && config.database_url.is_none() {
        private_dir(&config.data_dir)?;
    }
    if let Some(path) = sqlite_file(url) {
        private_file(&path)?;
    }
    // Statements must give up before the request does, so a request never outlives its timeout
    // holding a connection.
    let request_timeout = Duration::from_secs(config.request_timeout_secs.max(1));
    let statement_timeout = request_timeout.mul_f32(0.8);
    let busy_timeout = request_timeout.mul_f32(0.5).min(Duration::from_secs(5));
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(config.pool_size(url.starts_with("postgres")))
        .min_connections(1)
        // sea-orm applies both as sqlx's acquire timeout, which also bounds opening a
        // connection (sqlx retries a refused connection until then).
        .connect_timeout(acquire_timeout(config))
        .acquire_timeout(acquire_timeout(config))
        // sqlx pings a connection before every checkout by default: a round trip to the
        // server (on SQLite, to the connection's worker thread) before each statement, a third
        // of a directory page's sends to PostgreSQL. Only a connection idle long enough to
        // have been dropped (a restarted server, a proxy's idle timeout) is pinged; one that
        // fails in use is closed by sqlx and its statement fails (`SERVICE_UNAVAILABLE`).
        .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |opts| {
            opts.foreign_keys(true)
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                // FULL: a commit the API acknowledged survives a crash of the machine too.
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Full)
                .busy_timeout(busy_timeout)
                // A page cache of 8 MiB per connection (SQLite's default is 2 MiB): the hot
                // indexes of a national directory stay in memory; the rest is the kernel's
                // page cache, which does not count against the process.
                .pragma("cache_size", "-8192")
                // Deleted content (erased names, purged contributions) is overwritten with
                // zeros, not left in free pages.
                .pragma("secure_delete", "ON")
                // As SQLite advises: each connection refreshes stale planner statistics when
                // it closes, with a bounded amount of work.
                .analysis_limit(1000)
                .optimize_on_close(true, None)
                // Rows a connection's worker thread may read ahead of the request (sqlx's
                // default is 50): a batched page of a directory page is a few hundred rows,
                // and with room for them the worker runs a statement to its end without
                // stopping to wait for the request to take them.
                .row_buffer_size(ROW_BUFFER)
        });
    if url.starts_with("postgres") {
        options
            .statement_timeout(statement_timeout)
            // Every prepared statement runs with its generic plan, made once per connection,
            // instead of PostgreSQL's default of planning again whenever it estimates a plan
            // for the bound values cheaper. For the pages read for a few bound parents (a
            // theme's feed, an organization's posts) it always did: the generic plan assumes a
            // hundred parents. Planning was then 0.25 ms of a statement that runs in 0.07 ms.
            // `tests/api/plans.rs` checks the generic plans of the page statements.
            //
            // And no JIT compilation: the generic plan of a page under a hundred parents is
            // estimated above `jit_above_cost`, and PostgreSQL compiled it at every run (7 ms of
            // a statement that runs in 0.3 ms). The API's statements are short by design.
            .map_sqlx_postgres_opts(|opts| {
                opts.options([("plan_cache_mode", "force_generic_plan"), ("jit", "off")])
            });
    }
    let mut db = Database::connect(options).await?;
    let counter = StatementCounter {
        count: Arc::default(),
        slow_after: Some(Duration::from_millis(config.slow_query_ms)),
        slow,
    };
    let observer = counter.clone();
    db.set_metric_callback(move |info| observer.observe(&info.statement.sql, info.elapsed));
    Ok((db, counter))
}

/// Rows a SQLite connection's worker thread reads ahead (see `connect`): the largest batched
/// page is 100 parents of 101 rows.
const ROW_BUFFER: usize = 1024;

/// A pooled connection idle this long is pinged before it is handed out (see `connect`).
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(10);

/// The `id` column of every row `select` returns.
pub async fn select_ids<T: FromIterator<i32>>(
    db: &impl ConnectionTrait,
    select: &impl sea_orm::StatementBuilder,
) -> AppResult<T> {
    db.query_all(select)
        .await?
        .iter()
        .map(|row| Ok(row.try_get("", "id")?))
        .collect()
}

/// How long a request waits for a pooled connection (`DATABASE_ACQUIRE_TIMEOUT_MS`).
pub fn acquire_timeout(config: &Config) -> Duration {
    Duration::from_millis(config.database_acquire_timeout_ms.max(1))
}

/// Creates `dir` (and its parents) readable by the owner only (0700), since it holds the
/// database and the token secret.
pub(crate) fn private_dir(dir: &std::path::Path) -> AppResult<()> {
    let cannot =
        |err: std::io::Error| AppError::internal(format!("cannot create {}: {err}", dir.display()));
    if !dir.exists() {
        std::fs::create_dir_all(dir).map_err(cannot)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(cannot)?;
        }
    }
    Ok(())
}

/// The file of a `sqlite://PATH?…` URL (none for an in-memory database or PostgreSQL).
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.starts_with(":memory:") && !url.contains("mode=memory"))
        .then(|| path.into())
}

/// Creates the SQLite file readable by the owner only (0600) before SQLite does (SQLite gives
/// its `-wal` and `-shm` files the same mode); an existing file is left as it is.
fn private_file(path: &std::path::Path) -> AppResult<()> {
    if path.exists() {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(AppError::internal(format!(
            "cannot create {}: {err}",
            path.display()
        ))),
    }
}

/// On SQLite, moves everything in the write-ahead log into the database file and empties the
/// log, so that erased data no longer lingers in it (with `secure_delete`, freed space in the
/// file is zeroed). Nothing to do on PostgreSQL.
pub async fn checkpoint(db: &impl ConnectionTrait) -> AppResult<()> {
    if !is_postgres(db) {
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await?;
    }
    Ok(())
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> AppResult<()> {
    Migrator::up(db, None).await.map_err(AppError::from)
}

/// The migrations not yet applied (read only: creates nothing).
pub async fn pending_migrations(db: &DatabaseConnection) -> AppResult<Vec<String>> {
    Ok(Migrator::get_pending_migrations_read_only(db)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect())
}

/// Rolls back the last `steps` migrations.
pub async fn rollback(db: &DatabaseConnection, steps: u32) -> AppResult<()> {
    Migrator::down(db, Some(steps))
        .await
        .map_err(AppError::from)
}

/// Checks that the database answers.
pub async fn ping(db: &DatabaseConnection) -> AppResult<()> {
    db.execute_unprepared("SELECT 1").await?;
    Ok(())
}

/// Refreshes all of the query planner's statistics (after bulk loads; a start runs
/// [`optimize`]). Without them SQLite picks poor indexes on large tables (a status index over
/// 160,000 posts instead of the per-organization one).
pub async fn analyze(db: &impl ConnectionTrait) -> AppResult<()> {
    if is_postgres(db) {
        db.execute_unprepared("ANALYZE").await?;
    } else {
        // One string, so one connection runs it all, and then gives back the pages the
        // analysis read into its cache (8 MiB that would otherwise stay with an idle server).
        db.execute_unprepared(
            "PRAGMA analysis_limit = 1000; ANALYZE; PRAGMA optimize; PRAGMA shrink_memory;",
        )
        .await?;
    }
    Ok(())
}

/// Refreshes the planner's statistics where they are missing or stale, as SQLite advises at
/// start (`PRAGMA optimize`, checking every table: an index never analyzed, or a table 25 times
/// larger than when it was). Unlike [`analyze`], a start with current statistics reads nothing.
pub async fn optimize(db: &impl ConnectionTrait) -> AppResult<()> {
    if is_postgres(db) {
        return Ok(());
    }
    db.execute_unprepared(
        "PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002; PRAGMA shrink_memory;",
    )
    .await?;
    Ok(())
}

/// Begins a write transaction, the only way writes begin: every one is journaled
/// ([`journal::record`]). The write lock is its first step, before any row lock, so that two
/// writers can only queue, never deadlock: on SQLite `BEGIN IMMEDIATE` (concurrent writers wait
/// on the busy timeout instead of failing when they upgrade a read); on PostgreSQL the journal's
/// advisory transaction lock. That lock also makes change-feed sequence numbers, handed out at
/// insert but visible at commit, visible in order, so a partner reading the feed after `seq`
/// never misses a smaller one that commits later.
pub async fn begin_write(db: &DatabaseConnection) -> AppResult<DatabaseTransaction> {
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    if is_postgres(&txn) {
        txn.execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock({})",
            journal::WRITE_LOCK
        ))
        .await?;
    }
    Ok(txn)
}

/// True for PostgreSQL, false for SQLite.
pub fn is_postgres(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// The schedule of an hourly background job (retention, feed compaction): the first run one to
/// two minutes after start, so that it is not in the way of the first requests (it takes the
/// write lock) and replicas started together do not all run it at the same moment.
pub fn hourly_after_start() -> tokio::time::Interval {
    let mut jitter = [0u8; 1];
    let _ = getrandom::fill(&mut jitter);
    let first = std::time::Duration::from_secs(60 + u64::from(jitter[0]) * 60 / 256);
    let start = tokio::time::Instant::now() + first;
    tokio::time::interval_at(start, std::time::Duration::from_secs(3600))
}
