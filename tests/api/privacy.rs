//! Personal data: who sees which sensitive field, erasure on request, and retention.

use serde_json::{Value, json};

use crate::common::TestApp;
use crate::on_both_databases;

on_both_databases!(
    sensitive_fields_per_role,
    erasure_leaves_no_trace,
    retention_deletes_emails_and_rejected_posts
);

async fn sensitive_fields_per_role(app: TestApp) {
    app.sql("UPDATE organization SET contact_email = 'contact@ggzfriesland.example' WHERE slug = 'ggz-friesland'").await;
    app.sql("UPDATE partner SET contact_email = 'contact@trimbos.example' WHERE slug = 'trimbos-instituut'").await;
    let org_query = r#"{ organization(slug: "ggz-friesland") { name contactEmail } }"#;
    let partner_query = r#"{ partner(slug: "trimbos-instituut") { name contactEmail } }"#;
    let own = app.as_org("ggz-friesland").await;
    let other = app.as_org("dimence").await;
    let partner = app.as_partner();
    let admin = app.as_admin();
    let anon = app.anon();
    for (who, caller, sees_org, sees_partner) in [
        ("anonymous", &anon, false, false),
        ("another organization", &other, false, false),
        ("the organization itself", &own, true, false),
        ("a partner", &partner, true, true),
        ("an administrator", &admin, true, true),
    ] {
        for (query, sees, expected) in [
            (org_query, sees_org, "contact@ggzfriesland.example"),
            (partner_query, sees_partner, "contact@trimbos.example"),
        ] {
            let response = caller.query(query, json!({})).await;
            let object = response["data"]
                .as_object()
                .unwrap()
                .values()
                .next()
                .unwrap()
                .clone();
            if sees {
                assert!(response.get("errors").is_none(), "{who}: {response}");
                assert_eq!(object["contactEmail"], expected, "{who}");
            } else {
                let refusal = if who == "anonymous" {
                    "UNAUTHENTICATED"
                } else {
                    "FORBIDDEN"
                };
                assert_eq!(
                    response["errors"][0]["extensions"]["code"], refusal,
                    "{who}: {response}"
                );
                assert!(
                    !response.to_string().contains(expected),
                    "{who} must not see it"
                );
                assert!(
                    object.is_null() || object["contactEmail"].is_null(),
                    "{who}"
                );
            }
        }
    }
    // An organization sees its own pending posts; nobody else but administrators does.
    app.sql(
        "INSERT INTO post (created_at, updated_at, version, slug, kind, title, body, author_name, organization_id, status) \
         SELECT '2030-01-01 00:00:00+00:00', '2030-01-01 00:00:00+00:00', 1, 'concept', 'blog', 'Concept', 'x', 'Redactie', id, 'pending' \
         FROM organization WHERE slug = 'ggz-friesland'",
    )
    .await;
    let pending = r#"{ posts(filter: {statuses: [PENDING]}) { nodes { slug } } }"#;
    for (who, caller, sees) in [
        ("own", &own, true),
        ("other", &other, false),
        ("partner", &partner, false),
        ("anonymous", &anon, false),
        ("admin", &admin, true),
    ] {
        let data = caller.data(pending, json!({})).await;
        assert_eq!(
            data["posts"]["nodes"].as_array().unwrap().len(),
            usize::from(sees),
            "{who}"
        );
    }
    // The author's e-mail address: administrators only.
    app.sql("UPDATE post SET author_email = 'redactie@example.org' WHERE slug = 'concept'")
        .await;
    let email = r#"{ post(slug: "concept") { authorEmail } }"#;
    assert_eq!(own.error_code(email, json!({})).await, "FORBIDDEN");
    assert_eq!(
        admin.data(email, json!({})).await["post"]["authorEmail"],
        "redactie@example.org"
    );
}

