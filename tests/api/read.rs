//! Reading the seeded directory: every root query, the relations both ways, and the filters.

use serde_json::{Value, json};

use crate::common::TestApp;
use crate::on_both_databases;

on_both_databases!(
    lists_participants_with_their_relations,
    opens_an_organization_by_slug,
    unknown_slugs_are_null,
    filters_organizations,
    orders_organizations_by_joined_date,
    lists_partners_and_filters_them,
    lists_regions_themes_tags_and_target_groups,
    lists_the_published_articles_of_a_theme,
    filters_posts,
    fetches_nodes_by_global_id,
    diacritics_round_trip,
);

fn slugs(connection: &Value) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["slug"].as_str().expect("slug").to_owned())
        .collect()
}

async fn organization_slugs(app: &TestApp, filter: Value) -> Vec<String> {
    let data = app
        .data(
            "query($filter: OrganizationFilter) { organizations(filter: $filter, first: 100) { nodes { slug } } }",
            json!({ "filter": filter }),
        )
        .await;
    slugs(&data["organizations"])
}

/// The profiles some organizations filled in: the seed gives no organization a region, target
/// group, theme or care domain (its texts name none), so the tests of those relations and filters
/// add them here, straight into the database, before the first query.
async fn fill_in_profiles(app: &TestApp) {
    let link = |table: &'static str, column: &'static str, right: &'static str| {
        move |org: &str, slugs: &[&str]| {
            let slugs: Vec<String> = slugs.iter().map(|s| format!("'{s}'")).collect();
            format!(
                "INSERT INTO organization_{table} (organization_id, {column}) SELECT o.id, r.id FROM organization o, {right} r \
                 WHERE o.slug = '{org}' AND r.slug IN ({})",
                slugs.join(", ")
            )
        }
    };
    let region = link("region", "region_id", "region");
    let group = link("target_group", "target_group_id", "target_group");
    let theme = link("theme", "theme_id", "theme");
    let provinces: [(&str, &[&str]); 11] = [
        ("arkin", &["noord-holland", "amsterdam"]),
        ("ggz-friesland", &["friesland"]),
        ("ggz-noord-holland-noord", &["noord-holland"]),
        ("levantogroep", &["noord-holland"]),
        ("dimence", &["overijssel"]),
        ("ggz-eindhoven", &["noord-brabant"]),
        ("ggz-rivierduinen", &["zuid-holland"]),
        ("hvo-querido", &["noord-holland", "amsterdam"]),
        ("kwintes", &["utrecht"]),
        ("parnassia", &["zuid-holland"]),
        ("mediant", &["overijssel", "twente"]),
    ];
    for (org, regions) in provinces {
        app.sql(&region(org, regions)).await;
        app.sql(&group(org, &["volwassenen"])).await;
        app.sql(&theme(org, &["vernieuwing-bij-deelnemers"])).await;
    }
    for org in ["ggz-friesland", "ggz-noord-holland-noord", "ggz-eindhoven"] {
        app.sql(&group(org, &["kinderen"])).await;
    }
    for (org, domain) in [
        ("arkin", "ggz"),
        ("ggz-friesland", "ggz"),
        ("hvo-querido", "maatschappelijke_opvang"),
        ("hvo-querido", "beschermd_wonen"),
        ("kwintes", "beschermd_wonen"),
    ] {
        app.sql(&format!(
            "INSERT INTO organization_care_domain (organization_id, care_domain) SELECT id, '{domain}' FROM organization WHERE slug = '{org}'"
        ))
        .await;
    }
}

async fn lists_participants_with_their_relations(app: TestApp) {
    fill_in_profiles(&app).await;
    let data = app
        .data(
            r#"{
              organizations(filter: {statuses: [PARTICIPANT]}, first: 50) {
                totalCount
                nodes {
                  slug name status careDomains
                  regions { nodes { slug name kind } }
                  targetGroups { nodes { slug } }
                  themes { nodes { slug } }
                }
              }
            }"#,
            json!({}),
        )
        .await;
    let orgs = &data["organizations"];
    assert_eq!(orgs["totalCount"], 11, "the eleven named participants");
    let names: Vec<&str> = orgs["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.first(), Some(&"Arkin"), "A-Z by name: {names:?}");
    assert!(
        !names.contains(&"Leger des Heils"),
        "considering is not participating"
    );
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted, "ordered by name, case ignored");
    let friesland = orgs["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["slug"] == "ggz-friesland")
        .unwrap();
    assert_eq!(friesland["status"], "PARTICIPANT");
    assert_eq!(friesland["regions"]["nodes"][0]["slug"], "friesland");
    assert_eq!(friesland["regions"]["nodes"][0]["kind"], "PROVINCE");
    assert!(
        friesland["careDomains"]
            .as_array()
            .unwrap()
            .contains(&json!("MENTAL_HEALTH_CARE"))
    );
    for org in orgs["nodes"].as_array().unwrap() {
        assert!(
            !org["regions"]["nodes"].as_array().unwrap().is_empty(),
            "{} has a province",
            org["slug"]
        );
        assert!(
            !org["targetGroups"]["nodes"].as_array().unwrap().is_empty(),
            "{} has target groups",
            org["slug"]
        );
    }
}

