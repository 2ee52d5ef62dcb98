//! Whole-subtree answers (`FAST_PATH`): root fields whose selection is plain fields and lists of
//! the public types are answered in one pass, with the same data as the executor gives field by
//! field; anything else is left to the executor. (Every other test runs with `FAST_PATH=check`,
//! where both run and must agree.)

use network_directory::config::{Config, FastPath};
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::on_both_databases_with;

fn one_pass(config: &mut Config) {
    config.fast_path = FastPath::On;
}

on_both_databases_with!(one_pass:
    supported_selections_are_answered_in_one_pass,
    other_selections_are_left_to_the_executor,
    vocabularies_kept_in_memory_follow_every_write,
);

/// The smallest pool: one connection for requests (on PostgreSQL a second one listens for
/// changes, for good).
fn one_connection(config: &mut Config) {
    config.fast_path = FastPath::On;
    let postgres = config.database_url().expose().starts_with("postgres");
    config.database_max_connections = Some(if postgres { 2 } else { 1 });
}

on_both_databases_with!(one_connection:
    an_answer_lets_its_connection_go_before_the_executor_reads,
);

const BUILT: &str = "graphql_subtrees_total{answer=\"built\"}";
const EXECUTOR: &str = "graphql_subtrees_total{answer=\"executor\"}";

/// The answer to `query`, and how many root fields were answered in one pass and by the executor.
async fn answer(app: &TestApp, query: &str, variables: Value) -> (Value, f64, f64) {
    let (built, executor) = (app.metric(BUILT).await, app.metric(EXECUTOR).await);
    let response = app.query(query, variables).await;
    (
        response,
        app.metric(BUILT).await - built,
        app.metric(EXECUTOR).await - executor,
    )
}

/// The `data` and `errors` of the same document run against a fresh server that resolves every
/// field through the executor.
async fn field_by_field(query: &str, variables: Value, postgres: bool) -> Value {
    let off = |config: &mut Config| config.fast_path = FastPath::Off;
    let app = if postgres {
        TestApp::postgres_with(off).await
    } else {
        TestApp::sqlite_with(off).await
    };
    without_cost(app.query(query, variables).await)
}

/// A response without its `extensions` (the cost budget left differs between servers).
fn without_cost(mut response: Value) -> Value {
    if let Some(object) = response.as_object_mut() {
        object.remove("extensions");
    }
    response
}

const DIRECTORY: &str = r#"query($after: String) {
  organizations(first: 5, after: $after) {
    __typename totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename }
    edges {
      cursor __typename
      node {
        __typename id slug name alsoKnownAs status careDomains joinedOn
        regions { nodes { slug name kind parent { slug } } }
        targetGroups { nodes { slug } }
        themes(first: 1) { totalCount nodes { slug } }
        tags { nodes { slug } }
        latest: posts(first: 2) { edges { cursor node { id slug title kind publishedAt organization { slug } } } }
        more: posts(first: 1) { pageInfo { hasNextPage } nodes { slug } }
      }
    }
  }
}"#;

