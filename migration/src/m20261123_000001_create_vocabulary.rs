//! Regions (provinces and finer regions under them), target groups, themes and tags: the shared
//! vocabulary that organizations and posts link to.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{integer_null, string, text_null};

use crate::columns::{drop_tables, mutable_table, slug, sortable};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                mutable_table("region")
                    .col(slug(backend))
                    .col(string("name"))
                    .col(sortable(backend, "sort_name"))
                    .col(string("kind"))
                    .col(integer_null("parent_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_region_parent")
                            .from("region", "parent_id")
                            .to("region", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        for table in ["target_group", "theme", "tag"] {
            manager
                .create_table(
                    mutable_table(table)
                        .col(slug(backend))
                        .col(string("name"))
                        .col(sortable(backend, "sort_name"))
                        .col(text_null("description"))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite drops a table by deleting its rows first, which the parent link would refuse.
        manager
            .get_connection()
            .execute_unprepared("UPDATE region SET parent_id = NULL")
            .await?;
        drop_tables(manager, &["tag", "theme", "target_group", "region"]).await
    }
}
