//! Relay pagination: forward and backward, past the end, bad arguments, nested connections.

use serde_json::{Value, json};

use crate::common::TestApp;
use crate::on_both_databases;

on_both_databases!(
    pages_forward_through_every_organization,
    pages_backward_with_last_and_before,
    past_the_end_is_an_empty_page,
    rejects_bad_page_arguments,
    pages_a_nested_connection,
    pages_the_moderation_queue_and_mixed_lists,
);

const PAGE: &str = r#"query($first: Int, $after: String, $last: Int, $before: String, $order: OrganizationOrder) {
  organizations(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
    totalCount
    edges { cursor node { slug } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"#;

fn page_slugs(page: &Value) -> Vec<String> {
    page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["slug"].as_str().unwrap().to_owned())
        .collect()
}

async fn all_slugs(app: &TestApp) -> Vec<String> {
    let data = app.data(PAGE, json!({ "first": 100 })).await;
    page_slugs(&data["organizations"])
}

async fn pages_forward_through_every_organization(app: TestApp) {
    let all = all_slugs(&app).await;
    assert_eq!(all.len(), 12);
    for order in ["NAME", "JOINED_ON"] {
        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let data = app
                .data(PAGE, json!({ "first": 5, "after": after, "order": order }))
                .await;
            let page = &data["organizations"];
            assert_eq!(page["totalCount"], 12);
            seen.extend(page_slugs(page));
            assert_eq!(page["pageInfo"]["hasPreviousPage"], !after.is_null());
            if page["pageInfo"]["hasNextPage"] == false {
                break;
            }
            assert_eq!(page["pageInfo"]["endCursor"], page["edges"][4]["cursor"]);
            after = page["pageInfo"]["endCursor"].clone();
        }
        let mut sorted = seen.clone();
        sorted.sort();
        let mut expected = all.clone();
        expected.sort();
        assert_eq!(
            sorted, expected,
            "every organization exactly once ({order})"
        );
    }
}

