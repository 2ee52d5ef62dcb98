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

on_both_databases!(
    the_feed_is_for_partners_and_administrators,
    the_feed_replays_the_seed_in_order,
    changes_show_the_object_as_it_is_now,
    posts_appear_when_published_and_leave_as_tombstones,
    link_changes_are_changes_of_the_object_carrying_them,
    the_feed_pages_filters_and_refuses_bad_input,
    compaction_keeps_the_latest_change_and_refuses_older_cursors,
);

const CHANGES: &str = r#"query($after: String, $first: Int, $types: [ChangeType!]) {
  changes(after: $after, first: $first, types: $types) {
    edges { cursor node { cursor operation type objectId tombstone object occurredAt } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

/// Reads the whole feed after `after` as `caller`, page by page; returns the changes and the
/// cursor to continue from.
async fn read_feed(
    caller: &crate::common::Caller<'_>,
    after: Option<String>,
) -> (Vec<Value>, Option<String>) {
    let mut after = after;
    let mut changes = Vec::new();
    loop {
        let data = caller
            .data(CHANGES, json!({ "after": after, "first": 1000 }))
            .await;
        let page = &data["changes"];
        for edge in page["edges"].as_array().unwrap() {
            assert_eq!(edge["cursor"], edge["node"]["cursor"]);
            changes.push(edge["node"].clone());
        }
        if let Some(end) = page["pageInfo"]["endCursor"].as_str() {
            after = Some(end.to_owned());
        }
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            return (changes, after);
        }
    }
}

/// The changes of one object.
fn of<'a>(changes: &'a [Value], id: &Value) -> Vec<&'a Value> {
    changes.iter().filter(|c| c["objectId"] == *id).collect()
}

async fn the_feed_is_for_partners_and_administrators(app: TestApp) {
    let query = "{ changes(first: 1) { nodes { type } } }";
    let anonymous = app.query(query, json!({})).await;
    assert_eq!(anonymous["data"], json!({ "changes": null }));
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    let organization = app
        .as_org("ggz-friesland")
        .await
        .query(query, json!({}))
        .await;
    assert_eq!(organization["data"], json!({ "changes": null }));
    assert_eq!(organization["errors"][0]["extensions"]["code"], "FORBIDDEN");
    for caller in [app.as_partner(), app.as_admin()] {
        let data = caller.data(query, json!({})).await;
        assert_eq!(data["changes"]["nodes"].as_array().unwrap().len(), 1);
    }
}

/// The seed is journaled: reading the feed from the start creates every seeded object, as the
/// read API shows it to partners.
async fn the_feed_replays_the_seed_in_order(app: TestApp) {
    let (changes, end) = read_feed(&app.as_partner(), None).await;
    assert!(end.is_some());
    let mut positions: Vec<i64> = Vec::new();
    for change in &changes {
        assert_eq!(change["operation"], "CREATE");
        assert_eq!(change["tombstone"], false);
        assert_eq!(change["object"]["id"], change["objectId"]);
        positions.push(decode_position(change["cursor"].as_str().unwrap()));
    }
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "in order");
    for (change_type, table) in [
        ("ORGANIZATION", "organization"),
        ("PARTNER", "partner"),
        ("REGION", "region"),
        ("TARGET_GROUP", "target_group"),
        ("THEME", "theme"),
        ("TAG", "tag"),
        ("POST", "post"),
        ("EVENT", "event"),
        ("EVENT_KIND", "event_kind"),
    ] {
        let listed = changes.iter().filter(|c| c["type"] == change_type).count() as i64;
        assert_eq!(
            listed,
            app.count(&format!("SELECT COUNT(*) FROM {table}")).await,
            "{change_type}"
        );
        assert!(listed > 0, "the seed has {change_type}");
    }
    // The object is the read API's, field by field.
    let friesland = app
        .id_of(NodeType::Organization, "organization", "ggz-friesland")
        .await;
    let object = &of(&changes, &json!(friesland))[0]["object"];
    let read = app
        .as_partner()
        .data(
            r#"{ organization(slug: "ggz-friesland") { id slug name alsoKnownAs description
                 website logoUrl city size status joinedOn joinedNote publicEmail publicPhone
                 contactName contactEmail contactPhone kvkNumber agbCode websiteDomain careDomains
                 createdAt updatedAt version
                 regions { nodes { id } } targetGroups { nodes { id } } themes { nodes { id } }
                 tags { nodes { id } } } }"#,
            json!({}),
        )
        .await;
    let mut expected = read["organization"].clone();
    for (list, ids) in [
        ("regions", "regionIds"),
        ("targetGroups", "targetGroupIds"),
        ("themes", "themeIds"),
        ("tags", "tagIds"),
    ] {
        let nodes: Vec<Value> = expected[list]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].clone())
            .collect();
        expected.as_object_mut().unwrap().remove(list);
        expected[ids] = json!(nodes);
    }
    assert_eq!(*object, expected);
}

/// The sequence number behind a cursor (the tests know what clients must not rely on).
fn decode_position(cursor: &str) -> i64 {
    use base64::Engine;
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .unwrap();
    String::from_utf8(text)
        .unwrap()
        .strip_prefix("Change:")
        .unwrap()
        .parse()
        .unwrap()
}

/// A change carries the object as it is when the feed is read; partners see contact persons,
/// never the administrators' fields.
async fn changes_show_the_object_as_it_is_now(app: TestApp) {
    let partner = app.as_partner();
    let (_, start) = read_feed(&partner, None).await;
    let admin = app.as_admin();
    let friesland = app
        .id_of(NodeType::Organization, "organization", "ggz-friesland")
        .await;
    let updated = admin
        .data(
            UPDATE,
            json!({ "input": { "id": friesland, "version": 1, "kvkNumber": "41000001" } }),
        )
        .await;
    assert_eq!(updated["updateOrganization"]["userErrors"], json!([]));
    admin
        .data(
            "mutation($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { organization { version } } }",
            json!({ "input": { "id": friesland, "version": 2, "contactName": "Anna de Vries", "city": "Leeuwarden" } }),
        )
        .await;
    let (changes, _) = read_feed(&partner, start.clone()).await;
    assert_eq!(changes.len(), 2);
    for change in &changes {
        assert_eq!(change["operation"], "UPDATE");
        assert_eq!(change["type"], "ORGANIZATION");
        assert_eq!(change["objectId"], json!(friesland));
        // Both show the organization now: version 3, with both changes.
        let object = &change["object"];
        assert_eq!(object["version"], 3);
        assert_eq!(object["kvkNumber"], "41000001");
        assert_eq!(object["city"], "Leeuwarden");
        assert_eq!(object["contactName"], "Anna de Vries");
        assert!(object.get("internalNotes").is_none());
    }
    // Administrators read the feed as partners do.
    let (as_admin, _) = read_feed(&admin, start.clone()).await;
    assert_eq!(
        as_admin.iter().map(|c| &c["object"]).collect::<Vec<_>>(),
        changes.iter().map(|c| &c["object"]).collect::<Vec<_>>()
    );

    // A deletion: the earlier changes now read as tombstones too.
    admin
        .data(
            "mutation($id: ID!) { deleteOrganization(input: {id: $id, version: 3}) { deletedId } }",
            json!({ "id": friesland }),
        )
        .await;
    let (changes, _) = read_feed(&partner, start).await;
    assert_eq!(
        changes
            .iter()
            .map(|c| (
                c["operation"].clone(),
                c["tombstone"].clone(),
                c["object"].clone()
            ))
            .collect::<Vec<_>>(),
        vec![
            (json!("UPDATE"), json!(true), Value::Null),
            (json!("UPDATE"), json!(true), Value::Null),
            (json!("DELETE"), json!(true), Value::Null),
        ]
    );
}

const MODERATE: &str = "mutation($id: ID!, $v: Int!, $d: ModerationDecision!) { moderatePost(input: {id: $id, version: $v, decision: $d}) { post { status version } } }";

