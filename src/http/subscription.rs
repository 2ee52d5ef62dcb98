//! GraphQL subscriptions over WebSocket at `GET /graphql` (with `Upgrade: websocket`), in the
//! `graphql-transport-ws` protocol (the one of the `graphql-ws` client): the live changes of
//! [`crate::graphql::feed::FeedSubscription`].
//!
//! async-graphql's own protocol implementation (`async_graphql::http::WebSocket`) runs the
//! subscriptions; this module is the transport around it, with the limits a public server
//! needs, which the protocol implementation does not have:
//! - at most `SUBSCRIPTION_CONNECTIONS_PER_ADDRESS` connections per client address (more are
//!   answered 429 before the upgrade), and the per-address rate limit on connecting;
//! - at most [`MAX_SUBSCRIPTIONS_PER_CONNECTION`] subscriptions at a time on one connection;
//! - subscriptions only: a query or mutation sent over the socket is refused (they go through
//!   `POST /graphql` and its limits), as is a document longer than `MAX_QUERY_BYTES`;
//! - the token (the `Authorization` header of the upgrade request, or `{"Authorization":
//!   "Bearer …"}` in `connection_init`, as browsers cannot set headers) is checked at
//!   `connection_init` (a bad one closes with 4403) and again while the connection lives: when
//!   it expires or is revoked, the connection is closed with 4403;
//! - a connection without subscriptions for `SUBSCRIPTION_IDLE_SECS` is closed (1000).

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::Data;
use async_graphql::http::{
    ClientMessage, WebSocket as GraphQLWebSocket, WebSocketProtocols, WsMessage,
};
use async_graphql::parser::types::OperationType;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, FromRequestParts, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::json;

use crate::auth::{Viewer, authenticate};
use crate::db::changes::DataVersion;
use crate::http::AppState;
use crate::limits::ClientIp;

/// The subprotocol spoken.
pub const PROTOCOL: &str = "graphql-transport-ws";

/// The most subscriptions one connection may run at a time.
pub const MAX_SUBSCRIPTIONS_PER_CONNECTION: usize = 10;

/// How often a connection checks its limits (idle time, the token's expiry).
const TICK: Duration = Duration::from_secs(1);

/// How often a connection asks again whether its token still stands (revoked, its organization
/// or partner deleted), at the latest: at once when the data changed.
const TOKEN_RECHECK: Duration = Duration::from_secs(5);

/// The open connections per client address, and the limits.
#[derive(Clone)]
pub struct Subscriptions {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    per_address: usize,
    idle: Duration,
    version: DataVersion,
}

impl Subscriptions {
    /// At most `per_address` connections per address, each closed after `idle` without
    /// subscriptions; `version` moves when data changes.
    pub fn new(per_address: usize, idle: Duration, version: DataVersion) -> Self {
        Self {
            open: Arc::new(Mutex::new(HashMap::new())),
            per_address,
            idle,
            version,
        }
    }

    fn admit(&self, ip: IpAddr) -> Option<Slot> {
        let mut open = self.open.lock().ok()?;
        let count = open.entry(ip).or_default();
        if *count >= self.per_address {
            return None;
        }
        *count += 1;
        Some(Slot {
            open: self.open.clone(),
            ip,
        })
    }
}