async fn opens_an_organization_by_slug(app: TestApp) {
    fill_in_profiles(&app).await;
    let data = app
        .data(
            r#"{ organization(slug: "arkin") {
                  id slug name alsoKnownAs status joinedOn joinedNote version
                  regions { totalCount nodes { slug parent { slug } } }
                  posts(first: 3) { nodes { title } }
               } }"#,
            json!({}),
        )
        .await;
    let arkin = &data["organization"];
    assert_eq!(arkin["name"], "Arkin");
    assert!(
        arkin["alsoKnownAs"]
            .as_array()
            .unwrap()
            .contains(&json!("Mentrum"))
    );
    // The texts give no joining date, only that Arkin was among the first.
    assert_eq!(arkin["joinedOn"], Value::Null);
    assert!(
        arkin["joinedNote"]
            .as_str()
            .unwrap()
            .starts_with("Bij de eerste deelnemers")
    );
    assert_eq!(arkin["version"], 1);
    let regions = arkin["regions"]["nodes"].as_array().unwrap();
    assert!(regions.iter().any(|r| r["slug"] == "noord-holland"));
    let amsterdam = regions
        .iter()
        .find(|r| r["slug"] == "amsterdam")
        .expect("Arkin is in Amsterdam");
    assert_eq!(amsterdam["parent"]["slug"], "noord-holland");
    assert_eq!(arkin["regions"]["totalCount"], regions.len());

    let considering = app
        .data(
            r#"{ organization(slug: "leger-des-heils") { status joinedOn joinedNote } }"#,
            json!({}),
        )
        .await;
    assert_eq!(considering["organization"]["status"], "CONSIDERING");
    assert_eq!(considering["organization"]["joinedOn"], Value::Null);
    assert_eq!(
        considering["organization"]["joinedNote"],
        "Overwoog in 2021 deelname, volgens de eerste wetenswaardigheden."
    );
}

async fn unknown_slugs_are_null(app: TestApp) {
    let data = app
        .data(
            r#"{ organization(slug: "bestaat-niet") { name }
                 region(slug: "atlantis") { name }
                 partner(slug: "nobody") { name }
                 theme(slug: "nothing") { name }
                 tag(slug: "none") { name }
                 targetGroup(slug: "nobody") { name }
                 post(slug: "no-such-post") { title } }"#,
            json!({}),
        )
        .await;
    for field in [
        "organization",
        "region",
        "partner",
        "theme",
        "tag",
        "targetGroup",
        "post",
    ] {
        assert_eq!(data[field], Value::Null, "{field}");
    }
}

