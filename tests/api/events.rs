//! Events (the movement's meetings): listing with filters, both orders and pages; the events
//! under an organization and a theme; writes by administrators and by hosting organizations,
//! with versions, journal entries and user errors; the iCalendar feed, parsed by an iCalendar
//! parser; times in Europe/Amsterdam time across daylight saving time.

use icalendar::{Component, EventLike};
use network_directory::graphql::node::NodeType;
use serde_json::{Value, json};

use crate::common::{Caller, TestApp};
use crate::on_both_databases;

on_both_databases!(
    events_are_listed_filtered_and_paged,
    events_hang_under_organizations_and_themes,
    administrators_write_events_with_versions_and_checks,
    organizations_write_only_the_events_they_host,
    the_calendar_feed_is_valid_icalendar,
    event_statements_do_not_grow_with_the_page,
);

const CREATE: &str = r#"mutation($input: CreateEventInput!) {
  createEvent(input: $input) {
    event { id slug title version startsAt endsAt timeZone attendance city venue capacity
            registrationUrl kind { slug }
            hostOrganizations { nodes { slug } } participatingOrganizations { nodes { slug } }
            hostPartners { nodes { slug } } themes { nodes { slug } } }
    userErrors { field code }
  }
}"#;

const UPDATE: &str = r#"mutation($input: UpdateEventInput!) {
  updateEvent(input: $input) {
    event { slug title version startsAt endsAt hostOrganizations { nodes { slug } } }
    userErrors { field code }
  }
}"#;

const DELETE: &str = r#"mutation($input: DeleteInput!) {
  deleteEvent(input: $input) { deletedId userErrors { field code } }
}"#;

/// Three upcoming events: one in winter (CET, +01:00), one in summer (CEST, +02:00, given in
/// UTC) and one over two days in March, hosted by a partner.
async fn arrange(app: &TestApp) -> Vec<Value> {
    let admin = app.as_admin();
    let kind = |slug: &'static str| async move {
        app.id_of(NodeType::EventKind, "event_kind", slug).await
    };
    let inputs = [
        json!({
            "title": "Winterbijeenkomst",
            "kindId": kind("uitwisselingsbijeenkomst").await,
            "startsAt": "2040-01-15T10:00:00+01:00",
            "endsAt": "2040-01-15T12:00:00+01:00",
            "attendance": "PHYSICAL",
            "city": "Utrecht",
            "venue": "Stadhuis",
            "capacity": 40,
            "registrationUrl": "https://www.rvggz.nl/aanmelden",
            "hostOrganizationIds": [app.id_of(NodeType::Organization, "organization", "kwintes").await],
            "themeIds": [app.id_of(NodeType::Theme, "theme", "optrekken-met-naasten").await],
        }),
        json!({
            "title": "Zomerdialoog",
            "kindId": kind("dialoog").await,
            "startsAt": "2040-07-15T12:00:00Z",
            "endsAt": "2040-07-15T14:00:00Z",
            "attendance": "ONLINE",
            "hostOrganizationIds": [app.id_of(NodeType::Organization, "organization", "arkin").await],
            "participatingOrganizationIds": [app.id_of(NodeType::Organization, "organization", "kwintes").await],
            "themeIds": [app.id_of(NodeType::Theme, "theme", "organiseren-en-vernieuwen-medezeggenschap").await],
        }),
        json!({
            "slug": "themadagen-maart-2040",
            "title": "Themadagen",
            "kindId": kind("themabijeenkomst").await,
            "startsAt": "2040-03-01T09:00:00+01:00",
            "endsAt": "2040-03-02T17:00:00+01:00",
            "hostPartnerIds": [app.id_of(NodeType::Partner, "partner", "loc-waardevolle-zorg").await],
        }),
    ];
    let mut events = Vec::new();
    for input in inputs {
        let data = admin.data(CREATE, json!({ "input": input })).await;
        assert_eq!(data["createEvent"]["userErrors"], json!([]));
        events.push(data["createEvent"]["event"].clone());
    }
    events
}

