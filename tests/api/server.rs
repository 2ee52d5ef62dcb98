//! The HTTP surface: GraphiQL, GET queries, health and readiness, request ids, bad requests,
//! and migrations that run forward and back.

use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::common::TestApp;
use crate::on_both_databases;

on_both_databases!(
    serves_graphiql_health_and_get_queries,
    migrations_run_back_and_forth
);

async fn serves_graphiql_health_and_get_queries(app: TestApp) {
    let page = app.get("/").await;
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .to_lowercase()
            .contains("graphiql")
    );

    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);

    let response = app
        .get("/graphql?query=%7B%20organization(slug%3A%22arkin%22)%20%7B%20name%20%7D%20%7D")
        .await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["data"]["organization"]["name"], "Arkin");

    let bad = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("content-type", "application/json")
        .body("{ not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert!(body["errors"][0]["message"].is_string());

    let invalid = app.query("{ organizations { nope } }", json!({})).await;
    assert!(
        invalid["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nope")
    );
}

async fn migrations_run_back_and_forth(app: TestApp) {
    use migration::MigratorTrait;
    let before = app.count("SELECT COUNT(*) FROM organization").await;
    migration::Migrator::down(&app.db, None)
        .await
        .expect("all migrations roll back");
    let left = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) FROM organization",
        ))
        .await;
    assert!(left.is_err(), "the organization table is gone");
    migration::Migrator::up(&app.db, None)
        .await
        .expect("all migrations apply again");
    assert_eq!(app.count("SELECT COUNT(*) FROM organization").await, 0);
    network_directory::db::seed::seed(&app.db).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM organization").await, before);

    // The migration that adds the words `nameContains` searches, undone (with the ones after
    // it) and redone over existing rows, fills them in.
    let migrations = migration::Migrator::migrations();
    let name_words = migrations
        .iter()
        .position(|m| m.name() == "m20261202_000008_add_organization_name_words")
        .expect("the name-words migration is listed");
    let steps = u32::try_from(migrations.len() - name_words).unwrap();
    migration::Migrator::down(&app.db, Some(steps))
        .await
        .unwrap();
    assert!(
        app.db
            .query_one_raw(sea_orm::Statement::from_string(
                app.db.get_database_backend(),
                "SELECT name_words FROM organization",
            ))
            .await
            .is_err(),
        "the name_words column is gone"
    );
    migration::Migrator::up(&app.db, None).await.unwrap();
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM organization WHERE name_words = 'arkin|mentrum' \
             OR name_words = 'ggz noord holland noord'"
        )
        .await,
        2
    );
}

/// SQLite only (PostgreSQL's autovacuum keeps its statistics): a start gathers the planner's
/// statistics of tables whose indexes were never analyzed (`PRAGMA optimize` at start), so a
/// new database is planned with them from its first request.
#[tokio::test]
async fn a_sqlite_start_gathers_missing_planner_statistics() {
    let app = TestApp::sqlite().await;
    for table in ["organization", "post", "post_theme"] {
        let analyzed = app
            .count(&format!(
                "SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = '{table}'"
            ))
            .await;
        assert!(analyzed > 0, "{table} has no statistics after the start");
    }
}
