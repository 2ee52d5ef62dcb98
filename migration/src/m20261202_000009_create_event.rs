//! Events (meetings of the movement): the kinds of event (a vocabulary the support point
//! extends), the events with their times (UTC, shown in Europe/Amsterdam time), place and
//! links to the hosting and taking-part organizations and partners, themes and tags.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    integer, integer_null, string, string_null, text, text_null, timestamp_with_time_zone,
};

use crate::columns::{drop_tables, link_index, link_table, mutable_table, slug, sortable};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                mutable_table("event_kind")
                    .col(slug(backend))
                    .col(string("name"))
                    .col(sortable(backend, "sort_name"))
                    .col(text_null("description"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                mutable_table("event")
                    .col(slug(backend))
                    .col(string("title"))
                    .col(integer("kind_id"))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .col(string_null("attendance"))
                    .col(string_null("time_note"))
                    .col(string_null("city"))
                    .col(string_null("venue"))
                    .col(text("description"))
                    .col(integer_null("report_post_id"))
                    .col(integer_null("capacity"))
                    .col(string_null("registration_url"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_kind")
                            .from("event", "kind_id")
                            .to("event_kind", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_report_post")
                            .from("event", "report_post_id")
                            .to("post", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // Both orderings (upcoming ascending, past descending) read this index.
        manager
            .create_index(
                Index::create()
                    .name("idx_event_starts_at")
                    .table("event")
                    .col("starts_at")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_event_kind_id")
                    .table("event")
                    .col("kind_id")
                    .to_owned(),
            )
            .await?;
        // Organizations and partners hang under an event as hosts or as taking part (`role`).
        for (table, right, column) in [
            ("event_organization", "organization", "organization_id"),
            ("event_partner", "partner", "partner_id"),
        ] {
            manager
                .create_table(
                    link_table(table, ("event", "event_id"), (right, column))
                        .col(string("role"))
                        .to_owned(),
                )
                .await?;
            manager.create_index(link_index(table, column)).await?;
        }
        for (table, right, column) in [
            ("event_theme", "theme", "theme_id"),
            ("event_tag", "tag", "tag_id"),
        ] {
            manager
                .create_table(link_table(table, ("event", "event_id"), (right, column)))
                .await?;
            manager.create_index(link_index(table, column)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "event_tag",
                "event_theme",
                "event_partner",
                "event_organization",
                "event",
                "event_kind",
            ],
        )
        .await
    }
}
