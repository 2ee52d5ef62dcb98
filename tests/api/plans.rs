//! Rows touched per page: on a directory shaped like the LARGE benchmark set (a long tail of busy
//! organizations and themes), the page statements read along indexes and touch about as many
//! rows as the page holds, whatever the table size. PostgreSQL is asked with `EXPLAIN ANALYZE`
//! (rows actually read by every scan); SQLite with `EXPLAIN QUERY PLAN` (no full scan of a large
//! table, the expected index for each page, no sort inside a page).

use network_directory::auth::Viewer;
use network_directory::db::page::{Link, PageArgs, PageRequest};
use network_directory::db::synthetic::{Scale, load};
use network_directory::directory::relation::Relation;
use network_directory::directory::{organization, post, vocabulary};
use network_directory::entity::{post as post_row, theme as theme_row};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use serde_json::Value;

use crate::common::TestApp;

fn unseeded(config: &mut network_directory::config::Config) {
    config.seed_on_empty = false;
}

#[tokio::test]
async fn pages_read_along_indexes_on_sqlite() {
    pages_read_along_indexes(TestApp::sqlite_with(unseeded).await).await;
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: run `scripts/with-postgres cargo test`"
)]
async fn pages_read_along_indexes_on_postgres() {
    let url = crate::common::empty_postgres_database().await;
    pages_read_along_indexes(TestApp::on_database(url, unseeded).await).await;
}

/// A PostgreSQL setting of the server's connections.
async fn setting(app: &TestApp, name: &str) -> String {
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SHOW {name}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index(0).unwrap()
}

/// One page statement to check: what it is, the statement, the index SQLite must use, and the
/// most rows PostgreSQL may read for it.
struct Case {
    name: &'static str,
    statement: Statement,
    sqlite_index: &'static str,
    max_rows: f64,
    /// Pages under many parents, which must loop over the parents first.
    nested: bool,
    /// Pages read in order along their index, without sorting the candidates (SQLite).
    in_order: bool,
}

fn page(first: i32, after: Option<String>, order: &str) -> PageRequest {
    PageRequest::parse(
        PageArgs {
            first: Some(first),
            after,
            ..Default::default()
        },
        order,
    )
    .expect("a valid page")
}

