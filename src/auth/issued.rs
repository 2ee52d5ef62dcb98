//! The record of issued tokens and their revocation.
//!
//! Every token issued here (the `token` command) is recorded in `issued_token` by its ID
//! (`jti`), subject, role, organization and times; the token itself is never stored. Only a
//! recorded token can be revoked: revoking an unknown ID is `NOT_FOUND` and writes nothing. A
//! revocation sets `revoked_at`, adds the ID to `revoked_token` (which [`super::authenticate`]
//! checks) and writes an audit entry naming the ID, in one transaction.

use chrono::Utc;
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, EntityTrait, QueryFilter,
};

use crate::auth::{Claims, Role, TokenKeys, Viewer, policy};
use crate::directory::id::NodeType;
use crate::entity::{audit_log, issued_token, revoked_token};
use crate::error::{AppError, AppResult};

/// Issues a token for `sub` with `role` (and, for the organization role, the organization with
/// row id `organization_id`) and records it; the token is returned only once it is recorded.
pub async fn issue(
    db: &impl ConnectionTrait,
    keys: &TokenKeys,
    role: Role,
    sub: &str,
    organization_id: Option<i32>,
    ttl: std::time::Duration,
) -> AppResult<(String, Claims)> {
    let org = organization_id.map(|id| NodeType::Organization.encode(id));
    let (token, claims) = keys.issue(role, sub, org, ttl)?;
    record(db, &claims, organization_id).await?;
    Ok((token, claims))
}

/// Records a token issued with these claims, so that it can be listed and revoked.
pub async fn record(
    db: &impl ConnectionTrait,
    claims: &Claims,
    organization_id: Option<i32>,
) -> AppResult<issued_token::Model> {
    Ok(issued_token::ActiveModel {
        id: NotSet,
        jti: Set(claims.jti.clone()),
        subject: Set(claims.sub.clone()),
        role: Set(claims.role.as_str().to_owned()),
        organization_id: Set(organization_id),
        issued_at: Set(chrono::DateTime::from_timestamp(claims.iat, 0).unwrap_or_else(Utc::now)),
        expires_at: Set(claims.expires_at()),
        revoked_at: Set(None),
        revoked_by: Set(None),
    }
    .insert(db)
    .await?)
}

/// The record of the token with this ID, if it was recorded.
pub async fn find(db: &impl ConnectionTrait, jti: &str) -> AppResult<Option<issued_token::Model>> {
    Ok(issued_token::Entity::find()
        .filter(issued_token::Column::Jti.eq(jti))
        .one(db)
        .await?)
}

/// Revokes the recorded token with this ID (administrators): from the next request on it is
/// refused. Revoking it again changes nothing. Returns the token's record.
pub async fn revoke(
    db: &DatabaseConnection,
    viewer: &Viewer,
    jti: &str,
) -> AppResult<issued_token::Model> {
    policy::require_admin(viewer, "revoke tokens")?;
    let before = find(db, jti)
        .await?
        .ok_or_else(|| AppError::not_found("token"))?;
    if before.revoked_at.is_some() {
        return Ok(before);
    }
    let now = Utc::now();
    let by = viewer.session().map(|s| s.sub.clone());
    let txn = crate::db::begin_write(db).await?;
    // Conditional, so that of two revocations at the same moment one writes and audits.
    let update = Query::update()
        .table(issued_token::Entity)
        .value(issued_token::Column::RevokedAt, now)
        .value(issued_token::Column::RevokedBy, by.clone())
        .and_where(issued_token::Column::Id.eq(before.id))
        .and_where(issued_token::Column::RevokedAt.is_null())
        .to_owned();
    if txn.execute(&update).await?.rows_affected() == 0 {
        txn.rollback().await?;
        return find(db, jti)
            .await?
            .ok_or_else(|| AppError::not_found("token"));
    }
    let insert = Query::insert()
        .into_table(revoked_token::Entity)
        .columns([
            revoked_token::Column::Jti,
            revoked_token::Column::RevokedAt,
            revoked_token::Column::ExpiresAt,
            revoked_token::Column::RevokedBy,
        ])
        .values([
            before.jti.clone().into(),
            now.into(),
            before.expires_at.into(),
            by.clone().into(),
        ])
        .map_err(AppError::internal)?
        .on_conflict(
            OnConflict::column(revoked_token::Column::Jti)
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    txn.execute(&insert).await?;
    let after = issued_token::Model {
        revoked_at: Some(now),
        revoked_by: by.clone(),
        ..before.clone()
    };
    let snapshot =
        |row: &issued_token::Model| serde_json::to_value(row).map_err(AppError::internal);
    audit_log::ActiveModel {
        id: NotSet,
        occurred_at: Set(now),
        actor_role: Set(viewer.actor().role.to_owned()),
        actor_sub: Set(by),
        action: Set("token.revoke".to_owned()),
        entity_type: Set("token".to_owned()),
        entity_id: Set(before.id),
        organization_id: Set(before.organization_id),
        before: Set(Some(snapshot(&before)?)),
        after: Set(Some(snapshot(&after)?)),
        request_id: Set(crate::telemetry::current_request_id()),
    }
    .insert(&txn)
    .await?;
    if crate::db::is_postgres(&txn) {
        // Other replicas drop what they keep of this token's checks when they hear it (at
        // commit), instead of after a few seconds.
        txn.execute_unprepared(&format!(
            "SELECT pg_notify('{}', '')",
            crate::db::changes::CHANNEL
        ))
        .await?;
    }
    txn.commit().await?;
    Ok(after)
}
