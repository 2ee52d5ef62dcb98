//! Partner bodies: knowledge institutes, sector associations, government, regulators, care
//! offices, client organizations and supporters.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{boolean, string, string_null, text, text_null};

use crate::columns::{drop_tables, mutable_table, slug, sortable};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                mutable_table("partner")
                    .col(slug(backend))
                    .col(string("name"))
                    .col(sortable(backend, "sort_name"))
                    .col(string_null("short_name"))
                    .col(string("kind"))
                    .col(text("role"))
                    .col(text("description"))
                    .col(string_null("website"))
                    .col(boolean("core_team").default(false))
                    .col(string_null("public_email"))
                    .col(string_null("public_phone"))
                    .col(string_null("contact_name"))
                    .col(string_null("contact_email"))
                    .col(string_null("contact_phone"))
                    .col(text_null("internal_notes"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["partner"]).await
    }
}