async fn pages_read_along_indexes(app: TestApp) {
    if app.db.get_database_backend() == DbBackend::Postgres {
        // The server's connections run every statement with the generic plan checked below,
        // and never compile one (JIT) at each run.
        assert_eq!(setting(&app, "plan_cache_mode").await, "force_generic_plan");
        assert_eq!(setting(&app, "jit").await, "off");
    }
    load(&app.db, Scale::Medium, &|email| {
        app.email_hash_key.hash(email)
    })
    .await
    .expect("loaded");
    let backend = app.db.get_database_backend();
    let anonymous = Viewer::Anonymous;
    let posts = post::listing(&anonymous, &post::Filter::default());
    let by_name =
        organization::listing(sea_orm::sea_query::Condition::all(), organization::BY_NAME);
    // The fifty busiest organizations, and the busiest theme.
    let parents: Vec<i32> = (1..=50).collect();
    let newest = page(3, None, post::NEWEST.name);
    let twenty = page(20, None, post::NEWEST.name);
    // A cursor deep into the directory: the 500th organization by name.
    let deep = app
        .anon()
        .data(
            "{ organizations(first: 100) { pageInfo { endCursor } } }",
            serde_json::json!({}),
        )
        .await;
    let mut cursor = deep["organizations"]["pageInfo"]["endCursor"]
        .as_str()
        .map(str::to_owned);
    for _ in 0..4 {
        let next = app
            .anon()
            .data(
                "query($after: String) { organizations(first: 100, after: $after) { pageInfo { endCursor } } }",
                serde_json::json!({ "after": cursor }),
            )
            .await;
        cursor = next["organizations"]["pageInfo"]["endCursor"]
            .as_str()
            .map(str::to_owned);
    }
    let cases = [
        Case {
            name: "the 3 latest posts of 50 organizations",
            statement: posts.pages_statement(
                backend,
                Link::Column("organization_id"),
                &parents,
                &newest,
            ),
            sqlite_index: "idx_post_organization_published",
            max_rows: 50.0 * 4.0 * 2.0 + 60.0,
            nested: true,
            in_order: false,
        },
        Case {
            name: "the 20 latest posts of the busiest theme",
            statement: posts.pages_statement(
                backend,
                Link::Sorted("post_theme", "theme_id", "post_id", "published_at"),
                &[1],
                &twenty,
            ),
            sqlite_index: "idx_post_theme_published",
            max_rows: 21.0 * 2.0 + 10.0,
            nested: true,
            in_order: false,
        },
        Case {
            name: "the themes of 50 organizations",
            statement: vocabulary::listing("theme").pages_statement(
                backend,
                Link::Table("organization_theme", "organization_id", "theme_id"),
                &parents,
                &page(20, None, "name"),
            ),
            sqlite_index: "organization_theme",
            max_rows: 50.0 * 5.0 * 2.0 + 60.0,
            nested: true,
            in_order: false,
        },
        Case {
            name: "the themes of 50 organizations, as their few links are read (one ranked join)",
            statement: vocabulary::listing("theme").pages_statement(
                backend,
                Link::Few("organization_theme", "organization_id", "theme_id"),
                &parents,
                &page(20, None, "name"),
            ),
            sqlite_index: "organization_theme",
            max_rows: 50.0 * 5.0 * 2.0 + 60.0,
            nested: false,
            in_order: false,
        },
        Case {
            name: "the regions, target groups and themes links of 50 organizations, in one statement",
            statement: network_directory::db::page::few_links_statement(
                backend,
                &[
                    Link::Few("organization_region", "organization_id", "region_id"),
                    Link::Few(
                        "organization_target_group",
                        "organization_id",
                        "target_group_id",
                    ),
                    Link::Few("organization_theme", "organization_id", "theme_id"),
                ],
                &parents,
            )
            .unwrap()
            .unwrap(),
            sqlite_index: "organization_theme",
            max_rows: 50.0 * 3.0 * 8.0,
            nested: true,
            in_order: false,
        },
        Case {
            name: "the posts whose author's address is not hashed yet (checked at every start)",
            statement: backend.build(&network_directory::privacy::unhashed_select(
                sea_orm::sea_query::Condition::all(),
                500,
            )),
            sqlite_index: "idx_post_email_unhashed",
            max_rows: 0.0,
            nested: false,
            in_order: true,
        },
        Case {
            name: "50 organizations after the 500th",
            statement: by_name.page_statement(backend, &page(50, cursor, "name")),
            sqlite_index: "idx_organization_sort_name",
            max_rows: 51.0 * 2.0,
            nested: false,
            in_order: false,
        },
    ];
    for case in cases {
        check(&app, backend, case).await;
    }
    if backend == DbBackend::Sqlite {
        // The pages the one-pass answers read on SQLite, as one JSON value per statement.
        let spec = |relation: Relation| relation.spec(&anonymous);
        let (organization_posts, by_organization) = spec(Relation::OrganizationPosts);
        let (theme_posts, by_theme) = spec(Relation::ThemePosts);
        let (themes, of_organization) = spec(Relation::OrganizationThemes);
        let json = [
            Case {
                name: "the 3 latest posts of 50 organizations, as JSON",
                statement: organization_posts
                    .pages_json_statement::<post_row::Model>(
                        by_organization,
                        &parents,
                        &newest,
                        &[],
                    )
                    .unwrap(),
                sqlite_index: "idx_post_organization_newest",
                max_rows: 0.0,
                nested: true,
                in_order: true,
            },
            Case {
                name: "the 20 latest posts of the busiest theme, as JSON",
                statement: theme_posts
                    .pages_json_statement::<post_row::Model>(by_theme, &[1], &twenty, &[])
                    .unwrap(),
                sqlite_index: "idx_post_theme_published",
                max_rows: 0.0,
                nested: true,
                in_order: true,
            },
            Case {
                name: "the themes of 50 organizations, as JSON",
                statement: themes
                    .pages_json_statement::<theme_row::Model>(
                        of_organization,
                        &parents,
                        &page(20, None, "name"),
                        &[],
                    )
                    .unwrap(),
                sqlite_index: "organization_theme",
                max_rows: 0.0,
                nested: true,
                in_order: false,
            },
        ];
        for case in json {
            check(&app, backend, case).await;
        }
    }
}

