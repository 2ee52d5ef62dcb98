//! Protection: query limits, GraphQL-over-HTTP rules, CORS, rate limits, cost reporting,
//! metrics, timeouts.

use serde_json::{Value, json};

use crate::common::TestApp;
use crate::{on_both_databases, on_both_databases_with};

on_both_databases!(
    limits_refuse_what_is_too_much,
    the_directory_page_fits_and_nesting_does_not
);

/// A request timeout of 2 s: statements give up after 1.6 s (PostgreSQL) or 1 s (SQLite busy).
fn short_timeout(config: &mut network_directory::Config) {
    config.request_timeout_secs = 2;
}

on_both_databases_with!(short_timeout: a_locked_database_times_out_cleanly);

const DIRECTORY: &str = r#"{ organizations(first: 50) { totalCount nodes { slug name careDomains
    regions { nodes { slug name } } targetGroups { nodes { slug name } } themes { nodes { slug name } }
    posts(first: 3) { nodes { title publishedAt tags { nodes { slug } } } } } } }"#;

/// The standard introspection query GraphiQL and code generators send.
const INTROSPECTION: &str = r#"query IntrospectionQuery { __schema { queryType { name } mutationType { name }
  subscriptionType { name } types { ...FullType } directives { name description locations args { ...InputValue } } } }
fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name description
  args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason } inputFields { ...InputValue }
  interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }"#;

async fn post_raw(
    app: &TestApp,
    accept: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut request = app.client.post(format!("{}/graphql", app.base)).body(body);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

fn query_body(query: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({ "query": query })).unwrap()
}