async fn slugs(caller: &Caller<'_>, query: &str, variables: Value) -> Value {
    caller.data(query, variables).await
}

async fn events_are_listed_filtered_and_paged(app: TestApp) {
    let created = arrange(&app).await;
    // What was created, with the times in Amsterdam time: +01:00 in winter, +02:00 in summer.
    assert_eq!(
        created[0],
        json!({
            "id": created[0]["id"], "slug": "winterbijeenkomst-2040-01-15",
            "title": "Winterbijeenkomst", "version": 1,
            "startsAt": "2040-01-15T10:00:00+01:00", "endsAt": "2040-01-15T12:00:00+01:00",
            "timeZone": "Europe/Amsterdam", "attendance": "PHYSICAL", "city": "Utrecht",
            "venue": "Stadhuis", "capacity": 40, "registrationUrl": "https://www.rvggz.nl/aanmelden",
            "kind": { "slug": "uitwisselingsbijeenkomst" },
            "hostOrganizations": { "nodes": [{ "slug": "kwintes" }] },
            "participatingOrganizations": { "nodes": [] },
            "hostPartners": { "nodes": [] },
            "themes": { "nodes": [{ "slug": "optrekken-met-naasten" }] },
        })
    );
    assert_eq!(created[1]["startsAt"], "2040-07-15T14:00:00+02:00");
    assert_eq!(created[1]["endsAt"], "2040-07-15T16:00:00+02:00");
    assert_eq!(created[1]["attendance"], "ONLINE");
    assert_eq!(
        created[2]["hostPartners"],
        json!({ "nodes": [{ "slug": "loc-waardevolle-zorg" }] })
    );

    let list = r#"query($filter: EventFilter, $when: EventTime, $first: Int, $after: String) {
      events(filter: $filter, when: $when, first: $first, after: $after) {
        nodes { slug } pageInfo { hasNextPage endCursor } totalCount } }"#;
    let anon = app.anon();
    let nodes = |slugs: &[&str]| {
        json!(
            slugs
                .iter()
                .map(|s| json!({ "slug": s }))
                .collect::<Vec<_>>()
        )
    };

    // Upcoming by default, earliest first; the seeded (past) meetings are not among them.
    let upcoming = slugs(&anon, list, json!({})).await;
    assert_eq!(
        upcoming["events"],
        json!({
            "nodes": nodes(&["winterbijeenkomst-2040-01-15", "themadagen-maart-2040", "zomerdialoog-2040-07-15"]),
            "pageInfo": { "hasNextPage": false, "endCursor": upcoming["events"]["pageInfo"]["endCursor"] },
            "totalCount": 3,
        })
    );

    // Past on request, latest first (same start: the later id first).
    let past = slugs(&anon, list, json!({ "when": "PAST" })).await;
    assert_eq!(
        past["events"]["nodes"],
        nodes(&[
            "dialoog-2022-10-10",
            "halfjaarlijkse-ontmoeting-2022-07",
            "halfjaarlijkse-ontmoeting-2021-06-29",
            "kampvuurgesprek-mentrum-2021",
            "kampvuurgesprek-kwintes-2021",
            "startbijeenkomst-2021-01-26",
        ])
    );
    assert_eq!(past["events"]["totalCount"], 6);

    // Pages: keyset cursors, in both orders.
    let first = slugs(&anon, list, json!({ "first": 1 })).await;
    assert_eq!(
        first["events"]["nodes"],
        nodes(&["winterbijeenkomst-2040-01-15"])
    );
    assert_eq!(first["events"]["pageInfo"]["hasNextPage"], true);
    let cursor = first["events"]["pageInfo"]["endCursor"].clone();
    let rest = slugs(&anon, list, json!({ "first": 5, "after": cursor })).await;
    assert_eq!(
        rest["events"]["nodes"],
        nodes(&["themadagen-maart-2040", "zomerdialoog-2040-07-15"])
    );
    assert_eq!(rest["events"]["pageInfo"]["hasNextPage"], false);
    let past_first = slugs(&anon, list, json!({ "when": "PAST", "first": 2 })).await;
    assert_eq!(
        past_first["events"]["nodes"],
        nodes(&["dialoog-2022-10-10", "halfjaarlijkse-ontmoeting-2022-07"])
    );
    let cursor = past_first["events"]["pageInfo"]["endCursor"].clone();
    let past_next = slugs(
        &anon,
        list,
        json!({ "when": "PAST", "first": 2, "after": cursor }),
    )
    .await;
    assert_eq!(
        past_next["events"]["nodes"],
        nodes(&[
            "halfjaarlijkse-ontmoeting-2021-06-29",
            "kampvuurgesprek-mentrum-2021"
        ])
    );
    // A cursor of one order is refused in the other.
    let code = anon
        .error_code(list, json!({ "first": 2, "after": cursor }))
        .await;
    assert_eq!(code, "BAD_USER_INPUT");

    // Each filter.
    let by_kind = slugs(
        &anon,
        list,
        json!({ "when": "ALL", "filter": { "kinds": ["dialoog"] } }),
    )
    .await;
    assert_eq!(
        by_kind["events"]["nodes"],
        nodes(&["dialoog-2022-10-10", "zomerdialoog-2040-07-15"])
    );
    let by_organization = slugs(
        &anon,
        list,
        json!({ "filter": { "organizations": ["kwintes"] } }),
    )
    .await;
    assert_eq!(
        by_organization["events"]["nodes"],
        nodes(&["winterbijeenkomst-2040-01-15", "zomerdialoog-2040-07-15"]),
        "hosting and taking part"
    );
    let by_theme = slugs(
        &anon,
        list,
        json!({ "filter": { "themes": ["optrekken-met-naasten"] } }),
    )
    .await;
    assert_eq!(
        by_theme["events"]["nodes"],
        nodes(&["winterbijeenkomst-2040-01-15"])
    );
    let period = slugs(
        &anon,
        list,
        json!({ "when": "ALL", "filter": { "from": "2040-03-02T12:00:00+01:00", "to": "2040-07-15T14:00:00+02:00" } }),
    )
    .await;
    assert_eq!(
        period["events"]["nodes"],
        nodes(&["themadagen-maart-2040"]),
        "overlapping the period: the second day of the March event; the summer one starts at `to`"
    );
    let seeded = slugs(
        &anon,
        list,
        json!({ "when": "PAST", "filter": { "kinds": ["kampvuurgesprek"], "organizations": ["arkin"] } }),
    )
    .await;
    assert_eq!(
        seeded["events"]["nodes"],
        nodes(&["kampvuurgesprek-mentrum-2021"])
    );

    // Lookup by slug and by global ID.
    let one = anon
        .data(
            r#"query($id: ID!) { event(slug: "halfjaarlijkse-ontmoeting-2022-07") {
                 title startsAt endsAt timeNote attendance city report { slug }
                 participatingPartners(first: 2) { nodes { slug } } }
               node(id: $id) { ... on Event { slug } } }"#,
            json!({ "id": created[1]["id"] }),
        )
        .await;
    assert_eq!(
        one,
        json!({
            "event": {
                "title": "Halfjaarlijkse ontmoeting in Utrecht",
                "startsAt": "2022-07-01T00:00:00+02:00",
                "endsAt": "2022-08-01T00:00:00+02:00",
                "timeNote": "juli 2022 (dag niet bekend)",
                "attendance": "PHYSICAL",
                "city": "Utrecht",
                "report": { "slug": "deelnemers-putten-moed-uit-vernieuwingsbeweging" },
                "participatingPartners": { "nodes": [{ "slug": "de-nederlandse-ggz" }, { "slug": "inspectie-gezondheidszorg-en-jeugd" }] },
            },
            "node": { "slug": "zomerdialoog-2040-07-15" },
        })
    );
}