async fn check(app: &TestApp, backend: DbBackend, case: Case) {
    match backend {
        DbBackend::Postgres => {
            let explain = Statement::from_sql_and_values(
                backend,
                format!("EXPLAIN (ANALYZE, FORMAT JSON) {}", case.statement.sql),
                case.statement
                    .values
                    .clone()
                    .map(|v| v.0)
                    .unwrap_or_default(),
            );
            // The plan a reused prepared statement gets (generic: it cannot look at the bound
            // organization or theme), which is the one the server's connections use.
            let txn = app.db.begin().await.unwrap();
            txn.execute_unprepared("SET LOCAL plan_cache_mode = force_generic_plan")
                .await
                .unwrap();
            let row = txn.query_one_raw(explain).await.unwrap().unwrap();
            txn.rollback().await.unwrap();
            let plan: Value = row.try_get_by_index(0).unwrap();
            let mut rows = 0.0;
            let mut seq_scans = Vec::new();
            walk(&plan[0]["Plan"], &mut rows, &mut seq_scans);
            assert!(
                seq_scans.is_empty(),
                "{}: sequential scans of {seq_scans:?}: {plan:#}",
                case.name
            );
            assert!(
                rows <= case.max_rows,
                "{}: {rows} rows read, more than {}: {plan:#}",
                case.name,
                case.max_rows
            );
        }
        _ => {
            let explain = Statement::from_sql_and_values(
                backend,
                format!("EXPLAIN QUERY PLAN {}", case.statement.sql),
                case.statement
                    .values
                    .clone()
                    .map(|v| v.0)
                    .unwrap_or_default(),
            );
            let rows = app.db.query_all_raw(explain).await.unwrap();
            let details: Vec<String> = rows
                .iter()
                .map(|row| row.try_get::<String>("", "detail").unwrap())
                .collect();
            // Pages under many parents loop over the parents first.
            if case.nested {
                assert!(
                    details[0].starts_with("SCAN page_parents"),
                    "{}: the parents are not the outer loop: {details:#?}",
                    case.name
                );
            }
            if case.in_order {
                assert!(
                    !details.iter().any(|d| d == "USE TEMP B-TREE FOR ORDER BY"),
                    "{}: the page's rows are sorted, not read in order: {details:#?}",
                    case.name
                );
            }
            for big in ["post", "post_theme", "organization"] {
                assert!(
                    !details.iter().any(|d| d == &format!("SCAN {big}")
                        || d.starts_with(&format!("SCAN {big} ")) && !d.contains("USING")),
                    "{}: a full scan of {big}: {details:#?}",
                    case.name
                );
            }
            assert!(
                details.iter().any(|d| d.contains(case.sqlite_index)),
                "{}: {} is not used: {details:#?}",
                case.name,
                case.sqlite_index
            );
        }
    }
}

/// Adds up the rows every scan node read (rows × loops), and lists sequential scans of tables.
/// The vocabularies (themes, tags, target groups, regions) stay small by nature: the planner may
/// read one whole; every other table must be read along an index, and its rows count.
fn walk(node: &Value, rows: &mut f64, seq_scans: &mut Vec<String>) {
    let kind = node["Node Type"].as_str().unwrap_or_default();
    let relation = node["Relation Name"].as_str().unwrap_or_default();
    let small = ["theme", "tag", "target_group", "region"].contains(&relation);
    if kind.contains("Scan") && !small {
        let loops = node["Actual Loops"].as_f64().unwrap_or(1.0);
        *rows += node["Actual Rows"].as_f64().unwrap_or(0.0) * loops;
        *rows += node["Rows Removed by Filter"].as_f64().unwrap_or(0.0) * loops;
        if kind == "Seq Scan" {
            seq_scans.push(relation.to_owned());
        }
    }
    for child in node["Plans"].as_array().into_iter().flatten() {
        walk(child, rows, seq_scans);
    }
}
