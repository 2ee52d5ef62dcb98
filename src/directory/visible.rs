//! Which rows each caller may see, and the reads by id and by slug that every type shares.

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query, SelectStatement};

use crate::auth::Viewer;
use crate::db::json_rows::{self, JsonRow};
use crate::db::page::{Columns, Row, columns, select_columns};
use crate::error::AppResult;

/// A row type the API reads: which of its rows a caller may see.
pub trait Visible: Row {
    /// Which rows `viewer` may see; the same as [`Row::visible`] unless a table has rows that
    /// only some callers may see (`auth::policy` says who).
    fn visible_to(_viewer: &Viewer) -> Condition {
        Self::visible()
    }
}

/// `SELECT *` (or `columns`) of the rows of `M`'s table that `viewer` may see and `column` holds
/// one of `values` for.
fn select_where<M: Visible>(
    viewer: &Viewer,
    column: &'static str,
    values: Vec<sea_orm::Value>,
    columns: Option<&Columns>,
) -> SelectStatement {
    let table = Alias::new(M::TABLE);
    let mut select = Query::select();
    select_columns(&mut select, M::TABLE, columns);
    select
        .from(table.clone())
        .cond_where(M::visible_to(viewer).add(Expr::col((table, Alias::new(column))).is_in(values)))
        .to_owned()
}

/// The rows of `M`'s table that `viewer` may see and `column` holds one of `values` for.
async fn visible_where<M: Visible>(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    column: &'static str,
    values: Vec<sea_orm::Value>,
) -> AppResult<Vec<M>> {
    db.query_all(&select_where::<M>(viewer, column, values, None))
        .await?
        .iter()
        .map(|row| Ok(M::from_query_result(row, "")?))
        .collect()
}

/// The rows of `M`'s table among `ids` that `viewer` may see (in no particular order).
pub async fn by_ids<M: Visible>(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    ids: impl IntoIterator<Item = i32>,
) -> AppResult<Vec<M>> {
    let ids: Vec<sea_orm::Value> = ids.into_iter().map(Into::into).collect();
    visible_where(db, viewer, "id", ids).await
}

/// [`by_ids`], with the rows read as one JSON value on SQLite (see [`crate::db::json_rows`])
/// without the columns in `left_out`; PostgreSQL reads rows, with the text and nullable columns
/// of `left_out` as empty ([`crate::db::page::columns`]).
pub async fn by_ids_json<M: Visible + JsonRow>(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    ids: impl IntoIterator<Item = i32>,
    left_out: &[&str],
) -> AppResult<Vec<M>> {
    let ids: Vec<sea_orm::Value> = ids.into_iter().map(Into::into).collect();
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        let columns = columns::<M>(M::TABLE, left_out);
        return crate::db::pg_rows::decode(
            &db.query_all(&select_where::<M>(viewer, "id", ids, columns.as_ref()))
                .await?,
        );
    }
    json_rows::rows(
        db,
        &select_where::<M>(viewer, "id", ids, None),
        None,
        &[],
        left_out,
    )
    .await
}

/// The row of `M`'s table with this slug, if `viewer` may see it.
pub async fn by_slug<M: Visible>(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    slug: &str,
) -> AppResult<Option<M>> {
    let rows = visible_where(db, viewer, "slug", vec![slug.into()]).await?;
    Ok(rows.into_iter().next())
}
