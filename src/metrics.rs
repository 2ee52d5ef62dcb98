//! Prometheus metrics of one server (a registry per `App`, no globals): requests by operation
//! type and outcome, latency, rate-limit rejections, SQL statements and slow ones, the
//! database pool and its exhaustion, and the database's circuit breaker, rendered at `/metrics`.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use sea_orm::{DatabaseConnection, DbBackend};

use crate::db::StatementCounter;

/// The server's metrics.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// GraphQL requests by operation type (`query`, `mutation`, `none`) and outcome (`ok`,
    /// `error`, `rejected`).
    pub requests: IntCounterVec,
    /// GraphQL request latency by operation type.
    pub latency: HistogramVec,
    /// Requests refused by a rate limit, by limit.
    pub rate_limited: IntCounterVec,
    /// SQL statements slower than the slow-query threshold.
    pub slow_statements: IntCounter,
    /// Anonymous queries answered from the response cache (`hit`) or computed (`miss`).
    pub response_cache: IntCounterVec,
    /// Root fields answered in one pass (`built`) or by the executor (`executor`), see
    /// `graphql::subtree`.
    pub subtrees: IntCounterVec,
    /// Introspection-only requests answered from memory (`memory`) or computed (`computed`).
    pub introspection_answers: IntCounterVec,
    /// Requests answered `OVERLOADED`: no pooled connection became free in time while the
    /// database was reachable.
    pub pool_exhausted: IntCounter,
    /// Times the database's circuit breaker opened (the database was found unreachable).
    pub breaker_opened: IntCounter,
    /// Requests answered 503 by the circuit breaker without waiting for the pool.
    pub breaker_refusals: IntCounter,
    /// 1 while the circuit breaker is open, else 0.
    pub breaker_open: IntGauge,
    statements_total: IntCounter,
    pool: IntGaugeVec,
}

fn register<T: prometheus::core::Collector + Clone + 'static>(registry: &Registry, metric: T) -> T {
    // Names are unique by construction; a failure would be a programming error caught by tests.
    let _ = registry.register(Box::new(metric.clone()));
    metric
}

impl Metrics {
    /// A fresh registry with every metric registered.
    // The definitions are constants: a failure is a programming error that every test run hits.
    #[allow(clippy::expect_used)]
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = register(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "graphql_requests_total",
                    "GraphQL requests by operation type and outcome",
                ),
                &["operation", "outcome"],
            )
            .expect("a valid metric definition"),
        );
        let latency = register(
            &registry,
            HistogramVec::new(
                HistogramOpts::new(
                    "graphql_request_duration_seconds",
                    "GraphQL request latency",
                )
                .buckets(vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ]),
                &["operation"],
            )
            .expect("a valid metric definition"),
        );
        let rate_limited = register(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "rate_limit_rejections_total",
                    "Requests refused by a rate limit",
                ),
                &["limit"],
            )
            .expect("a valid metric definition"),
        );
        let response_cache = register(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "graphql_response_cache_total",
                    "Anonymous queries answered from the response cache (hit) or computed (miss)",
                ),
                &["outcome"],
            )
            .expect("a valid metric definition"),
        );
        let subtrees = register(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "graphql_subtrees_total",
                    "Root fields answered in one pass (built) or field by field by the executor (executor)",
                ),
                &["answer"],
            )
            .expect("a valid metric definition"),
        );
        let introspection_answers = register(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "graphql_introspection_answers_total",
                    "Introspection-only requests answered from memory (memory) or computed (computed)",
                ),
                &["source"],
            )
            .expect("a valid metric definition"),
        );
        let slow_statements = register(
            &registry,
            IntCounter::new(
                "db_slow_statements_total",
                "SQL statements slower than SLOW_QUERY_MS",
            )
            .expect("a valid metric definition"),
        );
        let statements_total = register(
            &registry,
            IntCounter::new("db_statements_total", "SQL statements run")
                .expect("a valid metric definition"),
        );
        let pool = register(
            &registry,
            IntGaugeVec::new(
                Opts::new("db_pool_connections", "Database pool connections by state"),
                &["state"],
            )
            .expect("a valid metric definition"),
        );
        let pool_exhausted = register(
            &registry,
            IntCounter::new(
                "db_pool_exhausted_total",
                "Requests answered OVERLOADED: every database connection stayed busy for the acquire timeout",
            )
            .expect("a valid metric definition"),
        );
        let breaker_opened = register(
            &registry,
            IntCounter::new(
                "db_breaker_opened_total",
                "Times the database circuit breaker opened (the database was found unreachable)",
            )
            .expect("a valid metric definition"),
        );
        let breaker_refusals = register(
            &registry,
            IntCounter::new(
                "db_breaker_refusals_total",
                "Requests answered 503 at once by the open database circuit breaker",
            )
            .expect("a valid metric definition"),
        );
        let breaker_open = register(
            &registry,
            IntGauge::new(
                "db_breaker_open",
                "1 while the database circuit breaker is open",
            )
            .expect("a valid metric definition"),
        );
        Self {
            registry,
            pool_exhausted,
            breaker_opened,
            breaker_refusals,
            breaker_open,
            requests,
            latency,
            rate_limited,
            slow_statements,
            response_cache,
            subtrees,
            introspection_answers,
            statements_total,
            pool,
        }
    }

    /// Counts a GraphQL request that ran (or was answered from the cache), with its latency.
    pub fn answered(&self, operation: &str, outcome: &str, took: std::time::Duration) {
        self.requests.with_label_values(&[operation, outcome]).inc();
        self.latency
            .with_label_values(&[operation])
            .observe(took.as_secs_f64());
    }

    /// The metrics in Prometheus's text format, with the pool and statement counts read now.
    pub fn render(&self, db: &DatabaseConnection, statements: &StatementCounter) -> String {
        let (size, idle) = match db.get_database_backend() {
            DbBackend::Postgres => {
                let pool = db.get_postgres_connection_pool();
                (pool.size(), pool.num_idle() as u32)
            }
            _ => {
                let pool = db.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle() as u32)
            }
        };
        self.pool.with_label_values(&["open"]).set(i64::from(size));
        self.pool.with_label_values(&["idle"]).set(i64::from(idle));
        self.pool
            .with_label_values(&["in_use"])
            .set(i64::from(size.saturating_sub(idle)));
        let seen = self.statements_total.get();
        self.statements_total
            .inc_by(statements.get().saturating_sub(seen));
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
