//! The organizations and partner bodies a post is about: `Post.organizations`, `Post.partners`,
//! and an organization's posts that include the posts about it.

use serde_json::{Value, json};

use crate::common::TestApp;
use crate::on_both_databases;
use network_directory::directory::id::NodeType;

on_both_databases!(
    no_participant_page_is_empty,
    seeded_articles_name_their_subjects,
    posts_about_an_organization_are_its_posts_too
);

/// The slugs of a connection's nodes.
fn slugs(connection: &Value) -> Vec<&str> {
    connection["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["slug"].as_str().unwrap())
        .collect()
}

async fn no_participant_page_is_empty(app: TestApp) {
    let data = app
        .data(
            "{ organizations(first: 100) { nodes { slug posts(first: 1) { nodes { slug } } } } }",
            json!({}),
        )
        .await;
    let organizations = data["organizations"]["nodes"].as_array().unwrap();
    assert_eq!(organizations.len(), 12);
    for organization in organizations {
        assert_eq!(
            organization["posts"]["nodes"].as_array().unwrap().len(),
            1,
            "{} has a post about it",
            organization["slug"]
        );
    }
}

async fn seeded_articles_name_their_subjects(app: TestApp) {
    let data = app
        .data(
            r#"{ post(slug: "terugblik-in-gesprek-met-inspectie-vws-zorgautoriteit-en-zorgkantoren") {
                   organizations { nodes { slug } } partners { nodes { slug } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        data,
        json!({ "post": {
            "organizations": { "nodes": [
                { "slug": "ggz-friesland" },
                { "slug": "ggz-noord-holland-noord" },
                { "slug": "ggz-rivierduinen" },
                { "slug": "mediant" },
            ] },
            "partners": { "nodes": [
                { "slug": "inspectie-gezondheidszorg-en-jeugd" },
                { "slug": "kenniscentrum-phrenos" },
            ] },
        } })
    );
    // An organization's page lists the articles about it, newest first.
    let data = app
        .data(
            r#"{ organization(slug: "ggz-rivierduinen") { posts { nodes { slug } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        slugs(&data["organization"]["posts"]),
        [
            "terugblik-in-gesprek-met-inspectie-vws-zorgautoriteit-en-zorgkantoren",
            "wetenswaardigheden-eerste-editie-ideeen-en-ontmoetingen",
        ]
    );
}

const SUBMIT: &str = "mutation($input: SubmitPostInput!) { submitPost(input: $input) {
    post { id slug version organizations { nodes { slug } } partners { nodes { slug } } }
    userErrors { field code } } }";

const POSTS_OF: &str =
    "query($slug: String!) { organization(slug: $slug) { posts { nodes { slug } } }
    posts(filter: { organizations: [$slug] }) { nodes { slug } } }";

async fn posts_about_an_organization_are_its_posts_too(app: TestApp) {
    let kwintes = app
        .id_of(NodeType::Organization, "organization", "kwintes")
        .await;
    let trimbos = app
        .id_of(NodeType::Partner, "partner", "trimbos-instituut")
        .await;

    // An organization publishes about another and a partner: the post is about all three.
    let own = app.as_org("ggz-friesland").await;
    let submitted = own
        .data(
            SUBMIT,
            json!({ "input": { "kind": "NEWS", "title": "Samen met Kwintes", "body": "Tekst.",
                "authorName": "Redactie", "aboutOrganizationIds": [kwintes],
                "aboutPartnerIds": [trimbos] } }),
        )
        .await;
    let post = &submitted["submitPost"]["post"];
    assert_eq!(submitted["submitPost"]["userErrors"], json!([]));
    assert_eq!(slugs(&post["organizations"]), ["ggz-friesland", "kwintes"]);
    assert_eq!(slugs(&post["partners"]), ["trimbos-instituut"]);
    let slug = post["slug"].as_str().unwrap().to_owned();
    for organization in ["ggz-friesland", "kwintes"] {
        let data = app.data(POSTS_OF, json!({ "slug": organization })).await;
        assert_eq!(
            slugs(&data["organization"]["posts"])[0],
            slug,
            "newest on {organization}'s page"
        );
        assert_eq!(slugs(&data["posts"])[0], slug, "filtered by {organization}");
    }

    // A new list replaces the others; the organization it was posted under stays.
    let updated = own
        .data(
            "mutation($input: UpdatePostInput!) { updatePost(input: $input) {
                post { organizations { nodes { slug } } partners { nodes { slug } } }
                userErrors { field code } } }",
            json!({ "input": { "id": post["id"], "version": post["version"],
                "aboutOrganizationIds": [], "aboutPartnerIds": [] } }),
        )
        .await;
    assert_eq!(
        updated["updatePost"],
        json!({ "post": {
            "organizations": { "nodes": [{ "slug": "ggz-friesland" }] },
            "partners": { "nodes": [] },
        }, "userErrors": [] })
    );
    let data = app.data(POSTS_OF, json!({ "slug": "kwintes" })).await;
    assert!(!slugs(&data["organization"]["posts"]).contains(&slug.as_str()));

    // Unknown and malformed IDs are user errors on the field; nothing is written.
    let refused = own
        .data(
            SUBMIT,
            json!({ "input": { "title": "Over niemand", "body": "Tekst.", "authorName": "R",
                "aboutOrganizationIds": [trimbos], "aboutPartnerIds": ["nee"] } }),
        )
        .await;
    assert_eq!(
        refused["submitPost"],
        json!({ "post": null, "userErrors": [
            { "field": "aboutOrganizationIds", "code": "INVALID" },
            { "field": "aboutPartnerIds", "code": "INVALID" },
        ] })
    );

    // A contribution about an organization shows on its page once published, not before.
    let contributed = app
        .anon()
        .data(
            SUBMIT,
            json!({ "input": { "title": "Een idee voor Kwintes", "body": "Tekst.",
                "authorName": "Een bezoeker", "aboutOrganizationIds": [kwintes] } }),
        )
        .await;
    let contribution = &contributed["submitPost"]["post"];
    assert_eq!(slugs(&contribution["organizations"]), ["kwintes"]);
    let data = app.data(POSTS_OF, json!({ "slug": "kwintes" })).await;
    assert!(!slugs(&data["organization"]["posts"]).contains(&"een-idee-voor-kwintes"));
    assert!(!slugs(&data["posts"]).contains(&"een-idee-voor-kwintes"));
    let id = contribution["id"].clone();
    let moderated = app
        .as_admin()
        .data(
            "mutation($input: ModeratePostInput!) { moderatePost(input: $input) { post { slug } } }",
            json!({ "input": { "id": id, "version": 1, "decision": "PUBLISH" } }),
        )
        .await;
    assert_eq!(
        moderated["moderatePost"]["post"]["slug"],
        "een-idee-voor-kwintes"
    );
    let data = app.data(POSTS_OF, json!({ "slug": "kwintes" })).await;
    assert_eq!(
        slugs(&data["organization"]["posts"])[0],
        "een-idee-voor-kwintes"
    );
    assert_eq!(slugs(&data["posts"])[0], "een-idee-voor-kwintes");
}
