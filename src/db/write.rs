//! Shared machinery of writes: versioned updates (no lost updates), link-table replacement and
//! the mapping of unique violations to user errors.

use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, SqlErr, Value,
};

use crate::db::journal::{self, Actor, Change, Operation};
use crate::db::page::Row;
use crate::error::{AppError, AppResult};

/// Writes the `Set` fields of `changes` to row `id` if its version is still `expected`, bumping
/// the version and `updated_at`; `CONFLICT` (nothing written) when another write came first.
pub async fn update_versioned<E, C>(
    db: &C,
    id: i32,
    expected: i64,
    mut changes: E::ActiveModel,
) -> AppResult<E::Model>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    C: ConnectionTrait,
{
    let column = |name: &str| {
        name.parse::<E::Column>()
            .map_err(|_| AppError::internal(format!("table has no column {name}")))
    };
    changes.set(column("version")?, Value::from(expected + 1));
    changes.set(column("updated_at")?, Value::from(Utc::now()));
    let result = E::update_many()
        .set(changes)
        .filter(Expr::col(Alias::new("id")).eq(id))
        .filter(Expr::col(Alias::new("version")).eq(expected))
        .exec(db)
        .await
        .map_err(|err| {
            if is_unique_violation(&err) {
                AppError::bad_input("a value that must be unique (the slug) is taken")
            } else {
                AppError::from(err)
            }
        })?;
    let current = E::find_by_id_any(id, db).await?;
    match current {
        Some(model) if result.rows_affected == 1 => Ok(model),
        Some(_) => Err(AppError::Conflict {
            expected,
            current: current_version::<E, C>(db, id).await?,
        }),
        None => Err(AppError::not_found("object")),
    }
}

/// The stored version of row `id` of `E`'s table.
pub async fn current_version<E: EntityTrait, C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> AppResult<i64> {
    let select = Query::select()
        .column(Alias::new("version"))
        .from(E::default().table_ref())
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    let row = db
        .query_one(&select)
        .await?
        .ok_or_else(|| AppError::not_found("object"))?;
    Ok(row.try_get("", "version")?)
}

/// Finding by a single integer id, for any entity whose primary key is `id`.
trait FindById: EntityTrait {
    async fn find_by_id_any<C: ConnectionTrait>(
        id: i32,
        db: &C,
    ) -> Result<Option<Self::Model>, DbErr> {
        Self::find()
            .filter(Expr::col(Alias::new("id")).eq(id))
            .one(db)
            .await
    }
}

impl<E: EntityTrait> FindById for E {}

/// Replaces the links of `parent` in `table(parent_column, child_column)` with `children`.
pub async fn replace_links(
    db: &impl ConnectionTrait,
    table: &str,
    parent_column: &str,
    child_column: &str,
    parent: i32,
    children: &[i32],
) -> AppResult<()> {
    let delete = Query::delete()
        .from_table(Alias::new(table))
        .and_where(Expr::col(Alias::new(parent_column)).eq(parent))
        .to_owned();
    db.execute(&delete).await?;
    if children.is_empty() {
        return Ok(());
    }
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new(table))
        .columns([Alias::new(parent_column), Alias::new(child_column)]);
    let mut unique = children.to_vec();
    unique.sort_unstable();
    unique.dedup();
    for child in unique {
        insert
            .values([parent.into(), child.into()])
            .map_err(AppError::internal)?;
    }
    db.execute(&insert).await?;
    Ok(())
}

/// The ids of `table`'s rows among `ids` that exist (and are not deleted).
pub async fn existing_ids(
    db: &impl ConnectionTrait,
    table: &str,
    ids: &[i32],
) -> AppResult<Vec<i32>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let select = Query::select()
        .column(Alias::new("id"))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new("id")).is_in(ids.iter().copied()))
        .and_where(Expr::col(Alias::new("deleted_at")).is_null())
        .to_owned();
    db.query_all(&select)
        .await?
        .iter()
        .map(|row| Ok(row.try_get("", "id")?))
        .collect()
}

/// True when `err` is a unique-constraint violation (a slug taken by a concurrent write).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// True when a row of `table` other than `except` has this slug (deleted rows count: a slug is
/// never reused, so old links and caches do not point at a new object).
pub async fn slug_taken(
    db: &impl ConnectionTrait,
    table: &str,
    slug: &str,
    except: Option<i32>,
) -> AppResult<bool> {
    let mut select = Query::select();
    select
        .expr(Expr::val(1))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new("slug")).eq(slug));
    if let Some(id) = except {
        select.and_where(Expr::col(Alias::new("id")).ne(id));
    }
    Ok(db.query_one(&select).await?.is_some())
}

/// The ids in `column` of the rows `select` reads, in ascending order (a snapshot's links).
pub async fn sorted_ids(
    db: &impl ConnectionTrait,
    select: &SelectStatement,
    column: &str,
) -> AppResult<Vec<i32>> {
    let mut ids: Vec<i32> = db
        .query_all(select)
        .await?
        .iter()
        .map(|r| r.try_get("", column))
        .collect::<Result<_, _>>()?;
    ids.sort_unstable();
    Ok(ids)
}

