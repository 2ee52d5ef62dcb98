//! The record of issued tokens, and the keyed hash of authors' e-mail addresses.
//!
//! - `issued_token`: every token the `token` command issues (its ID, never the token itself),
//!   so that administrators can list tokens and revoke them by ID; `revoked_at` mirrors
//!   `revoked_token`, written in the same transaction.
//! - `post.author_email_hash`: an HMAC-SHA256 of the normalised address under a server key, kept
//!   after retention deletes the address so that erasure on request still finds the author.
//!   The migration cannot compute it (the key is not in the database): the server fills it at
//!   start for rows that have an address and no hash.
//! - `key_fingerprint`: a fingerprint of the key those hashes were made with, so that a replica
//!   with another key refuses to start instead of writing hashes nobody can look up.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    integer_null, pk_auto, string, string_null, string_uniq, timestamp_with_time_zone,
    timestamp_with_time_zone_null,
};

use crate::columns::drop_tables;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("issued_token")
                    .col(pk_auto("id"))
                    .col(string_uniq("jti"))
                    .col(string("subject"))
                    .col(string("role"))
                    .col(integer_null("organization_id"))
                    .col(timestamp_with_time_zone("issued_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(string_null("revoked_by"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_issued_token_issued_at")
                    .table("issued_token")
                    .col("issued_at")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_issued_token_subject")
                    .table("issued_token")
                    .col("subject")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("post")
                    .add_column(string_null("author_email_hash"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_post_author_email_hash")
                    .table("post")
                    .col("author_email_hash")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("key_fingerprint")
                    .col(string("name").primary_key())
                    .col(string("fingerprint"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["key_fingerprint"]).await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_post_author_email_hash")
                    .table("post")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("post")
                    .drop_column("author_email_hash")
                    .to_owned(),
            )
            .await?;
        drop_tables(manager, &["issued_token"]).await
    }
}
