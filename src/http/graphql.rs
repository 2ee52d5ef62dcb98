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
//! - rate limits answer 429 with `Retry-After`, an unavailable database or an exhausted pool
//!   503 with `Retry-After`, a bad token 401; while the database is known to be down (see
//!   `db::health`) requests are answered 503 at once.
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
use crate::graphql::field_errors::ExecutionStarted;
use crate::graphql::loader::{DbLoader, run_batched};
use crate::graphql::raw::Splices;
use crate::graphql::response_order::{BuiltRoots, in_selection_order};
use crate::http::AppState;
use crate::http::cache::{self, Cached, Key};
use crate::http::introspection;
use crate::http::persisted::Refusal;
use crate::limits::ClientIp;

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
    /// The status of a request refused before it runs (a document that does not parse, or
    /// that may not run): 400 with `application/graphql-response+json`, 200 with the legacy
    /// `application/json`, as the specification asks.
    fn refused_document(self) -> StatusCode {
        match self {
            Self::GraphqlResponse => StatusCode::BAD_REQUEST,
            Self::Json => StatusCode::OK,
        }
    }

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

/// The client address: the last entry of the trusted proxy header when configured and present
/// (the address the proxy itself saw), else the TCP peer.
pub(crate) fn client_ip(
    peer: std::net::IpAddr,
    headers: &HeaderMap,
    trusted_header: Option<&str>,
) -> ClientIp {
    let forwarded = trusted_header
        .and_then(|name| headers.get(name))
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.rsplit(',').next())
        .and_then(|last| last.trim().parse::<std::net::IpAddr>().ok());
    ClientIp(forwarded.unwrap_or(peer))
}

/// The cost the cost extension reported for a response (0 when none).
fn requested_cost(response: &async_graphql::Response) -> u64 {
    response
        .extensions
        .get("cost")
        .and_then(|cost| match cost {
            async_graphql::Value::Object(cost) => cost.get("requestedQueryCost"),
            _ => None,
        })
        .and_then(|n| match n {
            async_graphql::Value::Number(n) => n.as_u64(),
            _ => None,
        })
        .unwrap_or(0)
}

/// An introspection answer from memory, with this request's cost report.
fn introspection_answer(media: Media, data: &str, report: &crate::limits::CostReport) -> Response {
    let report = serde_json::to_string(report).unwrap_or_else(|_| "null".to_owned());
    let body = format!(r#"{{"data":{data},"extensions":{{"cost":{report}}}}}"#);
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media.content_type()),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
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
        AppError::Unavailable(_) | AppError::Internal(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Some(crate::error::UNAVAILABLE_RETRY_AFTER),
        ),
        AppError::Overloaded => (
            StatusCode::SERVICE_UNAVAILABLE,
            Some(crate::error::OVERLOADED_RETRY_AFTER),
        ),
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

/// 503 for a request the open circuit breaker refused: nothing ran.
fn refused_by_breaker(media: Media, retry_after: u64) -> Response {
    let body = json!({ "errors": [{
        "message": crate::error::UNAVAILABLE_MESSAGE,
        "extensions": { "code": ErrorCode::ServiceUnavailable.as_str(), "retryAfter": retry_after },
    }] });
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media.content_type()),
    );
    headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    response
}

/// What a pool timeout (`OVERLOADED`) or a lost connection (`SERVICE_UNAVAILABLE`) meant,
/// settled by probing the database (`db::health`): true when it is unreachable (an outage; the
/// breaker opens). Otherwise a pool timeout was overload: counted and logged once per request.
async fn database_is_down(state: &AppState, overloaded: bool) -> bool {
    if state.db_health.confirm_unreachable().await {
        return true;
    }
    if overloaded {
        state.metrics.pool_exhausted.inc();
        tracing::warn!(
            "database pool exhausted: every connection stayed busy for the acquire timeout; answered OVERLOADED"
        );
    }
    false
}

/// A pool timeout while the database is unreachable: an outage.
fn pool_timeout_outage() -> AppError {
    AppError::Unavailable(
        "no connection within the acquire timeout: the database is unreachable".into(),
    )
}