async fn events_hang_under_organizations_and_themes(app: TestApp) {
    arrange(&app).await;
    let data = app
        .data(
            r#"{ kwintes: organization(slug: "kwintes") {
                   upcoming: events { nodes { slug } totalCount }
                   past: events(when: PAST) { nodes { slug } } }
                 arkin: organization(slug: "arkin") { events(first: 1) { nodes { slug } pageInfo { hasNextPage } } }
                 theme(slug: "opstart-vernieuwingsbeweging") {
                   past: events(when: PAST) { nodes { slug } }
                   upcoming: events { nodes { slug } } }
                 naasten: theme(slug: "optrekken-met-naasten") { events(when: ALL) { nodes { slug } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        data,
        json!({
            "kwintes": {
                "upcoming": { "nodes": [{ "slug": "winterbijeenkomst-2040-01-15" }, { "slug": "zomerdialoog-2040-07-15" }], "totalCount": 2 },
                "past": { "nodes": [{ "slug": "kampvuurgesprek-kwintes-2021" }] },
            },
            "arkin": { "events": { "nodes": [{ "slug": "zomerdialoog-2040-07-15" }], "pageInfo": { "hasNextPage": false } } },
            "theme": {
                "past": { "nodes": [{ "slug": "dialoog-2022-10-10" }, { "slug": "halfjaarlijkse-ontmoeting-2022-07" }] },
                "upcoming": { "nodes": [] },
            },
            "naasten": { "events": { "nodes": [{ "slug": "halfjaarlijkse-ontmoeting-2022-07" }, { "slug": "winterbijeenkomst-2040-01-15" }] } },
        })
    );
}

async fn administrators_write_events_with_versions_and_checks(app: TestApp) {
    let created = arrange(&app).await;
    let admin = app.as_admin();
    let id = created[0]["id"].clone();
    let kind = app
        .id_of(NodeType::EventKind, "event_kind", "dialoog")
        .await;
    let events = || app.count("SELECT COUNT(*) FROM event");
    let before = events().await;

    // Bad input: user errors, nothing written.
    let bad = admin
        .data(
            CREATE,
            json!({ "input": {
                "title": " ",
                "kindId": NodeType::EventKind.encode(9999),
                "startsAt": "2040-05-01T12:00:00+02:00",
                "endsAt": "2040-05-01T11:00:00+02:00",
                "registrationUrl": "javascript:alert(1)",
                "capacity": 0,
                "hostOrganizationIds": [NodeType::Organization.encode(9999)],
                "themeIds": [kind.clone()],
            } }),
        )
        .await;
    assert_eq!(
        bad["createEvent"],
        json!({ "event": null, "userErrors": [
            { "field": "title", "code": "REQUIRED" },
            { "field": "registrationUrl", "code": "INVALID" },
            { "field": "capacity", "code": "INVALID" },
            { "field": "endsAt", "code": "INVALID" },
            { "field": "kindId", "code": "NOT_FOUND" },
            { "field": "hostOrganizationIds", "code": "NOT_FOUND" },
            { "field": "themeIds", "code": "INVALID" },
        ] })
    );
    let both = admin
        .data(
            UPDATE,
            json!({ "input": { "id": id, "version": 1,
                "participatingOrganizationIds": [app.id_of(NodeType::Organization, "organization", "kwintes").await],
                "hostOrganizationIds": [app.id_of(NodeType::Organization, "organization", "kwintes").await] } }),
        )
        .await;
    assert_eq!(
        both["updateEvent"]["userErrors"],
        json!([{ "field": "participatingOrganizationIds", "code": "INVALID" }])
    );
    let ends_before = admin
        .data(
            UPDATE,
            json!({ "input": { "id": id, "version": 1, "endsAt": "2040-01-15T09:00:00+01:00" } }),
        )
        .await;
    assert_eq!(
        ends_before["updateEvent"]["userErrors"],
        json!([{ "field": "endsAt", "code": "INVALID" }]),
        "checked against the stored start"
    );
    assert_eq!(events().await, before);

    // Versions: an update bumps it; a stale one conflicts.
    let updated = admin
        .data(
            UPDATE,
            json!({ "input": { "id": id, "version": 1, "title": "Winterontmoeting", "kindId": kind,
                               "startsAt": "2040-01-15T09:30:00+01:00" } }),
        )
        .await;
    assert_eq!(
        updated["updateEvent"],
        json!({ "event": { "slug": "winterbijeenkomst-2040-01-15", "title": "Winterontmoeting", "version": 2,
                           "startsAt": "2040-01-15T09:30:00+01:00", "endsAt": "2040-01-15T12:00:00+01:00",
                           "hostOrganizations": { "nodes": [{ "slug": "kwintes" }] } },
                "userErrors": [] })
    );
    let stale = admin
        .query(
            UPDATE,
            json!({ "input": { "id": id, "version": 1, "title": "Oud" } }),
        )
        .await;
    assert_eq!(stale["errors"][0]["extensions"]["code"], "CONFLICT");
    assert_eq!(stale["errors"][0]["extensions"]["currentVersion"], 2);
    let stale = admin
        .error_code(DELETE, json!({ "input": { "id": id, "version": 1 } }))
        .await;
    assert_eq!(stale, "CONFLICT");

    // A kind in use cannot be deleted; kinds are a vocabulary administrators extend.
    let kinds = r#"mutation($id: ID!) { deleteEventKind(input: {id: $id, version: 1}) { deletedId userErrors { field code } } }"#;
    let refused = admin.data(kinds, json!({ "id": kind })).await;
    assert_eq!(
        refused["deleteEventKind"],
        json!({ "deletedId": null, "userErrors": [{ "field": "id", "code": "INVALID" }] })
    );
    let made = admin
        .data(
            r#"mutation { createEventKind(input: {name: "Werkbezoek"}) { eventKind { slug name version } userErrors { field } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        made["createEventKind"],
        json!({ "eventKind": { "slug": "werkbezoek", "name": "Werkbezoek", "version": 1 }, "userErrors": [] })
    );
    assert_eq!(
        app.error_code(
            r#"mutation { createEventKind(input: {name: "Nee"}) { eventKind { slug } } }"#,
            json!({})
        )
        .await,
        "UNAUTHENTICATED"
    );

    // The audit log finds an event's and a kind's entries by their IDs.
    let by_id = admin
        .data(
            r#"query($event: ID!, $kind: ID!) {
                 event: auditLog(filter: {entityId: $event}) { nodes { action entityId } }
                 kind: auditLog(filter: {entityId: $kind}) { nodes { action entityId } } }"#,
            json!({ "event": id, "kind": kind }),
        )
        .await;
    assert_eq!(
        by_id,
        json!({
            "event": { "nodes": [
                { "action": "event.update", "entityId": id },
                { "action": "event.create", "entityId": id },
            ] },
            "kind": { "nodes": [{ "action": "event_kind.create", "entityId": kind }] },
        })
    );

    // Delete: gone from lists and lookups.
    let deleted = admin
        .data(DELETE, json!({ "input": { "id": id, "version": 2 } }))
        .await;
    assert_eq!(
        deleted["deleteEvent"],
        json!({ "deletedId": id, "userErrors": [] })
    );
    let gone = app
        .data(
            r#"{ event(slug: "winterbijeenkomst-2040-01-15") { slug } events { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        gone,
        json!({ "event": null, "events": { "totalCount": 2 } })
    );

    // Every write is journaled with before and after.
    let audit = admin
        .data(
            r#"{ auditLog(first: 20) { nodes { action actorRole before after } } }"#,
            json!({}),
        )
        .await;
    let actions: Vec<Value> = audit["auditLog"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("event."))
        .filter(|e| e["actorRole"] != "system")
        .map(|e| {
            json!({
                "action": e["action"],
                "actorRole": e["actorRole"],
                "before": e["before"].get("title").map_or(Value::Null, |_| json!({ "title": e["before"]["title"] })),
                "after": e["after"].get("title").map_or(Value::Null, |_| json!({ "title": e["after"]["title"] })),
            })
        })
        .collect();
    let actions: Vec<&Value> = actions.iter().collect();
    assert_eq!(
        actions,
        [
            &json!({ "action": "event.delete", "actorRole": "admin", "before": { "title": "Winterontmoeting" }, "after": null }),
            &json!({ "action": "event.update", "actorRole": "admin", "before": { "title": "Winterbijeenkomst" }, "after": { "title": "Winterontmoeting" } }),
            &json!({ "action": "event.create", "actorRole": "admin", "before": null, "after": { "title": "Themadagen" } }),
            &json!({ "action": "event.create", "actorRole": "admin", "before": null, "after": { "title": "Zomerdialoog" } }),
            &json!({ "action": "event.create", "actorRole": "admin", "before": null, "after": { "title": "Winterbijeenkomst" } }),
        ]
    );
}

