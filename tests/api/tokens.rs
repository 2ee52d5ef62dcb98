//! Issued tokens (issue 8, point 15): the `token` command records what it issues, administrators
//! list the record, and only a recorded token can be revoked, with its ID in the audit log.

use std::process::Command;

use network_directory::auth::Role;
use serde_json::{Value, json};

use crate::common::{TEST_SECRET, TestApp};
use crate::on_both_databases;

on_both_databases!(
    revoking_an_unknown_token_is_not_found,
    revoking_a_recorded_token_audits_its_id,
    admins_list_issued_tokens,
    only_admins_list_issued_tokens,
    the_token_command_records_what_it_issues
);

const REVOKE: &str = "mutation($id: String!) { revokeToken(input: {tokenId: $id}) { revokedTokenId userErrors { field } } }";

const LIST: &str = "query($first: Int, $after: String, $filter: IssuedTokenFilter) {
    issuedTokens(first: $first, after: $after, filter: $filter) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node { tokenId subject role organization { slug } issuedAt expiresAt revoked revokedAt revokedBy } }
    } }";

/// An ID that was never recorded is `NOT_FOUND`, and nothing is written: neither a revocation
/// nor an audit entry. A token signed with the server's key but never recorded (as an external
/// issuer's would be) cannot be revoked either, and keeps working.
async fn revoking_an_unknown_token_is_not_found(app: TestApp) {
    let admin = app.as_admin();
    let before = app.fingerprint().await;
    let unknown = admin
        .query(REVOKE, json!({ "id": "nooit-uitgegeven" }))
        .await;
    assert_eq!(
        unknown["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{unknown}"
    );
    assert_eq!(unknown["errors"][0]["message"], "token not found");
    assert_eq!(unknown["data"]["revokeToken"], Value::Null, "{unknown}");
    assert_eq!(app.fingerprint().await, before, "nothing was written");

    let unrecorded = app.with_token(app.token(Role::Partner, "trimbos-instituut", None));
    let jti = unrecorded.data("{ viewer { tokenId } }", json!({})).await["viewer"]["tokenId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        admin.error_code(REVOKE, json!({ "id": jti })).await,
        "NOT_FOUND"
    );
    assert_eq!(app.fingerprint().await, before, "nothing was written");
    assert_eq!(
        unrecorded.data("{ viewer { role } }", json!({})).await["viewer"]["role"],
        "PARTNER"
    );
}

/// Revoking a recorded token writes an audit entry that names it, and the token is refused from
/// the next request on. Revoking it again changes nothing.
async fn revoking_a_recorded_token_audits_its_id(app: TestApp) {
    let (token, jti) = app
        .recorded_token(Role::Partner, "trimbos-instituut", None)
        .await;
    let partner = app.with_token(token.clone());
    assert_eq!(
        partner.data("{ viewer { tokenId } }", json!({})).await["viewer"]["tokenId"],
        jti
    );
    let admin = app.as_admin();
    let revoked = admin.data(REVOKE, json!({ "id": jti })).await;
    assert_eq!(
        revoked["revokeToken"],
        json!({ "revokedTokenId": jti, "userErrors": [] })
    );
    let (status, refused) = partner.request("{ viewer { role } }", json!({})).await;
    assert_eq!(status, 401, "{refused}");
    assert_eq!(
        refused["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("revoked")
    );

    let log = admin
        .data(
            "{ auditLog(first: 1) { nodes { action entityType actor actorRole before after } } }",
            json!({}),
        )
        .await;
    let entry = &log["auditLog"]["nodes"][0];
    assert_eq!(entry["action"], "token.revoke", "{log}");
    assert_eq!(entry["entityType"], "token");
    assert_eq!(entry["actor"], "steunpunt");
    assert_eq!(entry["actorRole"], "admin");
    assert_eq!(entry["before"]["jti"], jti, "{entry}");
    assert_eq!(entry["before"]["revoked_at"], Value::Null);
    assert_eq!(entry["after"]["jti"], jti, "{entry}");
    assert_eq!(entry["after"]["subject"], "trimbos-instituut");
    assert!(entry["after"]["revoked_at"].is_string(), "{entry}");
    assert!(
        !log.to_string().contains(&token),
        "the token itself is never written"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM revoked_token WHERE jti = '{jti}'"
        ))
        .await,
        1
    );

    let before = app.fingerprint().await;
    assert_eq!(
        admin.data(REVOKE, json!({ "id": jti })).await["revokeToken"]["revokedTokenId"],
        jti,
        "revoking again is no error"
    );
    assert_eq!(
        app.fingerprint().await,
        before,
        "and writes nothing (no second audit entry)"
    );
}