async fn filters_organizations(app: TestApp) {
    fill_in_profiles(&app).await;
    // A province matches organizations linked to the finer regions under it too.
    let noord_holland = organization_slugs(&app, json!({ "regions": ["noord-holland"] })).await;
    for slug in [
        "arkin",
        "ggz-noord-holland-noord",
        "levantogroep",
        "hvo-querido",
    ] {
        assert!(
            noord_holland.contains(&slug.to_owned()),
            "{slug} in {noord_holland:?}"
        );
    }
    assert!(!noord_holland.contains(&"dimence".to_owned()));
    let amsterdam = organization_slugs(&app, json!({ "regions": ["amsterdam"] })).await;
    assert!(
        amsterdam.contains(&"arkin".to_owned()) && amsterdam.contains(&"hvo-querido".to_owned())
    );
    assert!(!amsterdam.contains(&"ggz-noord-holland-noord".to_owned()));

    let overijssel = organization_slugs(&app, json!({ "regions": ["overijssel"] })).await;
    assert_eq!(overijssel, vec!["dimence", "mediant"]);

    // Any value within a field; every field.
    let two = organization_slugs(&app, json!({ "regions": ["friesland", "utrecht"] })).await;
    assert!(two.contains(&"ggz-friesland".to_owned()) && two.contains(&"kwintes".to_owned()));
    let both = organization_slugs(
        &app,
        json!({ "regions": ["friesland", "utrecht"], "nameContains": "kwin" }),
    )
    .await;
    assert_eq!(both, vec!["kwintes"]);

    let shelter = organization_slugs(&app, json!({ "careDomains": ["SOCIAL_SHELTER"] })).await;
    assert!(shelter.contains(&"hvo-querido".to_owned()), "{shelter:?}");
    assert!(!shelter.contains(&"ggz-friesland".to_owned()));

    let considering = organization_slugs(&app, json!({ "statuses": ["CONSIDERING"] })).await;
    assert_eq!(considering, vec!["leger-des-heils"]);

    let youth = organization_slugs(&app, json!({ "targetGroups": ["kinderen"] })).await;
    let adults = organization_slugs(&app, json!({ "targetGroups": ["volwassenen"] })).await;
    assert!(!youth.is_empty(), "some participants serve children");
    // Within one filter field any value matches: both target groups give the union.
    let either =
        organization_slugs(&app, json!({ "targetGroups": ["kinderen", "volwassenen"] })).await;
    let mut union: Vec<String> = youth.iter().chain(adults.iter()).cloned().collect();
    union.sort();
    union.dedup();
    let mut either_sorted = either.clone();
    either_sorted.sort();
    assert_eq!(either_sorted, union);
    assert!(
        adults.len() >= 10,
        "nearly every participant serves adults: {adults:?}"
    );

    let theme = organization_slugs(&app, json!({ "themes": ["vernieuwing-bij-deelnemers"] })).await;
    assert!(!theme.is_empty());
    let tagged = organization_slugs(&app, json!({ "tags": ["ggz-rivierduinen"] })).await;
    assert_eq!(tagged, vec!["ggz-rivierduinen"]);
    let none = organization_slugs(&app, json!({ "themes": ["no-such-theme"] })).await;
    assert!(none.is_empty());

    // Name contains: case and diacritics ignored, also-known-as names count, wildcards are text.
    assert_eq!(
        organization_slugs(&app, json!({ "nameContains": "ARKIN" })).await,
        vec!["arkin"]
    );
    assert_eq!(
        organization_slugs(&app, json!({ "nameContains": "mentrum" })).await,
        vec!["arkin"]
    );
    assert_eq!(
        organization_slugs(&app, json!({ "nameContains": "ggz fri" })).await,
        vec!["ggz-friesland"]
    );
    assert!(
        organization_slugs(&app, json!({ "nameContains": "%" }))
            .await
            .is_empty()
    );
    // Punctuation and diacritics are folded alike in names and other names: "noord holland"
    // finds "Noord-Holland-Noord"; a quote is in no name (it used to match the stored JSON of
    // every organization with another name).
    assert_eq!(
        organization_slugs(&app, json!({ "nameContains": "noord holland" })).await,
        vec!["ggz-noord-holland-noord"]
    );
    assert_eq!(
        organization_slugs(&app, json!({ "nameContains": "Noord-Holland–Noord!" })).await,
        vec!["ggz-noord-holland-noord"]
    );
    assert!(
        organization_slugs(&app, json!({ "nameContains": "\"" }))
            .await
            .is_empty()
    );
    let kwintes = app
        .id_of(
            network_directory::graphql::node::NodeType::Organization,
            "organization",
            "kwintes",
        )
        .await;
    let renamed = app
        .as_admin()
        .data(
            "mutation($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { userErrors { field } } }",
            json!({ "input": { "id": kwintes, "version": 1, "alsoKnownAs": ["Cliëntenhuis Één"] } }),
        )
        .await;
    assert_eq!(renamed["updateOrganization"]["userErrors"], json!([]));
    assert_eq!(
        organization_slugs(&app, json!({ "nameContains": "clientenhuis een" })).await,
        vec!["kwintes"]
    );
    // A query never spans two names: "kwintes clientenhuis" is in neither.
    assert!(
        organization_slugs(&app, json!({ "nameContains": "kwintes clientenhuis" }))
            .await
            .is_empty()
    );
    assert!(
        organization_slugs(&app, json!({ "nameContains": "_" }))
            .await
            .is_empty()
    );
}

