//! `AppError`, the one error type of the server, and its closed list of client-facing codes.
//!
//! `AppError` deliberately does not implement `Display`: async-graphql turns any `Display` error
//! into the client's message, so the only way an `AppError` reaches a client is the `From` impl
//! below, which sets `extensions.code` and hides internal causes behind the request id.

use std::sync::Arc;

use async_graphql::ErrorExtensions;

/// A result whose error is an [`AppError`].
pub type AppResult<T> = Result<T, AppError>;

/// Seconds after which a client may retry when the database is unavailable (`retryAfter`,
/// `Retry-After`).
pub const UNAVAILABLE_RETRY_AFTER: u64 = 5;

/// Seconds after which a client may retry when the server is overloaded.
pub const OVERLOADED_RETRY_AFTER: u64 = 1;

/// What a client reads when the database is unavailable.
pub const UNAVAILABLE_MESSAGE: &str =
    "The directory's database is unavailable; please retry shortly.";

/// The codes a client can see in `extensions.code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The input is invalid (a page size, a cursor, an ID).
    BadUserInput,
    /// A token was presented but is not valid.
    Unauthenticated,
    /// The caller may not do this.
    Forbidden,
    /// The object does not exist (or is not visible to the caller).
    NotFound,
    /// The caller's version of the object is stale.
    Conflict,
    /// Too many requests; retry after the time given.
    RateLimited,
    /// The database (or another dependency) is unavailable; retry later.
    ServiceUnavailable,
    /// The server is busy (every database connection is in use); retry after `retryAfter`.
    Overloaded,
    /// The request took longer than the server allows.
    Timeout,
    /// The request is not a GraphQL request the server can read.
    BadRequest,
    /// The document does not parse as GraphQL.
    GraphqlParseFailed,
    /// The document is not valid against the schema.
    GraphqlValidationFailed,
    /// The document is too deep, too costly, too long, or has too many directives.
    QueryTooComplex,
    /// Something failed on our side; details are in the server log under the request id.
    Internal,
    /// A persisted query's hash is not known to this server: send the document with it.
    PersistedQueryNotFound,
}

impl ErrorCode {
    /// The code as it appears in `extensions.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::Conflict => "CONFLICT",
            Self::RateLimited => "RATE_LIMITED",
            Self::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            Self::Overloaded => "OVERLOADED",
            Self::Timeout => "TIMEOUT",
            Self::BadRequest => "BAD_REQUEST",
            Self::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            Self::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            Self::QueryTooComplex => "QUERY_TOO_COMPLEX",
            Self::Internal => "INTERNAL",
            Self::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
        }
    }
}

/// An error of the server. Client-caused errors carry a message meant for the client; internal
/// errors carry a cause that is logged, never shown.
#[derive(Debug, Clone)]
pub enum AppError {
    /// A client-facing error with its code and message.
    Client { code: ErrorCode, message: String },
    /// The caller's expected version of an object is stale; nothing was written.
    Conflict {
        /// The version the caller sent.
        expected: i64,
        /// The version stored now.
        current: i64,
    },
    /// Too many requests from this caller.
    RateLimited {
        /// What was exceeded.
        message: String,
        /// Seconds until a retry can succeed.
        retry_after: u64,
    },
    /// The database cannot be reached; the cause is logged.
    Unavailable(Arc<str>),
    /// No database connection became free within the acquire timeout: every one is busy, or
    /// (which only a probe of the database can tell, see `db::health`) none can be opened.
    Overloaded,
    /// An internal failure; the cause is logged once, the client sees only the request id.
    Internal(Arc<str>),
}

impl AppError {
    /// Invalid input, with a message that tells the client what to change.
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::Client {
            code: ErrorCode::BadUserInput,
            message: message.into(),
        }
    }

    /// An internal failure with a cause for the log.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string().into())
    }

    /// The caller may not do this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Client {
            code: ErrorCode::Forbidden,
            message: message.into(),
        }
    }

    /// The object does not exist (or the caller may not see it).
    pub fn not_found(what: &str) -> Self {
        Self::Client {
            code: ErrorCode::NotFound,
            message: format!("{what} not found"),
        }
    }

    /// The client-facing code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Client { code, .. } => *code,
            Self::Conflict { .. } => ErrorCode::Conflict,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Unavailable(_) => ErrorCode::ServiceUnavailable,
            Self::Overloaded => ErrorCode::Overloaded,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        if is_timeout(&err) {
            tracing::warn!(cause = %err, "database statement timed out");
            Self::Client {
                code: ErrorCode::Timeout,
                message:
                    "the database took too long (busy or locked); nothing was changed, please retry"
                        .to_owned(),
            }
        } else if is_pool_timeout(&err) {
            Self::Overloaded
        } else if is_unavailable(&err) {
            Self::Unavailable(err.to_string().into())
        } else {
            Self::internal(err)
        }
    }
}

/// True when a statement was cancelled by its timeout (PostgreSQL `query_canceled`) or could not
/// get the lock in time (SQLite `BUSY`).
fn is_timeout(err: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr};
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e
            .as_database_error()
            .and_then(|d| d.code())
            .is_some_and(|code| matches!(code.as_ref(), "57014" | "5" | "517" | "261")),
        _ => false,
    }
}

/// True when no pooled connection became free within the acquire timeout.
fn is_pool_timeout(err: &sea_orm::DbErr) -> bool {
    use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr};
    match err {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout) => true,
        // Not `DbErr::Conn`: a pool that times out while it is being created could not connect.
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            matches!(e.as_ref(), sea_orm::sqlx::Error::PoolTimedOut)
        }
        _ => false,
    }
}

/// True when a database error means the database cannot be reached (rather than a bad query).
fn is_unavailable(err: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr};
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            matches!(
                e.as_ref(),
                sea_orm::sqlx::Error::Io(_)
                    | sea_orm::sqlx::Error::PoolClosed
                    | sea_orm::sqlx::Error::WorkerCrashed
                    | sea_orm::sqlx::Error::Tls(_)
            ) || e
                .as_database_error()
                .and_then(|d| d.code())
                .is_some_and(|code| {
                    // admin_shutdown, crash_shutdown, cannot_connect_now
                    matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
                })
        }
        _ => false,
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        let request_id = crate::telemetry::current_request_id();
        let message = match &err {
            AppError::Client { message, .. } => message.clone(),
            AppError::Conflict { expected, current } => format!(
                "version {expected} is stale: the object has changed (now version {current}); read it again and reapply your change"
            ),
            AppError::RateLimited { message, .. } => message.clone(),
            AppError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                UNAVAILABLE_MESSAGE.to_owned()
            }
            // Logged once per request where it is told from an outage (`http::graphql`).
            AppError::Overloaded => format!(
                "The server is busy: every database connection is in use. Please retry in {OVERLOADED_RETRY_AFTER} s."
            ),
            AppError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                match &request_id {
                    Some(id) => format!("Internal error; quote request id {id} when reporting it."),
                    None => "Internal error.".to_owned(),
                }
            }
        };
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", err.code().as_str());
            if let (ErrorCode::Internal, Some(id)) = (err.code(), &request_id) {
                ext.set("requestId", id.as_str());
            }
            if let AppError::Conflict { current, .. } = &err {
                ext.set("currentVersion", *current);
            }
            match &err {
                AppError::RateLimited { retry_after, .. } => ext.set("retryAfter", *retry_after),
                AppError::Unavailable(_) => ext.set("retryAfter", UNAVAILABLE_RETRY_AFTER),
                AppError::Overloaded => ext.set("retryAfter", OVERLOADED_RETRY_AFTER),
                _ => {}
            }
        })
    }
}