async fn erasure_leaves_no_trace(app: TestApp) {
    let submit = r#"mutation($title: String!) { submitPost(input: {kind: QUESTION, title: $title, body: "Mijn vraag.",
        authorName: "Marieke Jansen", authorEmail: "Marieke@Example.org"}) { post { id version } } }"#;
    let first =
        app.data(submit, json!({ "title": "Eerste vraag" })).await["submitPost"]["post"].clone();
    let second =
        app.data(submit, json!({ "title": "Tweede vraag" })).await["submitPost"]["post"].clone();
    let admin = app.as_admin();
    admin
        .data(
            "mutation($id: ID!) { moderatePost(input: {id: $id, version: 1, decision: PUBLISH}) { post { status } } }",
            json!({ "id": first["id"] }),
        )
        .await;
    admin
        .data(
            "mutation($id: ID!) { updatePost(input: {id: $id, version: 2, body: \"Mijn vraag, verduidelijkt.\"}) { post { version } } }",
            json!({ "id": first["id"] }),
        )
        .await;
    let erased = admin
        .data("mutation { eraseAuthor(input: {authorEmail: \"marieke@example.org\"}) { erasedPosts userErrors { field } } }", json!({}))
        .await;
    assert_eq!(erased["eraseAuthor"]["erasedPosts"], 2);

    // Nowhere a query can reach: the posts, the moderation queue, the audit log.
    let everything = admin
        .data(
            r#"query($a: ID!, $b: ID!) {
                 a: post(id: $a) { authorName authorEmail } b: post(id: $b) { authorName authorEmail }
                 posts(first: 100, filter: {statuses: [PUBLISHED, PENDING, REJECTED]}) { nodes { authorName authorEmail } }
                 auditLog(first: 100) { entries { before after } }
               }"#,
            json!({ "a": first["id"], "b": second["id"] }),
        )
        .await;
    let text = everything.to_string().to_lowercase();
    assert!(!text.contains("marieke"), "the name is gone: {everything}");
    assert!(!text.contains("jansen"));
    assert!(!text.contains("example.org"), "the e-mail address is gone");
    assert_eq!(everything["a"]["authorName"], "[verwijderd]");
    assert_eq!(everything["a"]["authorEmail"], Value::Null);
    // And not in the database either.
    assert_eq!(app.count("SELECT COUNT(*) FROM post WHERE author_name LIKE '%Marieke%' OR author_email IS NOT NULL").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE CAST(before AS TEXT) LIKE '%Marieke%' OR CAST(after AS TEXT) LIKE '%Marieke%' OR CAST(after AS TEXT) LIKE '%xample.org%'").await,
        0
    );
    // Erasing needs an e-mail address or posts.
    assert_eq!(
        admin
            .error_code(
                "mutation { eraseAuthor(input: {}) { erasedPosts } }",
                json!({})
            )
            .await,
        "BAD_USER_INPUT"
    );
}

async fn retention_deletes_emails_and_rejected_posts(app: TestApp) {
    let submit = r#"mutation($title: String!) { submitPost(input: {title: $title, body: "Tekst.", authorName: "Piet", authorEmail: "piet@example.org"}) { post { id } } }"#;
    let kept =
        app.data(submit, json!({ "title": "Goed idee" })).await["submitPost"]["post"]["id"].clone();
    let rejected =
        app.data(submit, json!({ "title": "Spam" })).await["submitPost"]["post"]["id"].clone();
    let fresh =
        app.data(submit, json!({ "title": "Nieuw idee" })).await["submitPost"]["post"]["id"]
            .clone();
    let admin = app.as_admin();
    let moderate = "mutation($id: ID!, $d: ModerationDecision!) { moderatePost(input: {id: $id, version: 1, decision: $d}) { post { status } } }";
    admin
        .data(moderate, json!({ "id": kept, "d": "PUBLISH" }))
        .await;
    admin
        .data(moderate, json!({ "id": rejected, "d": "REJECT" }))
        .await;
    admin
        .data(moderate, json!({ "id": fresh, "d": "PUBLISH" }))
        .await;
    // Thirty-one days later for the first two; the third was moderated just now.
    app.sql("UPDATE post SET moderated_at = '2020-01-01 00:00:00+00:00' WHERE title IN ('Goed idee', 'Spam')").await;
    let report = network_directory::privacy::purge(&app.db, chrono::Utc::now(), 30)
        .await
        .unwrap();
    assert_eq!(report.posts_purged, 1);
    assert_eq!(report.emails_deleted, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM post WHERE title = 'Spam'")
            .await,
        0,
        "rejected and purged"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM post WHERE title = 'Goed idee' AND author_email IS NULL")
            .await,
        1
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM post WHERE title = 'Nieuw idee' AND author_email IS NOT NULL"
        )
        .await,
        1,
        "within the period"
    );
    let published = app
        .data(
            r#"query($id: ID!) { post(id: $id) { title authorName } }"#,
            json!({ "id": kept }),
        )
        .await;
    assert_eq!(
        published["post"],
        json!({ "title": "Goed idee", "authorName": "Piet" })
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM change_feed WHERE entity_type = 'post' AND operation = 'delete'"
        )
        .await,
        1
    );
    // Running it again finds nothing more.
    let again = network_directory::privacy::purge(&app.db, chrono::Utc::now(), 30)
        .await
        .unwrap();
    assert_eq!((again.posts_purged, again.emails_deleted), (0, 0));
}