async fn orders_organizations_by_joined_date(app: TestApp) {
    // The seed has no joining dates (the texts give none): three organizations fill theirs in.
    for (slug, date) in [
        ("mediant", "2022-09-01"),
        ("arkin", "2021-03-01"),
        ("kwintes", "2021-05-01"),
    ] {
        app.sql(&format!(
            "UPDATE organization SET joined_on = '{date}' WHERE slug = '{slug}'"
        ))
        .await;
    }
    let data = app
        .data(
            "{ organizations(orderBy: JOINED_ON, first: 100) { nodes { slug joinedOn } } }",
            json!({}),
        )
        .await;
    let nodes = data["organizations"]["nodes"].as_array().unwrap();
    let dated: Vec<(&str, &str)> = nodes
        .iter()
        .take(3)
        .map(|n| (n["slug"].as_str().unwrap(), n["joinedOn"].as_str().unwrap()))
        .collect();
    assert_eq!(
        dated,
        [
            ("arkin", "2021-03-01"),
            ("kwintes", "2021-05-01"),
            ("mediant", "2022-09-01"),
        ]
    );
    assert_eq!(nodes.len(), 12);
    for node in &nodes[3..] {
        assert_eq!(node["joinedOn"], Value::Null, "without a date come last");
    }
}

async fn lists_partners_and_filters_them(app: TestApp) {
    let data = app
        .data(
            r#"{ all: partners(first: 100) { totalCount nodes { slug name kind coreTeam role } }
                 core: partners(filter: {coreTeam: true}) { nodes { slug } }
                 offices: partners(filter: {kinds: [CARE_OFFICE]}) { nodes { slug kind } }
                 trimbos: partner(slug: "trimbos-instituut") { name kind coreTeam shortName website } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["all"]["totalCount"], 19);
    let core = slugs(&data["core"]);
    for slug in [
        "loc-waardevolle-zorg",
        "de-nederlandse-ggz",
        "valente",
        "kenniscentrum-phrenos",
        "trimbos-instituut",
    ] {
        assert!(
            core.contains(&slug.to_owned()),
            "{slug} in core team {core:?}"
        );
    }
    assert_eq!(data["offices"]["nodes"].as_array().unwrap().len(), 3);
    assert_eq!(data["trimbos"]["kind"], "KNOWLEDGE_INSTITUTE");
    assert_eq!(data["trimbos"]["coreTeam"], true);
    let loc = data["all"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["slug"] == "loc-waardevolle-zorg")
        .unwrap();
    assert_eq!(loc["kind"], "SUPPORTER", "'ondersteuner van de beweging'");
    assert!(!loc["role"].as_str().unwrap().is_empty());
}

async fn lists_regions_themes_tags_and_target_groups(app: TestApp) {
    fill_in_profiles(&app).await;
    let data = app
        .data(
            r#"{ provinces: regions(kind: PROVINCE, first: 100) { totalCount nodes { slug } }
                 regions(first: 100) { totalCount }
                 nh: region(slug: "noord-holland") { children { nodes { slug } } organizations(first: 100) { totalCount } }
                 themes(first: 100) { totalCount nodes { slug name } }
                 tags(first: 100) { totalCount nodes { slug name } }
                 targetGroups { totalCount nodes { slug name organizations { totalCount } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["provinces"]["totalCount"], 12);
    assert!(data["regions"]["totalCount"].as_i64().unwrap() >= 12);
    assert!(slugs(&data["nh"]["children"]).contains(&"amsterdam".to_owned()));
    assert!(data["nh"]["organizations"]["totalCount"].as_i64().unwrap() >= 2);
    assert_eq!(
        data["themes"]["totalCount"], 5,
        "the platform's five themes"
    );
    assert!(slugs(&data["themes"]).contains(&"optrekken-met-naasten".to_owned()));
    assert!(data["tags"]["totalCount"].as_i64().unwrap() >= 23);
    let groups = data["targetGroups"]["nodes"].as_array().unwrap();
    assert!(groups.iter().any(|g| g["slug"] == "kinderen"));
    let adults = groups.iter().find(|g| g["slug"] == "volwassenen").unwrap();
    assert!(adults["organizations"]["totalCount"].as_i64().unwrap() >= 10);
}

async fn lists_the_published_articles_of_a_theme(app: TestApp) {
    let data = app
        .data(
            r#"{ theme(slug: "opstart-vernieuwingsbeweging") {
                   name
                   posts(first: 10) { totalCount nodes { title kind publishedAt themes { nodes { slug } } tags { nodes { slug } } } }
                 } }"#,
            json!({}),
        )
        .await;
    let posts = &data["theme"]["posts"];
    assert_eq!(
        posts["totalCount"], 3,
        "three articles filed under Opstart vernieuwingsbeweging (the start document lists no theme)"
    );
    let dates: Vec<&str> = posts["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["publishedAt"].as_str().unwrap())
        .collect();
    let mut newest_first = dates.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, newest_first);
    for post in posts["nodes"].as_array().unwrap() {
        assert!(slugs(&post["themes"]).contains(&"opstart-vernieuwingsbeweging".to_owned()));
    }
    assert!(
        posts["nodes"][0]["title"]
            .as_str()
            .unwrap()
            .starts_with("Terugblik")
    );
}

