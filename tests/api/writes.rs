//! Writing: an organization edits its own profile, bad input changes nothing, stale versions
//! conflict (exactly one of many parallel writers wins), contributions and moderation.

use network_directory::graphql::node::NodeType;
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::on_both_databases;

on_both_databases!(
    an_organization_edits_its_own_profile,
    an_organization_cannot_touch_another,
    bad_input_is_refused_and_changes_nothing,
    parallel_updates_with_one_version_have_one_winner,
    erasure_beside_updates_never_deadlocks,
    contributions_wait_for_moderation,
    admins_curate_the_directory,
    the_audit_log_pages_like_every_list,
);

const UPDATE: &str = r#"mutation($input: UpdateOrganizationInput!) {
  updateOrganization(input: $input) {
    organization {
      version description website contactEmail careDomains
      regions { nodes { slug } } targetGroups { nodes { slug } } themes { nodes { slug } }
    }
    userErrors { field message code }
  }
}"#;

async fn an_organization_edits_its_own_profile(app: TestApp) {
    let org = app.as_org("ggz-friesland").await;
    let id = app
        .id_of(NodeType::Organization, "organization", "ggz-friesland")
        .await;
    let input = json!({
        "id": id,
        "version": 1,
        "description": "Wij werken **samen** met cliënten en naasten. <script>alert(1)</script>",
        "website": "https://www.ggzfriesland.nl/",
        "contactName": "Anna de Vries",
        "contactEmail": "anna@example.org",
        "regionIds": [app.id_of(NodeType::Region, "region", "friesland").await, app.id_of(NodeType::Region, "region", "groningen").await],
        "targetGroupIds": [app.id_of(NodeType::TargetGroup, "target_group", "kinderen").await],
        "careDomains": ["MENTAL_HEALTH_CARE", "ADDICTION_CARE"],
        "themeIds": [app.id_of(NodeType::Theme, "theme", "optrekken-met-naasten").await],
    });
    let data = org.data(UPDATE, json!({ "input": input })).await;
    let result = &data["updateOrganization"];
    assert_eq!(result["userErrors"], json!([]));
    let saved = &result["organization"];
    assert_eq!(saved["version"], 2);
    assert_eq!(
        saved["description"], input["description"],
        "HTML-ish text is stored as text"
    );
    assert_eq!(saved["contactEmail"], "anna@example.org");
    assert_eq!(
        saved["careDomains"],
        json!(["MENTAL_HEALTH_CARE", "ADDICTION_CARE"])
    );
    assert_eq!(
        saved["regions"]["nodes"],
        json!([{ "slug": "friesland" }, { "slug": "groningen" }])
    );
    assert_eq!(
        saved["targetGroups"]["nodes"],
        json!([{ "slug": "kinderen" }])
    );
    assert_eq!(
        saved["themes"]["nodes"],
        json!([{ "slug": "optrekken-met-naasten" }])
    );

    // Publicly visible, and filterable by the new province.
    let public = app
        .data(
            r#"{ organizations(filter: {regions: ["groningen"]}) { nodes { slug website } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        public["organizations"]["nodes"],
        json!([{ "slug": "ggz-friesland", "website": "https://www.ggzfriesland.nl/" }])
    );

    // `null` clears an optional field; fields not given stay.
    let cleared = org
        .data(
            UPDATE,
            json!({ "input": { "id": id, "version": 2, "website": null } }),
        )
        .await;
    assert_eq!(
        cleared["updateOrganization"]["organization"]["website"],
        Value::Null
    );
    assert_eq!(
        cleared["updateOrganization"]["organization"]["contactEmail"],
        "anna@example.org"
    );

    // It publishes a post under its own name, at once.
    let post = org
        .data(
            r#"mutation { submitPost(input: {kind: PRACTICE, title: "Herstel in de wijk", body: "Wat wij doen.", authorName: "Redactie GGZ Friesland"}) {
                 post { id status organization { slug } } userErrors { field } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(post["submitPost"]["post"]["status"], "PUBLISHED");
    assert_eq!(
        post["submitPost"]["post"]["organization"]["slug"],
        "ggz-friesland"
    );
    let listed = app
        .data(
            r#"{ organization(slug: "ggz-friesland") { posts { nodes { title } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        listed["organization"]["posts"]["nodes"][0]["title"],
        "Herstel in de wijk"
    );

    // The audit log has who changed what, with before and after values.
    let audit = app
        .as_admin()
        .data(
            r#"query($id: ID!) { auditLog(filter: {organizationId: $id}, first: 5) { nodes { action actor actorRole before after } } }"#,
            json!({ "id": id }),
        )
        .await;
    let entries = audit["auditLog"]["nodes"].as_array().unwrap();
    let update = entries
        .iter()
        .find(|e| e["action"] == "organization.update" && e["after"]["website"].is_string())
        .unwrap();
    assert_eq!(update["actor"], "ggz-friesland");
    assert_eq!(update["actorRole"], "organization");
    assert_eq!(update["before"]["version"], 1);
    assert_eq!(update["after"]["version"], 2);
    assert_eq!(update["before"]["contact_email"], Value::Null);
    assert_eq!(update["after"]["contact_email"], "anna@example.org");
    // Its links as written: two regions, one target group, one theme, two care domains.
    for (field, n) in [
        ("regionIds", 2),
        ("targetGroupIds", 1),
        ("themeIds", 1),
        ("careDomains", 2),
    ] {
        assert_eq!(
            update["after"][field].as_array().map(Vec::len),
            Some(n),
            "{field}: {update}"
        );
    }
    // The next write left the links: it records them as they were, before and after.
    let cleared = entries
        .iter()
        .find(|e| e["action"] == "organization.update" && e["after"]["version"] == 3)
        .unwrap();
    assert_eq!(cleared["after"]["website"], Value::Null);
    for field in [
        "regionIds",
        "targetGroupIds",
        "themeIds",
        "tagIds",
        "careDomains",
    ] {
        assert_eq!(cleared["before"][field], update["after"][field], "{field}");
        assert_eq!(cleared["after"][field], update["after"][field], "{field}");
    }
}

async fn an_organization_cannot_touch_another(app: TestApp) {
    let org = app.as_org("ggz-friesland").await;
    let dimence = app
        .id_of(NodeType::Organization, "organization", "dimence")
        .await;
    let own = app
        .id_of(NodeType::Organization, "organization", "ggz-friesland")
        .await;
    let before = app.fingerprint().await;
    let code = org
        .error_code(
            UPDATE,
            json!({ "input": { "id": dimence, "version": 1, "description": "Overgenomen" } }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    let code = org
        .error_code(
            "mutation($org: ID!) { submitPost(input: {kind: NEWS, title: \"Namens Dimence\", body: \"x\", authorName: \"x\", organizationId: $org}) { post { id } } }",
            json!({ "org": dimence }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    let theme = app
        .id_of(NodeType::Theme, "theme", "optrekken-met-naasten")
        .await;
    let code = org
        .error_code("mutation($id: ID!) { updateTheme(input: {id: $id, version: 1, name: \"Anders\"}) { theme { name } } }", json!({ "id": theme }))
        .await;
    assert_eq!(code, "FORBIDDEN");
    // Its own slug and status are the support point's.
    let code = org
        .error_code(
            UPDATE,
            json!({ "input": { "id": own, "version": 1, "status": "FORMER" } }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(app.fingerprint().await, before, "nothing changed");
    let dimence_now = app
        .data(
            r#"{ organization(slug: "dimence") { description version } }"#,
            json!({}),
        )
        .await;
    assert_eq!(dimence_now["organization"]["version"], 1);
}

async fn bad_input_is_refused_and_changes_nothing(app: TestApp) {
    let admin = app.as_admin();
    let friesland = app
        .id_of(NodeType::Organization, "organization", "ggz-friesland")
        .await;
    let theme = app
        .id_of(NodeType::Theme, "theme", "optrekken-met-naasten")
        .await;
    let partner = app.id_of(NodeType::Partner, "partner", "cz").await;
    let region = app.id_of(NodeType::Region, "region", "utrecht").await;
    let long = "x".repeat(201);
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "mutation($input: CreateOrganizationInput!) { r: createOrganization(input: $input) { organization { id } userErrors { field code } } }",
            json!({ "name": "  " }),
            "name",
            "REQUIRED",
        ),
        (
            "mutation($input: CreateOrganizationInput!) { r: createOrganization(input: $input) { organization { id } userErrors { field code } } }",
            json!({ "name": "Arkin" }),
            "name", // the slug made from it is taken
            "TAKEN",
        ),
        (
            "mutation($input: CreateOrganizationInput!) { r: createOrganization(input: $input) { organization { id } userErrors { field code } } }",
            json!({ "name": "Nieuw", "slug": "Niet Goed" }),
            "slug",
            "INVALID",
        ),
        (
            "mutation($input: CreateOrganizationInput!) { r: createOrganization(input: $input) { organization { id } userErrors { field code } } }",
            json!({ "name": "Nieuw", "website": "javascript:alert(1)" }),
            "website",
            "INVALID",
        ),
        (
            "mutation($input: CreateOrganizationInput!) { r: createOrganization(input: $input) { organization { id } userErrors { field code } } }",
            json!({ "name": "Nieuw", "regionIds": [theme] }),
            "regionIds",
            "INVALID",
        ),
        (
            "mutation($input: UpdateOrganizationInput!) { r: updateOrganization(input: $input) { organization { id } userErrors { field code } } }",
            json!({ "id": friesland, "version": 1, "name": long }),
            "name",
            "TOO_LONG",
        ),
        (
            "mutation($input: UpdateOrganizationInput!) { r: updateOrganization(input: $input) { organization { id } userErrors { field code } } }",
            json!({ "id": friesland, "version": 1, "contactEmail": "geen-adres" }),
            "contactEmail",
            "INVALID",
        ),
        (
            "mutation($input: UpdateOrganizationInput!) { r: updateOrganization(input: $input) { organization { id } userErrors { field code } } }",
            json!({ "id": friesland, "version": 1, "themeIds": ["VGhlbWU6OTk5OTk"] }),
            "themeIds",
            "NOT_FOUND",
        ),
        (
            "mutation($input: CreatePartnerInput!) { r: createPartner(input: $input) { partner { id } userErrors { field code } } }",
            json!({ "name": "", "kind": "SUPPORTER" }),
            "name",
            "REQUIRED",
        ),
        (
            "mutation($input: UpdatePartnerInput!) { r: updatePartner(input: $input) { partner { id } userErrors { field code } } }",
            json!({ "id": partner, "version": 1, "publicEmail": "x@" }),
            "publicEmail",
            "INVALID",
        ),
        (
            "mutation($input: CreateTermInput!) { r: createTheme(input: $input) { theme { id } userErrors { field code } } }",
            json!({ "name": "Optrekken met naasten" }),
            "name", // the slug made from it is taken
            "TAKEN",
        ),
        (
            "mutation($input: UpdateTermInput!) { r: updateTag(input: $input) { tag { id } userErrors { field code } } }",
            json!({ "id": app.id_of(NodeType::Tag, "tag", "nza").await, "version": 1, "name": "" }),
            "name",
            "REQUIRED",
        ),
        (
            "mutation($input: CreateTermInput!) { r: createTargetGroup(input: $input) { targetGroup { id } userErrors { field code } } }",
            json!({ "name": long }),
            "name",
            "TOO_LONG",
        ),
        (
            "mutation($input: CreateRegionInput!) { r: createRegion(input: $input) { region { id } userErrors { field code } } }",
            json!({ "name": "Wijk", "kind": "REGION", "parentId": app.id_of(NodeType::Region, "region", "amsterdam").await }),
            "parentId",
            "NOT_FOUND",
        ),
        (
            "mutation($input: UpdateRegionInput!) { r: updateRegion(input: $input) { region { id } userErrors { field code } } }",
            json!({ "id": region, "version": 1, "slug": "friesland" }),
            "slug",
            "TAKEN",
        ),
        (
            "mutation($input: SubmitPostInput!) { r: submitPost(input: $input) { post { id } userErrors { field code } } }",
            json!({ "title": "t", "body": "", "authorName": "a" }),
            "body",
            "REQUIRED",
        ),
        (
            "mutation($input: SubmitPostInput!) { r: submitPost(input: $input) { post { id } userErrors { field code } } }",
            json!({ "title": "t", "body": "b", "authorName": "a", "authorEmail": "a b@c" }),
            "authorEmail",
            "INVALID",
        ),
        (
            "mutation($input: SubmitPostInput!) { r: submitPost(input: $input) { post { id } userErrors { field code } } }",
            json!({ "title": "t", "body": "b", "authorName": "a", "themeIds": [friesland] }),
            "themeIds",
            "INVALID",
        ),
    ];
    for (query, input, field, code) in cases {
        let before = app.fingerprint().await;
        let data = admin.data(query, json!({ "input": input })).await;
        let errors = data["r"]["userErrors"].as_array().unwrap();
        assert!(
            errors
                .iter()
                .any(|e| e["field"] == field && e["code"] == code),
            "{input}: expected {code} on {field}, got {errors:?}"
        );
        assert_eq!(
            data["r"].as_object().unwrap().values().next().unwrap(),
            &Value::Null,
            "{input}: no object"
        );
        assert_eq!(app.fingerprint().await, before, "{input}: nothing written");
    }
    // Anonymous contributors may not post the movement's own kinds.
    let data = app
        .data("mutation { r: submitPost(input: {kind: NEWS, title: \"t\", body: \"b\", authorName: \"a\"}) { post { id } userErrors { field code } } }", json!({}))
        .await;
    assert_eq!(data["r"]["userErrors"][0]["field"], "kind");
}

async fn parallel_updates_with_one_version_have_one_winner(app: TestApp) {
    let id = app
        .id_of(NodeType::Organization, "organization", "kwintes")
        .await;
    let token = app.org_token("kwintes").await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let client = app.client.clone();
        let url = format!("{}/graphql", app.base);
        let token = token.clone();
        let body = json!({ "query": UPDATE, "variables": { "input": { "id": id, "version": 1, "description": format!("Versie van schrijver {i}") } } });
        tasks.push(tokio::spawn(async move {
            let response = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            (i, response.json::<Value>().await.unwrap())
        }));
    }
    let mut winners = Vec::new();
    let mut conflicts = 0;
    for task in tasks {
        let (i, body) = task.await.unwrap();
        if body.get("errors").is_none() {
            winners.push(i);
        } else {
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "CONFLICT",
                "{body}"
            );
            assert_eq!(body["errors"][0]["extensions"]["currentVersion"], 2);
            conflicts += 1;
        }
    }
    assert_eq!(winners.len(), 1, "exactly one writer wins");
    assert_eq!(conflicts, 15);
    let now = app
        .data(
            r#"{ organization(slug: "kwintes") { description version } }"#,
            json!({}),
        )
        .await;
    assert_eq!(now["organization"]["version"], 2);
    assert_eq!(
        now["organization"]["description"],
        format!("Versie van schrijver {}", winners[0])
    );
    let entries = app
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'organization.update'")
        .await;
    assert_eq!(entries, 1, "one audit entry, for the winner");
}

async fn contributions_wait_for_moderation(app: TestApp) {
    let theme = app
        .id_of(NodeType::Theme, "theme", "optrekken-met-naasten")
        .await;
    let submitted = app
        .data(
            r#"mutation($theme: ID!) { submitPost(input: {kind: WHAT_MATTERS, title: "Wat voor mij telt", body: "Gehoord worden.",
                 authorName: "Jan", authorRole: CLIENT, authorEmail: "jan@example.org", themeIds: [$theme]}) {
                 post { id version status slug } userErrors { field } } }"#,
            json!({ "theme": theme }),
        )
        .await;
    let post = &submitted["submitPost"]["post"];
    assert_eq!(post["status"], "PENDING");
    let id = post["id"].as_str().unwrap();
    // Invisible to the public, everywhere.
    let public = app
        .data(
            r#"query($id: ID!) { node(id: $id) { id } post(id: $id) { id } posts(first: 100) { nodes { id } }
                 theme(slug: "optrekken-met-naasten") { posts { totalCount } } }"#,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(public["node"], Value::Null);
    assert_eq!(public["post"], Value::Null);
    assert!(!public["posts"].to_string().contains(id));
    assert_eq!(
        public["theme"]["posts"]["totalCount"], 1,
        "only the seeded article"
    );
    // The moderation queue.
    let admin = app.as_admin();
    let queue = admin
        .data(
            r#"{ posts(filter: {statuses: [PENDING]}) { nodes { id authorEmail } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        queue["posts"]["nodes"],
        json!([{ "id": id, "authorEmail": "jan@example.org" }])
    );
    assert_eq!(
        app.data(
            r#"{ posts(filter: {statuses: [PENDING]}) { totalCount } }"#,
            json!({})
        )
        .await["posts"]["totalCount"],
        0
    );
    // A stale version conflicts; the current one publishes.
    let moderate = "mutation($id: ID!, $v: Int!) { moderatePost(input: {id: $id, version: $v, decision: PUBLISH}) { post { status publishedAt } } }";
    assert_eq!(
        admin
            .error_code(moderate, json!({ "id": id, "v": 7 }))
            .await,
        "CONFLICT"
    );
    let published = admin.data(moderate, json!({ "id": id, "v": 1 })).await;
    assert_eq!(published["moderatePost"]["post"]["status"], "PUBLISHED");
    let visible = app
        .data(
            r#"query($id: ID!) { post(id: $id) { title authorName authorRole } }"#,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        visible["post"],
        json!({ "title": "Wat voor mij telt", "authorName": "Jan", "authorRole": "CLIENT" })
    );
    // Anonymous callers never read the e-mail address: they are told to log in.
    let response = app
        .query(
            r#"query($id: ID!) { post(id: $id) { authorEmail } }"#,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        response["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
}

async fn admins_curate_the_directory(app: TestApp) {
    let admin = app.as_admin();
    let created = admin
        .data(
            r#"mutation($utrecht: ID!) { createOrganization(input: {name: "Lister", careDomains: [SHELTERED_HOUSING], regionIds: [$utrecht], status: CONSIDERING}) {
                 organization { id slug status careDomains regions { nodes { slug } } } userErrors { field } } }"#,
            json!({ "utrecht": app.id_of(NodeType::Region, "region", "utrecht").await }),
        )
        .await;
    let org = &created["createOrganization"]["organization"];
    assert_eq!(org["slug"], "lister");
    assert_eq!(org["status"], "CONSIDERING");
    assert_eq!(org["regions"]["nodes"], json!([{ "slug": "utrecht" }]));
    let id = org["id"].as_str().unwrap();
    let deleted = admin
        .data(
            "mutation($id: ID!) { deleteOrganization(input: {id: $id, version: 1}) { deletedId } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(deleted["deleteOrganization"]["deletedId"], id);
    assert_eq!(
        app.data(r#"{ organization(slug: "lister") { id } }"#, json!({}))
            .await["organization"],
        Value::Null
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM organization WHERE slug = 'lister'")
            .await,
        1,
        "soft: the row stays"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM change_feed WHERE entity_type = 'organization' AND operation = 'delete'").await, 1);
    let theme = admin
        .data(r#"mutation { createTheme(input: {name: "Passend wonen en werken", description: "Over wonen."}) { theme { slug name description version } } }"#, json!({}))
        .await;
    assert_eq!(
        theme["createTheme"]["theme"],
        json!({ "slug": "passend-wonen-en-werken", "name": "Passend wonen en werken", "description": "Over wonen.", "version": 1 })
    );
}

/// Erasure and the retention job running beside updates of the same posts queue on the write
/// lock: each update succeeds or meets CONFLICT, none fails (before, PostgreSQL could deadlock:
/// the journal's lock was taken after row locks).
async fn erasure_beside_updates_never_deadlocks(app: TestApp) {
    const SUBMIT: &str = r#"mutation($title: String!) { submitPost(input: {kind: NEWS, title: $title, body: "Tekst.", authorName: "Piet Jansen", authorEmail: "piet@example.org"}) { post { id version } } }"#;
    const UPDATE_POST: &str = "mutation($input: UpdatePostInput!) { updatePost(input: $input) { post { version } userErrors { field } } }";
    const ERASE: &str = "mutation($input: EraseAuthorInput!) { eraseAuthor(input: $input) { erasedPosts userErrors { field } } }";
    let org_token = app.org_token("ggz-friesland").await;
    let admin_token = app.token(network_directory::auth::Role::Admin, "beheer", None);
    let org = app.with_token(org_token.clone());
    for round in 0..3 {
        let mut posts = Vec::new();
        for n in 0..6 {
            let data = org
                .data(SUBMIT, json!({ "title": format!("Bericht {round}.{n}") }))
                .await;
            posts.push(data["submitPost"]["post"].clone());
        }
        let mut tasks = Vec::new();
        let post = |token: &str, query: &'static str, variables: Value| {
            let client = app.client.clone();
            let url = format!("{}/graphql", app.base);
            let token = token.to_owned();
            tokio::spawn(async move {
                let body = json!({ "query": query, "variables": variables });
                let response = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                response.json::<Value>().await.unwrap()
            })
        };
        for (n, p) in posts.iter().enumerate() {
            tasks.push(post(
                &org_token,
                UPDATE_POST,
                json!({ "input": { "id": p["id"], "version": p["version"], "title": format!("Bijgewerkt {round}.{n}") } }),
            ));
            if n == 2 {
                tasks.push(post(
                    &admin_token,
                    ERASE,
                    json!({ "input": { "authorEmail": "piet@example.org" } }),
                ));
            }
        }
        let db = app.db.clone();
        let key = app.email_hash_key.clone();
        let retention = tokio::spawn(async move {
            network_directory::privacy::purge(&db, &key, chrono::Utc::now(), 30).await
        });
        for task in tasks {
            let body = task.await.unwrap();
            if let Some(errors) = body.get("errors") {
                assert_eq!(errors[0]["extensions"]["code"], "CONFLICT", "{body}");
            }
        }
        assert!(retention.await.unwrap().is_ok(), "the retention job ran");
        let left = app
            .count("SELECT COUNT(*) FROM post WHERE author_name = 'Piet Jansen'")
            .await;
        assert_eq!(left, 0, "round {round}: every post of the author erased");
    }
}

const AUDIT: &str = "query($first: Int, $after: String, $last: Int, $before: String) {
    auditLog(first: $first, after: $after, last: $last, before: $before,
             filter: { actor: \"steunpunt\" }) {
        totalCount
        edges { cursor node { sequence action } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    } }";

fn sequences(page: &Value) -> Vec<i64> {
    page["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["sequence"].as_i64().unwrap())
        .collect()
}

/// The audit log is a Relay connection: newest first, `first`/`after` and `last`/`before`,
/// `totalCount`, and pages that neither skip nor repeat.
async fn the_audit_log_pages_like_every_list(app: TestApp) {
    let admin = app.as_admin();
    for name in ["Eerste", "Tweede", "Derde"] {
        let made = admin
            .data(
                "mutation($name: String!) { createTag(input: {name: $name}) { tag { slug } } }",
                json!({ "name": name }),
            )
            .await;
        assert!(made["createTag"]["tag"]["slug"].is_string(), "{made}");
    }
    let first = admin.data(AUDIT, json!({ "first": 2 })).await;
    assert_eq!(first["auditLog"]["totalCount"], 3);
    let newest = sequences(&first);
    assert_eq!(newest.len(), 2);
    assert!(newest[0] > newest[1], "newest first: {newest:?}");
    assert_eq!(first["auditLog"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(
        first["auditLog"]["edges"][0]["node"]["action"],
        "tag.create"
    );
    let after = first["auditLog"]["pageInfo"]["endCursor"].clone();
    let second = admin
        .data(AUDIT, json!({ "first": 2, "after": after }))
        .await;
    let oldest = sequences(&second);
    assert_eq!(oldest.len(), 1);
    assert!(
        oldest[0] < newest[1],
        "no overlap: {newest:?} then {oldest:?}"
    );
    assert_eq!(second["auditLog"]["pageInfo"]["hasNextPage"], false);
    // Backward from the oldest: the two before it, in list order.
    let before = second["auditLog"]["pageInfo"]["startCursor"].clone();
    let back = admin
        .data(AUDIT, json!({ "last": 2, "before": before }))
        .await;
    assert_eq!(sequences(&back), newest);
    // A cursor of another list is refused.
    let other = admin
        .data(
            "{ organizations(first: 1) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
    let cursor = other["organizations"]["pageInfo"]["endCursor"].clone();
    assert!(cursor.is_string());
    assert_eq!(
        admin
            .error_code(AUDIT, json!({ "first": 1, "after": cursor }))
            .await,
        "BAD_USER_INPUT"
    );
    let refused = app.anon().query(AUDIT, json!({ "first": 1 })).await;
    assert_eq!(refused["data"], json!({ "auditLog": null }));
}
