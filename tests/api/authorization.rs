//! The authorization matrix: every mutation × every kind of caller, asserting the response and
//! that nothing was written where nothing may be.

use network_directory::auth::Role;
use network_directory::graphql::node::NodeType;
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::on_both_databases;

on_both_databases!(every_mutation_for_every_caller);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    OtherOrganization,
    Partner,
    OwnOrganization,
    Admin,
}

use Who::*;

const EVERYONE: &[Who] = &[
    Anonymous,
    OtherOrganization,
    Partner,
    OwnOrganization,
    Admin,
];

/// The mutations, the callers allowed, and how to build a request for each at the moment.
const CASES: &[(&str, &[Who])] = &[
    ("createOrganization", &[Admin]),
    ("updateOrganization", &[OwnOrganization, Admin]),
    ("deleteOrganization", &[Admin]),
    ("createPartner", &[Admin]),
    ("updatePartner", &[Admin]),
    ("deletePartner", &[Admin]),
    ("createTheme", &[Admin]),
    ("updateTheme", &[Admin]),
    ("deleteTheme", &[Admin]),
    ("createTag", &[Admin]),
    ("updateTag", &[Admin]),
    ("deleteTag", &[Admin]),
    ("createTargetGroup", &[Admin]),
    ("updateTargetGroup", &[Admin]),
    ("deleteTargetGroup", &[Admin]),
    ("createRegion", &[Admin]),
    ("updateRegion", &[Admin]),
    ("deleteRegion", &[Admin]),
    ("submitPost", EVERYONE),
    ("updatePost", &[OwnOrganization, Admin]),
    ("moderatePost", &[Admin]),
    ("eraseAuthor", &[Admin]),
    ("revokeToken", &[Admin]),
];

async fn version(app: &TestApp, table: &str, slug: &str) -> i64 {
    app.count(&format!(
        "SELECT version FROM {table} WHERE slug = '{slug}'"
    ))
    .await
}

async fn target(app: &TestApp, node: NodeType, table: &str, slug: &str) -> Value {
    json!({ "id": app.id_of(node, table, slug).await, "version": version(app, table, slug).await })
}

/// The request for `mutation`, built from the current state of the database.
async fn request(app: &TestApp, mutation: &str, attempt: usize) -> (String, Value) {
    let q = |input_type: &str, selection: &str| {
        format!(
            "mutation($input: {input_type}!) {{ result: {mutation}(input: $input) {{ {selection} }} }}"
        )
    };
    let errors = "userErrors { field message code }";
    let merge = |mut base: Value, extra: Value| {
        base.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        base
    };
    match mutation {
        "createOrganization" => (
            q(
                "CreateOrganizationInput",
                &format!("organization {{ id }} {errors}"),
            ),
            json!({ "name": format!("Nieuwe Organisatie {attempt}") }),
        ),
        "updateOrganization" => (
            q(
                "UpdateOrganizationInput",
                &format!("organization {{ version }} {errors}"),
            ),
            merge(
                target(app, NodeType::Organization, "organization", "ggz-friesland").await,
                json!({ "description": format!("Bijgewerkt {attempt}") }),
            ),
        ),
        "deleteOrganization" => (
            q("DeleteInput", &format!("deletedId {errors}")),
            target(
                app,
                NodeType::Organization,
                "organization",
                "leger-des-heils",
            )
            .await,
        ),
        "createPartner" => (
            q("CreatePartnerInput", &format!("partner {{ id }} {errors}")),
            json!({ "name": format!("Nieuwe Partner {attempt}"), "kind": "SUPPORTER" }),
        ),
        "updatePartner" => (
            q(
                "UpdatePartnerInput",
                &format!("partner {{ version }} {errors}"),
            ),
            merge(
                target(
                    app,
                    NodeType::Partner,
                    "partner",
                    "centrum-indicatiestelling-zorg",
                )
                .await,
                json!({ "description": "Bijgewerkt" }),
            ),
        ),
        "deletePartner" => (
            q("DeleteInput", &format!("deletedId {errors}")),
            target(
                app,
                NodeType::Partner,
                "partner",
                "vereniging-van-nederlandse-gemeenten",
            )
            .await,
        ),
        "createTheme" | "createTag" | "createTargetGroup" => {
            let payload = match mutation {
                "createTheme" => "theme",
                "createTag" => "tag",
                _ => "targetGroup",
            };
            (
                q("CreateTermInput", &format!("{payload} {{ id }} {errors}")),
                json!({ "name": format!("Nieuw {attempt}") }),
            )
        }
        "updateTheme" | "updateTag" | "updateTargetGroup" => {
            let (payload, node, table, slug) = match mutation {
                "updateTheme" => ("theme", NodeType::Theme, "theme", "optrekken-met-naasten"),
                "updateTag" => ("tag", NodeType::Tag, "tag", "cocreatie"),
                _ => (
                    "targetGroup",
                    NodeType::TargetGroup,
                    "target_group",
                    "kinderen",
                ),
            };
            (
                q(
                    "UpdateTermInput",
                    &format!("{payload} {{ version }} {errors}"),
                ),
                merge(
                    target(app, node, table, slug).await,
                    json!({ "description": "Bijgewerkt" }),
                ),
            )
        }
        "deleteTheme" | "deleteTag" | "deleteTargetGroup" | "deleteRegion" => {
            let (node, table, slug) = match mutation {
                "deleteTheme" => (
                    NodeType::Theme,
                    "theme",
                    "organiseren-en-vernieuwen-medezeggenschap",
                ),
                "deleteTag" => (NodeType::Tag, "tag", "medicalisering"),
                "deleteTargetGroup" => (NodeType::TargetGroup, "target_group", "volwassenen"),
                _ => (NodeType::Region, "region", "twente"),
            };
            (
                q("DeleteInput", &format!("deletedId {errors}")),
                target(app, node, table, slug).await,
            )
        }
        "createRegion" => (
            q("CreateRegionInput", &format!("region {{ id }} {errors}")),
            json!({ "name": format!("Regio {attempt}"), "kind": "REGION", "parentId": app.id_of(NodeType::Region, "region", "overijssel").await }),
        ),
        "updateRegion" => (
            q(
                "UpdateRegionInput",
                &format!("region {{ version }} {errors}"),
            ),
            merge(
                target(app, NodeType::Region, "region", "zeeland").await,
                json!({ "name": "Zeeland" }),
            ),
        ),
        "submitPost" => (
            q("SubmitPostInput", &format!("post {{ id status }} {errors}")),
            json!({ "kind": "IDEA", "title": format!("Een idee {attempt}"), "body": "Meer samen.", "authorName": "Sam" }),
        ),
        "updatePost" => (
            q("UpdatePostInput", &format!("post {{ version }} {errors}")),
            merge(
                target(app, NodeType::Post, "post", "eigen-bericht").await,
                json!({ "body": "Aangepast." }),
            ),
        ),
        "moderatePost" => (
            q("ModeratePostInput", &format!("post {{ status }} {errors}")),
            merge(
                target(app, NodeType::Post, "post", "wacht-op-moderatie").await,
                json!({ "decision": "PUBLISH" }),
            ),
        ),
        "eraseAuthor" => (
            q("EraseAuthorInput", &format!("erasedPosts {errors}")),
            json!({ "authorEmail": "iemand@example.org" }),
        ),
        "revokeToken" => (
            q("RevokeTokenInput", &format!("revokedTokenId {errors}")),
            // Only recorded tokens can be revoked: a fresh one per attempt.
            json!({ "tokenId": app.recorded_token(Role::Partner, "trimbos-instituut", None).await.1 }),
        ),
        other => panic!("no request for {other}"),
    }
}

