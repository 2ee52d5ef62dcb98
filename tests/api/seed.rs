//! The seed: the real network on first start, idempotent, journaled.

use serde_json::json;

use crate::common::TestApp;
use crate::on_both_databases;

on_both_databases!(
    seeding_twice_changes_nothing,
    seeding_never_overwrites_corrections,
    seed_inserts_are_journaled
);

const TABLES: [&str; 14] = [
    "region",
    "target_group",
    "theme",
    "tag",
    "organization",
    "partner",
    "post",
    "organization_region",
    "organization_target_group",
    "organization_theme",
    "organization_care_domain",
    "post_theme",
    "post_tag",
    "change_feed",
];

async fn counts(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for table in TABLES {
        out.push(app.count(&format!("SELECT COUNT(*) FROM {table}")).await);
    }
    out
}

async fn seeding_twice_changes_nothing(app: TestApp) {
    let before = counts(&app).await;
    assert_eq!(before[0], 14, "12 provinces and 2 finer regions");
    assert_eq!(before[4], 12, "11 participants and Leger des Heils");
    assert_eq!(before[5], 13, "13 partner bodies");
    assert_eq!(before[6], 5, "5 articles");
    let versions = app
        .count("SELECT CAST(SUM(version) AS BIGINT) FROM organization")
        .await;
    let report = network_directory::db::seed::seed(&app.db).await.unwrap();
    assert_eq!(report.inserted, 0);
    assert_eq!(counts(&app).await, before);
    assert_eq!(
        app.count("SELECT CAST(SUM(version) AS BIGINT) FROM organization")
            .await,
        versions
    );
}

async fn seeding_never_overwrites_corrections(app: TestApp) {
    app.sql("UPDATE organization SET city = 'Leeuwarden (gecorrigeerd)', version = 2 WHERE slug = 'ggz-friesland'").await;
    app.sql("DELETE FROM organization_target_group WHERE organization_id = (SELECT id FROM organization WHERE slug = 'ggz-friesland')").await;
    app.sql("DELETE FROM tag WHERE slug = 'nza'").await;
    let report = network_directory::db::seed::seed(&app.db).await.unwrap();
    assert_eq!(report.inserted, 1, "only the missing tag comes back");
    let data = app
        .data(r#"{ organization(slug: "ggz-friesland") { city version targetGroups { totalCount } } tag(slug: "nza") { name } }"#, json!({}))
        .await;
    assert_eq!(data["organization"]["city"], "Leeuwarden (gecorrigeerd)");
    assert_eq!(data["organization"]["version"], 2);
    assert_eq!(data["organization"]["targetGroups"]["totalCount"], 0);
    assert_eq!(data["tag"]["name"], "nza");
}

async fn seed_inserts_are_journaled(app: TestApp) {
    let rows = app.count("SELECT COUNT(*) FROM region").await
        + app.count("SELECT COUNT(*) FROM target_group").await
        + app.count("SELECT COUNT(*) FROM theme").await
        + app.count("SELECT COUNT(*) FROM tag").await
        + app.count("SELECT COUNT(*) FROM organization").await
        + app.count("SELECT COUNT(*) FROM partner").await
        + app.count("SELECT COUNT(*) FROM post").await
        + app.count("SELECT COUNT(*) FROM event_kind").await
        + app.count("SELECT COUNT(*) FROM event").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM change_feed").await, rows);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE actor_role = 'system'")
            .await,
        rows
    );
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT seq) FROM change_feed")
            .await,
        rows
    );
}
