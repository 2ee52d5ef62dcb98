//! Tokens: what is accepted, what is refused (always `UNAUTHENTICATED`, never a silent fall back
//! to anonymous), and `viewer`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use network_directory::auth::{Claims, Role};
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::on_both_databases;

on_both_databases!(
    bad_tokens_are_refused,
    viewer_tells_who_is_calling,
    dead_subjects_kill_tokens
);

fn claims(app: &TestApp, role: Role, sub: &str) -> Claims {
    let (_, claims) = app
        .keys
        .issue(role, sub, None, std::time::Duration::from_secs(3600))
        .unwrap();
    claims
}

/// Tokens that must all be refused, by name.
pub fn bad_tokens(app: &TestApp) -> Vec<(&'static str, String)> {
    let now = chrono::Utc::now().timestamp();
    let mut expired = claims(app, Role::Admin, "steunpunt");
    expired.exp = now - 3600;
    let mut wrong_audience = claims(app, Role::Admin, "steunpunt");
    wrong_audience.aud = "another-service".to_owned();
    let mut wrong_issuer = claims(app, Role::Admin, "steunpunt");
    wrong_issuer.iss = "someone-else".to_owned();
    let mut not_yet = claims(app, Role::Admin, "steunpunt");
    not_yet.nbf = Some(now + 3600);
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims(app, Role::Admin, "steunpunt"),
        &jsonwebtoken::EncodingKey::from_secret(b"not-the-server-secret-but-long-enough-to-sign"),
    )
    .unwrap();
    let payload =
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(app, Role::Admin, "steunpunt")).unwrap());
    let alg_none = format!(
        "{}.{payload}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#)
    );
    let sign = |alg, value: &Value| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(alg),
            value,
            &jsonwebtoken::EncodingKey::from_secret(crate::common::TEST_SECRET.as_bytes()),
        )
        .unwrap()
    };
    let valid = serde_json::to_value(claims(app, Role::Admin, "steunpunt")).unwrap();
    let without = |claim: &str| {
        let mut value = valid.clone();
        value.as_object_mut().unwrap().remove(claim);
        sign(jsonwebtoken::Algorithm::HS256, &value)
    };
    // The server's own secret, but another HMAC algorithm than the pinned one.
    let hs512 = sign(jsonwebtoken::Algorithm::HS512, &valid);
    assert!(
        app.keys
            .verify(&sign(jsonwebtoken::Algorithm::HS256, &valid))
            .is_ok(),
        "the test secret is the server's"
    );
    vec![
        ("expired", app.keys.sign(&expired).unwrap()),
        ("wrong signature", forged),
        ("alg none", alg_none),
        ("wrong audience", app.keys.sign(&wrong_audience).unwrap()),
        ("wrong issuer", app.keys.sign(&wrong_issuer).unwrap()),
        ("not yet valid", app.keys.sign(&not_yet).unwrap()),
        ("other algorithm", hs512),
        ("no exp", without("exp")),
        ("no aud", without("aud")),
        ("no iss", without("iss")),
        ("no sub", without("sub")),
        ("garbage", "not.a.token".to_owned()),
    ]
}

async fn bad_tokens_are_refused(app: TestApp) {
    for (name, token) in bad_tokens(&app) {
        let (status, body) = app
            .with_token(token)
            .request(
                "{ viewer { role } organizations { totalCount } }",
                json!({}),
            )
            .await;
        assert_eq!(status, 401, "{name}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{name}"
        );
        assert!(
            body.get("data").is_none() || body["data"].is_null(),
            "{name}: no data for a bad token"
        );
    }
    // A malformed Authorization header is refused too, not ignored.
    let response = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .json(&json!({ "query": "{ viewer { role } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");

    // A revoked token is refused from the next request on.
    let (token, _) = app
        .recorded_token(Role::Partner, "trimbos-instituut", None)
        .await;
    let partner = app.with_token(token.clone());
    let jti = partner.data("{ viewer { tokenId } }", json!({})).await["viewer"]["tokenId"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = app
        .as_admin()
        .data(
            "mutation($id: String!) { revokeToken(input: {tokenId: $id}) { revokedTokenId userErrors { field } } }",
            json!({ "id": jti }),
        )
        .await;
    assert_eq!(revoked["revokeToken"]["revokedTokenId"], jti);
    let (status, body) = partner.request("{ viewer { role } }", json!({})).await;
    assert_eq!(status, 401);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("revoked")
    );
}

async fn viewer_tells_who_is_calling(app: TestApp) {
    let anon = app
        .data(
            "{ viewer { role subject organization { slug } expiresAt } }",
            json!({}),
        )
        .await;
    assert_eq!(
        anon["viewer"],
        json!({ "role": null, "subject": null, "organization": null, "expiresAt": null })
    );
    let org = app.as_org("ggz-friesland").await;
    let me = org
        .data(
            "{ viewer { role subject organization { slug name } expiresAt } }",
            json!({}),
        )
        .await;
    assert_eq!(me["viewer"]["role"], "ORGANIZATION");
    assert_eq!(me["viewer"]["organization"]["slug"], "ggz-friesland");
    let expires =
        chrono::DateTime::parse_from_rfc3339(me["viewer"]["expiresAt"].as_str().unwrap()).unwrap();
    assert!(expires > chrono::Utc::now());
    assert_eq!(
        app.as_partner()
            .data("{ viewer { role } }", json!({}))
            .await["viewer"]["role"],
        "PARTNER"
    );
    assert_eq!(
        app.as_admin().data("{ viewer { role } }", json!({})).await["viewer"]["role"],
        "ADMIN"
    );
}

async fn dead_subjects_kill_tokens(app: TestApp) {
    // An organization token of a deleted organization is dead.
    let org = app.as_org("mediant").await;
    assert_eq!(
        org.data("{ viewer { role } }", json!({})).await["viewer"]["role"],
        "ORGANIZATION"
    );
    let id = app
        .id_of(
            network_directory::graphql::node::NodeType::Organization,
            "organization",
            "mediant",
        )
        .await;
    let version = app
        .anon()
        .data("{ organization(slug: \"mediant\") { version } }", json!({}))
        .await["organization"]["version"]
        .clone();
    let deleted = app
        .as_admin()
        .data(
            "mutation($input: DeleteInput!) { deleteOrganization(input: $input) { deletedId } }",
            json!({ "input": { "id": id, "version": version } }),
        )
        .await;
    assert!(
        deleted["deleteOrganization"]["deletedId"].is_string(),
        "{deleted}"
    );
    let (status, _) = org.request("{ viewer { role } }", json!({})).await;
    assert_eq!(status, 401);
    // A partner token for a partner that does not exist is dead.
    let ghost = app.with_token(app.token(Role::Partner, "no-such-partner", None));
    assert_eq!(ghost.request("{ viewer { role } }", json!({})).await.0, 401);
    // An organization token without an `org` claim is refused.
    let orphan = app.with_token(app.token(Role::Organization, "ggz-friesland", None));
    assert_eq!(
        orphan.request("{ viewer { role } }", json!({})).await.0,
        401
    );
}
