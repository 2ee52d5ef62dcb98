//! PostgreSQL's rows decoded by position (`db::pg_rows`) are the models sea-orm's
//! `FromQueryResult` makes of them: for every table the one-pass answers read, whole and with
//! the columns a page leaves out, over the seeded network (its `NULL`s, enums, dates and JSON).

use network_directory::db::json_rows::JsonRow;
use network_directory::db::page::{Columns, Row, columns, select_columns};
use network_directory::db::pg_rows::{FromRow, Plan, decode};
use network_directory::entity::{
    event, organization, partner, post, region, tag, target_group, theme,
};
use sea_orm::sea_query::{Alias, PostgresQueryBuilder, Query};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

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

/// [`same`], with the columns in `left_out` read as a page that does not show them reads them.
async fn narrow<M>(app: &TestApp, left_out: &[&str])
where
    M: Row + FromRow + JsonRow + PartialEq + std::fmt::Debug,
{
    let listed = columns::<M>(M::TABLE, left_out);
    assert!(listed.is_some(), "{}: nothing left out", M::TABLE);
    same::<M>(app, listed).await;
}

/// Reads `M`'s table (its `listed` columns, or all), and decodes each row both ways.
async fn same<M>(app: &TestApp, listed: Option<Columns>)
where
    M: Row + FromRow + PartialEq + std::fmt::Debug,
{
    let narrow = listed.is_some();
    let mut select = Query::select();
    select_columns(&mut select, M::TABLE, listed.as_ref());
    select.from(Alias::new(M::TABLE)).limit(200);
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
    assert!(
        Plan::<M>::new(&rows[0]).is_some(),
        "{} (narrow: {narrow}): not decoded by position",
        M::TABLE
    );
    let by_position: Vec<M> = decode(&rows).unwrap();
    let by_name: Vec<M> = rows
        .iter()
        .map(|row| M::from_query_result(row, "").unwrap())
        .collect();
    assert_eq!(by_position, by_name, "{} (narrow: {narrow})", M::TABLE);
}