async fn every_mutation_for_every_caller(app: TestApp) {
    // Arrange: a post of GGZ Friesland, a pending contribution, a revoked admin token.
    app.as_org("ggz-friesland")
        .await
        .data(r#"mutation { submitPost(input: {kind: PRACTICE, title: "Eigen bericht", body: "Zo doen wij het.", authorName: "Redactie"}) { post { slug } } }"#, json!({}))
        .await;
    app.anon()
        .data(r#"mutation { submitPost(input: {title: "Wacht op moderatie", body: "Een vraag.", authorName: "Iemand", authorEmail: "iemand@example.org"}) { post { status } } }"#, json!({}))
        .await;
    let (revoked, jti) = app.recorded_token(Role::Admin, "oud-account", None).await;
    app.as_admin()
        .data(
            "mutation($id: String!) { revokeToken(input: {tokenId: $id}) { revokedTokenId } }",
            json!({ "id": jti }),
        )
        .await;

    let mut bad: Vec<(&str, String)> = crate::auth::bad_tokens(&app)
        .into_iter()
        .filter(|(name, _)| {
            ["expired", "wrong signature", "alg none", "wrong audience"].contains(name)
        })
        .collect();
    bad.push(("revoked", revoked));
    let own = app.org_token("ggz-friesland").await;
    let other = app.org_token("dimence").await;
    let partner = app.token(Role::Partner, "trimbos-instituut", None);
    let admin = app.token(Role::Admin, "steunpunt", None);
    let callers: Vec<(Who, Option<String>)> = vec![
        (Anonymous, None),
        (OtherOrganization, Some(other)),
        (Partner, Some(partner)),
        (OwnOrganization, Some(own)),
        (Admin, Some(admin)),
    ];

    let mut attempt = 0;
    for (mutation, allowed) in CASES {
        for (name, token) in &bad {
            attempt += 1;
            let (query, input) = request(&app, mutation, attempt).await;
            let before = app.fingerprint().await;
            let (status, body) = app
                .with_token(token.clone())
                .request(&query, json!({ "input": input }))
                .await;
            assert_eq!(status, 401, "{mutation} with a {name} token: {body}");
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
                "{mutation} / {name}"
            );
            assert_eq!(
                app.fingerprint().await,
                before,
                "{mutation} with a {name} token wrote something"
            );
        }
        for (who, token) in &callers {
            attempt += 1;
            let (query, input) = request(&app, mutation, attempt).await;
            let caller = match token {
                Some(token) => app.with_token(token.clone()),
                None => app.anon(),
            };
            let before = app.fingerprint().await;
            let (status, body) = caller.request(&query, json!({ "input": input })).await;
            assert_eq!(status, 200, "{mutation} by {who:?}: {body}");
            if allowed.contains(who) {
                assert!(
                    body.get("errors").is_none(),
                    "{mutation} by {who:?} must succeed: {body}"
                );
                assert_eq!(
                    body["data"]["result"]["userErrors"],
                    json!([]),
                    "{mutation} by {who:?}"
                );
                assert_ne!(
                    app.fingerprint().await,
                    before,
                    "{mutation} by {who:?} wrote nothing"
                );
            } else {
                // Without a token: log in first; with one: not allowed.
                let refusal = if token.is_none() {
                    "UNAUTHENTICATED"
                } else {
                    "FORBIDDEN"
                };
                assert_eq!(
                    body["errors"][0]["extensions"]["code"], refusal,
                    "{mutation} by {who:?}: {body}"
                );
                // The refused mutation (aliased `result`) is `null`, its key present.
                assert_eq!(
                    body["data"],
                    json!({ "result": null }),
                    "{mutation} by {who:?}"
                );
                assert_eq!(
                    app.fingerprint().await,
                    before,
                    "{mutation} by {who:?} wrote something"
                );
            }
        }
    }
}
