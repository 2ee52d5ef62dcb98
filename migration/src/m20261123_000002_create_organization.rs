//! Organizations (the participants) and their links to regions, target groups, themes, tags and
//! care domains.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{date_null, json_binary, string, string_null, text, text_null};

use crate::columns::{drop_tables, link_index, link_table, mutable_table, slug, sortable};

#[derive(DeriveMigrationName)]
pub struct Migration;

const LINKS: [(&str, &str, &str); 4] = [
    ("organization_region", "region", "region_id"),
    (
        "organization_target_group",
        "target_group",
        "target_group_id",
    ),
    ("organization_theme", "theme", "theme_id"),
    ("organization_tag", "tag", "tag_id"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                mutable_table("organization")
                    .col(slug(backend))
                    .col(string("name"))
                    .col(sortable(backend, "sort_name"))
                    .col(json_binary("also_known_as"))
                    .col(text("description"))
                    .col(string_null("website"))
                    .col(string_null("logo_url"))
                    .col(string_null("city"))
                    .col(string_null("size"))
                    .col(string("status"))
                    .col(date_null("joined_on"))
                    .col(string_null("joined_note"))
                    .col(string_null("public_email"))
                    .col(string_null("public_phone"))
                    .col(string_null("contact_name"))
                    .col(string_null("contact_email"))
                    .col(string_null("contact_phone"))
                    .col(text_null("internal_notes"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_organization_sort_name")
                    .table("organization")
                    .col("sort_name")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        for (table, right, column) in LINKS {
            manager
                .create_table(link_table(
                    table,
                    ("organization", "organization_id"),
                    (right, column),
                ))
                .await?;
            manager.create_index(link_index(table, column)).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("organization_care_domain")
                    .col(ColumnDef::new("organization_id").integer().not_null())
                    .col(string("care_domain"))
                    .primary_key(Index::create().col("organization_id").col("care_domain"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_organization_care_domain_organization_id")
                            .from("organization_care_domain", "organization_id")
                            .to("organization", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(link_index("organization_care_domain", "care_domain"))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "organization_care_domain",
                "organization_tag",
                "organization_theme",
                "organization_target_group",
                "organization_region",
                "organization",
            ],
        )
        .await
    }
}