async fn organizations_write_only_the_events_they_host(app: TestApp) {
    let created = arrange(&app).await;
    let kwintes = app.as_org("kwintes").await;
    let kwintes_id = app
        .id_of(NodeType::Organization, "organization", "kwintes")
        .await;
    let arkin_id = app
        .id_of(NodeType::Organization, "organization", "arkin")
        .await;
    let kind = app
        .id_of(NodeType::EventKind, "event_kind", "kampvuurgesprek")
        .await;
    let input = |hosts: Vec<String>| {
        json!({ "input": {
            "title": "Kampvuurgesprek in Utrecht",
            "kindId": kind,
            "startsAt": "2040-10-29T19:00:00+01:00",
            "endsAt": "2040-10-29T21:00:00+01:00",
            "hostOrganizationIds": hosts,
        } })
    };

    // Only events it hosts.
    for hosts in [vec![], vec![arkin_id.clone()]] {
        let code = kwintes.error_code(CREATE, input(hosts)).await;
        assert_eq!(code, "FORBIDDEN");
    }
    let own = kwintes
        .data(CREATE, input(vec![kwintes_id.clone(), arkin_id.clone()]))
        .await;
    assert_eq!(own["createEvent"]["userErrors"], json!([]));
    let event = &own["createEvent"]["event"];
    assert_eq!(
        event["startsAt"], "2040-10-29T19:00:00+01:00",
        "after the end of summer time"
    );
    assert_eq!(
        event["hostOrganizations"]["nodes"],
        json!([{ "slug": "arkin" }, { "slug": "kwintes" }])
    );
    let own_id = event["id"].clone();

    // Its own (hosted) events: yes; one it only takes part in, or another's: no.
    let edited = kwintes
        .data(
            UPDATE,
            json!({ "input": { "id": own_id, "version": 1, "title": "Kampvuurgesprek" } }),
        )
        .await;
    assert_eq!(edited["updateEvent"]["event"]["version"], 2);
    let winter = kwintes
        .data(
            UPDATE,
            json!({ "input": { "id": created[0]["id"], "version": 1, "venue": null } }),
        )
        .await;
    assert_eq!(winter["updateEvent"]["userErrors"], json!([]));
    for (id, version) in [(&created[1]["id"], 1), (&created[2]["id"], 1)] {
        let code = kwintes
            .error_code(
                UPDATE,
                json!({ "input": { "id": id, "version": version, "title": "Van ons" } }),
            )
            .await;
        assert_eq!(code, "FORBIDDEN");
        let code = kwintes
            .error_code(DELETE, json!({ "input": { "id": id, "version": version } }))
            .await;
        assert_eq!(code, "FORBIDDEN");
    }
    // It cannot hand its event over to others.
    let code = kwintes
        .error_code(
            UPDATE,
            json!({ "input": { "id": own_id, "version": 2, "hostOrganizationIds": [arkin_id] } }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    // The other host may edit it too.
    let arkin = app.as_org("arkin").await;
    let by_arkin = arkin
        .data(
            UPDATE,
            json!({ "input": { "id": own_id, "version": 2, "title": "Kampvuur" } }),
        )
        .await;
    assert_eq!(by_arkin["updateEvent"]["event"]["version"], 3);

    // Partners and anonymous callers write no events.
    let code = app
        .as_partner()
        .error_code(CREATE, input(vec![kwintes_id.clone()]))
        .await;
    assert_eq!(code, "FORBIDDEN");
    let code = app
        .error_code(CREATE, input(vec![kwintes_id.clone()]))
        .await;
    assert_eq!(code, "UNAUTHENTICATED");

    // The journal files its writes under the organization.
    let audit = app
        .as_admin()
        .data(
            r#"query($id: ID!) { auditLog(filter: {organizationId: $id}, first: 10) { nodes { action actor } } }"#,
            json!({ "id": kwintes_id }),
        )
        .await;
    let entries: Vec<&Value> = audit["auditLog"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("event."))
        .collect();
    assert_eq!(
        entries,
        [
            &json!({ "action": "event.update", "actor": "kwintes" }),
            &json!({ "action": "event.update", "actor": "kwintes" }),
            &json!({ "action": "event.create", "actor": "kwintes" }),
            &json!({ "action": "event.create", "actor": "steunpunt" }),
            &json!({ "action": "event.create", "actor": "seed" }),
        ],
        "its own writes, the winter event it hosts, and its seeded campfire conversation"
    );

    // Its own event deleted, at the current version.
    let deleted = kwintes
        .data(DELETE, json!({ "input": { "id": own_id, "version": 3 } }))
        .await;
    assert_eq!(deleted["deleteEvent"]["deletedId"], own_id);
}

async fn the_calendar_feed_is_valid_icalendar(app: TestApp) {
    arrange(&app).await;
    let kind = app
        .id_of(NodeType::EventKind, "event_kind", "themabijeenkomst")
        .await;
    let description = "Regels; relaties, en \\ meer.\nTweede regel met een lange zin die zeker langer is dan vijfenzeventig octetten: cliënten, naasten én hulpverleners.";
    let made = app
        .as_admin()
        .data(
            CREATE,
            json!({ "input": {
                "title": "Thema: regie, eigen regie; en \\ meer",
                "kindId": kind,
                "description": description,
                "startsAt": "2040-03-29T10:00:00+02:00",
                "endsAt": "2040-03-29T12:00:00+02:00",
                "venue": "Huis, zaal 1",
                "city": "Amersfoort",
                "themeIds": [app.id_of(NodeType::Theme, "theme", "optrekken-met-naasten").await],
            } }),
        )
        .await;
    assert_eq!(made["createEvent"]["userErrors"], json!([]));
    let id = made["createEvent"]["event"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let response = app.get("/events.ics").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    // Content lines end in CRLF and are folded at 75 octets.
    assert!(text.ends_with("END:VCALENDAR\r\n"));
    for line in text.split("\r\n") {
        assert!(!line.contains('\n'), "a bare line feed: {line:?}");
        assert!(
            line.len() <= 75,
            "an unfolded line of {} octets: {line:?}",
            line.len()
        );
    }
    assert!(text.contains("\r\n "), "long lines are folded");

    let calendar: icalendar::Calendar = text.parse().expect("the feed parses");
    assert_eq!(calendar.property_value("VERSION"), Some("2.0"));
    assert_eq!(
        calendar.property_value("PRODID"),
        Some("-//Radicale vernieuwing langdurige ggz//network-directory//NL")
    );
    let events: Vec<&icalendar::Event> = calendar.events().collect();
    let summaries: Vec<&str> = events.iter().map(|e| e.get_summary().unwrap()).collect();
    assert_eq!(
        summaries,
        [
            "Startbijeenkomst Radicale vernieuwing langdurige ggz",
            "Kampvuurgesprek bij Kwintes",
            "Kampvuurgesprek bij Mentrum",
            "Halfjaarlijkse ontmoeting",
            "Halfjaarlijkse ontmoeting in Utrecht",
            "Dialoog met inspectie, VWS, zorgautoriteit en zorgkantoren",
            "Winterbijeenkomst",
            "Themadagen",
            "Thema: regie, eigen regie; en \\ meer",
            "Zomerdialoog",
        ],
        "earliest first; escaped , ; and \\ read back as written"
    );
    for event in &events {
        assert!(
            event
                .get_uid()
                .is_some_and(|uid| uid.ends_with("@network-directory"))
        );
        assert!(event.get_timestamp().is_some(), "DTSTAMP");
        assert!(event.get_start().is_some() && event.get_end().is_some());
    }
    let utc = |s: &str| {
        icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::Utc(
            s.parse::<chrono::DateTime<chrono::Utc>>().unwrap(),
        ))
    };
    // Winter (+01:00) and summer (+02:00, the day after the clocks went forward) in UTC.
    let winter = events[6];
    assert_eq!(winter.get_start(), Some(utc("2040-01-15T09:00:00Z")));
    assert_eq!(winter.get_end(), Some(utc("2040-01-15T11:00:00Z")));
    assert_eq!(winter.get_location(), Some("Stadhuis, Utrecht"));
    assert_eq!(winter.get_url(), Some("https://www.rvggz.nl/aanmelden"));
    let spring = events[8];
    assert_eq!(spring.get_start(), Some(utc("2040-03-29T08:00:00Z")));
    assert_eq!(spring.get_description(), Some(description));
    assert_eq!(spring.get_location(), Some("Huis, zaal 1, Amersfoort"));
    assert_eq!(
        spring.get_uid().map(str::to_owned),
        Some(format!(
            "event-{}@network-directory",
            network_directory::graphql::node::GlobalId::parse(&id)
                .unwrap()
                .id
        ))
    );
    assert_eq!(events[9].get_start(), Some(utc("2040-07-15T12:00:00Z")));
    assert_eq!(events[9].get_location(), Some("Online"));
    // A seeded day: midnight to midnight in Amsterdam time, what is known in the description.
    assert_eq!(events[0].get_start(), Some(utc("2021-01-25T23:00:00Z")));
    assert_eq!(events[0].get_end(), Some(utc("2021-01-26T23:00:00Z")));
    assert!(
        events[0]
            .get_description()
            .unwrap()
            .starts_with("26 januari 2021 (tijden niet bekend)\n\n")
    );

    // One organization's or one theme's events.
    let kwintes: icalendar::Calendar = app
        .get("/events.ics?organization=kwintes")
        .await
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    let summaries: Vec<&str> = kwintes.events().map(|e| e.get_summary().unwrap()).collect();
    assert_eq!(
        summaries,
        [
            "Kampvuurgesprek bij Kwintes",
            "Winterbijeenkomst",
            "Zomerdialoog"
        ]
    );
    let theme: icalendar::Calendar = app
        .get("/events.ics?theme=optrekken-met-naasten")
        .await
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    let summaries: Vec<&str> = theme.events().map(|e| e.get_summary().unwrap()).collect();
    assert_eq!(
        summaries,
        [
            "Halfjaarlijkse ontmoeting in Utrecht",
            "Winterbijeenkomst",
            "Thema: regie, eigen regie; en \\ meer"
        ]
    );

    // Unknown slugs and bad queries.
    let missing = app.get("/events.ics?organization=nergens").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.text().await.unwrap(),
        "no organization with slug `nergens`"
    );
    let missing = app.get("/events.ics?theme=nergens").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.text().await.unwrap(),
        "no theme with slug `nergens`"
    );
    let both = app.get("/events.ics?theme=a&organization=b").await;
    assert_eq!(both.status(), 400);
}

async fn event_statements_do_not_grow_with_the_page(app: TestApp) {
    let query = r#"query($first: Int!) { events(when: PAST, first: $first) { nodes {
        slug kind { name } report { title }
        hostOrganizations { nodes { slug } } participatingOrganizations { nodes { slug } }
        hostPartners { nodes { slug } } participatingPartners { nodes { slug } }
        themes { nodes { slug } } tags { nodes { slug } } } } }"#;
    let statements = |first: i64| {
        let app = &app;
        async move {
            let before = app.statements.get();
            let data = app.data(query, json!({ "first": first })).await;
            assert_eq!(
                data["events"]["nodes"].as_array().unwrap().len(),
                first as usize
            );
            app.statements.get() - before
        }
    };
    // Warm up the pool so that connection set-up does not count.
    statements(1).await;
    let one = statements(1).await;
    let six = statements(6).await;
    assert_eq!(one, six, "1 event: {one} statements, 6: {six}");
}
