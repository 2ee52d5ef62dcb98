//! `organization.name_words`: the folded words of an organization's name and of each of its
//! other names (`|` between names), which the `nameContains` filter searches, so that
//! punctuation and diacritics never decide a match ("noord holland" finds
//! "Noord-Holland-Noord"). The server keeps it on every write; this migration fills it for the
//! rows there are, with a copy of the folding as it was when the migration was written
//! (migrations never change once shipped).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organization {
    Table,
    NameWords,
}

/// `text::words` of the server: folded, lowercase, ASCII words joined by one space.
fn words(text: &str) -> String {
    deunicode::deunicode(text)
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organization::Table)
                    .add_column(
                        ColumnDef::new(Organization::NameWords)
                            .text()
                            .not_null()
                            .default(""),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id, name, CAST(also_known_as AS TEXT) AS aliases FROM organization",
            ))
            .await?;
        for row in rows {
            let id: i32 = row.try_get("", "id")?;
            let name: String = row.try_get("", "name")?;
            let aliases: String = row.try_get("", "aliases")?;
            let aliases: Vec<String> = serde_json::from_str(&aliases).unwrap_or_default();
            let mut all = words(&name);
            for alias in &aliases {
                all.push('|');
                all.push_str(&words(alias));
            }
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                match backend {
                    sea_orm_migration::sea_orm::DatabaseBackend::Postgres => {
                        "UPDATE organization SET name_words = $1 WHERE id = $2"
                    }
                    _ => "UPDATE organization SET name_words = ? WHERE id = ?",
                },
                [all.into(), id.into()],
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organization::Table)
                    .drop_column(Organization::NameWords)
                    .to_owned(),
            )
            .await
    }
}
