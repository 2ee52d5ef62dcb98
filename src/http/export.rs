//! `GET /export/directory.ndjson` (partners and administrators): the snapshot of the directory
//! that the change feed continues, streamed as NDJSON (one JSON object per line, see
//! [`crate::directory::feed::snapshot`]), its last line the feed cursor it is consistent with.
//!
//! The body is streamed page by page as the client reads it, so memory stays flat whatever the
//! directory's size; gzip comes from the router's compression layer (`Accept-Encoding: gzip`).
//! A weak `ETag` names the feed position: `If-None-Match` with it is answered `304` while
//! nothing changed. A failure half-way ends the body without its cursor line: a client that got
//! no cursor line has no snapshot. At most [`MAX_CONCURRENT`] snapshots are read at a time
//! per server (each holds a database connection); another caller is answered 503.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::auth::authenticate;
use crate::directory::feed::Audience;
use crate::directory::feed::snapshot::Snapshot;
use crate::error::{AppError, ErrorCode};
use crate::http::AppState;

/// The most snapshots one server streams at a time.
pub const MAX_CONCURRENT: usize = 2;

/// The permits of concurrent snapshots.
#[derive(Clone)]
pub struct ExportSlots(Arc<tokio::sync::Semaphore>);

impl Default for ExportSlots {
    fn default() -> Self {
        Self(Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT)))
    }
}

fn plain(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message.into(),
    )
        .into_response()
}

fn refused(err: &AppError) -> Response {
    let status = match err.code() {
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    let mut response = match err {
        AppError::Client { message, .. } => plain(status, message.clone()),
        AppError::RateLimited { message, .. } => plain(status, message.clone()),
        // The cause is logged, never shown.
        _ => {
            tracing::error!(error = ?err, "the export failed");
            plain(status, "the export is unavailable; try again later")
        }
    };
    if let AppError::RateLimited { retry_after, .. } = err {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
    }
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks for it).
fn matches(headers: &HeaderMap, etag: &str) -> bool {
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == "*" || bare(tag) == bare(etag))
}

/// `GET /export/directory.ndjson`
pub async fn directory(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let client = crate::http::graphql::client_ip(
        peer.ip(),
        &headers,
        state.http.trusted_proxy_header.as_deref(),
    );
    if let Err(err) = state.limits.check_ip(client.0) {
        state.metrics.rate_limited.with_label_values(&["ip"]).inc();
        return refused(&err);
    }
    if let Err(retry_after) = state.db_health.admit().await {
        let mut response = plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "the database is unavailable; try again later",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        return response;
    }
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or("invalid"));
    let viewer =
        match authenticate(authorization, &state.keys, &state.db, &state.token_checks).await {
            Ok(viewer) => viewer,
            Err(err) => return refused(&err),
        };
    if let Some(session) = viewer.session()
        && let Err(err) = state.limits.check_subject(&session.sub)
    {
        state
            .metrics
            .rate_limited
            .with_label_values(&["token"])
            .inc();
        return refused(&err);
    }
    let audience = match Audience::of_reader(&viewer) {
        Ok(audience) => audience,
        Err(err) => return refused(&err),
    };
    let Ok(permit) = state.exports.0.clone().try_acquire_owned() else {
        let mut response = plain(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "this server already streams {MAX_CONCURRENT} snapshots; try again in a minute"
            ),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return response;
    };
    let snapshot = match Snapshot::begin(&state.db, audience).await {
        Ok(snapshot) => snapshot,
        Err(err) => return refused(&err),
    };
    let etag = snapshot.etag();
    let mut response = if matches(&headers, &etag) {
        // Nothing changed since the client's snapshot: its transaction ends here.
        drop(snapshot);
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let body = futures_util::stream::unfold(Some((snapshot, permit)), |state| async move {
            let (mut snapshot, permit) = state?;
            match snapshot.next_lines().await {
                Ok(Some(lines)) => {
                    let mut chunk = Vec::with_capacity(lines.len() * 256);
                    for line in lines {
                        // Serializing a JSON value cannot fail.
                        let _ = serde_json::to_writer(&mut chunk, &line);
                        chunk.push(b'\n');
                    }
                    Some((Ok(Bytes::from(chunk)), Some((snapshot, permit))))
                }
                Ok(None) => None,
                Err(err) => {
                    tracing::error!(error = ?err, "the export failed half-way");
                    Some((Err(std::io::Error::other("the export failed")), None))
                }
            }
        });
        // Fused: the compression layer may poll again after the end.
        let mut response = Response::new(Body::from_stream(futures_util::StreamExt::fuse(body)));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-ndjson"),
        );
        response
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Authorization"));
    response
}