/// A connection's place in the count of its address, given back when dropped.
struct Slot {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.open.lock()
            && let Some(count) = open.get_mut(&self.ip)
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// What a client is told of an error: its message, never an internal cause.
fn told(err: &crate::error::AppError) -> String {
    use crate::error::AppError;
    match err {
        AppError::Client { message, .. } | AppError::RateLimited { message, .. } => message.clone(),
        _ => "the server could not check the token; try again later".to_owned(),
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

/// `GET /graphql`: a WebSocket upgrade for subscriptions, or else a query over GET.
pub async fn get(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let (mut parts, _) = request.into_parts();
    let upgrade = parts
        .headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !upgrade {
        let query = RawQuery(parts.uri.query().map(str::to_owned));
        return crate::http::graphql::get(State(state), ConnectInfo(peer), parts.headers, query)
            .await;
    }
    let headers = parts.headers.clone();
    let client = crate::http::graphql::client_ip(
        peer.ip(),
        &headers,
        state.http.trusted_proxy_header.as_deref(),
    );
    if let Err(err) = state.limits.check_ip(client.0) {
        state.metrics.rate_limited.with_label_values(&["ip"]).inc();
        return plain(StatusCode::TOO_MANY_REQUESTS, told(&err));
    }
    let offered = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case(PROTOCOL));
    if !offered {
        return plain(
            StatusCode::BAD_REQUEST,
            format!("subscriptions speak the `{PROTOCOL}` subprotocol (the graphql-ws client)"),
        );
    }
    let Some(slot) = state.subscriptions.admit(client.0) else {
        let mut response = plain(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "this address has {} subscription connections open, the most allowed",
                state.subscriptions.per_address
            ),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return response;
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    upgrade
        .protocols([PROTOCOL])
        .max_message_size(state.http.max_body_bytes)
        .on_upgrade(move |socket| async move {
            let _slot = slot;
            serve(socket, state, client, headers).await;
        })
}

/// The token of a `connection_init` payload: `{"Authorization": "Bearer …"}` (any case).
fn payload_token(payload: Option<&serde_json::Value>) -> Option<String> {
    payload?
        .as_object()?
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, value)| value.as_str())
        .map(str::to_owned)
}

/// Why a subscribe message is refused, if it is.
fn refusal(request: &async_graphql::Request, max_query_bytes: usize) -> Option<String> {
    if request.query.len() > max_query_bytes {
        return Some(format!("the query is longer than {max_query_bytes} bytes"));
    }
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        // async-graphql reports the parse error itself.
        return None;
    };
    let operation = match &request.operation_name {
        Some(name) => document
            .operations
            .iter()
            .find(|(n, _)| n.is_some_and(|n| n.as_str() == name))
            .map(|(_, op)| op.node.ty),
        None => document.operations.iter().next().map(|(_, op)| op.node.ty),
    };
    match operation {
        Some(OperationType::Subscription) | None => None,
        Some(_) => Some(
            "only subscriptions run over the WebSocket; send queries and mutations with POST \
             /graphql"
                .to_owned(),
        ),
    }
}

async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.chars().take(120).collect::<String>().into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

