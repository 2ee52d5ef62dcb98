//! The cache of anonymous answers: served from memory until a write commits (on this replica or,
//! on PostgreSQL, on another one), never for callers with a token, with the cost still spent and
//! reported, and with `ETag`/`If-None-Match` revalidation on GET. Also: the keys of an answer
//! come in the order of the selection set, so that equal answers are equal bytes.

use network_directory::config::Config;
use network_directory::graphql::node::NodeType;
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::on_both_databases_with;

fn cached(config: &mut Config) {
    config.response_cache_mb = 16;
}

on_both_databases_with!(cached:
    anonymous_answers_are_cached_until_a_write,
    answers_with_a_token_are_never_cached,
    get_answers_revalidate_with_an_entity_tag,
    keys_come_in_selection_order,
);

const ORGANIZATION: &str = "query($slug: String!) { organization(slug: $slug) { name version regions { nodes { slug } } } }";

const RENAME: &str = "mutation($input: UpdateOrganizationInput!) {
  updateOrganization(input: $input) { organization { name } userErrors { message } }
}";

async fn rename(app: &TestApp, slug: &str, version: &Value, name: &str) {
    let id = app
        .id_of(NodeType::Organization, "organization", slug)
        .await;
    let data = app
        .as_admin()
        .data(
            RENAME,
            json!({ "input": { "id": id, "version": version, "name": name } }),
        )
        .await;
    assert_eq!(data["updateOrganization"]["organization"]["name"], name);
}

