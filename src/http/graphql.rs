//! GraphQL over HTTP, as the specification asks, in front of async-graphql (whose stock
//! integration does not follow it):
//!
//! - `Accept` negotiation: `application/graphql-response+json` when asked for,
//!   `application/json` otherwise (also without `Accept`), 406 when neither is acceptable;
//! - POST takes only JSON bodies (415 otherwise) up to `MAX_BODY_BYTES` (413), one operation at
//!   a time (a JSON array, i.e. batching, is refused: async-graphql would run it unbounded);
//! - GET runs queries only: a mutation over GET is answered 405 and never executed;
//! - an unparsable or invalid document is 400 with `application/graphql-response+json` (200 with
//!   `application/json`, as the specification keeps for legacy clients), and its error never
//!   echoes the input back;
//! - rate limits answer 429 with `Retry-After`, an unavailable database 503, a bad token 401.
//!
//! Every error carries a code from [`ErrorCode`].

use std::net::SocketAddr;
use std::time::Instant;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection,
};
use async_graphql::{Request, Variables};
use axum::body::Body;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::auth::authenticate;
use crate::error::{AppError, ErrorCode};
use crate::graphql::loader::DbLoader;
use crate::http::AppState;
use crate::http::limits::ClientIp;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// The media type of the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Media {
    /// `application/graphql-response+json`: status codes follow the outcome.
    GraphqlResponse,
    /// `application/json`: well-formed requests get 200.
    Json,
}

impl Media {
    fn content_type(self) -> &'static str {
        match self {
            Self::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        }
    }
}

/// Picks the response media type from `Accept` (by quality, then by order).
fn negotiate(headers: &HeaderMap) -> Option<Media> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Media::Json);
    };
    let mut best: Option<(f32, Media)> = None;
    for part in accept.split(',') {
        let mut pieces = part.split(';');
        let range = pieces
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let quality = pieces
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let media = match range.as_str() {
            GRAPHQL_RESPONSE => Media::GraphqlResponse,
            JSON | "application/*" | "*/*" => Media::Json,
            _ => continue,
        };
        if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, media));
        }
    }
    best.map(|(_, media)| media)
}

/// A response with one error.
fn error(status: StatusCode, media: Media, code: ErrorCode, message: &str) -> Response {
    let body =
        json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] });
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media.content_type()),
    );
    response
}

/// 406: the client accepts neither media type we speak.
fn not_acceptable() -> Response {
    let message = "accept application/graphql-response+json or application/json";
    error(
        StatusCode::NOT_ACCEPTABLE,
        Media::Json,
        ErrorCode::BadRequest,
        message,
    )
}

/// The response for an [`AppError`] raised before execution (tokens, rate limits).
fn app_error(media: Media, err: AppError) -> Response {
    let (status, retry) = match &err {
        AppError::RateLimited { retry_after, .. } => {
            (StatusCode::TOO_MANY_REQUESTS, Some(*retry_after))
        }
        AppError::Unavailable(_) | AppError::Internal(_) => {
            (StatusCode::SERVICE_UNAVAILABLE, Some(5))
        }
        _ => (StatusCode::UNAUTHORIZED, None),
    };
    let unauthenticated = err.code() == ErrorCode::Unauthenticated;
    let gql = async_graphql::Error::from(err);
    let body = json!({ "errors": [{ "message": gql.message, "extensions": gql.extensions }] });
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media.content_type()),
    );
    if let Some(seconds) = retry {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    if unauthenticated {
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// POST /graphql: a JSON body `{query, variables?, operationName?, extensions?}`.
pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence != JSON {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            ErrorCode::BadRequest,
            "send the request as application/json",
        );
    }
    let bytes = match axum::body::to_bytes(body, state.http.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let message = format!(
                "the request body is larger than {} bytes",
                state.http.max_body_bytes
            );
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                media,
                ErrorCode::BadRequest,
                &message,
            );
        }
    };
    match parse_body(&bytes) {
        Ok(request) => handle(state, peer, headers, media, request, false).await,
        Err(message) => error(
            StatusCode::BAD_REQUEST,
            media,
            ErrorCode::BadRequest,
            message,
        ),
    }
}

/// GET /graphql?query=…&variables=…&operationName=…: queries only.
pub async fn get(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    match async_graphql::http::parse_query_string(query.as_deref().unwrap_or_default()) {
        Ok(request) if !request.query.is_empty() => {
            handle(state, peer, headers, media, request, true).await
        }
        _ => error(
            StatusCode::BAD_REQUEST,
            media,
            ErrorCode::BadRequest,
            "give the query in the `query` parameter (variables as JSON)",
        ),
    }
}