/// Runs one connection until either side closes it or a limit does.
async fn serve(mut socket: WebSocket, state: AppState, client: ClientIp, headers: HeaderMap) {
    let (to_protocol, from_client) = tokio::sync::mpsc::unbounded_channel::<ClientMessage>();
    let incoming = futures_util::stream::unfold(from_client, |mut rx| async move {
        rx.recv().await.map(|message| (Ok(message), rx))
    });
    // The connection's data, set when `connection_init` is accepted (below) and handed to
    // async-graphql when it processes that message.
    let connection: Arc<Mutex<Option<Data>>> = Arc::new(Mutex::new(None));
    let init = connection.clone();
    let mut protocol = std::pin::pin!(
        GraphQLWebSocket::from_message_stream(
            state.schemas.main.clone(),
            incoming,
            WebSocketProtocols::GraphQLWS,
        )
        .on_connection_init(move |_| async move {
            Ok(init
                .lock()
                .ok()
                .and_then(|mut d| d.take())
                .unwrap_or_default())
        })
    );
    let header_token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut token: Option<String> = None;
    let mut viewer: Option<Viewer> = None;
    let mut active: HashSet<String> = HashSet::new();
    let mut last_activity = tokio::time::Instant::now();
    let mut last_check = tokio::time::Instant::now();
    let mut checked_at_version = state.subscriptions.version.now();
    let mut tick = tokio::time::interval(TICK);
    loop {
        tokio::select! {
            message = socket.recv() => {
                let bytes = match message {
                    Some(Ok(Message::Text(text))) => axum::body::Bytes::from(text),
                    Some(Ok(Message::Binary(bytes))) => bytes,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                };
                last_activity = tokio::time::Instant::now();
                let message = match ClientMessage::from_bytes(bytes) {
                    Ok(message) => message,
                    Err(_) => return close(&mut socket, 4400, "invalid message").await,
                };
                match &message {
                    ClientMessage::ConnectionInit { payload } => {
                        if viewer.is_some() {
                            return close(&mut socket, 4429, "Too many initialisation requests").await;
                        }
                        let presented = header_token.clone().or_else(|| payload_token(payload.as_ref()));
                        match authenticate(presented.as_deref(), &state.keys, &state.db, &state.token_checks).await {
                            Ok(who) => {
                                let mut data = Data::default();
                                data.insert(who.clone());
                                data.insert(client);
                                data.insert(state.subscriptions.version.clone());
                                if let Ok(mut slot) = connection.lock() {
                                    *slot = Some(data);
                                }
                                token = presented;
                                viewer = Some(who);
                            }
                            Err(err) => return close(&mut socket, 4403, &format!("Forbidden: {}", told(&err))).await,
                        }
                    }
                    ClientMessage::Start { id, payload } => {
                        if viewer.is_none() {
                            return close(&mut socket, 4401, "Unauthorized").await;
                        }
                        if active.contains(id) {
                            return close(&mut socket, 4409, &format!("Subscriber for {id} already exists")).await;
                        }
                        let refused = if active.len() >= MAX_SUBSCRIPTIONS_PER_CONNECTION {
                            Some(format!("at most {MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions run at a time on one connection"))
                        } else {
                            refusal(payload, state.http.max_query_bytes)
                        };
                        if let Some(reason) = refused {
                            let error = json!({ "id": id, "type": "error", "payload": [
                                { "message": reason, "extensions": { "code": "BAD_REQUEST" } } ] });
                            if socket.send(Message::Text(error.to_string().into())).await.is_err() {
                                return;
                            }
                            continue;
                        }
                        active.insert(id.clone());
                    }
                    ClientMessage::Stop { id } => {
                        active.remove(id);
                    }
                    _ => {}
                }
                if to_protocol.send(message).is_err() {
                    return;
                }
            }
            out = protocol.next() => {
                match out {
                    Some(WsMessage::Text(text)) => {
                        #[derive(serde::Deserialize)]
                        struct Head {
                            #[serde(rename = "type")]
                            kind: String,
                            id: Option<String>,
                        }
                        if let Ok(Head { kind, id: Some(id) }) = serde_json::from_str::<Head>(&text)
                            && (kind == "complete" || kind == "error")
                        {
                            active.remove(&id);
                        }
                        if socket.send(Message::Text(text.into())).await.is_err() {
                            return;
                        }
                    }
                    Some(WsMessage::Close(code, reason)) => return close(&mut socket, code, &reason).await,
                    None => return,
                }
            }
            _ = tick.tick() => {
                if active.is_empty() && last_activity.elapsed() >= state.subscriptions.idle {
                    return close(&mut socket, 1000, "idle: no subscription").await;
                }
                let Some(session) = viewer.as_ref().and_then(Viewer::session) else {
                    continue;
                };
                if chrono::Utc::now() >= session.expires_at {
                    return close(&mut socket, 4403, "Forbidden: the token has expired").await;
                }
                let version = state.subscriptions.version.now();
                if version != checked_at_version || last_check.elapsed() >= TOKEN_RECHECK {
                    checked_at_version = version;
                    last_check = tokio::time::Instant::now();
                    if let Err(err) = authenticate(token.as_deref(), &state.keys, &state.db, &state.token_checks).await
                        && err.code() == crate::error::ErrorCode::Unauthenticated
                    {
                        return close(&mut socket, 4403, &format!("Forbidden: {}", told(&err))).await;
                    }
                }
            }
        }
    }
}
