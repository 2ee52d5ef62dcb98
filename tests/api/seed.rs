//! The seed: the real network on first start, idempotent, journaled.

use network_directory::db::seed::{NETWORK, Seed, SourcedRow};
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::on_both_databases;

on_both_databases!(
    seeding_twice_changes_nothing,
    seeding_never_overwrites_corrections,
    seed_inserts_are_journaled,
    the_seed_says_only_what_its_texts_say,
);

/// The movement's texts the seed is drawn from. They live in the project's shared `sources/`
/// folder, outside this repository, so the check knows them by name only.
const SOURCE_TEXTS: [&str; 5] = [
    "start-beweging-aankondiging.txt",
    "startdocument-2021.txt",
    "wetenswaardigheden-2021.txt",
    "deelnemers-putten-moed-2022.txt",
    "terugblik-dialoog-inspectie.txt",
];

/// What is wrong with the rows' `source` notes: a row with none (regions excepted: the provinces
/// and finer regions are geography, not claims), a note that names no known text or no place in
/// it, a quoted fragment that is empty or not closed.
fn source_problems(rows: &[SourcedRow]) -> Vec<String> {
    let mut problems = Vec::new();
    for row in rows {
        let at = format!("{} `{}`", row.section, row.slug);
        if row.sources.is_empty() && row.section != "regions" {
            problems.push(format!("{at}: no source"));
        }
        for note in &row.sources {
            let Some((text, place)) = SOURCE_TEXTS
                .iter()
                .find_map(|t| note.strip_prefix(t).map(|rest| (t, rest)))
            else {
                problems.push(format!("{at}: `{note}` names none of {SOURCE_TEXTS:?}"));
                continue;
            };
            let Some(place) = place.strip_prefix(", ").filter(|p| !p.trim().is_empty()) else {
                problems.push(format!("{at}: `{note}` names no place in {text}"));
                continue;
            };
            let pieces: Vec<&str> = place.split('"').collect();
            if pieces.len().is_multiple_of(2) {
                problems.push(format!("{at}: `{note}` has an unclosed quote"));
            }
            // The odd pieces are the quoted fragments.
            if pieces
                .iter()
                .skip(1)
                .step_by(2)
                .any(|q| q.trim().is_empty())
            {
                problems.push(format!("{at}: `{note}` quotes an empty fragment"));
            }
        }
    }
    problems
}