/// Reads a POST body as one GraphQL request.
fn parse_body(bytes: &[u8]) -> Result<Request, &'static str> {
    let value: Value = serde_json::from_slice(bytes).map_err(|_| "the body is not valid JSON")?;
    let Value::Object(mut object) = value else {
        return Err(match value {
            Value::Array(_) => {
                "batched requests (a JSON array) are not supported: send one operation per request"
            }
            _ => "the body must be a JSON object with a `query` string",
        });
    };
    let Some(Value::String(query)) = object.remove("query") else {
        return Err("the body must have a `query` string");
    };
    let mut request = Request::new(query);
    match object.remove("variables") {
        None | Some(Value::Null) => {}
        Some(variables @ Value::Object(_)) => {
            request = request.variables(Variables::from_json(variables))
        }
        Some(_) => return Err("`variables` must be a JSON object"),
    }
    match object.remove("operationName") {
        None | Some(Value::Null) => {}
        Some(Value::String(name)) => request = request.operation_name(name),
        Some(_) => return Err("`operationName` must be a string"),
    }
    match object.remove("extensions") {
        None | Some(Value::Null | Value::Object(_)) => {}
        Some(_) => return Err("`extensions` must be a JSON object"),
    }
    Ok(request)
}

/// The operation a request will run, when it can be told from the document.
fn operation<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a async_graphql::parser::types::OperationDefinition> {
    match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node)
        }
        _ => None,
    }
}

/// True when every operation selects only introspection fields at its root.
fn introspection_only(document: &ExecutableDocument) -> bool {
    let root_fields_are_meta = |op: &async_graphql::parser::types::OperationDefinition| {
        op.ty == OperationType::Query
            && op
                .selection_set
                .node
                .items
                .iter()
                .all(|item| match &item.node {
                    Selection::Field(field) => field.node.name.node.starts_with("__"),
                    _ => false,
                })
    };
    match &document.operations {
        DocumentOperations::Single(op) => root_fields_are_meta(&op.node),
        DocumentOperations::Multiple(ops) => ops.values().all(|op| root_fields_are_meta(&op.node)),
    }
}

/// A short parse error: the position only, never the input.
fn parse_error_message(err: &async_graphql::parser::Error) -> String {
    match err.positions().next() {
        Some(pos) => format!(
            "the query does not parse (syntax error at line {}, column {})",
            pos.line, pos.column
        ),
        None => "the query does not parse".to_owned(),
    }
}

