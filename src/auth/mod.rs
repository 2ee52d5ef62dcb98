//! Who is calling, and what they may do.
//!
//! The bearer token is decoded once per request into a [`Viewer`]: no token is anonymous, a
//! token that is present but bad is always `UNAUTHENTICATED` (never a silent fall back to
//! anonymous). The access rules live in [`policy`], the one place resolvers and services ask.

pub mod policy;
pub mod token;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::db::journal::Actor;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::graphql::node::{GlobalId, NodeType};
pub use token::{Claims, Role, TokenKeys};

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Session {
    /// The role the token grants.
    pub role: Role,
    /// The token's subject.
    pub sub: String,
    /// For the organization role: the organization's row id.
    pub organization_id: Option<i32>,
    /// The token's ID.
    pub jti: String,
    /// When the token expires.
    pub expires_at: DateTime<Utc>,
    /// The token's own query cost budget per minute, if it carries one.
    pub cost_budget: Option<u32>,
}

/// The caller of a request.
#[derive(Debug, Clone, Default)]
pub enum Viewer {
    /// No token.
    #[default]
    Anonymous,
    /// A valid token.
    Authenticated(Session),
}

impl Viewer {
    /// The session, if authenticated.
    pub fn session(&self) -> Option<&Session> {
        match self {
            Self::Anonymous => None,
            Self::Authenticated(session) => Some(session),
        }
    }

    /// The role, if authenticated.
    pub fn role(&self) -> Option<Role> {
        self.session().map(|s| s.role)
    }

    /// True for administrators.
    pub fn is_admin(&self) -> bool {
        self.role() == Some(Role::Admin)
    }

    /// The organization an organization token speaks for.
    pub fn organization_id(&self) -> Option<i32> {
        self.session()
            .filter(|s| s.role == Role::Organization)
            .and_then(|s| s.organization_id)
    }

    /// Who to record in the audit log.
    pub fn actor(&self) -> Actor {
        match self.session() {
            None => Actor {
                role: "anonymous",
                sub: None,
            },
            Some(s) => Actor {
                role: s.role.as_str(),
                sub: Some(s.sub.clone()),
            },
        }
    }
}

fn unauthenticated(reason: &str) -> AppError {
    AppError::Client {
        code: ErrorCode::Unauthenticated,
        message: format!("the bearer token is not valid: {reason}"),
    }
}

/// Decodes the `Authorization` header (if any) into a viewer, checking the token against the
/// database: a revoked `jti`, or an organization or partner that is gone, kills the token.
pub async fn authenticate(
    header: Option<&str>,
    keys: &TokenKeys,
    db: &DatabaseConnection,
) -> AppResult<Viewer> {
    let Some(header) = header else {
        return Ok(Viewer::Anonymous);
    };
    let token = match header.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            token.trim()
        }
        _ => return Err(unauthenticated("use `Authorization: Bearer <token>`")),
    };
    let claims = keys.verify(token).map_err(|err| {
        tracing::info!(reason = ?err, "token refused");
        match err {
            token::TokenError::Expired => unauthenticated("it has expired"),
            _ => {
                unauthenticated("it is malformed, not signed by us, or not meant for this service")
            }
        }
    })?;
    if is_revoked(db, &claims.jti).await? {
        return Err(unauthenticated("it has been revoked"));
    }
    let organization_id = match claims.role {
        Role::Organization => {
            let id = claims
                .org
                .as_deref()
                .and_then(|org| {
                    GlobalId::parse_as(&async_graphql::ID(org.to_owned()), NodeType::Organization)
                        .ok()
                })
                .ok_or_else(|| unauthenticated("an organization token needs an `org` claim"))?;
            if !exists(db, "organization", "id", id.into()).await? {
                return Err(unauthenticated("its organization no longer exists"));
            }
            Some(id)
        }
        Role::Partner => {
            if !exists(db, "partner", "slug", claims.sub.clone().into()).await? {
                return Err(unauthenticated("its partner no longer exists"));
            }
            None
        }
        Role::Admin => None,
    };
    Ok(Viewer::Authenticated(Session {
        role: claims.role,
        sub: claims.sub.clone(),
        organization_id,
        expires_at: claims.expires_at(),
        cost_budget: claims.cost_budget,
        jti: claims.jti,
    }))
}

async fn is_revoked(db: &DatabaseConnection, jti: &str) -> AppResult<bool> {
    let select = Query::select()
        .expr(Expr::val(1))
        .from(Alias::new("revoked_token"))
        .and_where(Expr::col(Alias::new("jti")).eq(jti))
        .to_owned();
    Ok(db.query_one(&select).await?.is_some())
}

async fn exists(
    db: &DatabaseConnection,
    table: &str,
    column: &str,
    value: sea_orm::Value,
) -> AppResult<bool> {
    let select = Query::select()
        .expr(Expr::val(1))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new(column)).eq(value))
        .and_where(Expr::col(Alias::new("deleted_at")).is_null())
        .to_owned();
    Ok(db.query_one(&select).await?.is_some())
}
