//! One pooled connection held for a run of statements, outside a transaction: the levels of a
//! one-pass answer (the GraphQL face's `subtree`) run on it one after another.
//!
//! Through the pool (sea-orm's [`DatabaseConnection`]) every statement takes a connection and
//! gives it back, and sqlx tests a connection it is given back with a round trip of its own (on
//! PostgreSQL a `Sync` and its reply, on SQLite a message to the connection's worker thread):
//! two round trips per statement. Held, the statements of an answer cost one round trip each,
//! and the answer one test when it lets the connection go ([`Held::release`], or dropping it).
//!
//! A [`Held`] takes its connection at the first statement. It runs one statement at a time
//! (statements from several tasks wait for each other), counts and logs them as the pool's
//! statements are ([`StatementCounter::observe`]), and never begins a transaction: it is for
//! reads. Whoever holds one must not wait meanwhile for another connection of the pool, nor for
//! anything that a request waiting for a connection may hold (the snapshots' lock takes
//! `try_lock` for this reason), or requests holding every connection could wait for each other.

use std::sync::Arc;
use std::time::Instant;

use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::{self, Executor, Postgres, Sqlite};
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult,
    RuntimeErr, Statement,
};
use sea_query_sqlx::SqlxValues;

use crate::db::StatementCounter;

enum Connection {
    Postgres(PoolConnection<Postgres>),
    Sqlite(PoolConnection<Sqlite>),
}

/// A pooled connection taken at the first statement and held until released.
pub struct Held {
    db: DatabaseConnection,
    statements: StatementCounter,
    connection: tokio::sync::Mutex<Option<Connection>>,
}

impl Held {
    /// Holds a connection of `db`'s pool from the first statement on, counting its statements
    /// in `statements`.
    pub fn new(db: DatabaseConnection, statements: StatementCounter) -> Self {
        Self {
            db,
            statements,
            connection: tokio::sync::Mutex::new(None),
        }
    }

    /// Gives the connection back to the pool (the next statement takes one again).
    pub async fn release(&self) {
        self.connection.lock().await.take();
    }

    /// Runs `run` on the held connection, taking one first if none is held.
    async fn with<T>(
        &self,
        stmt: &Statement,
        run: impl AsyncFnOnce(&mut Connection, &Statement) -> Result<T, sqlx::Error>,
    ) -> Result<T, (sqlx::Error, bool)> {
        let mut held = self.connection.lock().await;
        let connection = match &mut *held {
            Some(connection) => connection,
            None => {
                let taken = match self.db.get_database_backend() {
                    DbBackend::Postgres => self
                        .db
                        .get_postgres_connection_pool()
                        .acquire()
                        .await
                        .map(Connection::Postgres),
                    _ => self
                        .db
                        .get_sqlite_connection_pool()
                        .acquire()
                        .await
                        .map(Connection::Sqlite),
                };
                held.insert(taken.map_err(|err| (err, true))?)
            }
        };
        let started = Instant::now();
        let outcome = run(connection, stmt).await;
        self.statements.observe(&stmt.sql, started.elapsed());
        if outcome.is_err() {
            // A connection whose statement failed (a timeout, a lost server) is not reused:
            // the pool tests it when it comes back, and drops it if it is broken.
            held.take();
        }
        outcome.map_err(|err| (err, false))
    }
}

/// sqlx's error as sea-orm reports it: a connection that could not be had, or `wrap`'s kind.
fn error((err, acquiring): (sqlx::Error, bool), wrap: fn(RuntimeErr) -> DbErr) -> DbErr {
    match err {
        sqlx::Error::PoolTimedOut if acquiring => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        sqlx::Error::PoolClosed if acquiring => {
            DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed)
        }
        err if acquiring => DbErr::Conn(RuntimeErr::SqlxError(Arc::new(err))),
        err => wrap(RuntimeErr::SqlxError(Arc::new(err))),
    }
}

/// `stmt` as a sqlx query of database `D`, its values bound as sea-orm binds them.
fn query<D>(stmt: &Statement) -> sqlx::query::Query<'_, D, SqlxValues>
where
    D: sqlx::Database,
    SqlxValues: for<'q> sqlx::IntoArguments<D>,
{
    sqlx::query_with(
        sqlx::AssertSqlSafe(stmt.sql.as_str()),
        SqlxValues(stmt.values.clone().unwrap_or(sea_orm::Values(Vec::new()))),
    )
}

#[async_trait::async_trait]
impl ConnectionTrait for Held {
    fn get_database_backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.with(&stmt, async |connection, stmt| {
            Ok(match connection {
                Connection::Postgres(c) => query::<Postgres>(stmt).execute(&mut **c).await?.into(),
                Connection::Sqlite(c) => query::<Sqlite>(stmt).execute(&mut **c).await?.into(),
            })
        })
        .await
        .map_err(|err| error(err, DbErr::Exec))
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let stmt = Statement::from_string(self.get_database_backend(), sql);
        self.with(&stmt, async |connection, stmt| {
            let sql = sqlx::AssertSqlSafe(stmt.sql.clone());
            Ok(match connection {
                Connection::Postgres(c) => c.execute(sql).await?.into(),
                Connection::Sqlite(c) => c.execute(sql).await?.into(),
            })
        })
        .await
        .map_err(|err| error(err, DbErr::Exec))
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        // The one-pass answers' single rows are aggregates or limited to one.
        Ok(self.query_all_raw(stmt).await?.into_iter().next())
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.with(&stmt, async |connection, stmt| {
            Ok(match connection {
                Connection::Postgres(c) => query::<Postgres>(stmt)
                    .fetch_all(&mut **c)
                    .await?
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                Connection::Sqlite(c) => query::<Sqlite>(stmt)
                    .fetch_all(&mut **c)
                    .await?
                    .into_iter()
                    .map(Into::into)
                    .collect(),
            })
        })
        .await
        .map_err(|err| error(err, DbErr::Query))
    }

    fn support_returning(&self) -> bool {
        self.db.support_returning()
    }
}

/// Where a run of reads goes: a [`Held`] connection, or the pool when there is none.
#[derive(Clone, Copy)]
pub enum Reads<'a> {
    /// The held connection.
    Held(&'a Held),
    /// The pool: a connection per statement.
    Pool(&'a DatabaseConnection),
}

#[async_trait::async_trait]
impl ConnectionTrait for Reads<'_> {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            Self::Held(held) => held.get_database_backend(),
            Self::Pool(db) => db.get_database_backend(),
        }
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match self {
            Self::Held(held) => held.execute_raw(stmt).await,
            Self::Pool(db) => db.execute_raw(stmt).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Self::Held(held) => held.execute_unprepared(sql).await,
            Self::Pool(db) => db.execute_unprepared(sql).await,
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Self::Held(held) => held.query_one_raw(stmt).await,
            Self::Pool(db) => db.query_one_raw(stmt).await,
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Self::Held(held) => held.query_all_raw(stmt).await,
            Self::Pool(db) => db.query_all_raw(stmt).await,
        }
    }

    fn support_returning(&self) -> bool {
        match self {
            Self::Held(held) => held.support_returning(),
            Self::Pool(db) => db.support_returning(),
        }
    }
}
