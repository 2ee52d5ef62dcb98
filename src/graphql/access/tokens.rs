//! Issued tokens as administrators see them: a list, newest first, of the tokens recorded when
//! they were issued, by ID (`jti`), never the token itself.

use async_graphql::{Context, InputObject, Object};
use chrono::{DateTime, Utc};

use crate::auth::Role;
use crate::entity::{issued_token, organization};
use crate::error::AppResult;
use crate::graphql::loader::by_id;
use crate::graphql::organization::Organization;

/// Which issued tokens to list; all fields given must match.
#[derive(Debug, Default, InputObject)]
pub struct IssuedTokenFilter {
    /// Only tokens for this subject (exactly).
    pub subject: Option<String>,
    /// Only revoked tokens (`true`) or only tokens not revoked (`false`).
    pub revoked: Option<bool>,
}

/// A token issued here.
pub struct IssuedToken(pub issued_token::Model);

/// A token issued here (by the `token` command). The token itself is never kept: revoke it by
/// its `tokenId`.
#[Object]
impl IssuedToken {
    /// The token's ID (`jti`), to revoke it with `revokeToken`.
    async fn token_id(&self) -> &str {
        &self.0.jti
    }

    /// Who the token is for (a person, a partner's slug, an organization's slug).
    async fn subject(&self) -> &str {
        &self.0.subject
    }

    /// The role the token grants.
    async fn role(&self) -> Option<Role> {
        match self.0.role.as_str() {
            "admin" => Some(Role::Admin),
            "organization" => Some(Role::Organization),
            "partner" => Some(Role::Partner),
            _ => None,
        }
    }

    /// For an organization token: the organization it speaks for (`null` when deleted since).
    async fn organization(&self, ctx: &Context<'_>) -> AppResult<Option<Organization>> {
        match self.0.organization_id {
            Some(id) => Ok(by_id::<organization::Model>(ctx, id)
                .await?
                .map(Organization)),
            None => Ok(None),
        }
    }

    /// When it was issued.
    async fn issued_at(&self) -> DateTime<Utc> {
        self.0.issued_at
    }

    /// When it expires.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }

    /// True once revoked: the token is refused.
    async fn revoked(&self) -> bool {
        self.0.revoked_at.is_some()
    }

    /// When it was revoked (`null` while it is not).
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }

    /// The subject of the administrator who revoked it.
    async fn revoked_by(&self) -> Option<&str> {
        self.0.revoked_by.as_deref()
    }
}
