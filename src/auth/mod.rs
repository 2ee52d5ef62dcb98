//! Who is calling, and what they may do.
//!
//! The bearer token is decoded once per request into a [`Viewer`]: no token is anonymous, a
//! token that is present but bad is always `UNAUTHENTICATED` (never a silent fall back to
//! anonymous). The access rules live in [`policy`], the one place resolvers and services ask.

pub mod issued;
pub mod policy;
pub mod token;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::db::changes::DataVersion;
use crate::db::journal::Actor;
use crate::db::write::live_id;
use crate::directory::id::{GlobalId, NodeType};
use crate::entity::{organization, partner, revoked_token};
use crate::error::{AppError, AppResult, ErrorCode};
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

/// How long a token check's outcome is kept at most, should data change behind the server's
/// back (SQL run by hand), which no write of the API announces.
const KEEP_CHECKS: Duration = Duration::from_secs(5);

/// A token that passed its checks: at which data version, when, and its organization's row id.
type Passed = (u64, Instant, Option<i32>);

/// The outcome of a token's database checks (not revoked, its organization or partner still
/// there), kept while committed data is unchanged: revoking a token or deleting its organization
/// is a write, which moves the [`DataVersion`] on every replica, so a kept outcome is never stale.
#[derive(Clone)]
pub struct TokenChecks {
    passed: Arc<quick_cache::sync::Cache<String, Passed>>,
    version: DataVersion,
}

impl TokenChecks {
    /// Keeps the outcomes of at most 10,000 tokens.
    pub fn new(version: DataVersion) -> Self {
        Self {
            passed: Arc::new(quick_cache::sync::Cache::new(10_000)),
            version,
        }
    }
}

/// Decodes the `Authorization` header (if any) into a viewer, checking the token against the
/// database: a revoked `jti`, or an organization or partner that is gone, kills the token.
pub async fn authenticate(
    header: Option<&str>,
    keys: &TokenKeys,
    db: &DatabaseConnection,
    checks: &TokenChecks,
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
    let version = checks.version.now();
    let kept = checks
        .passed
        .get(&claims.jti)
        .filter(|(at, checked, _)| Some(*at) == version && checked.elapsed() < KEEP_CHECKS);
    let organization_id = match kept {
        Some((_, _, organization_id)) => organization_id,
        None => {
            let organization_id = check_in_database(db, &claims).await?;
            if let Some(version) = version {
                checks.passed.insert(
                    claims.jti.clone(),
                    (version, Instant::now(), organization_id),
                );
            }
            organization_id
        }
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

/// The database's word on a validly signed token: not revoked, and its organization or partner
/// still there. Returns the organization's row id for an organization token.
async fn check_in_database(db: &DatabaseConnection, claims: &Claims) -> AppResult<Option<i32>> {
    if is_revoked(db, &claims.jti).await? {
        return Err(unauthenticated("it has been revoked"));
    }
    let organization_id = match claims.role {
        Role::Organization => {
            let id = claims
                .org
                .as_deref()
                .and_then(|org| GlobalId::parse_as(org, NodeType::Organization).ok())
                .ok_or_else(|| unauthenticated("an organization token needs an `org` claim"))?;
            if live_id::<organization::Entity>(db, organization::Column::Id, id)
                .await?
                .is_none()
            {
                return Err(unauthenticated("its organization no longer exists"));
            }
            Some(id)
        }
        Role::Partner => {
            if live_id::<partner::Entity>(db, partner::Column::Slug, claims.sub.as_str())
                .await?
                .is_none()
            {
                return Err(unauthenticated("its partner no longer exists"));
            }
            None
        }
        Role::Admin => None,
    };
    Ok(organization_id)
}

async fn is_revoked(db: &DatabaseConnection, jti: &str) -> AppResult<bool> {
    Ok(revoked_token::Entity::find()
        .filter(revoked_token::Column::Jti.eq(jti))
        .one(db)
        .await?
        .is_some())
}
