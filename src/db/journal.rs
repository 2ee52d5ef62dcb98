//! The journal of every write: an audit-log entry (who did what, before and after) and a
//! change-feed entry (for partners' sync), written in the caller's transaction so that both
//! exist exactly when the change does.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ConnectionTrait, DbBackend, Statement,
};

use crate::entity::{audit_log, change_feed};
use crate::error::AppResult;

/// Who made a change.
#[derive(Debug, Clone)]
pub struct Actor {
    /// `system`, `admin`, `organization` or `partner`.
    pub role: &'static str,
    /// The token subject, if any.
    pub sub: Option<String>,
}

impl Actor {
    /// The server itself (seeding, retention jobs).
    pub fn system(what: &str) -> Self {
        Self {
            role: "system",
            sub: Some(what.to_owned()),
        }
    }
}

/// What happened to a row, as the change feed reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// The row was created.
    Create,
    /// The row was changed.
    Update,
    /// The row was (softly) deleted.
    Delete,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }
}

/// One journaled change.
#[derive(Debug, Clone)]
pub struct Change {
    /// The entity type, e.g. `organization`.
    pub entity_type: &'static str,
    /// The row's id.
    pub entity_id: i32,
    /// The organization the row belongs to, for filtering the audit log.
    pub organization_id: Option<i32>,
    /// What happened.
    pub operation: Operation,
    /// The row before (None for a create).
    pub before: Option<serde_json::Value>,
    /// The row after (None for a delete).
    pub after: Option<serde_json::Value>,
}

/// The PostgreSQL advisory lock that serializes journaled transactions, taken first by
/// [`crate::db::begin_write`].
pub const WRITE_LOCK: i64 = 7401;

/// Writes the audit entry and the change-feed entry of `change`, in a transaction begun with
/// [`crate::db::begin_write`] (which holds the journal's lock).
pub async fn record(db: &impl ConnectionTrait, actor: &Actor, change: Change) -> AppResult<()> {
    if crate::db::is_postgres(db) {
        // Delivered at commit (and not at all on rollback) to every replica (`db::changes`):
        // only transactions that change something invalidate what is kept, and what the
        // payload names (the table) tells what is affected.
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [
                crate::db::changes::CHANNEL.into(),
                change.entity_type.into(),
            ],
        ))
        .await?;
    }
    crate::db::changes::record(change.entity_type);
    let now = chrono::Utc::now();
    audit_log::ActiveModel {
        id: NotSet,
        occurred_at: Set(now),
        actor_role: Set(actor.role.to_owned()),
        actor_sub: Set(actor.sub.clone()),
        action: Set(format!(
            "{}.{}",
            change.entity_type,
            change.operation.as_str()
        )),
        entity_type: Set(change.entity_type.to_owned()),
        entity_id: Set(change.entity_id),
        organization_id: Set(change.organization_id),
        before: Set(change.before),
        after: Set(change.after),
        request_id: Set(crate::telemetry::current_request_id()),
    }
    .insert(db)
    .await?;
    // Partners' feed (`directory::feed`): a post is announced once it has been published, and
    // from then on every change of it (a rejection, an erasure) too; before that, never.
    let hidden = change.entity_type == "post" && !post_announced(db, change.entity_id).await?;
    change_feed::ActiveModel {
        seq: NotSet,
        occurred_at: Set(now),
        entity_type: Set(change.entity_type.to_owned()),
        entity_id: Set(change.entity_id),
        operation: Set(change.operation.as_str().to_owned()),
        hidden: Set(hidden),
    }
    .insert(db)
    .await?;
    if change.entity_type == "post" && !hidden {
        report_changed(db, change.entity_id, now).await?;
    }
    Ok(())
}

/// Whether partners hear of changes of post `id`: it is published now, or an earlier change of
/// it was announced (it was published before).
async fn post_announced(db: &impl ConnectionTrait, id: i32) -> AppResult<bool> {
    let col = |table: &str, c: &str| Expr::col((Alias::new(table), Alias::new(c)));
    let published = Query::select()
        .expr(Expr::val(1))
        .from(Alias::new("post"))
        .and_where(col("post", "id").eq(id))
        .and_where(col("post", "status").eq(sea_orm::ActiveEnum::to_value(
            &crate::vocab::PostStatus::Published,
        )))
        .and_where(col("post", "published_at").is_not_null())
        .and_where(col("post", "deleted_at").is_null())
        .to_owned();
    let announced = Query::select()
        .expr(Expr::val(1))
        .from(Alias::new("change_feed"))
        .and_where(col("change_feed", "entity_type").eq("post"))
        .and_where(col("change_feed", "entity_id").eq(id))
        .and_where(col("change_feed", "hidden").eq(false))
        .to_owned();
    let either = Query::select()
        .expr_as(
            Expr::exists(published).or(Expr::exists(announced)),
            Alias::new("announced"),
        )
        .to_owned();
    Ok(match db.query_one(&either).await? {
        Some(row) => row.try_get::<bool>("", "announced")?,
        None => false,
    })
}

/// An event shows its report (`reportPostId`) only while the post is published: when the post
/// changes, so may the events reporting on it, and partners hear of them too.
async fn report_changed(
    db: &impl ConnectionTrait,
    post: i32,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let events = Query::select()
        .expr(Expr::val(now))
        .expr(Expr::val("event"))
        .column(Alias::new("id"))
        .expr(Expr::val("update"))
        .expr(Expr::val(false))
        .from(Alias::new("event"))
        .and_where(Expr::col(Alias::new("report_post_id")).eq(post))
        .and_where(Expr::col(Alias::new("deleted_at")).is_null())
        .order_by(Alias::new("id"), sea_orm::sea_query::Order::Asc)
        .to_owned();
    let insert = Query::insert()
        .into_table(Alias::new("change_feed"))
        .columns(
            [
                "occurred_at",
                "entity_type",
                "entity_id",
                "operation",
                "hidden",
            ]
            .map(Alias::new),
        )
        .select_from(events)
        .map_err(crate::error::AppError::internal)?
        .to_owned();
    db.execute(&insert).await?;
    Ok(())
}