async fn supported_selections_are_answered_in_one_pass(app: TestApp) {
    let postgres = app.database_url.starts_with("postgres");
    // A directory page with every kind of field: plain ones, lists, links and edges.
    let (first, built, executor) = answer(&app, DIRECTORY, json!({})).await;
    assert!(first.get("errors").is_none(), "{first}");
    assert_eq!((built, executor), (1.0, 0.0), "answered in one pass");
    let page = &first["data"]["organizations"];
    assert_eq!(page["__typename"], "OrganizationConnection");
    assert_eq!(page["pageInfo"]["__typename"], "PageInfo");
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    assert_eq!(page["edges"].as_array().unwrap().len(), 5);
    assert_eq!(page["edges"][0]["__typename"], "OrganizationEdge");
    assert_eq!(page["edges"][0]["node"]["slug"], "arkin");
    assert_eq!(page["edges"][0]["node"]["alsoKnownAs"], json!(["Mentrum"]));
    assert_eq!(page["edges"][0]["node"]["status"], "PARTICIPANT");
    assert_eq!(page["edges"][0]["node"]["__typename"], "Organization");
    // A nested page that shows whether more follow reads one row beyond itself (one without
    // `pageInfo` does not): some organization here has more than one post.
    let nodes: Vec<&Value> = page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| &edge["node"])
        .collect();
    assert!(
        nodes
            .iter()
            .any(|node| node["more"]["pageInfo"]["hasNextPage"] == true),
        "{page}"
    );
    // The keys come in the order of the selection.
    let raw = app
        .client
        .post(format!("{}/graphql", app.base))
        .json(&json!({ "query": DIRECTORY }))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        raw.contains(r#"{"cursor":"#) && raw.contains(r#"{"__typename":"Organization","id":"#),
        "{raw}"
    );
    // Every value is what the executor gives, on this page and the next.
    assert_eq!(
        without_cost(first.clone()),
        field_by_field(DIRECTORY, json!({}), postgres).await
    );
    let after = json!({ "after": page["pageInfo"]["endCursor"] });
    let (second, built, _) = answer(&app, DIRECTORY, after.clone()).await;
    assert_eq!(built, 1.0);
    assert_eq!(
        without_cost(second.clone()),
        field_by_field(DIRECTORY, after, postgres).await
    );
    assert_ne!(
        second["data"]["organizations"]["edges"][0], page["edges"][0],
        "the next page"
    );

    // One object by slug, with its posts and their themes; a theme's feed; the regions.
    let queries = [
        (
            r#"{ organization(slug: "ggz-friesland") { id name description website size
                 publicEmail kvkNumber version
                 posts(first: 20) { pageInfo { hasNextPage endCursor }
                   nodes { slug title authorName authorRole body status themes { nodes { name } } } } } }"#,
            "organization",
        ),
        (
            r#"{ theme(slug: "vernieuwing-bij-deelnemers") { id name description
                 posts(first: 20) { nodes { title organization { slug name } themes { nodes { slug } } } }
                 organizations { totalCount nodes { slug } } } }"#,
            "theme",
        ),
        (
            r#"{ regions(first: 100) { nodes { slug kind parent { slug } children { nodes { slug } }
                 organizations(first: 2) { nodes { slug } } } } }"#,
            "regions",
        ),
        (
            r#"{ posts(first: 10) { edges { node { slug organizations { nodes { slug } }
                 tags { nodes { slug name } } } } } }"#,
            "posts",
        ),
        (
            r#"{ tags(first: 30) { nodes { slug posts(first: 1) { nodes { slug } } } }
                 targetGroups { nodes { slug organizations { nodes { slug } } } } }"#,
            "tags",
        ),
        (
            // `@skip` and `@include` are applied before any field is resolved.
            r#"query($yes: Boolean = true) { organizations(first: 3) { nodes { slug @include(if: false)
                 name @skip(if: $yes) city @include(if: $yes) } } }"#,
            "organizations",
        ),
        (
            r#"{ post(slug: "start-beweging-radicale-vernieuwing-langdurige-ggz") { title
                 organization { slug } } missing: organization(slug: "nobody") { slug } }"#,
            "post",
        ),
    ];
    for (query, root) in queries {
        let (response, built, executor) = answer(&app, query, json!({})).await;
        assert!(response.get("errors").is_none(), "{response}");
        assert!(!response["data"][root].is_null(), "{root}: {response}");
        assert!(built >= 1.0 && executor == 0.0, "{root} in one pass");
        assert_eq!(
            without_cost(response),
            field_by_field(query, json!({}), postgres).await,
            "{root}: the same answer"
        );
    }
    let response = app
        .query(
            r#"{ missing: organization(slug: "nobody") { slug } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        without_cost(response),
        json!({ "data": { "missing": null } })
    );
}

