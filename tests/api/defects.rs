//! Defects users hit (issue 8), each with the test that failed before its fix.

use serde_json::{Value, json};

use crate::common::TestApp;
use crate::on_both_databases;

on_both_databases!(a_post_one_may_not_see_is_not_found);

const UPDATE_POST: &str =
    "mutation($input: UpdatePostInput!) { updatePost(input: $input) { post { title } } }";

/// Another organization asking to change a pending post learns nothing: the answer is the same
/// as for an id that does not exist.
async fn a_post_one_may_not_see_is_not_found(app: TestApp) {
    let submitted = app
        .anon()
        .data(
            r#"mutation { submitPost(input: {kind: QUESTION, title: "Een vraag", body: "Hoe?", authorName: "Iemand"}) { post { id status } } }"#,
            json!({}),
        )
        .await;
    let pending = submitted["submitPost"]["post"]["id"].clone();
    assert!(pending.is_string(), "{submitted}");
    let org = app.as_org("dimence").await;
    let before = app.fingerprint().await;
    let hidden = org
        .query(
            UPDATE_POST,
            json!({ "input": { "id": pending, "version": 1, "title": "Overgenomen" } }),
        )
        .await;
    let unknown = org
        .query(
            UPDATE_POST,
            json!({ "input": { "id": "UG9zdDo5OTk5OTk5", "version": 1, "title": "Overgenomen" } }),
        )
        .await;
    assert_eq!(
        hidden["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{hidden}"
    );
    assert_eq!(
        hidden["errors"][0]["message"], unknown["errors"][0]["message"],
        "{hidden} / {unknown}"
    );
    assert_eq!(hidden["data"], Value::Null);
    assert_eq!(app.fingerprint().await, before, "nothing changed");
    // A published post of another organization is public: changing it is forbidden.
    let published = app
        .as_org("ggz-friesland")
        .await
        .data(
            r#"mutation { submitPost(input: {kind: NEWS, title: "Nieuws", body: "Tekst.", authorName: "Redactie"}) { post { id version } } }"#,
            json!({}),
        )
        .await;
    let forbidden = org
        .query(
            UPDATE_POST,
            json!({ "input": { "id": published["submitPost"]["post"]["id"], "version": 1, "title": "Overgenomen" } }),
        )
        .await;
    assert_eq!(
        forbidden["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{forbidden}"
    );
}

/// The rate limiters forget callers whose limits have recovered: memory is bounded by the
/// callers of the last moments, not by every address ever seen.
#[test]
fn rate_limit_state_is_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = network_directory::config::Config::for_database(
        "sqlite::memory:",
        dir.path().to_path_buf(),
    );
    // One request per address every 6 ms: a caller is forgotten 6 ms after its request.
    config.rate_limit_ip_per_minute = 10_000;
    let limits = network_directory::http::limits::Limits::new(&config);
    for i in 0..10_000u32 {
        let ip = std::net::IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
        limits.check_ip(ip).unwrap();
    }
    assert_eq!(limits.tracked(), 10_000);
    std::thread::sleep(std::time::Duration::from_millis(50));
    limits.prune();
    assert_eq!(
        limits.tracked(),
        0,
        "every address recovered and was forgotten"
    );
}

on_both_databases!(nul_characters_are_refused_alike);

/// U+0000 in any string, literal or variable, is `BAD_USER_INPUT` on both databases (PostgreSQL
/// cannot store it; it used to answer `INTERNAL`), and nothing is written.
async fn nul_characters_are_refused_alike(app: TestApp) {
    let before = app.fingerprint().await;
    let literal = app
        .anon()
        .query(
            r#"{ organization(slug: "ggz\u0000friesland") { name } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        literal["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{literal}"
    );
    let variable = app
        .anon()
        .query(
            "query($slug: String!) { organization(slug: $slug) { name } }",
            json!({ "slug": "ggz\u{0}friesland" }),
        )
        .await;
    assert_eq!(
        variable["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{variable}"
    );
    let write = app
        .as_org("ggz-friesland")
        .await
        .query(
            "mutation($input: SubmitPostInput!) { submitPost(input: $input) { post { id } } }",
            json!({ "input": { "kind": "NEWS", "title": "Nul\u{0}byte", "body": "x", "authorName": "x" } }),
        )
        .await;
    assert_eq!(
        write["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{write}"
    );
    assert!(write.get("data").is_none(), "{write}");
    assert_eq!(app.fingerprint().await, before, "nothing written");
}

/// The database file is the owner's alone, and an erased author leaves no trace in it or in its
/// write-ahead log (`secure_delete`, and a checkpoint after every erasure).
#[tokio::test]
async fn erased_data_leaves_no_trace_in_the_files() {
    let app = TestApp::sqlite().await;
    let path = app
        .database_url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{path} is created for its owner only");
    }
    let name = "Zeldzaam Persoonsnaam Xq";
    let email = "zeldzaam.xq@example.nl";
    app.anon()
        .data(
            "mutation($input: SubmitPostInput!) { submitPost(input: $input) { userErrors { message } } }",
            json!({ "input": { "kind": "IDEA", "title": "Een idee", "body": "Meer ruimte.", "authorName": name, "authorEmail": email } }),
        )
        .await;
    let erased = app
        .as_admin()
        .data(
            "mutation($input: EraseAuthorInput!) { eraseAuthor(input: $input) { erasedPosts } }",
            json!({ "input": { "authorEmail": email } }),
        )
        .await;
    assert_eq!(erased["eraseAuthor"]["erasedPosts"], 1, "{erased}");
    for file in [path.clone(), format!("{path}-wal")] {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        for secret in [name, email] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} is still in {file}"
            );
        }
    }
}

