//! No N+1: the number of SQL statements of a request does not grow with the objects returned.

use network_directory::config::{Config, FastPath};
use serde_json::json;

use crate::common::TestApp;
use crate::on_both_databases_with;

fn one_pass(config: &mut Config) {
    config.fast_path = FastPath::On;
}

fn field_by_field(config: &mut Config) {
    config.fast_path = FastPath::Off;
}

on_both_databases_with!(one_pass: statements_do_not_grow_in_one_pass);
on_both_databases_with!(field_by_field: statements_do_not_grow_field_by_field);

const DIRECTORY: &str = r#"query($first: Int!) {
  organizations(first: $first, filter: {nameContains: "test"}) {
    totalCount
    nodes {
      slug name careDomains
      regions { nodes { slug name parent { slug } } }
      targetGroups { nodes { slug name } }
      themes { nodes { slug name } }
      posts(first: 3) { nodes { title publishedAt organization { slug } tags { nodes { slug } } } }
    }
  }
}"#;

/// Adds 50 organizations, each with a province, two target groups, two themes, a care domain
/// and four published posts.
async fn add_fifty_organizations(app: &TestApp) {
    for i in 0..50 {
        app.sql(&format!(
            "INSERT INTO organization (created_at, updated_at, version, slug, name, sort_name, name_words, also_known_as, \
             description, status) VALUES ('2024-01-01 00:00:00+00:00', '2024-01-01 00:00:00+00:00', 1, \
             'test-{i:02}', 'Test {i:02}', 'test {i:02}', 'test {i:02}', '[]', 'Een testorganisatie.', 'participant')"
        ))
        .await;
        let org = format!("(SELECT id FROM organization WHERE slug = 'test-{i:02}')");
        app.sql(&format!(
            "INSERT INTO organization_region (organization_id, region_id) SELECT {org}, id FROM region WHERE slug = 'utrecht'"
        ))
        .await;
        app.sql(&format!(
            "INSERT INTO organization_target_group (organization_id, target_group_id) SELECT {org}, id FROM target_group WHERE slug IN ('kinderen', 'volwassenen')"
        ))
        .await;
        app.sql(&format!(
            "INSERT INTO organization_theme (organization_id, theme_id) SELECT {org}, id FROM theme WHERE slug IN ('vernieuwing-bij-deelnemers', 'optrekken-met-naasten')"
        ))
        .await;
        app.sql(&format!("INSERT INTO organization_care_domain (organization_id, care_domain) VALUES ({org}, 'ggz')"))
            .await;
        for p in 0..4 {
            app.sql(&format!(
                "INSERT INTO post (created_at, updated_at, version, slug, kind, title, body, author_name, organization_id, status, published_at) \
                 VALUES ('2024-01-01 00:00:00+00:00', '2024-01-01 00:00:00+00:00', 1, 'test-{i:02}-{p}', 'practice', 'Praktijk {p}', 'tekst', 'Iemand', {org}, 'published', '2024-0{}-01 00:00:00+00:00')",
                p + 1
            ))
            .await;
            app.sql(&format!(
                "INSERT INTO post_tag (post_id, tag_id) SELECT (SELECT id FROM post WHERE slug = 'test-{i:02}-{p}'), id FROM tag WHERE slug = 'cocreatie'"
            ))
            .await;
        }
    }
}

async fn statements_for(app: &TestApp, first: usize) -> (u64, usize) {
    let before = app.statements.get();
    let data = app.data(DIRECTORY, json!({ "first": first })).await;
    let statements = app.statements.get() - before;
    let nodes = data["organizations"]["nodes"].as_array().unwrap();
    let tested = nodes
        .iter()
        .filter(|n| n["slug"].as_str().unwrap().starts_with("test-"))
        .count();
    for node in nodes
        .iter()
        .filter(|n| n["slug"].as_str().unwrap().starts_with("test-"))
    {
        assert_eq!(
            node["posts"]["nodes"].as_array().unwrap().len(),
            3,
            "3 latest posts"
        );
        assert_eq!(
            node["posts"]["nodes"][0]["title"], "Praktijk 3",
            "newest first"
        );
        assert_eq!(node["targetGroups"]["nodes"].as_array().unwrap().len(), 2);
        assert_eq!(node["themes"]["nodes"].as_array().unwrap().len(), 2);
        assert_eq!(node["careDomains"], json!(["MENTAL_HEALTH_CARE"]));
    }
    assert_eq!(nodes.len(), first);
    (statements, tested)
}

async fn statements_do_not_grow_in_one_pass(app: TestApp) {
    let built = app.metric("graphql_subtrees_total{answer=\"built\"}").await;
    statements_do_not_grow_with_the_page(&app).await;
    let after = app.metric("graphql_subtrees_total{answer=\"built\"}").await;
    assert_eq!(after - built, 3.0, "every page in one pass");
}

async fn statements_do_not_grow_field_by_field(app: TestApp) {
    statements_do_not_grow_with_the_page(&app).await;
    assert_eq!(
        app.metric("graphql_subtrees_total{answer=\"built\"}").await,
        0.0
    );
}

async fn statements_do_not_grow_with_the_page(app: &TestApp) {
    add_fifty_organizations(app).await;
    // Warm up the pool so that connection set-up does not count.
    statements_for(app, 5).await;
    let (five, _) = statements_for(app, 5).await;
    let (fifty, tested) = statements_for(app, 50).await;
    assert_eq!(tested, 50);
    eprintln!("SQL statements per directory request: {five} for 5 organizations, {fifty} for 50");
    assert_eq!(
        five, fifty,
        "5 organizations: {five} statements, 50: {fifty}"
    );
    assert!(fifty <= 12, "a handful of batched statements, got {fifty}");
}