/// Administrators list the recorded tokens newest first, page by page, filtered by subject or
/// revocation, with subject, role, organization and times; never the token itself.
async fn admins_list_issued_tokens(app: TestApp) {
    let friesland = app
        .count("SELECT CAST(id AS BIGINT) FROM organization WHERE slug = 'ggz-friesland'")
        .await as i32;
    let (admin_token, admin_jti) = app.recorded_token(Role::Admin, "beheer", None).await;
    let (_, partner_jti) = app
        .recorded_token(Role::Partner, "trimbos-instituut", None)
        .await;
    let (org_token, org_jti) = app
        .recorded_token(Role::Organization, "ggz-friesland", Some(friesland))
        .await;
    let admin = app.as_admin();
    admin.data(REVOKE, json!({ "id": partner_jti })).await;

    let first = admin.data(LIST, json!({ "first": 2 })).await;
    let list = &first["issuedTokens"];
    assert_eq!(list["totalCount"], 3, "{first}");
    assert_eq!(list["pageInfo"]["hasNextPage"], true);
    let ids: Vec<&Value> = list["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"]["tokenId"])
        .collect();
    assert_eq!(ids, [&json!(org_jti), &json!(partner_jti)], "newest first");
    let org = &list["edges"][0]["node"];
    assert_eq!(org["subject"], "ggz-friesland");
    assert_eq!(org["role"], "ORGANIZATION");
    assert_eq!(org["organization"], json!({ "slug": "ggz-friesland" }));
    assert_eq!(org["revoked"], false);
    assert_eq!(org["revokedAt"], Value::Null);
    let issued = chrono::DateTime::parse_from_rfc3339(org["issuedAt"].as_str().unwrap()).unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(org["expiresAt"].as_str().unwrap()).unwrap();
    assert_eq!((expires - issued).num_seconds(), 3600);
    let partner = &list["edges"][1]["node"];
    assert_eq!(partner["revoked"], true);
    assert_eq!(partner["revokedBy"], "steunpunt");
    assert!(partner["revokedAt"].is_string());

    let second = admin
        .data(
            LIST,
            json!({ "first": 2, "after": list["pageInfo"]["endCursor"] }),
        )
        .await;
    let rest = &second["issuedTokens"];
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);
    assert_eq!(rest["edges"].as_array().unwrap().len(), 1);
    assert_eq!(
        rest["edges"][0]["node"],
        json!({ "tokenId": admin_jti, "subject": "beheer", "role": "ADMIN", "organization": null,
                "issuedAt": rest["edges"][0]["node"]["issuedAt"], "expiresAt": rest["edges"][0]["node"]["expiresAt"],
                "revoked": false, "revokedAt": null, "revokedBy": null })
    );

    let revoked = admin
        .data(LIST, json!({ "filter": { "revoked": true } }))
        .await;
    assert_eq!(revoked["issuedTokens"]["totalCount"], 1);
    assert_eq!(
        revoked["issuedTokens"]["edges"][0]["node"]["tokenId"],
        partner_jti
    );
    let live = admin
        .data(LIST, json!({ "filter": { "revoked": false } }))
        .await;
    assert_eq!(live["issuedTokens"]["totalCount"], 2);
    let by_subject = admin
        .data(LIST, json!({ "filter": { "subject": "beheer" } }))
        .await;
    assert_eq!(by_subject["issuedTokens"]["totalCount"], 1);
    assert_eq!(
        by_subject["issuedTokens"]["edges"][0]["node"]["tokenId"],
        admin_jti
    );

    let text = format!("{first}{second}{revoked}{live}{by_subject}");
    assert!(!text.contains(&admin_token) && !text.contains(&org_token));
    // A cursor of another list is refused as bad input.
    let bad = admin
        .query(LIST, json!({ "after": "bm90LWEtY3Vyc29y" }))
        .await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

