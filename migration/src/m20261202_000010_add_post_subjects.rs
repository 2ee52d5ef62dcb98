//! The organizations and partners a post is about: `post_organization` and `post_partner`, with
//! the same copy of the post's `published_at` (NULL unless published and not deleted) that the
//! theme and tag links carry, kept by the same triggers, so that an organization's latest posts
//! are a range read along `(organization_id, published_at, post_id)`.
//!
//! An organization's posts are the ones it wrote and the ones about it: the post's own
//! organization is always linked too (filled here for existing posts; a trigger links it for
//! every post inserted or moved later, whichever code path writes it).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

use crate::columns::{drop_tables, link_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

const LINKS: [(&str, &str, &str); 2] = [
    ("post_organization", "organization", "organization_id"),
    ("post_partner", "partner", "partner_id"),
];

/// The published time a link row carries for its post (NULL unless published and not deleted).
const PUBLISHED: &str = "CASE WHEN p.status = 'published' AND p.deleted_at IS NULL \
                         THEN p.published_at END";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        for (table, right, column) in LINKS {
            manager
                .create_table(
                    link_table(table, ("post", "post_id"), (right, column))
                        .col(ColumnDef::new("published_at").timestamp_with_time_zone())
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name(format!("idx_{table}_newest"))
                        .table(table)
                        .col(column)
                        .col("published_at")
                        .col("post_id")
                        .to_owned(),
                )
                .await?;
        }
        db.execute_unprepared(&format!(
            "INSERT INTO post_organization (post_id, organization_id, published_at) \
             SELECT p.id, p.organization_id, {PUBLISHED} FROM post p \
             WHERE p.organization_id IS NOT NULL"
        ))
        .await?;
        for statement in triggers(backend) {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let statements: &[&str] = match manager.get_database_backend() {
            DatabaseBackend::Postgres => &[
                "DROP TRIGGER post_subjects_published_changed ON post",
                "DROP FUNCTION post_subjects_published_changed()",
                "DROP TRIGGER post_own_organization ON post",
                "DROP FUNCTION post_own_organization()",
            ],
            _ => &[
                "DROP TRIGGER post_subjects_published_changed",
                "DROP TRIGGER post_own_organization_inserted",
                "DROP TRIGGER post_own_organization_moved",
            ],
        };
        for statement in statements {
            db.execute_unprepared(statement).await?;
        }
        // The tables' own triggers go with them.
        drop_tables(manager, &["post_partner", "post_organization"]).await
    }
}

/// The triggers that keep the copy: one on `post` (beside the one of the theme and tag links)
/// and one on each new link table, in each database's dialect.
fn triggers(backend: DatabaseBackend) -> Vec<String> {
    let new_published = PUBLISHED.replace("p.", "NEW.");
    let updates: String = LINKS
        .iter()
        .map(|(table, _, _)| {
            format!("UPDATE {table} SET published_at = {new_published} WHERE post_id = NEW.id; ")
        })
        .collect();
    let mut statements = Vec::new();
    match backend {
        DatabaseBackend::Postgres => {
            statements.push(format!(
                "CREATE FUNCTION post_subjects_published_changed() RETURNS trigger \
                 LANGUAGE plpgsql AS $$ BEGIN {updates} RETURN NULL; END $$"
            ));
            statements.push(
                "CREATE TRIGGER post_subjects_published_changed AFTER UPDATE OF status, \
                 published_at, deleted_at ON post FOR EACH ROW \
                 EXECUTE FUNCTION post_subjects_published_changed()"
                    .to_owned(),
            );
            statements.push(
                "CREATE FUNCTION post_own_organization() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN \
                   IF NEW.organization_id IS NOT NULL THEN \
                     INSERT INTO post_organization (post_id, organization_id) \
                     VALUES (NEW.id, NEW.organization_id) ON CONFLICT DO NOTHING; \
                   END IF; \
                   RETURN NULL; \
                 END $$"
                    .to_owned(),
            );
            statements.push(
                "CREATE TRIGGER post_own_organization AFTER INSERT OR UPDATE OF organization_id \
                 ON post FOR EACH ROW EXECUTE FUNCTION post_own_organization()"
                    .to_owned(),
            );
            // The function of the theme and tag links serves these too.
            for (table, _, _) in LINKS {
                statements.push(format!(
                    "CREATE TRIGGER {table}_published BEFORE INSERT OR UPDATE OF post_id \
                     ON {table} FOR EACH ROW EXECUTE FUNCTION post_link_published()"
                ));
            }
        }
        _ => {
            statements.push(format!(
                "CREATE TRIGGER post_subjects_published_changed AFTER UPDATE OF status, \
                 published_at, deleted_at ON post FOR EACH ROW BEGIN {updates} END"
            ));
            for (name, event) in [
                ("inserted", "INSERT"),
                ("moved", "UPDATE OF organization_id"),
            ] {
                statements.push(format!(
                    "CREATE TRIGGER post_own_organization_{name} AFTER {event} ON post \
                     FOR EACH ROW WHEN NEW.organization_id IS NOT NULL BEGIN \
                       INSERT OR IGNORE INTO post_organization (post_id, organization_id) \
                       VALUES (NEW.id, NEW.organization_id); \
                     END"
                ));
            }
            for (table, _, column) in LINKS {
                statements.push(format!(
                    "CREATE TRIGGER {table}_published AFTER INSERT ON {table} \
                     FOR EACH ROW BEGIN \
                       UPDATE {table} SET published_at = \
                         (SELECT {PUBLISHED} FROM post p WHERE p.id = NEW.post_id) \
                       WHERE post_id = NEW.post_id AND {column} = NEW.{column}; \
                     END"
                ));
            }
        }
    }
    statements
}