/// Waits until `app` caches (on PostgreSQL, once it listens for changes: within moments of its
/// start).
async fn until_caching(app: &TestApp) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let probe = "{ regions(first: 1) { nodes { slug } } }";
    app.anon().data(probe, json!({})).await;
    loop {
        let before = app.statements.get();
        app.anon().data(probe, json!({})).await;
        if app.statements.get() == before {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server never caches"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn anonymous_answers_are_cached_until_a_write(app: TestApp) {
    until_caching(&app).await;
    let vars = json!({ "slug": "ggz-friesland" });
    let first = app.anon().query(ORGANIZATION, vars.clone()).await;
    let before = app.statements.get();
    let second = app.anon().query(ORGANIZATION, vars.clone()).await;
    assert_eq!(
        app.statements.get(),
        before,
        "the second answer came from the cache"
    );
    assert_eq!(first["data"], second["data"]);
    // The cost is spent and reported as without the cache.
    assert_eq!(
        first["extensions"]["cost"]["requestedQueryCost"],
        second["extensions"]["cost"]["requestedQueryCost"]
    );
    assert!(second["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"].is_u64());

    rename(
        &app,
        "ggz-friesland",
        &first["data"]["organization"]["version"],
        "GGZ Friesland (nieuw)",
    )
    .await;
    let after = app.anon().data(ORGANIZATION, vars).await;
    assert_eq!(after["organization"]["name"], "GGZ Friesland (nieuw)");

    let metrics = app.get("/metrics").await.text().await.unwrap();
    let hits: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("graphql_response_cache_total{outcome=\"hit\"} "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    // The probe's and the second answer's, at least (a probe may repeat while PostgreSQL's
    // listener connects).
    assert!(hits >= 2, "{metrics}");
}

async fn answers_with_a_token_are_never_cached(app: TestApp) {
    let vars = json!({ "slug": "ggz-friesland" });
    let partner = app.as_partner();
    partner.data(ORGANIZATION, vars.clone()).await;
    let before = app.statements.get();
    partner.data(ORGANIZATION, vars).await;
    assert!(
        app.statements.get() > before,
        "a token's answer is computed"
    );
}

async fn get_answers_revalidate_with_an_entity_tag(app: TestApp) {
    until_caching(&app).await;
    let url = format!(
        "{}/graphql?query={}",
        app.base,
        "%7B%20organization(slug%3A%20%22ggz-friesland%22)%20%7B%20name%20version%20%7D%20%7D"
    );
    let client = reqwest::Client::new();
    let first = client.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["cache-control"], "public, no-cache");
    assert_eq!(first.headers()["vary"], "Accept, Authorization");
    let tag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(tag.starts_with('"') && tag.len() == 34, "{tag}");
    let body: Value = first.json().await.unwrap();

    let again = client
        .get(&url)
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), tag);
    assert_eq!(again.text().await.unwrap(), "");

    let other = client
        .get(&url)
        .header("if-none-match", "\"0123\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);

    rename(
        &app,
        "ggz-friesland",
        &body["data"]["organization"]["version"],
        "GGZ Friesland 2",
    )
    .await;
    let changed = client
        .get(&url)
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200, "the data changed");
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), tag);

    // A caller with a token gets no shared-cache headers.
    let private = client
        .get(&url)
        .bearer_auth(app.token(
            network_directory::auth::Role::Partner,
            "trimbos-instituut",
            None,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(private.headers()["cache-control"], "no-store");
    assert!(private.headers().get("etag").is_none());

    // Nor does the same public answer over POST, which no cache keeps.
    let posted = client
        .post(format!("{}/graphql", app.base))
        .json(&json!({ "query": "{ organization(slug: \"ggz-friesland\") { name version } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    assert_eq!(posted.headers()["cache-control"], "no-store");
    assert!(posted.headers().get("etag").is_none());
}

async fn keys_come_in_selection_order(app: TestApp) {
    let query = "{ organizations(first: 20) { nodes { themes { nodes { slug } } name \
                 regions { nodes { slug } } slug posts(first: 2) { nodes { title } } id } } }";
    let order = [
        "{\"themes\":",
        ",\"name\":",
        ",\"regions\":",
        ",\"slug\":",
        ",\"posts\":",
        ",\"id\":",
    ];
    // A computed and a cached answer, and one with a token (never cached); the raw text,
    // since serde_json's map would sort the keys.
    for token in [
        None,
        None,
        Some(app.token(network_directory::auth::Role::Admin, "steunpunt", None)),
    ] {
        let mut request = reqwest::Client::new()
            .post(format!("{}/graphql", app.base))
            .json(&json!({ "query": query }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let text = request.send().await.unwrap().text().await.unwrap();
        let count: usize =
            serde_json::from_str::<Value>(&text).unwrap()["data"]["organizations"]["nodes"]
                .as_array()
                .unwrap()
                .len();
        assert!(count > 0);
        let objects: Vec<&str> = text.split("{\"themes\":").skip(1).collect();
        assert_eq!(
            objects.len(),
            count,
            "every object starts with `themes`: {text}"
        );
        for object in objects {
            let object = format!("{{\"themes\":{object}");
            let mut at = 0;
            for key in order {
                let found = object[at..]
                    .find(key)
                    .unwrap_or_else(|| panic!("{key} not after position {at} in {object}"));
                at += found + key.len();
            }
        }
    }
}

/// Two replicas on one PostgreSQL: a write on one is seen by the other's cache at once
/// (`LISTEN`/`NOTIFY`), not after an expiry.
#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: run `scripts/with-postgres cargo test`"
)]
async fn a_write_on_one_replica_reaches_the_cache_of_another() {
    let writer = TestApp::postgres_with(cached).await;
    let reader = TestApp::on_database(writer.database_url.clone(), cached).await;
    let vars = json!({ "slug": "ggz-friesland" });
    let first = reader.anon().data(ORGANIZATION, vars.clone()).await;
    // The reader caches once it listens for changes (at start, within moments).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let before = reader.statements.get();
        reader.anon().data(ORGANIZATION, vars.clone()).await;
        if reader.statements.get() == before {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the reader never caches"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    rename(
        &writer,
        "ggz-friesland",
        &first["organization"]["version"],
        "GGZ Friesland (elders gewijzigd)",
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        let now = reader.anon().data(ORGANIZATION, vars.clone()).await;
        if now["organization"]["name"] == "GGZ Friesland (elders gewijzigd)" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the reader still answers {now} a second after the write"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Automatic persisted queries: a hash instead of the document, as Apollo's clients send it.
#[tokio::test]
async fn persisted_queries_keep_get_urls_short() {
    use sha2::Digest;
    let app = TestApp::sqlite_with(cached).await;
    let query = "{ organization(slug: \"ggz-friesland\") { name } }";
    let hash: String = sha2::Sha256::digest(query.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } }).to_string();
    let client = reqwest::Client::new();
    let url = format!("{}/graphql", app.base);
    let by_hash = || {
        client
            .get(&url)
            .query(&[("extensions", extensions.as_str())])
            .send()
    };

    // Unknown hash: the client is told to send the document.
    let unknown: Value = by_hash().await.unwrap().json().await.unwrap();
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(
        unknown["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
    assert!(unknown.get("data").is_none());

    // The document with its hash is checked, run and kept.
    let registered: Value = client
        .post(&url)
        .json(&json!({ "query": query, "extensions": serde_json::from_str::<Value>(&extensions).unwrap() }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(registered["data"]["organization"]["name"], "GGZ Friesland");

    // From now on the hash alone will do, over GET (cacheable) and POST.
    let answer = by_hash().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert!(answer.headers().contains_key("etag"));
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer["data"]["organization"]["name"], "GGZ Friesland");
    let posted: Value = client
        .post(&url)
        .json(&json!({ "extensions": serde_json::from_str::<Value>(&extensions).unwrap() }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(posted["data"]["organization"]["name"], "GGZ Friesland");

    // A hash that is not the document's, or another protocol version, is refused.
    for bad in [
        json!({ "persistedQuery": { "version": 1, "sha256Hash": "0".repeat(64) } }),
        json!({ "persistedQuery": { "version": 2, "sha256Hash": hash } }),
        json!({ "persistedQuery": { "version": 1, "sha256Hash": "not hex" } }),
    ] {
        let refused = client
            .post(&url)
            .json(&json!({ "query": query, "extensions": bad }))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 400, "{bad}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    }
}

/// GET runs the operation named by `operationName`, and refuses a name that is not there.
#[tokio::test]
async fn get_runs_the_named_operation() {
    let app = TestApp::sqlite().await;
    let document = "query A { organization(slug: \"ggz-friesland\") { name } } \
                    query B { organization(slug: \"arkin\") { name } }";
    let client = reqwest::Client::new();
    let url = format!("{}/graphql", app.base);
    let run = |name: &'static str| {
        client
            .get(&url)
            .query(&[("query", document), ("operationName", name)])
            .send()
    };
    let b: Value = run("B").await.unwrap().json().await.unwrap();
    assert_eq!(b["data"]["organization"]["name"], "Arkin");
    let a: Value = run("A").await.unwrap().json().await.unwrap();
    assert_eq!(a["data"]["organization"]["name"], "GGZ Friesland");
    let wrong: Value = run("C").await.unwrap().json().await.unwrap();
    assert!(wrong.get("data").is_none_or(Value::is_null), "{wrong}");
    assert!(wrong["errors"][0]["message"].is_string(), "{wrong}");
}
