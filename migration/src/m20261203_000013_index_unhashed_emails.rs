//! Makes the start-up check for posts whose author's e-mail address has no hash yet an index
//! lookup instead of a scan of every post.
//!
//! - `idx_post_author_email_hash` holds only rows with a hash. Before, the 160,000 posts without
//!   an address (and so without a hash) shared its `NULL` entry, and the check for missing hashes
//!   (`author_email_hash IS NULL`) walked all of them at every start: 60–160 ms and 8 MiB of page
//!   cache at 200,000 posts. The lookups by hash (`= ?`) imply `IS NOT NULL`, so they still use it.
//! - `idx_post_email_unhashed` lists the posts with an address but no hash: empty, except after
//!   an upgrade from before hashes existed or a write racing the start.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on SQLite too: the index is dropped and made again on one connection, and
    /// no start sees the table without it.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX idx_post_author_email_hash")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX idx_post_author_email_hash ON post (author_email_hash) \
             WHERE author_email_hash IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX idx_post_email_unhashed ON post (id) \
             WHERE author_email IS NOT NULL AND author_email_hash IS NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX idx_post_email_unhashed")
            .await?;
        db.execute_unprepared("DROP INDEX idx_post_author_email_hash")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX idx_post_author_email_hash ON post (author_email_hash)",
        )
        .await?;
        Ok(())
    }
}