fn code(body: &str) -> String {
    let value: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    value["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn limits_refuse_what_is_too_much(app: TestApp) {
    let gql = Some("application/graphql-response+json");
    let json_type = Some("application/json");
    // Depth: a query nested deeper than 12.
    let deep = "{ organizations { nodes { regions { nodes { organizations { nodes { regions { nodes { organizations { nodes { regions { nodes { slug } } } } } } } } } } } } }";
    let (status, headers, body) = post_raw(&app, gql, json_type, query_body(deep)).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (400, "QUERY_TOO_COMPLEX"),
        "{body}"
    );
    // The message says which limit and by how much.
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["errors"][0]["message"],
        "the query's depth 13 is over the limit of 12",
        "{body}"
    );
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/graphql-response+json")
    );
    // The same with application/json: 200, as the specification keeps for legacy clients.
    let (status, headers, body) =
        post_raw(&app, Some("application/json"), json_type, query_body(deep)).await;
    assert_eq!((status, code(&body).as_str()), (200, "QUERY_TOO_COMPLEX"));
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    // Directives: at most 5 on a field.
    let directives = "{ organizations @include(if: true) @include(if: true) @include(if: true) @include(if: true) @include(if: true) @include(if: true) { totalCount } }";
    let (status, _, body) = post_raw(&app, gql, json_type, query_body(directives)).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (400, "QUERY_TOO_COMPLEX"),
        "{body}"
    );
    // Body size: over 64 KiB is 413, and the document length has its own limit.
    let huge = query_body(&format!(
        "{{ organizations {{ totalCount }} }} #{}",
        "x".repeat(70_000)
    ));
    assert_eq!(post_raw(&app, gql, json_type, huge).await.0, 413);
    let long = query_body(&format!(
        "{{ organizations {{ totalCount }} }} #{}",
        "x".repeat(20_000)
    ));
    let (status, _, body) = post_raw(&app, gql, json_type, long).await;
    assert_eq!((status, code(&body).as_str()), (400, "QUERY_TOO_COMPLEX"));
    // Batching is refused.
    let batch = serde_json::to_vec(
        &json!([{ "query": "{ tags { totalCount } }" }, { "query": "{ tags { totalCount } }" }]),
    )
    .unwrap();
    let (status, _, body) = post_raw(&app, gql, json_type, batch).await;
    assert_eq!((status, code(&body).as_str()), (400, "BAD_REQUEST"));
    assert!(body.contains("batch"));
    // A parse error says where, and never echoes the input.
    let garbage = format!(
        "{{ organizations {{ {} ",
        "secret-looking-text ".repeat(500)
    );
    let (status, _, body) = post_raw(&app, gql, json_type, query_body(&garbage)).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (400, "GRAPHQL_PARSE_FAILED")
    );
    assert!(!body.contains("secret-looking-text"), "{body}");
    assert!(body.len() < 300);
    // Validation errors are coded and say what is wrong.
    let (status, _, body) = post_raw(
        &app,
        gql,
        json_type,
        query_body("{ organizations { nope } }"),
    )
    .await;
    assert_eq!(
        (status, code(&body).as_str()),
        (400, "GRAPHQL_VALIDATION_FAILED")
    );
    // Content types and methods.
    assert_eq!(
        post_raw(
            &app,
            gql,
            Some("text/plain"),
            query_body("{ tags { totalCount } }")
        )
        .await
        .0,
        415
    );
    assert_eq!(
        post_raw(&app, gql, None, query_body("{ tags { totalCount } }"))
            .await
            .0,
        415
    );
    assert_eq!(
        post_raw(
            &app,
            Some("text/html"),
            json_type,
            query_body("{ tags { totalCount } }")
        )
        .await
        .0,
        406
    );
    let (status, _, body) =
        post_raw(&app, None, json_type, query_body("{ tags { totalCount } }")).await;
    assert_eq!(
        status, 200,
        "no Accept header means application/json: {body}"
    );
    // A mutation over GET is 405 and never runs.
    let before = app.fingerprint().await;
    let url = format!(
        "{}/graphql?query={}",
        app.base,
        "mutation%20%7B%20submitPost(input%3A%20%7Btitle%3A%20%22x%22%2C%20body%3A%20%22x%22%2C%20authorName%3A%20%22x%22%7D)%20%7B%20post%20%7B%20id%20%7D%20%7D%20%7D"
    );
    let response = app.client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    assert_eq!(app.fingerprint().await, before);
    // CORS: any origin may read; no credentials.
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.base))
        .header("origin", "https://rvggz.nl")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type, authorization",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    assert!(
        preflight
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
    // The introspection query GraphiQL sends passes under the default limits.
    let (status, _, body) = post_raw(&app, gql, json_type, query_body(INTROSPECTION)).await;
    assert_eq!(status, 200, "{}", &body[..body.len().min(300)]);
    assert!(body.contains("\"queryType\":{\"name\":\"Query\"}"));
    // Cost is reported in the response's extensions.
    let response = app
        .query("{ tags(first: 10) { nodes { slug } } }", json!({}))
        .await;
    let cost = &response["extensions"]["cost"];
    assert_eq!(cost["requestedQueryCost"], 10 + 10 * 2);
    assert!(
        cost["throttleStatus"]["currentlyAvailable"]
            .as_u64()
            .unwrap()
            < cost["throttleStatus"]["maximumAvailable"].as_u64().unwrap()
    );
    // Metrics count what happened.
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("graphql_requests_total{operation=\"query\",outcome=\"ok\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("graphql_request_duration_seconds_bucket"));
    assert!(metrics.contains("db_pool_connections{state=\"open\"}"));
    assert!(metrics.contains("db_statements_total"));
}

async fn the_directory_page_fits_and_nesting_does_not(app: TestApp) {
    let response = app.query(DIRECTORY, json!({})).await;
    assert!(response.get("errors").is_none(), "{response}");
    let cost = response["extensions"]["cost"]["requestedQueryCost"]
        .as_u64()
        .unwrap();
    assert!(
        cost * 2 < 50_000,
        "the directory page costs {cost}: room to spare under 50,000"
    );
    eprintln!("the directory page costs {cost}");
    let nested = r#"{ organizations(first: 100) { nodes { posts(first: 100) { nodes { organization {
        posts(first: 100) { nodes { title } } } } } } } }"#;
    let refused = app.query(nested, json!({})).await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"],
        "QUERY_TOO_COMPLEX"
    );
    let message = refused["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("the query's cost ")
            && message.contains(" is over the limit of 50,000"),
        "{message}"
    );
    let aliases = (0..200)
        .map(|i| format!("a{i}: organizations(first: 100) {{ nodes {{ slug name }} }}"))
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(
        app.error_code(&format!("{{ {aliases} }}"), json!({})).await,
        "QUERY_TOO_COMPLEX",
        "aliases are counted"
    );
}

