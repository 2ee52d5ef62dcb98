//! Rows read as one JSON value (SQLite; the links of [`links_statement`] on PostgreSQL too): a
//! statement's rows are aggregated by the database into one JSON array (`json_group_array`) and
//! decoded in one pass.
//!
//! The database hands over one value instead of one per column and row. Through sqlx every column
//! value is copied out of SQLite, allocated, type-checked and decoded on its own, and every row
//! crosses from SQLite's worker thread to the request: for a directory page of a few hundred rows
//! that was most of the request's CPU. The models decoded are the same (`Deserialize` with the
//! stored forms: enums as their stored names, timestamps in RFC 3339, JSON columns as JSON).
//!
//! SQLite only, but for the links: sqlx reads PostgreSQL's rows from its binary protocol
//! cheaply, and there `json_agg` of whole rows cost more than it saved (a directory page 30%
//! slower with all columns; with only the shown columns PostgreSQL spent 40% more CPU per page),
//! so the callers read PostgreSQL's rows as usual.
//!
//! A page's `LIMIT` is written into the statement's text, not bound: SQLite reads a bound
//! `LIMIT` while planning, and a statement whose bound value the planner read is prepared again
//! (parsed and planned) every time it runs instead of once.

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

/// `json_object('id', s."id", …)` over the columns of `M`'s entity, without the columns in
/// `left_out`: the model reads those as their defaults (empty, `None`), and a caller leaves out
/// only columns it does not show.
fn object<M: JsonRow>(left_out: &[&str]) -> String {
    let mut fields = Vec::new();
    for column in <M::Entity as EntityTrait>::Column::iter() {
        let name = sea_orm::IdenStatic::as_str(&column);
        if left_out.contains(&name) {
            continue;
        }
        let value = format!("{ROWS}.\"{name}\"");
        let value = match column.def().get_column_type() {
            // SQLite keeps JSON as text: `json()` embeds it as JSON, not as a string.
            ColumnType::Json | ColumnType::JsonBinary => format!("json({value})"),
            ColumnType::Boolean => format!(
                "CASE WHEN {value} IS NULL THEN NULL WHEN {value} THEN json('true') ELSE json('false') END"
            ),
            _ => value,
        };
        fields.push(format!("'{name}', {value}"));
    }
    format!("json_object({})", fields.join(", "))
}

/// `select` (which must have no `LIMIT` of its own) with `limit` written into its text.
fn limited(select: &SelectStatement, limit: Option<u64>) -> (String, Vec<sea_orm::Value>) {
    let inner = DbBackend::Sqlite.build(select);
    let values = inner.values.map(|values| values.0).unwrap_or_default();
    match limit {
        Some(limit) => (format!("{} LIMIT {limit}", inner.sql), values),
        None => (inner.sql, values),
    }
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

/// One page of rows per parent, `[[parent, [row, …]], …]`. `inner` selects the rows of one
/// parent's page, the parent being `"{parents}"."value"`, one element of the bound JSON array
/// `parent_ids`; `limit` is the page's `LIMIT`, `order` orders the rows within a page.
pub fn nested_statement<M: JsonRow>(
    inner: &SelectStatement,
    limit: u64,
    (parents, parent_ids): (&str, &str),
    order: &[(&str, Order)],
    left_out: &[&str],
) -> Statement {
    let (inner, mut values) = limited(inner, Some(limit));
    let object = object::<M>(left_out);
    let order = order_by(order);
    let sql = format!(
        "SELECT json_group_array(json_array(CAST(\"{parents}\".\"value\" AS integer), \
         (SELECT json_group_array({object}{order}) FROM ({inner}) AS {ROWS}))) AS rows \
         FROM json_each(?) AS \"{parents}\""
    );
    values.push(parent_ids.into());
    Statement::from_sql_and_values(DbBackend::Sqlite, sql, values)
}

/// The links of each parent over each of `links` (`(table, parent column, child column)`), as
/// `[[[parent], [child, …], …], …]`: for each element of the bound JSON array `parent_ids`, one
/// correlated subquery per link table, read along its key.
///
/// Unlike the other statements here this one serves PostgreSQL too (`json_agg`): its values are
/// a few hundred integers, which PostgreSQL writes as JSON for less than sqlx decodes as a row
/// each.
pub fn links_statement(
    backend: DbBackend,
    links: &[(&str, &str, &str)],
    (parents, parent_ids): (&str, &str),
) -> Statement {
    let postgres = backend == DbBackend::Postgres;
    let (array, agg, each) = if postgres {
        (
            "json_build_array",
            "json_agg",
            "jsonb_array_elements_text(CAST($1 AS jsonb))",
        )
    } else {
        ("json_array", "json_group_array", "json_each(?)")
    };
    let parent = format!("CAST(\"{parents}\".\"value\" AS integer)");
    // PostgreSQL's `json_agg` of no rows is NULL, SQLite's `json_group_array` `[]`.
    let all = |of: &str| {
        if postgres {
            format!("COALESCE({agg}({of}), '[]')")
        } else {
            format!("{agg}({of})")
        }
    };
    let lists: Vec<String> = links
        .iter()
        .map(|(table, parent_column, child)| {
            format!(
                "(SELECT {} FROM \"{table}\" WHERE \"{parent_column}\" = {parent})",
                all(&format!("\"{child}\""))
            )
        })
        .collect();
    let rows = all(&format!("{array}({array}({parent}), {})", lists.join(", ")));
    let rows = if postgres {
        format!("CAST({rows} AS text)")
    } else {
        rows
    };
    let sql = format!("SELECT {rows} AS rows FROM {each} AS \"{parents}\"");
    Statement::from_sql_and_values(backend, sql, [parent_ids.into()])
}

/// Runs a [`links_statement`]: for each parent, `[[parent], [child, …] per link]`.
pub async fn links(
    db: &impl ConnectionTrait,
    statement: Statement,
) -> AppResult<Vec<Vec<Vec<i32>>>> {
    fetch(db, statement).await
}

/// Runs a [`nested_statement`].
pub async fn nested<M: JsonRow>(
    db: &impl ConnectionTrait,
    statement: Statement,
) -> AppResult<Vec<(i32, Vec<M>)>> {
    fetch(db, statement).await
}

/// The rows of `select` (with `limit`, if any), in `order`, without the columns in `left_out`.
pub async fn rows<M: JsonRow>(
    db: &impl ConnectionTrait,
    select: &SelectStatement,
    limit: Option<u64>,
    order: &[(&str, Order)],
    left_out: &[&str],
) -> AppResult<Vec<M>> {
    let (inner, values) = limited(select, limit);
    let object = object::<M>(left_out);
    let order = order_by(order);
    let sql = format!("SELECT json_group_array({object}{order}) AS rows FROM ({inner}) AS {ROWS}");
    fetch(
        db,
        Statement::from_sql_and_values(DbBackend::Sqlite, sql, values),
    )
    .await
}

async fn fetch<T: DeserializeOwned>(
    db: &impl ConnectionTrait,
    statement: Statement,
) -> AppResult<Vec<T>> {
    let Some(row) = db.query_one_raw(statement).await? else {
        return Ok(Vec::new());
    };
    let text: String = row.try_get("", "rows")?;
    serde_json::from_str(&text).map_err(AppError::internal)
}
