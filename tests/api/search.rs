//! The search box (issue 11): the examples of the issue on the real seed, ranking, paging and
//! facets, visibility, freshness (a committed change is searchable within a second) and hostile
//! input, on SQLite and PostgreSQL alike.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::TestApp;
use crate::on_both_databases;

on_both_databases!(
    dutch_words_diacritics_punctuation_and_other_names,
    as_you_type_and_typos,
    names_outrank_texts,
    facets_types_and_pages,
    unpublished_deleted_and_erased_are_never_found,
    a_committed_change_is_searchable_within_a_second,
    hostile_queries_are_answered_or_refused_never_failed,
    snippets_are_escaped_html_with_marks,
);

const SEARCH: &str = r#"query($q: String!, $first: Int, $after: String, $types: [SearchType!]) {
  search(query: $q, first: $first, after: $after, types: $types) {
    totalCount
    facets { type count }
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges {
      cursor type score title snippet
      node {
        __typename
        ... on Organization { slug }
        ... on Partner { slug }
        ... on Theme { slug }
        ... on Tag { slug }
        ... on Post { slug }
      }
    }
  }
}"#;

async fn search_with(app: &TestApp, q: &str, vars: Value) -> Value {
    let mut variables = json!({ "q": q });
    variables
        .as_object_mut()
        .unwrap()
        .extend(vars.as_object().unwrap().clone());
    app.data(SEARCH, variables).await["search"].clone()
}

async fn search(app: &TestApp, q: &str) -> Value {
    search_with(app, q, json!({})).await
}

