//! `AppError`, the one error type of the server, and its closed list of client-facing codes.
//!
//! `AppError` deliberately does not implement `Display`: async-graphql turns any `Display` error
//! into the client's message, so the only way an `AppError` reaches a client is the `From` impl
//! below, which sets `extensions.code` and hides internal causes behind the request id.

use std::sync::Arc;

use async_graphql::ErrorExtensions;

/// A result whose error is an [`AppError`].
pub type AppResult<T> = Result<T, AppError>;

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
    /// Something failed on our side; details are in the server log under the request id.
    Internal,
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
            Self::Internal => "INTERNAL",
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
            Self::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::internal(err)
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
        })
    }
}