#[test]
fn every_seeded_fact_names_its_source() {
    let seed = Seed::parse(NETWORK).expect("the shipped seed parses");
    let rows = seed.sourced_rows();
    assert!(rows.len() > 80, "every section is listed: {}", rows.len());
    let problems = source_problems(&rows);
    assert!(
        problems.is_empty(),
        "unsourced seed rows:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_source_check_catches_missing_unknown_and_empty_sources() {
    // The shipped file with its first theme's note removed, its first tag's note naming a text
    // that is not a source, and its first organization's note quoting nothing.
    let mut text = NETWORK.to_owned();
    let theme = text.find("[[themes]]").unwrap();
    let note = theme + text[theme..].find("\nsource = ").unwrap();
    let end = note + 1 + text[note + 1..].find('\n').unwrap();
    text.replace_range(note..end, "");
    let tag = text.find("[[tags]]").unwrap();
    let file = tag + text[tag..].find("wetenswaardigheden-2021.txt").unwrap();
    text.replace_range(
        file..file + "wetenswaardigheden-2021.txt".len(),
        "NETWORK.md",
    );
    let org = text.find("[[organizations]]").unwrap();
    let quote = org + text[org..].find("\"Na Arkin").unwrap();
    let closing = quote + 1 + text[quote + 1..].find('"').unwrap();
    text.replace_range(quote + 1..closing, " ");
    let problems = source_problems(&Seed::parse(&text).unwrap().sourced_rows());
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(problems[0].starts_with("themes `vernieuwing-bij-deelnemers`: no source"));
    assert!(problems[1].starts_with("tags `wetenswaardigheden`: `NETWORK.md"));
    assert!(
        problems[2].starts_with("organizations `arkin`:")
            && problems[2].ends_with("quotes an empty fragment")
    );
    // An unknown key, a typo of `source` included, does not load at all.
    assert!(Seed::parse(&NETWORK.replacen("source = ", "sources = ", 1)).is_err());
}

const TABLES: [&str; 14] = [
    "region",
    "target_group",
    "theme",
    "tag",
    "organization",
    "partner",
    "post",
    "organization_region",
    "organization_target_group",
    "organization_theme",
    "organization_care_domain",
    "post_theme",
    "post_tag",
    "change_feed",
];

async fn counts(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for table in TABLES {
        out.push(app.count(&format!("SELECT COUNT(*) FROM {table}")).await);
    }
    out
}

async fn seeding_twice_changes_nothing(app: TestApp) {
    let before = counts(&app).await;
    assert_eq!(before[0], 14, "12 provinces and 2 finer regions");
    assert_eq!(before[4], 12, "11 participants and Leger des Heils");
    assert_eq!(before[5], 19, "13 partner bodies and 6 related initiatives");
    assert_eq!(before[6], 5, "5 articles");
    let versions = app
        .count("SELECT CAST(SUM(version) AS BIGINT) FROM organization")
        .await;
    let report = network_directory::db::seed::seed(&app.db).await.unwrap();
    assert_eq!(report.inserted, 0);
    assert_eq!(counts(&app).await, before);
    assert_eq!(
        app.count("SELECT CAST(SUM(version) AS BIGINT) FROM organization")
            .await,
        versions
    );
}

async fn seeding_never_overwrites_corrections(app: TestApp) {
    app.sql("UPDATE organization SET city = 'Leeuwarden (gecorrigeerd)', version = 2 WHERE slug = 'ggz-friesland'").await;
    app.sql("DELETE FROM organization_target_group WHERE organization_id = (SELECT id FROM organization WHERE slug = 'ggz-friesland')").await;
    app.sql("DELETE FROM tag WHERE slug = 'nza'").await;
    let report = network_directory::db::seed::seed(&app.db).await.unwrap();
    assert_eq!(report.inserted, 1, "only the missing tag comes back");
    let data = app
        .data(r#"{ organization(slug: "ggz-friesland") { city version targetGroups { totalCount } } tag(slug: "nza") { name } }"#, json!({}))
        .await;
    assert_eq!(data["organization"]["city"], "Leeuwarden (gecorrigeerd)");
    assert_eq!(data["organization"]["version"], 2);
    assert_eq!(data["organization"]["targetGroups"]["totalCount"], 0);
    assert_eq!(data["tag"]["name"], "nza");
}

async fn seed_inserts_are_journaled(app: TestApp) {
    let rows = app.count("SELECT COUNT(*) FROM region").await
        + app.count("SELECT COUNT(*) FROM target_group").await
        + app.count("SELECT COUNT(*) FROM theme").await
        + app.count("SELECT COUNT(*) FROM tag").await
        + app.count("SELECT COUNT(*) FROM organization").await
        + app.count("SELECT COUNT(*) FROM partner").await
        + app.count("SELECT COUNT(*) FROM post").await
        + app.count("SELECT COUNT(*) FROM event_kind").await
        + app.count("SELECT COUNT(*) FROM event").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM change_feed").await, rows);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE actor_role = 'system'")
            .await,
        rows
    );
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT seq) FROM change_feed")
            .await,
        rows
    );
}

fn tag_slugs(post: &Value) -> Vec<&str> {
    post["tags"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["slug"].as_str().unwrap())
        .collect()
}