/// Loads row `id` of `M`'s table (deleted rows too).
pub async fn load_row<M: Row>(db: &impl ConnectionTrait, id: i32) -> AppResult<Option<M>> {
    let select = Query::select()
        .column(sea_orm::sea_query::Asterisk)
        .from(Alias::new(M::TABLE))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    Ok(db
        .query_one(&select)
        .await?
        .map(|row| M::from_query_result(&row, ""))
        .transpose()?)
}

/// Loads a row the API may change: it exists and is not deleted (else `NOT_FOUND` for `what`).
pub async fn load_live<M: Row + Versioned>(
    db: &impl ConnectionTrait,
    id: i32,
    what: &str,
) -> AppResult<M> {
    load_row::<M>(db, id)
        .await?
        .filter(Versioned::is_live)
        .ok_or_else(|| AppError::not_found(what))
}

/// Refuses a write based on a stale read: `CONFLICT` unless `row` has version `expected`.
pub fn check_version(row: &impl Versioned, expected: i64) -> AppResult<()> {
    if row.version() != expected {
        return Err(AppError::Conflict {
            expected,
            current: row.version(),
        });
    }
    Ok(())
}

/// Loads a row the API may change: it exists, is not deleted, and has version `expected`.
pub async fn load_current<M: Row + Versioned>(
    db: &impl ConnectionTrait,
    id: i32,
    what: &str,
    expected: i64,
) -> AppResult<M> {
    let row = load_live::<M>(db, id, what).await?;
    check_version(&row, expected)?;
    Ok(row)
}

/// A row with optimistic-concurrency bookkeeping.
pub trait Versioned {
    /// The stored version.
    fn version(&self) -> i64;
    /// Not (softly) deleted.
    fn is_live(&self) -> bool;
}

/// A journaled write of one row of a simple table (partners, regions, themes, tags, target
/// groups): the column values to insert or set.
pub struct RowWrite<'a> {
    /// Who writes.
    pub actor: &'a Actor,
    /// The entity type, for the journal.
    pub entity_type: &'static str,
    /// Columns and values.
    pub values: Vec<(&'static str, Value)>,
}

/// Inserts a row (with fresh bookkeeping columns) and journals it, in one transaction.
pub async fn insert_journaled<M: Row + serde::Serialize>(
    db: &DatabaseConnection,
    write: RowWrite<'_>,
) -> AppResult<M> {
    let now = Utc::now();
    let mut columns = vec![
        Alias::new("created_at"),
        Alias::new("updated_at"),
        Alias::new("version"),
    ];
    let mut values: Vec<Expr> = vec![Expr::val(now), Expr::val(now), Expr::val(1i64)];
    for (column, value) in write.values {
        columns.push(Alias::new(column));
        values.push(Expr::val(value));
    }
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new(M::TABLE))
        .columns(columns)
        .values(values)
        .map_err(AppError::internal)?
        .returning_col(Alias::new("id"));
    let txn = crate::db::begin_write(db).await?;
    let row = txn
        .query_one(&insert)
        .await
        .map_err(unique_as_bad_input)?
        .ok_or_else(|| AppError::internal("insert returned no id"))?;
    let id: i32 = row.try_get("", "id")?;
    let row = load_row::<M>(&txn, id)
        .await?
        .ok_or_else(|| AppError::internal("inserted row vanished"))?;
    journal::record(
        &txn,
        write.actor,
        Change {
            entity_type: write.entity_type,
            entity_id: id,
            organization_id: None,
            operation: Operation::Create,
            before: None,
            after: Some(serde_json::to_value(&row).map_err(AppError::internal)?),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

fn unique_as_bad_input(err: DbErr) -> AppError {
    if is_unique_violation(&err) {
        AppError::bad_input("a value that must be unique (the slug) is taken")
    } else {
        AppError::from(err)
    }
}

/// Sets columns of row `before` if its version is unchanged, bumping the version, and journals
/// the change, in one transaction. `delete` makes it a soft delete.
pub async fn update_journaled<M: Row + Versioned + serde::Serialize>(
    db: &DatabaseConnection,
    before: &M,
    write: RowWrite<'_>,
    delete: bool,
) -> AppResult<M> {
    let now = Utc::now();
    let mut update = Query::update();
    update
        .table(Alias::new(M::TABLE))
        .value(Alias::new("version"), before.version() + 1)
        .value(Alias::new("updated_at"), now)
        .and_where(Expr::col(Alias::new("id")).eq(before.id()))
        .and_where(Expr::col(Alias::new("version")).eq(before.version()));
    if delete {
        update.value(Alias::new("deleted_at"), now);
    }
    for (column, value) in write.values {
        update.value(Alias::new(column), value);
    }
    let txn = crate::db::begin_write(db).await?;
    let result = txn.execute(&update).await.map_err(unique_as_bad_input)?;
    let after = load_row::<M>(&txn, before.id())
        .await?
        .ok_or_else(|| AppError::not_found("object"))?;
    if result.rows_affected() != 1 {
        return Err(AppError::Conflict {
            expected: before.version(),
            current: after.version(),
        });
    }
    journal::record(
        &txn,
        write.actor,
        Change {
            entity_type: write.entity_type,
            entity_id: before.id(),
            organization_id: None,
            operation: if delete {
                Operation::Delete
            } else {
                Operation::Update
            },
            before: Some(serde_json::to_value(before).map_err(AppError::internal)?),
            after: (!delete)
                .then(|| serde_json::to_value(&after))
                .transpose()
                .map_err(AppError::internal)?,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}