/// `(typename, slug)` of each hit, in order.
fn hits(result: &Value) -> Vec<(String, String)> {
    result["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["__typename"].as_str().unwrap().to_owned(),
                e["node"]["slug"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn first_hit(result: &Value) -> (String, String) {
    hits(result)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no hits: {result:#}"))
}

fn hit(kind: &str, slug: &str) -> (String, String) {
    (kind.to_owned(), slug.to_owned())
}

fn facets(result: &Value) -> Vec<(String, u64)> {
    result["facets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["type"].as_str().unwrap().to_owned(),
                f["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn counts(
    organizations: u64,
    partners: u64,
    themes: u64,
    tags: u64,
    posts: u64,
) -> Vec<(String, u64)> {
    ["ORGANIZATION", "PARTNER", "THEME", "TAG", "POST"]
        .into_iter()
        .map(str::to_owned)
        .zip([organizations, partners, themes, tags, posts])
        .collect()
}

/// Waits until the index reflects every change the feed holds.
async fn indexed(app: &TestApp) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let feed = app
            .count("SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) FROM change_feed")
            .await;
        let index = app
            .count("SELECT CAST(last_seq AS BIGINT) FROM search_state")
            .await;
        if index == feed {
            return;
        }
        assert!(Instant::now() < deadline, "the index never caught up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls `q` until `found` holds; returns how long that took after `since`.
async fn until(app: &TestApp, q: &str, since: Instant, found: impl Fn(&Value) -> bool) -> Duration {
    loop {
        let result = search(app, q).await;
        if found(&result) {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < Duration::from_secs(10),
            "`{q}` never showed the change: {result:#}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn dutch_words_diacritics_punctuation_and_other_names(app: TestApp) {
    // "clienten" finds the tag "cliënten" first, and the texts that say "cliënten".
    let result = search(&app, "clienten").await;
    assert_eq!(first_hit(&result), hit("Tag", "clienten"));
    assert_eq!(result["edges"][0]["title"], "<mark>cliënten</mark>");
    assert_eq!(facets(&result), counts(0, 1, 0, 1, 2));
    assert_eq!(result["totalCount"], 4);
    assert_eq!(
        search(&app, "Cliënten").await["edges"],
        result["edges"],
        "the same hits, however it is written"
    );
    // Two words: both must match; the organization's name first.
    let result = search(&app, "ggz friesland").await;
    assert_eq!(
        hits(&result)[..2],
        [
            hit("Organization", "ggz-friesland"),
            hit("Tag", "ggz-friesland-mind-up")
        ]
    );
    assert_eq!(
        result["edges"][0]["title"],
        "<mark>GGZ</mark> <mark>Friesland</mark>"
    );
    // An other name counts as a name: Arkin before the texts that mention Mentrum.
    let result = search(&app, "Mentrum").await;
    assert_eq!(
        hits(&result),
        [
            hit("Organization", "arkin"),
            hit(
                "Post",
                "wetenswaardigheden-eerste-editie-ideeen-en-ontmoetingen"
            )
        ]
    );
    // Punctuation separates words.
    let result = search(&app, "noord holland").await;
    assert_eq!(
        first_hit(&result),
        hit("Organization", "ggz-noord-holland-noord")
    );
    assert_eq!(
        result["edges"][0]["title"],
        "GGZ <mark>Noord</mark>-<mark>Holland</mark>-<mark>Noord</mark>"
    );
    // Word forms meet in their Dutch stem.
    let plural = search_with(&app, "organisaties", json!({ "first": 100 })).await;
    let singular = search_with(&app, "organisatie", json!({ "first": 100 })).await;
    assert!(plural["totalCount"].as_u64().unwrap() >= 5, "{plural:#}");
    // The singular finds what the plural finds (and, as the start of a word, also
    // "organisatiecultuur").
    let found = hits(&singular);
    assert!(
        hits(&plural).iter().all(|h| found.contains(h)),
        "{singular:#}"
    );
    assert!(found.contains(&hit(
        "Post",
        "wetenswaardigheden-eerste-editie-ideeen-en-ontmoetingen"
    )));
    assert!(
        hits(&plural).contains(&hit(
            "Post",
            "deelnemers-putten-moed-uit-vernieuwingsbeweging"
        )),
        "its text has \"organisatie\": {plural:#}"
    );
    // A compound finds its first part: "herstelgerichte" → "Herstel voor Iedereen".
    let result = search(&app, "herstelgerichte").await;
    assert_eq!(first_hit(&result), hit("Partner", "herstel-voor-iedereen"));
    assert_eq!(
        result["edges"][0]["title"],
        "<mark>Herstel</mark> voor Iedereen"
    );
}

async fn as_you_type_and_typos(app: TestApp) {
    let exact = search(&app, "parnassia").await;
    let prefix = search(&app, "parn").await;
    let typo = search(&app, "Parnasia").await;
    for result in [&exact, &prefix, &typo] {
        assert_eq!(first_hit(result), hit("Organization", "parnassia"));
        assert_eq!(result["edges"][0]["title"], "<mark>Parnassia</mark>");
    }
    let score = |r: &Value| r["edges"][0]["score"].as_f64().unwrap();
    assert!(score(&exact) > score(&prefix), "exact before prefix");
    assert!(score(&prefix) > score(&typo), "prefix before typo");
    assert_eq!(
        first_hit(&search(&app, "Dimense").await),
        hit("Organization", "dimence")
    );
    // Two typos from nine letters on ("zorgkntorn": two letters missing from "zorgkantoren"),
    // one below ("parnasa", two letters missing from "parnassia", finds nothing).
    assert_eq!(
        first_hit(&search(&app, "zorgkntorn").await),
        hit("Tag", "zorgkantoren")
    );
    assert!(hits(&search(&app, "parnasa").await).is_empty());
    assert_eq!(
        first_hit(&search(&app, "kwxntes").await),
        hit("Organization", "kwintes")
    );
    // Four letters allow no typo.
    assert!(hits(&search(&app, "arkn").await).is_empty());
    // The prefix is the last word only; earlier words of four letters or fewer must be whole.
    assert_eq!(
        first_hit(&search(&app, "ggz frie").await),
        hit("Organization", "ggz-friesland")
    );
    assert!(hits(&search(&app, "gg friesland").await).is_empty());
}

async fn names_outrank_texts(app: TestApp) {
    // A busy text that repeats a name does not outrank the name.
    let kwintes = app.as_org("kwintes").await;
    kwintes
        .data(
            r#"mutation { submitPost(input: { kind: NEWS, title: "Nieuws uit het kampvuurgesprek",
                 body: "Parnassia Parnassia Parnassia Parnassia Parnassia Parnassia Parnassia Parnassia",
                 authorName: "Redactie" }) { post { slug } } }"#,
            json!({}),
        )
        .await;
    indexed(&app).await;
    let result = search(&app, "parnassia").await;
    let found = hits(&result);
    assert_eq!(found[0], hit("Organization", "parnassia"));
    assert!(found.contains(&hit("Post", "nieuws-uit-het-kampvuurgesprek")));
    // The post whose title has the word outranks the posts whose text has it.
    let result = search(&app, "kampvuurgesprek").await;
    assert_eq!(
        first_hit(&result),
        hit("Post", "nieuws-uit-het-kampvuurgesprek")
    );
    // Scores fall along the page.
    let scores: Vec<f64> = result["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

async fn facets_types_and_pages(app: TestApp) {
    let all = search_with(&app, "ggz", json!({ "first": 100 })).await;
    let total = all["totalCount"].as_u64().unwrap();
    let by_facets: u64 = facets(&all).iter().map(|(_, n)| n).sum();
    assert_eq!(total, by_facets);
    assert_eq!(all["edges"].as_array().unwrap().len() as u64, total);
    assert_eq!(all["pageInfo"]["hasNextPage"], false);
    // Only posts: the facets still count every kind.
    let posts = search_with(&app, "ggz", json!({ "types": ["POST"], "first": 100 })).await;
    assert_eq!(posts["facets"], all["facets"]);
    let post_count = facets(&all)[4].1;
    assert_eq!(posts["totalCount"], post_count);
    assert!(hits(&posts).iter().all(|(kind, _)| kind == "Post"));
    // Page by page, one hit at a time: the same hits in the same order.
    let mut paged = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = search_with(&app, "ggz", json!({ "first": 1, "after": after })).await;
        paged.extend(hits(&page));
        assert_eq!(page["pageInfo"]["hasPreviousPage"], !after.is_null());
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
        assert!(paged.len() < 100, "paging does not end");
    }
    assert_eq!(paged, hits(&all));
    // A cursor of another search, or none at all, is refused.
    let cursor = all["edges"][0]["cursor"].clone();
    assert_eq!(
        app.error_code(SEARCH, json!({ "q": "zorg", "after": cursor }))
            .await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        app.error_code(
            SEARCH,
            json!({ "q": "ggz", "after": cursor, "types": ["TAG"] })
        )
        .await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        app.error_code(SEARCH, json!({ "q": "ggz", "after": "not-a-cursor" }))
            .await,
        "BAD_USER_INPUT"
    );
    for first in [-1, 101] {
        assert_eq!(
            app.error_code(SEARCH, json!({ "q": "ggz", "first": first }))
                .await,
            "BAD_USER_INPUT"
        );
    }
    // Nothing found: an empty page, every facet zero.
    let none = search(&app, "zzyzx").await;
    assert_eq!(none["totalCount"], 0);
    assert_eq!(facets(&none), counts(0, 0, 0, 0, 0));
    assert_eq!(none["edges"], json!([]));
    assert_eq!(none["pageInfo"]["endCursor"], Value::Null);
}

async fn unpublished_deleted_and_erased_are_never_found(app: TestApp) {
    // A contribution waits for moderation: not searchable until published.
    let submitted = app
        .data(
            r#"mutation { submitPost(input: { kind: IDEA, title: "Zonnebloemveld voor iedereen",
                 body: "Een idee over het zonnebloemveld.", authorName: "Zwaantje Quakkelaar",
                 authorEmail: "zwaantje.quakkelaar@example.org" }) { post { id version status } } }"#,
            json!({}),
        )
        .await;
    let post = submitted["submitPost"]["post"].clone();
    assert_eq!(post["status"], "PENDING");
    indexed(&app).await;
    assert_eq!(search(&app, "zonnebloemveld").await["totalCount"], 0);
    // Not for an administrator either: search covers what anyone may read.
    let admin = app.as_admin();
    assert_eq!(
        admin.data(SEARCH, json!({ "q": "zonnebloemveld" })).await["search"]["totalCount"],
        0
    );
    // A rejected one never is.
    let rejected = app
        .data(
            r#"mutation { submitPost(input: { kind: IDEA, title: "Paardenbloemveld", body: "Nee.",
                 authorName: "Iemand" }) { post { id version } } }"#,
            json!({}),
        )
        .await["submitPost"]["post"]
        .clone();
    admin
        .data(
            "mutation($id: ID!, $v: Int!) { moderatePost(input: { id: $id, version: $v, decision: REJECT }) { post { status } } }",
            json!({ "id": rejected["id"], "v": rejected["version"] }),
        )
        .await;
    // Published: found. The author's name and address are never indexed.
    admin
        .data(
            "mutation($id: ID!, $v: Int!) { moderatePost(input: { id: $id, version: $v, decision: PUBLISH }) { post { status } } }",
            json!({ "id": post["id"], "v": post["version"] }),
        )
        .await;
    indexed(&app).await;
    assert_eq!(
        hits(&search(&app, "zonnebloemveld").await),
        [hit("Post", "zonnebloemveld-voor-iedereen")]
    );
    assert_eq!(search(&app, "paardenbloemveld").await["totalCount"], 0);
    for q in ["Quakkelaar", "Zwaantje", "zwaantje.quakkelaar@example.org"] {
        assert_eq!(search(&app, q).await["totalCount"], 0, "{q}");
    }
    let erased = admin
        .data(
            r#"mutation { eraseAuthor(input: { authorEmail: "zwaantje.quakkelaar@example.org" }) { erasedPosts } }"#,
            json!({}),
        )
        .await;
    assert_eq!(erased["eraseAuthor"]["erasedPosts"], 1);
    indexed(&app).await;
    for q in ["Quakkelaar", "Zwaantje", "zwaantje.quakkelaar@example.org"] {
        assert_eq!(search(&app, q).await["totalCount"], 0, "{q}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM search_word WHERE word IN ('quakkelaar', 'zwaantje')")
            .await,
        0,
        "no word of the author's in the index"
    );
    // A deleted organization is gone, and with it the words only it had.
    assert_eq!(
        first_hit(&search(&app, "leger des heils").await),
        hit("Organization", "leger-des-heils")
    );
    let id = app
        .id_of(
            network_directory::graphql::node::NodeType::Organization,
            "organization",
            "leger-des-heils",
        )
        .await;
    let version = app
        .count("SELECT version FROM organization WHERE slug = 'leger-des-heils'")
        .await;
    admin
        .data(
            "mutation($input: DeleteInput!) { deleteOrganization(input: $input) { deletedId } }",
            json!({ "input": { "id": id, "version": version } }),
        )
        .await;
    indexed(&app).await;
    assert!(!hits(&search(&app, "leger").await).contains(&hit("Organization", "leger-des-heils")));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM search_posting p JOIN search_document d ON d.doc_type = p.doc_type AND d.entity_id = p.entity_id WHERE d.doc_type = 1 AND d.entity_id = (SELECT id FROM organization WHERE slug = 'leger-des-heils')")
            .await,
        0
    );
}

