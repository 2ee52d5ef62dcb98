//! The database's health as this process sees it: a circuit breaker that answers at once while
//! the database is known to be unreachable, and the probe that tells a busy pool from a
//! database that is down.
//!
//! sqlx reports both "every pooled connection stayed busy" and "no connection could be opened"
//! as a pool timeout, after the full acquire timeout (it retries a refused connection until
//! then). The probe tells them apart: it opens one connection of its own, outside the pool, and
//! pings it. Accepted: the pool was exhausted (overload). Refused or silent: the database is
//! unreachable, and the breaker opens.
//!
//! The breaker, per process (each replica has its own), one atomic per field, no lock on the
//! request path:
//! - closed (`open_until == 0`): requests run;
//! - open (now before `open_until`): requests that need the database are refused at once;
//! - half-open (`open_until` has passed): the first request to come probes the database. If it
//!   answers, the breaker closes and that request runs; if not, it opens for another period.
//!   Requests arriving while that probe runs are refused.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use prometheus::IntCounter;
use sea_orm::{DatabaseConnection, DbBackend};

/// How long a successful probe vouches for the database: pool timeouts within this time after
/// it count as overload without probing again.
const VOUCHED_FOR: Duration = Duration::from_secs(1);

/// The longest a probe may take; a database that has not accepted a connection by then counts
/// as unreachable.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// The database's health and its circuit breaker. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct DbHealth(Arc<Inner>);

struct Inner {
    db: DatabaseConnection,
    open_for: Duration,
    probe_timeout: Duration,
    started: Instant,
    /// Milliseconds since `started` (plus one) until which the breaker is open; 0: closed.
    open_until: AtomicU64,
    /// A request is probing the database for the half-open breaker.
    trial: AtomicBool,
    /// When a probe last found the database reachable (same clock as `open_until`).
    reachable_at: AtomicU64,
    /// One probe at a time; the others wait for its answer.
    probing: tokio::sync::Mutex<()>,
    opened: IntCounter,
    refused: IntCounter,
}

/// Clears the trial flag however the trial ends (also when its request is dropped).
struct Trial<'a>(&'a AtomicBool);

impl Drop for Trial<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl DbHealth {
    /// The health of `db`: the breaker stays open for `open_for` after the database was found
    /// unreachable (a probe gives up after at most `acquire_timeout`, and at most a second).
    /// `opened` counts the times it opened, `refused` the requests it answered 503 (at once, or
    /// after a probe that failed).
    pub fn new(
        db: DatabaseConnection,
        open_for: Duration,
        acquire_timeout: Duration,
        opened: IntCounter,
        refused: IntCounter,
    ) -> Self {
        Self(Arc::new(Inner {
            db,
            open_for,
            probe_timeout: acquire_timeout.min(PROBE_TIMEOUT),
            started: Instant::now(),
            open_until: AtomicU64::new(0),
            trial: AtomicBool::new(false),
            reachable_at: AtomicU64::new(0),
            probing: tokio::sync::Mutex::new(()),
            opened,
            refused,
        }))
    }

    /// Milliseconds on this breaker's clock, never 0.
    fn now(&self) -> u64 {
        millis(self.0.started.elapsed()) + 1
    }

    /// True while the breaker is open: the database was found unreachable less than the open
    /// period ago.
    pub fn is_open(&self) -> bool {
        let until = self.0.open_until.load(Ordering::Acquire);
        until != 0 && self.now() < until
    }

    /// Whether a request that needs the database may run. `Err` holds the seconds after which
    /// a retry may succeed. Open: refused at once. Half-open: the first caller probes the
    /// database and runs when it answers (closing the breaker); the others are refused.
    pub async fn admit(&self) -> Result<(), u64> {
        let until = self.0.open_until.load(Ordering::Acquire);
        if until == 0 {
            return Ok(());
        }
        let now = self.now();
        if now < until {
            self.0.refused.inc();
            return Err(seconds(until - now));
        }
        if self
            .0
            .trial
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            self.0.refused.inc();
            return Err(1);
        }
        let _trial = Trial(&self.0.trial);
        match self.probe().await {
            Ok(()) => {
                self.0.open_until.store(0, Ordering::Release);
                tracing::info!("the database answers again: circuit breaker closed");
                Ok(())
            }
            Err(cause) => {
                tracing::debug!(%cause, "the database is still unreachable");
                self.open(&cause);
                self.0.refused.inc();
                Err(seconds(millis(self.0.open_for)))
            }
        }
    }

    /// After a request met a pool timeout or a lost connection: is the database unreachable?
    /// Probes it (one probe at a time; a recent success is trusted) and opens the breaker when
    /// it is. False means the database accepts connections: a pool timeout was overload.
    pub async fn confirm_unreachable(&self) -> bool {
        if self.is_open() {
            return true;
        }
        if self.vouched() {
            return false;
        }
        let _probing = self.0.probing.lock().await;
        // Another request may have probed while this one waited.
        if self.is_open() {
            return true;
        }
        if self.vouched() {
            return false;
        }
        match self.probe().await {
            Ok(()) => false,
            Err(cause) => {
                self.open(&cause);
                true
            }
        }
    }

    /// True when a probe found the database reachable less than [`VOUCHED_FOR`] ago.
    fn vouched(&self) -> bool {
        let at = self.0.reachable_at.load(Ordering::Acquire);
        at != 0 && self.now().saturating_sub(at) < millis(VOUCHED_FOR)
    }

    /// Opens the breaker for the open period; counts and logs it when it was closed.
    fn open(&self, cause: &str) {
        let until = self.now() + millis(self.0.open_for);
        let previous = self.0.open_until.swap(until, Ordering::AcqRel);
        if previous == 0 {
            self.0.opened.inc();
            tracing::warn!(
                %cause,
                open_ms = millis(self.0.open_for),
                "the database is unreachable: circuit breaker open, requests are answered 503 at once until a probe finds it back"
            );
        }
    }

    /// Opens a connection outside the pool and pings it, within the probe timeout. `Err` says
    /// why the database is taken for unreachable (sqlx's connection errors name the host and
    /// the cause, never the password).
    async fn probe(&self) -> Result<(), String> {
        let attempt = async {
            match self.0.db.get_database_backend() {
                DbBackend::Postgres => {
                    connect_and_ping(self.0.db.get_postgres_connection_pool()).await
                }
                _ => connect_and_ping(self.0.db.get_sqlite_connection_pool()).await,
            }
        };
        let outcome = match tokio::time::timeout(self.0.probe_timeout, attempt).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => Err(err.to_string()),
            Err(_) => Err(format!(
                "no connection within {} ms",
                millis(self.0.probe_timeout)
            )),
        };
        if outcome.is_ok() {
            self.0.reachable_at.store(self.now(), Ordering::Release);
        }
        outcome
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX / 2)
}

/// Whole seconds, rounded up, at least one.
fn seconds(millis: u64) -> u64 {
    millis.div_ceil(1000).max(1)
}

async fn connect_and_ping<DB: sea_orm::sqlx::Database>(
    pool: &sea_orm::sqlx::Pool<DB>,
) -> Result<(), sea_orm::sqlx::Error> {
    use sea_orm::sqlx::{ConnectOptions, Connection};
    let options = pool.connect_options();
    let mut connection = options.connect().await?;
    connection.ping().await?;
    // Closed in the background: the verdict is in. Closing may wait for locks (SQLite runs
    // `PRAGMA optimize` on close, which may write), which says nothing about reachability.
    tokio::spawn(async move {
        let _ = connection.close().await;
    });
    Ok(())
}