/// A contribution is unknown to partners while it waits; it appears when it is published, and
/// leaves as a tombstone when it is rejected after all. An erasure shows the post without the
/// author's name; the e-mail address is never in the feed.
async fn posts_appear_when_published_and_leave_as_tombstones(app: TestApp) {
    let partner = app.as_partner();
    let (_, start) = read_feed(&partner, None).await;
    let submit = r#"mutation($title: String!) { submitPost(input: {kind: IDEA, title: $title, body: "Tekst.",
        authorName: "Marieke", authorEmail: "marieke@example.org"}) { post { id } } }"#;
    let published =
        app.data(submit, json!({ "title": "Gepubliceerd" })).await["submitPost"]["post"]["id"]
            .clone();
    let refused =
        app.data(submit, json!({ "title": "Geweigerd" })).await["submitPost"]["post"]["id"].clone();
    let (changes, _) = read_feed(&partner, start.clone()).await;
    assert_eq!(
        changes,
        Vec::<Value>::new(),
        "pending posts are not announced"
    );

    let admin = app.as_admin();
    admin
        .data(MODERATE, json!({ "id": refused, "v": 1, "d": "REJECT" }))
        .await;
    admin
        .data(MODERATE, json!({ "id": published, "v": 1, "d": "PUBLISH" }))
        .await;
    let (changes, after_publish) = read_feed(&partner, start.clone()).await;
    assert_eq!(
        changes.len(),
        1,
        "never published, never announced: {changes:#?}"
    );
    let change = &changes[0];
    assert_eq!(
        (&change["type"], &change["objectId"], &change["operation"]),
        (&json!("POST"), &published, &json!("UPDATE"))
    );
    let object = &change["object"];
    assert_eq!(object["title"], "Gepubliceerd");
    assert_eq!(object["authorName"], "Marieke");
    assert_eq!(object["status"], "PUBLISHED");
    let text = object.to_string();
    assert!(!text.contains("marieke@example.org"), "{text}");
    assert!(object.get("authorEmail").is_none());

    // Erasure: the post stays, without the name.
    admin
        .data(
            r#"mutation { eraseAuthor(input: {authorEmail: "marieke@example.org"}) { erasedPosts } }"#,
            json!({}),
        )
        .await;
    let (changes, _) = read_feed(&partner, after_publish.clone()).await;
    assert_eq!(
        changes.len(),
        1,
        "only the published post's erasure: {changes:#?}"
    );
    assert_eq!(changes[0]["object"]["authorName"], "[verwijderd]");
    assert_eq!(changes[0]["object"]["version"], 3);

    // Rejected after all: a tombstone.
    admin
        .data(MODERATE, json!({ "id": published, "v": 3, "d": "REJECT" }))
        .await;
    let (changes, _) = read_feed(&partner, after_publish).await;
    assert_eq!(changes.len(), 2);
    assert!(changes.iter().all(|c| c["tombstone"] == json!(true)));

    // An organization's post is published at once.
    let own = app
        .as_org("kwintes")
        .await
        .data(
            r#"mutation { submitPost(input: {kind: NEWS, title: "Nieuws", body: "Tekst.", authorName: "Redactie"}) { post { id } } }"#,
            json!({}),
        )
        .await["submitPost"]["post"]["id"]
        .clone();
    let (changes, _) = read_feed(&partner, start).await;
    let created = of(&changes, &own);
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["operation"], "CREATE");
    assert_eq!(
        created[0]["object"]["organizationId"],
        json!(
            app.id_of(NodeType::Organization, "organization", "kwintes")
                .await
        )
    );
}

/// Every change of a link is a change of the object that carries it: an organization's regions,
/// a post's themes, an event's hosts and its report.
async fn link_changes_are_changes_of_the_object_carrying_them(app: TestApp) {
    let partner = app.as_partner();
    let (_, start) = read_feed(&partner, None).await;
    let admin = app.as_admin();
    let region = app.id_of(NodeType::Region, "region", "friesland").await;
    let theme = app
        .id_of(NodeType::Theme, "theme", "optrekken-met-naasten")
        .await;
    let friesland = app
        .id_of(NodeType::Organization, "organization", "ggz-friesland")
        .await;
    admin
        .data(
            UPDATE,
            json!({ "input": { "id": friesland, "version": 1, "regionIds": [region] } }),
        )
        .await;
    let post = admin
        .data(
            r#"mutation($t: ID!) { submitPost(input: {kind: NEWS, title: "Verslag", body: "Tekst.", authorName: "Redactie", themeIds: [$t]}) { post { id } } }"#,
            json!({ "t": theme }),
        )
        .await["submitPost"]["post"]["id"]
        .clone();
    admin
        .data(
            r#"mutation($id: ID!) { updatePost(input: {id: $id, version: 1, themeIds: []}) { post { version } } }"#,
            json!({ "id": post }),
        )
        .await;
    let event = admin
        .data(
            r#"mutation($k: ID!, $o: ID!, $p: ID!) { createEvent(input: {title: "Dialoog", kindId: $k,
                startsAt: "2040-01-15T10:00:00+01:00", endsAt: "2040-01-15T12:00:00+01:00",
                hostOrganizationIds: [$o], reportPostId: $p}) { event { id } userErrors { field } } }"#,
            json!({ "k": app.id_of(NodeType::EventKind, "event_kind", "dialoog").await,
                    "o": friesland, "p": post }),
        )
        .await["createEvent"]["event"]["id"]
        .clone();
    let (changes, after) = read_feed(&partner, start).await;
    let types: Vec<&Value> = changes.iter().map(|c| &c["type"]).collect();
    assert_eq!(
        types,
        vec![
            &json!("ORGANIZATION"),
            &json!("POST"),
            &json!("POST"),
            &json!("EVENT")
        ]
    );
    assert_eq!(changes[0]["object"]["regionIds"], json!([region]));
    assert_eq!(changes[1]["object"]["themeIds"], json!([]), "as it is now");
    let shown = &changes[3]["object"];
    assert_eq!(shown["hostOrganizationIds"], json!([friesland]));
    assert_eq!(shown["reportPostId"], post);

    // The report is shown while it is published: its rejection changes the event too.
    admin
        .data(MODERATE, json!({ "id": post, "v": 2, "d": "REJECT" }))
        .await;
    let (changes, _) = read_feed(&partner, after).await;
    let summary: Vec<(Value, Value, bool)> = changes
        .iter()
        .map(|c| {
            (
                c["type"].clone(),
                c["objectId"].clone(),
                c["tombstone"] == json!(true),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (json!("POST"), post.clone(), true),
            (json!("EVENT"), event, false)
        ]
    );
    assert_eq!(changes[1]["object"]["reportPostId"], Value::Null);
}

