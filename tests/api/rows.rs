//! PostgreSQL's rows decoded by position (`db::pg_rows`) are the models sea-orm's
//! `FromQueryResult` makes of them: for every table the one-pass answers read, whole and with
//! the columns a page leaves out, over the seeded network (its `NULL`s, enums, dates and JSON).

use network_directory::db::json_rows::JsonRow;
use network_directory::db::page::{Columns, Row, columns, select_columns};
use network_directory::db::pg_rows::{FromRow, Plan, decode, unread};
use network_directory::entity::{
    event, organization, partner, post, region, tag, target_group, theme,
};
use sea_orm::sea_query::{Alias, Order, PostgresQueryBuilder, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, IdenStatic,
    IntoActiveModel, Iterable, Statement, TryIntoModel,
};

use crate::common::TestApp;

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: run `scripts/with-postgres cargo test`"
)]
async fn rows_decoded_by_position_are_the_models_sea_orm_makes() {
    let app = TestApp::postgres().await;
    same::<organization::Model>(&app, None).await;
    narrow::<organization::Model>(
        &app,
        &[
            "description",
            "internal_notes",
            "contact_email",
            "also_known_as",
            "deleted_at",
            "joined_on",
            "size",
        ],
    )
    .await;
    same::<post::Model>(&app, None).await;
    narrow::<post::Model>(
        &app,
        &[
            "body",
            "author_role",
            "author_email",
            "author_email_hash",
            "moderated_at",
            "moderated_by",
            "organization_id",
        ],
    )
    .await;
    same::<partner::Model>(&app, None).await;
    same::<event::Model>(&app, None).await;
    same::<region::Model>(&app, None).await;
    same::<theme::Model>(&app, None).await;
    same::<tag::Model>(&app, None).await;
    same::<target_group::Model>(&app, None).await;
}

/// `M`'s rows read without the columns in `left_out` (as a page that does not show them reads
/// them) and decoded by position: the models sea-orm makes of the whole rows, with those columns
/// as `pg_rows` fills them in (`NULL`, `''`, `0`, the epoch).
async fn narrow<M>(app: &TestApp, left_out: &[&str])
where
    M: Row + FromRow + JsonRow + PartialEq + std::fmt::Debug,
    M: IntoActiveModel<<M::Entity as EntityTrait>::ActiveModel>,
    <M::Entity as EntityTrait>::ActiveModel: TryIntoModel<M>,
{
    let listed = columns::<M>(M::TABLE, left_out);
    assert!(listed.is_some(), "{}: nothing left out", M::TABLE);
    let by_position: Vec<M> = by_position(&read::<M>(app, listed.as_ref()).await);
    let whole: Vec<M> = read::<M>(app, None)
        .await
        .iter()
        .map(|row| {
            let mut active = M::from_query_result(row, "").unwrap().into_active_model();
            for column in <M::Entity as EntityTrait>::Column::iter() {
                // A left-out column without such a value (JSON) is read.
                if left_out.contains(&column.as_str())
                    && let Some(value) = unread(&column.def())
                {
                    active.set(column, value);
                }
            }
            active.try_into_model().unwrap()
        })
        .collect();
    assert_eq!(by_position, whole, "{} (narrow)", M::TABLE);
}

/// Reads `M`'s table (its `listed` columns, or all), and decodes each row both ways.
async fn same<M>(app: &TestApp, listed: Option<Columns>)
where
    M: Row + FromRow + PartialEq + std::fmt::Debug,
{
    let rows = read::<M>(app, listed.as_ref()).await;
    let by_position: Vec<M> = by_position(&rows);
    let by_name: Vec<M> = rows
        .iter()
        .map(|row| M::from_query_result(row, "").unwrap())
        .collect();
    assert_eq!(by_position, by_name, "{}", M::TABLE);
}

/// `rows` decoded by position (which they must allow).
fn by_position<M: Row + FromRow>(rows: &[sea_orm::QueryResult]) -> Vec<M> {
    assert!(
        Plan::<M>::new(&rows[0]).is_some(),
        "{}: not decoded by position",
        M::TABLE
    );
    decode(rows).unwrap()
}

/// The first 200 rows of `M`'s table by id (its `listed` columns, or all).
async fn read<M: Row>(app: &TestApp, listed: Option<&Columns>) -> Vec<sea_orm::QueryResult> {
    let mut select = Query::select();
    select_columns(&mut select, M::TABLE, listed);
    select
        .from(Alias::new(M::TABLE))
        .order_by(Alias::new("id"), Order::Asc)
        .limit(200);
    let (sql, values) = select.build(PostgresQueryBuilder);
    let rows = app
        .db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await
        .unwrap();
    assert!(!rows.is_empty(), "{}: no rows", M::TABLE);
    rows
}