async fn a_committed_change_is_searchable_within_a_second(app: TestApp) {
    let kwintes = app.as_org("kwintes").await;
    // A new post.
    let submitted = kwintes
        .data(
            r#"mutation { submitPost(input: { kind: PRACTICE, title: "Herstelgerichte kookmiddag in de wijk",
                 body: "Wij werken herstelgericht.", authorName: "Redactie" }) { post { id version } } }"#,
            json!({}),
        )
        .await;
    let committed = Instant::now();
    let post = submitted["submitPost"]["post"].clone();
    let took = until(&app, "herstelgerichte", committed, |r| {
        hits(r).contains(&hit("Post", "herstelgerichte-kookmiddag-in-de-wijk"))
    })
    .await;
    assert!(took <= Duration::from_secs(1), "searchable after {took:?}");
    // And "herstel" finds it as the start of the word (as you type).
    assert!(
        hits(&search(&app, "herstel").await)
            .contains(&hit("Post", "herstelgerichte-kookmiddag-in-de-wijk"))
    );
    // A changed title: the new word is found, the old one no longer.
    kwintes
        .data(
            r#"mutation($id: ID!, $v: Int!) { updatePost(input: { id: $id, version: $v, title: "Samen wonen in de wijk" }) { post { version } } }"#,
            json!({ "id": post["id"], "v": post["version"] }),
        )
        .await;
    let committed = Instant::now();
    let took = until(&app, "samen wonen", committed, |r| {
        hits(r).contains(&hit("Post", "herstelgerichte-kookmiddag-in-de-wijk"))
    })
    .await;
    assert!(took <= Duration::from_secs(1), "searchable after {took:?}");
    indexed(&app).await;
    assert!(
        !hits(&search(&app, "kookmiddag").await)
            .contains(&hit("Post", "herstelgerichte-kookmiddag-in-de-wijk"))
    );
    // An organization's new other name.
    let id = app
        .id_of(
            network_directory::graphql::node::NodeType::Organization,
            "organization",
            "kwintes",
        )
        .await;
    let version = app
        .count("SELECT version FROM organization WHERE slug = 'kwintes'")
        .await;
    kwintes
        .data(
            "mutation($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { organization { version } } }",
            json!({ "input": { "id": id, "version": version, "alsoKnownAs": ["Woonbegeleiding Oost"] } }),
        )
        .await;
    let committed = Instant::now();
    let took = until(&app, "woonbegeleiding", committed, |r| {
        hits(r).first() == Some(&hit("Organization", "kwintes"))
    })
    .await;
    assert!(took <= Duration::from_secs(1), "searchable after {took:?}");
}