/// Point by point as the texts have it: the themes menu holds the platform's five themes; each
/// article carries the themes and tags its text lists; LOC Waardevolle zorg is in the core team;
/// the related initiatives are partners of kind INITIATIVE; no organization has a joining date,
/// city, website, size, region, target group or care domain the texts do not give.
async fn the_seed_says_only_what_its_texts_say(app: TestApp) {
    let mut data = app
        .data(
            r#"{ themes(first: 100) { nodes { slug } }
                 core: partners(filter: {coreTeam: true}, first: 100) { nodes { slug } }
                 initiatives: partners(filter: {kinds: [INITIATIVE]}, first: 100) { nodes { name role } } }"#,
            json!({}),
        )
        .await;
    data["organizations"] = app
        .data(
            r#"{ organizations(first: 20) { totalCount nodes { slug joinedOn joinedNote city website size careDomains
                   regions { totalCount } targetGroups { totalCount } themes { totalCount } } } }"#,
            json!({}),
        )
        .await["organizations"]
        .take();
    data["posts"] = app
        .data(
            r#"{ posts(first: 10) { nodes { slug publishedAt themes { nodes { slug } } tags(first: 30) { nodes { slug } } } } }"#,
            json!({}),
        )
        .await["posts"]
        .take();
    let mut themes: Vec<&str> = data["themes"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["slug"].as_str().unwrap())
        .collect();
    themes.sort();
    assert_eq!(
        themes,
        [
            "de-nederlandse-ggz-loc-phrenos-trimbos-valente",
            "opstart-vernieuwingsbeweging",
            "optrekken-met-naasten",
            "organiseren-en-vernieuwen-medezeggenschap",
            "vernieuwing-bij-deelnemers",
        ]
    );
    let mut core: Vec<&str> = data["core"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap())
        .collect();
    core.sort();
    assert_eq!(
        core,
        [
            "de-nederlandse-ggz",
            "kenniscentrum-phrenos",
            "loc-waardevolle-zorg",
            "ministerie-van-vws",
            "trimbos-instituut",
            "valente",
        ]
    );
    let initiatives: Vec<&str> = data["initiatives"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        initiatives,
        [
            "ART",
            "Herstel voor Iedereen",
            "MIND",
            "Over de brug II",
            "Radicale vernieuwing verpleeghuiszorg",
            "Ypsilon",
        ]
    );
    assert_eq!(data["organizations"]["totalCount"], 12);
    for org in data["organizations"]["nodes"].as_array().unwrap() {
        let slug = &org["slug"];
        assert_eq!(
            org["joinedOn"],
            Value::Null,
            "{slug}: the texts give no date"
        );
        assert!(
            !org["joinedNote"].as_str().unwrap_or("").is_empty(),
            "{slug}: joinedNote says what is known"
        );
        for field in ["city", "website", "size"] {
            assert_eq!(org[field], Value::Null, "{slug}.{field}");
        }
        assert_eq!(org["careDomains"], json!([]), "{slug}");
        for list in ["regions", "targetGroups", "themes"] {
            assert_eq!(org[list]["totalCount"], 0, "{slug}.{list}");
        }
    }
    let posts = data["posts"]["nodes"].as_array().unwrap();
    let post = |slug: &str| {
        posts
            .iter()
            .find(|p| p["slug"] == slug)
            .unwrap_or_else(|| panic!("post {slug}"))
    };
    let moed = post("deelnemers-putten-moed-uit-vernieuwingsbeweging");
    assert_eq!(
        tag_slugs(moed),
        [
            "clienten",
            "cocreatie",
            "coordinatoren-radicale-vernieuwing",
            "de-nederlandse-ggz",
            "ervaringskennis",
            "hulpverleners",
            "inspectie",
            "kenniscentrum-phrenos",
            "loc-waardevolle-zorg",
            "medezeggenschap",
            "medicalisering",
            "naasten",
            "nza",
            "trimbos-instituut",
            "valente",
            "van-regels-naar-relaties",
            "vws-ministerie",
            "zeggenschap",
            "zorgkantoren",
        ],
        "the 19 tags of the text, A-Z"
    );
    assert_eq!(moed["themes"]["nodes"].as_array().unwrap().len(), 4);
    assert_eq!(moed["publishedAt"], "2022-07-01T00:00:00+00:00");
    let terugblik = post("terugblik-in-gesprek-met-inspectie-vws-zorgautoriteit-en-zorgkantoren");
    assert_eq!(
        tag_slugs(terugblik),
        [
            "ggz-friesland-mind-up",
            "ggz-noord-holland-noord",
            "ggz-rivierduinen",
            "inspectie",
            "kenniscentrum-phrenos",
        ]
    );
    assert_eq!(
        tag_slugs(post(
            "wetenswaardigheden-eerste-editie-ideeen-en-ontmoetingen"
        )),
        ["wetenswaardigheden"]
    );
    for untagged in [
        "start-beweging-radicale-vernieuwing-langdurige-ggz",
        "startdocument-start-beweging-radicale-vernieuwing-langdurige-geestelijke-gezondheidszorg",
    ] {
        assert_eq!(tag_slugs(post(untagged)), Vec::<&str>::new(), "{untagged}");
    }
    let startdocument = post(
        "startdocument-start-beweging-radicale-vernieuwing-langdurige-geestelijke-gezondheidszorg",
    );
    assert_eq!(
        startdocument["themes"]["nodes"],
        json!([]),
        "the text lists no themes"
    );
    assert_eq!(
        startdocument["publishedAt"], "2021-02-01T00:00:00+00:00",
        "Februari 2021"
    );
}
