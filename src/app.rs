//! `App`: the server as a value. `App::build(config)` connects, migrates, seeds an empty
//! database and binds the listener (port 0 works); `run` serves until the shutdown future
//! completes, then drains requests in flight for at most the grace period.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::auth::TokenKeys;
use crate::config::Config;
use crate::db::changes::DataVersion;
use crate::db::{self, StatementCounter};
use crate::error::{AppError, AppResult};
use crate::graphql::{SchemaLimits, build_schemas};
use crate::http::cache::ResponseCache;
use crate::http::{AppState, HttpLimits, router};
use crate::limits::Limits;
use crate::metrics::Metrics;
use crate::privacy::EmailHashKey;
use axum::http::HeaderValue;

/// A built server, bound and ready to run.
pub struct App {
    listener: TcpListener,
    address: SocketAddr,
    state: AppState,
    cors_origins: String,
    retention_days: u32,
    feed_horizon_days: u32,
    grace: Duration,
    ceiling: Option<axum::body::Bytes>,
    data_version: DataVersion,
    email_hash_key: EmailHashKey,
    /// The search indexer's own connection (`directory::search::index::follow`).
    index_db: DatabaseConnection,
}

impl App {
    /// Checks the token keys, connects to the database, applies migrations, seeds an empty
    /// database (when configured) and binds the listener.
    pub async fn build(config: &Config) -> AppResult<Self> {
        let keys = Arc::new(TokenKeys::from_config(config)?);
        let email_hash_key = EmailHashKey::from_config(config)?;
        let metrics = Metrics::new();
        let (db, statements) = db::connect(config, Some(metrics.slow_statements.clone())).await?;
        db::migrate(&db).await?;
        if db::is_postgres(&db) && config.email_hash_key.is_none() {
            tracing::warn!(
                "EMAIL_HASH_KEY is not set: e-mail addresses are hashed with the key generated in \
                 DATA_DIR; every replica needs the same key, so set EMAIL_HASH_KEY in production"
            );
        }
        email_hash_key.check_database(&db).await?;
        let hashed = crate::privacy::backfill_email_hashes(&db, &email_hash_key).await?;
        if hashed > 0 {
            tracing::info!(
                posts = hashed,
                "hashed the e-mail addresses of posts written before hashes existed"
            );
        }
        if config.seed_on_empty && db::seed::is_empty(&db).await? {
            let report = db::seed::seed(&db).await?;
            tracing::info!(
                inserted = report.inserted,
                "seeded an empty database with the network"
            );
        }
        // Search: build the index when it is empty or outdated, else index what the change feed
        // recorded while the server was not running; then the indexer follows the feed on a
        // connection of its own.
        crate::directory::search::index::ensure_built(&db).await?;
        let index_db = {
            let mut config = config.clone();
            config.database_max_connections = Some(1);
            db::connect(&config, None).await?.0
        };
        // PostgreSQL's autovacuum keeps statistics current; SQLite needs to be asked.
        db::optimize(&db).await?;
        let listener = TcpListener::bind(config.bind_address)
            .await
            .map_err(|err| {
                AppError::internal(format!("cannot bind {}: {err}", config.bind_address))
            })?;
        let address = listener.local_addr().map_err(AppError::internal)?;
        let limits = Arc::new(Limits::new(config));
        let schema_limits = SchemaLimits {
            depth: config.max_depth,
            complexity: config.max_complexity,
            directives: config.max_directives,
            introspection: config.introspection,
        };
        let data_version = if db::is_postgres(&db) {
            DataVersion::shared()
        } else {
            DataVersion::local()
        };
        let db_health = db::health::DbHealth::new(
            db.clone(),
            Duration::from_millis(config.database_breaker_open_ms),
            db::acquire_timeout(config),
            metrics.breaker_opened.clone(),
            metrics.breaker_refusals.clone(),
        );
        let state = AppState {
            db_health,
            persisted: crate::http::persisted::PersistedQueries::new(16 * 1024 * 1024),
            parsed: crate::http::parsed::ParsedDocuments::new(8 * 1024 * 1024),
            introspection: crate::http::introspection::IntrospectionAnswers::default(),
            exports: crate::http::export::ExportSlots::default(),
            subscriptions: crate::http::subscription::Subscriptions::new(
                config.subscription_connections_per_address,
                Duration::from_secs(config.subscription_idle_secs.max(1)),
                data_version.clone(),
            ),
            token_checks: crate::auth::TokenChecks::new(data_version.clone()),
            cache: ResponseCache::new(config.response_cache_mb * 1024 * 1024, data_version.clone()),
            schemas: build_schemas(
                db.clone(),
                &schema_limits,
                limits.clone(),
                email_hash_key.clone(),
                crate::graphql::subtree::Subtrees {
                    mode: config.fast_path,
                    answers: metrics.subtrees.clone(),
                    snapshots: crate::db::snapshot::Snapshots::new(data_version.clone()),
                },
            ),
            db,
            keys,
            limits,
            metrics,
            statements,
            http: Arc::new(HttpLimits {
                max_body_bytes: config.max_body_bytes,
                max_query_bytes: config.max_query_bytes,
                max_root_fields: config.max_root_fields,
                request_timeout: Duration::from_secs(config.request_timeout_secs.max(1)),
                public_cache_control: match config.public_max_age_secs {
                    0 => HeaderValue::from_static("public, no-cache"),
                    secs => HeaderValue::from_str(&format!("public, max-age={secs}"))
                        .map_err(AppError::internal)?,
                },
                trusted_proxy_header: config
                    .trusted_proxy_header
                    .clone()
                    .filter(|h| !h.is_empty()),
            }),
        };
        let ceiling = match &config.static_ceiling_file {
            Some(path) => Some(axum::body::Bytes::from(std::fs::read(path).map_err(
                |err| AppError::internal(format!("cannot read {}: {err}", path.display())),
            )?)),
            None => None,
        };
        Ok(Self {
            index_db,
            email_hash_key,
            data_version,
            ceiling,
            listener,
            address,
            state,
            cors_origins: config.cors_allowed_origins.clone(),
            retention_days: config.retention_days,
            feed_horizon_days: config.feed_horizon_days,
            grace: Duration::from_secs(config.shutdown_grace_secs),
        })
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The database pool.
    pub fn db(&self) -> &DatabaseConnection {
        &self.state.db
    }

    /// The token keys (tests and the `token` command sign with them).
    pub fn keys(&self) -> Arc<TokenKeys> {
        self.state.keys.clone()
    }

    /// The key of the e-mail address hashes (tests run the retention job with it).
    pub fn email_hash_key(&self) -> EmailHashKey {
        self.email_hash_key.clone()
    }

    /// The counter of SQL statements run.
    pub fn statements(&self) -> StatementCounter {
        self.state.statements.clone()
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish (at most the
    /// grace period) and closes the pool. Writes are transactions: one cut off by the end of
    /// the grace period is rolled back, never half-applied, and was never acknowledged.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> AppResult<()> {
        let db = self.state.db.clone();
        let retention = tokio::spawn(crate::privacy::run_retention(
            db.clone(),
            self.email_hash_key.clone(),
            self.retention_days,
        ));
        let follow = tokio::spawn(db::changes::follow(db.clone(), self.data_version.clone()));
        // Partners' sync: the change feed keeps every change for FEED_HORIZON_DAYS.
        let compaction = tokio::spawn(crate::directory::feed::compaction::run(
            db.clone(),
            self.feed_horizon_days,
        ));
        let index = tokio::spawn(crate::directory::search::index::follow(
            self.index_db.clone(),
            self.data_version.clone(),
        ));
        let limits = self.state.limits.clone();
        let prune = tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                every.tick().await;
                limits.prune();
            }
        });
        tracing::info!(address = %self.address, "serving GraphQL at /graphql, GraphiQL at /");
        let (stopping_tx, mut stopping_rx) = tokio::sync::watch::channel(false);
        let signal = async move {
            shutdown.await;
            let _ = stopping_tx.send(true);
        };
        let app = router(self.state, &self.cors_origins, self.ceiling)
            .into_make_service_with_connect_info::<SocketAddr>();
        let serve = axum::serve(self.listener, app)
            .with_graceful_shutdown(signal)
            .into_future();
        let grace = self.grace;
        let deadline = async move {
            let _ = stopping_rx.wait_for(|stopping| *stopping).await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            result = serve => result.map_err(AppError::internal)?,
            () = deadline => tracing::warn!(grace_s = grace.as_secs(), "grace period over; closing the connections still open"),
        }
        retention.abort();
        follow.abort();
        compaction.abort();
        index.abort();
        prune.abort();
        let _ = self.index_db.close().await;
        db.close().await.map_err(AppError::from)
    }
}

/// Completes on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: draining requests in flight");
}