async fn hostile_queries_are_answered_or_refused_never_failed(app: TestApp) {
    // No letters or digits: nothing found, no error.
    for q in ["", "   ", "!!!", "\"\"", "*", "-", "🙂", "🙂🙂🙂", "%_\\"] {
        let result = search(&app, q).await;
        assert_eq!(result["totalCount"], 0, "{q:?}");
        assert_eq!(facets(&result), counts(0, 0, 0, 0, 0), "{q:?}");
    }
    // Operators and quotes mean nothing: their words are words.
    assert_eq!(
        first_hit(&search(&app, "\"GGZ\" +Friesland*").await),
        hit("Organization", "ggz-friesland")
    );
    assert_eq!(
        first_hit(&search(&app, "ggz 🙂 friesland").await),
        hit("Organization", "ggz-friesland")
    );
    // "AND" is a word no text has: nothing.
    assert_eq!(search(&app, "ggz AND friesland").await["totalCount"], 0);
    // SQL is text.
    for q in [
        "'; DROP TABLE search_term; --",
        "ggz' OR '1'='1",
        "\") UNION SELECT * FROM post --",
    ] {
        search(&app, q).await;
    }
    assert!(app.count("SELECT COUNT(*) FROM search_term").await > 0);
    assert_eq!(
        first_hit(&search(&app, "parnassia").await),
        hit("Organization", "parnassia")
    );
    // Too long, too many words: refused, saying why.
    for (q, message) in [
        ("x".repeat(10_000), "at most 200 characters"),
        ("a".repeat(201), "at most 200 characters"),
        (
            "een twee drie vier vijf zes zeven acht negen tien elf".to_owned(),
            "at most 10 words",
        ),
    ] {
        let response = app.query(SEARCH, json!({ "q": q })).await;
        assert_eq!(
            response["errors"][0]["extensions"]["code"],
            "BAD_USER_INPUT"
        );
        assert!(
            response["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(message),
            "{response:#}"
        );
    }
    // 200 characters of one word are fine (and find nothing).
    assert_eq!(search(&app, &"a".repeat(200)).await["totalCount"], 0);
    // NUL, and invalid UTF-8 in the body: refused as every request's are.
    assert_eq!(
        app.error_code(SEARCH, json!({ "q": "ggz\u{0}" })).await,
        "BAD_USER_INPUT"
    );
    let response = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("content-type", "application/json")
        .body(b"{\"query\":\"{ search(query: \\\"ggz \xff\xfe\\\") { totalCount } }\"}".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    // Still serving.
    assert_eq!(
        first_hit(&search(&app, "dimence").await),
        hit("Organization", "dimence")
    );
}

async fn snippets_are_escaped_html_with_marks(app: TestApp) {
    let kwintes = app.as_org("kwintes").await;
    let filler =
        "Wij zijn een organisatie die werkt aan goede zorg voor iedereen in de regio. ".repeat(4);
    kwintes
        .data(
            "mutation($body: String!) { submitPost(input: { kind: PRACTICE, title: \"<b>Kookclub</b> & meer\", body: $body, authorName: \"Redactie\" }) { post { slug } } }",
            json!({ "body": format!("{filler}<script>alert('x')</script> De kookclub \"Samen\" kookt elke week. {filler}") }),
        )
        .await;
    indexed(&app).await;
    let result = search(&app, "kookclub").await;
    let edge = &result["edges"][0];
    assert_eq!(
        edge["title"],
        "&lt;b&gt;<mark>Kookclub</mark>&lt;/b&gt; &amp; meer"
    );
    let snippet = edge["snippet"].as_str().unwrap();
    assert!(
        snippet.starts_with('…') && snippet.ends_with('…'),
        "{snippet}"
    );
    assert!(
        snippet.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; De <mark>kookclub</mark> &quot;Samen&quot; kookt"),
        "{snippet}"
    );
    assert!(!snippet.contains("<script"), "{snippet}");
    let text: String = snippet.replace("<mark>", "").replace("</mark>", "");
    assert!(text.chars().count() <= 200 + 2 + 40, "{snippet}");
    // An organization found by its name: its description as the snippet, unmarked.
    let result = search(&app, "dimence").await;
    assert!(
        result["edges"][0]["snippet"]
            .as_str()
            .unwrap()
            .starts_with("Deelnemer aan de beweging"),
        "{result:#}"
    );
}

fn cached(config: &mut network_directory::Config) {
    config.response_cache_mb = 16;
}

/// A search answered (and cached) before a change is not served after the index follows it.
async fn cached_answers_follow_the_index(writer: &TestApp, reader: &TestApp) {
    let q = "kookavond";
    // Asked twice before the change: the second answer may come from the cache.
    for _ in 0..2 {
        assert_eq!(search(reader, q).await["totalCount"], 0);
    }
    writer
        .as_org("kwintes")
        .await
        .data(
            r#"mutation { submitPost(input: { kind: NEWS, title: "Kookavond bij Kwintes",
                 body: "Samen koken en eten.", authorName: "Redactie" }) { post { slug } } }"#,
            json!({}),
        )
        .await;
    let committed = Instant::now();
    let took = until(reader, q, committed, |r| {
        hits(r) == [hit("Post", "kookavond-bij-kwintes")]
    })
    .await;
    assert!(took <= Duration::from_secs(1), "searchable after {took:?}");
}

