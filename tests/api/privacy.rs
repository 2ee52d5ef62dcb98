//! Personal data: who sees which sensitive field, erasure on request, and retention.

use serde_json::{Value, json};

use crate::common::TestApp;
use crate::on_both_databases;

on_both_databases!(
    sensitive_fields_per_role,
    erasure_leaves_no_trace,
    retention_deletes_emails_and_rejected_posts,
    erasure_finds_authors_after_retention,
    older_posts_get_their_hash_at_start
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
                 auditLog(first: 100) { nodes { before after } }
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
    let report =
        network_directory::privacy::purge(&app.db, &app.email_hash_key, chrono::Utc::now(), 30)
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
    let again =
        network_directory::privacy::purge(&app.db, &app.email_hash_key, chrono::Utc::now(), 30)
            .await
            .unwrap();
    assert_eq!((again.posts_purged, again.emails_deleted), (0, 0));
}

const ERASE: &str = "mutation($email: String!) { eraseAuthor(input: {authorEmail: $email}) { erasedPosts userErrors { field } } }";

/// Retention deletes the address, but its keyed hash stays: erasure on request by the address
/// still finds the author's posts and scrubs the name (and then the hash). The address is
/// never in the hash column, and neither it nor its hash in the audit log.
async fn erasure_finds_authors_after_retention(app: TestApp) {
    let submit = r#"mutation($title: String!, $email: String) { submitPost(input: {kind: IDEA, title: $title, body: "Tekst.",
        authorName: "Anna de Vries", authorEmail: $email}) { post { id } } }"#;
    let mut ids = Vec::new();
    for (title, email) in [
        ("Eerste idee", json!("Anna.deVries@Example.ORG")),
        ("Tweede idee", json!("anna.devries@example.org")),
        ("Zonder adres", Value::Null),
    ] {
        ids.push(
            app.data(submit, json!({ "title": title, "email": email }))
                .await["submitPost"]["post"]["id"]
                .clone(),
        );
    }
    let admin = app.as_admin();
    let moderate = "mutation($id: ID!) { moderatePost(input: {id: $id, version: 1, decision: PUBLISH}) { post { status } } }";
    for id in &ids {
        admin.data(moderate, json!({ "id": id })).await;
    }
    let key = app.email_hash_key.hash("anna.devries@example.org");
    assert_eq!(key.len(), 64);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM post WHERE author_email_hash = '{key}'"
        ))
        .await,
        2,
        "both spellings of the address have the same hash"
    );
    app.sql("UPDATE post SET moderated_at = '2020-01-01 00:00:00+00:00' WHERE author_name = 'Anna de Vries'").await;
    let report =
        network_directory::privacy::purge(&app.db, &app.email_hash_key, chrono::Utc::now(), 30)
            .await
            .unwrap();
    assert_eq!(report.emails_deleted, 2);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM post WHERE author_email IS NOT NULL")
            .await,
        0,
        "the addresses are gone"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM post WHERE LOWER(author_email_hash) LIKE '%example%' OR author_email_hash LIKE '%@%'")
            .await,
        0,
        "never the address itself in the hash column"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE LOWER(CAST(before AS TEXT)) LIKE '%example.org%' \
             OR LOWER(CAST(after AS TEXT)) LIKE '%example.org%' \
             OR CAST(before AS TEXT) LIKE '%{key}%' OR CAST(after AS TEXT) LIKE '%{key}%' \
             OR CAST(before AS TEXT) LIKE '%author_email%' OR CAST(after AS TEXT) LIKE '%author_email%'"
        ))
        .await,
        0,
        "neither the address nor its hash in the audit log"
    );

    let erased = admin
        .data(ERASE, json!({ "email": "ANNA.devries@example.org " }))
        .await;
    assert_eq!(
        erased["eraseAuthor"],
        json!({ "erasedPosts": 2, "userErrors": [] })
    );
    let read = admin
        .data(
            "query($a: ID!, $b: ID!, $c: ID!) { a: post(id: $a) { authorName } b: post(id: $b) { authorName } c: post(id: $c) { authorName } }",
            json!({ "a": ids[0], "b": ids[1], "c": ids[2] }),
        )
        .await;
    assert_eq!(
        read,
        json!({ "a": { "authorName": "[verwijderd]" }, "b": { "authorName": "[verwijderd]" },
                "c": { "authorName": "Anna de Vries" } }),
        "the post written without the address keeps the name"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM post WHERE author_email_hash IS NOT NULL")
            .await,
        0,
        "erasure removes the hash too"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_log WHERE entity_type = 'post' \
             AND entity_id <> (SELECT id FROM post WHERE title = 'Zonder adres') \
             AND (CAST(before AS TEXT) LIKE '%Anna%' OR CAST(after AS TEXT) LIKE '%Anna%')"
        )
        .await,
        0,
        "the name is scrubbed from the audit log of the erased posts"
    );
}