async fn a_locked_database_times_out_cleanly(app: TestApp) {
    let before = app.count("SELECT COUNT(*) FROM audit_log").await;
    let id = app
        .id_of(
            network_directory::graphql::node::NodeType::Organization,
            "organization",
            "kwintes",
        )
        .await;
    // Another connection holds a write lock longer than the request may wait.
    use sea_orm::{ConnectionTrait, Database};
    let locker = Database::connect(app.database_url.as_str()).await.unwrap();
    let postgres = app.database_url.starts_with("postgres");
    let lock = if postgres {
        "LOCK TABLE organization IN ACCESS EXCLUSIVE MODE"
    } else {
        "UPDATE organization SET city = city"
    };
    let txn = sea_orm::TransactionTrait::begin(&locker).await.unwrap();
    txn.execute_unprepared(lock).await.unwrap();
    let started = std::time::Instant::now();
    let response = app
        .as_admin()
        .query(
            "mutation($id: ID!) { updateOrganization(input: {id: $id, version: 1, city: \"Utrecht\"}) { organization { city } } }",
            json!({ "id": id }),
        )
        .await;
    let waited = started.elapsed();
    assert_eq!(
        response["errors"][0]["extensions"]["code"], "TIMEOUT",
        "{response}"
    );
    assert!(
        waited < std::time::Duration::from_secs(4),
        "gave up in {waited:?}"
    );
    txn.rollback().await.unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log").await,
        before,
        "nothing written"
    );
    let now = app
        .data(
            r#"{ organization(slug: "kwintes") { city version } }"#,
            json!({}),
        )
        .await;
    assert_eq!(now["organization"]["version"], 1);
}

/// Introspection is charged like any request, answered from memory once computed, and bounded:
/// lists nested deeper than the standard query's (`types → fields → args`) and aliases that
/// multiply it are refused, saying which limit.
#[tokio::test]
async fn introspection_is_charged_bounded_and_served_from_memory() {
    // A budget of 1,000 per minute: the standard query (cost about 200) fits a few times.
    let app = TestApp::sqlite_with(|config| config.cost_budget_per_minute = 1_000).await;
    let first = app.anon().query(INTROSPECTION, json!({})).await;
    assert!(
        first.get("errors").is_none(),
        "{}",
        &first.to_string()[..300]
    );
    let cost = first["extensions"]["cost"]["requestedQueryCost"]
        .as_u64()
        .unwrap();
    assert!(cost > 0, "charged: {}", first["extensions"]);
    let second = app.anon().query(INTROSPECTION, json!({})).await;
    assert_eq!(second["data"], first["data"], "the same answer");
    assert_eq!(second["extensions"]["cost"]["requestedQueryCost"], cost);
    assert!(
        second["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]
            .as_u64()
            .unwrap()
            < 1_000 - cost,
        "charged again from memory: {}",
        second["extensions"]
    );
    assert_eq!(
        app.metric("graphql_introspection_answers_total{source=\"computed\"}")
            .await,
        1.0
    );
    assert_eq!(
        app.metric("graphql_introspection_answers_total{source=\"memory\"}")
            .await,
        1.0
    );
    // The budget runs out for answers from memory too.
    let mut refused = None;
    for _ in 0..10 {
        let (status, answer) = app.anon().request(INTROSPECTION, json!({})).await;
        if status == 429 {
            refused = Some(answer);
            break;
        }
    }
    let refused = refused.expect("the budget ran out");
    assert_eq!(refused["errors"][0]["extensions"]["code"], "RATE_LIMITED");

    let app = TestApp::sqlite().await;
    // Lists through lists: every step multiplies the answer by the schema's size.
    let deep = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }";
    let (_, answer) = app.anon().request(deep, json!({})).await;
    assert!(answer.get("data").is_none(), "refused");
    assert_eq!(
        answer["errors"][0]["extensions"]["code"],
        "QUERY_TOO_COMPLEX"
    );
    assert_eq!(
        answer["errors"][0]["message"],
        "introspection lists nested 4 deep (such as `types → fields → type → fields`) are over the limit of 3"
    );
    // Aliases of the whole schema: the cost says by how much.
    let aliased = crate::common::aliased(120, "__schema { types { name fields { name } } }");
    let (_, answer) = app.anon().request(&aliased, json!({})).await;
    assert!(answer.get("data").is_none(), "refused");
    assert_eq!(
        answer["errors"][0]["extensions"]["code"],
        "QUERY_TOO_COMPLEX"
    );
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("over the limit of 500"),
        "{answer}"
    );
}
