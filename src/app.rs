//! `App`: the server as a value. `App::build(config)` connects, migrates, seeds an empty
//! database and binds the listener (port 0 works); `run` serves until the shutdown future
//! completes, draining requests in flight.

use std::future::Future;
use std::net::SocketAddr;

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::auth::TokenKeys;
use crate::config::Config;
use crate::db::{self, StatementCounter};
use crate::error::{AppError, AppResult};
use crate::graphql::build_schema;
use crate::http::{AppState, router};

/// A built server, bound and ready to run.
pub struct App {
    listener: TcpListener,
    address: SocketAddr,
    db: DatabaseConnection,
    statements: StatementCounter,
    batch_window: std::time::Duration,
    keys: Arc<TokenKeys>,
    retention_days: u32,
}

impl App {
    /// Connects to the database, applies migrations, seeds an empty database (when configured)
    /// and binds the listener.
    pub async fn build(config: &Config) -> AppResult<Self> {
        let keys = Arc::new(TokenKeys::from_config(config)?);
        let (db, statements) = db::connect(config).await?;
        db::migrate(&db).await?;
        if config.seed_on_empty && db::seed::is_empty(&db).await? {
            let report = db::seed::seed(&db).await?;
            tracing::info!(
                inserted = report.inserted,
                "seeded an empty database with the network"
            );
        }
        let listener = TcpListener::bind(config.bind_address)
            .await
            .map_err(|err| {
                AppError::internal(format!("cannot bind {}: {err}", config.bind_address))
            })?;
        let address = listener.local_addr().map_err(AppError::internal)?;
        Ok(Self {
            listener,
            address,
            db,
            statements,
            batch_window: std::time::Duration::from_millis(config.batch_window_ms),
            keys,
            retention_days: config.retention_days,
        })
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The database pool.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The token keys (tests and the `token` command sign with them).
    pub fn keys(&self) -> Arc<TokenKeys> {
        self.keys.clone()
    }

    /// The counter of SQL statements run.
    pub fn statements(&self) -> StatementCounter {
        self.statements.clone()
    }

    /// Serves until `shutdown` completes, then drains requests in flight and closes the pool.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> AppResult<()> {
        let state = AppState {
            schema: build_schema(self.db.clone()),
            db: self.db.clone(),
            batch_window: self.batch_window,
            keys: self.keys.clone(),
        };
        let retention = tokio::spawn(crate::privacy::run_retention(
            self.db.clone(),
            self.retention_days,
        ));
        tracing::info!(address = %self.address, "serving GraphQL at /graphql, GraphiQL at /");
        axum::serve(self.listener, router(state))
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(AppError::internal)?;
        retention.abort();
        self.db.close().await.map_err(AppError::from)
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
