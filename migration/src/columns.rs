//! Column shapes shared by the migrations, so every mutable table carries the same bookkeeping.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, pk_auto, string, timestamp_with_time_zone, timestamp_with_time_zone_null,
};
use sea_orm_migration::sea_orm::DatabaseBackend;

/// `id`, and the bookkeeping of a mutable row: `created_at`, `updated_at`, `version` (optimistic
/// concurrency, starts at 1) and `deleted_at` (soft deletion; partners learn of it through the
/// change feed).
pub fn mutable_table(name: &'static str) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(pk_auto("id"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("updated_at"))
        .col(big_integer("version").default(1))
        .col(timestamp_with_time_zone_null("deleted_at"))
        .to_owned()
}

/// A unique slug column. On PostgreSQL it uses the "C" collation so that ordering and keyset
/// comparisons are byte-wise, exactly as on SQLite, whatever the cluster's locale.
pub fn slug(backend: DatabaseBackend) -> ColumnDef {
    sortable(backend, "slug").unique_key().to_owned()
}

/// A text column used as a sort key (`sort_name`): compared byte-wise on both databases.
pub fn sortable(backend: DatabaseBackend, name: &'static str) -> ColumnDef {
    let mut col = string(name);
    if backend == DatabaseBackend::Postgres {
        col.extra("COLLATE \"C\"");
    }
    col
}

/// A many-to-many link table `name(left, right)` with a composite primary key, cascading
/// deletes from both sides and an index on `right` for the reverse direction.
pub fn link_table(
    name: &'static str,
    left: (&'static str, &'static str),
    right: (&'static str, &'static str),
) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(ColumnDef::new(left.1).integer().not_null())
        .col(ColumnDef::new(right.1).integer().not_null())
        .primary_key(Index::create().col(left.1).col(right.1))
        .foreign_key(
            ForeignKey::create()
                .name(format!("fk_{name}_{}", left.1))
                .from(name, left.1)
                .to(left.0, "id")
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .name(format!("fk_{name}_{}", right.1))
                .from(name, right.1)
                .to(right.0, "id")
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

/// The index on the right-hand column of a link table.
pub fn link_index(name: &'static str, right: &'static str) -> IndexCreateStatement {
    Index::create()
        .name(format!("idx_{name}_{right}"))
        .table(name)
        .col(right)
        .to_owned()
}

/// Drops the tables in the order given.
pub async fn drop_tables(
    manager: &SchemaManager<'_>,
    tables: &[&'static str],
) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(Table::drop().table(*table).to_owned())
            .await?;
    }
    Ok(())
}
