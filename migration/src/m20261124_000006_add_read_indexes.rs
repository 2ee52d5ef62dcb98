//! Indexes for the read path at national scale, so that every page is a range read along an
//! index ("top N"), whatever the size of the table:
//!
//! - an organization's latest posts: `post(organization_id, status, published_at, id)`;
//! - the latest published posts of a theme or a tag: the link tables `post_theme` and `post_tag`
//!   carry a copy of the post's `published_at` while the post is published and not deleted
//!   (NULL otherwise), indexed as `(theme_id, published_at, post_id)`. Triggers keep the copy:
//!   on every insert of a link, and on every change of a post's status, publication time or
//!   deletion, whichever code path writes it;
//! - the reverse direction of every organization link, covering (`(region_id, organization_id)`
//!   instead of `(region_id)`), so that it is answered from the index alone.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const POST_LINKS: [(&str, &str); 2] = [("post_theme", "theme_id"), ("post_tag", "tag_id")];

const ORGANIZATION_LINKS: [(&str, &str); 4] = [
    ("organization_region", "region_id"),
    ("organization_target_group", "target_group_id"),
    ("organization_theme", "theme_id"),
    ("organization_tag", "tag_id"),
];

/// The published time a link row carries for its post (NULL unless published and not deleted).
const PUBLISHED: &str = "CASE WHEN p.status = 'published' AND p.deleted_at IS NULL \
                         THEN p.published_at END";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        manager
            .create_index(
                Index::create()
                    .name("idx_post_organization_published")
                    .table("post")
                    .col("organization_id")
                    .col("status")
                    .col("published_at")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_post_organization_id")
                    .table("post")
                    .to_owned(),
            )
            .await?;
        for (table, column) in POST_LINKS {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(ColumnDef::new("published_at").timestamp_with_time_zone())
                        .to_owned(),
                )
                .await?;
            db.execute_unprepared(&format!(
                "UPDATE {table} SET published_at = \
                 (SELECT {PUBLISHED} FROM post p WHERE p.id = {table}.post_id)"
            ))
            .await?;
            manager
                .create_index(
                    Index::create()
                        .name(format!("idx_{table}_published"))
                        .table(table)
                        .col(column)
                        .col("published_at")
                        .col("post_id")
                        .to_owned(),
                )
                .await?;
        }
        for statement in triggers(backend) {
            db.execute_unprepared(&statement).await?;
        }
        for (table, column) in ORGANIZATION_LINKS {
            manager
                .create_index(
                    Index::create()
                        .name(format!("idx_{table}_{column}_organization"))
                        .table(table)
                        .col(column)
                        .col("organization_id")
                        .to_owned(),
                )
                .await?;
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("idx_{table}_{column}"))
                        .table(table)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (table, column) in ORGANIZATION_LINKS {
            manager
                .create_index(
                    Index::create()
                        .name(format!("idx_{table}_{column}"))
                        .table(table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("idx_{table}_{column}_organization"))
                        .table(table)
                        .to_owned(),
                )
                .await?;
        }
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "DROP TRIGGER post_theme_published ON post_theme; \
                     DROP TRIGGER post_tag_published ON post_tag; \
                     DROP TRIGGER post_published_changed ON post; \
                     DROP FUNCTION post_link_published(); \
                     DROP FUNCTION post_published_changed();",
                )
                .await?;
            }
            _ => {
                for trigger in [
                    "post_theme_published",
                    "post_tag_published",
                    "post_published_changed",
                ] {
                    db.execute_unprepared(&format!("DROP TRIGGER {trigger}"))
                        .await?;
                }
            }
        }
        for (table, _) in POST_LINKS {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("idx_{table}_published"))
                        .table(table)
                        .to_owned(),
                )
                .await?;
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column("published_at")
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_post_organization_id")
                    .table("post")
                    .col("organization_id")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_post_organization_published")
                    .table("post")
                    .to_owned(),
            )
            .await
    }
}

/// The triggers that keep `published_at` of the post links, in each database's dialect.
fn triggers(backend: DatabaseBackend) -> Vec<String> {
    let new_published = PUBLISHED.replace("p.", "NEW.");
    match backend {
        DatabaseBackend::Postgres => {
            let mut statements = vec![
                format!(
                    "CREATE FUNCTION post_link_published() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN \
                       SELECT {PUBLISHED} INTO NEW.published_at FROM post p WHERE p.id = NEW.post_id; \
                       RETURN NEW; \
                     END $$"
                ),
                format!(
                    "CREATE FUNCTION post_published_changed() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN \
                       UPDATE post_theme SET published_at = {new_published} WHERE post_id = NEW.id; \
                       UPDATE post_tag SET published_at = {new_published} WHERE post_id = NEW.id; \
                       RETURN NULL; \
                     END $$"
                ),
                "CREATE TRIGGER post_published_changed AFTER UPDATE OF status, published_at, \
                 deleted_at ON post FOR EACH ROW EXECUTE FUNCTION post_published_changed()"
                    .to_owned(),
            ];
            for (table, _) in POST_LINKS {
                statements.push(format!(
                    "CREATE TRIGGER {table}_published BEFORE INSERT OR UPDATE OF post_id ON {table} \
                     FOR EACH ROW EXECUTE FUNCTION post_link_published()"
                ));
            }
            statements
        }
        _ => {
            let mut statements = vec![format!(
                "CREATE TRIGGER post_published_changed AFTER UPDATE OF status, published_at, \
                 deleted_at ON post FOR EACH ROW BEGIN \
                   UPDATE post_theme SET published_at = {new_published} WHERE post_id = NEW.id; \
                   UPDATE post_tag SET published_at = {new_published} WHERE post_id = NEW.id; \
                 END"
            )];
            for (table, column) in POST_LINKS {
                statements.push(format!(
                    "CREATE TRIGGER {table}_published AFTER INSERT ON {table} FOR EACH ROW BEGIN \
                       UPDATE {table} SET published_at = \
                         (SELECT {PUBLISHED} FROM post p WHERE p.id = NEW.post_id) \
                       WHERE post_id = NEW.post_id AND {column} = NEW.{column}; \
                     END"
                ));
            }
            statements
        }
    }
}
