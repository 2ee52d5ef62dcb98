//! What anonymous readers must not see: unpublished and deleted rows, anywhere the API reaches.

use serde_json::{Value, json};

use crate::common::TestApp;
use crate::on_both_databases;

on_both_databases!(unpublished_posts_are_invisible, deleted_rows_are_invisible);

/// Inserts a post with `status` under Kwintes and the theme "optrekken-met-naasten".
async fn insert_post(app: &TestApp, slug: &str, status: &str) -> String {
    let published = if status == "published" {
        "'2030-01-01 00:00:00+00:00'"
    } else {
        "NULL"
    };
    app.sql(&format!(
        "INSERT INTO post (created_at, updated_at, version, slug, kind, title, body, author_name, \
         organization_id, status, published_at) \
         SELECT '2030-01-01 00:00:00+00:00', '2030-01-01 00:00:00+00:00', 1, '{slug}', 'idea', \
         'Idee {slug}', 'tekst', 'Anoniem', id, '{status}', {published} FROM organization WHERE slug = 'kwintes'"
    ))
    .await;
    app.sql(&format!(
        "INSERT INTO post_theme (post_id, theme_id) SELECT p.id, t.id FROM post p, theme t \
         WHERE p.slug = '{slug}' AND t.slug = 'optrekken-met-naasten'"
    ))
    .await;
    let id = app
        .count(&format!(
            "SELECT CAST(id AS BIGINT) FROM post WHERE slug = '{slug}'"
        ))
        .await;
    network_directory::graphql::node::NodeType::Post.encode(id as i32)
}

async fn post_slugs_everywhere(app: &TestApp, id: &str) -> (Vec<Value>, Value) {
    let data = app
        .data(
            r#"query($id: ID!) {
                 posts(first: 100) { nodes { slug } }
                 theme(slug: "optrekken-met-naasten") { posts(first: 100) { nodes { slug } } }
                 organization(slug: "kwintes") { posts(first: 100) { nodes { slug } } }
                 node(id: $id) { id }
                 post(id: $id) { slug }
               }"#,
            json!({ "id": id }),
        )
        .await;
    let mut slugs = Vec::new();
    for list in [
        &data["posts"],
        &data["theme"]["posts"],
        &data["organization"]["posts"],
    ] {
        slugs.extend(
            list["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["slug"].clone()),
        );
    }
    (slugs, json!([data["node"], data["post"]]))
}

async fn unpublished_posts_are_invisible(app: TestApp) {
    let pending = insert_post(&app, "wacht-op-moderatie", "pending").await;
    let rejected = insert_post(&app, "afgewezen", "rejected").await;
    let published = insert_post(&app, "gepubliceerd", "published").await;
    for id in [&pending, &rejected] {
        let (slugs, direct) = post_slugs_everywhere(&app, id).await;
        assert!(
            !slugs.contains(&json!("wacht-op-moderatie")) && !slugs.contains(&json!("afgewezen")),
            "{slugs:?}"
        );
        assert_eq!(direct, json!([null, null]));
    }
    let (slugs, direct) = post_slugs_everywhere(&app, &published).await;
    assert_eq!(
        slugs
            .iter()
            .filter(|s| **s == json!("gepubliceerd"))
            .count(),
        3,
        "in all three lists"
    );
    assert_eq!(direct[1]["slug"], "gepubliceerd");
    let count = app.data(r#"{ posts { totalCount } }"#, json!({})).await;
    assert_eq!(
        count["posts"]["totalCount"], 6,
        "five seeded articles and the published idea"
    );
}

async fn deleted_rows_are_invisible(app: TestApp) {
    let id = app
        .data(r#"{ organization(slug: "mediant") { id } }"#, json!({}))
        .await["organization"]["id"]
        .clone();
    app.sql(
        "UPDATE organization SET deleted_at = '2030-01-01 00:00:00+00:00' WHERE slug = 'mediant'",
    )
    .await;
    app.sql("UPDATE theme SET deleted_at = '2030-01-01 00:00:00+00:00' WHERE slug = 'optrekken-met-naasten'").await;
    let data = app
        .data(
            r#"query($id: ID!) {
                 organization(slug: "mediant") { id }
                 node(id: $id) { id }
                 organizations(first: 100) { totalCount nodes { slug } }
                 region(slug: "overijssel") { organizations { nodes { slug } } }
                 theme(slug: "optrekken-met-naasten") { id }
                 themes(first: 100) { nodes { slug } }
                 posts(first: 100) { nodes { themes { nodes { slug } } } }
               }"#,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data["organization"], Value::Null);
    assert_eq!(data["node"], Value::Null);
    assert_eq!(data["organizations"]["totalCount"], 11);
    assert!(!data.to_string().contains("\"mediant\""));
    assert_eq!(data["theme"], Value::Null);
    assert!(!data.to_string().contains("optrekken-met-naasten"));
}