/// [`database_is_down`] for an error met before execution (checking the token).
async fn settle_database_error(state: &AppState, err: AppError) -> AppError {
    match err {
        AppError::Overloaded if database_is_down(state, true).await => pool_timeout_outage(),
        AppError::Unavailable(_) => {
            database_is_down(state, false).await;
            err
        }
        err => err,
    }
}

/// [`database_is_down`] for the errors of an executed request.
async fn settle_database_errors(state: &AppState, errors: &mut [async_graphql::ServerError]) {
    let is = |error: &async_graphql::ServerError, code: ErrorCode| {
        code_of(error).as_deref() == Some(code.as_str())
    };
    let overloaded = errors.iter().any(|e| is(e, ErrorCode::Overloaded));
    let unavailable = errors.iter().any(|e| is(e, ErrorCode::ServiceUnavailable));
    if (overloaded || unavailable) && database_is_down(state, overloaded).await {
        for error in errors.iter_mut().filter(|e| is(e, ErrorCode::Overloaded)) {
            let outage = async_graphql::Error::from(pool_timeout_outage());
            error.message = outage.message;
            error.extensions = outage.extensions;
        }
    }
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
    match parse_query_string(query.as_deref().unwrap_or_default()) {
        Ok(request) => handle(state, peer, headers, media, request, true).await,
        Err(message) => error(
            StatusCode::BAD_REQUEST,
            media,
            ErrorCode::BadRequest,
            message,
        ),
    }
}

/// Reads the parameters of a GET request: `query`, `operationName`, and `variables` and
/// `extensions` as JSON.
fn parse_query_string(input: &str) -> Result<Request, &'static str> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Params {
        #[serde(default)]
        query: String,
        operation_name: Option<String>,
        variables: Option<String>,
        extensions: Option<String>,
    }
    let usage = "give the query in the `query` parameter (variables and extensions as JSON)";
    let params: Params = serde_urlencoded::from_str(input).map_err(|_| usage)?;
    let mut request = Request::new(params.query);
    if let Some(variables) = params.variables {
        let variables: Value = serde_json::from_str(&variables)
            .map_err(|_| "the `variables` parameter is not valid JSON")?;
        if !variables.is_object() {
            return Err("`variables` must be a JSON object");
        }
        request = request.variables(Variables::from_json(variables));
    }
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    if let Some(extensions) = params.extensions {
        request.extensions = serde_json::from_str(&extensions)
            .map_err(|_| "the `extensions` parameter is not a JSON object")?;
    }
    if request.query.is_empty() && !request.extensions.0.contains_key("persistedQuery") {
        return Err(usage);
    }
    Ok(request)
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
    let query = match object.remove("query") {
        Some(Value::String(query)) => query,
        // A persisted query's hash may stand in for the document (see `persisted`).
        None | Some(Value::Null)
            if object
                .get("extensions")
                .is_some_and(|e| e.get("persistedQuery").is_some()) =>
        {
            String::new()
        }
        _ => return Err("the body must have a `query` string"),
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
        None | Some(Value::Null) => {}
        Some(extensions @ Value::Object(_)) => {
            request.extensions = serde_json::from_value(extensions)
                .map_err(|_| "`extensions` must be a JSON object")?;
        }
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

/// The longest list a variable may hold: the largest page, and `nodes(ids:)`'s limit.
const MAX_LIST_ITEMS: usize = 100;
/// The longest string a variable may hold: the longest text a field takes (a post's body).
const MAX_STRING_CHARS: usize = 20_000;

/// What is too large in a variable's value: a list of more than [`MAX_LIST_ITEMS`] items or a
/// string of more than [`MAX_STRING_CHARS`] characters, so that no request makes the server
/// hold and query with more than its limits foresee.
fn too_large(value: &async_graphql::Value) -> Option<String> {
    match value {
        async_graphql::Value::String(text) if text.chars().count() > MAX_STRING_CHARS => {
            Some(format!(
                "a text of more than {MAX_STRING_CHARS} characters is longer than any field takes"
            ))
        }
        async_graphql::Value::List(items) if items.len() > MAX_LIST_ITEMS => Some(format!(
            "a list of {} items is over the limit of {MAX_LIST_ITEMS}",
            items.len()
        )),
        async_graphql::Value::List(items) => items.iter().find_map(too_large),
        async_graphql::Value::Object(fields) => fields.values().find_map(too_large),
        _ => None,
    }
}

/// The number of fields at the root of `operation`, aliases and fragments counted.
fn root_fields(
    set: &async_graphql::parser::types::SelectionSet,
    document: &ExecutableDocument,
    depth: usize,
) -> usize {
    if depth > 16 {
        return usize::MAX;
    }
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(_) => 1,
            Selection::InlineFragment(fragment) => {
                root_fields(&fragment.node.selection_set.node, document, depth + 1)
            }
            Selection::FragmentSpread(spread) => document
                .fragments
                .get(&spread.node.fragment_name.node)
                .map_or(0, |f| {
                    root_fields(&f.node.selection_set.node, document, depth + 1)
                }),
        })
        .fold(0, usize::saturating_add)
}

