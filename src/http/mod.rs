//! The HTTP surface: the axum router and its layers (CORS, request ids, tracing), GraphiQL at
//! `/` (see [`graphiql`]), the API at `/graphql` (see [`graphql`]), `/healthz`, `/readyz`,
//! `/metrics`, the calendar feed `/events.ics` (see [`calendar`]) and the partners' snapshot
//! `/export/directory.ndjson` (see [`export`]).

pub mod cache;
pub mod calendar;
pub mod export;
pub mod graphiql;
pub mod graphql;
pub mod introspection;
pub mod parsed;
pub mod persisted;
pub mod subscription;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sea_orm::DatabaseConnection;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::auth::TokenKeys;
use crate::db::StatementCounter;
use crate::graphql::Schemas;
use crate::limits::Limits;
use crate::metrics::Metrics;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request limits of the GraphQL endpoint.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Longest GraphQL document.
    pub max_query_bytes: usize,
    /// Most root fields of an operation.
    pub max_root_fields: usize,
    /// Longest a request may take.
    pub request_timeout: Duration,
    /// Header with the client address set by a trusted proxy.
    pub trusted_proxy_header: Option<String>,
    /// `Cache-Control` of anonymous GET answers.
    pub public_cache_control: HeaderValue,
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The GraphQL schemas (the limited one, and the one for introspection).
    pub schemas: Schemas,
    /// The database pool.
    pub db: DatabaseConnection,
    /// The database's circuit breaker.
    pub db_health: crate::db::health::DbHealth,
    /// Token verification.
    pub keys: Arc<TokenKeys>,
    /// Rate limits.
    pub limits: Arc<Limits>,
    /// Metrics.
    pub metrics: Metrics,
    /// SQL statements run.
    pub statements: StatementCounter,
    /// Request limits.
    pub http: Arc<HttpLimits>,
    /// The cache of anonymous answers.
    pub cache: cache::ResponseCache,
    /// The outcomes of token checks, while data is unchanged.
    pub token_checks: crate::auth::TokenChecks,
    /// The documents of persisted queries, by hash.
    pub persisted: persisted::PersistedQueries,
    /// The documents parsed so far, by text.
    pub parsed: parsed::ParsedDocuments,
    /// The answers to introspection-only requests computed so far.
    pub introspection: introspection::IntrospectionAnswers,
    /// Partners' sync: the snapshots being streamed.
    pub exports: export::ExportSlots,
    /// Partners' sync: the subscription connections and their limits.
    pub subscriptions: subscription::Subscriptions,
}

/// The CORS policy: the configured origins (or any) may read responses; never credentials.
pub fn cors(origins: &str) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty() && *o != "*")
        .filter_map(|o| o.parse().ok())
        .collect();
    let allow = if origins.is_empty() {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins)
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .expose_headers([REQUEST_ID, header::RETRY_AFTER])
        .max_age(Duration::from_secs(3600))
}

/// The router with all routes and layers; `ceiling` is the benchmark's static response, served
/// at `/ceiling` when given.
pub fn router(state: AppState, cors_origins: &str, ceiling: Option<axum::body::Bytes>) -> Router {
    let mut router = Router::new();
    if let Some(bytes) = ceiling {
        router = router.route(
            "/ceiling",
            get(move || {
                let bytes = bytes.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], bytes) }
            }),
        );
    }
    router
        .route("/", get(graphiql::page))
        .route("/graphiql/{*file}", get(graphiql::asset))
        // GET: a query, or the WebSocket of subscriptions (see `subscription`).
        .route("/graphql", get(subscription::get).post(graphql::post))
        .route("/events.ics", get(calendar::events))
        .route("/export/directory.ndjson", get(export::directory))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
        // gzip for clients that ask for it (`Accept-Encoding`): a directory page shrinks about
        // tenfold.
        .layer(CompressionLayer::new().gzip(true))
        .layer(cors(cors_origins))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// The span of one request: method, path, request id and (filled in by the GraphQL handler)
/// the operation; never the query text, variables or tokens.
fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    let id = request_id(request.headers());
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %id,
        operation = tracing::field::Empty,
        operation_type = tracing::field::Empty,
    )
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    // Found unreachable less than the breaker's open period ago: no need to wait for the pool.
    if state.db_health.is_open() {
        return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response();
    }
    let ping = tokio::time::timeout(Duration::from_secs(2), crate::db::ping(&state.db)).await;
    match ping {
        Ok(Ok(())) => (StatusCode::OK, "ready").into_response(),
        _ => {
            // Down, not just busy: open the breaker, so requests stop waiting for the pool.
            state.db_health.confirm_unreachable().await;
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    state
        .metrics
        .breaker_open
        .set(i64::from(state.db_health.is_open()));
    let body = state.metrics.render(&state.db, &state.statements);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

/// The request id the request-id layer set.
pub fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned()
}
