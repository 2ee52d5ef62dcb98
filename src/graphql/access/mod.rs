//! Access: who the caller is (`viewer`), the audit log (administrators), the issued tokens
//! (administrators) and token revocation.

pub mod tokens;

use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::auth::{Role, policy};
use crate::db::page::PageArgs;
use crate::directory::access;
use crate::entity::{audit_log, organization};
use crate::error::AppResult;
use crate::graphql::connection::{Conn, connection};
use crate::graphql::loader::by_id;
use crate::graphql::node::{NodeId, NodeType};
use crate::graphql::organization::Organization;
use crate::graphql::payload::UserError;
use crate::graphql::{db, viewer};
use tokens::{IssuedToken, IssuedTokenFilter};

/// The caller of a request.
pub struct ViewerInfo;

/// The caller, as its token says (all fields `null` for anonymous callers).
#[Object(name = "Viewer")]
impl ViewerInfo {
    /// The role of the token; `null` without a token.
    async fn role(&self, ctx: &Context<'_>) -> Option<Role> {
        viewer(ctx).role()
    }

    /// The token's subject.
    async fn subject(&self, ctx: &Context<'_>) -> Option<String> {
        viewer(ctx).session().map(|s| s.sub.clone())
    }

    /// The organization an organization token speaks for.
    async fn organization(&self, ctx: &Context<'_>) -> AppResult<Option<Organization>> {
        match viewer(ctx).organization_id() {
            Some(id) => Ok(by_id::<organization::Model>(ctx, id)
                .await?
                .map(Organization)),
            None => Ok(None),
        }
    }

    /// When the token expires.
    async fn expires_at(&self, ctx: &Context<'_>) -> Option<DateTime<Utc>> {
        viewer(ctx).session().map(|s| s.expires_at)
    }

    /// The token's ID (`jti`), to revoke it.
    async fn token_id(&self, ctx: &Context<'_>) -> Option<String> {
        viewer(ctx).session().map(|s| s.jti.clone())
    }
}

/// An audit-log entry.
pub struct AuditEntry(audit_log::Model);

/// One change in the audit log: who did what to which object when, with before and after values.
#[Object]
impl AuditEntry {
    /// The entry's sequence number (increasing).
    async fn sequence(&self) -> i64 {
        self.0.id
    }

    /// When it happened.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }

    /// The role of who did it (`admin`, `organization`, `partner`, `anonymous`, `system`).
    async fn actor_role(&self) -> &str {
        &self.0.actor_role
    }

    /// The token subject of who did it.
    async fn actor(&self) -> Option<&str> {
        self.0.actor_sub.as_deref()
    }

    /// What was done, e.g. `organization.update`.
    async fn action(&self) -> &str {
        &self.0.action
    }

    /// The type of object changed, e.g. `organization`.
    async fn entity_type(&self) -> &str {
        &self.0.entity_type
    }

    /// The global ID of the object changed.
    async fn entity_id(&self) -> ID {
        access::entity_node_type(&self.0.entity_type).map_or_else(
            || ID(self.0.entity_id.to_string()),
            |t| t.id(self.0.entity_id),
        )
    }

    /// The global ID of the organization the change concerns.
    async fn organization_id(&self) -> Option<ID> {
        self.0
            .organization_id
            .map(|id| NodeType::Organization.id(id))
    }

    /// The object before the change (`null` for a creation).
    async fn before(&self) -> Option<Json<serde_json::Value>> {
        self.0.before.clone().map(Json)
    }

    /// The object after the change (`null` for a deletion).
    async fn after(&self) -> Option<Json<serde_json::Value>> {
        self.0.after.clone().map(Json)
    }

    /// The request that made the change.
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }
}

/// Which audit-log entries to read.
#[derive(Default, InputObject)]
pub struct AuditLogFilter {
    /// Only changes concerning this organization (its ID).
    pub organization_id: Option<ID>,
    /// Only changes by this token subject.
    pub actor: Option<String>,
    /// Only changes of this object (its ID).
    pub entity_id: Option<ID>,
}

