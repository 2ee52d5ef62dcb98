//! PostgreSQL rows decoded into models by position.
//!
//! sea-orm's `FromQueryResult` finds every column of every row by its name, checks its type and,
//! for each `NULL` of an optional column, formats an error message before it reads the value as
//! `None`. For a directory page (a few hundred rows of twenty-odd columns, many of them `NULL`)
//! that was a quarter of the server's CPU on PostgreSQL. Here the columns are found by name once
//! per statement, and each value is decoded by its position into the model's active model,
//! which then becomes the model, with the same conversions (`ActiveModel::try_set`) a write
//! uses.
//!
//! A column a statement does not read (a page leaves out what no selected field shows,
//! [`crate::db::page::columns`]) takes its type's default ([`unread`]). A statement whose
//! columns do not all match the model's (a missing column without such a default, a type this
//! module does not decode) is decoded by `FromQueryResult` as before, as are rows of other
//! databases.

use sea_orm::sqlx::postgres::{PgRow, PgTypeInfo};
use sea_orm::sqlx::types::JsonValue;
use sea_orm::sqlx::types::chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sqlx::{Column as _, Decode, Postgres, Row as _, Type};
use sea_orm::{
    ActiveModelTrait, ColumnDef, ColumnTrait, ColumnType, EntityTrait, FromQueryResult, Iterable,
    ModelTrait, QueryResult, TryIntoModel, Value,
};

use crate::error::{AppError, AppResult};

/// A model that [`decode`] can read: an entity's model.
pub trait FromRow: FromQueryResult + ModelTrait {
    /// The model from the values of its `columns` in `row`.
    fn from_pg_row(columns: &[ColumnAt<Self>], row: &PgRow) -> AppResult<Self>;
}

impl<M> FromRow for M
where
    M: FromQueryResult + ModelTrait,
    <M::Entity as EntityTrait>::ActiveModel: TryIntoModel<M>,
{
    fn from_pg_row(columns: &[ColumnAt<Self>], row: &PgRow) -> AppResult<Self> {
        let mut active = <M::Entity as EntityTrait>::ActiveModel::default();
        for (column, source) in columns {
            let value = match source {
                Source::At(position, kind, only_null) => value(row, *position, *kind, *only_null)?,
                Source::Unread(value) => value.clone(),
            };
            active.try_set(*column, value)?;
        }
        Ok(active.try_into_model()?)
    }
}

/// A column of `M`'s entity and where its value comes from.
pub type ColumnAt<M> = (<<M as ModelTrait>::Entity as EntityTrait>::Column, Source);

/// Where a column's value comes from.
pub enum Source {
    /// Its position in a statement's rows, its kind, and whether the statement reads it only as
    /// `NULL` (typed text by PostgreSQL).
    At(usize, Kind, bool),
    /// Not read: this value ([`unread`]).
    Unread(Value),
}

/// The value of a column of type `def` that a statement does not read: `NULL` when it may be,
/// else its type's default (`''`, `0`, the epoch), or `None` for a column that must be read.
pub fn unread(def: &ColumnDef) -> Option<Value> {
    let column_type = def.get_column_type();
    if def.is_null() {
        return Some(match Kind::of(column_type)? {
            Kind::Int => Value::Int(None),
            Kind::BigInt => Value::BigInt(None),
            Kind::Text => Value::String(None),
            Kind::Bool => Value::Bool(None),
            Kind::Timestamp => Value::ChronoDateTimeUtc(None),
            Kind::Date => Value::ChronoDate(None),
            Kind::Double => Value::Double(None),
            Kind::Json => Value::Json(None),
        });
    }
    Some(match column_type {
        ColumnType::Text | ColumnType::String(_) | ColumnType::Char(_) => {
            Value::String(Some(String::new()))
        }
        ColumnType::Integer => Value::Int(Some(0)),
        ColumnType::BigInteger => Value::BigInt(Some(0)),
        ColumnType::TimestampWithTimeZone => Value::ChronoDateTimeUtc(Some(DateTime::default())),
        _ => return None,
    })
}

/// How a column's value is read.
#[derive(Clone, Copy)]
pub enum Kind {
    /// `i32`
    Int,
    /// `i64`
    BigInt,
    /// text
    Text,
    /// `bool`
    Bool,
    /// a timestamp (UTC)
    Timestamp,
    /// a date
    Date,
    /// `f64`
    Double,
    /// JSON
    Json,
}