async fn filters_posts(app: TestApp) {
    let data = app
        .data(
            r#"{ all: posts(first: 100) { totalCount nodes { title } }
                 reports: posts(filter: {kinds: [REPORT]}) { totalCount }
                 tagged: posts(filter: {tags: ["wetenswaardigheden"]}) { nodes { title } }
                 both: posts(filter: {kinds: [NEWS], themes: ["organiseren-en-vernieuwen-medezeggenschap"]}) { nodes { slug } }
                 none: posts(filter: {organizations: ["arkin"]}) { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["all"]["totalCount"], 5);
    assert_eq!(data["reports"]["totalCount"], 3);
    assert!(
        data["tagged"]["nodes"][0]["title"]
            .as_str()
            .unwrap()
            .starts_with("Wetenswaardigheden")
    );
    assert_eq!(
        slugs(&data["both"]),
        vec!["start-beweging-radicale-vernieuwing-langdurige-ggz"]
    );
}

async fn fetches_nodes_by_global_id(app: TestApp) {
    let data = app
        .data(
            r#"{ organization(slug: "kwintes") { id }
                 theme(slug: "optrekken-met-naasten") { id }
                 posts(first: 1) { nodes { id title } } }"#,
            json!({}),
        )
        .await;
    let org_id = data["organization"]["id"].as_str().unwrap();
    let theme_id = data["theme"]["id"].as_str().unwrap();
    let post_id = data["posts"]["nodes"][0]["id"].as_str().unwrap();
    assert!(!org_id.contains("Organization"), "IDs are opaque");
    let nodes = app
        .data(
            r#"query($one: ID!, $ids: [ID!]!, $post: ID!) {
                 node(id: $one) { __typename id ... on Organization { slug } }
                 nodes(ids: $ids) { __typename ... on Theme { slug } ... on Organization { name } }
                 post(id: $post) { title }
               }"#,
            json!({ "one": org_id, "ids": [theme_id, org_id], "post": post_id }),
        )
        .await;
    assert_eq!(nodes["node"]["__typename"], "Organization");
    assert_eq!(nodes["node"]["slug"], "kwintes");
    assert_eq!(nodes["node"]["id"], org_id);
    assert_eq!(nodes["nodes"][0]["slug"], "optrekken-met-naasten");
    assert_eq!(nodes["nodes"][1]["name"], "Kwintes");
    assert_eq!(nodes["post"]["title"], data["posts"]["nodes"][0]["title"]);

    // A well-formed ID of a row that does not exist is null; a malformed one is an error.
    let missing = app
        .data(
            r#"{ node(id: "T3JnYW5pemF0aW9uOjk5OTk5") { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(missing["node"], Value::Null);
    assert_eq!(
        app.error_code(r#"{ node(id: "not-an-id") { id } }"#, json!({}))
            .await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        app.error_code(
            "query($id: ID!) { post(id: $id) { id } }",
            json!({ "id": org_id })
        )
        .await,
        "BAD_USER_INPUT"
    );
    let too_many: Vec<&str> = std::iter::repeat_n(org_id, 101).collect();
    assert_eq!(
        app.error_code(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": too_many })
        )
        .await,
        "BAD_USER_INPUT"
    );
}

async fn diacritics_round_trip(app: TestApp) {
    let data = app
        .data(r#"{ tag(slug: "clienten") { name slug } }"#, json!({}))
        .await;
    assert_eq!(data["tag"]["name"], "cliënten");
    let coordinators = app
        .data(
            r#"{ tag(slug: "coordinatoren-radicale-vernieuwing") { name } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        coordinators["tag"]["name"],
        "coördinatoren radicale vernieuwing"
    );
    // Text with diacritics written to the database comes back byte for byte.
    app.sql("UPDATE organization SET description = 'Cliënten en naasten: ontmoeting, gecreëerd — “samen”' WHERE slug = 'kwintes'")
        .await;
    let kwintes = app
        .data(
            r#"{ organization(slug: "kwintes") { description } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        kwintes["organization"]["description"],
        "Cliënten en naasten: ontmoeting, gecreëerd — “samen”"
    );
}
