//! Retention of personal data in contributions: an author's moderation e-mail address is
//! deleted, and a rejected contribution purged, `RETENTION_DAYS` after the moderation decision.
//! The job runs at start and then hourly; each run is one transaction, journaled.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::db::journal::{self, Actor, Change, Operation};
use crate::error::AppResult;

/// What one retention run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RetentionReport {
    /// Moderation e-mail addresses deleted.
    pub emails_deleted: u64,
    /// Rejected contributions purged.
    pub posts_purged: u64,
}

/// Runs the retention job hourly, forever (the server aborts it at shutdown).
pub async fn run_retention(db: DatabaseConnection, days: u32) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match purge(&db, Utc::now(), days).await {
            Ok(report) if report != RetentionReport::default() => {
                tracing::info!(
                    emails = report.emails_deleted,
                    posts = report.posts_purged,
                    "retention run"
                );
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = ?err, "retention run failed; retrying in an hour"),
        }
    }
}

fn col(name: &str) -> Expr {
    Expr::col((Alias::new("post"), Alias::new(name)))
}

/// Deletes e-mail addresses and purges rejected contributions moderated before `now - days`.
pub async fn purge(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    days: u32,
) -> AppResult<RetentionReport> {
    let cutoff = now - chrono::Duration::days(i64::from(days));
    let txn = crate::db::begin_write(db).await?;
    let actor = Actor::system("retention");
    let rejected = sea_orm::ActiveEnum::to_value(&crate::vocab::PostStatus::Rejected);
    let select = Query::select()
        .columns([Alias::new("id"), Alias::new("organization_id")])
        .from(Alias::new("post"))
        .and_where(col("status").eq(rejected.clone()))
        .and_where(col("moderated_at").lt(cutoff))
        .to_owned();
    let doomed = txn.query_all(&select).await?;
    let mut report = RetentionReport::default();
    for row in &doomed {
        let id: i32 = row.try_get("", "id")?;
        let organization_id: Option<i32> = row.try_get("", "organization_id")?;
        crate::graphql::post::write::scrub_audit(&txn, &[id]).await?;
        journal::record(
            &txn,
            &actor,
            Change {
                entity_type: "post",
                entity_id: id,
                organization_id,
                operation: Operation::Delete,
                before: None,
                after: None,
            },
        )
        .await?;
        report.posts_purged += 1;
    }
    if !doomed.is_empty() {
        let delete = Query::delete()
            .from_table(Alias::new("post"))
            .and_where(col("status").eq(rejected))
            .and_where(col("moderated_at").lt(cutoff))
            .to_owned();
        txn.execute(&delete).await?;
    }
    let update = Query::update()
        .table(Alias::new("post"))
        .value(Alias::new("author_email"), Option::<String>::None)
        .and_where(col("author_email").is_not_null())
        .and_where(col("moderated_at").lt(cutoff))
        .to_owned();
    report.emails_deleted = txn.execute(&update).await?.rows_affected();
    txn.commit().await?;
    crate::db::checkpoint(db).await?;
    Ok(report)
}