async fn the_feed_pages_filters_and_refuses_bad_input(app: TestApp) {
    let partner = app.as_partner();
    let (all, _) = read_feed(&partner, None).await;
    let page = partner.data(CHANGES, json!({ "first": 2 })).await;
    let edges = page["changes"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 2);
    assert_eq!(page["changes"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(edges[0]["node"], all[0]);
    let next = partner
        .data(
            CHANGES,
            json!({ "first": 2, "after": page["changes"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(next["changes"]["edges"][0]["node"], all[2]);

    let themes = partner
        .data(CHANGES, json!({ "first": 1000, "types": ["THEME", "TAG"] }))
        .await;
    let nodes: Vec<Value> = themes["changes"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    let expected: Vec<Value> = all
        .iter()
        .filter(|c| c["type"] == "THEME" || c["type"] == "TAG")
        .cloned()
        .collect();
    assert_eq!(nodes, expected);

    // The end: an empty page, no cursor to move to.
    let (_, end) = read_feed(&partner, None).await;
    let empty = partner.data(CHANGES, json!({ "after": end })).await;
    assert_eq!(
        empty["changes"],
        json!({ "edges": [], "pageInfo": { "hasNextPage": false, "endCursor": null } })
    );

    for variables in [
        json!({ "after": "bm90IGEgY3Vyc29y" }),
        json!({ "after": "!!" }),
        json!({ "first": 1001 }),
        json!({ "first": -1 }),
    ] {
        let response = partner.query(CHANGES, variables.clone()).await;
        assert_eq!(response["data"], json!({ "changes": null }), "{variables}");
        assert_eq!(
            response["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{variables}"
        );
    }
}

/// Compaction keeps the latest change of each object older than the horizon; a cursor before
/// the horizon is refused with a pointer to the snapshot, later ones read on.
async fn compaction_keeps_the_latest_change_and_refuses_older_cursors(app: TestApp) {
    let partner = app.as_partner();
    let admin = app.as_admin();
    let (_, start) = read_feed(&partner, None).await;
    let friesland = app
        .id_of(NodeType::Organization, "organization", "ggz-friesland")
        .await;
    for version in 1..=3 {
        admin
            .data(
                UPDATE,
                json!({ "input": { "id": friesland, "version": version, "agbCode": format!("0600000{version}") } }),
            )
            .await;
    }
    let (_, middle) = read_feed(&partner, None).await;
    let rows_before = app.count("SELECT COUNT(*) FROM change_feed").await;
    // Thirty-one days on, with a horizon of thirty: everything so far is older.
    let later = chrono::Utc::now() + chrono::Duration::days(31);
    let report = network_directory::directory::feed::compaction::compact(&app.db, later, 30)
        .await
        .unwrap();
    assert_eq!(
        report.removed, 3,
        "the seed's create and two updates of GGZ Friesland"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM change_feed").await,
        rows_before - 3
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM change_feed WHERE entity_type = 'organization' AND entity_id = {}",
            decode_id(&friesland)
        ))
        .await,
        1
    );
    // Compacting again removes nothing more.
    let again = network_directory::directory::feed::compaction::compact(&app.db, later, 30)
        .await
        .unwrap();
    assert_eq!((again.removed, again.horizon), (0, report.horizon));
    for cursor in [None, start] {
        let response = partner.query(CHANGES, json!({ "after": cursor })).await;
        assert_eq!(response["data"], json!({ "changes": null }));
        assert_eq!(
            response["errors"][0]["extensions"]["code"],
            "BAD_USER_INPUT"
        );
        let message = response["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("/export/directory.ndjson"), "{message}");
    }
    // At the horizon (the last change before it): nothing lost, nothing refused.
    let (changes, _) = read_feed(&partner, middle.clone()).await;
    assert_eq!(changes, Vec::<Value>::new());
    admin
        .data(
            UPDATE,
            json!({ "input": { "id": friesland, "version": 4, "city": "Drachten" } }),
        )
        .await;
    let (changes, _) = read_feed(&partner, middle).await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["object"]["city"], "Drachten");
}

/// The row id of a global ID.
fn decode_id(id: &str) -> i64 {
    use base64::Engine;
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(id)
        .unwrap();
    String::from_utf8(text)
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// On PostgreSQL the feed's order rests on the journal's write lock (rows commit in `seq`
/// order): a trigger refuses any feed row written without it, whatever wrote it.
#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: run `scripts/with-postgres cargo test`"
)]
async fn feed_rows_need_the_write_lock_on_postgres() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let app = TestApp::postgres().await;
    let insert = "INSERT INTO change_feed (occurred_at, entity_type, entity_id, operation) \
                  VALUES (now(), 'theme', 1, 'update')";
    let before = app.count("SELECT COUNT(*) FROM change_feed").await;
    let refused = app.db.execute_unprepared(insert).await;
    let message = refused.expect_err("refused without the lock").to_string();
    assert!(message.contains("write lock"), "{message}");
    let txn = app.db.begin().await.unwrap();
    txn.execute_unprepared("SELECT pg_advisory_xact_lock(7401)")
        .await
        .unwrap();
    txn.execute_unprepared(insert).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM change_feed").await,
        before + 1
    );
    // The server's own paths take it: a write through the API, the retention job, the seed.
    let updated = app
        .as_admin()
        .data(
            r#"mutation($id: ID!) { updateTheme(input: {id: $id, version: 1, name: "Naasten"}) { theme { version } } }"#,
            json!({ "id": app.id_of(NodeType::Theme, "theme", "optrekken-met-naasten").await }),
        )
        .await;
    assert_eq!(updated["updateTheme"]["theme"]["version"], 2);
    network_directory::privacy::purge(&app.db, &app.email_hash_key, chrono::Utc::now(), 0)
        .await
        .unwrap();
    network_directory::db::seed::seed(&app.db).await.unwrap();
}

on_both_databases!(
    the_snapshot_is_for_partners_and_administrators,
    the_snapshot_is_what_the_feed_says_at_its_cursor,
    the_snapshot_is_gzipped_and_revalidated,
);

/// GETs the snapshot with a token (none: anonymous) and extra headers.
async fn export(
    app: &TestApp,
    token: Option<String>,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = app
        .client
        .get(format!("{}/export/directory.ndjson", app.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

fn partner_token(app: &TestApp) -> Option<String> {
    Some(app.token(
        network_directory::auth::Role::Partner,
        "trimbos-instituut",
        None,
    ))
}

/// The lines of a snapshot: the objects and the cursor of the last line.
fn lines(body: &str) -> (Vec<Value>, String) {
    assert!(body.ends_with('\n'));
    let mut lines: Vec<Value> = body
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let last = lines.pop().unwrap();
    assert_eq!(last.as_object().unwrap().len(), 1, "{last}");
    (lines, last["cursor"].as_str().unwrap().to_owned())
}

async fn the_snapshot_is_for_partners_and_administrators(app: TestApp) {
    let anonymous = export(&app, None, &[]).await;
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.text().await.unwrap().contains("log in"));
    let organization = export(&app, Some(app.org_token("kwintes").await), &[]).await;
    assert_eq!(organization.status(), 403);
    let expired = app
        .keys
        .issue(
            network_directory::auth::Role::Partner,
            "trimbos-instituut",
            None,
            std::time::Duration::from_secs(0),
        )
        .unwrap()
        .0;
    let bad = export(&app, Some(format!("{expired}x")), &[]).await;
    assert_eq!(bad.status(), 401);
    for token in [
        partner_token(&app),
        Some(app.token(network_directory::auth::Role::Admin, "steunpunt", None)),
    ] {
        let response = export(&app, token, &[]).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/x-ndjson");
        let (objects, _) = lines(&response.text().await.unwrap());
        assert!(!objects.is_empty());
    }
}

/// Every visible object once, as the feed shows it, and the cursor at which it holds: the feed
/// after it has exactly the changes made since.
async fn the_snapshot_is_what_the_feed_says_at_its_cursor(app: TestApp) {
    let partner = app.as_partner();
    let admin = app.as_admin();
    // Something to leave out: a deleted theme, a pending and a rejected post.
    let theme = app
        .id_of(NodeType::Theme, "theme", "optrekken-met-naasten")
        .await;
    admin
        .data(
            "mutation($id: ID!) { deleteTheme(input: {id: $id, version: 1}) { deletedId } }",
            json!({ "id": theme }),
        )
        .await;
    let submit = r#"mutation($title: String!) { submitPost(input: {kind: IDEA, title: $title, body: "Tekst.", authorName: "Sam", authorEmail: "sam@example.org"}) { post { id } } }"#;
    let pending =
        app.data(submit, json!({ "title": "Wacht" })).await["submitPost"]["post"]["id"].clone();
    let rejected =
        app.data(submit, json!({ "title": "Nee" })).await["submitPost"]["post"]["id"].clone();
    admin
        .data(MODERATE, json!({ "id": rejected, "v": 1, "d": "REJECT" }))
        .await;

    let body = export(&app, partner_token(&app), &[])
        .await
        .text()
        .await
        .unwrap();
    let (objects, cursor) = lines(&body);
    let (changes, end) = read_feed(&partner, None).await;
    // The cursor is the feed's head: past the last change partners saw (and the hidden ones
    // of the pending and rejected posts), nothing after it yet.
    assert!(decode_position(&cursor) >= decode_position(end.as_deref().unwrap()));
    assert_eq!(
        read_feed(&partner, Some(cursor.clone())).await.0,
        Vec::<Value>::new()
    );
    // The feed read from the start, applied in order, is the snapshot.
    let mut mirror = std::collections::BTreeMap::new();
    for change in &changes {
        let key = (
            change["type"].as_str().unwrap().to_owned(),
            change["objectId"].as_str().unwrap().to_owned(),
        );
        if change["tombstone"] == json!(true) {
            mirror.remove(&key);
        } else {
            mirror.insert(key, change["object"].clone());
        }
    }
    let mut snapshot = std::collections::BTreeMap::new();
    for line in &objects {
        assert_eq!(
            line.as_object().unwrap().len(),
            3,
            "type, id, object: {line}"
        );
        assert_eq!(line["id"], line["object"]["id"]);
        let key = (
            line["type"].as_str().unwrap().to_owned(),
            line["id"].as_str().unwrap().to_owned(),
        );
        assert!(
            snapshot.insert(key, line["object"].clone()).is_none(),
            "once: {line}"
        );
    }
    assert_eq!(snapshot, mirror);
    for left_out in [&json!(theme), &pending, &rejected] {
        assert!(!objects.iter().any(|l| l["id"] == *left_out), "{left_out}");
    }
    assert!(!body.contains("sam@example.org"));
    // Types in a fixed order, ids ascending within each.
    let order: Vec<&str> = objects
        .iter()
        .map(|l| l["type"].as_str().unwrap())
        .collect();
    let mut types = order.clone();
    types.dedup();
    assert_eq!(
        types,
        [
            "EVENT_KIND",
            "REGION",
            "TARGET_GROUP",
            "THEME",
            "TAG",
            "PARTNER",
            "ORGANIZATION",
            "POST",
            "EVENT"
        ]
    );

    // After the cursor: exactly what changed since.
    let friesland = app
        .id_of(NodeType::Organization, "organization", "ggz-friesland")
        .await;
    admin
        .data(
            UPDATE,
            json!({ "input": { "id": friesland, "version": 1, "agbCode": "06000001" } }),
        )
        .await;
    let (since, _) = read_feed(&partner, Some(cursor)).await;
    assert_eq!(since.len(), 1);
    assert_eq!(since[0]["objectId"], json!(friesland));
}

async fn the_snapshot_is_gzipped_and_revalidated(app: TestApp) {
    let plain = export(&app, partner_token(&app), &[]).await;
    let etag = plain.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    assert_eq!(plain.headers()["vary"], "Authorization");
    let text = plain.text().await.unwrap();

    let gzipped = export(&app, partner_token(&app), &[("accept-encoding", "gzip")]).await;
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    assert_eq!(gzipped.headers()["etag"], etag.as_str());
    let bytes = gzipped.bytes().await.unwrap();
    assert!(
        bytes.len() * 3 < text.len(),
        "{} of {}",
        bytes.len(),
        text.len()
    );
    let mut unzipped = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut unzipped)
        .unwrap();
    assert_eq!(unzipped, text);

    let unchanged = export(&app, partner_token(&app), &[("if-none-match", &etag)]).await;
    assert_eq!(unchanged.status(), 304);
    assert_eq!(unchanged.text().await.unwrap(), "");
    app.as_admin()
        .data(
            r#"mutation { createTag(input: {name: "Nieuw"}) { tag { id } } }"#,
            json!({}),
        )
        .await;
    let changed = export(&app, partner_token(&app), &[("if-none-match", &etag)]).await;
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()["etag"], etag.as_str());
    let (objects, _) = lines(&changed.text().await.unwrap());
    assert!(objects.iter().any(|l| l["object"]["name"] == "Nieuw"));
}

// ---------------------------------------------------------------------------------------------
// The partner's mirror (issue 10, point 7): a partner takes a snapshot and follows the feed
// into a map of its own while concurrent writers create, update, delete, publish, reject and
// erase; it crashes and resumes from what it stored; at the end its map is what the read API
// returns.

/// A caller of one server (by its base URL).
#[derive(Clone)]
struct Api {
    client: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Api {
    async fn query(&self, query: &str, variables: Value) -> Value {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap().json().await.unwrap()
    }

    /// The `data` of a request that must succeed.
    async fn data(&self, query: &str, variables: Value) -> Value {
        let response = self.query(query, variables).await;
        assert!(response.get("errors").is_none(), "{query}: {response:#}");
        response["data"].clone()
    }

    /// The payload of a mutation, or `None` when it refers to an object that is gone by now
    /// (retention purges rejected posts under the writers' feet): `NOT_FOUND`, as an error or
    /// a user error. Anything else that is not a success fails the test.
    async fn write(&self, query: &str, variables: Value) -> Option<Value> {
        let response = self.query(query, variables).await;
        if let Some(errors) = response.get("errors") {
            assert_eq!(
                errors[0]["extensions"]["code"], "NOT_FOUND",
                "{query}: {response:#}"
            );
            return None;
        }
        let payload = response["data"]
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .clone();
        if let Some(problems) = payload.get("userErrors").and_then(Value::as_array)
            && !problems.is_empty()
        {
            assert!(
                problems.iter().all(|p| p["code"] == "NOT_FOUND"),
                "{query}: {response:#}"
            );
            return None;
        }
        Some(payload)
    }
}

/// A small deterministic random source.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n.max(1) as u64) as usize
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> Option<T> {
        (!items.is_empty()).then(|| items[self.below(items.len())].clone())
    }

    fn some<T: Clone>(&mut self, items: &[T], most: usize) -> Vec<T> {
        let n = self.below(most + 1);
        let mut out: Vec<T> = Vec::new();
        for _ in 0..n {
            if let Some(item) = self.pick(items) {
                out.push(item);
            }
        }
        out
    }
}

/// What the writers share: the servers, tokens and the seeded IDs they link to.
#[derive(Clone)]
struct World {
    servers: Vec<String>,
    client: reqwest::Client,
    admin: String,
    regions: Vec<String>,
    themes: Vec<String>,
    kind: String,
}

impl World {
    fn api(&self, i: usize, token: Option<&String>) -> Api {
        Api {
            client: self.client.clone(),
            base: self.servers[i % self.servers.len()].clone(),
            token: token.cloned(),
        }
    }
}

/// An object a writer changes, with the version it last wrote.
#[derive(Clone)]
struct Owned {
    id: String,
    version: i64,
    email: String,
}

/// One writer: `ops` writes of every kind, on its own objects and its own seeded
/// organization (`org`, with its token), spread over the servers.
async fn writer(world: World, n: usize, org: Owned, org_token: String, ops: usize) -> usize {
    let mut rng = Rng(0x5eed + n as u64 * 7919);
    let mut org = org;
    let (mut orgs, mut tags, mut pending, mut published, mut rejected) = (
        Vec::<Owned>::new(),
        Vec::<Owned>::new(),
        Vec::<Owned>::new(),
        Vec::<Owned>::new(),
        Vec::<Owned>::new(),
    );
    let (mut own_posts, mut events) = (Vec::<Owned>::new(), Vec::<Owned>::new());
    let mut written = 0;
    let owned = |payload: &Value, key: &str| Owned {
        id: payload[key]["id"].as_str().unwrap().to_owned(),
        version: payload[key]["version"].as_i64().unwrap(),
        email: String::new(),
    };
    for i in 0..ops {
        let admin = world.api(i + n, Some(&world.admin));
        let anonymous = world.api(i + n, None);
        let own = world.api(i + n, Some(&org_token));
        let tag_ids: Vec<String> = tags.iter().map(|t| t.id.clone()).collect();
        let done = match rng.below(14) {
            0 => {
                let input = json!({
                    "name": format!("Zorg w{n} nr {i}"),
                    "kvkNumber": format!("{:08}", rng.below(99_999_999)),
                    "regionIds": rng.some(&world.regions, 2),
                    "themeIds": rng.some(&world.themes, 2),
                    "tagIds": rng.some(&tag_ids, 2),
                });
                let payload = admin
                    .write("mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { organization { id version } userErrors { field code } } }", json!({ "i": input }))
                    .await;
                payload.map(|p| orgs.push(owned(&p, "organization")))
            }
            1 | 2 if !orgs.is_empty() => {
                let k = rng.below(orgs.len());
                if rng.below(4) == 0 && orgs.len() > 1 {
                    let o = orgs.swap_remove(k);
                    admin
                        .write("mutation($id: ID!, $v: Int!) { deleteOrganization(input: {id: $id, version: $v}) { deletedId } }", json!({ "id": o.id, "v": o.version }))
                        .await
                        .map(|_| ())
                } else {
                    let o = &mut orgs[k];
                    let input = json!({
                        "id": o.id, "version": o.version,
                        "city": format!("Plaats {i}"),
                        "agbCode": format!("06{:06}", rng.below(999_999)),
                        "themeIds": rng.some(&world.themes, 3),
                        "tagIds": rng.some(&tag_ids, 2),
                    });
                    admin
                        .write("mutation($i: UpdateOrganizationInput!) { updateOrganization(input: $i) { organization { version } userErrors { field code } } }", json!({ "i": input }))
                        .await
                        .map(|p| o.version = p["organization"]["version"].as_i64().unwrap())
                }
            }
            3 => admin
                .write("mutation($name: String!) { createTag(input: {name: $name}) { tag { id version } userErrors { field code } } }", json!({ "name": format!("Label w{n} {i}") }))
                .await
                .map(|p| tags.push(owned(&p, "tag"))),
            4 | 5 if !tags.is_empty() => {
                let k = rng.below(tags.len());
                if rng.below(3) == 0 {
                    let t = tags.swap_remove(k);
                    admin
                        .write("mutation($id: ID!, $v: Int!) { deleteTag(input: {id: $id, version: $v}) { deletedId } }", json!({ "id": t.id, "v": t.version }))
                        .await
                        .map(|_| ())
                } else {
                    let t = &mut tags[k];
                    admin
                        .write("mutation($id: ID!, $v: Int!, $name: String!) { updateTag(input: {id: $id, version: $v, name: $name}) { tag { version } userErrors { field code } } }", json!({ "id": t.id, "v": t.version, "name": format!("Label w{n} {i} nieuw") }))
                        .await
                        .map(|p| t.version = p["tag"]["version"].as_i64().unwrap())
                }
            }
            6 => {
                let email = format!("w{n}-{i}@example.org");
                anonymous
                    .write("mutation($t: String!, $e: String!, $th: [ID!]!) { submitPost(input: {kind: IDEA, title: $t, body: \"Tekst.\", authorName: \"Iemand\", authorEmail: $e, themeIds: $th}) { post { id version } userErrors { field code } } }", json!({ "t": format!("Idee w{n} {i}"), "e": email, "th": rng.some(&world.themes, 2) }))
                    .await
                    .map(|p| pending.push(Owned { email, ..owned(&p, "post") }))
            }
            7 if !pending.is_empty() => {
                let mut p = pending.swap_remove(rng.below(pending.len()));
                let publish = rng.below(10) < 7;
                let decision = if publish { "PUBLISH" } else { "REJECT" };
                admin
                    .write(MODERATE, json!({ "id": p.id, "v": p.version, "d": decision }))
                    .await
                    .map(|r| {
                        p.version = r["post"]["version"].as_i64().unwrap();
                        if publish { published.push(p) } else { rejected.push(p) }
                    })
            }
            8 if !published.is_empty() || !rejected.is_empty() => {
                // An unpublication, or a rejected post published after all.
                let (from, publish) = if !rejected.is_empty() && rng.below(2) == 0 {
                    (&mut rejected, true)
                } else if !published.is_empty() {
                    (&mut published, false)
                } else {
                    (&mut rejected, true)
                };
                let mut p = from.swap_remove(rng.below(from.len()));
                let decision = if publish { "PUBLISH" } else { "REJECT" };
                admin
                    .write(MODERATE, json!({ "id": p.id, "v": p.version, "d": decision }))
                    .await
                    .map(|r| {
                        p.version = r["post"]["version"].as_i64().unwrap();
                        if publish { published.push(p) } else { rejected.push(p) }
                    })
            }
            9 if !published.is_empty() || !pending.is_empty() => {
                let list = if !published.is_empty() && rng.below(3) > 0 { &mut published } else if !pending.is_empty() { &mut pending } else { &mut published };
                let k = rng.below(list.len());
                let p = &mut list[k];
                admin
                    .write("mutation($e: String!) { eraseAuthor(input: {authorEmail: $e}) { erasedPosts userErrors { field code } } }", json!({ "e": p.email }))
                    .await
                    .map(|r| p.version += r["erasedPosts"].as_i64().unwrap())
            }
            10 => own
                .write("mutation($t: String!, $th: [ID!]!, $tg: [ID!]!) { submitPost(input: {kind: NEWS, title: $t, body: \"Nieuws.\", authorName: \"Redactie\", themeIds: $th, tagIds: $tg}) { post { id version } userErrors { field code } } }", json!({ "t": format!("Nieuws w{n} {i}"), "th": rng.some(&world.themes, 2), "tg": rng.some(&tag_ids, 2) }))
                .await
                .map(|p| own_posts.push(owned(&p, "post"))),
            11 if !own_posts.is_empty() => {
                let k = rng.below(own_posts.len());
                let p = &mut own_posts[k];
                own.write("mutation($id: ID!, $v: Int!, $tg: [ID!]!, $th: [ID!]!) { updatePost(input: {id: $id, version: $v, tagIds: $tg, themeIds: $th}) { post { version } userErrors { field code } } }", json!({ "id": p.id, "v": p.version, "tg": rng.some(&tag_ids, 3), "th": rng.some(&world.themes, 2) }))
                    .await
                    .map(|r| p.version = r["post"]["version"].as_i64().unwrap())
            }
            12 => {
                // Not rejected ones: retention may purge them at any moment.
                let posts: Vec<String> = published.iter().chain(&own_posts).map(|p| p.id.clone()).collect();
                let report = rng.pick(&posts);
                if events.is_empty() || rng.below(3) == 0 {
                    let input = json!({
                        "title": format!("Bijeenkomst w{n} {i}"), "kindId": world.kind,
                        "startsAt": "2040-01-15T10:00:00+01:00", "endsAt": "2040-01-15T12:00:00+01:00",
                        "hostOrganizationIds": [org.id], "themeIds": rng.some(&world.themes, 2),
                        "reportPostId": report,
                    });
                    own.write("mutation($i: CreateEventInput!) { createEvent(input: $i) { event { id version } userErrors { field code } } }", json!({ "i": input }))
                        .await
                        .map(|p| events.push(owned(&p, "event")))
                } else {
                    let k = rng.below(events.len());
                    let e = &mut events[k];
                    let participants: Vec<String> = orgs.iter().map(|o| o.id.clone()).collect();
                    let input = json!({
                        "id": e.id, "version": e.version, "reportPostId": report,
                        "participatingOrganizationIds": rng.some(&participants, 2),
                        "tagIds": rng.some(&tag_ids, 2),
                    });
                    own.write("mutation($i: UpdateEventInput!) { updateEvent(input: $i) { event { version } userErrors { field code } } }", json!({ "i": input }))
                        .await
                        .map(|p| e.version = p["event"]["version"].as_i64().unwrap())
                }
            }
            _ => {
                let input = json!({
                    "id": org.id, "version": org.version,
                    "websiteDomain": format!("w{n}-{i}.example.nl"),
                    "regionIds": rng.some(&world.regions, 3),
                    "careDomains": ["MENTAL_HEALTH_CARE"],
                    "contactName": format!("Contact {i}"),
                });
                own.write("mutation($i: UpdateOrganizationInput!) { updateOrganization(input: $i) { organization { version } userErrors { field code } } }", json!({ "i": input }))
                    .await
                    .map(|p| org.version = p["organization"]["version"].as_i64().unwrap())
            }
        };
        if done.is_some() {
            written += 1;
        }
    }
    written
}

/// The partner's own store: its map of the directory and the cursor it continues from, kept
/// together (as a partner's database transaction would).
#[derive(Clone, Default, PartialEq, Debug)]
struct Mirror {
    objects: std::collections::BTreeMap<String, Value>,
    cursor: Option<String>,
}

impl Mirror {
    fn apply(&mut self, change: &Value) {
        let id = change["objectId"].as_str().unwrap().to_owned();
        if change["tombstone"] == json!(true) {
            self.objects.remove(&id);
        } else {
            self.objects.insert(id, change["object"].clone());
        }
    }

    /// The objects as a client shows them: links to objects it does not hold (deleted, or not
    /// visible) left out.
    /// (Sorted: the read API lists them A-Z by name, the feed by creation.)
    fn shown(&self) -> std::collections::BTreeMap<String, Value> {
        self.objects
            .iter()
            .map(|(id, object)| {
                let mut object = object.clone();
                for (key, value) in object.as_object_mut().unwrap() {
                    if key.ends_with("Ids") {
                        let kept: Vec<Value> = value
                            .as_array()
                            .unwrap()
                            .iter()
                            .filter(|id| self.objects.contains_key(id.as_str().unwrap()))
                            .cloned()
                            .collect();
                        *value = json!(sorted(kept));
                    } else if key.ends_with("Id")
                        && key != "id"
                        && !value
                            .as_str()
                            .is_some_and(|id| self.objects.contains_key(id))
                    {
                        *value = Value::Null;
                    }
                }
                (id.clone(), object)
            })
            .collect()
    }
}

fn sorted(mut ids: Vec<Value>) -> Vec<Value> {
    ids.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    ids
}

/// Takes a snapshot into a fresh mirror; the first attempt "crashes" half-way through the body.
async fn snapshot_into_mirror(api: &Api, crash: bool) -> Option<Mirror> {
    let response = api
        .client
        .get(format!("{}/export/directory.ndjson", api.base))
        .bearer_auth(api.token.as_ref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut mirror = Mirror::default();
    let mut response = response;
    let mut pending = String::new();
    let mut chunks = 0;
    while let Some(chunk) = response.chunk().await.unwrap() {
        chunks += 1;
        if crash && chunks == 2 {
            return None;
        }
        pending.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = pending.find('\n') {
            let line: Value = serde_json::from_str(&pending[..end]).unwrap();
            pending.drain(..=end);
            if let Some(cursor) = line.get("cursor") {
                mirror.cursor = Some(cursor.as_str().unwrap().to_owned());
            } else {
                mirror.objects.insert(
                    line["id"].as_str().unwrap().to_owned(),
                    line["object"].clone(),
                );
            }
        }
    }
    assert!(mirror.cursor.is_some(), "a snapshot ends with its cursor");
    Some(mirror)
}

/// The partner: a snapshot (after one that crashed), then the feed, page by page, storing map
/// and cursor after each page, "crashing" now and then (a page applied halfway, lost) and
/// resuming from what it stored; after `stop`, it reads on to the end. Returns the mirror and
/// how many changes it applied.
async fn partner(servers: Vec<Api>, stop: tokio::sync::watch::Receiver<bool>) -> (Mirror, usize) {
    assert!(snapshot_into_mirror(&servers[0], true).await.is_none());
    let mut stored = snapshot_into_mirror(&servers[servers.len() - 1], false)
        .await
        .unwrap();
    let mut rng = Rng(42);
    let mut applied = 0;
    let mut round = 0;
    loop {
        round += 1;
        let finishing = *stop.borrow();
        let api = &servers[round % servers.len()];
        let first = 10 + rng.below(90);
        let data = api
            .data(CHANGES, json!({ "after": stored.cursor, "first": first }))
            .await;
        let edges = data["changes"]["edges"].as_array().unwrap().clone();
        let mut working = stored.clone();
        let crash = rng.below(6) == 0 && !edges.is_empty();
        for (k, edge) in edges.iter().enumerate() {
            if crash && k == edges.len() / 2 {
                break;
            }
            working.apply(&edge["node"]);
            working.cursor = Some(edge["cursor"].as_str().unwrap().to_owned());
        }
        if crash {
            // Lost: the half-applied page was never stored.
            continue;
        }
        applied += edges.len();
        stored = working;
        if edges.is_empty() {
            if finishing {
                return (stored, applied);
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

const READ_API: [(&str, &str, &str); 9] = [
    (
        "ORGANIZATION",
        "organizations",
        "id slug name alsoKnownAs description website logoUrl city size status joinedOn joinedNote publicEmail publicPhone contactName contactEmail contactPhone kvkNumber agbCode websiteDomain careDomains createdAt updatedAt version regions(first: 100) { nodes { id } } targetGroups(first: 100) { nodes { id } } themes(first: 100) { nodes { id } } tags(first: 100) { nodes { id } }",
    ),
    (
        "PARTNER",
        "partners",
        "id slug name shortName kind role description website coreTeam publicEmail publicPhone contactName contactEmail contactPhone createdAt updatedAt version",
    ),
    (
        "REGION",
        "regions",
        "id slug name kind parent { id } updatedAt version",
    ),
    (
        "TARGET_GROUP",
        "targetGroups",
        "id slug name description updatedAt version",
    ),
    (
        "THEME",
        "themes",
        "id slug name description updatedAt version",
    ),
    ("TAG", "tags", "id slug name description updatedAt version"),
    (
        "EVENT_KIND",
        "eventKinds",
        "id slug name description updatedAt version",
    ),
    (
        "POST",
        "posts",
        "id slug kind title body authorName authorRole organization { id } organizations(first: 100) { nodes { id } } partners(first: 100) { nodes { id } } themes(first: 100) { nodes { id } } tags(first: 100) { nodes { id } } status publishedAt createdAt updatedAt version",
    ),
    (
        "EVENT",
        "events(when: ALL",
        "id slug title kind { id } startsAt endsAt timeZone attendance timeNote city venue description capacity registrationUrl report { id } hostOrganizations(first: 100) { nodes { id } } participatingOrganizations(first: 100) { nodes { id } } hostPartners(first: 100) { nodes { id } } participatingPartners(first: 100) { nodes { id } } themes(first: 100) { nodes { id } } tags(first: 100) { nodes { id } } createdAt updatedAt version",
    ),
];

/// Everything the read API shows a partner, in the feed's shape: relations as lists of IDs
/// (`regions` → `regionIds`), single links as IDs (`parent` → `parentId`, `report` →
/// `reportPostId`).
async fn read_api(api: &Api) -> std::collections::BTreeMap<String, Value> {
    let mut all = std::collections::BTreeMap::new();
    for (_, field, selection) in READ_API {
        let (name, args) = match field.split_once('(') {
            Some((name, args)) => (name, format!("{args}, ")),
            None => (field, String::new()),
        };
        let query = format!(
            "query($after: String) {{ list: {name}({args}first: 20, after: $after) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ {selection} }} }} }}"
        );
        let mut after: Option<String> = None;
        loop {
            let data = api.data(&query, json!({ "after": after })).await;
            for node in data["list"]["nodes"].as_array().unwrap() {
                let mut object = serde_json::Map::new();
                for (key, value) in node.as_object().unwrap() {
                    match value {
                        Value::Object(inner) if inner.contains_key("nodes") => {
                            let ids: Vec<Value> = inner["nodes"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .map(|n| n["id"].clone())
                                .collect();
                            let key = format!("{}Ids", key.strip_suffix('s').unwrap());
                            object.insert(key, json!(sorted(ids)));
                        }
                        Value::Object(inner) => {
                            let key = if key == "report" {
                                "reportPostId".to_owned()
                            } else {
                                format!("{key}Id")
                            };
                            object.insert(key, inner["id"].clone());
                        }
                        Value::Null
                            if ["parent", "organization", "report", "kind"]
                                .contains(&key.as_str()) =>
                        {
                            let key = if key == "report" {
                                "reportPostId".to_owned()
                            } else {
                                format!("{key}Id")
                            };
                            object.insert(key, Value::Null);
                        }
                        _ => {
                            object.insert(key.clone(), value.clone());
                        }
                    }
                }
                all.insert(
                    node["id"].as_str().unwrap().to_owned(),
                    Value::Object(object),
                );
            }
            if data["list"]["pageInfo"]["hasNextPage"] != json!(true) {
                break;
            }
            after = data["list"]["pageInfo"]["endCursor"]
                .as_str()
                .map(str::to_owned);
        }
    }
    all
}

/// A server process of the test's own, stopped when dropped (also when the test fails).
struct ServerProcess(std::process::Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the server binary (a second process) on the database at `url`; returns it and its
/// base URL.
async fn server_process(url: &str, dir: &std::path::Path) -> (ServerProcess, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_network-directory"))
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("DATA_DIR", dir)
        .env("BIND_ADDRESS", "127.0.0.1:0")
        .env("JWT_SECRET", crate::common::TEST_SECRET)
        .env("EMAIL_HASH_KEY", crate::common::TEST_EMAIL_HASH_KEY)
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .env("RATE_LIMIT_IP_PER_MINUTE", "1000000")
        .env("RATE_LIMIT_TOKEN_PER_MINUTE", "1000000")
        .env("RATE_LIMIT_SUBMISSIONS_PER_HOUR", "1000000")
        .env("MAX_PENDING_POSTS", "1000000")
        .env("COST_BUDGET_PER_MINUTE", "0")
        .env("MAX_COMPLEXITY", "1000000")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the server binary starts");
    let stderr = child.stderr.take().unwrap();
    let address = tokio::task::spawn_blocking(move || {
        let mut lines = std::io::BufReader::new(stderr).lines();
        let address = loop {
            let line = lines.next().expect("the server logs its address").unwrap();
            let entry: Value = serde_json::from_str(&line).unwrap_or_default();
            if let Some(address) = entry["fields"]["address"].as_str() {
                break address.to_owned();
            }
        };
        // Keep reading, so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        address
    })
    .await
    .unwrap();
    (ServerProcess(child), format!("http://{address}"))
}

fn mirror_config(config: &mut network_directory::Config) {
    config.max_complexity = 1_000_000;
    config.cost_budget_per_minute = 0;
}

#[tokio::test]
async fn a_partner_mirrors_the_directory_on_sqlite() {
    let app = TestApp::sqlite_with(mirror_config).await;
    mirror_under_concurrent_writers(&app, vec![app.base.clone()], 4, 400).await;
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: run `scripts/with-postgres cargo test`"
)]
async fn a_partner_mirrors_the_directory_on_postgres_with_two_server_processes() {
    let app = TestApp::postgres_with(mirror_config).await;
    let dir = tempfile::tempdir().unwrap();
    let (_second, base) = server_process(&app.database_url, dir.path()).await;
    mirror_under_concurrent_writers(&app, vec![app.base.clone(), base], 6, 300).await;
}

async fn mirror_under_concurrent_writers(
    app: &TestApp,
    servers: Vec<String>,
    writers: usize,
    ops: usize,
) {
    let started = std::time::Instant::now();
    let admin = app.token(network_directory::auth::Role::Admin, "steunpunt", None);
    let partner_token = partner_token(app).unwrap();
    let ids = |table: &'static str, node_type: NodeType| async move {
        let rows = app
            .db
            .query_all_raw(sea_orm::Statement::from_string(
                app.db.get_database_backend(),
                format!("SELECT id FROM {table} WHERE deleted_at IS NULL ORDER BY id"),
            ))
            .await
            .unwrap();
        rows.iter()
            .map(|r| node_type.encode(r.try_get::<i32>("", "id").unwrap()))
            .collect::<Vec<_>>()
    };
    use sea_orm::ConnectionTrait;
    let world = World {
        servers: servers.clone(),
        client: app.client.clone(),
        admin,
        regions: ids("region", NodeType::Region).await,
        themes: ids("theme", NodeType::Theme).await,
        kind: app
            .id_of(NodeType::EventKind, "event_kind", "dialoog")
            .await,
    };
    let organizations = ids("organization", NodeType::Organization).await;
    assert!(organizations.len() >= writers);
    let apis: Vec<Api> = servers
        .iter()
        .map(|base| Api {
            client: app.client.clone(),
            base: base.clone(),
            token: Some(partner_token.clone()),
        })
        .collect();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let reader = tokio::spawn(partner(apis.clone(), stopped));
    let mut tasks = Vec::new();
    for (n, org_id) in organizations.iter().take(writers).cloned().enumerate() {
        let token = app.token(
            network_directory::auth::Role::Organization,
            &format!("writer-{n}"),
            Some(org_id.clone()),
        );
        let org = Owned {
            id: org_id,
            version: 1,
            email: String::new(),
        };
        tasks.push(tokio::spawn(writer(world.clone(), n, org, token, ops)));
    }
    // Retention beside the writers: rejected contributions purged, addresses deleted.
    let retention = {
        let db = app.db.clone();
        let key = app.email_hash_key.clone();
        tokio::spawn(async move {
            for _ in 0..5 {
                tokio::time::sleep(std::time::Duration::from_millis(700)).await;
                let later = chrono::Utc::now() + chrono::Duration::days(40);
                network_directory::privacy::purge(&db, &key, later, 30)
                    .await
                    .unwrap();
            }
        })
    };
    let mut written = 0;
    for task in tasks {
        written += task.await.unwrap();
    }
    retention.await.unwrap();
    let writing = started.elapsed();
    stop.send(true).unwrap();
    let (mirror, applied) = reader.await.unwrap();
    assert!(written > writers * ops / 2, "{written} writes");

    let expected = read_api(&apis[0]).await;
    let shown = mirror.shown();
    let missing: Vec<&String> = expected
        .keys()
        .filter(|k| !shown.contains_key(*k))
        .collect();
    let extra: Vec<&String> = shown
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    for (id, object) in &expected {
        assert_eq!(&shown[id], object, "{id}");
    }
    // And a fresh snapshot is the same map.
    let fresh = snapshot_into_mirror(&apis[0], false).await.unwrap();
    assert_eq!(fresh.shown(), expected);
    eprintln!(
        "mirror: {written} writes by {writers} writers on {} server(s) in {:.1} s; the partner applied {applied} changes; {} objects",
        servers.len(),
        writing.as_secs_f64(),
        expected.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Live changes: the subscription over WebSocket (graphql-transport-ws).

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const SUBSCRIBE: &str = "subscription($after: String, $types: [ChangeType!]) { changes(after: $after, types: $types) { cursor operation type objectId tombstone object } }";

/// Opens a WebSocket to `base`'s `/graphql` in the graphql-transport-ws protocol.
async fn socket(base: &str) -> Socket {
    let mut request = format!("{}/graphql", base.replace("http://", "ws://"))
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Frame::Text(message.to_string().into()))
        .await
        .unwrap();
}

/// The next protocol message (JSON), or the close frame's code and reason as
/// `{"close": code, "reason": …}`; `None` after `wait` without one.
async fn receive(socket: &mut Socket, wait: std::time::Duration) -> Option<Value> {
    loop {
        let frame = tokio::time::timeout(wait, socket.next()).await.ok()?;
        match frame {
            Some(Ok(Frame::Text(text))) => return Some(serde_json::from_str(&text).unwrap()),
            Some(Ok(Frame::Close(frame))) => {
                let (code, reason) = frame
                    .map(|f| (u16::from(f.code), f.reason.to_string()))
                    .unwrap_or((1005, String::new()));
                return Some(json!({ "close": code, "reason": reason }));
            }
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return Some(json!({ "close": 1006, "reason": "" })),
        }
    }
}

/// A connection acknowledged for `token` (anonymous without one).
async fn connected(base: &str, token: Option<&str>) -> Socket {
    let mut socket = socket(base).await;
    let payload = match token {
        Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
        None => json!({}),
    };
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    assert_eq!(
        receive(&mut socket, SECONDS_10).await,
        Some(json!({ "type": "connection_ack" }))
    );
    socket
}

const SECONDS_10: std::time::Duration = std::time::Duration::from_secs(10);

/// The next `n` changes the subscription `id` delivers.
async fn changes_of(socket: &mut Socket, id: &str, n: usize) -> Vec<Value> {
    let mut out = Vec::new();
    while out.len() < n {
        let message = receive(socket, SECONDS_10)
            .await
            .unwrap_or_else(|| panic!("{} of {n} changes arrived", out.len()));
        assert_eq!(message["type"], "next", "{message}");
        assert_eq!(message["id"], id);
        assert!(message["payload"].get("errors").is_none(), "{message}");
        out.push(message["payload"]["data"]["changes"].clone());
    }
    out
}

/// Some writes of every kind; returns nothing: the feed says what they were.
async fn some_writes(app: &TestApp, round: usize) {
    let admin = app.as_admin();
    let friesland = app
        .id_of(NodeType::Organization, "organization", "ggz-friesland")
        .await;
    let version = app
        .count(&format!(
            "SELECT version FROM organization WHERE id = {}",
            decode_id(&friesland)
        ))
        .await;
    admin
        .data(
            "mutation($i: UpdateOrganizationInput!) { updateOrganization(input: $i) { organization { version } } }",
            json!({ "i": { "id": friesland, "version": version, "city": format!("Stad {round}"), "contactName": "Anna" } }),
        )
        .await;
    let tag = admin
        .data(
            "mutation($n: String!) { createTag(input: {name: $n}) { tag { id } } }",
            json!({ "n": format!("Live {round}") }),
        )
        .await["createTag"]["tag"]["id"]
        .clone();
    admin
        .data(
            "mutation($id: ID!) { deleteTag(input: {id: $id, version: 1}) { deletedId } }",
            json!({ "id": tag }),
        )
        .await;
    let submit = r#"mutation($t: String!) { submitPost(input: {kind: IDEA, title: $t, body: "Tekst.", authorName: "Sam"}) { post { id } } }"#;
    let post = app
        .data(submit, json!({ "t": format!("Live idee {round}") }))
        .await["submitPost"]["post"]["id"]
        .clone();
    admin
        .data(MODERATE, json!({ "id": post, "v": 1, "d": "PUBLISH" }))
        .await;
    admin
        .data(MODERATE, json!({ "id": post, "v": 2, "d": "REJECT" }))
        .await;
}

/// Which changes, in which order (their objects are each read when delivered, so a later
/// change may already show).
fn summary(changes: &[Value]) -> Vec<Value> {
    changes
        .iter()
        .map(|c| json!([c["cursor"], c["type"], c["objectId"], c["operation"]]))
        .collect()
}

on_both_databases!(
    a_subscription_sees_every_change_once_in_order,
    anonymous_subscribers_see_published_posts_and_public_profiles,
);

async fn a_subscription_sees_every_change_once_in_order(app: TestApp) {
    let partner = app.as_partner();
    let (_, start) = read_feed(&partner, None).await;
    let token = partner_token(&app).unwrap();
    let mut live = connected(&app.base, Some(&token)).await;
    send(
        &mut live,
        json!({ "id": "live", "type": "subscribe", "payload": { "query": SUBSCRIBE } }),
    )
    .await;
    // The subscription starts at the head: give it a moment to read it before writing.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for round in 0..5 {
        some_writes(&app, round).await;
    }
    let (expected, _) = read_feed(&partner, start.clone()).await;
    assert_eq!(
        expected.len(),
        5 * 5,
        "5 rounds of 5 announced changes: {expected:#?}"
    );
    let delivered = changes_of(&mut live, "live", expected.len()).await;
    assert_eq!(summary(&delivered), summary(&expected));
    // Once: nothing more comes.
    assert_eq!(
        receive(&mut live, std::time::Duration::from_millis(1500)).await,
        None
    );
    // Partners see the partner-only fields, as in the feed.
    let organization = delivered
        .iter()
        .find(|c| c["type"] == "ORGANIZATION")
        .unwrap();
    assert_eq!(organization["object"]["contactName"], "Anna");

    // Resuming after a cursor delivers what followed it, then goes on live.
    let mut resumed = connected(&app.base, Some(&token)).await;
    send(&mut resumed, json!({ "id": "r", "type": "subscribe",
        "payload": { "query": SUBSCRIBE, "variables": { "after": expected[19]["cursor"], "types": ["POST", "TAG"] } } })).await;
    let backlog: Vec<Value> = expected[20..]
        .iter()
        .filter(|c| c["type"] == "POST" || c["type"] == "TAG")
        .cloned()
        .collect();
    assert_eq!(
        summary(&changes_of(&mut resumed, "r", backlog.len()).await),
        summary(&backlog)
    );
    some_writes(&app, 9).await;
    let more = changes_of(&mut resumed, "r", 4).await;
    assert_eq!(
        more.iter().map(|c| c["type"].clone()).collect::<Vec<_>>(),
        vec![json!("TAG"), json!("TAG"), json!("POST"), json!("POST")]
    );
    // Completing it stops it (the server confirms); the connection stays.
    send(&mut resumed, json!({ "id": "r", "type": "complete" })).await;
    assert_eq!(
        receive(&mut resumed, SECONDS_10).await,
        Some(json!({ "id": "r", "type": "complete" }))
    );
    some_writes(&app, 10).await;
    assert_eq!(
        receive(&mut resumed, std::time::Duration::from_millis(1500)).await,
        None
    );

    // A cursor that is not one, or older than the horizon, is an error of the subscription,
    // which ends it.
    send(
        &mut resumed,
        json!({ "id": "bad", "type": "subscribe",
        "payload": { "query": SUBSCRIBE, "variables": { "after": "nonsense" } } }),
    )
    .await;
    let error = receive(&mut resumed, SECONDS_10).await.unwrap();
    assert_eq!(
        (&error["id"], &error["type"]),
        (&json!("bad"), &json!("next"))
    );
    assert_eq!(error["payload"]["data"], Value::Null);
    assert_eq!(
        error["payload"]["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
    assert_eq!(
        receive(&mut resumed, SECONDS_10).await,
        Some(json!({ "id": "bad", "type": "complete" }))
    );
}

async fn anonymous_subscribers_see_published_posts_and_public_profiles(app: TestApp) {
    let mut live = connected(&app.base, None).await;
    send(
        &mut live,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": SUBSCRIBE } }),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let admin = app.as_admin();
    let friesland = app
        .id_of(NodeType::Organization, "organization", "ggz-friesland")
        .await;
    admin
        .data(
            "mutation($i: UpdateOrganizationInput!) { updateOrganization(input: $i) { organization { version } } }",
            json!({ "i": { "id": friesland, "version": 1, "city": "Leeuwarden", "contactName": "Anna" } }),
        )
        .await;
    admin
        .data(
            r#"mutation { createTag(input: {name: "Stil"}) { tag { id } } }"#,
            json!({}),
        )
        .await;
    let post = app
        .data(
            r#"mutation { submitPost(input: {kind: IDEA, title: "Live", body: "Tekst.", authorName: "Sam", authorEmail: "sam@example.org"}) { post { id } } }"#,
            json!({}),
        )
        .await["submitPost"]["post"]["id"]
        .clone();
    admin
        .data(MODERATE, json!({ "id": post, "v": 1, "d": "PUBLISH" }))
        .await;
    // The organization's public profile and the published post; no tag, no pending post.
    let delivered = changes_of(&mut live, "1", 2).await;
    let profile = &delivered[0]["object"];
    assert_eq!(
        (&delivered[0]["type"], &profile["city"]),
        (&json!("ORGANIZATION"), &json!("Leeuwarden"))
    );
    assert!(profile.get("contactName").is_none(), "{profile}");
    assert_eq!(
        (&delivered[1]["type"], &delivered[1]["objectId"]),
        (&json!("POST"), &post)
    );
    assert_eq!(delivered[1]["object"]["title"], "Live");
    assert!(!delivered[1].to_string().contains("sam@example.org"));
    admin
        .data(MODERATE, json!({ "id": post, "v": 2, "d": "REJECT" }))
        .await;
    let rejected = changes_of(&mut live, "1", 1).await;
    assert_eq!(
        (&rejected[0]["objectId"], &rejected[0]["tombstone"]),
        (&post, &json!(true))
    );
    assert_eq!(
        receive(&mut live, std::time::Duration::from_millis(1500)).await,
        None
    );
}

fn ws_config(config: &mut network_directory::Config) {
    config.subscription_connections_per_address = 3;
    config.subscription_idle_secs = 1;
}

/// The limits of a public server: connections per address, subscriptions per connection,
/// subscriptions only, an idle timeout, and the token checked at connect, at expiry and on
/// revocation.
#[tokio::test]
async fn subscriptions_are_limited() {
    let app = TestApp::sqlite_with(ws_config).await;
    let partner = partner_token(&app).unwrap();

    // Without the protocol: no upgrade.
    let mut request = format!("{}/graphql", app.base.replace("http://", "ws://"))
        .into_client_request()
        .unwrap();
    request.headers_mut().remove("sec-websocket-protocol");
    assert!(tokio_tungstenite::connect_async(request).await.is_err());

    // A bad token closes the connection at init (4403).
    let mut bad = socket(&app.base).await;
    send(
        &mut bad,
        json!({ "type": "connection_init", "payload": { "Authorization": "Bearer nonsense" } }),
    )
    .await;
    let closed = receive(&mut bad, SECONDS_10).await.unwrap();
    assert_eq!(closed["close"], 4403, "{closed}");

    // Subscriptions only, and at most ten at a time.
    let mut socket_a = connected(&app.base, Some(&partner)).await;
    send(&mut socket_a, json!({ "id": "q", "type": "subscribe", "payload": { "query": "{ tags { nodes { name } } }" } })).await;
    let refused = receive(&mut socket_a, SECONDS_10).await.unwrap();
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["id"], "q");
    assert!(
        refused["payload"][0]["message"]
            .as_str()
            .unwrap()
            .contains("POST /graphql")
    );
    send(&mut socket_a, json!({ "id": "m", "type": "subscribe", "payload": { "query": "mutation { createTag(input: {name: \"x\"}) { tag { id } } }" } })).await;
    assert_eq!(
        receive(&mut socket_a, SECONDS_10).await.unwrap()["type"],
        "error"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tag WHERE name = 'x'").await,
        0
    );
    for id in 0..10 {
        send(
            &mut socket_a,
            json!({ "id": id.to_string(), "type": "subscribe", "payload": { "query": SUBSCRIBE } }),
        )
        .await;
    }
    send(
        &mut socket_a,
        json!({ "id": "eleventh", "type": "subscribe", "payload": { "query": SUBSCRIBE } }),
    )
    .await;
    let refused = receive(&mut socket_a, SECONDS_10).await.unwrap();
    assert_eq!(
        (&refused["type"], &refused["id"]),
        (&json!("error"), &json!("eleventh"))
    );

    // At most three connections per address (this one and two more, busy, so not idle).
    let mut others = Vec::new();
    for _ in 0..2 {
        let mut other = connected(&app.base, None).await;
        send(
            &mut other,
            json!({ "id": "1", "type": "subscribe", "payload": { "query": SUBSCRIBE } }),
        )
        .await;
        others.push(other);
    }
    let mut request = format!("{}/graphql", app.base.replace("http://", "ws://"))
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 429)
        }
        other => panic!("a fourth connection: {other:?}"),
    }
    drop(others);
    drop(socket_a);

    // Idle: a connection without subscriptions is closed after a second. (The server counts
    // the closed connections out as it notices them.)
    let mut idle = loop {
        let mut request = format!("{}/graphql", app.base.replace("http://", "ws://"))
            .into_client_request()
            .unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        if let Ok((socket, _)) = tokio_tungstenite::connect_async(request).await {
            break socket;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let started = std::time::Instant::now();
    let closed = receive(&mut idle, SECONDS_10).await.unwrap();
    assert_eq!(closed["close"], 1000, "{closed}");
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
    drop(idle);

    // A token that expires: the connection is closed when it does.
    let (short, _) = app
        .keys
        .issue(
            network_directory::auth::Role::Partner,
            "trimbos-instituut",
            None,
            std::time::Duration::from_secs(2),
        )
        .unwrap();
    let mut expiring = connected(&app.base, Some(&short)).await;
    send(
        &mut expiring,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": SUBSCRIBE } }),
    )
    .await;
    let closed = receive(&mut expiring, SECONDS_10).await.unwrap();
    assert_eq!(closed["close"], 4403, "{closed}");
    assert!(
        closed["reason"].as_str().unwrap().contains("expired"),
        "{closed}"
    );

    // A revoked token: closed as soon as the revocation is known.
    let (recorded, jti) = app
        .recorded_token(
            network_directory::auth::Role::Partner,
            "trimbos-instituut",
            None,
        )
        .await;
    let mut revoked = connected(&app.base, Some(&recorded)).await;
    send(
        &mut revoked,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": SUBSCRIBE } }),
    )
    .await;
    app.as_admin()
        .data(
            "mutation($t: String!) { revokeToken(input: {tokenId: $t}) { revokedTokenId } }",
            json!({ "t": jti }),
        )
        .await;
    let closed = receive(&mut revoked, SECONDS_10).await.unwrap();
    assert_eq!(closed["close"], 4403, "{closed}");
    assert!(
        closed["reason"].as_str().unwrap().contains("revoked"),
        "{closed}"
    );
}

/// A change committed through one replica reaches subscribers of another.
#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: run `scripts/with-postgres cargo test`"
)]
async fn a_change_on_one_replica_reaches_subscribers_on_another() {
    let writer = TestApp::postgres().await;
    let reader = TestApp::on_database(writer.database_url.clone(), |_| {}).await;
    let mut live = connected(&reader.base, Some(&partner_token(&reader).unwrap())).await;
    send(
        &mut live,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": SUBSCRIBE } }),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    writer
        .as_admin()
        .data(
            r#"mutation { createTag(input: {name: "Elders"}) { tag { id } } }"#,
            json!({}),
        )
        .await;
    let delivered = changes_of(&mut live, "1", 1).await;
    assert_eq!(delivered[0]["object"]["name"], "Elders");
    // Heard through LISTEN/NOTIFY, well before the 5-second fallback read.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

on_both_databases!(the_migration_hides_the_history_of_unpublished_posts);

/// A database journaled before the feed was read: the migration hides the changes of posts
/// that are not published, so they never reach partners.
async fn the_migration_hides_the_history_of_unpublished_posts(app: TestApp) {
    use migration::MigratorTrait;
    let pending = app
        .data(
            r#"mutation { submitPost(input: {kind: IDEA, title: "Wacht", body: "Tekst.", authorName: "Sam"}) { post { id } } }"#,
            json!({}),
        )
        .await["submitPost"]["post"]["id"]
        .clone();
    migration::Migrator::down(&app.db, Some(1)).await.unwrap();
    // As the journal wrote before: no `hidden` column, every change shown.
    let published_changes = app
        .count("SELECT COUNT(*) FROM change_feed WHERE entity_type = 'post'")
        .await
        - 1;
    migration::Migrator::up(&app.db, None).await.unwrap();
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM change_feed WHERE entity_type = 'post' AND hidden AND entity_id = {}",
            decode_id(pending.as_str().unwrap())
        ))
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM change_feed WHERE entity_type = 'post' AND NOT hidden")
            .await,
        published_changes
    );
    let (changes, _) = read_feed(&app.as_partner(), None).await;
    assert!(of(&changes, &pending).is_empty());
}