async fn pages_backward_with_last_and_before(app: TestApp) {
    let all = all_slugs(&app).await;
    let last = app.data(PAGE, json!({ "last": 5 })).await;
    assert_eq!(page_slugs(&last["organizations"]), all[7..].to_vec());
    assert_eq!(last["organizations"]["pageInfo"]["hasPreviousPage"], true);
    let before = last["organizations"]["pageInfo"]["startCursor"].clone();
    let previous = app.data(PAGE, json!({ "last": 5, "before": before })).await;
    assert_eq!(page_slugs(&previous["organizations"]), all[2..7].to_vec());
    assert_eq!(previous["organizations"]["pageInfo"]["hasNextPage"], true);
    let before = previous["organizations"]["pageInfo"]["startCursor"].clone();
    let first = app.data(PAGE, json!({ "last": 5, "before": before })).await;
    assert_eq!(page_slugs(&first["organizations"]), all[..2].to_vec());
    assert_eq!(first["organizations"]["pageInfo"]["hasPreviousPage"], false);

    // after and before together: the items strictly between.
    let window = app.data(PAGE, json!({ "first": 100 })).await;
    let cursors: Vec<Value> = window["organizations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["cursor"].clone())
        .collect();
    let between = app
        .data(
            PAGE,
            json!({ "first": 100, "after": cursors[2], "before": cursors[6] }),
        )
        .await;
    assert_eq!(page_slugs(&between["organizations"]), all[3..6].to_vec());
}

async fn past_the_end_is_an_empty_page(app: TestApp) {
    let data = app.data(PAGE, json!({ "first": 100 })).await;
    let last_cursor = data["organizations"]["pageInfo"]["endCursor"].clone();
    assert_eq!(data["organizations"]["pageInfo"]["hasNextPage"], false);
    let beyond = app
        .data(PAGE, json!({ "first": 10, "after": last_cursor }))
        .await;
    let page = &beyond["organizations"];
    assert!(page["edges"].as_array().unwrap().is_empty());
    assert_eq!(page["pageInfo"]["hasNextPage"], false);
    assert_eq!(page["pageInfo"]["endCursor"], Value::Null);
    assert_eq!(page["totalCount"], 12);
    let zero = app.data(PAGE, json!({ "first": 0 })).await;
    assert!(
        zero["organizations"]["edges"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(zero["organizations"]["pageInfo"]["hasNextPage"], true);
}

async fn rejects_bad_page_arguments(app: TestApp) {
    for variables in [
        json!({ "first": 101 }),
        json!({ "last": 101 }),
        json!({ "first": -1 }),
        json!({ "first": 5, "last": 5 }),
        json!({ "first": 5, "after": "not a cursor" }),
        json!({ "first": 5, "before": "eyJvIjoibmFtZSJ9" }),
    ] {
        let response = app.query(PAGE, variables.clone()).await;
        assert_eq!(
            response["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{variables}: {response}"
        );
        assert_eq!(response["data"], Value::Null, "{variables}");
        let message = response["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains('`'),
            "the message names the argument: {message}"
        );
    }
    // A cursor of one ordering is refused under another.
    let by_name = app.data(PAGE, json!({ "first": 1 })).await;
    let cursor = by_name["organizations"]["pageInfo"]["endCursor"].clone();
    let response = app
        .query(
            PAGE,
            json!({ "first": 1, "after": cursor, "order": "JOINED_ON" }),
        )
        .await;
    assert_eq!(
        response["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
}

async fn pages_a_nested_connection(app: TestApp) {
    let query = r#"query($after: String) { theme(slug: "opstart-vernieuwingsbeweging") {
        posts(first: 2, after: $after) { totalCount nodes { slug } pageInfo { hasNextPage endCursor } } } }"#;
    let first = app.data(query, json!({})).await;
    let page = &first["theme"]["posts"];
    assert_eq!(page["nodes"].as_array().unwrap().len(), 2);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let second = app
        .data(query, json!({ "after": page["pageInfo"]["endCursor"] }))
        .await;
    let next = &second["theme"]["posts"];
    assert_eq!(next["nodes"].as_array().unwrap().len(), 1);
    assert_eq!(next["pageInfo"]["hasNextPage"], false);
    assert_eq!(next["totalCount"], 3);
    let mut all: Vec<&Value> = page["nodes"].as_array().unwrap().iter().collect();
    all.extend(next["nodes"].as_array().unwrap());
    all.dedup();
    assert_eq!(all.len(), 3);
    let too_big = app
        .query(
            r#"{ themes { nodes { posts(first: 500) { totalCount } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(too_big["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

const POSTS: &str = r#"query($statuses: [PostStatus!], $first: Int, $after: String) {
  posts(filter: {statuses: $statuses}, first: $first, after: $after) {
    totalCount
    edges { cursor node { id status } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

/// Every post of a list, paged `first` at a time: (ids in order, total count).
async fn page_through_posts(app: &TestApp, statuses: Value, first: u32) -> (Vec<String>, u64) {
    let admin = app.as_admin();
    let mut ids = Vec::new();
    let mut after = Value::Null;
    for _ in 0..100 {
        let data = admin
            .data(
                POSTS,
                json!({ "statuses": statuses, "first": first, "after": after }),
            )
            .await;
        let page = &data["posts"];
        let total = page["totalCount"].as_u64().unwrap();
        for edge in page["edges"].as_array().unwrap() {
            ids.push(edge["node"]["id"].as_str().unwrap().to_owned());
        }
        if page["pageInfo"]["hasNextPage"] != true {
            return (ids, total);
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    panic!("the list does not end");
}

/// The moderation queue (posts not published) pages like any list, in one order on both
/// databases: newest submitted first; a list mixing published and pending posts skips and
/// repeats none.
async fn pages_the_moderation_queue_and_mixed_lists(app: TestApp) {
    let mut submitted = Vec::new();
    for n in 0..5 {
        let data = app
            .anon()
            .data(
                r#"mutation($title: String!) { submitPost(input: {kind: QUESTION, title: $title, body: "Vraag.", authorName: "Iemand"}) { post { id } } }"#,
                json!({ "title": format!("Vraag {n}") }),
            )
            .await;
        submitted.push(
            data["submitPost"]["post"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let (queue, total) = page_through_posts(&app, json!(["PENDING"]), 2).await;
    assert_eq!(total, 5);
    let newest_first: Vec<String> = submitted.iter().rev().cloned().collect();
    assert_eq!(queue, newest_first, "newest submitted first, each once");

    let (mixed, total) = page_through_posts(&app, json!(["PUBLISHED", "PENDING"]), 3).await;
    let (published, published_total) = page_through_posts(&app, json!(["PUBLISHED"]), 100).await;
    assert_eq!(total, published_total + 5);
    assert_eq!(mixed.len() as u64, total, "every post once: {mixed:?}");
    let mut unique = mixed.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), mixed.len(), "no post twice");
    // The published posts keep their own order inside the mixed list.
    let published_in_mixed: Vec<&String> =
        mixed.iter().filter(|id| published.contains(id)).collect();
    assert_eq!(published_in_mixed, published.iter().collect::<Vec<_>>());
}