async fn other_selections_are_left_to_the_executor(app: TestApp) {
    let postgres = app.database_url.starts_with("postgres");
    let cases = [
        // A fragment, a field that depends on the caller, a field that depends on the clock, a
        // response key selected twice.
        r#"{ organizations(first: 2) { nodes { ...F } } } fragment F on Organization { slug }"#,
        r#"{ organizations(first: 2) { nodes { slug contactEmail } } }"#,
        r#"{ organizations(first: 2) { nodes { slug events { nodes { title } } } } }"#,
        r#"{ organizations(first: 2) { nodes { slug slug } } }"#,
        // An argument the core refuses: the executor's error, on that field.
        r#"{ organizations(first: 2) { nodes { slug posts(first: 101) { nodes { slug } } } } }"#,
    ];
    for query in cases {
        let (response, built, executor) = answer(&app, query, json!({})).await;
        assert_eq!((built, executor), (0.0, 1.0), "{query}: {response}");
        assert_eq!(
            without_cost(response),
            field_by_field(query, json!({}), postgres).await,
            "{query}"
        );
    }
    // A selection left to the executor after the page was read with only the shown columns is
    // answered from the whole rows: the contact columns, which a one-pass answer never reads,
    // are there for a partner.
    app.sql("UPDATE organization SET contact_email = 'contact@arkin.example' WHERE slug = 'arkin'")
        .await;
    let query = r#"{ organizations(first: 2) { nodes { slug name contactEmail } } }"#;
    let (built, executor) = (app.metric(BUILT).await, app.metric(EXECUTOR).await);
    let response = app.as_partner().query(query, json!({})).await;
    assert_eq!(
        (
            app.metric(BUILT).await - built,
            app.metric(EXECUTOR).await - executor
        ),
        (0.0, 1.0),
        "{response}"
    );
    assert!(response.get("errors").is_none(), "{response}");
    assert_eq!(
        response["data"]["organizations"]["nodes"][0],
        json!({ "slug": "arkin", "name": "Arkin", "contactEmail": "contact@arkin.example" })
    );
    // What the executor answered is what it always answers: refused fields are null with an
    // error, kept keys in place.
    let (response, _, _) = answer(
        &app,
        r#"{ organizations(first: 1) { nodes { slug contactEmail } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        response["data"],
        json!({ "organizations": { "nodes": [{ "slug": "arkin", "contactEmail": null }] } })
    );
    assert_eq!(
        response["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    let (response, _, _) = answer(
        &app,
        r#"{ organizations(first: 1) { nodes { slug posts(first: 101) { nodes { slug } } } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        response["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
}

/// A post's themes and tags (like an organization's regions, target groups, themes and tags) are
/// its links, read in one statement, put in order from the vocabularies kept in memory; a write
/// to a vocabulary shows in the next answer.
async fn vocabularies_kept_in_memory_follow_every_write(app: TestApp) {
    use network_directory::graphql::node::NodeType;
    // A post with at least two themes, and its last one.
    let posts = app
        .anon()
        .data(
            "{ posts(first: 100) { nodes { slug themes { nodes { slug } } } } }",
            json!({}),
        )
        .await;
    let owner = posts["posts"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["themes"]["nodes"].as_array().unwrap().len() >= 2)
        .expect("a post with two themes");
    let slug = owner["slug"].clone();
    let theme = owner["themes"]["nodes"].as_array().unwrap().last().unwrap()["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let query = r#"query($slug: String!) { post(slug: $slug) {
        title tags { nodes { slug name } }
        themes { totalCount nodes { slug name } } last: themes(last: 1) { nodes { slug } } } }"#;
    let themes = |answer: &Value| -> Vec<(String, String)> {
        answer["post"]["themes"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["slug"].as_str().unwrap().to_owned(),
                    t["name"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let before = app.anon().data(query, json!({ "slug": slug })).await;
    let listed = themes(&before);
    assert_eq!(listed.last().map(|(s, _)| s), Some(&theme), "{before}");
    assert_eq!(
        before["post"]["themes"]["totalCount"],
        listed.len(),
        "{before}"
    );
    assert_eq!(
        before["post"]["last"]["nodes"][0]["slug"].as_str(),
        listed.last().map(|(s, _)| s.as_str())
    );
    // Warm: the post, then the links of both lists in one statement. (On PostgreSQL the
    // vocabularies are kept once the server listens for changes, right after it starts.)
    let mut statements = Vec::new();
    for _ in 0..50 {
        let start = app.statements.get();
        let again = app.anon().data(query, json!({ "slug": slug })).await;
        assert_eq!(again, before);
        statements.push(app.statements.get() - start);
        if statements.last() == Some(&2) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        statements.last(),
        Some(&2),
        "statements per answer: {statements:?}"
    );

    // A write that names no vocabulary (an organization's, the common case) leaves them kept.
    let organization = app
        .anon()
        .data(
            r#"{ organization(slug: "ggz-friesland") { id version } }"#,
            json!({}),
        )
        .await;
    let updated = app
        .as_admin()
        .data(
            r#"mutation($id: ID!, $version: Int!) { updateOrganization(input: {id: $id, version: $version, description: "Elders bijgewerkt."}) { organization { version } } }"#,
            json!({ "id": organization["organization"]["id"], "version": organization["organization"]["version"] }),
        )
        .await;
    assert!(
        updated["updateOrganization"]["organization"]["version"].is_i64(),
        "{updated}"
    );
    let start = app.statements.get();
    let again = app.anon().data(query, json!({ "slug": slug })).await;
    assert_eq!(again, before);
    assert_eq!(
        app.statements.get() - start,
        2,
        "the vocabularies were read again after an organization's write"
    );

    let id = app.id_of(NodeType::Theme, "theme", &theme).await;
    let renamed = app
        .as_admin()
        .data(
            r#"mutation($id: ID!) { updateTheme(input: {id: $id, version: 1, name: "Aaa eerst genoemd"}) { theme { version } } }"#,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(renamed["updateTheme"]["theme"]["version"], 2);
    let after = app.anon().data(query, json!({ "slug": slug })).await;
    let now = themes(&after);
    // The new name, and the order it gives.
    assert_eq!(
        now.first(),
        Some(&(theme.clone(), "Aaa eerst genoemd".to_owned())),
        "{after}"
    );
    assert_eq!(now.len(), listed.len());

    let deleted = app
        .as_admin()
        .data(
            r#"mutation($id: ID!) { deleteTheme(input: {id: $id, version: 2}) { deletedId } }"#,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(deleted["deleteTheme"]["deletedId"], id);
    let gone = app.anon().data(query, json!({ "slug": slug })).await;
    let left = themes(&gone);
    assert!(!left.iter().any(|(s, _)| s == &theme), "{gone}");
    assert_eq!(left.len(), listed.len() - 1);
    assert_eq!(gone["post"]["themes"]["totalCount"], left.len());
}

/// Two replicas on one PostgreSQL: a vocabulary write on one reaches the vocabularies the other
/// keeps at once (the notification names the table), not only after they expire.
#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: run `scripts/with-postgres cargo test`"
)]
async fn a_vocabulary_write_on_one_replica_reaches_another() {
    use network_directory::graphql::node::NodeType;
    let writer = TestApp::postgres_with(one_pass).await;
    let reader = TestApp::on_database(writer.database_url.clone(), one_pass).await;
    let query = r#"{ post(slug: "deelnemers-putten-moed-uit-vernieuwingsbeweging") { themes { nodes { slug name } } } }"#;
    let named = |answer: &Value| -> Option<String> {
        answer["post"]["themes"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["slug"] == "optrekken-met-naasten")
            .map(|t| t["name"].as_str().unwrap().to_owned())
    };
    // Kept: the post and its links, two statements (once the reader listens, right after start).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let start = reader.statements.get();
        let answer = reader.anon().data(query, json!({})).await;
        assert!(named(&answer).is_some(), "{answer}");
        if reader.statements.get() - start == 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the reader never keeps the vocabularies"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    let id = writer
        .id_of(NodeType::Theme, "theme", "optrekken-met-naasten")
        .await;
    let renamed = writer
        .as_admin()
        .data(
            r#"mutation($id: ID!) { updateTheme(input: {id: $id, version: 1, name: "Elders hernoemd"}) { theme { version } } }"#,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(renamed["updateTheme"]["theme"]["version"], 2, "{renamed}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        let answer = reader.anon().data(query, json!({})).await;
        if named(&answer).as_deref() == Some("Elders hernoemd") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the reader still answers {answer} a second after the write"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A one-pass answer holds one connection for its statements and lets it go when it is built:
/// with a single connection in the pool, requests that mix one-pass root fields with one the
/// executor answers (a fragment) still all answer, at the same time.
async fn an_answer_lets_its_connection_go_before_the_executor_reads(app: TestApp) {
    let query = r#"{
        a: organizations(first: 3) { nodes { slug regions { nodes { slug } } posts(first: 2) { nodes { title } } } }
        b: organization(slug: "ggz-friesland") { slug themes { nodes { slug } } }
        c: organizations(first: 3) { nodes { ... on Organization { slug } } }
    }"#;
    let client = app.anon();
    let answers =
        futures_util::future::join_all((0..6).map(|_| client.data(query, json!({})))).await;
    let built = app.metric(BUILT).await;
    let executor = app.metric(EXECUTOR).await;
    assert!(
        built >= 12.0 && executor >= 6.0,
        "built {built}, executor {executor}"
    );
    for answer in &answers {
        let slugs = |field: &str| -> Vec<Value> {
            answer[field]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["slug"].clone())
                .collect()
        };
        assert_eq!(slugs("a").len(), 3, "{answer}");
        assert_eq!(slugs("a"), slugs("c"), "{answer}");
        assert_eq!(answer["b"]["slug"], "ggz-friesland");
        assert_eq!(answer, &answers[0]);
    }
}