impl From<AuditLogFilter> for access::AuditFilter {
    fn from(f: AuditLogFilter) -> Self {
        Self {
            organization_id: f.organization_id.map(|id| id.0),
            actor: f.actor,
            entity_id: f.entity_id.map(|id| id.0),
        }
    }
}

impl From<IssuedTokenFilter> for access::IssuedTokenFilter {
    fn from(f: IssuedTokenFilter) -> Self {
        Self {
            subject: f.subject,
            revoked: f.revoked,
        }
    }
}

/// Root fields for access.
#[derive(Default)]
pub struct AccessQuery;

#[Object]
impl AccessQuery {
    /// Who the caller is: role, organization and token expiry, so front-ends need not decode
    /// tokens.
    async fn viewer(&self) -> ViewerInfo {
        ViewerInfo
    }

    /// The tokens issued here (by the `token` command), newest first (administrators): who
    /// each is for, its role, when it expires and whether it is revoked. Never the tokens
    /// themselves; revoke one with `revokeToken(input: {tokenId})`.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn issued_tokens(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which tokens to list.")] filter: Option<IssuedTokenFilter>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Option<Conn<IssuedToken>>> {
        let filter = access::IssuedTokenFilter::from(filter.unwrap_or_default());
        let listing = access::issued_tokens(viewer(ctx), &filter)?;
        let page =
            crate::graphql::list(ctx, &listing, PageArgs::new(first, after, last, before)).await?;
        Ok(Some(connection(page, &listing.sort, IssuedToken)))
    }

    /// The audit log, newest first (administrators): who changed what when, with before and
    /// after values.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which entries to read.")] filter: Option<AuditLogFilter>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Option<Conn<AuditEntry>>> {
        let filter = access::AuditFilter::from(filter.unwrap_or_default());
        let listing = access::audit_log(viewer(ctx), &filter)?;
        let args = PageArgs::new(first, after, last, before);
        let page = crate::graphql::list(ctx, &listing, args).await?;
        Ok(Some(connection(page, &listing.sort, AuditEntry)))
    }
}

/// A token to revoke.
#[derive(InputObject)]
pub struct RevokeTokenInput {
    /// The token's ID (`jti`), as `issuedTokens` lists it.
    pub token_id: String,
    /// Ignored: the revocation is kept until the token's recorded expiry.
    #[graphql(deprecation = "Ignored: the revocation is kept until the token's recorded expiry.")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// The result of `revokeToken`.
#[derive(SimpleObject)]
pub struct RevokeTokenPayload {
    /// The revoked token's ID; from now on the token is refused.
    pub revoked_token_id: Option<String>,
    /// Problems with the input; when there are any, nothing was changed.
    pub user_errors: Vec<UserError>,
}

/// Mutations for access.
#[derive(Default)]
pub struct AccessMutation;

#[Object]
impl AccessMutation {
    /// Revokes a token by its ID (administrators); it is refused from the next request on.
    /// Only tokens recorded when they were issued (see `issuedTokens`) can be revoked: an ID
    /// that was never recorded is `NOT_FOUND`. Revoking a revoked token changes nothing.
    async fn revoke_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token to revoke.")] input: RevokeTokenInput,
    ) -> AppResult<Option<RevokeTokenPayload>> {
        let viewer = viewer(ctx);
        policy::require_admin(viewer, "revoke tokens")?;
        let mut checks = crate::directory::checks::Checks::default();
        checks.text("tokenId", &input.token_id, 200);
        if !checks.ok() {
            return Ok(Some(RevokeTokenPayload {
                revoked_token_id: None,
                user_errors: crate::graphql::payload::user_errors(checks.into_errors()),
            }));
        }
        let revoked = crate::auth::issued::revoke(db(ctx), viewer, &input.token_id).await?;
        Ok(Some(RevokeTokenPayload {
            revoked_token_id: Some(revoked.jti),
            user_errors: Vec::new(),
        }))
    }
}
