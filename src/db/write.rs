//! The one way to write: [`Write`] (a journaled transaction with versioned inserts, updates
//! and soft deletes) for every type, plus what writes share: link-table replacement, existence
//! and slug checks, and the mapping of unique violations.

use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect, SqlErr,
};

use crate::db::journal::{self, Actor, Change, Operation};
use crate::error::{AppError, AppResult};

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
    crate::db::select_ids(db, &select).await
}

/// True when `err` is a unique-constraint violation (a slug taken by a concurrent write).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// True when a row other than `except` has this slug in `column`'s table (deleted rows count: a
/// slug is never reused, so old links and caches do not point at a new object).
pub async fn slug_taken<E: VersionedEntity>(
    db: &impl ConnectionTrait,
    column: E::Column,
    slug: &str,
    except: Option<i32>,
) -> AppResult<bool> {
    let mut select = E::find()
        .select_only()
        .column(E::ID)
        .filter(column.eq(slug));
    if let Some(id) = except {
        select = select.filter(E::ID.ne(id));
    }
    Ok(select.into_tuple::<i32>().one(db).await?.is_some())
}

/// The id of the live (not deleted) row of `E` whose `column` holds `value`.
pub async fn live_id<E: VersionedEntity>(
    db: &impl ConnectionTrait,
    column: E::Column,
    value: impl Into<sea_orm::Value>,
) -> AppResult<Option<i32>> {
    Ok(E::find()
        .select_only()
        .column(E::ID)
        .filter(column.eq(value))
        .filter(E::DELETED_AT.is_null())
        .into_tuple::<i32>()
        .one(db)
        .await?)
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

/// An entity whose rows carry the bookkeeping of a versioned, journaled write: an integer `id`,
/// `created_at`, `updated_at`, a `version` for optimistic concurrency and a soft `deleted_at`.
/// [`versioned_entity!`](crate::entity) implements it for every such table.
pub trait VersionedEntity: EntityTrait {
    /// The entity type the journal records, e.g. `organization`.
    const TYPE: &'static str;
    /// The primary key.
    const ID: Self::Column;
    /// The optimistic-concurrency version.
    const VERSION: Self::Column;
    /// When the row was created.
    const CREATED_AT: Self::Column;
    /// When the row last changed.
    const UPDATED_AT: Self::Column;
    /// When the row was softly deleted.
    const DELETED_AT: Self::Column;
}

/// A row as the journal records it.
pub trait Journaled: serde::Serialize + Versioned + Sync {
    /// The row's id.
    fn id(&self) -> i32;

    /// The organization the row belongs to, for filtering the audit log.
    fn organization_id(&self) -> Option<i32> {
        None
    }

    /// The row as the audit log records it: its columns, by default; types with links add
    /// them, and personal data that only moderators may read is left out.
    fn snapshot(
        &self,
        _db: &DatabaseTransaction,
    ) -> impl Future<Output = AppResult<serde_json::Value>> + Send {
        async move { serde_json::to_value(self).map_err(AppError::internal) }
    }
}

/// A row with optimistic-concurrency bookkeeping.
pub trait Versioned {
    /// The stored version.
    fn version(&self) -> i64;
    /// Not (softly) deleted.
    fn is_live(&self) -> bool;
}

/// Loads row `id` of `E` (deleted rows too).
pub async fn load_row<E: VersionedEntity>(
    db: &impl ConnectionTrait,
    id: i32,
) -> AppResult<Option<E::Model>> {
    Ok(E::find().filter(E::ID.eq(id)).one(db).await?)
}

/// Loads a row the API may change: it exists and is not deleted (else `NOT_FOUND` for `what`).
pub async fn load_live<E: VersionedEntity>(
    db: &impl ConnectionTrait,
    id: i32,
    what: &str,
) -> AppResult<E::Model>
where
    E::Model: Versioned,
{
    load_row::<E>(db, id)
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
pub async fn load_current<E: VersionedEntity>(
    db: &impl ConnectionTrait,
    id: i32,
    what: &str,
    expected: i64,
) -> AppResult<E::Model>
where
    E::Model: Versioned,
{
    let row = load_live::<E>(db, id, what).await?;
    check_version(&row, expected)?;
    Ok(row)
}

/// A unique value (a slug) that a concurrent write took first.
#[derive(Debug)]
pub struct Taken;

/// The one way every type is written: a transaction that holds the write lock
/// ([`crate::db::begin_write`]), versioned inserts, updates and soft deletes (no lost updates:
/// `CONFLICT` when another write came first), and the journal entry of each changed row (audit
/// log and change feed), committed together or not at all.
///
/// ```text
/// let write = Write::begin(db, viewer.actor()).await?;
/// let before_snapshot = write.snapshot(&before).await?;
/// let after = write.update::<organization::Entity>(id, version, changes).await?;
/// // … links …
/// write.journal::<organization::Entity>(Operation::Update, &after, Some(before_snapshot)).await?;
/// write.commit().await?;
/// ```
pub struct Write {
    txn: DatabaseTransaction,
    actor: Actor,
}

impl Write {
    /// Begins a write by `actor`.
    pub async fn begin(db: &DatabaseConnection, actor: Actor) -> AppResult<Self> {
        Ok(Self {
            txn: crate::db::begin_write(db).await?,
            actor,
        })
    }

    /// The transaction, for the writes of a type's own (link tables, triggers' inputs).
    pub fn txn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// Inserts `row` with fresh bookkeeping (version 1, created and updated now, not deleted);
    /// `Err(Taken)` when a unique value is taken.
    pub async fn insert<E: VersionedEntity>(
        &self,
        mut row: E::ActiveModel,
    ) -> AppResult<Result<E::Model, Taken>>
    where
        E::Model: IntoActiveModel<E::ActiveModel>,
        E::ActiveModel: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
    {
        let now = Utc::now();
        row.set(E::CREATED_AT, now.into());
        row.set(E::UPDATED_AT, now.into());
        row.set(E::VERSION, 1i64.into());
        row.set(E::DELETED_AT, Option::<chrono::DateTime<Utc>>::None.into());
        match row.insert(&self.txn).await {
            Ok(model) => Ok(Ok(model)),
            Err(err) if is_unique_violation(&err) => Ok(Err(Taken)),
            Err(err) => Err(err.into()),
        }
    }

    /// Writes the `Set` fields of `changes` to row `id` if its version is still `expected`,
    /// bumping the version and `updated_at`; `CONFLICT` (nothing written) when another write
    /// came first, `BAD_USER_INPUT` when a unique value is taken.
    pub async fn update<E: VersionedEntity>(
        &self,
        id: i32,
        expected: i64,
        mut changes: E::ActiveModel,
    ) -> AppResult<E::Model>
    where
        E::Model: Versioned,
    {
        changes.set(E::VERSION, (expected + 1).into());
        changes.set(E::UPDATED_AT, Utc::now().into());
        // The row as written comes back with the update (`RETURNING`, both databases).
        let updated = E::update_many()
            .set(changes)
            .filter(E::ID.eq(id))
            .filter(E::VERSION.eq(expected))
            .exec_with_returning(&self.txn)
            .await
            .map_err(|err| {
                if is_unique_violation(&err) {
                    AppError::bad_input("a value that must be unique (the slug) is taken")
                } else {
                    AppError::from(err)
                }
            })?;
        if let Some(row) = updated.into_iter().next() {
            return Ok(row);
        }
        let current = load_row::<E>(&self.txn, id)
            .await?
            .ok_or_else(|| AppError::not_found("object"))?;
        Err(AppError::Conflict {
            expected,
            current: current.version(),
        })
    }

    /// Softly deletes row `id` if its version is still `expected`.
    pub async fn delete<E: VersionedEntity>(&self, id: i32, expected: i64) -> AppResult<E::Model>
    where
        E::Model: Versioned,
    {
        let mut changes = E::ActiveModel::default();
        changes.set(E::DELETED_AT, Some(Utc::now()).into());
        self.update::<E>(id, expected, changes).await
    }

    /// `row` as the audit log records it (take the "before" snapshot before changing links).
    pub async fn snapshot<M: Journaled>(&self, row: &M) -> AppResult<serde_json::Value> {
        row.snapshot(&self.txn).await
    }

    /// Journals what happened to `row` (the row after the change; the row before a delete),
    /// with `before` as snapshotted before the change.
    pub async fn journal<E: VersionedEntity>(
        &self,
        operation: Operation,
        row: &E::Model,
        before: Option<serde_json::Value>,
    ) -> AppResult<()>
    where
        E::Model: Journaled,
    {
        self.journal_under::<E>(operation, row, before, row.organization_id())
            .await
    }

    /// [`Write::journal`], filed in the audit log under `organization_id` (for rows whose
    /// organization depends on who writes, such as an event with several hosts).
    pub async fn journal_under<E: VersionedEntity>(
        &self,
        operation: Operation,
        row: &E::Model,
        before: Option<serde_json::Value>,
        organization_id: Option<i32>,
    ) -> AppResult<()>
    where
        E::Model: Journaled,
    {
        let after = match operation {
            Operation::Delete => None,
            Operation::Create | Operation::Update => Some(self.snapshot(row).await?),
        };
        self.journal_snapshots::<E>(operation, row, before, after, organization_id)
            .await
    }

    /// [`Write::journal_under`] with the "after" snapshot taken by the caller (a type that
    /// knows its links are as they were, and need not read them again).
    pub async fn journal_snapshots<E: VersionedEntity>(
        &self,
        operation: Operation,
        row: &E::Model,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
        organization_id: Option<i32>,
    ) -> AppResult<()>
    where
        E::Model: Journaled,
    {
        journal::record(
            &self.txn,
            &self.actor,
            Change {
                entity_type: E::TYPE,
                entity_id: row.id(),
                organization_id,
                operation,
                before,
                after,
            },
        )
        .await
    }

    /// Commits the writes and their journal entries.
    pub async fn commit(self) -> AppResult<()> {
        self.txn.commit().await?;
        Ok(())
    }
}

/// Creates one row and journals it, in one write (types without links).
pub async fn create_one<E: VersionedEntity>(
    db: &DatabaseConnection,
    actor: Actor,
    row: E::ActiveModel,
) -> AppResult<Result<E::Model, Taken>>
where
    E::Model: Journaled + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
{
    let write = Write::begin(db, actor).await?;
    let row = match write.insert::<E>(row).await? {
        Ok(row) => row,
        Err(taken) => return Ok(Err(taken)),
    };
    write.journal::<E>(Operation::Create, &row, None).await?;
    write.commit().await?;
    Ok(Ok(row))
}

/// Updates one row at `before`'s version with `changes`, or softly deletes it when `changes`
/// is `None`, and journals it, in one write (types without links).
pub async fn update_one<E: VersionedEntity>(
    db: &DatabaseConnection,
    actor: Actor,
    before: &E::Model,
    changes: Option<E::ActiveModel>,
) -> AppResult<E::Model>
where
    E::Model: Journaled,
{
    let write = Write::begin(db, actor).await?;
    let snapshot = write.snapshot(before).await?;
    let (operation, after) = match changes {
        Some(changes) => (
            Operation::Update,
            write
                .update::<E>(before.id(), before.version(), changes)
                .await?,
        ),
        None => (
            Operation::Delete,
            write.delete::<E>(before.id(), before.version()).await?,
        ),
    };
    write
        .journal::<E>(operation, &after, Some(snapshot))
        .await?;
    write.commit().await?;
    Ok(after)
}
