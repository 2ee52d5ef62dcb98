//! Rate limits and the cost budget (429 with `Retry-After` and `RATE_LIMITED`), and
//! introspection switched off.

use network_directory::auth::Role;
use serde_json::json;

use crate::common::TestApp;

fn tight(config: &mut network_directory::Config) {
    config.rate_limit_ip_per_minute = 8;
    config.rate_limit_token_per_minute = 3;
    config.rate_limit_submissions_per_hour = 2;
    config.max_pending_posts = 3;
    config.cost_budget_per_minute = 100;
    config.trusted_proxy_header = Some("x-forwarded-for".to_owned());
}

async fn status_of(
    app: &TestApp,
    ip: &str,
    token: Option<&str>,
    query: &str,
) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("x-forwarded-for", format!("203.0.113.250, {ip}"))
        .json(&json!({ "query": query }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.json().await.unwrap())
}

#[tokio::test]
async fn rate_limits_per_address_token_and_contribution() {
    let app = TestApp::sqlite_with(tight).await;
    // Per address (the last entry of the trusted proxy header): 8 a minute.
    for _ in 0..8 {
        assert_eq!(
            status_of(
                &app,
                "198.51.100.1",
                None,
                "{ tags(first: 1) { nodes { slug } } }"
            )
            .await
            .0,
            200
        );
    }
    let (status, headers, body) = status_of(
        &app,
        "198.51.100.1",
        None,
        "{ tags(first: 1) { nodes { slug } } }",
    )
    .await;
    assert_eq!(status, 429);
    assert!(
        headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert_eq!(
        status_of(
            &app,
            "198.51.100.2",
            None,
            "{ tags(first: 1) { nodes { slug } } }"
        )
        .await
        .0,
        200,
        "another address is not limited"
    );

    // Per token subject: 3 a minute, whatever the address.
    let token = app.token(Role::Partner, "trimbos-instituut", None);
    for i in 0..3 {
        assert_eq!(
            status_of(
                &app,
                &format!("198.51.100.{}", 10 + i),
                Some(&token),
                "{ viewer { role } }"
            )
            .await
            .0,
            200
        );
    }
    assert_eq!(
        status_of(&app, "198.51.100.20", Some(&token), "{ viewer { role } }")
            .await
            .0,
        429
    );

    // Anonymous contributions: 2 an hour per address.
    let submit = r#"mutation { submitPost(input: {title: "Idee", body: "Tekst", authorName: "A"}) { post { status } } }"#;
    assert_eq!(status_of(&app, "198.51.100.30", None, submit).await.0, 200);
    assert_eq!(status_of(&app, "198.51.100.30", None, submit).await.0, 200);
    let (status, headers, body) = status_of(&app, "198.51.100.30", None, submit).await;
    assert_eq!(
        (status, body["errors"][0]["extensions"]["code"].as_str()),
        (429, Some("RATE_LIMITED")),
        "{body}"
    );
    assert!(headers.contains_key("retry-after"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM post WHERE status = 'pending'")
            .await,
        2
    );

    // The moderation queue holds at most 3: the fourth contribution waits.
    assert_eq!(status_of(&app, "198.51.100.31", None, submit).await.0, 200);
    let (status, _, body) = status_of(&app, "198.51.100.32", None, submit).await;
    assert_eq!(status, 429);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("queue")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM post WHERE status = 'pending'")
            .await,
        3
    );

    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("rate_limit_rejections_total{limit=\"ip\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn the_cost_budget_is_spent_and_reported() {
    let app = TestApp::sqlite_with(tight).await;
    let query = "{ tags(first: 10) { nodes { slug } } }"; // costs 10 + 10 × 2 = 30
    let (_, _, first) = status_of(&app, "198.51.100.40", None, query).await;
    let status = &first["extensions"]["cost"]["throttleStatus"];
    assert_eq!(first["extensions"]["cost"]["requestedQueryCost"], 30);
    assert_eq!(status["maximumAvailable"], 100);
    assert_eq!(status["currentlyAvailable"], 70);
    let mut refused = None;
    for _ in 0..5 {
        let (code, headers, body) = status_of(&app, "198.51.100.40", None, query).await;
        if code == 429 {
            refused = Some((headers, body));
            break;
        }
    }
    let (headers, body) = refused.expect("the budget runs out within 100 points");
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert!(headers.contains_key("retry-after"));
    // A query costing more than the whole budget can never run: that is its complexity, not a rate.
    let (code, _, body) = status_of(
        &app,
        "198.51.100.41",
        None,
        "{ tags(first: 60) { nodes { slug name } } }",
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX");
}

#[tokio::test]
async fn introspection_can_be_switched_off() {
    let app = TestApp::sqlite_with(|config| config.introspection = false).await;
    let response = app
        .query(
            "{ __schema { queryType { name } } __type(name: \"Organization\") { name } }",
            json!({}),
        )
        .await;
    // An error that says so (not `null`, not "nested too deep").
    assert!(response.get("data").is_none(), "{response}");
    assert_eq!(
        response["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("introspection (`__schema`, `__type`) is turned off"),
        "{response}"
    );
    let typo = app
        .query("{ organisations { totalCount } }", json!({}))
        .await;
    let message = typo["errors"][0]["message"].as_str().unwrap();
    assert!(
        !message.contains("Did you mean"),
        "no suggestions: {message}"
    );
    assert_eq!(
        typo["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    // With it on (the default), suggestions help.
    let open = TestApp::sqlite().await;
    let typo = open
        .query("{ organisations { totalCount } }", json!({}))
        .await;
    assert!(
        typo["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("organizations")
    );
}

/// Aliases cannot multiply the work: an operation has at most `MAX_ROOT_FIELDS` root fields (each
/// runs statements of its own), a count costs what it reads, variables hold no list or text
/// longer than any field takes, and an organization at most 20 other names.
#[tokio::test]
async fn aliases_lists_and_texts_are_bounded() {
    let app = TestApp::sqlite().await;
    let aliased = crate::common::aliased(21, "organizations(first: 1) { totalCount }");
    let (_, answer) = app.anon().request(&aliased, json!({})).await;
    // Refused before it ran: no `data` key.
    assert!(answer.get("data").is_none(), "{answer}");
    assert_eq!(
        answer["errors"][0]["extensions"]["code"],
        "QUERY_TOO_COMPLEX"
    );
    assert_eq!(
        answer["errors"][0]["message"],
        "the operation selects 21 root fields (aliases included), over the limit of 20: each runs database statements of its own"
    );
    // Twenty are fine.
    let twenty = aliased.replace(" a20: organizations(first: 1) { totalCount }", "");
    let (_, answer) = app.anon().request(&twenty, json!({})).await;
    assert!(answer.get("errors").is_none(), "{answer}");
    // A count costs what it reads: ten per item of the page, beside the round trip.
    let count = app
        .anon()
        .query("{ organizations(first: 100) { totalCount } }", json!({}))
        .await;
    assert_eq!(
        count["extensions"]["cost"]["requestedQueryCost"],
        10 + 100 * 10
    );

    // Lists and texts in variables.
    let regions: Vec<String> = (0..101).map(|i| format!("regio-{i}")).collect();
    let (_, answer) = app
        .anon()
        .request(
            "query($r: [String!]) { organizations(filter: {regions: $r}) { totalCount } }",
            json!({ "r": regions }),
        )
        .await;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{answer}"
    );
    assert_eq!(
        answer["errors"][0]["message"],
        "a list of 101 items is over the limit of 100"
    );
    let (_, answer) = app
        .anon()
        .request(
            "query($s: String!) { organizations(filter: {nameContains: $s}) { totalCount } }",
            json!({ "s": "a".repeat(20_001) }),
        )
        .await;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{answer}"
    );
    assert!(answer.get("data").is_none());

    // Other names: at most 20, a userError, nothing written.
    let id = app
        .id_of(
            network_directory::graphql::node::NodeType::Organization,
            "organization",
            "kwintes",
        )
        .await;
    let before = app.fingerprint().await;
    let names: Vec<String> = (0..21).map(|i| format!("Naam {i}")).collect();
    let answer = app
        .as_admin()
        .data(
            "mutation($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { organization { id } userErrors { field code } } }",
            json!({ "input": { "id": id, "version": 1, "alsoKnownAs": names } }),
        )
        .await;
    assert_eq!(
        answer["updateOrganization"],
        json!({ "organization": null, "userErrors": [{ "field": "alsoKnownAs", "code": "TOO_LONG" }] })
    );
    assert_eq!(app.fingerprint().await, before);
}
