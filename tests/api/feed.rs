//! Partners' sync (issue 10): the identifiers partners match organizations by (KvK number, AGB
//! code, website domain).

use network_directory::graphql::node::NodeType;
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::on_both_databases;

on_both_databases!(
    organizations_carry_dutch_identifiers,
    identifiers_are_validated_as_user_errors,
);

const CREATE: &str = r#"mutation($input: CreateOrganizationInput!) {
  createOrganization(input: $input) {
    organization { id slug kvkNumber agbCode websiteDomain version }
    userErrors { field code }
  }
}"#;

const UPDATE: &str = r#"mutation($input: UpdateOrganizationInput!) {
  updateOrganization(input: $input) {
    organization { kvkNumber agbCode websiteDomain version }
    userErrors { field code }
  }
}"#;

async fn organizations_carry_dutch_identifiers(app: TestApp) {
    // The seed's texts give none.
    let seeded = app
        .data(
            "{ organizations(first: 100) { nodes { kvkNumber agbCode websiteDomain } } }",
            json!({}),
        )
        .await;
    let nodes = seeded["organizations"]["nodes"].as_array().unwrap();
    assert!(!nodes.is_empty());
    assert!(
        nodes
            .iter()
            .all(|n| *n == json!({ "kvkNumber": null, "agbCode": null, "websiteDomain": null }))
    );

    // Stored in the one form they are matched in: digits only, the domain in lowercase.
    let admin = app.as_admin();
    let created = admin
        .data(
            CREATE,
            json!({ "input": { "name": "Zorggroep Noord", "kvkNumber": "0123 4567",
                               "agbCode": "06.12.34.56", "websiteDomain": "ZorggroepNoord.nl." } }),
        )
        .await;
    assert_eq!(
        created["createOrganization"],
        json!({
            "organization": {
                "id": created["createOrganization"]["organization"]["id"],
                "slug": "zorggroep-noord", "kvkNumber": "01234567", "agbCode": "06123456",
                "websiteDomain": "zorggroepnoord.nl", "version": 1
            },
            "userErrors": []
        })
    );

    // An organization sets its own; `null` and "" clear them.
    let friesland = app
        .id_of(NodeType::Organization, "organization", "ggz-friesland")
        .await;
    let own = app.as_org("ggz-friesland").await;
    let updated = own
        .data(
            UPDATE,
            json!({ "input": { "id": friesland, "version": 1, "kvkNumber": "41000001",
                               "agbCode": "06000001", "websiteDomain": "ggzfriesland.nl" } }),
        )
        .await;
    assert_eq!(
        updated["updateOrganization"],
        json!({
            "organization": { "kvkNumber": "41000001", "agbCode": "06000001",
                              "websiteDomain": "ggzfriesland.nl", "version": 2 },
            "userErrors": []
        })
    );

    // Filterable by each, in any form people type them; within a field any value matches.
    let app = &app;
    let filter = |filter: Value| async move {
        let data = app
            .data(
                "query($f: OrganizationFilter) { organizations(filter: $f) { nodes { slug } } }",
                json!({ "f": filter }),
            )
            .await;
        data["organizations"]["nodes"].clone()
    };
    assert_eq!(
        filter(json!({ "kvkNumbers": ["4100 0001", "01234567"] })).await,
        json!([{ "slug": "ggz-friesland" }, { "slug": "zorggroep-noord" }])
    );
    assert_eq!(
        filter(json!({ "agbCodes": ["06.12.34.56"] })).await,
        json!([{ "slug": "zorggroep-noord" }])
    );
    assert_eq!(
        filter(json!({ "websiteDomains": ["GGZFriesland.nl"] })).await,
        json!([{ "slug": "ggz-friesland" }])
    );
    assert_eq!(
        filter(json!({ "kvkNumbers": ["41000001"], "agbCodes": ["06123456"] })).await,
        json!([]),
        "every field given must match"
    );
    assert_eq!(
        filter(json!({ "kvkNumbers": ["not a number"] })).await,
        json!([])
    );

    let cleared = own
        .data(
            UPDATE,
            json!({ "input": { "id": friesland, "version": 2, "kvkNumber": null,
                               "agbCode": "", "websiteDomain": null } }),
        )
        .await;
    assert_eq!(
        cleared["updateOrganization"]["organization"],
        json!({ "kvkNumber": null, "agbCode": null, "websiteDomain": null, "version": 3 })
    );
}

async fn identifiers_are_validated_as_user_errors(app: TestApp) {
    let admin = app.as_admin();
    let before = app.fingerprint().await;
    let refused = admin
        .data(
            CREATE,
            json!({ "input": { "name": "Fout BV", "kvkNumber": "1234567",
                               "agbCode": "00123456", "websiteDomain": "https://fout.nl/" } }),
        )
        .await;
    assert_eq!(
        refused["createOrganization"],
        json!({
            "organization": null,
            "userErrors": [
                { "field": "kvkNumber", "code": "INVALID" },
                { "field": "agbCode", "code": "INVALID" },
                { "field": "websiteDomain", "code": "INVALID" },
            ]
        })
    );
    let friesland = app
        .id_of(NodeType::Organization, "organization", "ggz-friesland")
        .await;
    let refused = admin
        .data(
            UPDATE,
            json!({ "input": { "id": friesland, "version": 1, "kvkNumber": "1234567a" } }),
        )
        .await;
    assert_eq!(
        refused["updateOrganization"],
        json!({ "organization": null, "userErrors": [{ "field": "kvkNumber", "code": "INVALID" }] })
    );
    assert_eq!(app.fingerprint().await, before, "nothing was written");
}
