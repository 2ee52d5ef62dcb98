//! What partners need to mirror the directory:
//!
//! - the Dutch identifiers they match organizations by: the Chamber of Commerce number
//!   (`kvk_number`), the care-provider code (`agb_code`) and the website's domain
//!   (`website_domain`), each optional and indexed for `organizations(filter: …)`;
//! - `change_feed.hidden`: a change partners never hear of (a post that has never been
//!   published: its submission, edits and rejection while pending), set for the changes of
//!   every post that is not published now;
//! - an index on `change_feed(entity_type, entity_id, seq)`, for compaction (the latest change per
//!   object) and for the check whether a post was ever announced;
//! - `change_feed_horizon`: how far compaction has gone (`compacted_through`, a `seq`): a cursor
//!   before it is refused;
//! - on PostgreSQL, a trigger that refuses a `change_feed` row written without the journal's
//!   write lock (`pg_advisory_xact_lock(7401)`), the lock that makes rows commit in `seq` order:
//!   whatever code path (or SQL by hand) writes the feed, it cannot make a reader skip a change.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, boolean, string, string_null, timestamp_with_time_zone,
};
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

use crate::columns::drop_tables;

#[derive(DeriveMigrationName)]
pub struct Migration;

const IDENTIFIERS: [&str; 3] = ["kvk_number", "agb_code", "website_domain"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in IDENTIFIERS {
            manager
                .alter_table(
                    Table::alter()
                        .table("organization")
                        .add_column(string_null(column))
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name(format!("idx_organization_{column}"))
                        .table("organization")
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("change_feed")
                    .add_column(boolean("hidden").default(false))
                    .to_owned(),
            )
            .await?;
        // Nothing read the feed before: the history of posts that are not published now is
        // hidden (their submissions, edits and rejections), so a partner starting from a
        // snapshot never learns of them. A published post's earlier changes show it as it is.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE change_feed SET hidden = TRUE WHERE entity_type = 'post' AND NOT EXISTS \
                 (SELECT 1 FROM post WHERE post.id = change_feed.entity_id \
                 AND post.status = 'published' AND post.published_at IS NOT NULL \
                 AND post.deleted_at IS NULL)",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_change_feed_object")
                    .table("change_feed")
                    .col("entity_type")
                    .col("entity_id")
                    .col("seq")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("change_feed_horizon")
                    .col(string("name").primary_key())
                    .col(big_integer("seq"))
                    .col(timestamp_with_time_zone("compacted_at"))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            let db = manager.get_connection();
            // pg_advisory_xact_lock(7401) shows in pg_locks as classid 0, objid 7401, objsubid 1
            // (a bigint key: its high and low halves, and 1 for the one-key form).
            db.execute_unprepared(
                "CREATE FUNCTION change_feed_requires_write_lock() RETURNS trigger \
                 LANGUAGE plpgsql AS $$ BEGIN \
                   IF NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' \
                     AND pid = pg_backend_pid() AND classid = 0 AND objid = 7401 \
                     AND objsubid = 1 AND granted) THEN \
                     RAISE EXCEPTION 'change_feed rows are written only under the journal''s \
                       write lock (pg_advisory_xact_lock(7401), taken by db::begin_write)'; \
                   END IF; \
                   RETURN NEW; \
                 END $$",
            )
            .await?;
            db.execute_unprepared(
                "CREATE TRIGGER change_feed_requires_write_lock BEFORE INSERT ON change_feed \
                 FOR EACH ROW EXECUTE FUNCTION change_feed_requires_write_lock()",
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            let db = manager.get_connection();
            db.execute_unprepared("DROP TRIGGER change_feed_requires_write_lock ON change_feed")
                .await?;
            db.execute_unprepared("DROP FUNCTION change_feed_requires_write_lock()")
                .await?;
        }
        drop_tables(manager, &["change_feed_horizon"]).await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_change_feed_object")
                    .table("change_feed")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("change_feed")
                    .drop_column("hidden")
                    .to_owned(),
            )
            .await?;
        for column in IDENTIFIERS.into_iter().rev() {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("idx_organization_{column}"))
                        .table("organization")
                        .to_owned(),
                )
                .await?;
            manager
                .alter_table(
                    Table::alter()
                        .table("organization")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
