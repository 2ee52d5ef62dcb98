//! A few hundred hostile or careless requests: each gets a 4xx or a GraphQL error, never a 5xx
//! or a crash, and the server keeps answering.

use serde_json::{Value, json};

use crate::common::TestApp;

/// A small deterministic generator, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

enum Body {
    Json(Value),
    Raw(&'static str, Vec<u8>),
    Get(String),
}

fn nested(depth: usize, open: &str, close: &str, inner: &str) -> String {
    format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
}

fn hostile_requests() -> Vec<(String, Body)> {
    let mut out: Vec<(String, Body)> = Vec::new();
    let q = |query: String| Body::Json(json!({ "query": query }));
    for depth in [13, 20, 40, 80] {
        let mut query = "slug".to_owned();
        for _ in 0..depth {
            query = format!("organizations {{ nodes {{ {query} }} }}");
            query = format!("regions {{ nodes {{ {query} }} }}");
        }
        out.push((
            format!("deep selection {depth}"),
            q(format!("{{ organizations {{ nodes {{ {query} }} }} }}")),
        ));
    }
    for depth in [100, 1_000, 5_000, 8_000] {
        out.push((
            format!("nested braces {depth}"),
            q(nested(depth, "{", "}", "a")),
        ));
        out.push((
            format!("nested lists in an argument {depth}"),
            q(format!(
                "{{ nodes(ids: {}) {{ id }} }}",
                nested(depth, "[", "]", "\"x\"")
            )),
        ));
        out.push((
            format!("nested objects in an argument {depth}"),
            q(format!(
                "{{ organizations(filter: {}) {{ totalCount }} }}",
                nested(depth, "{a:", "}", "1")
            )),
        ));
    }
    for n in [100, 500, 2_000] {
        let aliases: String = (0..n)
            .map(|i| format!("a{i}: organizations(first: 100) {{ nodes {{ slug }} }} "))
            .collect();
        out.push((format!("{n} aliases"), q(format!("{{ {aliases} }}"))));
    }
    out.push(("fragment cycle".into(), q("{ organizations { nodes { ...A } } } fragment A on Organization { ...B } fragment B on Organization { ...A }".into())));
    out.push((
        "self fragment".into(),
        q("{ organizations { nodes { ...A } } } fragment A on Organization { name ...A }".into()),
    ));
    out.push((
        "unknown fragment".into(),
        q("{ organizations { nodes { ...Nope } } }".into()),
    ));
    out.push((
        "giant string argument".into(),
        q(format!(
            "{{ organization(slug: \"{}\") {{ name }} }}",
            "x".repeat(15_000)
        )),
    ));
    out.push(("giant variable".into(), Body::Json(json!({ "query": "query($s: String!) { organization(slug: $s) { name } }", "variables": { "s": "é".repeat(30_000) } }))));
    out.push(("giant nameContains".into(), Body::Json(json!({ "query": "query($s: String!) { organizations(filter: {nameContains: $s}) { totalCount } }", "variables": { "s": "%_".repeat(15_000) } }))));
    out.push((
        "deeply nested variables".into(),
        Body::Raw(
            "application/json",
            format!(
                "{{\"query\":\"{{ tags {{ totalCount }} }}\",\"variables\":{{\"v\":{}}}}}",
                nested(10_000, "[", "]", "1")
            )
            .into_bytes(),
        ),
    ));
    out.push((
        "invalid UTF-8".into(),
        Body::Raw(
            "application/json",
            b"{\"query\":\"{ tags { totalCount } \xff\xfe }\"}".to_vec(),
        ),
    ));
    out.push((
        "invalid UTF-8 only".into(),
        Body::Raw("application/json", vec![0xff, 0xfe, 0xfd, 0x00, 0x80]),
    ));
    out.push((
        "NUL in query".into(),
        q("{ tags\u{0} { totalCount } }".into()),
    ));
    out.push((
        "lone surrogate escape".into(),
        Body::Raw(
            "application/json",
            br#"{"query":"{ organization(slug: \"\ud800\") { name } }"}"#.to_vec(),
        ),
    ));
    for (name, content_type) in [
        ("text/plain", "text/plain"),
        ("xml", "application/xml"),
        ("form", "application/x-www-form-urlencoded"),
        ("multipart", "multipart/form-data; boundary=x"),
        ("graphql", "application/graphql"),
    ] {
        out.push((
            format!("content type {name}"),
            Body::Raw(content_type, b"{ tags { totalCount } }".to_vec()),
        ));
    }
    for (name, raw) in [
        ("empty body", ""),
        ("null", "null"),
        ("number", "42"),
        ("string", "\"{ tags { totalCount } }\""),
        ("array of nothing", "[]"),
        ("batch", "[{\"query\":\"{ tags { totalCount } }\"}]"),
        ("query is a number", "{\"query\": 1}"),
        ("query is null", "{\"query\": null}"),
        (
            "variables is an array",
            "{\"query\":\"{ tags { totalCount } }\",\"variables\":[1]}",
        ),
        (
            "operationName is an object",
            "{\"query\":\"{ tags { totalCount } }\",\"operationName\":{}}",
        ),
        (
            "unknown operation",
            "{\"query\":\"query A { tags { totalCount } }\",\"operationName\":\"B\"}",
        ),
        (
            "two anonymous operations",
            "{\"query\":\"{ tags { totalCount } } { tags { totalCount } }\"}",
        ),
        (
            "subscription",
            "{\"query\":\"subscription { tags { totalCount } }\"}",
        ),
        ("truncated JSON", "{\"query\":\"{ tags { tot"),
        (
            "trailing garbage",
            "{\"query\":\"{ tags { totalCount } }\"} xyz",
        ),
    ] {
        out.push((
            name.to_owned(),
            Body::Raw("application/json", raw.as_bytes().to_vec()),
        ));
    }
    out.push((
        "deep introspection".into(),
        q(format!(
            "{{ __schema {{ types {{ {} }} }} }}",
            nested(40, "ofType { ", "}", "name")
        )),
    ));
    for (name, query) in [
        (
            "GET mutation",
            "mutation%20%7B%20revokeToken(input%3A%20%7BtokenId%3A%20%22x%22%7D)%20%7B%20revokedTokenId%20%7D%20%7D",
        ),
        ("GET garbage", "%ff%fe%00"),
        ("GET deep", "%7B%7B%7B%7B%7B%7B%7B%7B%7B%7B"),
        (
            "GET bad variables",
            "%7B%20tags%20%7B%20totalCount%20%7D%20%7D&variables=%5B1",
        ),
    ] {
        out.push((name.to_owned(), Body::Get(format!("query={query}"))));
    }
    // Random garbage documents and bodies.
    let mut rng = Lcg(20261123);
    let alphabet: Vec<char> = "{}()[]:$@!.,\"'#\\ \n\tabcdefxyz0123456789_=&|...é\u{0}"
        .chars()
        .collect();
    for i in 0..180 {
        let len = 1 + rng.below(400) as usize;
        let text: String = (0..len)
            .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
            .collect();
        if i % 3 == 0 {
            let bytes: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
            out.push((
                format!("random bytes {i}"),
                Body::Raw("application/json", bytes),
            ));
        } else {
            out.push((format!("random document {i}"), q(text)));
        }
    }
    // Random mutations of a valid query.
    let valid = "{ organizations(first: 5, filter: {regions: [\"utrecht\"]}) { nodes { slug regions { nodes { slug } } } } }";
    for i in 0..80 {
        let mut chars: Vec<char> = valid.chars().collect();
        for _ in 0..(1 + rng.below(4)) {
            let at = rng.below(chars.len() as u64) as usize;
            match rng.below(3) {
                0 => {
                    chars.remove(at);
                }
                1 => chars.insert(at, alphabet[rng.below(alphabet.len() as u64) as usize]),
                _ => chars[at] = alphabet[rng.below(alphabet.len() as u64) as usize],
            }
        }
        out.push((format!("mutated query {i}"), q(chars.into_iter().collect())));
    }
    out
}

#[tokio::test]
async fn hostile_requests_never_get_a_server_error() {
    let app = TestApp::sqlite().await;
    let requests = hostile_requests();
    assert!(requests.len() >= 300, "{} requests", requests.len());
    for (name, body) in requests {
        let response = match body {
            Body::Json(value) => {
                app.client
                    .post(format!("{}/graphql", app.base))
                    .json(&value)
                    .send()
                    .await
            }
            Body::Raw(content_type, bytes) => {
                app.client
                    .post(format!("{}/graphql", app.base))
                    .header("content-type", content_type)
                    .body(bytes)
                    .send()
                    .await
            }
            Body::Get(query) => {
                app.client
                    .get(format!("{}/graphql?{query}", app.base))
                    .send()
                    .await
            }
        };
        let response =
            response.unwrap_or_else(|err| panic!("{name}: the server did not answer: {err}"));
        let status = response.status().as_u16();
        assert!(status < 500, "{name}: status {status}");
        let text = response.text().await.unwrap();
        if status == 200 {
            let body: Value =
                serde_json::from_str(&text).unwrap_or_else(|_| panic!("{name}: not JSON: {text}"));
            if body.get("errors").is_some() {
                let code = &body["errors"][0]["extensions"]["code"];
                assert!(code.is_string(), "{name}: an error without a code: {text}");
                assert_ne!(code, "INTERNAL", "{name}: {text}");
            }
        }
        assert!(
            !text.contains("panicked") && !text.contains("sqlx") && !text.contains("SELECT"),
            "{name}: leaks internals: {text}"
        );
    }
    assert_eq!(app.get("/healthz").await.status(), 200, "still alive");
    let data = app
        .data("{ organizations { totalCount } }", json!({}))
        .await;
    assert_eq!(data["organizations"]["totalCount"], 12);
}
