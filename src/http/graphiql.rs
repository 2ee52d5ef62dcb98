//! GraphiQL at `/`, served entirely from the binary: the page references only the vendored
//! builds in `assets/graphiql/` (GraphiQL, React, ReactDOM; see its README), served under
//! `/graphiql/<package>-<version>/<file>`, so the IDE works offline and behind a firewall that
//! blocks public CDNs. A path carries its package version, so answers are cached for a year.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// One vendored file.
struct Asset {
    /// Its path below `/graphiql/` (and below `assets/graphiql/` in the repository).
    path: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The files. The page loads React, then ReactDOM, then GraphiQL: its UMD build expects the
/// globals `React` and `ReactDOM` (of React 18: it uses React 18's internals, and React 19 ships
/// no UMD builds).
const ASSETS: &[Asset] = &[
    Asset {
        path: "graphiql-4.1.2/graphiql.min.css",
        content_type: CSS,
        bytes: include_bytes!("../../assets/graphiql/graphiql-4.1.2/graphiql.min.css"),
    },
    Asset {
        path: "react-18.3.1/react.production.min.js",
        content_type: JS,
        bytes: include_bytes!("../../assets/graphiql/react-18.3.1/react.production.min.js"),
    },
    Asset {
        path: "react-dom-18.3.1/react-dom.production.min.js",
        content_type: JS,
        bytes: include_bytes!("../../assets/graphiql/react-dom-18.3.1/react-dom.production.min.js"),
    },
    Asset {
        path: "graphiql-4.1.2/graphiql.min.js",
        content_type: JS,
        bytes: include_bytes!("../../assets/graphiql/graphiql-4.1.2/graphiql.min.js"),
    },
];

/// The page: the stylesheet and scripts of [`ASSETS`] only (the API test checks that each answers),
/// the API at `/graphql` of the same origin, and an empty inline icon, so that the browser asks no
/// other host (nor `/favicon.ico`).
const PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="robots" content="noindex">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>network-directory</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="/graphiql/graphiql-4.1.2/graphiql.min.css">
    <style>
      body { height: 100%; margin: 0; width: 100%; overflow: hidden; }
      #graphiql { height: 100vh; }
    </style>
  </head>
  <body>
    <div id="graphiql">Loading…</div>
    <script src="/graphiql/react-18.3.1/react.production.min.js"></script>
    <script src="/graphiql/react-dom-18.3.1/react-dom.production.min.js"></script>
    <script src="/graphiql/graphiql-4.1.2/graphiql.min.js"></script>
    <script>
      ReactDOM.createRoot(document.getElementById("graphiql")).render(
        React.createElement(GraphiQL, {
          fetcher: GraphiQL.createFetcher({
            url: new URL("/graphql", window.location.origin).toString(),
          }),
          defaultEditorToolsVisibility: true,
        })
      );
    </script>
  </body>
</html>
"#;

/// `GET /`: the GraphiQL page.
pub async fn page() -> Html<&'static str> {
    Html(PAGE)
}

/// `GET /graphiql/{*file}`: one vendored file, or 404.
pub async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|asset| asset.path == file) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            asset.bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
