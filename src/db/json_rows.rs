//! Rows read as one JSON value: a statement's rows are aggregated by the database into one JSON
//! array (`json_group_array` on SQLite, `json_agg` on PostgreSQL) and decoded in one pass.
//!
//! The database hands over one value instead of one per column and row. Through sqlx every column
//! value is copied out of SQLite, allocated, type-checked and decoded on its own, and every row
//! crosses from SQLite's worker thread to the request: for a directory page of a few hundred rows
//! that was most of the request's CPU. The models decoded are the same (`Deserialize` with the
//! stored forms: enums as their stored names, timestamps in RFC 3339, JSON columns as JSON).
//!
//! SQLite only: sqlx reads PostgreSQL's rows from its binary protocol cheaply, and there
//! `json_agg` cost more than it saved (a directory page 30% slower, measured side by side), so
//! the callers read PostgreSQL's rows as usual.

use sea_orm::sea_query::{Order, SelectStatement};
use sea_orm::{
    ColumnTrait, ColumnType, ConnectionTrait, DbBackend, EntityTrait, Iterable, ModelTrait,
    Statement,
};
use serde::de::DeserializeOwned;

use crate::error::{AppError, AppResult};

/// A model that can be read as JSON: every column of its entity, by name.
pub trait JsonRow: ModelTrait + DeserializeOwned {}

impl<M: ModelTrait + DeserializeOwned> JsonRow for M {}

/// The alias of the statement whose rows are aggregated.
const ROWS: &str = "json_source";

/// `json_object('id', s."id", …)` over the columns of `M`'s entity, as `backend` writes it,
/// without the columns in `left_out`: the model reads those as their defaults (empty, `None`),
/// and a caller leaves out only columns it does not show.
fn object<M: JsonRow>(backend: DbBackend, left_out: &[&str]) -> String {
    let mut fields = Vec::new();
    for column in <M::Entity as EntityTrait>::Column::iter() {
        let name = sea_orm::IdenStatic::as_str(&column);
        let value = format!("{ROWS}.\"{name}\"");
        let def = column.def();
        if left_out.contains(&name) {
            continue;
        }
        let value = match (backend, def.get_column_type()) {
            // SQLite keeps JSON as text: `json()` embeds it as JSON, not as a string.
            (DbBackend::Sqlite, ColumnType::Json | ColumnType::JsonBinary) => {
                format!("json({value})")
            }
            (DbBackend::Sqlite, ColumnType::Boolean) => format!(
                "CASE WHEN {value} IS NULL THEN NULL WHEN {value} THEN json('true') ELSE json('false') END"
            ),
            _ => value,
        };
        fields.push(format!("'{name}', {value}"));
    }
    match backend {
        DbBackend::Postgres => format!("json_build_object({})", fields.join(", ")),
        _ => format!("json_object({})", fields.join(", ")),
    }
}

/// The rows of `select` (which selects every column of `M`'s table, and the columns named in
/// `lead` and `order`) as one JSON array of `[lead, row]` pairs (or of rows, without `lead`),
/// in `order`.
fn aggregate<M: JsonRow>(
    backend: DbBackend,
    select: &SelectStatement,
    lead: Option<&str>,
    order: &[(&str, Order)],
    left_out: &[&str],
) -> Statement {
    let inner = backend.build(select);
    let object = object::<M>(backend, left_out);
    let row = match (lead, backend) {
        (Some(lead), DbBackend::Postgres) => {
            format!("json_build_array({ROWS}.\"{lead}\", {object})")
        }
        (Some(lead), _) => format!("json_array({ROWS}.\"{lead}\", {object})"),
        (None, _) => object,
    };
    let order = order_by(order);
    let sql = match backend {
        DbBackend::Postgres => {
            format!(
                "SELECT json_agg({row}{order})::text AS rows FROM ({}) AS {ROWS}",
                inner.sql
            )
        }
        _ => format!(
            "SELECT json_group_array({row}{order}) AS rows FROM ({}) AS {ROWS}",
            inner.sql
        ),
    };
    Statement::from_sql_and_values(
        backend,
        sql,
        inner.values.map(|values| values.0).unwrap_or_default(),
    )
}

/// SQLite: one page of rows per parent, `[[parent, [row, …]], …]`. `inner` selects the rows of
/// one parent's page, the parent being `"{parents}"."value"`, one element of the bound JSON
/// array `parent_ids`; `order` orders the rows within a page.
pub fn nested_statement<M: JsonRow>(
    inner: &SelectStatement,
    parents: &str,
    parent_ids: &str,
    order: &[(&str, Order)],
    left_out: &[&str],
) -> Statement {
    let backend = DbBackend::Sqlite;
    let inner = backend.build(inner);
    let object = object::<M>(backend, left_out);
    let order = order_by(order);
    let sql = format!(
        "SELECT json_group_array(json_array(CAST(\"{parents}\".\"value\" AS integer), \
         (SELECT json_group_array({object}{order}) FROM ({}) AS {ROWS}))) AS rows \
         FROM json_each(?) AS \"{parents}\"",
        inner.sql
    );
    let mut values = inner.values.map(|values| values.0).unwrap_or_default();
    values.push(parent_ids.into());
    Statement::from_sql_and_values(backend, sql, values)
}

/// Runs a [`nested_statement`].
pub async fn nested<M: JsonRow>(
    db: &impl ConnectionTrait,
    statement: Statement,
) -> AppResult<Vec<(i32, Vec<M>)>> {
    fetch(db, statement).await
}

/// ` ORDER BY …` over columns of the aggregated rows, or nothing.
fn order_by(order: &[(&str, Order)]) -> String {
    if order.is_empty() {
        return String::new();
    }
    let terms: Vec<String> = order
        .iter()
        .map(|(column, order)| {
            let direction = match order {
                Order::Desc => "DESC",
                _ => "ASC",
            };
            format!("{ROWS}.\"{column}\" {direction}")
        })
        .collect();
    format!(" ORDER BY {}", terms.join(", "))
}

async fn fetch<T: DeserializeOwned>(
    db: &impl ConnectionTrait,
    statement: Statement,
) -> AppResult<Vec<T>> {
    let Some(row) = db.query_one_raw(statement).await? else {
        return Ok(Vec::new());
    };
    // An empty aggregate is NULL on PostgreSQL.
    let text: Option<String> = row.try_get("", "rows")?;
    match text {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(&text).map_err(AppError::internal),
    }
}

/// The rows of `select`, each with its `lead` column (an id), in `order`, without the columns in
/// `left_out`.
pub async fn with_lead<M: JsonRow>(
    db: &impl ConnectionTrait,
    select: &SelectStatement,
    lead: &str,
    order: &[(&str, Order)],
    left_out: &[&str],
) -> AppResult<Vec<(i32, M)>> {
    let statement = aggregate::<M>(
        db.get_database_backend(),
        select,
        Some(lead),
        order,
        left_out,
    );
    fetch(db, statement).await
}

/// The rows of `select`, in `order`, without the columns in `left_out`.
pub async fn rows<M: JsonRow>(
    db: &impl ConnectionTrait,
    select: &SelectStatement,
    order: &[(&str, Order)],
    left_out: &[&str],
) -> AppResult<Vec<M>> {
    let statement = aggregate::<M>(db.get_database_backend(), select, None, order, left_out);
    fetch(db, statement).await
}
