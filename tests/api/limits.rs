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
                "{ tags(first: 1) { totalCount } }"
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
        "{ tags(first: 1) { totalCount } }",
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
            "{ tags(first: 1) { totalCount } }"
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
    let query = "{ tags(first: 10) { nodes { slug } } }"; // costs 1 + 10 × 2 = 21
    let (_, _, first) = status_of(&app, "198.51.100.40", None, query).await;
    let status = &first["extensions"]["cost"]["throttleStatus"];
    assert_eq!(first["extensions"]["cost"]["requestedQueryCost"], 21);
    assert_eq!(status["maximumAvailable"], 100);
    assert_eq!(status["currentlyAvailable"], 79);
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
