//! Compaction of the change feed: of the changes older than the horizon (`FEED_HORIZON_DAYS`),
//! only the latest per object is kept. A change is removed only when a later change of the same
//! object exists, so every object keeps at least its latest change (deleted ones their
//! tombstone), and a mirror that reads the compacted feed from the start still ends where the
//! directory is; but the order and the number of the older changes are gone, so a cursor before
//! the horizon is refused ([`super::check_position`]) and its reader starts from the snapshot.
//!
//! The horizon moves first, then the rows go, in batches (each a short write transaction), so a
//! reader is refused before anything it would miss is removed. The job runs one to two minutes
//! after start and then hourly, like the retention job; replicas running it at once only repeat
//! each other's work.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::{Position, horizon};
use crate::error::{AppError, AppResult};

/// The row of `change_feed_horizon` that holds how far compaction has gone.
pub const COMPACTED_THROUGH: &str = "compacted_through";

/// Rows removed per transaction: short enough not to hold writers up.
const BATCH: u64 = 5000;

/// What one compaction did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CompactionReport {
    /// Changes removed.
    pub removed: u64,
    /// The horizon: cursors before it are refused.
    pub horizon: Position,
}

/// Runs compaction hourly, forever (the server aborts it at shutdown).
pub async fn run(db: DatabaseConnection, days: u32) {
    let mut tick = crate::db::hourly_after_start();
    loop {
        tick.tick().await;
        match compact(&db, Utc::now(), days).await {
            Ok(report) if report.removed > 0 => {
                tracing::info!(
                    removed = report.removed,
                    horizon = report.horizon.0,
                    "compacted the change feed"
                );
            }
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(error = ?err, "compacting the change feed failed; retrying in an hour");
            }
        }
    }
}

fn col(table: &str, column: &str) -> Expr {
    Expr::col((Alias::new(table), Alias::new(column)))
}

/// Removes the changes made before `now - days` that a later change of the same object
/// supersedes, after moving the horizon to the last change made before then.
pub async fn compact(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    days: u32,
) -> AppResult<CompactionReport> {
    let cutoff = now - chrono::Duration::days(i64::from(days));
    let select = Query::select()
        .expr_as(Expr::col(Alias::new("seq")).max(), Alias::new("last"))
        .from(Alias::new("change_feed"))
        .and_where(Expr::col(Alias::new("occurred_at")).lt(cutoff))
        .to_owned();
    let last: Option<i64> = match db.query_one(&select).await? {
        Some(row) => row.try_get("", "last")?,
        None => None,
    };
    let mut report = CompactionReport {
        removed: 0,
        horizon: horizon(db).await?,
    };
    let Some(last) = last else {
        return Ok(report);
    };
    if Position(last) > report.horizon {
        let txn = crate::db::begin_write(db).await?;
        // Read again under the lock: another replica may have moved it meanwhile.
        if Position(last) > horizon(&txn).await? {
            let upsert = Query::insert()
                .into_table(Alias::new("change_feed_horizon"))
                .columns(["name", "seq", "compacted_at"].map(Alias::new))
                .values([COMPACTED_THROUGH.into(), last.into(), now.into()])
                .map_err(AppError::internal)?
                .on_conflict(
                    OnConflict::column(Alias::new("name"))
                        .update_columns(["seq", "compacted_at"].map(Alias::new))
                        .to_owned(),
                )
                .to_owned();
            txn.execute(&upsert).await?;
        }
        txn.commit().await?;
        report.horizon = Position(last);
    }
    loop {
        let later = Query::select()
            .expr(Expr::val(1))
            .from_as(Alias::new("change_feed"), Alias::new("later"))
            .and_where(
                col("later", "entity_type").equals((Alias::new("c"), Alias::new("entity_type"))),
            )
            .and_where(col("later", "entity_id").equals((Alias::new("c"), Alias::new("entity_id"))))
            .and_where(col("later", "seq").gt(col("c", "seq")))
            .to_owned();
        let superseded = Query::select()
            .column((Alias::new("c"), Alias::new("seq")))
            .from_as(Alias::new("change_feed"), Alias::new("c"))
            .and_where(col("c", "seq").lte(report.horizon.0))
            .and_where(Expr::exists(later))
            .limit(BATCH)
            .to_owned();
        let delete = Query::delete()
            .from_table(Alias::new("change_feed"))
            .and_where(Expr::col(Alias::new("seq")).in_subquery(superseded))
            .to_owned();
        let txn = crate::db::begin_write(db).await?;
        let removed = txn.execute(&delete).await?.rows_affected();
        txn.commit().await?;
        report.removed += removed;
        if removed < BATCH {
            return Ok(report);
        }
    }
}