#[tokio::test]
async fn cached_search_answers_follow_the_index_on_sqlite() {
    let app = TestApp::sqlite_with(cached).await;
    cached_answers_follow_the_index(&app, &app).await;
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: run `scripts/with-postgres cargo test`"
)]
async fn cached_search_answers_follow_the_index_on_postgres() {
    let app = TestApp::postgres_with(cached).await;
    cached_answers_follow_the_index(&app, &app).await;
}

/// Two replicas on one PostgreSQL: a write on one is searchable on the other within a second
/// (whichever indexes it, the other's cache hears of it).
#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: run `scripts/with-postgres cargo test`"
)]
async fn a_write_on_one_replica_is_searchable_on_another() {
    let writer = TestApp::postgres_with(cached).await;
    let reader = TestApp::on_database(writer.database_url.clone(), cached).await;
    cached_answers_follow_the_index(&writer, &reader).await;
    // Indexed once, whichever replica indexed it: the term counts one document.
    indexed(&reader).await;
    assert_eq!(
        reader
            .count("SELECT CAST(docs AS BIGINT) FROM search_term WHERE term = 'kookavond'")
            .await,
        1
    );
}

on_both_databases!(every_way_of_combining_words_agrees);

/// A query of several words is combined in Rust when one word is rare and by the database when
/// every word is common: both ways give the same page and facets.
async fn every_way_of_combining_words_agrees(app: TestApp) {
    use network_directory::directory::search::{self, DocType, query::Combine};
    for (q, types) in [
        ("ggz friesland", DocType::ALL.to_vec()),
        ("noord holland", DocType::ALL.to_vec()),
        ("de beweging", DocType::ALL.to_vec()),
        ("vernieuwing langdurige ggz", DocType::ALL.to_vec()),
        (
            "deelnemers organisaties",
            vec![DocType::Post, DocType::Organization],
        ),
        ("radicale vernieuwing", vec![DocType::Partner]),
    ] {
        for (offset, first) in [(0, 20), (1, 2), (0, 0)] {
            let request = search::Request {
                words: search::query::words(q).unwrap(),
                types: types.clone(),
                offset,
                first,
            };
            let in_rust = search::query::search_combining(&app.db, &request, Combine::InRust)
                .await
                .unwrap();
            let in_database =
                search::query::search_combining(&app.db, &request, Combine::InDatabase)
                    .await
                    .unwrap();
            assert_eq!(in_rust.hits, in_database.hits, "{q} {offset} {first}");
            assert_eq!(in_rust.facets, in_database.facets, "{q}");
            assert_eq!(in_rust.total, in_database.total, "{q}");
            if first > 0 && offset == 0 {
                assert!(!in_rust.hits.is_empty(), "{q} finds something");
            }
        }
    }
}
