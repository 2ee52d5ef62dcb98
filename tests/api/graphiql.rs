//! GraphiQL at `/` works offline: the page references no other host, and every script and
//! stylesheet it loads is served by the server itself, with its content type, a long cache
//! lifetime and gzip. (No database difference: SQLite only. `scripts/browser-check` runs the page
//! in a real browser.)

use crate::common::TestApp;

/// The values of `attribute="…"` in the page, in order.
fn attribute_values(html: &str, attribute: &str) -> Vec<String> {
    let needle = format!("{attribute}=\"");
    let mut values = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&needle) {
        rest = &rest[start + needle.len()..];
        let end = rest.find('"').expect("attribute value is closed");
        values.push(rest[..end].to_owned());
        rest = &rest[end..];
    }
    values
}

#[tokio::test]
async fn graphiql_loads_only_assets_the_server_serves() {
    let app = TestApp::sqlite().await;

    let page = app.get("/").await;
    assert_eq!(page.status(), 200);
    assert_eq!(
        page.headers()["content-type"].to_str().unwrap(),
        "text/html; charset=utf-8"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("<title>network-directory</title>"), "{html}");
    // No other host at all: no scheme, no protocol-relative URL.
    assert!(
        !html.contains("://"),
        "the page names another host:\n{html}"
    );
    assert!(
        !html.contains("\"//"),
        "the page names another host:\n{html}"
    );
    assert!(html.contains(r#"new URL("/graphql", window.location.origin)"#));

    let scripts = attribute_values(&html, "src");
    let links = attribute_values(&html, "href");
    assert_eq!(
        scripts,
        [
            "/graphiql/react-18.3.1/react.production.min.js",
            "/graphiql/react-dom-18.3.1/react-dom.production.min.js",
            "/graphiql/graphiql-4.1.2/graphiql.min.js",
        ]
    );
    assert_eq!(
        links,
        ["data:,", "/graphiql/graphiql-4.1.2/graphiql.min.css"]
    );

    let assets = scripts
        .iter()
        .map(|path| (path, "text/javascript; charset=utf-8"))
        .chain(
            links
                .iter()
                .filter(|link| !link.starts_with("data:"))
                .map(|path| (path, "text/css; charset=utf-8")),
        );
    for (path, content_type) in assets {
        assert!(
            path.starts_with('/') && !path.starts_with("//"),
            "{path} is not a local path"
        );
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        assert_eq!(
            headers["content-type"].to_str().unwrap(),
            content_type,
            "{path}"
        );
        assert_eq!(
            headers["cache-control"].to_str().unwrap(),
            "public, max-age=31536000, immutable",
            "{path}"
        );
        let body = response.bytes().await.unwrap();
        // The smallest, React itself, is about 10 KB.
        assert!(body.len() > 10_000, "{path}: only {} bytes", body.len());
        assert!(
            !body.starts_with(b"<"),
            "{path} is not a script or stylesheet"
        );

        // gzip when asked for (the stylesheet shrinks least: it inlines its fonts, already
        // compressed WOFF2).
        let gzipped = app
            .client
            .get(format!("{}{path}", app.base))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(gzipped.status(), 200, "{path}");
        assert_eq!(
            gzipped.headers()["content-encoding"].to_str().unwrap(),
            "gzip",
            "{path}"
        );
        let compressed = gzipped.bytes().await.unwrap();
        assert!(
            compressed.len() < body.len() * 3 / 4,
            "{path}: {} bytes gzipped of {}",
            compressed.len(),
            body.len()
        );
    }

    // Only the vendored files: no other path below /graphiql/, no path traversal.
    for path in [
        "/graphiql/graphiql-4.1.2/graphiql.min.js.map",
        "/graphiql/graphiql-4.1.2/LICENSE",
        "/graphiql/graphiql-4.1.2/../../Cargo.toml",
        "/graphiql/",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
}