/// Posts written before hashes existed (an address, no hash) get their hash when the server
/// starts, so erasure finds them after retention too; retention itself hashes an address it
/// is about to delete when it has none yet.
async fn older_posts_get_their_hash_at_start(app: TestApp) {
    let insert = |slug: &str, email: &str, moderated: &str| {
        format!(
            "INSERT INTO post (created_at, updated_at, version, slug, kind, title, body, author_name, author_email, status, moderated_at) \
             VALUES ('2020-01-01 00:00:00+00:00', '2020-01-01 00:00:00+00:00', 1, '{slug}', 'idea', 'Oud', 'x', 'Oude Auteur', '{email}', 'pending', {moderated})"
        )
    };
    app.sql(&insert("oud-bericht", "Oud.Adres@Example.org", "NULL"))
        .await;
    // A second server on the same database (a restart) fills in the hash at start.
    let restarted = TestApp::on_database(app.database_url.clone(), |_| {}).await;
    let key = app.email_hash_key.hash("oud.adres@example.org");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM post WHERE slug = 'oud-bericht' AND author_email_hash = '{key}'"
        ))
        .await,
        1
    );
    // Retention hashes an address it is about to delete that has no hash yet.
    app.sql(&insert(
        "ouder-bericht",
        "ander@example.org",
        "'2020-01-01 00:00:00+00:00'",
    ))
    .await;
    app.sql(
        "UPDATE post SET moderated_at = '2020-01-01 00:00:00+00:00' WHERE slug = 'oud-bericht'",
    )
    .await;
    network_directory::privacy::purge(&app.db, &app.email_hash_key, chrono::Utc::now(), 30)
        .await
        .unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM post WHERE slug IN ('oud-bericht', 'ouder-bericht') AND author_email IS NULL AND author_email_hash IS NOT NULL")
            .await,
        2
    );
    let admin = restarted.as_admin();
    for email in ["oud.adres@example.org", "ANDER@example.org"] {
        assert_eq!(
            admin.data(ERASE, json!({ "email": email })).await["eraseAuthor"]["erasedPosts"],
            1,
            "{email}"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM post WHERE author_name = 'Oude Auteur'")
            .await,
        0
    );
}

/// The key: at least 32 bytes, never printed; generated once into DATA_DIR (0600) and kept; and
/// a server whose key differs from the one the database's hashes were made with does not start.
#[tokio::test]
async fn the_email_hash_key_is_private_kept_and_shared() {
    use network_directory::config::{Config, Secret};
    use network_directory::privacy::EmailHashKey;

    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_database(
        format!("sqlite://{}?mode=rwc", dir.path().join("k.db").display()),
        dir.path().to_path_buf(),
    );
    config.jwt_secret = Some(Secret::new(crate::common::TEST_SECRET));
    config.email_hash_key = Some(Secret::new("too-short"));
    let err = EmailHashKey::from_config(&config).unwrap_err();
    assert!(format!("{err:?}").contains("32 bytes"));
    assert!(!format!("{err:?}").contains("too-short"));

    config.email_hash_key = None;
    let first = EmailHashKey::from_config(&config).unwrap();
    let path = dir.path().join("email-hash-key");
    let stored = std::fs::read_to_string(&path).unwrap();
    assert!(stored.trim().len() >= 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert_eq!(format!("{first:?}"), "EmailHashKey([redacted])");
    assert!(!format!("{config:?}").contains(stored.trim()));
    let again = EmailHashKey::from_config(&config).unwrap();
    assert_eq!(first.hash("a@example.org"), again.hash(" A@Example.org"));
    assert_ne!(
        first.hash("a@example.org"),
        EmailHashKey::new(b"another-key-that-is-at-least-32-bytes-long")
            .unwrap()
            .hash("a@example.org")
    );

    // The first server records the key's fingerprint; one with another key is refused.
    let app = network_directory::App::build(&config).await.unwrap();
    drop(app);
    config.email_hash_key = Some(Secret::new("another-key-that-is-at-least-32-bytes-long"));
    let Err(err) = network_directory::App::build(&config).await else {
        panic!("a server with another key must not start")
    };
    let said = format!("{err:?}");
    assert!(said.contains("EMAIL_HASH_KEY"), "{said}");
    assert!(!said.contains("another-key"), "{said}");
    // With the generated key again it starts.
    config.email_hash_key = None;
    network_directory::App::build(&config).await.unwrap();
}