async fn handle(
    state: AppState,
    peer: SocketAddr,
    headers: HeaderMap,
    media: Media,
    request: Request,
    via_get: bool,
) -> Response {
    let started = Instant::now();
    let span = tracing::Span::current();
    let client = ClientIp::from_request(
        peer.ip(),
        &headers,
        state.http.trusted_proxy_header.as_deref(),
    );
    let reject = |limit: &str, err: AppError| {
        state.metrics.rate_limited.with_label_values(&[limit]).inc();
        state
            .metrics
            .requests
            .with_label_values(&["none", "rejected"])
            .inc();
        app_error(media, err)
    };
    if let Err(err) = state.limits.check_ip(client.0) {
        return reject("ip", err);
    }
    if request.query.len() > state.http.max_query_bytes {
        let message = format!(
            "the query is longer than {} bytes",
            state.http.max_query_bytes
        );
        return error(
            StatusCode::BAD_REQUEST,
            media,
            ErrorCode::QueryTooComplex,
            &message,
        );
    }
    let document = match async_graphql::parser::parse_query(&request.query) {
        Ok(document) => document,
        Err(err) => {
            let status = if media == Media::GraphqlResponse {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
            state
                .metrics
                .requests
                .with_label_values(&["none", "rejected"])
                .inc();
            return error(
                status,
                media,
                ErrorCode::GraphqlParseFailed,
                &parse_error_message(&err),
            );
        }
    };
    let op = operation(&document, request.operation_name.as_deref());
    let op_type = match op.map(|op| op.ty) {
        Some(OperationType::Mutation) => "mutation",
        Some(OperationType::Subscription) => "subscription",
        _ => "query",
    };
    span.record("operation_type", op_type);
    if let Some(name) = request.operation_name.as_deref() {
        span.record(
            "operation",
            name.chars().take(100).collect::<String>().as_str(),
        );
    }
    if via_get && op_type != "query" {
        let mut response = error(
            StatusCode::METHOD_NOT_ALLOWED,
            media,
            ErrorCode::BadRequest,
            "GET runs queries only; send mutations with POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or("invalid"));
    let viewer = match authenticate(authorization, &state.keys, &state.db).await {
        Ok(viewer) => viewer,
        Err(err) => {
            state
                .metrics
                .requests
                .with_label_values(&[op_type, "rejected"])
                .inc();
            return app_error(media, err);
        }
    };
    if let Some(session) = viewer.session()
        && let Err(err) = state.limits.check_subject(&session.sub)
    {
        return reject("token", err);
    }
    let schema = match (introspection_only(&document), &state.schemas.introspection) {
        (true, Some(schema)) => schema,
        _ => &state.schemas.main,
    };
    // The document is parsed once: async-graphql runs the one parsed here.
    let mut request = request;
    request.set_parsed_query(document);
    let request = request
        .data(DbLoader::for_request(
            state.db.clone(),
            viewer.clone(),
            state.batch_window,
        ))
        .data(viewer)
        .data(client)
        .data(state.limits.clone());
    let executed = tokio::time::timeout(state.http.request_timeout, schema.execute(request)).await;
    let Ok(response) = executed else {
        // Dropping the execution rolls back any transaction it had open: nothing half-written.
        state
            .metrics
            .requests
            .with_label_values(&[op_type, "error"])
            .inc();
        tracing::warn!(
            timeout_s = state.http.request_timeout.as_secs(),
            "request timed out"
        );
        let mut response = error(
            StatusCode::SERVICE_UNAVAILABLE,
            media,
            ErrorCode::Timeout,
            "the request took too long and was stopped; nothing was changed",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        return response;
    };
    let response = finish(response);
    let outcome = if response.errors.is_empty() {
        "ok"
    } else {
        "error"
    };
    state
        .metrics
        .requests
        .with_label_values(&[op_type, outcome])
        .inc();
    state
        .metrics
        .latency
        .with_label_values(&[op_type])
        .observe(started.elapsed().as_secs_f64());
    respond(media, response, &state)
}

/// Gives every error a code: errors async-graphql raised itself (validation, limits) have none.
fn finish(mut response: async_graphql::Response) -> async_graphql::Response {
    let executed = !matches!(response.data, async_graphql::Value::Null)
        || response.errors.iter().any(|e| !e.path.is_empty());
    for err in &mut response.errors {
        let has_code = err
            .extensions
            .as_ref()
            .is_some_and(|ext| ext.get("code").is_some());
        if has_code {
            continue;
        }
        let code = if executed && !err.path.is_empty() {
            tracing::error!(message = %err.message, "uncoded error during execution");
            err.message = "Internal error.".to_owned();
            ErrorCode::Internal
        } else if is_limit_message(&err.message) {
            ErrorCode::QueryTooComplex
        } else {
            ErrorCode::GraphqlValidationFailed
        };
        err.extensions
            .get_or_insert_with(Default::default)
            .set("code", code.as_str());
    }
    response
}

fn is_limit_message(message: &str) -> bool {
    message.contains("nested too deep")
        || message.contains("too complex")
        || message.contains("number of directives")
}

fn code_of(err: &async_graphql::ServerError) -> Option<String> {
    match err.extensions.as_ref()?.get("code")? {
        async_graphql::Value::String(code) => Some(code.clone()),
        _ => None,
    }
}

fn respond(media: Media, response: async_graphql::Response, state: &AppState) -> Response {
    let codes: Vec<String> = response.errors.iter().filter_map(code_of).collect();
    let all =
        |wanted: &[&str]| !codes.is_empty() && codes.iter().all(|c| wanted.contains(&c.as_str()));
    let rate_limited = codes.iter().any(|c| c == "RATE_LIMITED");
    let (status, retry_after) = if rate_limited {
        state
            .metrics
            .rate_limited
            .with_label_values(&["operation"])
            .inc();
        let wait = response
            .errors
            .iter()
            .filter_map(|e| match e.extensions.as_ref()?.get("retryAfter")? {
                async_graphql::Value::Number(n) => n.as_u64(),
                _ => None,
            })
            .max()
            .unwrap_or(1);
        (StatusCode::TOO_MANY_REQUESTS, Some(wait))
    } else if matches!(response.data, async_graphql::Value::Null) && all(&["SERVICE_UNAVAILABLE"]) {
        (StatusCode::SERVICE_UNAVAILABLE, Some(5))
    } else if media == Media::GraphqlResponse
        && matches!(response.data, async_graphql::Value::Null)
        && all(&[
            "GRAPHQL_VALIDATION_FAILED",
            "QUERY_TOO_COMPLEX",
            "GRAPHQL_PARSE_FAILED",
        ])
    {
        (StatusCode::BAD_REQUEST, None)
    } else {
        (StatusCode::OK, None)
    };
    let body = serde_json::to_string(&response).unwrap_or_else(|_| {
        r#"{"errors":[{"message":"Internal error.","extensions":{"code":"INTERNAL"}}]}"#.to_owned()
    });
    let mut http = (status, body).into_response();
    let headers = http.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media.content_type()),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(seconds) = retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    http
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Option<Media> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("")),
        );
        negotiate(&headers)
    }

    #[test]
    fn negotiates_the_media_type() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(Media::Json));
        assert_eq!(
            accept("application/graphql-response+json"),
            Some(Media::GraphqlResponse)
        );
        assert_eq!(accept("application/json"), Some(Media::Json));
        assert_eq!(
            accept("application/json;q=0.5, application/graphql-response+json"),
            Some(Media::GraphqlResponse)
        );
        assert_eq!(
            accept("application/graphql-response+json;q=0.1, application/json"),
            Some(Media::Json)
        );
        assert_eq!(accept("*/*"), Some(Media::Json));
        assert_eq!(accept("text/html"), None);
        assert_eq!(accept("application/json;q=0"), None);
    }
}