on_both_databases!(the_request_id_reaches_the_audit_log);

/// The request id (the client's `x-request-id`, or the one the server gives) is recorded with the
/// audit entry of a write.
async fn the_request_id_reaches_the_audit_log(app: TestApp) {
    let id = app
        .id_of(
            network_directory::graphql::node::NodeType::Organization,
            "organization",
            "ggz-friesland",
        )
        .await;
    let token = app.org_token("ggz-friesland").await;
    let response = reqwest::Client::new()
        .post(format!("{}/graphql", app.base))
        .bearer_auth(token)
        .header("x-request-id", "verzoek-8-10")
        .json(&json!({
            "query": "mutation($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { organization { version } } }",
            "variables": { "input": { "id": id, "version": 1, "description": "Nieuwe beschrijving." } }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "verzoek-8-10");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["data"]["updateOrganization"]["organization"]["version"], 2,
        "{body}"
    );
    let log = app
        .as_admin()
        .data(
            "{ auditLog(first: 1) { entries { action requestId } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        log["auditLog"]["entries"][0],
        json!({ "action": "organization.update", "requestId": "verzoek-8-10" })
    );
}

on_both_databases!(a_malformed_date_is_bad_input);

/// A date that is not a date is the caller's mistake (`BAD_USER_INPUT`), never `INTERNAL`, and
/// changes nothing.
async fn a_malformed_date_is_bad_input(app: TestApp) {
    let id = app
        .id_of(
            network_directory::graphql::node::NodeType::Organization,
            "organization",
            "ggz-friesland",
        )
        .await;
    let before = app.fingerprint().await;
    for date in ["2021-13-45", "gisteren", ""] {
        let response = app
            .as_admin()
            .query(
                "mutation($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { organization { joinedOn } } }",
                json!({ "input": { "id": id, "version": 1, "joinedOn": date } }),
            )
            .await;
        let code = &response["errors"][0]["extensions"]["code"];
        assert!(
            code == "BAD_USER_INPUT" || code == "GRAPHQL_VALIDATION_FAILED",
            "{date}: {response}"
        );
        assert_ne!(code, "INTERNAL");
    }
    let revoke = app
        .as_admin()
        .query(
            "mutation { revokeToken(input: {tokenId: \"x\", expiresAt: \"2021-13-45T00:00:00Z\"}) { revokedTokenId } }",
            json!({}),
        )
        .await;
    assert_ne!(
        revoke["errors"][0]["extensions"]["code"], "INTERNAL",
        "{revoke}"
    );
    assert_eq!(app.fingerprint().await, before, "nothing changed");
}

on_both_databases!(each_problem_is_reported_once);

/// A missing field is one userError, not two.
async fn each_problem_is_reported_once(app: TestApp) {
    let response = app
        .anon()
        .data(
            "mutation($input: SubmitPostInput!) { submitPost(input: $input) { post { id } userErrors { field code } } }",
            json!({ "input": { "kind": "IDEA", "title": " ", "body": "", "authorName": "" } }),
        )
        .await;
    let errors = response["submitPost"]["userErrors"]
        .as_array()
        .unwrap()
        .clone();
    let mut seen: Vec<(String, String)> = errors
        .iter()
        .map(|e| (e["field"].to_string(), e["code"].to_string()))
        .collect();
    let all = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), all, "a problem reported twice: {errors:?}");
    assert!(
        all >= 3,
        "title, body and authorName are missing: {errors:?}"
    );
    assert_eq!(response["submitPost"]["post"], Value::Null);
}