/// True when a variable's value holds a string with U+0000.
fn holds_nul(value: &async_graphql::Value) -> bool {
    match value {
        async_graphql::Value::String(text) => text.contains('\0'),
        async_graphql::Value::List(items) => items.iter().any(holds_nul),
        async_graphql::Value::Object(fields) => {
            fields.iter().any(|(k, v)| k.contains('\0') || holds_nul(v))
        }
        _ => false,
    }
}

/// True when an operation selects `__schema` or `__type` at its root.
fn asks_for_introspection(document: &ExecutableDocument) -> bool {
    fn meta(
        set: &async_graphql::parser::types::SelectionSet,
        document: &ExecutableDocument,
        depth: usize,
    ) -> bool {
        depth < 16
            && set.items.iter().any(|item| match &item.node {
                Selection::Field(field) => {
                    matches!(field.node.name.node.as_str(), "__schema" | "__type")
                }
                Selection::InlineFragment(inline) => {
                    meta(&inline.node.selection_set.node, document, depth + 1)
                }
                Selection::FragmentSpread(spread) => document
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .is_some_and(|f| meta(&f.node.selection_set.node, document, depth + 1)),
            })
    }
    match &document.operations {
        DocumentOperations::Single(op) => meta(&op.node.selection_set.node, document, 0),
        DocumentOperations::Multiple(ops) => ops
            .values()
            .any(|op| meta(&op.node.selection_set.node, document, 0)),
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

/// Runs one request with its request id in scope: errors, the audit log and the logs of the
/// request quote it.
async fn handle(
    state: AppState,
    peer: SocketAddr,
    headers: HeaderMap,
    media: Media,
    request: Request,
    via_get: bool,
) -> Response {
    let id = crate::http::request_id(&headers);
    crate::telemetry::with_request_id(id, run(state, peer, headers, media, request, via_get)).await
}

async fn run(
    state: AppState,
    peer: SocketAddr,
    headers: HeaderMap,
    media: Media,
    request: Request,
    via_get: bool,
) -> Response {
    let started = Instant::now();
    let span = tracing::Span::current();
    let client = client_ip(
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
    let mut request = request;
    match state.persisted.resolve(&mut request) {
        Ok(()) => {}
        Err(Refusal::NotFound) => {
            // Apollo's clients look for this message and code, then send the document.
            return error(
                StatusCode::OK,
                media,
                ErrorCode::PersistedQueryNotFound,
                "PersistedQueryNotFound",
            );
        }
        Err(Refusal::Invalid(message)) => {
            return error(
                StatusCode::BAD_REQUEST,
                media,
                ErrorCode::BadRequest,
                message,
            );
        }
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
    // Anonymous queries are the same for everyone: answer them from the cache when it holds a
    // current answer, before even parsing (only queries that ran without errors are stored).
    let public = !headers.contains_key(header::AUTHORIZATION);
    let cache_key = public.then(|| Key {
        query: request.query.clone(),
        variables: serde_json::to_string(&request.variables).unwrap_or_default(),
        operation: request.operation_name.clone(),
        media: media.content_type(),
    });
    // While another request computes the same answer, wait for it instead of computing it again
    // (a burst after a write costs the database one computation, not one per client).
    let mut _computing = None;
    if let Some(key) = &cache_key {
        let hit = match state.cache.get(key) {
            Some(hit) => Some(hit),
            None => match state.cache.compute(key).await {
                Ok(hit) => Some(hit),
                Err(guard) => {
                    _computing = guard;
                    None
                }
            },
        };
        if let Some(hit) = hit {
            state
                .metrics
                .response_cache
                .with_label_values(&["hit"])
                .inc();
            let report = match state
                .limits
                .spend(&format!("ip:{}", client.0), None, hit.cost)
            {
                Ok(report) => report,
                Err(err) => return reject("cost", err),
            };
            let extensions = serde_json::json!({ "cost": report }).to_string();
            state.metrics.answered("query", "ok", started.elapsed());
            return public_response(media, &hit, Some(&extensions), via_get, &headers, &state);
        }
    }
    // PostgreSQL cannot store U+0000 in text and SQLite would: refuse it the same way on both,
    // before anything runs (in a literal of the document or in a variable).
    if request.query.contains('\0')
        || request.query.contains("\\u0000")
        || request.variables.iter().any(|(_, value)| holds_nul(value))
    {
        return error(
            media.refused_document(),
            media,
            ErrorCode::BadUserInput,
            "text may not contain the NUL character (U+0000)",
        );
    }
    if let Some(problem) = request
        .variables
        .iter()
        .find_map(|(_, value)| too_large(value))
    {
        return error(
            media.refused_document(),
            media,
            ErrorCode::BadUserInput,
            &problem,
        );
    }
    let document = match state.parsed.parse(&request.query) {
        Ok(document) => document,
        Err(err) => {
            state
                .metrics
                .requests
                .with_label_values(&["none", "rejected"])
                .inc();
            return error(
                media.refused_document(),
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
    let introspection = introspection_only(&document);
    if state.schemas.introspection.is_none() && asks_for_introspection(&document) {
        return error(
            media.refused_document(),
            media,
            ErrorCode::GraphqlValidationFailed,
            "introspection (`__schema`, `__type`) is turned off on this server",
        );
    }
    if let Some(op) = op.filter(|_| !introspection) {
        let roots = root_fields(&op.selection_set.node, &document, 0);
        if roots > state.http.max_root_fields {
            return error(
                media.refused_document(),
                media,
                ErrorCode::QueryTooComplex,
                &format!(
                    "the operation selects {roots} root fields (aliases included), over the limit \
                     of {}: each runs database statements of its own",
                    state.http.max_root_fields
                ),
            );
        }
    }
    if introspection {
        let fan_out = introspection::fan_out(&document);
        if fan_out > introspection::MAX_FAN_OUT {
            return error(
                media.refused_document(),
                media,
                ErrorCode::QueryTooComplex,
                &format!(
                    "introspection lists nested {fan_out} deep (such as `types → fields → type → \
                     fields`) are over the limit of {}",
                    introspection::MAX_FAN_OUT
                ),
            );
        }
    }
    let public = public && op_type == "query" && !introspection;
    let cache_key = cache_key.filter(|_| public);
    // Read before running: an answer computed while a write commits is stored under the older
    // version and is never served once the write is known.
    let cache_version = cache_key.as_ref().and_then(|_| state.cache.version());
    // While the database is known to be down, answer at once instead of waiting for the pool
    // (introspection does not need the database).
    if !introspection && let Err(retry_after) = state.db_health.admit().await {
        state
            .metrics
            .requests
            .with_label_values(&[op_type, "rejected"])
            .inc();
        return refused_by_breaker(media, retry_after);
    }
    let viewer =
        match authenticate(authorization, &state.keys, &state.db, &state.token_checks).await {
            Ok(viewer) => viewer,
            Err(err) => {
                state
                    .metrics
                    .requests
                    .with_label_values(&[op_type, "rejected"])
                    .inc();
                return app_error(media, settle_database_error(&state, err).await);
            }
        };
    if let Some(session) = viewer.session()
        && let Err(err) = state.limits.check_subject(&session.sub)
    {
        return reject("token", err);
    }
    let schema = match (introspection, &state.schemas.introspection) {
        (true, Some(schema)) => schema,
        _ => &state.schemas.main,
    };
    // An introspection answer computed before is served from memory, and charged all the same.
    let introspection_key = introspection.then(|| {
        introspection::key(
            &request.query,
            request.operation_name.as_deref(),
            &serde_json::to_string(&request.variables).unwrap_or_default(),
        )
    });
    if let Some(answer) = introspection_key.and_then(|key| state.introspection.get(&key)) {
        return match crate::graphql::cost::spend(
            &state.limits,
            Some(&viewer),
            Some(&client),
            answer.cost,
        ) {
            Ok(report) => {
                state.metrics.answered(op_type, "ok", started.elapsed());
                state
                    .metrics
                    .introspection_answers
                    .with_label_values(&["memory"])
                    .inc();
                introspection_answer(media, &answer.data, &report)
            }
            Err(err) => app_error(media, err),
        };
    }
    // The document is parsed once (or was, for an earlier request: `parsed`): async-graphql runs
    // a copy of it, and it stays to put the answer's keys in selection order.
    let operation_name = request.operation_name.clone();
    request.set_parsed_query(ExecutableDocument::clone(&document));
    let execution_started = ExecutionStarted::default();
    let built = BuiltRoots::default();
    let splices = Splices::default();
    let (loader, loads) = DbLoader::for_request(state.db.clone(), viewer.clone());
    let request = request
        .data(execution_started.clone())
        .data(built.clone())
        .data(splices.clone())
        .data(loader)
        .data(crate::db::held::Held::new(
            state.db.clone(),
            state.statements.clone(),
        ))
        .data(viewer)
        .data(client)
        .data(state.limits.clone());
    // Unconstrained: tokio's cooperative budget would otherwise make a large page yield in the
    // middle of registering its DataLoader keys, and the rest would cost statements of their
    // own. The request still yields whenever it waits.
    let execution = tokio::task::unconstrained(run_batched(loads, schema.execute(request)));
    let (executed, changed) =
        crate::db::changes::collect(tokio::time::timeout(state.http.request_timeout, execution))
            .await;
    if op_type == "mutation" {
        // Whatever the outcome: a write may have committed before a later error.
        state.cache.invalidate(&changed);
    }
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
    let mut response = finish(response);
    if let Some(key) = introspection_key
        && response.errors.is_empty()
    {
        let data = serde_json::to_string(&response.data).unwrap_or_default();
        if data.len() > introspection::MAX_ANSWER_BYTES {
            return error(
                media.refused_document(),
                media,
                ErrorCode::QueryTooComplex,
                &format!(
                    "the introspection answer of {} bytes is over the limit of {} bytes: ask for \
                     less (the standard introspection query is well within it)",
                    data.len(),
                    introspection::MAX_ANSWER_BYTES
                ),
            );
        }
        let cost = requested_cost(&response);
        state
            .metrics
            .introspection_answers
            .with_label_values(&["computed"])
            .inc();
        state.introspection.insert(
            key,
            introspection::Answer {
                data,
                cost: usize::try_from(cost).unwrap_or(usize::MAX),
            },
        );
    }
    settle_database_errors(&state, &mut response.errors).await;
    in_selection_order(
        &mut response.data,
        &document,
        operation_name.as_deref(),
        &built,
    );
    let outcome = if response.errors.is_empty() {
        "ok"
    } else {
        "error"
    };
    state.metrics.answered(op_type, outcome, started.elapsed());
    if public {
        state
            .metrics
            .response_cache
            .with_label_values(&["miss"])
            .inc();
    }
    let cache = cache_key.map(|key| (key, cache_version));
    let answer = Answer {
        response,
        // Refused before it ran (validation, limits, budget): the answer has no `data` key.
        executed: execution_started.get(),
        splices,
    };
    respond(media, answer, &state, cache, via_get, &headers)
}

/// An anonymous answer from the cache (or just stored in it), over GET with its `ETag`; a GET whose
/// `If-None-Match` names it gets `304 Not Modified`.
fn public_response(
    media: Media,
    entry: &Cached,
    extensions: Option<&str>,
    via_get: bool,
    request: &HeaderMap,
    state: &AppState,
) -> Response {
    let not_modified = via_get
        && request
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|tags| {
                tags.split(',').map(str::trim).any(|tag| {
                    tag == "*" || tag.trim_start_matches("W/").as_bytes() == entry.etag().as_bytes()
                })
            });
    let mut http = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, cache::body(&entry.data, extensions)).into_response()
    };
    let headers = http.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media.content_type()),
    );
    if via_get {
        headers.insert(header::ETAG, entry.etag().clone());
        headers.insert(
            header::CACHE_CONTROL,
            state.http.public_cache_control.clone(),
        );
        headers.insert(
            header::VARY,
            HeaderValue::from_static("Accept, Authorization"),
        );
    } else {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    http
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
        let code = if is_input_error(&err.message) {
            // An argument that does not parse as its type (a date that is not a date): the
            // caller's mistake, found while the field ran.
            ErrorCode::BadUserInput
        } else if executed && !err.path.is_empty() {
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

/// async-graphql's words for an input value that does not parse as its type.
fn is_input_error(message: &str) -> bool {
    message.starts_with("Failed to parse \"") || message.starts_with("Invalid value for argument")
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

/// A response and whether its operation ran: the answer to one that did not has no `data` key.
struct Answer {
    response: async_graphql::Response,
    executed: bool,
    /// The built answers in `response`'s data, spliced in as it is serialized.
    splices: Splices,
}

impl serde::Serialize for Answer {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let response = &self.response;
        let mut map = serializer.serialize_map(None)?;
        if self.executed {
            map.serialize_entry("data", &response.data)?;
        }
        if !response.errors.is_empty() {
            map.serialize_entry("errors", &response.errors)?;
        }
        if !response.extensions.is_empty() {
            map.serialize_entry("extensions", &response.extensions)?;
        }
        map.end()
    }
}

fn respond(
    media: Media,
    answer: Answer,
    state: &AppState,
    cache: Option<(Key, Option<u64>)>,
    via_get: bool,
    request: &HeaderMap,
) -> Response {
    let response = &answer.response;
    let codes: Vec<String> = response.errors.iter().filter_map(code_of).collect();
    let all =
        |wanted: &[&str]| !codes.is_empty() && codes.iter().all(|c| wanted.contains(&c.as_str()));
    let rate_limited = codes.iter().any(|c| c == "RATE_LIMITED");
    let wait = || {
        response
            .errors
            .iter()
            .filter_map(|e| match e.extensions.as_ref()?.get("retryAfter")? {
                async_graphql::Value::Number(n) => n.as_u64(),
                _ => None,
            })
            .max()
    };
    let (status, retry_after) = if rate_limited {
        state
            .metrics
            .rate_limited
            .with_label_values(&["operation"])
            .inc();
        (StatusCode::TOO_MANY_REQUESTS, Some(wait().unwrap_or(1)))
    } else if matches!(response.data, async_graphql::Value::Null)
        && all(&["SERVICE_UNAVAILABLE", "OVERLOADED"])
    {
        let wait = wait().unwrap_or(crate::error::UNAVAILABLE_RETRY_AFTER);
        (StatusCode::SERVICE_UNAVAILABLE, Some(wait))
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
    if let Some((key, version)) = cache
        && status == StatusCode::OK
        && response.errors.is_empty()
        && let Ok(data) = serde_json::to_string(&response.data)
    {
        let data = answer.splices.apply(data);
        let cost = requested_cost(response);
        let extensions = (!response.extensions.is_empty())
            .then(|| serde_json::to_string(&response.extensions).ok())
            .flatten();
        // A public answer over GET gets its entity tag even when it cannot be stored right now.
        let entry = state.cache.put(
            key,
            version,
            data.into(),
            u32::try_from(cost).unwrap_or(u32::MAX),
        );
        return public_response(
            media,
            &entry,
            extensions.as_deref(),
            via_get,
            request,
            state,
        );
    }
    let body = serde_json::to_string(&answer).map_or_else(
        |_| {
            r#"{"errors":[{"message":"Internal error.","extensions":{"code":"INTERNAL"}}]}"#
                .to_owned()
        },
        |body| answer.splices.apply(body),
    );
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
