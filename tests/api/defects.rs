//! Defects users hit (issue 8), each with the test that failed before its fix.

use serde_json::{Value, json};

use crate::common::TestApp;
use crate::on_both_databases;

on_both_databases!(a_post_one_may_not_see_is_not_found);
on_both_databases!(refused_fields_are_null_with_their_key);

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
    assert_eq!(hidden["data"], json!({ "updatePost": null }));
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
    let limits = network_directory::limits::Limits::new(&config);
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
            "{ auditLog(first: 1) { nodes { action requestId } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        log["auditLog"]["nodes"][0],
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

on_both_databases!(a_slug_the_client_did_not_send_is_not_blamed);

/// The creates make a slug from the name when none is given: an empty name is one problem of
/// `name` (never one of a `slug` the client did not send), a name without letters says so on
/// `name`, and a slug that is taken is reported on `name` too; a slug the client did send keeps
/// its own errors.
async fn a_slug_the_client_did_not_send_is_not_blamed(app: TestApp) {
    let admin = app.as_admin();
    let problems = |answer: &Value, root: &str| -> Vec<(String, String)> {
        answer[root]["userErrors"]
            .as_array()
            .unwrap_or_else(|| panic!("{answer}"))
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap().to_owned(),
                    e["code"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let cases = [
        (
            "createOrganization",
            r#"mutation($name: String!) { createOrganization(input: {name: $name}) { organization { slug } userErrors { field code message } } }"#,
        ),
        (
            "createTag",
            r#"mutation($name: String!) { createTag(input: {name: $name}) { tag { slug } userErrors { field code message } } }"#,
        ),
        (
            "createTheme",
            r#"mutation($name: String!) { createTheme(input: {name: $name}) { theme { slug } userErrors { field code message } } }"#,
        ),
        (
            "createPartner",
            r#"mutation($name: String!) { createPartner(input: {name: $name, kind: SUPPORTER, role: "Steunt", description: "Een steunende partij."}) { partner { slug } userErrors { field code message } } }"#,
        ),
    ];
    for (root, mutation) in cases {
        for (name, code) in [("", "REQUIRED"), ("  ", "REQUIRED"), ("!!!", "INVALID")] {
            let answer = admin.data(mutation, json!({ "name": name })).await;
            assert_eq!(
                problems(&answer, root),
                [("name".to_owned(), code.to_owned())],
                "{root} with name {name:?}: {answer}"
            );
        }
    }
    // A name whose slug is taken: `ggz-friesland` exists.
    let taken = admin
        .data(cases[0].1, json!({ "name": "GGZ Friesland" }))
        .await;
    assert_eq!(
        problems(&taken, "createOrganization"),
        [("name".to_owned(), "TAKEN".to_owned())],
        "{taken}"
    );
    // A slug the client sent is blamed for its own faults.
    let sent = admin
        .data(
            r#"mutation { createTag(input: {name: "Goed", slug: "Niet Goed"}) { tag { slug } userErrors { field code } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        problems(&sent, "createTag"),
        [("slug".to_owned(), "INVALID".to_owned())]
    );
}

/// The codes and paths of an answer's errors, in path order.
fn refusals(answer: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = answer["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    let path: Vec<String> = e["path"]
                        .as_array()
                        .map(|p| p.iter().map(|s| s.to_string().replace('"', "")).collect())
                        .unwrap_or_default();
                    (
                        path.join("."),
                        e["extensions"]["code"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// A field the caller may not read is `null` with its key and an error at its path; the object
/// around it stays (also when every selected field is refused), lists of non-null objects hold
/// objects, and a failing root field is `null` beside the others.
async fn refused_fields_are_null_with_their_key(app: TestApp) {
    const PROFILE: &str =
        r#"{ organization(slug: "ggz-friesland") { name contactName contactEmail } }"#;
    let anon = app.anon().query(PROFILE, json!({})).await;
    assert_eq!(
        anon["data"],
        json!({ "organization": { "name": "GGZ Friesland", "contactName": null, "contactEmail": null } }),
        "{anon}"
    );
    assert_eq!(
        refusals(&anon),
        [
            (
                "organization.contactEmail".to_owned(),
                "UNAUTHENTICATED".to_owned()
            ),
            (
                "organization.contactName".to_owned(),
                "UNAUTHENTICATED".to_owned()
            ),
        ]
    );
    // Another organization is known but not allowed; the organization itself, partners and
    // administrators read the fields.
    let other = app.as_org("dimence").await.query(PROFILE, json!({})).await;
    assert_eq!(
        other["data"]["organization"]["name"], "GGZ Friesland",
        "{other}"
    );
    assert_eq!(other["data"]["organization"]["contactName"], Value::Null);
    assert_eq!(
        refusals(&other)
            .iter()
            .map(|(_, c)| c.as_str())
            .collect::<Vec<_>>(),
        ["FORBIDDEN", "FORBIDDEN"]
    );
    for caller in [
        app.as_org("ggz-friesland").await,
        app.as_partner(),
        app.as_admin(),
    ] {
        let answer = caller.query(PROFILE, json!({})).await;
        assert!(answer.get("errors").is_none(), "{answer}");
        let profile = &answer["data"]["organization"];
        assert_eq!(profile["name"], "GGZ Friesland", "{answer}");
        // The seed records no contact person: readable, and empty.
        assert_eq!(
            profile.as_object().unwrap().get("contactName"),
            Some(&Value::Null)
        );
    }

    // Every selected field refused: the objects stay, as objects.
    let only_refused = app
        .anon()
        .query(
            "{ organizations(first: 2) { nodes { contactName } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        only_refused["data"],
        json!({ "organizations": { "nodes": [{ "contactName": null }, { "contactName": null }] } }),
        "{only_refused}"
    );

    // The author's e-mail address: administrators only.
    const EMAILS: &str = "{ posts(first: 1) { nodes { title authorEmail } } }";
    let partner = app.as_partner().query(EMAILS, json!({})).await;
    let post = partner["data"]["posts"]["nodes"][0].as_object().unwrap();
    assert!(post["title"].is_string(), "{partner}");
    assert_eq!(post.get("authorEmail"), Some(&Value::Null), "{partner}");
    assert_eq!(
        refusals(&partner),
        [(
            "posts.nodes.0.authorEmail".to_owned(),
            "FORBIDDEN".to_owned()
        )]
    );

    // Failing root fields are null beside the ones that answer.
    let roots = app
        .as_partner()
        .query(
            r#"{ a: organization(slug: "ggz-friesland") { name } b: node(id: "bad") { id } c: auditLog { nodes { action } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        roots["data"],
        json!({ "a": { "name": "GGZ Friesland" }, "b": null, "c": null }),
        "{roots}"
    );
    assert_eq!(
        refusals(&roots),
        [
            ("b".to_owned(), "BAD_USER_INPUT".to_owned()),
            ("c".to_owned(), "FORBIDDEN".to_owned()),
        ]
    );

    // A refused mutation is null; the next one still runs and answers.
    let before = app.fingerprint().await;
    let writes = app
        .anon()
        .query(
            r#"mutation { a: createTag(input: {name: "Een"}) { tag { name } } b: createTag(input: {name: "Twee"}) { tag { name } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(writes["data"], json!({ "a": null, "b": null }), "{writes}");
    assert_eq!(
        refusals(&writes),
        [
            ("a".to_owned(), "UNAUTHENTICATED".to_owned()),
            ("b".to_owned(), "UNAUTHENTICATED".to_owned()),
        ]
    );
    assert_eq!(app.fingerprint().await, before);
}

/// A request refused before it runs (it does not validate, or breaks a limit) is answered
/// without a `data` key; one that ran has it.
#[tokio::test]
async fn a_request_refused_before_running_has_no_data_key() {
    let app = TestApp::sqlite_with(|config| config.max_depth = 3).await;
    for (query, code) in [
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
        (
            "{ organizations(first: 1) { nodes { name } }",
            "GRAPHQL_PARSE_FAILED",
        ),
        (
            "{ organizations(first: 1) { nodes { regions(first: 1) { nodes { name } } } } }",
            "QUERY_TOO_COMPLEX",
        ),
    ] {
        let (status, answer) = app.anon().request(query, json!({})).await;
        assert!(answer.get("data").is_none(), "{query}: {answer}");
        assert_eq!(answer["errors"][0]["extensions"]["code"], code, "{answer}");
        assert_eq!(status, 200, "application/json answers 200: {answer}");
    }
    let (_, ran) = app
        .anon()
        .request("{ organization(slug: \"nergens\") { name } }", json!({}))
        .await;
    assert_eq!(ran["data"], json!({ "organization": null }), "{ran}");
    assert!(ran.get("errors").is_none(), "{ran}");
}
