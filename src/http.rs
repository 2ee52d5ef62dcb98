//! The HTTP surface: the axum router, the GraphQL handler (POST and GET on `/graphql`),
//! GraphiQL at `/`, `/healthz` and `/readyz`, and the request-id and tracing layers.

use async_graphql::http::GraphiQLSource;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use sea_orm::DatabaseConnection;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::auth::{TokenKeys, authenticate};
use crate::error::{AppError, ErrorCode};
use crate::graphql::DirectorySchema;
use crate::graphql::loader::DbLoader;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The GraphQL schema.
    pub schema: DirectorySchema,
    /// The database pool.
    pub db: DatabaseConnection,
    /// The DataLoaders' batch window.
    pub batch_window: std::time::Duration,
    /// Token verification.
    pub keys: std::sync::Arc<TokenKeys>,
}

/// The router with all routes and layers.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(graphiql))
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// The span of one request: method, path and request id (never the query string or body).
fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    let id = request_id(request.headers());
    tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
}

async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("network-directory")
            .finish(),
    )
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    match crate::db::ping(&state.db).await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}

fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned()
}

fn error_response(status: StatusCode, message: &str, code: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    });
    (status, axum::Json(body)).into_response()
}

fn bad_request(message: &str) -> Response {
    error_response(StatusCode::BAD_REQUEST, message, "BAD_REQUEST")
}

async fn graphql_post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match serde_json::from_slice::<async_graphql::Request>(&body) {
        Ok(request) => execute(state, headers, request).await,
        Err(_) => bad_request("the body must be a JSON object with a `query` string"),
    }
}

async fn graphql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match async_graphql::http::parse_query_string(query.as_deref().unwrap_or_default()) {
        Ok(request) => execute(state, headers, request).await,
        Err(_) => bad_request("the URL must carry a `query` parameter"),
    }
}

async fn execute(state: AppState, headers: HeaderMap, request: async_graphql::Request) -> Response {
    let request_id = request_id(&headers);
    crate::telemetry::with_request_id(request_id, execute_as_viewer(state, headers, request)).await
}

/// The response for a request whose token was refused: 401 with a GraphQL error.
fn refused(err: AppError) -> Response {
    let unavailable = err.code() == ErrorCode::Internal;
    let code = err.code().as_str();
    let err = async_graphql::Error::from(err);
    if unavailable {
        return error_response(StatusCode::SERVICE_UNAVAILABLE, &err.message, code);
    }
    let mut response = error_response(StatusCode::UNAUTHORIZED, &err.message, code);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    response
}

async fn execute_as_viewer(
    state: AppState,
    headers: HeaderMap,
    request: async_graphql::Request,
) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or("invalid"));
    let viewer = match authenticate(authorization, &state.keys, &state.db).await {
        Ok(viewer) => viewer,
        Err(err) => return refused(err),
    };
    let loader = DbLoader::for_request(state.db.clone(), viewer.clone(), state.batch_window);
    let response = state
        .schema
        .execute(request.data(loader).data(viewer))
        .await;
    let mut http = axum::Json(&response).into_response();
    http.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    http
}