impl Kind {
    fn of(column_type: &ColumnType) -> Option<Kind> {
        Some(match column_type {
            ColumnType::Integer => Kind::Int,
            ColumnType::BigInteger => Kind::BigInt,
            ColumnType::String(_) | ColumnType::Text | ColumnType::Char(_) => Kind::Text,
            ColumnType::Boolean => Kind::Bool,
            ColumnType::TimestampWithTimeZone => Kind::Timestamp,
            ColumnType::Date => Kind::Date,
            ColumnType::Double => Kind::Double,
            ColumnType::Json | ColumnType::JsonBinary => Kind::Json,
            _ => return None,
        })
    }

    /// True when a column of type `column` holds this kind's values (as sqlx checks it before
    /// each value it decodes; here once per statement).
    fn reads(self, column: &PgTypeInfo) -> bool {
        match self {
            Kind::Int => <i32 as Type<Postgres>>::compatible(column),
            Kind::BigInt => <i64 as Type<Postgres>>::compatible(column),
            Kind::Text => <String as Type<Postgres>>::compatible(column),
            Kind::Bool => <bool as Type<Postgres>>::compatible(column),
            Kind::Timestamp => <DateTime<Utc> as Type<Postgres>>::compatible(column),
            Kind::Date => <NaiveDate as Type<Postgres>>::compatible(column),
            Kind::Double => <f64 as Type<Postgres>>::compatible(column),
            Kind::Json => <JsonValue as Type<Postgres>>::compatible(column),
        }
    }
}

/// The model's columns, each with its position in the statement's rows and how it is read.
pub struct Plan<M: ModelTrait> {
    columns: Vec<ColumnAt<M>>,
}

impl<M: FromRow> Plan<M> {
    /// The plan for rows shaped like `row`, or `None` when `row` is not a PostgreSQL row with
    /// every column of the model, of a type read here.
    pub fn new(row: &QueryResult) -> Option<Self> {
        let row = row.try_as_pg_row()?;
        let read = row.columns();
        let mut columns = Vec::new();
        for column in <M::Entity as EntityTrait>::Column::iter() {
            let name = sea_orm::IdenStatic::as_str(&column);
            let Some(position) = read.iter().position(|c| c.name() == name) else {
                columns.push((column, Source::Unread(unread(&column.def())?)));
                continue;
            };
            let kind = Kind::of(column.def().get_column_type())?;
            let type_info = read[position].type_info();
            let only_null = if kind.reads(type_info) {
                false
            } else if <String as Type<Postgres>>::compatible(type_info) {
                // A column a page leaves out is read as a bare `NULL`, which PostgreSQL types
                // as text: any value there is an error, not a guess.
                true
            } else {
                return None;
            };
            columns.push((column, Source::At(position, kind, only_null)));
        }
        Some(Plan { columns })
    }
}

/// The decoding of `rows` (all of one statement) into models: by position when the first row
/// makes a [`Plan`], else by `FromQueryResult`.
pub fn decoder<M: FromRow>(rows: &[QueryResult]) -> impl Fn(&QueryResult) -> AppResult<M> {
    let plan = rows.first().and_then(Plan::<M>::new);
    move |row| match (&plan, row.try_as_pg_row()) {
        (Some(plan), Some(pg)) => M::from_pg_row(&plan.columns, pg),
        _ => Ok(M::from_query_result(row, "")?),
    }
}

/// The models in `rows`, all of one statement.
pub fn decode<M: FromRow>(rows: &[QueryResult]) -> AppResult<Vec<M>> {
    rows.iter().map(decoder(rows)).collect()
}

/// The value of `kind` at `position` (a `NULL` decodes as the kind's `NULL` whatever the
/// column's type); with `only_null`, anything but `NULL` is an error.
fn value(row: &PgRow, position: usize, kind: Kind, only_null: bool) -> AppResult<Value> {
    let raw = row.try_get_raw(position).map_err(AppError::internal)?;
    if only_null && !sea_orm::sqlx::ValueRef::is_null(&raw) {
        return Err(AppError::internal(format!(
            "column {position}: a value of another type than the model's"
        )));
    }
    fn get<'r, T: Decode<'r, Postgres>>(
        raw: sea_orm::sqlx::postgres::PgValueRef<'r>,
    ) -> AppResult<Option<T>> {
        <Option<T> as Decode<Postgres>>::decode(raw).map_err(|e| AppError::internal(e.to_string()))
    }
    Ok(match kind {
        Kind::Int => Value::Int(get(raw)?),
        Kind::BigInt => Value::BigInt(get(raw)?),
        Kind::Text => Value::String(get(raw)?),
        Kind::Bool => Value::Bool(get(raw)?),
        Kind::Timestamp => Value::ChronoDateTimeUtc(get(raw)?),
        Kind::Date => Value::ChronoDate(get(raw)?),
        Kind::Double => Value::Double(get(raw)?),
        Kind::Json => Value::Json(get::<JsonValue>(raw)?.map(Box::new)),
    })
}
