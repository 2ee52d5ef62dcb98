//! The audit log (who changed what when, with before and after values), the partners' change
//! feed (a monotonically increasing sequence of inserts, updates and deletes) and the list of
//! revoked token IDs.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_pk_auto, integer, integer_null, json_binary_null, string, string_null,
    timestamp_with_time_zone,
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
                    .table("audit_log")
                    .col(big_pk_auto("id"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .col(string("actor_role"))
                    .col(string_null("actor_sub"))
                    .col(string("action"))
                    .col(string("entity_type"))
                    .col(integer("entity_id"))
                    .col(integer_null("organization_id"))
                    .col(json_binary_null("before"))
                    .col(json_binary_null("after"))
                    .col(string_null("request_id"))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_audit_log_entity", "entity_id"),
            ("idx_audit_log_organization", "organization_id"),
            ("idx_audit_log_actor", "actor_sub"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("audit_log")
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("change_feed")
                    .col(big_pk_auto("seq"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .col(string("entity_type"))
                    .col(integer("entity_id"))
                    .col(string("operation"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("revoked_token")
                    .col(string("jti").primary_key())
                    .col(timestamp_with_time_zone("revoked_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(string_null("revoked_by"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["revoked_token", "change_feed", "audit_log"]).await
    }
}
