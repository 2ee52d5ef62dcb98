//! Posts: the movement's articles and people's contributions, with moderation status, author
//! fields (the e-mail address is for moderation only) and links to themes and tags.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    integer_null, string, string_null, text, timestamp_with_time_zone_null,
};

use crate::columns::{drop_tables, link_index, link_table, mutable_table, slug};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                mutable_table("post")
                    .col(slug(backend))
                    .col(string("kind"))
                    .col(string("title"))
                    .col(text("body"))
                    .col(string("author_name"))
                    .col(string_null("author_role"))
                    .col(string_null("author_email"))
                    .col(integer_null("organization_id"))
                    .col(string("status"))
                    .col(timestamp_with_time_zone_null("published_at"))
                    .col(timestamp_with_time_zone_null("moderated_at"))
                    .col(string_null("moderated_by"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_post_organization")
                            .from("post", "organization_id")
                            .to("organization", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_post_status_published_at")
                    .table("post")
                    .col("status")
                    .col("published_at")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_post_organization_id")
                    .table("post")
                    .col("organization_id")
                    .to_owned(),
            )
            .await?;
        for (table, right, column) in [
            ("post_theme", "theme", "theme_id"),
            ("post_tag", "tag", "tag_id"),
        ] {
            manager
                .create_table(link_table(table, ("post", "post_id"), (right, column)))
                .await?;
            manager.create_index(link_index(table, column)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["post_tag", "post_theme", "post"]).await
    }
}