/// Anonymous callers must log in; organizations and partners may not: the field is `null` with
/// its error, and nothing of the record is shown.
async fn only_admins_list_issued_tokens(app: TestApp) {
    app.recorded_token(Role::Partner, "trimbos-instituut", None)
        .await;
    let query = "{ issuedTokens(first: 5) { totalCount nodes { tokenId subject } } }";
    let anon = app.anon();
    let partner = app.as_partner();
    let org = app.as_org("ggz-friesland").await;
    for (who, caller, code) in [
        ("anonymous", &anon, "UNAUTHENTICATED"),
        ("a partner", &partner, "FORBIDDEN"),
        ("an organization", &org, "FORBIDDEN"),
    ] {
        let response = caller.query(query, json!({})).await;
        assert_eq!(
            response["data"],
            json!({ "issuedTokens": null }),
            "{who}: {response}"
        );
        let errors = response["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{who}: {response}");
        assert_eq!(errors[0]["extensions"]["code"], code, "{who}");
        assert_eq!(errors[0]["path"], json!(["issuedTokens"]), "{who}");
        assert!(!response.to_string().contains("trimbos"), "{who}");
    }
    let listed = app.as_admin().data(query, json!({})).await;
    assert_eq!(listed["issuedTokens"]["totalCount"], 1);
}

/// End to end: a token issued by the `token` command is in the record, with its subject, role
/// and organization, and can be revoked by the ID the list shows.
async fn the_token_command_records_what_it_issues(app: TestApp) {
    let out = Command::new(env!("CARGO_BIN_EXE_network-directory"))
        .args([
            "token",
            "--role",
            "organization",
            "--org",
            "dimence",
            "--ttl",
            "30d",
        ])
        .env("DATABASE_URL", &app.database_url)
        .env("JWT_SECRET", TEST_SECRET)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let dimence = app.with_token(token.clone());
    assert_eq!(
        dimence.data("{ viewer { role } }", json!({})).await["viewer"]["role"],
        "ORGANIZATION"
    );

    let admin = app.as_admin();
    let listed = admin.data(LIST, json!({})).await;
    let node = &listed["issuedTokens"]["edges"][0]["node"];
    assert_eq!(listed["issuedTokens"]["totalCount"], 1, "{listed}");
    assert_eq!(node["subject"], "dimence");
    assert_eq!(node["role"], "ORGANIZATION");
    assert_eq!(node["organization"], json!({ "slug": "dimence" }));
    assert_eq!(node["revoked"], false);
    let issued = chrono::DateTime::parse_from_rfc3339(node["issuedAt"].as_str().unwrap()).unwrap();
    let expires =
        chrono::DateTime::parse_from_rfc3339(node["expiresAt"].as_str().unwrap()).unwrap();
    assert_eq!((expires - issued).num_days(), 30);
    assert!(
        !listed.to_string().contains(&token),
        "never the token itself"
    );

    let jti = node["tokenId"].clone();
    assert_eq!(
        admin.data(REVOKE, json!({ "id": jti })).await["revokeToken"]["revokedTokenId"],
        jti
    );
    let (status, _) = dimence.request("{ viewer { role } }", json!({})).await;
    assert_eq!(status, 401, "revoked without the command's log line");
}

/// The command refuses a database the server has not migrated to this version: it says so, and
/// prints no token it could not record.
#[test]
fn the_token_command_needs_a_migrated_database() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("old.db");
    std::fs::File::create(&file).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_network-directory"))
        .args(["token", "--role", "admin"])
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", file.display()),
        )
        .env("JWT_SECRET", TEST_SECRET)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no token");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("not up to date"), "{said}");
    assert!(said.contains("network-directory migrate"), "{said}");
}
